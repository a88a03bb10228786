"""Audio headers: read once per recording, classify what cannot be used.

Data preparation never decodes audio; it only needs each recording's length, sample rate and
channel count, which ``soundfile.info`` reads from the header. A corpus of 280k segments has a few
thousand talks, so reading each header once (in a thread pool) keeps preparation fast.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import soundfile

# Seconds a segment may extend past the end of its audio before it counts as out of bounds:
# offsets and durations in corpus files are rounded (MuST-C yaml to ~1 ms, ends of talks to
# whole frames), so an exact check would reject correct segments.
END_TOLERANCE_S = 0.05

# What preparation can read but later stages must convert (downmix, resample).
EXPECTED_SAMPLE_RATE = 16000

# Reasons a recording cannot be used (they become skip reasons for its segments).
MISSING = "missing_wav"
UNREADABLE = "unreadable_wav"
EMPTY = "empty_wav"


@dataclass(frozen=True)
class AudioInfo:
    frames: int
    samplerate: int
    channels: int

    @property
    def duration(self) -> float:
        return self.frames / self.samplerate


class AudioReadError(Exception):
    """A recording that cannot be used; ``reason`` is one of the constants above."""

    def __init__(self, reason: str, path: str | os.PathLike, detail: str):
        super().__init__(f"{reason}: {path}: {detail}")
        self.reason = reason
        self.path = str(path)
        self.detail = detail


def read_audio_info(path: str | os.PathLike) -> AudioInfo:
    """Read the header of ``path``; raise :class:`AudioReadError` naming the reason."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise AudioReadError(MISSING, path, "no such file") from None
    except OSError as e:
        raise AudioReadError(UNREADABLE, path, e.strerror or str(e)) from None
    if not path.is_file():
        raise AudioReadError(UNREADABLE, path, "not a regular file")
    if size == 0:
        raise AudioReadError(EMPTY, path, "file has 0 bytes")
    try:
        info = soundfile.info(str(path))
    except (soundfile.SoundFileError, RuntimeError) as e:
        # libsndfile's message already says what is wrong with the header.
        raise AudioReadError(UNREADABLE, path, str(e).replace(f"'{path}'", "file")) from None
    if info.frames <= 0 or info.samplerate <= 0:
        raise AudioReadError(EMPTY, path, f"{info.frames} frames at {info.samplerate} Hz")
    return AudioInfo(frames=info.frames, samplerate=info.samplerate, channels=info.channels)


def _read_or_error(path: str) -> AudioInfo | AudioReadError:
    try:
        return read_audio_info(path)
    except AudioReadError as e:
        return e


def read_audio_infos(
    paths: Iterable[str | os.PathLike], *, nj: int = 1
) -> dict[str, AudioInfo | AudioReadError]:
    """Read each distinct header once: ``{str(path): AudioInfo or AudioReadError}``.

    Args:
        nj: threads; libsndfile releases the GIL, so threads overlap the file-system waits.
    """
    unique = list(dict.fromkeys(str(p) for p in paths))
    if nj <= 1 or len(unique) < 2:
        results = [_read_or_error(p) for p in unique]
    else:
        with ThreadPoolExecutor(max_workers=nj) as pool:
            results = list(pool.map(_read_or_error, unique))
    logging.debug("read %d audio headers", len(unique))
    return dict(zip(unique, results))
