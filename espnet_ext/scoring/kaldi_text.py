"""Reading Kaldi ``<key> <value>`` files (``text``, ``utt2dur``) with errors naming file:line."""

from __future__ import annotations

import os
from pathlib import Path


def read_kaldi_text(path: str | os.PathLike) -> dict[str, str]:
    """Read ``<utt_id> <text>`` lines into an ordered ``{utt_id: text}``.

    The text is everything after the first run of whitespace, stripped; a line holding only an
    utterance id has an empty text (decoders write that for an empty hypothesis). Empty lines,
    repeated ids and bytes that are not UTF-8 are errors naming the file and line.
    """
    path = Path(path)
    out: dict[str, str] = {}
    first_line: dict[str, int] = {}
    with path.open("rb") as f:
        for lineno, raw in enumerate(f, 1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                raise ValueError(f"{path}:{lineno}: not valid UTF-8 ({e})") from None
            parts = line.strip().split(maxsplit=1)
            if not parts:
                raise ValueError(f"{path}:{lineno}: empty line (expected '<utt_id> <text>')")
            key = parts[0]
            if key in out:
                raise ValueError(
                    f"{path}:{lineno}: utterance id {key!r} repeated (first on line "
                    f"{first_line[key]})"
                )
            out[key] = parts[1].strip() if len(parts) > 1 else ""
            first_line[key] = lineno
    return out


def read_utt2dur(path: str | os.PathLike) -> dict[str, float]:
    """Read ``<utt_id> <seconds>`` lines into ``{utt_id: seconds}``."""
    path = Path(path)
    out: dict[str, float] = {}
    for key, value in read_kaldi_text(path).items():
        try:
            seconds = float(value)
        except ValueError:
            seconds = float("nan")
        if not seconds >= 0.0:  # also catches NaN
            raise ValueError(f"{path}: duration of {key!r} is {value!r}, not seconds >= 0")
        out[key] = seconds
    return out
