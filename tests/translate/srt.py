"""A small SubRip parser for the tests (strict: numbering, timestamp syntax, order)."""

from __future__ import annotations

import re

_TIME = r"(\d{2}):(\d{2}):(\d{2}),(\d{3})"
_LINE = re.compile(rf"^{_TIME} --> {_TIME}$")


def parse_srt(text: str) -> list[tuple[int, float, float, str]]:
    """[(number, start, end, text)]; raises AssertionError on anything malformed."""
    cues = []
    blocks = [b for b in text.strip("\n").split("\n\n")] if text.strip() else []
    for expected, block in enumerate(blocks, 1):
        lines = block.split("\n")
        assert len(lines) >= 3, f"cue {expected}: expected number, times, text; got {lines!r}"
        assert lines[0] == str(expected), f"cue numbered {lines[0]!r}, expected {expected}"
        m = _LINE.match(lines[1])
        assert m, f"cue {expected}: bad timestamp line {lines[1]!r}"
        h1, m1, s1, ms1, h2, m2, s2, ms2 = map(int, m.groups())
        assert m1 < 60 and s1 < 60 and m2 < 60 and s2 < 60, lines[1]
        start = h1 * 3600 + m1 * 60 + s1 + ms1 / 1000
        end = h2 * 3600 + m2 * 60 + s2 + ms2 / 1000
        assert start < end, f"cue {expected}: start {start} >= end {end}"
        assert not cues or cues[-1][2] <= start, f"cue {expected} overlaps the previous one"
        text_lines = lines[2:]
        assert all(t.strip() for t in text_lines), f"cue {expected}: empty text line"
        cues.append((expected, start, end, "\n".join(text_lines)))
    return cues
