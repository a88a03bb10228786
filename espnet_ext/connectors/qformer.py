"""Q-Former connector: a fixed number of learned queries read the speech encoder output.

Each layer is a pre-LN Transformer decoder layer without a causal mask: self-attention among the
queries, cross-attention from the queries to the (padding-masked) speech encoder states, and a
feed-forward block. The speech states are layer-normalised and projected to the Q-Former width
once; a final linear layer maps the queries to the MT model's width. The output length is the
number of queries, whatever the input length, which is what makes long inputs hard for it.

Paper sizes (authors' code, see ``shared/notes/systems.md``): 80 queries, 6 layers, width 256,
4 heads, FFN 2048.
"""

from __future__ import annotations

import torch
from espnet.nets.pytorch_backend.transformer.attention import MultiHeadedAttention
from espnet.nets.pytorch_backend.transformer.decoder_layer import DecoderLayer
from espnet.nets.pytorch_backend.transformer.layer_norm import LayerNorm
from espnet.nets.pytorch_backend.transformer.positionwise_feed_forward import (
    PositionwiseFeedForward,
)
from typeguard import typechecked

from espnet_ext.connectors.abs_connector import AbsConnector, check_connector_input, valid_mask


class QFormerConnector(AbsConnector):
    """Learned queries with self- and cross-attention, then a projection to the MT width.

    Args:
        input_size: width of the speech encoder output (D_in).
        output_size: width of the MT model (its ``d_model``).
        num_queries: number of learned queries = output length.
        num_blocks: number of layers.
        hidden_size: Q-Former width.
        attention_heads: heads of the self- and cross-attention.
        linear_units: feed-forward inner width.
        dropout_rate: dropout on the sub-layer outputs.
        attention_dropout_rate: dropout on the attention weights.
        use_sdpa: use PyTorch's scaled dot product attention (same result, faster).
    """

    @typechecked
    def __init__(
        self,
        input_size: int,
        output_size: int,
        num_queries: int = 80,
        num_blocks: int = 6,
        hidden_size: int = 256,
        attention_heads: int = 4,
        linear_units: int = 2048,
        dropout_rate: float = 0.1,
        attention_dropout_rate: float = 0.1,
        use_sdpa: bool = True,
    ):
        super().__init__()
        if hidden_size % attention_heads != 0:
            raise ValueError(
                f"hidden_size={hidden_size} is not divisible by attention_heads={attention_heads}"
            )
        if num_queries < 1 or num_blocks < 1:
            raise ValueError(
                f"need num_queries >= 1 and num_blocks >= 1, got {num_queries}, {num_blocks}"
            )
        self.input_size = input_size
        self._output_size = output_size
        self.num_queries = num_queries
        self.queries = torch.nn.Parameter(torch.randn(num_queries, hidden_size) * 0.02)
        # The frozen encoders' output scales differ widely (Whisper vs E-Branchformer), so the
        # states are normalised before the projection that all layers' cross-attention reads.
        self.input_norm = LayerNorm(input_size)
        self.input_proj = torch.nn.Linear(input_size, hidden_size)

        def attention() -> MultiHeadedAttention:
            return MultiHeadedAttention(
                attention_heads, hidden_size, attention_dropout_rate, use_sdpa=use_sdpa
            )

        self.blocks = torch.nn.ModuleList(
            DecoderLayer(
                hidden_size,
                attention(),
                attention(),
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
        """(B, T, D_in), (B,) -> (B, num_queries, output_size), (B,) filled with num_queries."""
        check_connector_input(xs, lengths, self.input_size)
        batch = xs.size(0)
        memory = self.input_proj(self.input_norm(xs))  # (B, T, H)
        memory_mask = valid_mask(lengths, xs.size(1))[:, None, :]  # (B, 1, T)
        hs = self.queries.unsqueeze(0).expand(batch, -1, -1)  # (B, Q, H)
        for block in self.blocks:
            # tgt_mask None: every query sees every query (no causal mask)
            hs, _, _, _ = block(hs, None, memory, memory_mask)
        ys = self.output_proj(self.after_norm(hs))  # (B, Q, output_size)
        ys_lengths = torch.full((batch,), self.num_queries, dtype=torch.long, device=xs.device)
        return ys, ys_lengths
