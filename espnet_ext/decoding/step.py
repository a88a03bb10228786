"""Decoder adapters: one decoder call per search step for all (utterances x beam) hypotheses.

A search step needs ``log p(c | prefix, memory)`` for N = A * K rows at once, where each row's
memory is its own utterance's encoder output and padded frames must not be attended to. Three
adapters, chosen by :func:`make_decoder_step` (``mode="auto"`` takes the first that applies):

``cached``
    For ESPnet ``BaseTransformerDecoder`` subclasses built from plain ``DecoderLayer`` /
    ``MultiHeadedAttention`` modules (``decoder: transformer``). Computes the cross-attention keys
    and values of each utterance once, attends with the K hypotheses of an utterance to its own
    keys (no copy of the memory per hypothesis), and caches the self-attention keys/values of the
    prefix. Same arithmetic as ESPnet's ``forward_one_step``, far less of it per step.
``one_step``
    Any decoder with ``forward_one_step(tgt, tgt_mask, memory, memory_mask, *, cache)`` (ESPnet's
    Transformer family, this project's WeRC decoder): the memory is repeated K times per
    utterance and the padding mask goes in as ``memory_mask``.
``batch_score``
    Any ``BatchScorerInterface`` decoder (``batch_score(ys, states, xs)`` has no memory mask):
    rows are scored in groups of utterances with the same encoder length, each group with its
    memory cut to that length, so padding never reaches the decoder. Exact, but batches only
    equal-length utterances.
"""

from __future__ import annotations

import inspect
import math
from abc import ABC, abstractmethod
from collections import defaultdict

import torch

MODES = ("auto", "cached", "one_step", "batch_score")


class DecoderSession(ABC):
    """Decoder state of one batched search over A utterances x K hypotheses (rows a*K + k)."""

    @abstractmethod
    def step(self, ys: torch.Tensor) -> torch.Tensor:
        """Score the next token: ys (N, L) long prefixes (sos first) -> (N, V) log-probs."""

    @abstractmethod
    def reorder(self, rows: torch.Tensor) -> None:
        """After pruning, row j continues the prefix of row ``rows[j]`` of the last step."""

    @abstractmethod
    def keep(self, utts: torch.Tensor, n_frames: int) -> None:
        """Keep only utterances ``utts`` (indices into the current ones) and the first frames."""


def _rows_of(utts: torch.Tensor, beam: int) -> torch.Tensor:
    return (utts[:, None] * beam + torch.arange(beam, device=utts.device)).view(-1)


def _memory_mask(lengths: torch.Tensor, n_frames: int) -> torch.Tensor:
    """(A,) lengths -> (A, 1, T) bool, True on valid frames."""
    return (torch.arange(n_frames, device=lengths.device)[None, :] < lengths[:, None])[:, None, :]


def _subsequent_mask(size: int, device: torch.device) -> torch.Tensor:
    return torch.tril(torch.ones(size, size, dtype=torch.bool, device=device))


class OneStepSession(DecoderSession):
    def __init__(self, decoder, memory: torch.Tensor, lengths: torch.Tensor, beam: int):
        self.decoder = decoder
        self.beam = beam
        self.memory = memory.repeat_interleave(beam, dim=0)  # (A, T, D) -> (N, T, D)
        self.mask = _memory_mask(lengths, memory.size(1)).repeat_interleave(beam, dim=0)
        self.cache: list[torch.Tensor] | None = None
        self._pending: list[torch.Tensor] | None = None

    def step(self, ys: torch.Tensor) -> torch.Tensor:
        ys_mask = _subsequent_mask(ys.size(1), ys.device).unsqueeze(0)
        logp, self._pending = self.decoder.forward_one_step(
            ys, ys_mask, self.memory, self.mask, cache=self.cache
        )
        return logp

    def reorder(self, rows: torch.Tensor) -> None:
        self.cache = [c.index_select(0, rows) for c in self._pending]
        self._pending = None

    def keep(self, utts: torch.Tensor, n_frames: int) -> None:
        rows = _rows_of(utts, self.beam)
        self.memory = self.memory[rows, :n_frames]
        self.mask = self.mask[rows, :, :n_frames]
        if self.cache is not None:
            self.cache = [c.index_select(0, rows) for c in self.cache]


