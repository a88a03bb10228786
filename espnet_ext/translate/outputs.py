"""Output formats of the translate command: plain text, JSON lines, SRT subtitles.

* ``text``: one line per segment (the translation only); with ``per_file`` one line per input
  file (its segments joined by spaces). With several input files each line starts with the
  file's path and a tab, so lines can be told apart.
* ``jsonl``: one JSON object per segment:
  ``{"file": path, "segment": 0, "start": 1.23, "end": 4.56, "translation": "..."}``
  (times in seconds, 3 decimals; segments numbered from 0 within each file).
* ``srt``: SubRip subtitles of one file: blocks of a number (from 1), a
  ``HH:MM:SS,mmm --> HH:MM:SS,mmm`` line and the text, separated by blank lines. Segments
  with an empty translation get no block.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from espnet_ext.translate.translator import Segment

FORMATS = ("text", "jsonl", "srt")
EXTENSIONS = {"text": ".txt", "jsonl": ".jsonl", "srt": ".srt"}


def srt_time(seconds: float) -> str:
    """``HH:MM:SS,mmm`` (SubRip), rounded to the millisecond."""
    ms = max(0, round(seconds * 1000))
    hours, ms = divmod(ms, 3_600_000)
    minutes, ms = divmod(ms, 60_000)
    secs, ms = divmod(ms, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d},{ms:03d}"


def format_srt(segments: Sequence[Segment]) -> str:
    blocks = []
    for seg in segments:
        text = " ".join(seg.text.split())  # one line per cue; blank lines would end the cue
        if not text:
            continue
        n = len(blocks) + 1
        blocks.append(f"{n}\n{srt_time(seg.start)} --> {srt_time(seg.end)}\n{text}\n")
    return "\n".join(blocks)


def format_jsonl(path: str, segments: Sequence[Segment]) -> str:
    lines = []
    for i, seg in enumerate(segments):
        record = {
            "file": path,
            "segment": i,
            "start": round(seg.start, 3),
            "end": round(seg.end, 3),
            "translation": seg.text,
        }
        lines.append(json.dumps(record, ensure_ascii=False) + "\n")
    return "".join(lines)


def format_text(path: str | None, segments: Sequence[Segment], per_file: bool = False) -> str:
    """Lines of one file; ``path`` (when given) prefixes each line with ``path<TAB>``."""
    texts = [" ".join(s.text.split()) for s in segments]
    if per_file:
        texts = [" ".join(t for t in texts if t)]
    prefix = f"{path}\t" if path is not None else ""
    return "".join(f"{prefix}{t}\n" for t in texts)


def format_result(
    fmt: str, path: str, segments: Sequence[Segment], name_lines: bool, per_file: bool = False
) -> str:
    """One file's output in ``fmt``; ``name_lines`` adds the path to text lines."""
    if fmt == "text":
        return format_text(path if name_lines else None, segments, per_file)
    if fmt == "jsonl":
        return format_jsonl(path, segments)
    if fmt == "srt":
        return format_srt(segments)
    raise ValueError(f"unknown output format {fmt!r}; choose one of {FORMATS}")
