"""Stage 4: drop training utterances that are too short, too long or have empty text.

Test sets are never filtered (their scores must cover every segment); the pipeline filters the
training and validation sets only. Every drop is counted by reason in ``filter_report.json`` and
listed in ``filter_dropped.txt``. The output dir is built beside ``dst`` and renamed into place.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections import Counter
from pathlib import Path

from espnet_ext.fileio import atomic_dir, atomic_open, write_text_atomic
from espnet_ext.pipeline.datadir import read_map, subset_files, write_map

log = logging.getLogger(__name__)


def filter_dir(
    src: str | Path,
    dst: str | Path,
    min_seconds: float = 0.1,
    max_seconds: float = 20.0,
    max_text_chars: int = 1000,
    fs: int | None = None,
) -> dict:
    src, dst = Path(src), Path(dst)
    fs = fs or int((src / "fs").read_text())
    num_samples = {u: int(n) for u, n in read_map(src / "utt2num_samples").items()}
    texts = {p.name: read_map(p) for p in sorted(src.glob("text*"))}
    reasons: dict[str, str] = {}
    for utt, n in num_samples.items():
        seconds = n / fs
        if seconds < min_seconds:
            reasons[utt] = f"too_short(<{min_seconds}s)"
        elif seconds > max_seconds:
            reasons[utt] = f"too_long(>{max_seconds}s)"
        else:
            for name, mapping in texts.items():
                text = mapping.get(utt, "").strip()
                if not text:
                    reasons[utt] = f"empty_{name}"
                    break
                if len(text) > max_text_chars:
                    reasons[utt] = f"long_{name}(>{max_text_chars} chars)"
                    break
    keep = set(num_samples) - set(reasons)
    if not keep:
        raise ValueError(
            f"{src}: filtering would drop all {len(num_samples)} utterances ({Counter(reasons.values())})"
        )
    counts = Counter(reasons.values())
    report = {
        "input": len(num_samples),
        "kept": len(keep),
        "dropped": dict(sorted(counts.items())),
        "min_seconds": min_seconds,
        "max_seconds": max_seconds,
    }
    # written beside dst and renamed over it, so a stage interrupted here leaves the previous
    # complete dst (or none), never a mix of old and new files
    with atomic_dir(dst) as out:
        subset_files(src, out, keep)
        write_map(
            out / "wav.scp", {k: v for k, v in read_map(src / "wav.scp").items() if k in keep}
        )
        shutil.copyfile(src / "fs", out / "fs")
        with atomic_open(out / "filter_dropped.txt") as f:
            for utt in sorted(reasons):
                f.write(f"{utt} {reasons[utt]}\n")
        write_text_atomic(out / "filter_report.json", json.dumps(report, indent=1) + "\n")
    log.info(
        "%s -> %s: kept %d of %d; dropped %s", src, dst, len(keep), len(num_samples), dict(counts)
    )
    return report
