"""Reading a dumped ``wav.scp`` and grouping its utterances into length-sorted batches."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile

logger = logging.getLogger(__name__)


@dataclass
class Utterance:
    key: str
    path: str
    num_samples: int


def read_scp(path: str | Path) -> dict[str, str]:
    """``<key> <value>`` lines -> dict, in file order; a bad line raises naming file and line."""
    entries: dict[str, str] = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            parts = line.rstrip("\n").split(maxsplit=1)
            if len(parts) != 2:
                raise ValueError(f"{path}:{n}: expected '<key> <value>', got {line.rstrip()!r}")
            if parts[0] in entries:
                raise ValueError(f"{path}:{n}: duplicate key {parts[0]!r}")
            entries[parts[0]] = parts[1].strip()
    return entries


def read_utterances(wav_scp: str | Path, key_file: str | Path | None = None) -> list[Utterance]:
    """The utterances of ``wav_scp`` (or of its subset listed in ``key_file``), with lengths.

    Lengths come from ``utt2num_samples`` next to ``wav_scp`` when it lists every key, else from
    the audio file headers.
    """
    wavs = read_scp(wav_scp)
    if key_file is not None:
        keys = list(read_first_column(key_file))
        missing = [k for k in keys if k not in wavs]
        if missing:
            raise KeyError(
                f"{key_file}: {len(missing)} key(s) not in {wav_scp}, e.g. {missing[0]!r}"
            )
    else:
        keys = list(wavs)
    num_file = Path(wav_scp).parent / "utt2num_samples"
    nums = read_scp(num_file) if num_file.exists() else {}
    utts = []
    for key in keys:
        path = wavs[key]
        if key in nums:
            n = int(nums[key])
        else:
            try:
                n = soundfile.info(path).frames
            except (RuntimeError, OSError) as e:
                raise ValueError(f"{wav_scp}: utterance {key!r}: cannot read {path}: {e}") from e
        utts.append(Utterance(key, path, n))
    return utts


def read_first_column(path: str | Path) -> list[str]:
    with open(path, encoding="utf-8") as f:
        return [line.split(maxsplit=1)[0] for line in f if line.strip()]


def load_audio(utt: Utterance) -> tuple[np.ndarray, int]:
    """(samples (L,) float32 in [-1, 1], sampling rate); mono only."""
    try:
        wav, rate = soundfile.read(utt.path, dtype="float32", always_2d=False)
    except (RuntimeError, OSError) as e:
        raise ValueError(f"utterance {utt.key!r}: cannot read {utt.path}: {e}") from e
    if wav.ndim != 1:
        raise ValueError(f"utterance {utt.key!r}: {utt.path} has shape {wav.shape}; expected mono")
    return wav, rate


def make_batches(
    utts: Sequence[Utterance], batch_bins: int, batch_size: int | None = None
) -> list[list[Utterance]]:
    """Group utterances, longest first, so that a padded batch has at most ``batch_bins`` samples.

    A batch of n utterances whose longest has L samples costs n * L bins (padding included); it
    also holds at most ``batch_size`` utterances when that is given. An utterance longer than
    ``batch_bins`` forms a batch of its own.
    """
    if batch_bins < 1:
        raise ValueError(f"batch_bins must be >= 1, got {batch_bins}")
    if batch_size is not None and batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    ordered = sorted(utts, key=lambda u: (-u.num_samples, u.key))
    batches: list[list[Utterance]] = []
    current: list[Utterance] = []
    for utt in ordered:
        longest = current[0].num_samples if current else utt.num_samples
        full = batch_size is not None and len(current) >= batch_size
        if current and (full or longest * (len(current) + 1) > batch_bins):
            batches.append(current)
            current = []
        current.append(utt)
    if current:
        batches.append(current)
    n_long = sum(1 for b in batches if b[0].num_samples > batch_bins)
    if n_long:
        logger.info(f"{n_long} utterance(s) longer than batch_bins={batch_bins} decoded alone")
    return batches
