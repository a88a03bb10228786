"""Reading dumped segments and splitting utterance lists into jobs."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import soundfile as sf


def read_wav(path: str, fs: int, where: str = "") -> np.ndarray:
    """(N,) float32 mono samples of a dumped segment; the rate must be ``fs`` (stage 3 resampled)."""
    data, rate = sf.read(path, dtype="float32", always_2d=True)
    if rate != fs:
        raise ValueError(
            f"{where or path}: sample rate {rate} Hz, expected {fs} Hz (dumped audio)"
        )
    return data.mean(axis=1)


def split_job(keys: Sequence[str], job: int, nj: int) -> list[str]:
    """Job ``job`` (1-based) of ``nj``: a contiguous, nearly equal share of the sorted ``keys``."""
    if not 1 <= job <= nj:
        raise ValueError(f"job {job} out of range 1..{nj}")
    keys = sorted(keys)
    lo, hi = round((job - 1) * len(keys) / nj), round(job * len(keys) / nj)
    return keys[lo:hi]
