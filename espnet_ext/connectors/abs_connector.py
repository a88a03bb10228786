"""The interface every connector implements: ASR encoder states in, MT-width states out."""

from __future__ import annotations

from abc import ABC, abstractmethod

import torch


class AbsConnector(torch.nn.Module, ABC):
    """Maps a frozen speech encoder's output to vectors the frozen MT model reads.

    The last layer of every connector is a projection to ``output_size`` (the MT model's
    ``d_model``), so its output can be used as MT encoder states (ECD) or as MT encoder input
    embeddings (ECED) without further change.
    """

    @abstractmethod
    def output_size(self) -> int:
        """Width of the output vectors (the MT model's ``d_model``)."""

    @abstractmethod
    def forward(
        self, xs: torch.Tensor, lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Map speech encoder states to MT-width states.

        Args:
            xs: (B, T, D_in) float, speech encoder output; frames ``t >= lengths[b]`` are padding.
            lengths: (B,) long, valid frames per utterance (each >= 1).

        Returns:
            ys: (B, T', output_size) float; frames at ``t >= ys_lengths[b]`` are padding (zeros).
            ys_lengths: (B,) long.
        """


def check_connector_input(xs: torch.Tensor, lengths: torch.Tensor, input_size: int) -> None:
    """Shape and length checks shared by the connectors (errors show the offending value)."""
    if xs.dim() != 3 or xs.size(-1) != input_size:
        raise ValueError(f"expected xs of shape (B, T, {input_size}), got {tuple(xs.shape)}")
    if lengths.shape != (xs.size(0),):
        raise ValueError(f"expected lengths of shape ({xs.size(0)},), got {tuple(lengths.shape)}")
    if lengths.numel() and (int(lengths.min()) < 1 or int(lengths.max()) > xs.size(1)):
        raise ValueError(f"lengths must lie in [1, T={xs.size(1)}], got {lengths.tolist()}")


def valid_mask(lengths: torch.Tensor, maxlen: int) -> torch.Tensor:
    """(B,) lengths -> (B, maxlen) bool, True on valid frames."""
    return torch.arange(maxlen, device=lengths.device)[None, :] < lengths[:, None]
