"""Unit sequences as text: consecutive-repeat removal and the unit <-> character mapping.

Each cluster id ``u`` becomes the single character ``chr(offset + u)``. The default offset
``0x4E00`` puts units in the CJK Unified Ideographs block (U+4E00..U+9FFF, 20992 code points), the
convention of ESPnet's discrete-unit recipes: every id is one code point that SentencePiece
treats as an ordinary letter, that NFKC leaves alone, and that an English (Latin) text vocabulary
never contains. A pretrained text vocabulary that does cover CJK (mBART's) needs another block,
e.g. ``0xF0000`` (Supplementary Private Use Area-A, 65534 code points); the joint vocabulary
checks that the two sets of pieces are disjoint and refuses otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

DEFAULT_OFFSET = 0x4E00
# Blocks whose every code point is a plain character (no combining marks, no NFKC changes).
_BLOCKS = {
    0x4E00: 0x9FFF - 0x4E00 + 1,
    0xE000: 0xF8FF - 0xE000 + 1,
    0xF0000: 0xFFFFD - 0xF0000 + 1,
}


def remove_repeats(ids: Iterable[int]) -> list[int]:
    """Collapse runs of the same id: ``[5, 5, 7, 7, 7, 5] -> [5, 7, 5]``."""
    out: list[int] = []
    for i in ids:
        if not out or out[-1] != i:
            out.append(i)
    return out


class UnitCharMap:
    """Bijection between ids ``0..n_units-1`` and the characters ``chr(offset + id)``.

    Args:
        n_units: number of k-means clusters.
        offset: first code point; one of the blocks in ``_BLOCKS`` (CJK, BMP private use,
            supplementary private use A), which must hold ``n_units`` code points.
    """

    def __init__(self, n_units: int, offset: int = DEFAULT_OFFSET):
        if offset not in _BLOCKS:
            blocks = ", ".join(f"0x{b:X} ({n} ids)" for b, n in _BLOCKS.items())
            raise ValueError(
                f"unit_char_offset 0x{offset:X} is not supported; choose one of {blocks}"
            )
        if not 0 < n_units <= _BLOCKS[offset]:
            raise ValueError(
                f"{n_units} units do not fit the block at 0x{offset:X} ({_BLOCKS[offset]} code points)"
            )
        self.n_units = n_units
        self.offset = offset

    def is_unit_char(self, ch: str) -> bool:
        return self.offset <= ord(ch) < self.offset + self.n_units

    def to_chars(self, ids: Sequence[int]) -> str:
        for i in ids:
            if not 0 <= i < self.n_units:
                raise ValueError(f"unit id {i} outside 0..{self.n_units - 1}")
        return "".join(chr(self.offset + i) for i in ids)

    def to_ids(self, chars: str) -> list[int]:
        out = []
        for pos, ch in enumerate(chars):
            if not self.is_unit_char(ch):
                raise ValueError(
                    f"character {ch!r} (U+{ord(ch):04X}) at position {pos} of {chars[:20]!r}... is not "
                    f"a unit character (U+{self.offset:04X}..U+{self.offset + self.n_units - 1:04X})"
                )
            out.append(ord(ch) - self.offset)
        return out
