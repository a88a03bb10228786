"""Cost of crash-safe checkpoints: ESPnet's plain ``torch.save`` vs ``CheckpointDir.save``.

    .venv/bin/python bench/bench_checkpoint.py [--params-m 1 31] [--repeats 3] [--dir DIR]

A checkpoint the size of ESPnet's for a model of N million float32 parameters with Adam (model,
two moment buffers: 3 x 4 N bytes). ``CheckpointDir.save`` adds hashing while writing, fsync,
the rename, rotating the previous checkpoint (a hard link) and two manifest writes; the fsync
share is measured separately (plain torch.save followed by fsync). Median of ``--repeats``.
Writes ``bench/results/checkpoint.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import torch

from espnet_ext.fileio import write_text_atomic
from espnet_ext.training.checkpoint import CHECKPOINT, CheckpointDir, file_sha256


def checkpoint_like(params_m: float) -> dict:
    n = int(params_m * 1e6)
    weights = torch.randn(n)
    return {
        "model": {"w": weights},
        "reporter": {"stats": {}, "epoch": 1},
        "optimizers": [{"state": {0: {"exp_avg": torch.randn(n), "exp_avg_sq": torch.rand(n)}}}],
        "schedulers": [None],
        "scaler": None,
    }


def timed(fn, *args) -> float:
    t0 = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t0


def plain_then_fsync(obj, path: Path) -> float:
    torch.save(obj, path)
    t0 = time.perf_counter()
    with open(path, "rb+") as f:
        os.fsync(f.fileno())
    return time.perf_counter() - t0


def measure(params_m: float, repeats: int, root: Path) -> dict:
    obj = checkpoint_like(params_m)
    plain, fsync, safe = [], [], []
    for i in range(repeats):
        plain.append(timed(torch.save, obj, root / f"plain{i}.pth"))
        fsync.append(plain_then_fsync(obj, root / f"fsync{i}.pth"))
        safe_dir = CheckpointDir(root / "safe")
        safe_dir.path.mkdir(exist_ok=True)
        safe.append(timed(safe_dir.save, obj, CHECKPOINT))
    size = (root / "plain0.pth").stat().st_size
    assert (
        file_sha256(root / "safe" / CHECKPOINT)
        == CheckpointDir(root / "safe").read_manifest()[CHECKPOINT]
    )
    for p in root.glob("*.pth"):
        p.unlink()
    return {
        "params_m": params_m,
        "checkpoint_mb": round(size / 1e6, 1),
        "plain_torch_save_s": round(statistics.median(plain), 3),
        "fsync_s": round(statistics.median(fsync), 3),
        "crash_safe_save_s": round(statistics.median(safe), 3),
        "overhead_s": round(statistics.median(safe) - statistics.median(plain), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--params-m", type=float, nargs="+", default=[1.0, 31.0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--dir", type=Path, default=None, help="where to write (default: a tmp dir)"
    )
    parser.add_argument("--out", type=Path, default=Path("bench/results/checkpoint.json"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        runs = [measure(p, args.repeats, Path(tmp)) for p in args.params_m]
    result = {
        "runs": runs,
        "repeats": args.repeats,
        "cpu_count": os.cpu_count(),
        "load_average_1min_after": round(os.getloadavg()[0], 2),
        "platform": platform.platform(),
        "torch": torch.__version__,
    }
    write_text_atomic(args.out, json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
