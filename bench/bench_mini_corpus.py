"""Generation time and content of the mini corpus (all pairs) -> bench/results/mini_corpus.json.

    .venv/bin/python bench/bench_mini_corpus.py [--sizes tiny,mini] [--work-dir DIR] [--keep]

Wall time depends on how busy the machine is, so the CPU time of the generator and its
espeak-ng children and the load average are recorded next to it.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import resource
import shutil
import tempfile
import time
from pathlib import Path

from espnet_ext.corpus.mini.generate import PAIRS, make_mini_corpus
from espnet_ext.fileio import write_text_atomic

RESULTS = Path(__file__).resolve().parent / "results" / "mini_corpus.json"


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def disk_mb(root: Path) -> float:
    """Size on disk, counting hard-linked MuST-C wavs once."""
    seen, total = set(), 0
    for p in root.rglob("*"):
        st = p.lstat()
        if p.is_file() and st.st_ino not in seen:
            seen.add(st.st_ino)
            total += st.st_size
    return round(total / 2**20, 1)


def run(size: str, out: Path) -> dict:
    load = os.getloadavg()[0]
    cpu0, t0 = cpu_seconds(), time.perf_counter()
    info = make_mini_corpus(out, size=size, pairs=PAIRS, seed=0)
    wall, cpu = time.perf_counter() - t0, cpu_seconds() - cpu0

    def table(corpus):
        return {s: {k: v[k] for k in ("talks", "utterances", "hours", "min_seconds",
                                      "max_seconds", "over_20s")}
                for s, v in info[corpus].items()}  # fmt: skip

    return {
        "pairs": list(PAIRS),
        "wall_seconds": round(wall, 1),
        "cpu_seconds": round(cpu, 1),
        "load_average_at_start": round(load, 2),
        "mustc_per_pair": table("mustc"),
        "how2_en_pt": table("how2"),
        "text_lines_per_pair": info["text"]["en-de"]["lines"],
        "vocabulary": info["vocabulary"],
        "disk_mb": disk_mb(out),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--sizes", default="tiny,mini", help="comma-separated sizes to generate")
    p.add_argument("--work-dir", type=Path, default=None, help="where to generate (default: tmp)")
    p.add_argument("--keep", action="store_true", help="keep the generated corpora")
    args = p.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="bench_mini_"))
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version()}
    for size in args.sizes.split(","):
        out = work / size
        if out.exists():
            shutil.rmtree(out)
        results[size] = run(size, out)
        logging.info("%s: %s", size, json.dumps(results[size]))
        write_text_atomic(RESULTS, json.dumps(results, indent=1, sort_keys=True) + "\n")
        if not args.keep:
            shutil.rmtree(out)
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
