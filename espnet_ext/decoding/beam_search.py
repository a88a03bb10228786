"""Beam search over a batch of utterances: one decoder call per step for all B x K hypotheses.

Semantics follow ESPnet's ``BeamSearch``/``BatchBeamSearch`` (``espnet.nets.beam_search``) as used
by ``espnet2.bin.st_inference``, applied to each utterance independently:

* scores: ``(1 - ctc_weight) * log p_dec + ctc_weight * ctc_prefix_increment + penalty`` per
  token (the penalty, ESPnet's ``length_bonus``, is added for every scored token including eos).
* step ``i`` (0-based): the K best of the (running hypotheses x V) continuations of an utterance
  are kept; those ending in eos leave the beam (so fewer than K run on) and are added to the
  utterance's finished list if ``i >= minlen``; ``minlen``/``maxlen`` come from the utterance's own
  encoder length (:func:`~espnet_ext.decoding.hypothesis.length_bounds`).
* at ``i == maxlen - 1`` every running hypothesis gets eos appended (not scored) and finishes.
* an utterance stops at its maxlen, when no hypothesis runs, or, if ``maxlenratio == 0``, when
  ESPnet's end detection fires (:class:`~espnet_ext.decoding.hypothesis.EndDetector`).
* with CTC, the candidates of a row are pre-selected as the ``int(pre_beam_ratio * K)`` best by
  the attention score (when that is fewer than V); only they (and eos) get a CTC score.
* the result per utterance is its finished hypotheses sorted by score (or by score per output
  token with ``normalize_length``). If none finished and ``minlenratio >= 0.1``, the utterance is
  decoded again with ``minlenratio - 0.1``; otherwise its list is empty (ESPnet then writes no
  line; the command-line tool writes an empty one and counts it).

Finished utterances leave the batch at once, and the frames beyond the longest remaining one are
dropped, so a batch costs what its slowest utterance costs, not more.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import torch

from espnet_ext.decoding.ctc_prefix import CTCPrefixSession
from espnet_ext.decoding.hypothesis import EndDetector, Hypothesis, length_bounds
from espnet_ext.decoding.step import resolve_mode, start_session

logger = logging.getLogger(__name__)


class BatchBeamSearch:
    """Joint attention/CTC beam search for a padded batch of encoder outputs.

    Args:
        decoder: an ESPnet-style decoder (``forward_one_step`` with a memory mask, or
            ``batch_score``), see :mod:`espnet_ext.decoding.step`.
        sos, eos: start and end symbol ids.
        vocab_size: V, the size of the decoder's output layer.
        beam_size: K hypotheses kept per utterance.
        ctc: a module with ``log_softmax(hs_pad)`` (ESPnet's ``CTC``); needed if ctc_weight > 0.
        ctc_weight: weight of the CTC prefix score, in [0, 1).
        penalty: length bonus added per output token (ESPnet's ``--penalty``).
        pre_beam_ratio: CTC scores only the ``int(pre_beam_ratio * beam_size)`` best tokens.
        normalize_length: rank finished hypotheses by score / (len(yseq) - 1).
        blank: CTC blank id.
        decoder_mode: ``auto``, ``cached``, ``one_step`` or ``batch_score``.
    """

    def __init__(
        self,
        decoder,
        sos: int,
        eos: int,
        vocab_size: int,
        beam_size: int,
        ctc: torch.nn.Module | None = None,
        ctc_weight: float = 0.0,
        penalty: float = 0.0,
        pre_beam_ratio: float = 1.5,
        normalize_length: bool = False,
        blank: int = 0,
        decoder_mode: str = "auto",
    ):
        if beam_size < 1:
            raise ValueError(f"beam_size must be >= 1, got {beam_size}")
        if not 0.0 <= ctc_weight < 1.0:
            raise ValueError(f"ctc_weight must be in [0, 1), got {ctc_weight}")
        if ctc_weight > 0 and ctc is None:
            raise ValueError(f"ctc_weight={ctc_weight} needs a CTC module, but ctc is None")
        self.decoder = decoder
        self.sos = sos
        self.eos = eos
        self.vocab_size = vocab_size
        self.beam_size = beam_size
        self.ctc = ctc if ctc_weight > 0 else None
        self.ctc_weight = ctc_weight
        self.penalty = penalty
        self.pre_beam_size = int(pre_beam_ratio * beam_size)
        self.normalize_length = normalize_length
        self.blank = blank
        self.decoder_mode = resolve_mode(decoder, decoder_mode)

    @torch.no_grad()
    def __call__(
        self,
        enc: torch.Tensor,
        enc_lens: torch.Tensor,
        maxlenratio: float = 0.0,
        minlenratio: float = 0.0,
    ) -> list[list[Hypothesis]]:
        """Decode a batch.

        Args:
            enc: encoder output, (B, T, D) float, padded.
            enc_lens: valid frames per utterance, (B,) long.
            maxlenratio, minlenratio: as ESPnet's (see :func:`length_bounds`).

        Returns:
            per utterance, its finished hypotheses, best first (empty if none finished).
        """
        assert enc.dim() == 3 and enc_lens.dim() == 1, (enc.shape, enc_lens.shape)
        assert enc.size(0) == enc_lens.size(0), (enc.shape, enc_lens.shape)
        lens = enc_lens.tolist()
        results: list[list[Hypothesis]] = [[] for _ in lens]
        todo = [b for b, n in enumerate(lens) if n > 0]
        if todo:
            idx = torch.tensor(todo, device=enc.device)
            found = self._search(enc[idx], enc_lens.to(enc.device)[idx], maxlenratio, minlenratio)
            for b, hyps in zip(todo, found):
                results[b] = hyps
        retry = [b for b in todo if not results[b]]
        if retry and minlenratio >= 0.1:
            # ESPnet decodes such an utterance again with a smaller minimum length
            logger.warning(
                f"{len(retry)} utterance(s) ended no hypothesis; retrying with minlenratio "
                f"{max(0.0, minlenratio - 0.1):.2f}"
            )
            idx = torch.tensor(retry, device=enc.device)
            again = self(
                enc[idx],
                enc_lens[idx.to(enc_lens.device)],
                maxlenratio,
                max(0.0, minlenratio - 0.1),
            )
            for b, hyps in zip(retry, again):
                results[b] = hyps
        return results

    def _search(
        self, enc: torch.Tensor, enc_lens: torch.Tensor, maxlenratio: float, minlenratio: float
    ) -> list[list[Hypothesis]]:
        n_utt, beam, dev = enc.size(0), self.beam_size, enc.device
        lens = enc_lens.tolist()
        bounds = [length_bounds(n, maxlenratio, minlenratio) for n in lens]
        dec = start_session(self.decoder, enc, enc_lens, beam, self.decoder_mode)
        ctc = None
        if self.ctc is not None:
            ctc = CTCPrefixSession(self.ctc.log_softmax(enc), enc_lens, beam, self.blank, self.eos)
        beams = _Beams.start(n_utt, beam, self.sos, enc.dtype, dev)
        ended: list[list[Hypothesis]] = [[] for _ in range(n_utt)]
        detectors = [EndDetector() for _ in range(n_utt)]

        i = 0
        while True:
            logp = dec.step(beams.yseq)  # (N, V)
            weighted, ctc_scores = self._weighted_scores(logp, beams, ctc, i)
            top, rows, token = self._prune(weighted, len(beams.alive))
            beams.advance(rows, token, logp, ctc_scores)
            dec.reorder(rows)
            if ctc is not None:
                ctc.reorder(rows, token.view(-1))

            forced = torch.tensor([i == bounds[b][0] - 1 for b in beams.alive], device=dev)
            finish = (top > float("-inf")) & ((token == self.eos) | forced[:, None])
            self._collect(i, beams, top, finish, forced, bounds, ended, detectors)
            beams.score = top.masked_fill(finish, float("-inf"))
            n_running = (beams.score > float("-inf")).sum(dim=1).tolist()
            keep = [
                a
                for a, b in enumerate(beams.alive)
                if not (
                    i == bounds[b][0] - 1
                    or n_running[a] == 0
                    or (maxlenratio == 0.0 and detectors[b](i))
                )
            ]
            if not keep:
                break
            if len(keep) < len(beams.alive):
                utts = torch.tensor(keep, device=dev)
                beams.keep(utts)
                n_frames = max(lens[b] for b in beams.alive)
                dec.keep(utts, n_frames)
                if ctc is not None:
                    ctc.keep(utts, n_frames)
            i += 1

        if self.normalize_length:
            return [
                sorted(h, key=lambda h: h.score / (len(h.yseq) - 1), reverse=True) for h in ended
            ]
        return [sorted(h, key=lambda h: h.score, reverse=True) for h in ended]

    def _weighted_scores(
        self, logp: torch.Tensor, beams: _Beams, ctc: CTCPrefixSession | None, i: int
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(N, V) search scores of all continuations (and the CTC part, if any).

        Same order of operations as ESPnet: weighted full scorers (decoder, length bonus), the
        pre-beam on them, the weighted CTC score, the running hypothesis score.
        """
        weighted = (1.0 - self.ctc_weight) * logp if self.ctc_weight > 0 else logp.clone()
        if self.penalty != 0:
            weighted += self.penalty
        ctc_scores = None
        if ctc is not None:
            ids = None
            if self.pre_beam_size < self.vocab_size:
                ids = torch.topk(weighted, self.pre_beam_size, dim=-1)[1]
            ctc_scores = ctc.score(beams.yseq[:, -1], i, ids)
            weighted += self.ctc_weight * ctc_scores
        weighted += beams.score.view(-1, 1)
        return weighted, ctc_scores

    def _prune(
        self, weighted: torch.Tensor, n_alive: int
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The K best continuations per utterance: scores (A, K), parents (N,), tokens (A, K)."""
        beam, vocab = self.beam_size, self.vocab_size
        top, flat_idx = weighted.view(n_alive, beam * vocab).topk(beam, dim=-1)
        parent = torch.div(flat_idx, vocab, rounding_mode="floor")
        rows = (parent + torch.arange(n_alive, device=weighted.device)[:, None] * beam).view(-1)
        return top, rows, flat_idx % vocab

    def _collect(self, i, beams, top, finish, forced, bounds, ended, detectors) -> None:
        """Move the hypotheses that finished at step ``i`` to their utterance's list."""
        where = finish.nonzero().tolist()
        if not where:
            return
        rows = torch.tensor([a * self.beam_size + k for a, k in where], device=top.device)
        seqs = beams.yseq[rows].tolist()
        scores = top.view(-1)[rows].tolist()
        decs = beams.acc_dec[rows].tolist()
        ctcs = beams.acc_ctc[rows].tolist()
        forced_l = forced.tolist()
        for (a, _), seq, score, d, c in zip(where, seqs, scores, decs, ctcs):
            b = beams.alive[a]
            if forced_l[a]:
                seq = seq + [self.eos]  # ESPnet appends eos to every hypothesis at maxlen
            if i < bounds[b][1]:
                continue  # shorter than minlen: dropped
            parts = {"decoder": d, "length_bonus": float(i + 1)}
            if self.ctc is not None:
                parts["ctc"] = c
            ended[b].append(Hypothesis(yseq=seq, score=score, scores=parts))
            detectors[b].add(len(seq), score)


@dataclass
class _Beams:
    """Running hypotheses of the utterances still decoded; row a * K + k is slot k of utterance a.

    Attributes:
        alive: original batch index of each current utterance (A of them).
        yseq: (N, L) long, sos first; score: (A, K), -inf for empty slots;
        acc_dec, acc_ctc: (N,) unweighted accumulated decoder and CTC scores.
    """

    alive: list[int]
    yseq: torch.Tensor
    score: torch.Tensor
    acc_dec: torch.Tensor
    acc_ctc: torch.Tensor

    @classmethod
    def start(cls, n_utt: int, beam: int, sos: int, dtype: torch.dtype, device) -> _Beams:
        # only the first slot of each utterance starts (from sos), as ESPnet's one initial hyp
        score = torch.full((n_utt, beam), float("-inf"), dtype=dtype, device=device)
        score[:, 0] = 0.0
        zeros = torch.zeros(n_utt * beam, dtype=dtype, device=device)
        yseq = torch.full((n_utt * beam, 1), sos, dtype=torch.long, device=device)
        return cls(list(range(n_utt)), yseq, score, zeros, zeros.clone())

    def advance(self, rows, token, logp, ctc_scores) -> None:
        """Row j becomes its parent ``rows[j]`` extended by ``token``."""
        token = token.view(-1)
        self.yseq = torch.cat([self.yseq.index_select(0, rows), token[:, None]], dim=1)
        self.acc_dec = self.acc_dec[rows] + logp[rows, token]
        if ctc_scores is not None:
            self.acc_ctc = self.acc_ctc[rows] + ctc_scores[rows, token]

    def keep(self, utts: torch.Tensor) -> None:
        """Keep only utterances ``utts`` (indices into the current ones)."""
        beam = self.score.size(1)
        rows = (utts[:, None] * beam + torch.arange(beam, device=utts.device)).view(-1)
        self.alive = [self.alive[a] for a in utts.tolist()]
        self.yseq, self.acc_dec, self.acc_ctc = (
            self.yseq[rows],
            self.acc_dec[rows],
            self.acc_ctc[rows],
        )
        self.score = self.score[utts]
