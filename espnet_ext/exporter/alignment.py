"""Batched CTC greedy decoding that keeps, for every emitted token, the frames it came from.

Greedy CTC (best path): per frame the arg-max label; consecutive repeats collapse to one token and
blanks are dropped. The frames of one emitted token are the run of identical arg-max labels that
produced it, so a token can be pooled from exactly the encoder frames that CTC spent on it::

    frame argmax   _  a  a  _  b  _  _  b  b  c        (_ = blank)
    tokens               a        b        b  c
    frame_to_token -1  0  0 -1  1 -1 -1  2  2  3       (include_blanks=False)
    frame_to_token -1  0  0  0  1  1  1  2  2  3       (include_blanks=True: a blank run joins
                                                         the token before it)
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class CTCAlignment:
    """Greedy CTC 1-best of a padded batch.

    Attributes:
        tokens: (B, N) long, the 1-best token ids, padded with ``pad_id``.
        token_lens: (B,) long, tokens per utterance (N = max(token_lens), may be 0).
        frame_to_token: (B, T) long, index of the token each encoder frame belongs to, -1 for
            frames that belong to none (blanks, unless ``include_blanks``, and padding).
    """

    tokens: torch.Tensor
    token_lens: torch.Tensor
    frame_to_token: torch.Tensor

    def token_mask(self) -> torch.Tensor:
        """(B, N) bool, True on real (non-padding) tokens."""
        n = self.tokens.size(1)
        return torch.arange(n, device=self.tokens.device)[None, :] < self.token_lens[:, None]

    def to_lists(self) -> list[list[int]]:
        """The 1-best of each utterance as a list of token ids."""
        return [row[:n].tolist() for row, n in zip(self.tokens, self.token_lens.tolist())]


def ctc_greedy_align(
    frame_ids: torch.Tensor,
    lengths: torch.Tensor,
    blank: int = 0,
    include_blanks: bool = False,
    pad_id: int = 0,
) -> CTCAlignment:
    """Collapse per-frame arg-max labels into the greedy CTC 1-best, keeping the alignment.

    Args:
        frame_ids: (B, T) long, arg-max CTC label per encoder frame.
        lengths: (B,) long, valid frames per utterance.
        blank: the CTC blank id.
        include_blanks: assign a blank frame to the last token emitted before it (frames before
            the first token still belong to none).
        pad_id: value of ``tokens`` beyond ``token_lens``.

    Returns:
        :class:`CTCAlignment`.
    """
    assert frame_ids.dim() == 2 and lengths.dim() == 1, (frame_ids.shape, lengths.shape)
    assert frame_ids.size(0) == lengths.size(0), (frame_ids.shape, lengths.shape)
    bsz, n_frames = frame_ids.shape
    dev = frame_ids.device
    lengths = lengths.to(dev)
    valid = torch.arange(n_frames, device=dev)[None, :] < lengths[:, None]
    # a label starts a new run where it differs from the previous frame's label
    prev = torch.cat([frame_ids.new_full((bsz, 1), -1), frame_ids[:, :-1]], dim=1)
    is_label = valid & (frame_ids != blank)
    emit = is_label & (frame_ids != prev)
    index = emit.long().cumsum(dim=1) - 1  # (B, T): index of the latest token at each frame
    owned = valid & (index >= 0) if include_blanks else is_label
    frame_to_token = torch.where(owned, index, torch.full_like(index, -1))
    token_lens = emit.sum(dim=1)
    n_max = int(token_lens.max()) if bsz > 0 else 0
    tokens = frame_ids.new_full((bsz, n_max), pad_id)
    rows, cols = emit.nonzero(as_tuple=True)
    tokens[rows, index[rows, cols]] = frame_ids[rows, cols]
    return CTCAlignment(tokens=tokens, token_lens=token_lens, frame_to_token=frame_to_token)


def pool_frames(enc: torch.Tensor, frame_to_token: torch.Tensor, n_tokens: int) -> torch.Tensor:
    """Mean of the encoder frames of each token.

    Args:
        enc: (B, T, D) float, encoder output.
        frame_to_token: (B, T) long, token index per frame or -1 (see :class:`CTCAlignment`).
        n_tokens: N, the padded token dimension of the result.

    Returns:
        (B, N, D) float; a token without frames (only padding tokens) gets zeros.
    """
    assert enc.shape[:2] == frame_to_token.shape, (enc.shape, frame_to_token.shape)
    bsz, n_frames, _ = enc.shape
    # (B, N + 1, T) one-hot of frame ownership; row 0 collects the frames owned by nobody
    weights = enc.new_zeros(bsz, n_tokens + 1, n_frames)
    weights.scatter_(1, (frame_to_token + 1)[:, None, :], 1.0)
    weights = weights[:, 1:]
    counts = weights.sum(dim=2, keepdim=True).clamp(min=1.0)
    return torch.bmm(weights / counts, enc)
