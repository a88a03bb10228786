"""The exporter: one vector per ASR 1-best token, in the MT model's token-embedding space.

Mechanism (chosen for this toolkit; the paper leaves the layer's details open):

1. the frames that greedy CTC spent on a token are mean-pooled
   (:func:`~espnet_ext.exporter.alignment.pool_frames`) and projected to ``hidden_size``;
2. an embedding of the 1-best token id is added (``use_token_embedding``), so the exporter can
   reproduce the MT embedding of the token it stands for and use the acoustics to refine it,
   and a sinusoidal position code;
3. ``num_blocks`` pre-LN Transformer layers run over the token sequence: self-attention between
   tokens and, with ``cross_attention``, attention from each token to the whole encoder output
   (so a token sees acoustic context beyond its own CTC frames);
4. LayerNorm + linear to the MT embedding width.

The number of output vectors is the number of 1-best tokens by construction: positions come from
the alignment, never from the encoder length.
"""

from __future__ import annotations

import math

import torch

from espnet_ext.exporter.alignment import CTCAlignment, pool_frames


def _sinusoid(n: int, dim: int, device, dtype) -> torch.Tensor:
    """(n, dim) sinusoidal position codes (sin on even, cos on odd channels)."""
    pos = torch.arange(n, device=device, dtype=torch.float32)[:, None]
    freq = torch.exp(
        torch.arange(0, dim, 2, device=device, dtype=torch.float32) * (-math.log(10000.0) / dim)
    )
    table = torch.zeros(n, dim, device=device, dtype=torch.float32)
    table[:, 0::2] = torch.sin(pos * freq)
    table[:, 1::2] = torch.cos(pos * freq)[:, : dim // 2]
    return table.to(dtype)


def _padding_mask(lengths: torch.Tensor, size: int) -> torch.Tensor:
    """(B,) lengths -> (B, size) bool, True on padding. A row without any valid position is left
    fully unmasked: attention over only masked keys gives NaN, whose gradient would leak into the
    parameters even though such rows are discarded afterwards."""
    mask = torch.arange(size, device=lengths.device)[None, :] >= lengths[:, None]
    return mask & (lengths[:, None] > 0)


class CTCPoolExporter(torch.nn.Module):
    """CTC-aligned pooling + token Transformer -> one MT-space vector per 1-best token.

    Args:
        input_size: D_asr, the ASR encoder's output width (set by the model builder).
        output_size: D_mt, the MT source embedding width (set by the model builder).
        vocab_size: size of the source vocabulary (set by the model builder).
        hidden_size: width of the token Transformer.
        num_blocks: Transformer layers over the token sequence (0: a linear map only).
        attention_heads: heads of every attention.
        linear_units: feed-forward width of every layer.
        dropout_rate: dropout in the layers.
        use_token_embedding: add a learned embedding of the 1-best token id.
        cross_attention: let the layers attend to the whole encoder output.
        include_blanks: pool the blank frames that follow a token into it as well.
    """

    def __init__(
        self,
        input_size: int,
        output_size: int,
        vocab_size: int,
        hidden_size: int = 256,
        num_blocks: int = 2,
        attention_heads: int = 4,
        linear_units: int = 1024,
        dropout_rate: float = 0.1,
        use_token_embedding: bool = True,
        cross_attention: bool = True,
        include_blanks: bool = False,
    ):
        super().__init__()
        if hidden_size % attention_heads != 0:
            raise ValueError(
                f"hidden_size={hidden_size} must be a multiple of "
                f"attention_heads={attention_heads}"
            )
        if num_blocks < 0:
            raise ValueError(f"num_blocks must be >= 0, got {num_blocks}")
        self.input_size = input_size
        self.hidden_size = hidden_size
        self._output_size = output_size
        self.include_blanks = include_blanks
        self.cross_attention = cross_attention and num_blocks > 0
        self.in_proj = torch.nn.Linear(input_size, hidden_size)
        self.token_embed = (
            torch.nn.Embedding(vocab_size, hidden_size) if use_token_embedding else None
        )
        self.memory_proj = (
            torch.nn.Linear(input_size, hidden_size) if self.cross_attention else None
        )
        layer_cls = (
            torch.nn.TransformerDecoderLayer
            if self.cross_attention
            else torch.nn.TransformerEncoderLayer
        )
        self.layers = torch.nn.ModuleList(
            layer_cls(
                d_model=hidden_size,
                nhead=attention_heads,
                dim_feedforward=linear_units,
                dropout=dropout_rate,
                batch_first=True,
                norm_first=True,
            )
            for _ in range(num_blocks)
        )
        self.norm = torch.nn.LayerNorm(hidden_size)
        self.out_proj = torch.nn.Linear(hidden_size, output_size)

    def output_size(self) -> int:
        return self._output_size

    def forward(
        self, enc: torch.Tensor, enc_lens: torch.Tensor, alignment: CTCAlignment
    ) -> torch.Tensor:
        """Export the 1-best tokens of ``alignment``.

        Args:
            enc: (B, T, D_asr) float, ASR encoder output.
            enc_lens: (B,) long, valid encoder frames.
            alignment: greedy CTC alignment of ``enc`` (``tokens`` (B, N)).

        Returns:
            (B, N, D_mt) float, one vector per token; zeros beyond ``token_lens``.
        """
        tokens, token_lens = alignment.tokens, alignment.token_lens.to(enc.device)
        bsz, n_tokens = tokens.shape
        if n_tokens == 0:
            return enc.new_zeros(bsz, 0, self._output_size)
        x = self.in_proj(pool_frames(enc, alignment.frame_to_token, n_tokens))  # (B, N, H)
        if self.token_embed is not None:
            x = x + self.token_embed(tokens)
        x = x + _sinusoid(n_tokens, self.hidden_size, x.device, x.dtype)[None]
        if self.layers:
            token_pad = _padding_mask(token_lens, n_tokens)
            if self.cross_attention:
                memory = self.memory_proj(enc)  # (B, T, H)
                frame_pad = _padding_mask(enc_lens.to(enc.device), enc.size(1))
                for layer in self.layers:
                    x = layer(
                        x,
                        memory,
                        tgt_key_padding_mask=token_pad,
                        memory_key_padding_mask=frame_pad,
                    )
            else:
                for layer in self.layers:
                    x = layer(x, src_key_padding_mask=token_pad)
        out = self.out_proj(self.norm(x))
        return out.masked_fill(~alignment.token_mask()[:, :, None], 0.0)
