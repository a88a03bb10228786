"""Transformer decoder with Weighted Residual Connections (WeRC) around the cross-attention.

WeRC (Alastruey et al. 2024, arXiv 2409.18044) replaces the residual sum of the cross-attention
sub-layer, ``x + CA(x)``, by a fixed convex combination of the layer-normalised residual stream and
the layer-normalised cross-attention branch::

    x <- (1 - λ) * LN_r(x) + λ * LN_c(dropout(CA(LN2(x), memory)))       (pre-LN, default)
    x <- LN2((1 - λ) * LN_r(x) + λ * LN_c(dropout(CA(x, memory))))       (post-LN)

Both norms give their inputs the same scale, so the source branch enters the mix with weight λ
from the first update on and cannot be switched off by shrinking the cross-attention output.
With ``concat_after: true`` the branch is ``concat_linear2([LN2(x); CA(...)])`` (no dropout, as
in ESPnet). Dropout sits where ESPnet puts it for the plain residual (on the attention output),
i.e. *before* ``LN_c``. The self-attention and feed-forward sub-layers are ESPnet's unchanged.

Module and parameter names follow ESPnet's ``TransformerDecoder``/``DecoderLayer``; the WeRC
norms add ``decoders.<i>.werc_norm_res`` and ``decoders.<i>.werc_norm_src`` (no parameters with
``werc_norm_affine: false``). With WeRC switched off (``werc_layers: []``) the module has exactly
ESPnet's parameters and computes what ESPnet's ``TransformerDecoder`` computes. The decoder-level
code (``forward``, ``forward_one_step`` with cache, ``score``/``batch_score`` for (batch) beam
search, gradient checkpointing, partially autoregressive decoding) is ESPnet's
``BaseTransformerDecoder``, inherited; the layer keeps ESPnet's ``DecoderLayer`` contract.
"""

from __future__ import annotations

import torch
from espnet.nets.pytorch_backend.transformer.attention import MultiHeadedAttention
from espnet.nets.pytorch_backend.transformer.decoder_layer import DecoderLayer
from espnet.nets.pytorch_backend.transformer.embedding import PositionalEncoding
from espnet.nets.pytorch_backend.transformer.positionwise_feed_forward import (
    PositionwiseFeedForward,
)
from espnet.nets.pytorch_backend.transformer.repeat import repeat
from typeguard import typechecked

# isort: split
from espnet2.asr.decoder.transformer_decoder import BaseTransformerDecoder

# The WeRC norms see the raw cross-attention output, whose scale may become small; ESPnet's
# LayerNorm eps (1e-12) would then amplify noise without bound, so they use PyTorch's default.
WERC_NORM_EPS = 1e-5


