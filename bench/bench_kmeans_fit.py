"""k-means fit time and objective: scikit-learn MiniBatchKMeans vs faiss (issue 5).

MFCC+delta features (39-dim, 10 ms, the CPU setting of the discrete recipe) of a seeded subset of
a dumped training set, extracted once into ``--work-dir`` (kept, so a re-run only fits), then
for each cluster count and each ``backend:n_init`` setting: the fit's wall time and its mean
squared distance from a frame to its nearest centre (the k-means objective; lower is better),
computed the same way for both backends.

    .venv/bin/python bench/bench_kmeans_fit.py \\
        --data-dir egs2/mustc_baseline/st1/dump/raw/train.en-de --max-utts 1000 \\
        --work-dir downloads/bench_kmeans    # -> bench/results/kmeans_fit.json

``--threads`` sets the BLAS/OpenMP threads of both backends (default 1, the per-job setting of
the pipeline).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def parse_setting(text: str) -> tuple[str, int]:
    backend, _, n_init = text.partition(":")
    return backend, int(n_init or 1)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument(
        "--data-dir", type=Path, required=True, help="dumped set (wav.scp, utt2num_samples)"
    )
    p.add_argument("--work-dir", type=Path, required=True, help="features are kept here")
    p.add_argument("--max-utts", type=int, default=1000, help="k-means subset size")
    p.add_argument("--clusters", type=int, nargs="+", default=[100, 500, 2000])
    p.add_argument(
        "--settings",
        nargs="+",
        default=["sklearn:3", "faiss:3", "faiss:10"],
        help="backend:n_init pairs",
    )
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", type=Path, default=ROOT / "bench/results/kmeans_fit.json")
    args = p.parse_args()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)

    from threadpoolctl import threadpool_limits

    from espnet_ext.discrete import kmeans
    from espnet_ext.fileio import write_text_atomic

    feature_conf = {"feature_type": "mfcc", "fs": 16000, "num_ceps": 13}
    kdir = args.work_dir / "kmeans"
    if not (kdir / "subset").is_file():
        kmeans.write_subset(args.data_dir, kdir, 16000, args.max_utts, None, 0)
    start = time.time()
    info = kmeans.extract_job(args.data_dir, kdir, 1, 1, feature_conf)
    feats = kmeans.load_features(kdir, 1)
    results = {
        "what": "k-means fit on MFCC+delta frames: MiniBatchKMeans (sklearn) vs faiss",
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "data": {
            "data_dir": str(args.data_dir),
            "utts": info["utts"],
            "audio_hours": round(info["seconds"] / 3600, 3),
            "frames": int(len(feats)),
            "dim": int(feats.shape[1]),
            "feature_seconds_this_run": round(time.time() - start, 1),
        },
        "threads": args.threads,
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_avg_at_start": os.getloadavg(),
        },
        "fits": [],
    }
    print(json.dumps(results["data"]), flush=True)
    with threadpool_limits(args.threads):
        for k in args.clusters:
            for backend, n_init in map(parse_setting, args.settings):
                start = time.time()
                centres = kmeans.fit_codebook(feats, k, 0, backend, n_init=n_init)
                seconds = time.time() - start
                distance = kmeans.mean_sq_distance(feats, kmeans.KMeansQuantizer(centres))
                row = {
                    "clusters": k,
                    "backend": backend,
                    "n_init": n_init,
                    "fit_seconds": round(seconds, 2),
                    "mean_sq_distance": round(distance, 4),
                    "load_avg": round(os.getloadavg()[0], 2),
                }
                results["fits"].append(row)
                print(json.dumps(row), flush=True)
    results["machine"]["load_avg_at_end"] = os.getloadavg()
    write_text_atomic(args.out, json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
