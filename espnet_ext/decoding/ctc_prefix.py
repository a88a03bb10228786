"""Batched CTC prefix scoring over (utterances x beam) hypotheses of different input lengths.

The CTC prefix score (Watanabe et al. 2017, "Hybrid CTC/attention architecture", Algorithm 2) of a
prefix ``h = g + c`` is ``psi(h) = sum_t phi_{t-1}(g, c) * p_t(c)`` with the forward variables
``r^n_t(h)`` (paths ending in ``c``) and ``r^b_t(h)`` (ending in blank). All hypotheses of a batch
advance in lock step, so they share the output length and the frame loop; each row reads the
posteriors of its own utterance. Frames past an utterance's end are padded with log p(blank) = 0
and log p(other) = LOGZERO, which leaves the forward variables of the valid frames and all prefix
scores unchanged. ``psi(g + eos)`` is the probability of the whole input given ``g``,
``r^n_T(g) + r^b_T(g)`` at the utterance's own last frame.

Scores follow ESPnet's ``CTCPrefixScoreTH`` conventions so that a joint CTC/attention search
ranks hypotheses as ESPnet's ``BatchBeamSearch`` does: the returned score is the increment
``log psi(g + c) - log psi(g)``; tokens outside the pre-beam get ``LOGZERO - log psi(g)``; eos is
always scored; blank never is.
"""

from __future__ import annotations

import torch

LOGZERO = -10000000000.0