class BatchScoreSession(DecoderSession):
    def __init__(self, decoder, memory: torch.Tensor, lengths: torch.Tensor, beam: int):
        self.decoder = decoder
        self.beam = beam
        self.memory = memory
        self.lengths = lengths.tolist()
        self.states = []
        for a, n in enumerate(self.lengths):
            state = decoder.batch_init_state(memory[a, :n])
            self.states.extend([state] * beam)
        self._pending: list | None = None

    def step(self, ys: torch.Tensor) -> torch.Tensor:
        groups: dict[int, list[int]] = defaultdict(list)
        for a, n in enumerate(self.lengths):
            groups[n].append(a)
        logp = None
        new_states: list = [None] * ys.size(0)
        for n, utts in groups.items():
            utt_idx = torch.tensor(utts, device=ys.device)
            rows = _rows_of(utt_idx, self.beam)
            xs = self.memory[utt_idx, :n].repeat_interleave(self.beam, dim=0)
            rows_l = rows.tolist()
            scores, states = self.decoder.batch_score(
                ys[rows], [self.states[r] for r in rows_l], xs
            )
            if logp is None:
                logp = scores.new_empty(ys.size(0), scores.size(1))
            logp[rows] = scores
            for j, r in enumerate(rows_l):
                new_states[r] = self.decoder.select_state(states, j)
        self._pending = new_states
        return logp

    def reorder(self, rows: torch.Tensor) -> None:
        self.states = [self._pending[r] for r in rows.tolist()]
        self._pending = None

    def keep(self, utts: torch.Tensor, n_frames: int) -> None:
        utts_l = utts.tolist()
        self.memory = self.memory[utts, :n_frames]
        self.lengths = [self.lengths[a] for a in utts_l]
        self.states = [self.states[r] for r in _rows_of(utts, self.beam).tolist()]