class WeRCDecoderLayer(DecoderLayer):
    """ESPnet ``DecoderLayer`` whose cross-attention residual is optionally a WeRC.

    Args:
        size: model dimension D.
        self_attn, src_attn: ``MultiHeadedAttention`` modules.
        feed_forward: position-wise feed-forward module.
        dropout_rate: dropout on the sub-layer outputs.
        normalize_before: pre-LN (True) or post-LN (False).
        concat_after: ``x + linear([x; att(x)])`` instead of ``x + att(x)``.
        werc: use the weighted residual connection around the cross-attention.
        werc_weight: λ, the weight of the cross-attention branch (0 <= λ <= 1).
        werc_norm_affine: give the two WeRC norms learnable gain and bias.
    """

    def __init__(
        self,
        size: int,
        self_attn: torch.nn.Module,
        src_attn: torch.nn.Module,
        feed_forward: torch.nn.Module,
        dropout_rate: float,
        normalize_before: bool = True,
        concat_after: bool = False,
        werc: bool = True,
        werc_weight: float = 0.65,
        werc_norm_affine: bool = True,
    ):
        super().__init__(
            size, self_attn, src_attn, feed_forward, dropout_rate, normalize_before, concat_after
        )
        self.werc = werc
        self.werc_weight = werc_weight
        if werc:
            self.werc_norm_res = torch.nn.LayerNorm(
                size, eps=WERC_NORM_EPS, elementwise_affine=werc_norm_affine
            )
            self.werc_norm_src = torch.nn.LayerNorm(
                size, eps=WERC_NORM_EPS, elementwise_affine=werc_norm_affine
            )

    def extra_repr(self) -> str:
        return f"werc={self.werc}, werc_weight={self.werc_weight}"

    def self_attn_block(
        self,
        residual: torch.Tensor,
        tgt: torch.Tensor,
        tgt_q: torch.Tensor,
        tgt_q_mask: torch.Tensor | None,
    ) -> torch.Tensor:
        """Self-attention sub-layer.

        Args:
            residual: (B, Lq, D) residual stream at the query positions.
            tgt: (B, L, D) keys/values (normalised input when pre-LN).
            tgt_q: (B, Lq, D) queries (rows of ``tgt``).
            tgt_q_mask: (B, Lq, L) bool mask or None.
        Returns:
            (B, Lq, D)
        """
        att = self.self_attn(tgt_q, tgt, tgt, tgt_q_mask)
        if self.concat_after:
            x = residual + self.concat_linear1(torch.cat((tgt_q, att), dim=-1))
        else:
            x = residual + self.dropout(att)
        return x if self.normalize_before else self.norm1(x)

    def src_attn_block(
        self,
        x: torch.Tensor,
        memory: torch.Tensor,
        memory_mask: torch.Tensor | None,
        expand_kv: bool = False,
    ) -> torch.Tensor:
        """Cross-attention sub-layer (WeRC or plain residual).

        Args:
            x: (B, Lq, D) residual stream.
            memory: (B, S, D) encoder output.
            memory_mask: (B, 1, S) bool mask or None.
            expand_kv: memory batch 1 shared by all queries (partially AR decoding).
        Returns:
            (B, Lq, D)
        """
        residual = x
        query = self.norm2(x) if self.normalize_before else x
        if expand_kv:
            att = self.src_attn(query, memory, memory, memory_mask, expand_kv=True)
        else:
            att = self.src_attn(query, memory, memory, memory_mask)
        if self.concat_after:
            branch = self.concat_linear2(torch.cat((query, att), dim=-1))
        else:
            branch = self.dropout(att)
        if self.werc:
            # lerp(a, b, λ) = (1 - λ) * a + λ * b in one fused op
            x = torch.lerp(
                self.werc_norm_res(residual), self.werc_norm_src(branch), self.werc_weight
            )
        else:
            x = residual + branch
        return x if self.normalize_before else self.norm2(x)

    def feed_forward_block(self, x: torch.Tensor) -> torch.Tensor:
        """Position-wise feed-forward sub-layer: (B, Lq, D) -> (B, Lq, D)."""
        residual = x
        if self.normalize_before:
            x = self.norm3(x)
        x = residual + self.dropout(self.feed_forward(x))
        return x if self.normalize_before else self.norm3(x)

    def forward(self, tgt, tgt_mask, memory, memory_mask, cache=None):
        """Decode one layer (same contract as ESPnet's ``DecoderLayer.forward``).

        Args:
            tgt: (B, L, D) input.
            tgt_mask: (B, L, L) bool mask or None.
            memory: (B, S, D) encoder output.
            memory_mask: (B, 1, S) bool mask or None.
            cache: (B, L - 1, D) this layer's output for the first L - 1 positions; only the
                last position is computed then.
        Returns:
            (B, L, D) output, tgt_mask, memory, memory_mask.
        """
        normed = self.norm1(tgt) if self.normalize_before else tgt
        if cache is None:
            residual, tgt_q, tgt_q_mask = tgt, normed, tgt_mask
        else:
            expected = (tgt.shape[0], tgt.shape[1] - 1, self.size)
            assert cache.shape == expected, (cache.shape, expected)
            residual, tgt_q = tgt[:, -1:], normed[:, -1:]
            tgt_q_mask = None if tgt_mask is None else tgt_mask[:, -1:]
        x = self.self_attn_block(residual, normed, tgt_q, tgt_q_mask)
        x = self.src_attn_block(x, memory, memory_mask)
        x = self.feed_forward_block(x)
        if cache is not None:
            x = torch.cat([cache, x], dim=1)
        return x, tgt_mask, memory, memory_mask

    def forward_partially_AR(self, tgt, tgt_mask, tgt_lengths, memory, memory_mask, cache=None):
        """One layer of partially autoregressive decoding (ESPnet's contract).

        Args:
            tgt: (N, L, D) input, N = masks x beams; tgt_lengths: (N,) valid lengths.
            cache: (N, L - 1, D) or None; with a cache only position ``tgt_lengths - 1`` of each
                row is computed and written into the returned (N, L, D) tensor.
        """
        normed = self.norm1(tgt) if self.normalize_before else tgt
        if cache is None:
            residual, tgt_q, tgt_q_mask = tgt, normed, tgt_mask
        else:
            expected = (tgt.shape[0], tgt.shape[1] - 1, self.size)
            assert cache.shape == expected, (cache.shape, expected)
            rows = torch.arange(tgt.size(0), device=tgt.device).view(-1, 1)
            last = tgt_lengths.view(-1, 1) - 1
            residual, tgt_q = tgt[rows, last], normed[rows, last]  # (N, 1, D)
            tgt_q_mask = None if tgt_mask is None else tgt_mask[rows, last]
        x = self.self_attn_block(residual, normed, tgt_q, tgt_q_mask)
        x = self.src_attn_block(x, memory, memory_mask, expand_kv=True)
        x = self.feed_forward_block(x)
        if cache is not None:
            out = torch.cat([cache, torch.zeros_like(x)], dim=1)
            out[rows, last] = x
            x = out
        return x, tgt_mask, tgt_lengths, memory, memory_mask