class CTCPrefixSession:
    """CTC prefix-score state of one batched search.

    Args:
        logp: CTC log-posteriors, (A, T, V) float, for A utterances.
        lengths: valid frames per utterance, (A,) long.
        beam: K hypotheses per utterance; rows are utterance-major (row = a * K + k).
        blank: blank id; eos: end-of-sentence id.
    """

    def __init__(self, logp: torch.Tensor, lengths: torch.Tensor, beam: int, blank: int, eos: int):
        n_utt, n_frames, _ = logp.shape
        self.beam = beam
        self.blank = blank
        self.eos = eos
        self.lengths = lengths.to(logp.device)
        pad = torch.arange(n_frames, device=logp.device)[None, :] >= self.lengths[:, None]
        x = logp.masked_fill(pad[:, :, None], LOGZERO)
        x[:, :, blank] = logp[:, :, blank].masked_fill(pad, 0.0)
        self.x = x.transpose(0, 1).contiguous()  # (A, T, V) -> (T, A, V)
        # r[:, 0] = log r^n_t(sos) (impossible); r[:, 1] = log r^b_t(sos) = sum_u<=t log p_u(blank)
        r = torch.full((n_frames, 2, n_utt), LOGZERO, dtype=x.dtype, device=x.device)
        r[:, 1] = torch.cumsum(self.x[:, :, blank], dim=0)
        self.r = r.repeat_interleave(beam, dim=2)  # (T, 2, N)
        self.s_prev = torch.zeros(n_utt * beam, dtype=x.dtype, device=x.device)
        self._pending: tuple[torch.Tensor, torch.Tensor, torch.Tensor | None] | None = None

    @property
    def n_rows(self) -> int:
        return self.r.size(2)

    def score(self, last: torch.Tensor, out_len: int, ids: torch.Tensor | None) -> torch.Tensor:
        """Score every continuation ``c`` of every row's prefix ``g``.

        Args:
            last: the last token of each row's prefix, (N,) long (sos at the first step).
            out_len: number of tokens after sos in every prefix (the search step index).
            ids: candidate tokens per row, (N, S) long (pre-beam), or None for all V tokens.

        Returns:
            (N, V) float: ``log psi(g + c) - log psi(g)``; LOGZERO-based for unscored tokens.
        """
        n_frames, n_utt, vocab = self.x.shape
        n_rows = self.n_rows
        dev, dtype = self.x.device, self.x.dtype
        row_utt = torch.arange(n_utt, device=dev).repeat_interleave(self.beam)
        if ids is None:
            n_cand = vocab
            flat = (row_utt[:, None] * vocab + torch.arange(vocab, device=dev)[None, :]).view(-1)
        else:
            n_cand = ids.size(1)
            flat = (row_utt[:, None] * vocab + ids).view(-1)
        # (T, A*V) -> (T, N, S): each row's candidates in its own utterance's posteriors
        xc = self.x.reshape(n_frames, n_utt * vocab).index_select(1, flat)
        xc = xc.view(n_frames, n_rows, n_cand)
        xb = self.x[:, :, self.blank].repeat_interleave(self.beam, dim=1)  # (T, N)
        # x2[0]: p_t(c); x2[1]: p_t(blank), broadcast over candidates
        x2 = torch.stack([xc, xb[:, :, None].expand(-1, -1, n_cand)])  # (2, T, N, S)

        r_prev = self.r
        r_sum = torch.logsumexp(r_prev, dim=1)  # (T, N): log(r^n_t(g) + r^b_t(g))
        cand = ids if ids is not None else torch.arange(vocab, device=dev).expand(n_rows, vocab)
        repeat = cand == last[:, None]  # (N, S): c == last(g) needs a blank in between
        log_phi = torch.where(repeat[None], r_prev[:, 1, :, None], r_sum[:, :, None])  # (T, N, S)

        r = torch.full((n_frames, 2, n_rows, n_cand), LOGZERO, dtype=dtype, device=dev)
        if out_len == 0:
            r[0, 0] = xc[0]
        start = max(out_len, 1)
        for t in range(start, n_frames):
            prev = r[t - 1]
            # r^n_t = (r^n_{t-1} + phi_{t-1}) p_t(c);  r^b_t = (r^n_{t-1} + r^b_{t-1}) p_t(blank)
            both = torch.stack([prev[0], log_phi[t - 1], prev[0], prev[1]]).view(
                2, 2, n_rows, n_cand
            )
            r[t] = torch.logsumexp(both, dim=1) + x2[:, t]

        if start <= n_frames:
            terms = log_phi[start - 1 : n_frames - 1] + xc[start:n_frames]
            terms = torch.cat([terms, r[start - 1, 0][None]], dim=0)
            log_psi_c = torch.logsumexp(terms, dim=0)  # (N, S)
        else:  # more output steps than frames: no continuation is possible
            log_psi_c = torch.full((n_rows, n_cand), LOGZERO, dtype=dtype, device=dev)

        if ids is None:
            log_psi = log_psi_c
        else:
            log_psi = torch.full((n_rows, vocab), LOGZERO, dtype=dtype, device=dev)
            log_psi.scatter_(1, ids, log_psi_c)
        end_frame = (self.lengths - 1).clamp(min=0).repeat_interleave(self.beam)
        log_psi[:, self.eos] = r_sum[end_frame, torch.arange(n_rows, device=dev)]
        if self.blank != self.eos:
            log_psi[:, self.blank] = LOGZERO
        self._pending = (r, log_psi, ids)
        return log_psi - self.s_prev[:, None]

    def reorder(self, rows: torch.Tensor, tokens: torch.Tensor) -> None:
        """Make row j the prefix ``g[rows[j]] + tokens[j]`` after beam pruning."""
        assert self._pending is not None, "score() must run before reorder()"
        r, log_psi, ids = self._pending
        if ids is None:
            pos = tokens
        else:
            # a token outside the pre-beam (only ever eos) keeps an arbitrary state: it ends
            pos = (ids.index_select(0, rows) == tokens[:, None]).to(torch.int8).argmax(dim=1)
        self.r = r[:, :, rows, pos]  # (T, 2, N)
        self.s_prev = log_psi[rows, tokens]
        self._pending = None

    def keep(self, utts: torch.Tensor, n_frames: int) -> None:
        """Keep only utterances ``utts`` (indices into the current ones) and the first frames."""
        rows = (utts[:, None] * self.beam + torch.arange(self.beam, device=utts.device)).view(-1)
        self.x = self.x[:n_frames, utts]
        self.lengths = self.lengths[utts]
        self.r = self.r[:n_frames, :, rows]
        self.s_prev = self.s_prev[rows]
