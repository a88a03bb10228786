"""Translating many files: discovery, chunked batching with progress, per-file failures, resume.

Files are read and segmented one after the other; once the audio read so far reaches
``chunk_seconds`` (or the files run out), the segments of those files are translated together,
longest first in batches (see ``Translator.translate_segments``), and the files' results are
yielded in input order. The chunk bounds memory on a folder of long lectures while still
batching across short files. A file that cannot be translated (missing, unreadable, empty,
no speech) becomes a :class:`FileResult` with ``error`` set; the others go on.

:class:`ResultStore` keeps finished files in ``<output>.partial.jsonl`` so that an interrupted
run over a folder continues where it stopped instead of translating everything again.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from espnet_ext.fileio import write_text_atomic
from espnet_ext.translate.audio import AUDIO_EXTENSIONS, AudioError
from espnet_ext.translate.translator import Segment, Translator

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class InputFile:
    """``path`` to read, ``name`` to write its output as (relative to the directory it was
    found in, or its base name), ``problem`` when it cannot be read at all."""

    path: str
    name: str
    problem: str | None = None


@dataclass
class FileResult:
    path: str
    segments: list[Segment] = field(default_factory=list)
    duration: float = 0.0
    error: str | None = None

    def to_json(self) -> dict:
        segs = [[s.start, s.end, s.text] for s in self.segments]
        return {"path": self.path, "duration": self.duration, "segments": segs}

    @classmethod
    def from_json(cls, d: dict) -> FileResult:
        segs = [Segment(float(a), float(b), str(t)) for a, b, t in d["segments"]]
        return cls(d["path"], segs, float(d["duration"]))


def discover(inputs: list[str | os.PathLike]) -> list[InputFile]:
    """Expand files and directories, in the order given; directories are walked recursively
    (sorted) for :data:`AUDIO_EXTENSIONS`. A missing path or a directory without audio becomes
    one entry with a ``problem``, reported with the other failures."""
    found: list[InputFile] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            files = sorted(
                p for p in path.rglob("*") if p.suffix.lower() in AUDIO_EXTENSIONS and p.is_file()
            )
            if not files:
                problem = f"{path}: directory has no audio files ({' '.join(AUDIO_EXTENSIONS)})"
                found.append(InputFile(str(path), path.name, problem))
            found.extend(InputFile(str(p), p.relative_to(path).as_posix()) for p in files)
        elif path.exists():
            found.append(InputFile(str(path), path.name))
        else:
            found.append(InputFile(str(path), path.name, f"{path}: no such file"))
    return found


def _header_seconds(path: str) -> float:
    import soundfile as sf

    try:
        return float(sf.info(path).duration)
    except Exception:  # unreadable files are reported when they are read
        return 0.0


def translate_files(
    translator: Translator,
    files: list[InputFile],
    chunk_seconds: float = 1800.0,
    progress: bool = True,
) -> Iterator[FileResult]:
    """Yield one :class:`FileResult` per file, in the order of ``files``."""
    from tqdm import tqdm

    fs = translator.sample_rate
    expected = {f.path: _header_seconds(f.path) for f in files if f.problem is None}
    bar = tqdm(
        total=round(sum(expected.values()), 1), unit="s", desc="translating", disable=not progress
    )
    pending: list[tuple[InputFile, FileResult, list, list]] = []  # file, result, spans, waves
    pending_seconds = 0.0

    def flush():
        waves = [w for _, _, _, pieces in pending for w in pieces]
        texts = translator.translate_segments(
            waves, on_batch=lambda batch: bar.update(round(sum(len(w) for w in batch) / fs, 1))
        )
        pos = 0
        for f, result, spans, pieces in pending:
            result.segments = [
                Segment(s.start, s.end, t) for s, t in zip(spans, texts[pos : pos + len(pieces)])
            ]
            pos += len(pieces)
            # the rest of the file (pauses, or all of it when it failed) counts as done too
            speech = sum(len(w) for w in pieces) / fs
            bar.update(round(max(0.0, expected.get(f.path, 0.0) - speech), 1))
        done = [r for _, r, _, _ in pending]
        pending.clear()
        return done

    for f in files:
        if f.problem is not None:
            result = FileResult(f.path, error=f.problem)
        else:
            try:
                wave = translator.load(f.path)
            except AudioError as e:
                result = FileResult(f.path, error=str(e))
            else:
                spans, reason = translator.segment(wave)
                result = FileResult(f.path, duration=len(wave) / fs)
                if not spans:
                    result.error = f"{f.path}: {reason}"
                else:
                    pending.append((f, result, spans, translator.cut(wave, spans)))
                    pending_seconds += result.duration
        if result.error is not None:
            logger.error("FAILED %s", result.error)
            pending.append((f, result, [], []))
        if pending_seconds >= chunk_seconds:
            yield from flush()
            pending_seconds = 0.0
    yield from flush()
    bar.close()


class ResultStore:
    """Finished files of a run, appended to ``path`` (JSON lines) as they complete.

    The first line records ``settings`` (pack checksum, beam, segmentation); a file written
    with other settings is started afresh, so a changed model never mixes into the output.
    """

    def __init__(self, path: str | os.PathLike, settings: dict):
        self.path = Path(path)
        self.settings = settings
        self.done: dict[str, FileResult] = {}
        header = json.dumps({"settings": settings}, sort_keys=True) + "\n"
        if self.path.exists():
            lines = self.path.read_text(encoding="utf-8").split("\n")
            if lines[0] + "\n" == header:
                for lineno, line in enumerate(lines[1:], 2):
                    try:
                        result = FileResult.from_json(json.loads(line))
                    except (json.JSONDecodeError, KeyError, TypeError, ValueError):
                        if line.strip():  # only a last line cut short by a crash gets here
                            logger.warning(
                                "%s:%d: ignoring an incomplete record", self.path, lineno
                            )
                        continue
                    self.done[result.path] = result
                if self.done:
                    logger.info(
                        "resuming: %d files already translated (%s)", len(self.done), self.path
                    )
            else:
                logger.warning(
                    "%s: written with other settings; translating from scratch", self.path
                )
        # rewrite: drops a cut-off last line and records the settings
        write_text_atomic(
            self.path,
            header
            + "".join(
                json.dumps(r.to_json(), ensure_ascii=False) + "\n" for r in self.done.values()
            ),
        )

    def add(self, result: FileResult) -> None:
        if result.error is not None:
            return  # failures are retried by the next run
        self.done[result.path] = result
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(result.to_json(), ensure_ascii=False) + "\n")
            f.flush()
            os.fsync(f.fileno())

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)
