"""Benchmark of the MuST-C baseline recipe on the mini corpus (CPU): wall time of every stage, the
BLEU reached, and the data preparation + audio dump throughput.

    python bench/bench_baseline_recipe.py [--systems st_scratch] [--tgt-lang de] [--fresh]

Runs egs2/mustc_baseline/st1/run.sh --mini_size mini --conf_dir conf/mini (stages 1-13) in the
recipe directory and writes bench/results/baseline_recipe_mini_<lang>.json. ``--fresh`` removes
data/, dump/ and exp/ first so every stage is timed; the mini corpus itself is generated once
(timed separately) under downloads/mini_corpus/.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
RECIPE = REPO / "egs2" / "mustc_baseline" / "st1"


def training_summary(exp_dir: Path) -> dict:
    """Batch size, epochs, updates and the valid accuracy curve of one trained system (from the
    checkpoint's reporter, which keeps every epoch across resumes; train.log restarts)."""
    import yaml

    from espnet_ext.training.safe_load import reporter_stats

    config = yaml.safe_load((exp_dir / "config.yaml").read_text())
    log = (exp_dir / "train.log").read_text(errors="replace")
    updates = [int(n) for n in re.findall(r"\[train\] Batch sampler: .*?N-batch=(\d+)", log)]
    stats = reporter_stats(exp_dir)
    if stats is None:
        raise FileNotFoundError(f"{exp_dir}/checkpoint.pth: not trained")
    return {
        "batch_bins": config.get("batch_bins"),
        "max_epoch": config.get("max_epoch"),
        "updates_per_epoch": updates[0] if updates else None,
        "valid_acc_by_epoch": [round(float(stats[e]["valid"]["acc"]), 4) for e in sorted(stats)],
    }


def distinct_share(decode_dir: Path) -> float:
    """Share of distinct hypotheses: a model that ignores the audio writes one sentence for all."""
    hyps = [line.partition(" ")[2] for line in (decode_dir / "text").read_text().splitlines()]
    return round(len(set(hyps)) / max(len(hyps), 1), 3)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--systems", default="st_scratch", help="systems to run (space separated)")
    parser.add_argument("--tgt-lang", default="de")
    parser.add_argument("--fresh", action="store_true", help="remove data/, dump/, exp/ first")
    parser.add_argument("--extra", default="", help="extra run.sh arguments")
    parser.add_argument("--note", default="", help="recorded with the results (load, resumes)")
    args = parser.parse_args()

    if args.fresh:
        for name in ("data", "dump", "exp"):
            shutil.rmtree(RECIPE / name, ignore_errors=True)
    cmd = ["./run.sh", "--mini_size", "mini", "--conf_dir", "conf/mini", "--tgt_lang", args.tgt_lang,
           "--nj", "2", "--inference_nj", "2", "--systems", args.systems, *args.extra.split()]  # fmt: skip
    start = time.time()
    proc = subprocess.run(
        cmd, cwd=RECIPE, capture_output=True, text=True, env={**os.environ, "MUSTC": ""}
    )
    wall = time.time() - start
    (RECIPE / "exp" / "bench_run.log").write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        raise SystemExit(f"run.sh failed ({proc.returncode}); see {RECIPE}/exp/bench_run.log")

    stage_seconds: dict[str, float] = {}
    for line in (RECIPE / "exp" / "stage_seconds.tsv").read_text().splitlines():
        stage, seconds, _ = line.split("\t")
        stage_seconds[stage] = stage_seconds.get(stage, 0) + float(seconds)
    pair = f"en-{args.tgt_lang}"
    dumped_hours = sum(
        json.loads((RECIPE / "dump" / "org" / f"{s}.{pair}" / "dump_report.json").read_text())[
            "hours"
        ]
        for s in ("train", "dev", "tst-COMMON", "tst-HE")
    )
    scores, training = {}, {}
    for system in args.systems.split():
        training[system] = training_summary(RECIPE / "exp" / system)
        for score in sorted((RECIPE / "exp" / system).glob("decode_*/*/score.json")):
            data = json.loads(score.read_text())
            scores[f"{system}/{score.parent.name}"] = {
                **{k: data.get(k) for k in ("bleu", "chrf", "ter", "bleu_lc_rm", "wer")},
                "distinct_hypotheses": distinct_share(score.parent),
            }
    result = {
        "command": " ".join(cmd),
        "note": args.note,
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "load_avg_at_end": os.getloadavg(),
        },
        "wall_seconds_total": round(wall, 1),
        "stage_seconds": stage_seconds,
        "scores": scores,
        "training": training,
        "audio_hours_dumped": round(dumped_hours, 3),
        "prep_plus_dump_hours_per_minute": round(
            dumped_hours / ((stage_seconds.get("1", 0) + stage_seconds.get("3", 0)) / 60), 3
        ),
    }
    out = REPO / "bench" / "results" / f"baseline_recipe_mini_{args.tgt_lang}.json"
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