class CachedTransformerSession(DecoderSession):
    """``forward_one_step`` of ESPnet's Transformer decoder with key/value caches.

    Self-attention: the keys/values of earlier positions do not change once computed (each layer
    sees only earlier positions), so only the new position's are computed and appended. Cross
    attention: keys/values of the memory are computed once per utterance; the K query rows of an
    utterance attend to them together, with padded frames masked as in ESPnet (min value before
    the softmax, zero after).
    """

    def __init__(self, decoder, memory: torch.Tensor, lengths: torch.Tensor, beam: int):
        self.decoder = decoder
        self.beam = beam
        self.layers = list(decoder.decoders)
        self.src_kv = [self._heads_kv(layer.src_attn, memory) for layer in self.layers]
        self.pad = ~_memory_mask(lengths, memory.size(1))[:, None]  # (A, 1, 1, T)
        self.self_kv: list[tuple[torch.Tensor, torch.Tensor]] | None = None
        self._pending: list[tuple[torch.Tensor, torch.Tensor]] | None = None

    @staticmethod
    def _split(attn, x: torch.Tensor) -> torch.Tensor:
        """(B, L, D) -> (B, H, L, d_k)."""
        return x.view(x.size(0), -1, attn.h, attn.d_k).transpose(1, 2)

    def _heads_kv(self, attn, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        k = attn.k_norm(self._split(attn, attn.linear_k(x)))
        v = self._split(attn, attn.linear_v(x))
        return k, v

    @staticmethod
    def _merge(attn, x: torch.Tensor) -> torch.Tensor:
        """(B, H, L, d_k) -> (B, L, D)."""
        return x.transpose(1, 2).reshape(x.size(0), -1, attn.h * attn.d_k)

    def _self_attention(self, layer, i: int, h: torch.Tensor, new_kv: list) -> torch.Tensor:
        attn = layer.self_attn
        q = attn.q_norm(self._split(attn, attn.linear_q(h)))  # (N, H, 1, d_k)
        k, v = self._heads_kv(attn, h)
        if self.self_kv is not None:
            k = torch.cat([self.self_kv[i][0], k], dim=2)
            v = torch.cat([self.self_kv[i][1], v], dim=2)
        new_kv.append((k, v))
        scores = torch.matmul(q, k.transpose(-2, -1)) / math.sqrt(attn.d_k)
        return attn.linear_out(self._merge(attn, torch.matmul(torch.softmax(scores, -1), v)))

    def _src_attention(self, layer, i: int, h: torch.Tensor) -> torch.Tensor:
        attn = layer.src_attn
        n_utt = self.pad.size(0)
        q = attn.q_norm(self._split(attn, attn.linear_q(h)))  # (N, H, 1, d_k)
        # (A*K, H, 1, d_k) -> (A, H, K, d_k): an utterance's hypotheses share its keys
        q = q.view(n_utt, self.beam, attn.h, attn.d_k).transpose(1, 2)
        k, v = self.src_kv[i]
        scores = torch.matmul(q, k.transpose(-2, -1)) / math.sqrt(attn.d_k)  # (A, H, K, T)
        scores = scores.masked_fill(self.pad, torch.finfo(scores.dtype).min)
        prob = torch.softmax(scores, dim=-1).masked_fill(self.pad, 0.0)
        out = torch.matmul(prob, v)  # (A, H, K, d_k) -> (N, 1, D)
        out = out.transpose(1, 2).reshape(n_utt * self.beam, 1, attn.h * attn.d_k)
        return attn.linear_out(out)

    def step(self, ys: torch.Tensor) -> torch.Tensor:
        dec = self.decoder
        x = dec.embed(ys)[:, -1:]  # (N, 1, D); positional encoding needs the full prefix
        new_kv: list[tuple[torch.Tensor, torch.Tensor]] = []
        for i, layer in enumerate(self.layers):
            residual = x
            h = layer.norm1(x) if layer.normalize_before else x
            att = self._self_attention(layer, i, h, new_kv)
            if layer.concat_after:
                x = residual + layer.concat_linear1(torch.cat([h, att], dim=-1))
            else:
                x = residual + att
            if not layer.normalize_before:
                x = layer.norm1(x)

            residual = x
            h = layer.norm2(x) if layer.normalize_before else x
            att = self._src_attention(layer, i, h)
            if layer.concat_after:
                x = residual + layer.concat_linear2(torch.cat([h, att], dim=-1))
            else:
                x = residual + att
            if not layer.normalize_before:
                x = layer.norm2(x)

            residual = x
            h = layer.norm3(x) if layer.normalize_before else x
            x = residual + layer.feed_forward(h)
            if not layer.normalize_before:
                x = layer.norm3(x)
        y = dec.after_norm(x[:, -1]) if dec.normalize_before else x[:, -1]
        self._pending = new_kv
        return torch.log_softmax(dec.output_layer(y), dim=-1)

    def reorder(self, rows: torch.Tensor) -> None:
        self.self_kv = [
            (k.index_select(0, rows), v.index_select(0, rows)) for k, v in self._pending
        ]
        self._pending = None

    def keep(self, utts: torch.Tensor, n_frames: int) -> None:
        rows = _rows_of(utts, self.beam)
        self.src_kv = [(k[utts, :, :n_frames], v[utts, :, :n_frames]) for k, v in self.src_kv]
        self.pad = self.pad[utts, ..., :n_frames]
        if self.self_kv is not None:
            self.self_kv = [
                (k.index_select(0, rows), v.index_select(0, rows)) for k, v in self.self_kv
            ]


def supports_cached(decoder) -> bool:
    """True if ``decoder`` is built only from modules whose arithmetic the cached path mirrors."""
    import espnet2.asr.decoder.transformer_decoder as transformer_decoder
    from espnet.nets.pytorch_backend.transformer.attention import MultiHeadedAttention
    from espnet.nets.pytorch_backend.transformer.decoder_layer import DecoderLayer

    base = transformer_decoder.BaseTransformerDecoder
    if not isinstance(decoder, base) or decoder.output_layer is None:
        return False
    embed = getattr(decoder, "embed", None)
    if not isinstance(embed, torch.nn.Sequential) or not isinstance(embed[0], torch.nn.Embedding):
        return False
    for layer in decoder.decoders:
        # exact types: subclasses (e.g. WeRC layers, relative-position attention) compute more
        if type(layer) is not DecoderLayer or layer.sequential_attn is not None:
            return False
        if type(layer.self_attn) is not MultiHeadedAttention:
            return False
        if type(layer.src_attn) is not MultiHeadedAttention:
            return False
    return True


def supports_one_step(decoder) -> bool:
    """True if ``decoder.forward_one_step`` takes a memory mask and a cache."""
    fn = getattr(decoder, "forward_one_step", None)
    if fn is None:
        return False
    params = inspect.signature(fn).parameters
    return "memory_mask" in params and "cache" in params


_SESSIONS = {
    "cached": CachedTransformerSession,
    "one_step": OneStepSession,
    "batch_score": BatchScoreSession,
}


def resolve_mode(decoder, mode: str = "auto") -> str:
    """The adapter used for ``decoder``; raises if the requested one does not apply."""
    if mode not in MODES:
        raise ValueError(f"unknown decoder step mode {mode!r}; choose one of {MODES}")
    checks = {
        "cached": supports_cached,
        "one_step": supports_one_step,
        "batch_score": lambda d: hasattr(d, "batch_score"),
    }
    if mode == "auto":
        for name in ("cached", "one_step", "batch_score"):
            if checks[name](decoder):
                return name
        raise TypeError(
            f"{type(decoder).__name__} has neither forward_one_step(..., memory_mask, cache=) nor "
            "batch_score(ys, states, xs); it cannot be used by the batched beam search"
        )
    if not checks[mode](decoder):
        raise TypeError(f"decoder step mode {mode!r} does not apply to {type(decoder).__name__}")
    return mode


def start_session(
    decoder, memory: torch.Tensor, lengths: torch.Tensor, beam: int, mode: str
) -> DecoderSession:
    """Start a decoder session for memory (A, T, D) with valid lengths (A,), K = ``beam``."""
    return _SESSIONS[mode](decoder, memory, lengths, beam)
