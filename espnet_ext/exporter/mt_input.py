"""What an ESPnet MT model's encoder receives, and how to feed it vectors instead of tokens.

``ESPnetMTModel.encode(src_text)`` (``espnet2/mt/espnet_model.py``) prepends ``<sos/eos>`` to the
source ids and runs the ``embed`` frontend (``espnet2/mt/frontend/embedding.py``), whose
``embed`` is ``Sequential(Embedding, PositionalEncoding)``; the positional encoding computes
``x * sqrt(D) + PE`` followed by dropout. Then pre-encoder, encoder, post-encoder.

The exporter replaces exactly the output of ``frontend.embed[0]`` (the embedding-table rows
``E[y_i]``) for the source tokens ``y_1..y_N``. Everything around it is kept from the MT model:
the ``<sos/eos>`` row in front, the scaling and positional encoding, and the encoder. So feeding
``E[y_1..y_N]`` through :func:`encode_embeddings` is arithmetically the same as
``mt.encode(y_1..y_N)``.
"""

from __future__ import annotations

import torch


def check_mt_model(mt: torch.nn.Module) -> None:
    """Raise ``ValueError`` unless ``mt`` takes token ids through ESPnet's ``embed`` frontend."""
    from espnet2.mt.frontend.embedding import Embedding

    if not isinstance(getattr(mt, "frontend", None), Embedding):
        raise ValueError(
            "the exporter needs an MT model with `frontend: embed` (espnet2.mt.frontend."
            f"embedding.Embedding); got frontend {type(getattr(mt, 'frontend', None)).__name__}"
        )
    if getattr(mt, "patch_size", 1) != 1:
        raise ValueError(f"the exporter needs an MT model with patch_size 1, got {mt.patch_size}")
    if getattr(mt, "src_sos", None) is None:
        raise ValueError("the MT model has no source vocabulary (src_token_list was not set)")


def embed_tokens(mt: torch.nn.Module, tokens: torch.Tensor) -> torch.Tensor:
    """The MT embedding-table rows of ``tokens``: (B, N) long -> (B, N, D) float.

    This is the tensor the exporter is trained to match (before scaling and positions).
    """
    return mt.frontend.embed[0](tokens)


def encode_embeddings(
    mt: torch.nn.Module, vectors: torch.Tensor, lengths: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Run the MT encoder on source vectors in place of the source tokens' embeddings.

    Args:
        mt: an ``ESPnetMTModel`` (checked by :func:`check_mt_model`).
        vectors: (B, N, D) float, one vector per source token; values beyond ``lengths`` are
            ignored (the encoder masks them).
        lengths: (B,) long, source tokens per utterance (may be 0).

    Returns:
        encoder output (B, N + 1, D_enc) and its lengths (B,) (= lengths + 1 for ``<sos>``).
    """
    assert vectors.dim() == 3 and lengths.dim() == 1, (vectors.shape, lengths.shape)
    bsz = vectors.size(0)
    table = mt.frontend.embed[0]
    sos = table(torch.full((bsz, 1), mt.src_sos, dtype=torch.long, device=vectors.device))
    x = torch.cat([sos, vectors.to(sos.dtype)], dim=1)  # (B, N + 1, D)
    x = mt.frontend.embed[1](x)  # scaling, positional encoding, dropout
    x_lens = lengths.to(vectors.device) + 1
    if mt.preencoder is not None:
        x, x_lens = mt.preencoder(x, x_lens)
    enc, enc_lens, _ = mt.encoder(x, x_lens)
    if mt.postencoder is not None:
        enc, enc_lens = mt.postencoder(enc, enc_lens)
    return enc, enc_lens


def encode_tokens(
    mt: torch.nn.Module, tokens: torch.Tensor, lengths: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """ESPnet's own path (``mt.encode``) for (B, N) token ids padded with anything."""
    pad = torch.arange(tokens.size(1), device=tokens.device)[None, :] >= lengths[:, None]
    return mt.encode(tokens.masked_fill(pad, -1), lengths)
