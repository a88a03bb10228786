"""Finished hypotheses, search length bounds and ESPnet's end detection, shared by the searches."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

# ESPnet's `end_detect` (Watanabe et al. 2017, eq. 50) defaults: M=3 lengths, D_end=log(1*e^-10).
END_DETECT_M = 3
END_DETECT_D_END = math.log(1 * math.exp(-10))


@dataclass
class Hypothesis:
    """One finished hypothesis of one utterance.

    Attributes:
        yseq: token ids as ESPnet keeps them: ``[sos, y_1, ..., y_n, eos]`` (a hypothesis cut at
            the maximum length gets ``eos`` appended without being scored, as in ESPnet).
        score: the weighted search score (sum over scorers of weight * log score).
        scores: the unweighted accumulated score of each scorer (``decoder``, ``ctc``,
            ``length_bonus``), as in ESPnet's ``Hypothesis.scores``.
    """

    yseq: list[int]
    score: float
    scores: dict[str, float] = field(default_factory=dict)

    def token_ids(self) -> list[int]:
        """The output tokens: ``yseq[1:-1]`` (drops sos and the final eos, like st_inference)."""
        return self.yseq[1:-1]


def length_bounds(enc_len: int, maxlenratio: float, minlenratio: float) -> tuple[int, int]:
    """ESPnet's ``BeamSearch.forward`` length bounds for one utterance of ``enc_len`` frames.

    ``maxlenratio == 0``: maxlen = enc_len (and end detection decides when to stop);
    ``< 0``: maxlen = -maxlenratio (a constant); ``> 0``: max(1, int(maxlenratio * enc_len)).
    ``minlenratio < 0``: minlen = -minlenratio; else int(minlenratio * enc_len).
    """
    if maxlenratio == 0:
        maxlen = enc_len
    elif maxlenratio < 0:
        maxlen = -1 * int(maxlenratio)
    else:
        maxlen = max(1, int(maxlenratio * enc_len))
    if minlenratio < 0:
        minlen = -1 * int(minlenratio)
    else:
        minlen = int(minlenratio * enc_len)
    return maxlen, minlen


class EndDetector:
    """ESPnet's ``end_detect`` for one utterance, kept incrementally.

    At output step ``i`` the search may stop once, for each of the lengths ``i, i-1, i-2`` (lengths
    of ``yseq`` including sos and eos), some hypothesis of that length has ended and the best of
    them scores more than 10 (``-D_end``) below the best ended hypothesis overall.
    """

    def __init__(self) -> None:
        self.best = -math.inf
        self.best_by_len: dict[int, float] = {}

    def add(self, yseq_len: int, score: float) -> None:
        self.best = max(self.best, score)
        prev = self.best_by_len.get(yseq_len, -math.inf)
        self.best_by_len[yseq_len] = max(prev, score)

    def __call__(self, i: int) -> bool:
        if not self.best_by_len:
            return False
        count = 0
        for m in range(END_DETECT_M):
            best_len = self.best_by_len.get(i - m)
            if best_len is not None and best_len - self.best < END_DETECT_D_END:
                count += 1
        return count == END_DETECT_M
