"""ALTI+ source/target contributions of an ESPnet Transformer decoder's predictions.

ALTI (Ferrando et al. 2022a) writes the output of an attention block at position i as a sum of one
transformed vector per input, ``y_i = sum_j T_i(x_j) + b``, and measures the contribution of input
j by how close ``T_i(x_j)`` is to ``y_i`` in Manhattan (L1) distance::

    c_ij = s_ij / sum_k s_ik,    s_ij = max(0, ||y_i||_1 - ||y_i - T_i(x_j)||_1)

ALTI+ (Ferrando et al. 2022b, "Towards Opening the Black Box of Neural Machine Translation: Source
and Target Contributions to the Model Predictions") applies this to both attention blocks of each
decoder layer and rolls the layer matrices out:

* self-attention block: ``T_i(x_j) = alpha_ij W_o (W_v LN1(x_j) + b_v)`` plus, for j = i, the
  residual ``x_i`` -> ``C_sa`` (L x L, causal);
* cross-attention block: one vector per source frame s, ``alpha_is W_o (W_v e_s + b_v)``, and one
  for the residual stream (which carries the self-attention output, itself a mix of the target
  prefix) -> ``c_src`` (L x S) and ``c_res`` (L,);
* layer matrix over [source; target]: target rows ``[c_src, c_res * C_sa]``, source rows the
  identity (the encoder output is the same for every decoder layer), so the rollout is
  ``R_src <- c_src + (c_res * C_sa) @ R_src`` and ``R_tgt <- (c_res * C_sa) @ R_tgt`` starting from
  ``R_src = 0, R_tgt = I``. Every row of ``[R_src, R_tgt]`` sums to 1; the source share of the
  prediction made at position i is ``sum_s R_src[i, s]``.

Details (as in the authors' implementation, `mt-upc/transformer-contributions-nmt`):

* Bias terms (``b_o``, LayerNorm ``beta``, the ``concat_after`` bias) are not attributed to any
  input; they stay in ``y_i``, which is the block's real output. ``b_v`` is attributed, since
  ``alpha`` rows sum to one.
* A LayerNorm applied to a sum is linearised (exact): ``LN(sum_j v_j) = sum_j gamma *
  (v_j - mean(v_j)) / sigma + beta`` with ``sigma`` the standard deviation of the whole sum.
  Pre-LN layers (ESPnet's default) have no norm after the residual sum; their ``LN1``/``LN2``
  act on single inputs and are part of ``T``. Post-LN layers linearise ``norm1``/``norm2``.
* WeRC layers: ``y_i = (1 - λ) LN_r(x_i) + λ LN_c(z_i)`` with ``z_i`` the cross-attention branch.
  The residual vector is ``(1 - λ) gamma_r (x_i - mean) / sigma(x_i)``, the source vectors are
  ``λ gamma_c (u_is - mean) / sigma(z_i)`` (``LN_c`` linearised over the branch), so λ and both
  norms enter the decomposition. With ``concat_after`` the query-side part of the branch
  (``W_q LN2(x_i)``) is attributed to the residual stream.
* The feed-forward sub-layer and the final ``after_norm`` act on one position only and mix
  nothing; as in ALTI they are not decomposed (contributions pass through them unchanged).
* Source units are the encoder output frames. The encoder is not rolled out: its ALTI matrix
  would be row-stochastic over the encoder input, which redistributes contributions *among*
  source units but leaves each prediction's total source share unchanged, the quantity reported
  here. Padded frames get exactly zero contribution.
* If no transformed vector of a row is closer to the output than the origin, ALTI's
  normalisation is 0/0; such rows (rare; counted in ``degenerate_rows``) use the vectors' L1
  norms instead (norm-based attribution as in Kobayashi et al. 2020, measured in L1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from espnet.nets.pytorch_backend.nets_utils import make_pad_mask
from espnet.nets.pytorch_backend.transformer.attention import MultiHeadedAttention
from espnet.nets.pytorch_backend.transformer.mask import subsequent_mask


@dataclass
class DecoderContributions:
    """ALTI+ result for a batch.

    Attributes:
        rollout: (B, L, S + L) contributions of [source frames; decoder input tokens] to the
            representation that predicts the next token at each position; rows of valid
            positions sum to 1.
        source_share: (B, L) ``rollout[..., :S].sum(-1)``.
        lengths: (B,) number of valid decoder positions.
        hidden: (B, L, D) last decoder layer output recomputed from the decomposition (equal to
            the decoder's own output; kept for checks).
        degenerate_rows: (B,) number of (layer, block, valid position) rows where ALTI's
            normalisation was 0/0 and the L1-norm fallback was used.
    """

    rollout: torch.Tensor
    source_share: torch.Tensor
    lengths: torch.Tensor
    hidden: torch.Tensor
    degenerate_rows: torch.Tensor

    def mean_source_share(self) -> torch.Tensor:
        """(B,) source share averaged over the valid predictions of each sequence."""
        valid = ~make_pad_mask(self.lengths, maxlen=self.source_share.size(1)).to(
            self.source_share.device
        )
        return (self.source_share * valid).sum(1) / self.lengths.to(self.source_share.dtype)


def alti_contributions(
    vectors: torch.Tensor, output: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Normalised ALTI contributions.

    Args:
        vectors: (..., N, D) transformed vectors ``T_i(x_j)``.
        output: (..., D) block output ``y_i``.
    Returns:
        contributions (..., N): ``max(0, ||y||_1 - ||y - T_j||_1)`` normalised to sum to 1, and
        degenerate (...,) bool: rows where every score is 0 (no vector is closer to ``y`` than
        the origin, the formula is 0/0); those rows fall back to the vectors' L1 norms.
    """
    distance = (output.unsqueeze(-2) - vectors).abs().sum(-1)
    scores = (output.abs().sum(-1, keepdim=True) - distance).clamp(min=0.0)
    degenerate = scores.sum(-1) == 0
    if degenerate.any():
        scores = torch.where(degenerate.unsqueeze(-1), vectors.abs().sum(-1), scores)
    total = scores.sum(-1, keepdim=True).clamp(min=torch.finfo(scores.dtype).tiny)
    return scores / total, degenerate


def linearized_layer_norm(
    vectors: torch.Tensor, norm: torch.nn.LayerNorm, total: torch.Tensor
) -> torch.Tensor:
    """Part of ``norm(total)`` due to each summand of ``total`` (bias ``beta`` excluded).

    Args:
        vectors: (..., N, D) summands (their sum plus bias terms is ``total``).
        norm: the LayerNorm applied to ``total``.
        total: (..., D).
    Returns:
        (..., N, D) ``gamma * (v - mean(v)) / sqrt(var(total) + eps)``.
    """
    inv_std = torch.rsqrt(total.var(-1, unbiased=False, keepdim=True) + norm.eps)
    out = (vectors - vectors.mean(-1, keepdim=True)) * inv_std.unsqueeze(-2)
    if norm.weight is not None:
        out = out * norm.weight
    return out


def attention_terms(
    attn: MultiHeadedAttention,
    query: torch.Tensor,
    memory: torch.Tensor,
    mask: torch.Tensor | None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Split an ESPnet multi-head attention output into one vector per key position.

    Args:
        attn: the attention module (weights are read, dropout is not applied).
        query: (B, Lq, D); memory: (B, Lk, D) keys and values.
        mask: (B, 1 or Lq, Lk) bool, True = attend.
    Returns:
        terms (B, Lq, Lk, D) with ``attn(query, memory, memory, mask) == terms.sum(2) + bias``,
        and bias (D,).
    """
    q, k, v = attn.forward_qkv(query, memory, memory)  # (B, H, L, d_k)
    scores = torch.matmul(q, k.transpose(-2, -1)) / math.sqrt(attn.d_k)
    if mask is not None:
        blocked = mask.unsqueeze(1).eq(0)  # (B, 1, Lq or 1, Lk)
        scores = scores.masked_fill(blocked, torch.finfo(scores.dtype).min)
        alpha = torch.softmax(scores, dim=-1).masked_fill(blocked, 0.0)
    else:
        alpha = torch.softmax(scores, dim=-1)
    w_out = attn.linear_out.weight.view(-1, attn.h, attn.d_k)  # (D, H, d_k)
    per_key = torch.einsum("bhkc,ehc->bhke", v, w_out)  # (B, H, Lk, D)
    terms = torch.einsum("bhqk,bhke->bqke", alpha, per_key)
    return terms, attn.linear_out.bias


def _split_concat(linear: torch.nn.Linear, dim: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``linear([a; b]) = a @ W_a.T + b @ W_b.T + bias``: return (W_a, W_b)."""
    return linear.weight[:, :dim], linear.weight[:, dim:]


def _self_attention_block(layer, x, tgt_mask):
    """Block output (B, L, D), contributions (B, L, L), degenerate rows (B, L)."""
    dim = x.size(-1)
    normed = layer.norm1(x) if layer.normalize_before else x
    terms, bias = attention_terms(layer.self_attn, normed, normed, tgt_mask)
    own = x
    if layer.concat_after:
        w_query, w_att = _split_concat(layer.concat_linear1, dim)
        terms = terms @ w_att.T
        bias = bias @ w_att.T + layer.concat_linear1.bias
        own = own + normed @ w_query.T
    positions = torch.arange(x.size(1), device=x.device)
    vectors = terms.clone()
    vectors[:, positions, positions] += own
    total = vectors.sum(2) + bias
    if layer.normalize_before:
        out = total
    else:
        out = layer.norm1(total)
        vectors = linearized_layer_norm(vectors, layer.norm1, total)
    return (out, *alti_contributions(vectors, out))


def _cross_attention_block(layer, x, memory, memory_mask):
    """Block output, contributions (B, L, S + 1) with the residual last, degenerate rows."""
    dim = x.size(-1)
    query = layer.norm2(x) if layer.normalize_before else x
    terms, bias = attention_terms(layer.src_attn, query, memory, memory_mask)
    query_part = None
    if layer.concat_after:
        w_query, w_att = _split_concat(layer.concat_linear2, dim)
        terms = terms @ w_att.T
        bias = bias @ w_att.T + layer.concat_linear2.bias
        query_part = query @ w_query.T
    branch = terms.sum(2) + bias
    if query_part is not None:
        branch = branch + query_part
    if getattr(layer, "werc", False):
        lam = layer.werc_weight
        norm_res, norm_src = layer.werc_norm_res, layer.werc_norm_src
        total = (1.0 - lam) * norm_res(x) + lam * norm_src(branch)
        residual = (1.0 - lam) * linearized_layer_norm(x.unsqueeze(-2), norm_res, x)[..., 0, :]
        sources = lam * linearized_layer_norm(terms, norm_src, branch)
        if query_part is not None:
            q_vec = linearized_layer_norm(query_part.unsqueeze(-2), norm_src, branch)
            residual = residual + lam * q_vec[..., 0, :]
    else:
        total = x + branch
        residual = x if query_part is None else x + query_part
        sources = terms
    vectors = torch.cat([sources, residual.unsqueeze(2)], dim=2)
    if layer.normalize_before:
        out = total
    else:
        out = layer.norm2(total)
        vectors = linearized_layer_norm(vectors, layer.norm2, total)
    return (out, *alti_contributions(vectors, out))


def _feed_forward_block(layer, x):
    residual = x
    if layer.normalize_before:
        x = layer.norm3(x)
    x = residual + layer.feed_forward(x)
    return x if layer.normalize_before else layer.norm3(x)


def _check_layer(index: int, layer) -> None:
    for name in ("self_attn", "src_attn"):
        module = getattr(layer, name, None)
        if type(module) is not MultiHeadedAttention:
            raise TypeError(
                f"decoder layer {index}: ALTI+ supports ESPnet MultiHeadedAttention for {name}, "
                f"got {type(module).__name__}"
            )
    if getattr(layer, "sequential_attn", None) is not None:
        raise TypeError(f"decoder layer {index}: sequential_attn is not supported by ALTI+")


@torch.no_grad()
def decoder_contributions(
    decoder: torch.nn.Module,
    memory: torch.Tensor,
    memory_lens: torch.Tensor,
    ys_in: torch.Tensor,
    ys_in_lens: torch.Tensor,
) -> DecoderContributions:
    """ALTI+ contributions of source frames and target prefix to each teacher-forced prediction.

    Args:
        decoder: ESPnet ``TransformerDecoder`` or :class:`WeRCTransformerDecoder` (any module
            with ``embed`` and ``decoders`` made of ESPnet ``DecoderLayer``-like layers).
        memory: (B, S, D) encoder output; memory_lens: (B,).
        ys_in: (B, L) decoder input ids (``<sos> y_1 ... y_n``); ys_in_lens: (B,).
    Returns:
        :class:`DecoderContributions`. The decoder is evaluated in eval mode (no dropout).
    """
    for index, layer in enumerate(decoder.decoders):
        _check_layer(index, layer)
    was_training = decoder.training
    decoder.eval()
    try:
        device = memory.device
        length = ys_in.size(1)
        tgt_mask = (~make_pad_mask(ys_in_lens, maxlen=length))[:, None, :].to(device)
        tgt_mask = tgt_mask & subsequent_mask(length, device=device).unsqueeze(0)
        memory_mask = (~make_pad_mask(memory_lens, maxlen=memory.size(1)))[:, None, :].to(device)

        x = decoder.embed(ys_in)
        batch, source = memory.size(0), memory.size(1)
        roll_src = x.new_zeros(batch, length, source)
        roll_tgt = torch.eye(length, device=device, dtype=x.dtype).expand(batch, -1, -1)
        valid = ~make_pad_mask(ys_in_lens, maxlen=length).to(device)
        degenerate = torch.zeros(batch, dtype=torch.long, device=device)
        for layer in decoder.decoders:
            x, c_self, bad_self = _self_attention_block(layer, x, tgt_mask)
            x, c_cross, bad_cross = _cross_attention_block(layer, x, memory, memory_mask)
            degenerate += ((bad_self | bad_cross) & valid).sum(1)
            x = _feed_forward_block(layer, x)
            through_residual = c_cross[..., -1:] * c_self  # (B, L, L)
            roll_src = c_cross[..., :-1] + through_residual @ roll_src
            roll_tgt = through_residual @ roll_tgt
        rollout = torch.cat([roll_src, roll_tgt], dim=-1)
        return DecoderContributions(
            rollout=rollout,
            source_share=roll_src.sum(-1),
            lengths=ys_in_lens.to(device),
            hidden=x,
            degenerate_rows=degenerate,
        )
    finally:
        decoder.train(was_training)
