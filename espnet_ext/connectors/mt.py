"""The frozen MT side: one loading path for every Hugging Face seq2seq model, and its inputs.

``AutoModelForSeq2SeqLM.from_pretrained`` + ``AutoTokenizer.from_pretrained`` by hub name or local
path serve MarianMT (OPUS models or the recipe's own Marian-architecture MT stage), T5/mT0 and any
other encoder-decoder model of the ``transformers`` library.
"""

from __future__ import annotations

import torch


def load_mt_tokenizer(name_or_path: str):
    """The MT model's tokenizer (``AutoTokenizer``); targets go through ``text_target=``."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(name_or_path)


def load_mt_model(name_or_path: str):
    """The MT model, in float32 (released checkpoints may be stored in float16)."""
    from transformers import AutoModelForSeq2SeqLM

    model = AutoModelForSeq2SeqLM.from_pretrained(name_or_path, dtype=torch.float32)
    if not model.config.is_encoder_decoder:
        raise ValueError(f"{name_or_path}: not an encoder-decoder model ({type(model).__name__})")
    return model


def decoder_start_token_id(mt_model) -> int:
    """The token the MT decoder starts from (the pad token for Marian and T5)."""
    for source in (mt_model.config, mt_model.generation_config):
        token = getattr(source, "decoder_start_token_id", None)
        if token is not None:
            return int(token)
    raise ValueError(f"{type(mt_model).__name__} defines no decoder_start_token_id")


def embed_like_encoder(mt_model, ids: torch.Tensor) -> torch.Tensor:
    """Token embeddings exactly as the MT encoder computes them from ``input_ids``.

    Passing ``inputs_embeds`` skips the encoder's own embedding step. Marian's encoder scales
    ``embed_tokens(ids)`` by ``sqrt(d_model)`` (``embed_scale``) only on the ``input_ids`` path, so
    the scale is applied here; BART-style models scale inside the embedding module (which then
    has its own ``embed_scale``), and T5 does not scale. Positions are still added by the encoder.

    Args:
        ids: (..., L) long token ids.

    Returns:
        (..., L, d_model) float.
    """
    encoder = mt_model.get_encoder()
    embedding = getattr(encoder, "embed_tokens", None)
    if embedding is None:
        embedding = mt_model.get_input_embeddings()
    embeds = embedding(ids)
    scale = getattr(encoder, "embed_scale", None)
    if scale is not None and not hasattr(embedding, "embed_scale"):
        embeds = embeds * scale
    return embeds


def shift_right(labels: torch.Tensor, start_token_id: int, pad_token_id: int) -> torch.Tensor:
    """Teacher-forcing decoder input: ``[start, y_1, ..., y_{L-1}]``, ignored labels -> pad.

    Args:
        labels: (B, L) long, -100 on padding.
    """
    shifted = labels.new_full(labels.shape, pad_token_id)
    shifted[:, 1:] = labels[:, :-1].masked_fill(labels[:, :-1] == -100, pad_token_id)
    shifted[:, 0] = start_token_id
    return shifted
