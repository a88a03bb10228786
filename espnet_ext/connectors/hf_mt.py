"""The recipe's own MT model: a Hugging Face Marian model trained with ESPnet's trainer.

Issue 6 asks that the connectors load the recipe-trained MT model and a released one (e.g.
``Helsinki-NLP/opus-mt-tc-big-en-pt``) through the same ``from_pretrained`` code path
(:mod:`espnet_ext.connectors.mt`). So the MT stage trains ``MarianMTModel(MarianConfig(...))``
itself, and :mod:`espnet_ext.connectors.hf_mt_export` saves it with ``save_pretrained``.

Tokenizer: a ``MarianTokenizer`` over the recipe's SentencePiece models (stage 5) with separate
source and target vocabularies (``vocab.json``, ``target_vocab.json``; the source and target
models are trained on different text: lower-cased English, true-cased Portuguese). Both
vocabularies are ``</s>`` (0), ``<unk>`` (1), ``<pad>`` (2), then the pieces of the ESPnet token
list (``tokens.txt`` without ``<blank>``, ``<unk>`` and ``<sos/eos>``) in its order. As in the
OPUS models, ``<pad>`` is also the decoder start token and ``</s>`` ends every sequence.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import torch
from espnet2.torch_utils.device_funcs import force_gatherable
from espnet2.train.abs_espnet_model import AbsESPnetModel
from typeguard import typechecked

from espnet_ext.connectors.abs_connector import valid_mask
from espnet_ext.connectors.mt import decoder_start_token_id, shift_right

SPECIALS = ("</s>", "<unk>", "<pad>")
# ESPnet token-list entries that are not SentencePiece pieces
ESPNET_SPECIALS = ("<blank>", "<unk>", "<sos/eos>")


def marian_vocab(token_list: str | Path, bpemodel: str | Path) -> dict[str, int]:
    """``{token: id}`` of one side: :data:`SPECIALS`, then the pieces of ``token_list``.

    Raises ``ValueError`` when the token list and the SentencePiece model disagree (files from
    different stage-5 runs), naming both files.
    """
    import sentencepiece as spm

    lines = Path(token_list).read_text(encoding="utf-8").splitlines()
    pieces = [t for t in lines if t not in ESPNET_SPECIALS]
    sp = spm.SentencePieceProcessor(model_file=str(bpemodel))
    model_pieces = [
        sp.id_to_piece(i)
        for i in range(sp.get_piece_size())
        if not (sp.is_unknown(i) or sp.is_control(i))
    ]
    if pieces != model_pieces:
        extra = sorted(set(pieces) ^ set(model_pieces))[:5]
        raise ValueError(
            f"{token_list} ({len(pieces)} pieces) does not match {bpemodel} "
            f"({len(model_pieces)} pieces); e.g. {extra}: re-run stage 5"
        )
    clash = [p for p in pieces if p in SPECIALS]
    if clash:
        raise ValueError(f"{token_list}: pieces {clash} collide with Marian's special tokens")
    return {tok: i for i, tok in enumerate([*SPECIALS, *pieces])}


def build_tokenizer(
    src_token_list: str | Path,
    src_bpemodel: str | Path,
    token_list: str | Path,
    bpemodel: str | Path,
):
    """A ``MarianTokenizer`` over the recipe's source and target SentencePiece models."""
    from transformers import MarianTokenizer

    src_vocab = marian_vocab(src_token_list, src_bpemodel)
    tgt_vocab = marian_vocab(token_list, bpemodel)
    # MarianTokenizer reads its vocabularies from files; it keeps them in memory afterwards and
    # saves them from memory (the SentencePiece models are copied from their paths).
    with tempfile.TemporaryDirectory() as tmp:
        files = {}
        for name, vocab in (("vocab", src_vocab), ("target_vocab_file", tgt_vocab)):
            files[name] = str(Path(tmp) / f"{name}.json")
            Path(files[name]).write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
        tokenizer = MarianTokenizer(
            source_spm=str(src_bpemodel),
            target_spm=str(bpemodel),
            separate_vocabs=True,
            **files,
        )
    # the file paths above are gone; saving writes the in-memory vocabularies instead
    tokenizer.init_kwargs.pop("target_vocab_file", None)
    tokenizer.init_kwargs.pop("vocab", None)
    return tokenizer


@typechecked
def build_marian(
    src_vocab_size: int,
    tgt_vocab_size: int,
    pad_token_id: int,
    eos_token_id: int,
    d_model: int = 256,
    encoder_layers: int = 6,
    decoder_layers: int = 6,
    encoder_attention_heads: int = 4,
    decoder_attention_heads: int = 4,
    encoder_ffn_dim: int = 2048,
    decoder_ffn_dim: int = 2048,
    activation_function: str = "swish",
    dropout: float = 0.1,
    attention_dropout: float = 0.0,
    activation_dropout: float = 0.0,
    max_position_embeddings: int = 512,
    scale_embedding: bool = True,
    num_beams: int = 4,
):
    """A randomly initialised ``MarianMTModel``; the keyword arguments after ``eos_token_id``
    are the YAML ``marian_conf`` keys (``MarianConfig`` fields, plus the default beam size of
    the exported generation config)."""
    from transformers import GenerationConfig, MarianConfig, MarianMTModel

    config = MarianConfig(
        vocab_size=src_vocab_size,
        decoder_vocab_size=tgt_vocab_size,
        share_encoder_decoder_embeddings=False,
        tie_word_embeddings=True,
        d_model=d_model,
        encoder_layers=encoder_layers,
        decoder_layers=decoder_layers,
        encoder_attention_heads=encoder_attention_heads,
        decoder_attention_heads=decoder_attention_heads,
        encoder_ffn_dim=encoder_ffn_dim,
        decoder_ffn_dim=decoder_ffn_dim,
        activation_function=activation_function,
        dropout=dropout,
        attention_dropout=attention_dropout,
        activation_dropout=activation_dropout,
        max_position_embeddings=max_position_embeddings,
        scale_embedding=scale_embedding,
        pad_token_id=pad_token_id,
        eos_token_id=eos_token_id,
        bos_token_id=eos_token_id,
        decoder_start_token_id=pad_token_id,
        forced_eos_token_id=eos_token_id,
    )
    model = MarianMTModel(config)
    model.generation_config = GenerationConfig(
        num_beams=num_beams,
        max_new_tokens=max_position_embeddings,
        # <pad> only starts the decoder, as in the released OPUS models
        bad_words_ids=[[pad_token_id]],
        pad_token_id=pad_token_id,
        eos_token_id=eos_token_id,
        bos_token_id=eos_token_id,
        decoder_start_token_id=pad_token_id,
        forced_eos_token_id=eos_token_id,
    )
    return model


