"""Connectors on How2 En-Pt: Q-Former vs STE, ECD vs ECED (issue 6's benchmark).

Runs the How2 recipe (egs2/how2/st1, mini configs) on the generated mini corpus in a work dir --
ASR, the Marian MT stage and the four connector systems -- and collects, per system: BLEU and
chrF on dev5, BLEU per input-duration bucket (< 10 s, 10-20 s, > 20 s), trainable and total
parameters and the trainable share, the mean training step time (ESPnet's ``train_time``: forward,
backward and optimiser step per batch) and the decoding real-time factor.

    python bench/bench_connectors.py --work-dir /tmp/bench_how2 --mini-size mini
    python bench/bench_connectors.py --work-dir /tmp/bench_how2 --collect-only   # after a run

A re-run continues in the same work dir (the recipe skips finished stages and systems).
Writes ``bench/results/connectors_how2_<size>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from espnet_ext.fileio import write_text_atomic  # noqa: E402
from espnet_ext.scoring.results import load_results  # noqa: E402

RECIPE = ROOT / "egs2" / "how2" / "st1"
TEMPLATE_LINKS = ("cmd.sh", "db.sh", "path.sh")
# copied, not linked: bash reads a script while it runs, and a run takes hours
TEMPLATE_COPIES = ("scripts", "st.sh")
SYSTEMS = ("asr", "mt", "qformer_ecd", "qformer_eced", "ste_ecd", "ste_eced")
TEST_SET = "dev5.en-pt"


def prepare_work_dir(work: Path) -> Path:
    """A copy of the recipe (run.sh, conf, local) and of the pipeline scripts, with the other
    pipeline files linked; kept on re-runs so that finished stages are skipped."""
    recipe = work / "how2" / "st1"
    recipe.mkdir(parents=True, exist_ok=True)
    shutil.copy2(RECIPE / "run.sh", recipe / "run.sh")
    for name in ("local", "conf"):
        shutil.rmtree(recipe / name, ignore_errors=True)
        shutil.copytree(RECIPE / name, recipe / name)
    for name in TEMPLATE_COPIES:
        src, dst = (RECIPE / name).resolve(), recipe / name
        if dst.is_symlink() or dst.is_file():
            dst.unlink()
        elif dst.is_dir():
            shutil.rmtree(dst)
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, dst)
    for name in TEMPLATE_LINKS:
        link = recipe / name
        if not link.is_symlink():
            link.symlink_to((RECIPE / name).resolve())
    return recipe


def step_time(train_log: Path) -> dict:
    """Mean ``train_time`` (seconds a batch) over the epochs of an ESPnet training log.

    A resumed run starts a new log, so the mean covers the epochs in this log; ``epochs`` and
    ``steps`` are the totals since the start of training (ESPnet's epoch number and
    ``total_count``)."""
    from espnet_ext.scoring.train_log import parse_epoch_lines

    lines = train_log.read_text(encoding="utf-8", errors="replace").splitlines()
    rows = [
        r for r in parse_epoch_lines(lines, str(train_log)) if "train_time" in r.get("train", {})
    ]
    epochs = [r["epoch"] for r in rows]
    times = [r["train"]["train_time"] for r in rows]
    counts = [int(r["train"]["total_count"]) for r in rows]
    if not times:
        return {"step_seconds": None, "epochs": 0, "steps": 0, "epochs_timed": 0}
    # batches of each logged epoch: total_count differences (the first from its epoch's share)
    first = counts[0] // epochs[0]
    steps = [first] + [b - a for a, b in zip(counts, counts[1:])]
    mean = sum(t * n for t, n in zip(times, steps)) / max(sum(steps), 1)
    return {
        "step_seconds": round(mean, 4),
        "epochs": epochs[-1],
        "steps": counts[-1],
        "epochs_timed": len(times),
    }


def describe(config: Path) -> dict:
    import yaml

    conf = yaml.safe_load(config.read_text(encoding="utf-8"))
    # the schedule this run used (its --train_args are in the saved config)
    out = {"max_epoch": conf.get("max_epoch")}
    if "connector" in conf:
        out.update(
            connector=conf["connector"],
            layout=conf["model_conf"]["layout"],
            connector_conf={
                k: v for k, v in conf["connector_conf"].items() if k not in ("input_size",)
            },
            mt=conf["mt_name_or_path"],
            speech_encoder=conf["speech_encoder"],
        )
    return out


def collect(
    recipe: Path,
    corpus_root: Path,
    size: str,
    run_seconds: float | None,
    argv: list[str],
    note: str = "",
) -> dict:
    exp = recipe / "exp"
    rows = {r["system"]: r for r in load_results(exp) if r["test_set"] == TEST_SET}
    systems = {}
    for name, row in sorted(rows.items()):
        info = json.loads((exp / name / "train_info.json").read_text(encoding="utf-8"))
        entry = {
            "task": info["task"],
            **describe(exp / name / "config.yaml"),
            "metric": row["metric"],
            "bleu": row["bleu"],
            "chrf": row["chrf"],
            "wer": row["wer"],
            "n_sentences": row["n_sentences"],
            "by_duration": [
                {k: b[k] for k in ("label", "n_sentences", row["metric"])}
                for b in (row["by_duration"] or {}).get("buckets", [])
            ],
            "trainable_params": info["trainable_params"],
            "total_params": info["total_params"],
            "trainable_share": round(info["trainable_params"] / info["total_params"], 5),
            "train_wall_s": info["train_wall_s"],
            "decode_rtf": row["rtf"],
            **step_time(exp / name / "train.log"),
        }
        systems[name] = entry
    corpus_json = corpus_root / f"{size}_seed0" / "corpus.json"
    corpus = json.loads(corpus_json.read_text()) if corpus_json.exists() else {}
    stage_seconds = {}
    tsv = exp / "stage_seconds.tsv"
    if tsv.exists():
        for line in tsv.read_text().splitlines():
            stage, seconds, _ = line.split("\t")
            stage_seconds[stage] = stage_seconds.get(stage, 0) + int(seconds)
    return {
        "benchmark": "connectors on How2 En-Pt (issue 6)",
        "corpus": {"size": size, "how2": corpus.get("how2"), "seed": corpus.get("seed")},
        "test_set": TEST_SET,
        "command": argv,
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "load_average": os.getloadavg(),
        },
        "run_seconds": run_seconds,
        "note": note,
        "stage_seconds": stage_seconds,
        "systems": systems,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--work-dir", required=True, type=Path, help="recipe copy, corpus, exp/")
    p.add_argument("--mini-size", default="mini", choices=["tiny", "mini"], help="corpus size")
    p.add_argument("--systems", default=" ".join(SYSTEMS), help="systems to run")
    p.add_argument("--stop-stage", type=int, default=13, help="last recipe stage to run")
    p.add_argument("--ngpu", type=int, default=0, help="GPUs for training")
    p.add_argument("--nj", type=int, default=2, help="parallel dump/statistics/decoding jobs")
    p.add_argument("--train-args", default="", help="extra arguments for every training job")
    # every decoded system gets these, and ESPnet's ASR decoder cannot batch: no --batch_size here
    p.add_argument("--inference-args", default="", help="extra arguments for every decode job")
    p.add_argument(
        "--corpus-root",
        type=Path,
        default=Path(os.environ.get("MINI_CORPUS_ROOT", ROOT / "downloads" / "mini_corpus")),
        help="where the mini corpus is (generated there on first use)",
    )
    p.add_argument("--collect-only", action="store_true", help="only read the finished run")
    p.add_argument("--out", type=Path, default=None, help="default bench/results/...json")
    p.add_argument(
        "--note", default="", help="free text kept in the results (e.g. how it was run)"
    )
    args = p.parse_args()
    recipe = prepare_work_dir(args.work_dir.resolve())
    run_seconds = None
    if not args.collect_only:
        import time

        env = {**os.environ, "MINI_CORPUS_ROOT": str(args.corpus_root.resolve()), "HOW2": ""}
        cmd = [
            "./run.sh", "--mini_size", args.mini_size, "--systems", args.systems,
            "--stop_stage", str(args.stop_stage),
            "--ngpu", str(args.ngpu), "--nj", str(args.nj), "--inference_nj", str(args.nj),
            "--train_args", args.train_args, "--inference_args", args.inference_args,
        ]  # fmt: skip
        start = time.monotonic()
        with open(args.work_dir / "run.log", "a", encoding="utf-8") as log:
            subprocess.run(
                cmd, cwd=recipe, env=env, stdout=log, stderr=subprocess.STDOUT, check=True
            )
        run_seconds = round(time.monotonic() - start, 1)
        if args.stop_stage < 13:
            return
    out = args.out or ROOT / "bench" / "results" / f"connectors_how2_{args.mini_size}.json"
    result = collect(
        recipe, args.corpus_root, args.mini_size, run_seconds, sys.argv[1:], args.note
    )
    write_text_atomic(out, json.dumps(result, indent=1) + "\n")
    plot = recipe / "exp" / "bleu_by_duration.png"  # stage 13's hook (local/score_by_duration.sh)
    if plot.exists():
        shutil.copy2(plot, out.with_name(out.stem + "_by_duration.png"))
    print(json.dumps({k: v for k, v in result.items() if k != "systems"}, indent=1))
    for name, s in result["systems"].items():
        score = s["bleu"] if s["metric"] == "bleu" else s["wer"]
        buckets = [b.get("bleu") for b in s["by_duration"]]
        share, step = s["trainable_share"], s["step_seconds"]
        print(f"{name:14s} {s['metric']}={score} share={share} step={step}s by_duration={buckets}")


if __name__ == "__main__":
    main()
