"""Counted, logged skips of data preparation, reported at the end and in the data dir.

``prep_report.json``::

    {"input_segments": 120, "kept": 117,
     "skipped": {"missing_wav": 2, "empty_text": 1},
     "info": {"non_16k_wav": 1, "long_segment": 1},
     "notes": [{"kind": "non_16k_wav", "file": ".../ted_3.wav", "index": 0, "detail": "8000 Hz"}]}

``input_segments == kept + sum(skipped.values())`` always holds (``write`` refuses otherwise).
``prep_skipped.txt`` lists each skipped entry, one per line, tab-separated:
``<file> <index> <reason> <detail>`` sorted by file and index, where ``index`` is the 1-based entry
number in ``file`` (the yaml entry, which is also the line of the aligned text files, or the line
of a How2 ``segments`` file). Notes (``info``) remove nothing; they tell later stages what to
convert or filter; a note about a whole audio file has index 0.
"""

from __future__ import annotations

import json
import logging
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from espnet_ext.fileio import atomic_open

# Each reason logs its first entries as warnings and the rest at debug level, so a talk with
# thousands of segments and no audio does not flood the log; the file lists every entry.
MAX_LOGGED_PER_REASON = 20


@dataclass(frozen=True)
class Entry:
    reason: str
    file: str
    index: int
    detail: str


def _one_line(text: str) -> str:
    return text.replace("\t", " ").replace("\r", " ").replace("\n", " ")


class SkipReport:
    """Counts of input, kept and skipped segments (by reason) for one output data dir."""

    def __init__(self, name: str, *, max_logged_per_reason: int = MAX_LOGGED_PER_REASON):
        self.name = name
        self.input_segments = 0
        self.kept = 0
        self.skipped: list[Entry] = []
        self.notes: list[Entry] = []
        self._max_logged = max_logged_per_reason
        self._logged: Counter[str] = Counter()

    def add_input(self, n: int) -> None:
        self.input_segments += n

    def keep(self, n: int = 1) -> None:
        self.kept += n

    def _log(self, level: int, what: str, entry: Entry) -> None:
        self._logged[entry.reason] += 1
        count = self._logged[entry.reason]
        if count > self._max_logged:
            level = logging.DEBUG
        where = f"{entry.file} entry {entry.index}" if entry.index else entry.file
        logging.log(level, "%s: %s %s: %s: %s", self.name, what, entry.reason, where, entry.detail)
        if count == self._max_logged:
            logging.warning(
                "%s: further %r entries are logged at debug level", self.name, entry.reason
            )

    def skip(self, reason: str, file: str | os.PathLike, index: int, detail: str = "") -> None:
        entry = Entry(reason, str(file), index, _one_line(detail))
        self.skipped.append(entry)
        self._log(logging.WARNING, "skip", entry)

    def note(self, kind: str, file: str | os.PathLike, index: int, detail: str = "") -> None:
        """Record something kept but worth knowing (resampling needed, a very long segment)."""
        entry = Entry(kind, str(file), index, _one_line(detail))
        self.notes.append(entry)
        self._log(logging.INFO, "note", entry)

    def skipped_by_reason(self) -> dict[str, int]:
        return dict(sorted(Counter(e.reason for e in self.skipped).items()))

    def summary(self) -> dict:
        return {
            "input_segments": self.input_segments,
            "kept": self.kept,
            "skipped": self.skipped_by_reason(),
            "info": dict(sorted(Counter(e.reason for e in self.notes).items())),
            "notes": [
                {"kind": e.reason, "file": e.file, "index": e.index, "detail": e.detail}
                for e in self.notes
            ],
        }

    def check(self) -> None:
        """Raise if the counts do not reconcile (a bug in the caller, never a corpus fault)."""
        if self.input_segments != self.kept + len(self.skipped):
            raise RuntimeError(
                f"{self.name}: counts do not reconcile: input {self.input_segments} != kept "
                f"{self.kept} + skipped {len(self.skipped)} {self.skipped_by_reason()}"
            )

    def write(self, out_dir: str | os.PathLike) -> None:
        """Write ``prep_report.json`` and ``prep_skipped.txt`` into ``out_dir``."""
        self.check()
        out_dir = Path(out_dir)
        with atomic_open(out_dir / "prep_report.json") as f:
            json.dump(self.summary(), f, indent=2, ensure_ascii=False)
            f.write("\n")
        with atomic_open(out_dir / "prep_skipped.txt") as f:
            f.write("# file\tindex\treason\tdetail\n")
            for e in sorted(self.skipped, key=lambda e: (e.file, e.index)):
                f.write(f"{e.file}\t{e.index}\t{e.reason}\t{e.detail}\n")

    def log_summary(self) -> None:
        skipped = self.skipped_by_reason()
        info = dict(Counter(e.reason for e in self.notes))
        logging.info(
            "%s: %d input segments, %d kept, %d skipped %s%s",
            self.name,
            self.input_segments,
            self.kept,
            len(self.skipped),
            skipped or "",
            f"; notes {info}" if info else "",
        )