class ESPnetHFMTModel(AbsESPnetModel):
    """A Hugging Face seq2seq model (here Marian) as an ESPnet model: text -> text.

    Args:
        mt_model: an ``AutoModelForSeq2SeqLM``-style encoder-decoder model.
        tokenizer: its tokenizer (kept for decoding; not a module).
        label_smoothing: label smoothing of the token cross-entropy.
        extract_feats_in_collect_stats: read by ESPnet's collect-stats stage; text has no
            feature statistics, so the model need not be built there.
    """

    @typechecked
    def __init__(
        self,
        mt_model: torch.nn.Module,
        tokenizer: object,
        label_smoothing: float = 0.1,
        extract_feats_in_collect_stats: bool = False,
    ):
        super().__init__()
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1), got {label_smoothing}")
        self.mt_model = mt_model
        self.tokenizer = tokenizer
        self.label_smoothing = label_smoothing
        self.extract_feats_in_collect_stats = extract_feats_in_collect_stats
        self.pad_token_id = int(tokenizer.pad_token_id)
        self.start_token_id = decoder_start_token_id(mt_model)
        self.register_load_state_dict_post_hook(_recompute_constant_tables)

    def _source(self, src_text: torch.Tensor, src_text_lengths: torch.Tensor) -> dict:
        """ESPnet's -1-padded source ids -> ``input_ids`` / ``attention_mask``."""
        src_text = src_text[:, : int(src_text_lengths.max())]
        mask = valid_mask(src_text_lengths, src_text.size(1))
        return {
            "input_ids": src_text.masked_fill(~mask, self.pad_token_id),
            "attention_mask": mask.long(),
        }

    def forward(
        self,
        src_text: torch.Tensor,
        src_text_lengths: torch.Tensor,
        text: torch.Tensor,
        text_lengths: torch.Tensor,
        **kwargs,
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor], torch.Tensor]:
        """Label-smoothed cross-entropy of the target tokens.

        Args:
            src_text: (B, S) long source ids ending in EOS, padded with -1; src_text_lengths: (B,).
            text: (B, L) long target ids ending in EOS, padded with -1; text_lengths: (B,).

        Returns:
            loss (scalar), stats {"loss", "acc"}, weight (batch size).
        """
        text = text[:, : int(text_lengths.max())]
        labels = text.masked_fill(~valid_mask(text_lengths, text.size(1)), -100)
        decoder_input_ids = shift_right(labels, self.start_token_id, self.pad_token_id)
        logits = self.mt_model(
            **self._source(src_text, src_text_lengths),
            decoder_input_ids=decoder_input_ids,
            use_cache=False,
        ).logits  # (B, L, V)
        loss = torch.nn.functional.cross_entropy(
            logits.float().flatten(0, 1),
            labels.flatten(),
            ignore_index=-100,
            label_smoothing=self.label_smoothing,
        )
        scored = labels != -100
        acc = ((logits.argmax(-1) == labels) & scored).sum().float() / scored.sum().clamp(min=1)
        stats = dict(loss=loss.detach(), acc=acc.detach())
        return force_gatherable((loss, stats, src_text.size(0)), loss.device)

    def collect_feats(self, **batch: torch.Tensor) -> dict[str, torch.Tensor]:
        """No feature statistics for text input."""
        return {}

    @torch.no_grad()
    def translate(
        self, src_text: torch.Tensor, src_text_lengths: torch.Tensor, **generate_kwargs
    ) -> list[str]:
        """Batched ``generate`` (beam search by default); returns B detokenized strings.

        Args:
            src_text: (B, S) long, padded with -1; src_text_lengths: (B,) long.
            generate_kwargs: passed to ``generate`` (``num_beams``, ``max_new_tokens``, ...).
        """
        tokens = self.mt_model.generate(
            **self._source(src_text, src_text_lengths), **generate_kwargs
        )
        return [t.strip() for t in self.tokenizer.batch_decode(tokens, skip_special_tokens=True)]


def _recompute_constant_tables(module: ESPnetHFMTModel, incompatible_keys) -> None:
    """Marian's sinusoidal position tables are constants, not saved by ``save_pretrained`` and
    recomputed by ``from_pretrained``; ESPnet's n-best checkpoint averaging changes them by
    float rounding. Recomputing them after every load keeps the ESPnet model, its export and the
    connectors that load the export on the very same tables."""
    with torch.no_grad():
        for sub in module.mt_model.modules():
            if type(sub).__name__ == "MarianSinusoidalPositionalEmbedding":
                sub.weight.copy_(sub.create_weight())
