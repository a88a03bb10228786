"""Merging per-job decoding outputs and recording the decoding real-time factor."""

from __future__ import annotations

import json
import re
from pathlib import Path

from espnet_ext.fileio import write_text_atomic
from espnet_ext.pipeline.datadir import read_map, write_map


def merge_texts(
    parts: list[str | Path], out: str | Path, expected_keys: str | Path | None = None
) -> int:
    """Concatenate Kaldi text parts into ``out``; with ``expected_keys`` (a key file or Kaldi map),
    fail naming the utterances that no part produced."""
    merged: dict[str, str] = {}
    for part in parts:
        merged.update(read_map(part))
    if expected_keys is not None:
        expected = set(read_map(expected_keys))
        missing = sorted(expected - set(merged))
        if missing:
            raise ValueError(
                f"{out}: {len(missing)} utterances have no output, e.g. {missing[:5]}"
            )
    write_map(out, merged)
    return len(merged)


def write_rtf(
    data_dir: str | Path,
    decode_seconds: float,
    out: str | Path,
    fs: int | None = None,
    device: str = "cpu",
    jobs: int = 1,
) -> dict:
    """Wall seconds of a set's decoding over its audio seconds. The device and the number of
    parallel jobs go with it, since a GPU or more jobs change the figure as much as the model."""
    if device not in ("cpu", "gpu"):
        raise ValueError(f"device must be cpu or gpu, not {device!r}")
    data_dir = Path(data_dir)
    fs = fs or int((data_dir / "fs").read_text())
    samples = [int(n) for n in read_map(data_dir / "utt2num_samples").values()]
    audio_seconds = sum(samples) / fs
    info = {
        "audio_seconds": round(audio_seconds, 3),
        "decode_seconds": round(decode_seconds, 3),
        "rtf": round(decode_seconds / audio_seconds, 5) if audio_seconds else None,
        "n_utts": len(samples),
        "device": device,
        "jobs": jobs,
    }
    write_text_atomic(out, json.dumps(info, indent=1) + "\n")
    return info


def resolve_model_file(exp_dir: str | Path, name: str) -> Path:
    """The checkpoint ``name`` of ``exp_dir``; for an n-best average ``<crit>.ave_<n>best.pth`` that
    does not exist, the largest ``<crit>.ave_<m>best.pth`` with m < n (ESPnet averages only as many
    epochs as ran)."""
    exp_dir = Path(exp_dir)
    if (exp_dir / name).exists():
        return exp_dir / name
    match = re.fullmatch(r"(.+)\.ave_(\d+)best\.pth", name)
    if match:
        prefix, n = match.group(1), int(match.group(2))
        found = []
        for p in exp_dir.glob(f"{prefix}.ave_*best.pth"):
            m = re.fullmatch(re.escape(prefix) + r"\.ave_(\d+)best\.pth", p.name)
            if m and int(m.group(1)) < n:
                found.append((int(m.group(1)), p))
        if found:
            return max(found)[1]
    raise FileNotFoundError(f"{exp_dir}: no {name} (training unfinished? see {exp_dir}/train.log)")