def _flash_attn_usable() -> bool:
    """Mirror ESPnet's TransformerDecoder: flash attention only on a supported GPU with the lib."""
    try:
        import flash_attn  # noqa: F401
        from espnet2.torch_utils.get_flash_attn_compatability import is_flash_attn_supported
    except Exception:
        return False
    return bool(is_flash_attn_supported())


class WeRCTransformerDecoder(BaseTransformerDecoder):
    """Transformer decoder with WeRC cross-attention residuals (``decoder: werc_transformer``).

    Args (the ``decoder_conf`` keys; the rest are ESPnet ``TransformerDecoder``'s):
        werc_weight: λ, weight of the normalised cross-attention branch; the normalised residual
            gets 1 - λ. The paper uses 0.65.
        werc_layers: indices (0-based) of the layers that use WeRC; ``null`` = all layers,
            ``[]`` = none (then the decoder equals ESPnet's ``TransformerDecoder``).
        werc_norm_affine: learnable gain and bias in the two WeRC norms.

    Input/output shapes are ESPnet's: ``forward(hs_pad (B, S, D), hlens (B,), ys_in_pad (B, L),
    ys_in_lens (B,)) -> ((B, L, V) logits, (B,) lengths)``.
    """

    @typechecked
    def __init__(
        self,
        vocab_size: int,
        encoder_output_size: int,
        attention_heads: int = 4,
        linear_units: int = 2048,
        num_blocks: int = 6,
        dropout_rate: float = 0.1,
        positional_dropout_rate: float = 0.1,
        self_attention_dropout_rate: float = 0.0,
        src_attention_dropout_rate: float = 0.0,
        input_layer: str = "embed",
        use_output_layer: bool = True,
        pos_enc_class=PositionalEncoding,
        normalize_before: bool = True,
        concat_after: bool = False,
        layer_drop_rate: float = 0.0,
        qk_norm: bool = False,
        use_flash_attn: bool = True,
        gradient_checkpoint_layers: list[int] | None = None,
        werc_weight: float = 0.65,
        werc_layers: list[int] | None = None,
        werc_norm_affine: bool = True,
    ):
        if not 0.0 <= werc_weight <= 1.0:
            raise ValueError(f"werc_weight must be in [0, 1], got {werc_weight}")
        if werc_layers is None:
            werc_set = set(range(num_blocks))
        else:
            bad = [i for i in werc_layers if not 0 <= i < num_blocks]
            if bad:
                raise ValueError(
                    f"werc_layers {werc_layers} has indices {bad} outside [0, {num_blocks - 1}] "
                    f"(num_blocks={num_blocks})"
                )
            werc_set = set(werc_layers)
        super().__init__(
            vocab_size=vocab_size,
            encoder_output_size=encoder_output_size,
            dropout_rate=dropout_rate,
            positional_dropout_rate=positional_dropout_rate,
            input_layer=input_layer,
            use_output_layer=use_output_layer,
            pos_enc_class=pos_enc_class,
            normalize_before=normalize_before,
            gradient_checkpoint_layers=list(gradient_checkpoint_layers or []),
        )
        use_flash_attn = use_flash_attn and _flash_attn_usable()
        dim = encoder_output_size
        self.werc_weight = werc_weight
        self.werc_layers = sorted(werc_set)

        def make_layer(index: int) -> WeRCDecoderLayer:
            # Positional args as ESPnet's TransformerDecoder passes them: qk_norm,
            # use_flash_attn, causal, cross_attn.
            self_attn = MultiHeadedAttention(
                attention_heads, dim, self_attention_dropout_rate, qk_norm, use_flash_attn, True
            )
            src_attn = MultiHeadedAttention(
                attention_heads,
                dim,
                src_attention_dropout_rate,
                qk_norm,
                use_flash_attn,
                False,
                True,
            )
            return WeRCDecoderLayer(
                dim,
                self_attn,
                src_attn,
                PositionwiseFeedForward(dim, linear_units, dropout_rate),
                dropout_rate,
                normalize_before=normalize_before,
                concat_after=concat_after,
                werc=index in werc_set,
                werc_weight=werc_weight,
                werc_norm_affine=werc_norm_affine,
            )

        self.decoders = repeat(num_blocks, make_layer, layer_drop_rate)
