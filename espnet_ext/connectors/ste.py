"""STE connector: 4x convolutional subsampling, a small Transformer encoder, a projection.

Two ``Conv1d`` layers (stride 2, GLU) shorten the speech encoder output by 4: ``T' = ceil(T / 4)``
exactly, since each layer uses an odd kernel with ``padding = kernel // 2`` and so maps ``L``
frames to ``ceil(L / 2)``. Padding frames are zeroed before each convolution, so an utterance
gives the same output alone or padded in a batch. The first convolution has ``conv_channels``
GLU outputs, the second ``hidden_size``; a pre-LN Transformer encoder with sinusoidal positions
follows, and a linear layer maps to the MT model's width. The output length follows the input
length, unlike the Q-Former's.

Paper sizes (authors' code, see ``shared/notes/systems.md``): kernel 5, 1024 channels, width 256,
6 layers, 4 heads, FFN 2048.
"""

from __future__ import annotations

import torch
from espnet.nets.pytorch_backend.transformer.attention import MultiHeadedAttention
from espnet.nets.pytorch_backend.transformer.embedding import PositionalEncoding
from espnet.nets.pytorch_backend.transformer.encoder_layer import EncoderLayer
from espnet.nets.pytorch_backend.transformer.layer_norm import LayerNorm
from espnet.nets.pytorch_backend.transformer.positionwise_feed_forward import (
    PositionwiseFeedForward,
)
from typeguard import typechecked

from espnet_ext.connectors.abs_connector import AbsConnector, check_connector_input, valid_mask


def subsampled_lengths(lengths: torch.Tensor) -> torch.Tensor:
    """Frames after the two stride-2 convolutions: ``ceil(ceil(L / 2) / 2) = ceil(L / 4)``."""
    return (lengths + 3) // 4


class STEConnector(AbsConnector):
    """Conv1d x2 (stride 2, GLU) -> Transformer encoder -> linear to the MT width.

    Args:
        input_size: width of the speech encoder output (D_in).
        output_size: width of the MT model (its ``d_model``).
        conv_channels: GLU output channels of the first convolution.
        conv_kernel_size: kernel of both convolutions (odd, so that ``T' = ceil(T / 4)``).
        hidden_size: output channels of the second convolution = Transformer width.
        num_blocks: Transformer encoder layers.
        attention_heads: self-attention heads.
        linear_units: feed-forward inner width.
        dropout_rate: dropout on the sub-layer outputs.
        positional_dropout_rate: dropout after adding the positional encoding.
        attention_dropout_rate: dropout on the attention weights.
        use_sdpa: use PyTorch's scaled dot product attention (same result, faster).
    """

    @typechecked
    def __init__(
        self,
        input_size: int,
        output_size: int,
        conv_channels: int = 1024,
        conv_kernel_size: int = 5,
        hidden_size: int = 256,
        num_blocks: int = 6,
        attention_heads: int = 4,
        linear_units: int = 2048,
        dropout_rate: float = 0.1,
        positional_dropout_rate: float = 0.1,
        attention_dropout_rate: float = 0.1,
        use_sdpa: bool = True,
    ):
        super().__init__()
        if conv_kernel_size % 2 != 1:
            raise ValueError(
                f"conv_kernel_size must be odd for T' = ceil(T/4), got {conv_kernel_size}"
            )
        if hidden_size % attention_heads != 0:
            raise ValueError(
                f"hidden_size={hidden_size} is not divisible by attention_heads={attention_heads}"
            )
        self.input_size = input_size
        self._output_size = output_size
        pad = conv_kernel_size // 2
        # GLU halves the channels: each convolution produces twice its output width
        self.convs = torch.nn.ModuleList(
            [
                torch.nn.Conv1d(input_size, 2 * conv_channels, conv_kernel_size, 2, pad),
                torch.nn.Conv1d(conv_channels, 2 * hidden_size, conv_kernel_size, 2, pad),
            ]
        )
        self.pos_enc = PositionalEncoding(hidden_size, positional_dropout_rate)
        self.blocks = torch.nn.ModuleList(
            EncoderLayer(
                hidden_size,
                MultiHeadedAttention(
                    attention_heads, hidden_size, attention_dropout_rate, use_sdpa=use_sdpa
                ),
                PositionwiseFeedForward(hidden_size, linear_units, dropout_rate),
                dropout_rate,
                normalize_before=True,
            )
            for _ in range(num_blocks)
        )
        self.after_norm = LayerNorm(hidden_size)
        self.output_proj = torch.nn.Linear(hidden_size, output_size)

    def output_size(self) -> int:
        return self._output_size

    def forward(
        self, xs: torch.Tensor, lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, T, D_in), (B,) -> (B, ceil(T/4), output_size), (B,) = ceil(lengths/4)."""
        check_connector_input(xs, lengths, self.input_size)
        x = xs.transpose(1, 2)  # (B, T, D_in) -> (B, D_in, T)
        for conv in self.convs:
            x = x.masked_fill(~valid_mask(lengths, x.size(2))[:, None, :], 0.0)
            x = torch.nn.functional.glu(conv(x), dim=1)  # (B, C, ceil(L/2))
            lengths = (lengths + 1) // 2
        x = x.transpose(1, 2)  # (B, H, T') -> (B, T', H)
        mask = valid_mask(lengths, x.size(1))  # (B, T')
        x = self.pos_enc(x)
        att_mask = mask[:, None, :]  # (B, 1, T')
        for block in self.blocks:
            x, att_mask = block(x, att_mask)
        ys = self.output_proj(self.after_norm(x))
        ys = ys.masked_fill(~mask[:, :, None], 0.0)
        return ys, lengths
