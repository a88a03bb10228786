"""Length and modality adapters between a speech frontend and an LLM (LST, arXiv 2310.02050).

The length adapter shortens the frontend's frame sequence with strided 1-D convolutions; the
modality adapter maps each shortened frame to the LLM's embedding width, so that the result can be
spliced into the LLM's input embeddings like a soft prompt.
"""

from __future__ import annotations

import torch

_ACTIVATIONS = {
    "gelu": torch.nn.GELU,
    "relu": torch.nn.ReLU,
    "silu": torch.nn.SiLU,
    "none": torch.nn.Identity,
}


def _activation(name: str) -> torch.nn.Module:
    if name not in _ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {sorted(_ACTIVATIONS)}")
    return _ACTIVATIONS[name]()


def conv_output_lengths(
    lengths: torch.Tensor | int,
    kernel_size: int,
    stride: int,
    padding: int = 0,
    dilation: int = 1,
    num_layers: int = 1,
) -> torch.Tensor | int:
    """Output length of ``num_layers`` stacked ``Conv1d`` layers with the same settings.

    Per layer ``L' = floor((L + 2 * padding - dilation * (kernel_size - 1) - 1) / stride) + 1``
    (the formula of ``torch.nn.Conv1d``), applied ``num_layers`` times; lengths that would become
    negative are clipped to 0.

    Args:
        lengths: (batch,) int tensor, or a plain int.
    """
    for _ in range(num_layers):
        lengths = (lengths + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1
        lengths = lengths.clamp(min=0) if isinstance(lengths, torch.Tensor) else max(lengths, 0)
    return lengths


def make_pad_mask(lengths: torch.Tensor, max_len: int) -> torch.Tensor:
    """(batch,) lengths -> (batch, max_len) bool, True at padded positions."""
    return torch.arange(max_len, device=lengths.device)[None, :] >= lengths[:, None]


class LengthAdapter(torch.nn.Module):
    """Stack of strided ``Conv1d`` layers that shortens a frame sequence.

    Padded frames are zeroed before every layer, so each utterance's output does not depend on
    how much padding its batch has (a batch decodes like its utterances one by one).

    Args:
        input_size: feature size of the frontend output.
        channels: output channels of every layer (the adapter's output size).
        num_layers: number of convolutions; ``0`` makes the adapter an identity.
        kernel_size, stride: of every convolution.
        padding: of every convolution; ``None`` means ``kernel_size // 2``.
        activation: after every convolution: gelu, relu, silu or none.
        dropout: after every activation.
    """

    def __init__(
        self,
        input_size: int,
        channels: int = 1024,
        num_layers: int = 2,
        kernel_size: int = 3,
        stride: int = 2,
        padding: int | None = None,
        activation: str = "gelu",
        dropout: float = 0.0,
    ):
        super().__init__()
        if num_layers < 0 or kernel_size < 1 or stride < 1:
            raise ValueError(
                f"LengthAdapter needs num_layers >= 0, kernel_size >= 1, stride >= 1; got "
                f"num_layers={num_layers}, kernel_size={kernel_size}, stride={stride}"
            )
        self.num_layers = num_layers
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = kernel_size // 2 if padding is None else padding
        self._output_size = channels if num_layers > 0 else input_size
        self.convs = torch.nn.ModuleList(
            torch.nn.Conv1d(
                input_size if i == 0 else channels,
                channels,
                kernel_size,
                stride=stride,
                padding=self.padding,
            )
            for i in range(num_layers)
        )
        self.activation = _activation(activation)
        self.dropout = torch.nn.Dropout(dropout)

    def output_size(self) -> int:
        return self._output_size

    def output_lengths(self, lengths: torch.Tensor | int) -> torch.Tensor | int:
        """Exact output lengths for input ``lengths`` (see :func:`conv_output_lengths`)."""
        return conv_output_lengths(
            lengths, self.kernel_size, self.stride, self.padding, num_layers=self.num_layers
        )

    def forward(
        self, xs: torch.Tensor, lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(batch, time, input_size) float, (batch,) long ->
        (batch, time', channels) float, (batch,) long with ``time' = output_lengths(time)``."""
        assert xs.dim() == 3, xs.shape
        xs = xs.transpose(1, 2)  # (B, T, D) -> (B, D, T)
        for conv in self.convs:
            xs = xs.masked_fill(make_pad_mask(lengths, xs.size(2))[:, None, :], 0.0)
            short = self.kernel_size - 2 * self.padding - xs.size(2)
            if short > 0:
                # A batch too short for the kernel yields length-0 outputs instead of an error.
                xs = torch.nn.functional.pad(xs, (0, short))
            xs = self.dropout(self.activation(conv(xs)))
            lengths = conv_output_lengths(lengths, self.kernel_size, self.stride, self.padding)
        xs = xs.masked_fill(make_pad_mask(lengths, xs.size(2))[:, None, :], 0.0)
        return xs.transpose(1, 2), lengths  # (B, C, T') -> (B, T', C)


class ModalityAdapter(torch.nn.Module):
    """Projection of speech frames to the LLM's embedding width.

    Args:
        input_size: output size of the length adapter.
        output_size: the LLM's hidden size (set by the model, not in YAML).
        kind: ``linear`` (one ``Linear``, as in the paper) or ``mlp``
            (``Linear -> activation -> Linear``).
        hidden_size: the MLP's inner width (``mlp`` only; default ``output_size``).
        activation: the MLP's activation.
        dropout: on the adapter's output.
    """

    def __init__(
        self,
        input_size: int,
        output_size: int,
        kind: str = "linear",
        hidden_size: int | None = None,
        activation: str = "gelu",
        dropout: float = 0.0,
    ):
        super().__init__()
        if kind == "linear":
            if hidden_size is not None:
                raise ValueError(f"hidden_size={hidden_size} is only used with kind='mlp'")
            self.net = torch.nn.Linear(input_size, output_size)
        elif kind == "mlp":
            hidden_size = output_size if hidden_size is None else hidden_size
            self.net = torch.nn.Sequential(
                torch.nn.Linear(input_size, hidden_size),
                _activation(activation),
                torch.nn.Linear(hidden_size, output_size),
            )
        else:
            raise ValueError(f"unknown modality adapter kind {kind!r}; choose 'linear' or 'mlp'")
        self._output_size = output_size
        self.dropout = torch.nn.Dropout(dropout)

    def output_size(self) -> int:
        return self._output_size

    def forward(self, xs: torch.Tensor) -> torch.Tensor:
        """(batch, time, input_size) -> (batch, time, output_size)."""
        return self.dropout(self.net(xs))
