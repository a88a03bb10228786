"""Exporter benchmark (issue 7): cascade vs exporter with fixed MT vs exporter with trained MT.

With ``--run``, runs the exporter recipe first (``egs2/mustc_exporter/st1/run.sh --mini_size mini
--conf_dir conf/mini``, stages 1-13; finished stages are skipped, so an interrupted benchmark
resumes) and times it; then collects from the recipe's experiment dirs:

* per system, the scores of ``EXP/<system>/<decode dir>/<test set>/score.json`` (BLEU, chrF,
  TER; WER for the ASR system) and the decoding real-time factor (``rtf.json``);
* for the cascade, the WER of its greedy-CTC 1-best (``asr_text``, merged from the decoding jobs'
  outputs when the decode dir has none) against ``--src-ref``;
* for each exporter system, the L2 loss and the mean L2 distance between its vectors and the MT
  embeddings after every epoch, train and valid, from the reporter in ``EXP/<system>/checkpoint.pth``
  (it keeps every epoch across resumed runs), else parsed from the training logs (ESPnet's
  ``<n>epoch results: [train] ... l2=..., l2_dist=..., [valid] ...`` lines of ``train.log`` and of
  the earlier runs' ``train.log.<n>``), plotted with ``--plot``.

    python bench/bench_exporter.py --run            # mini en-de; writes
        # bench/results/exporter_mustc_mini_de.json and exporter_mustc_mini_de_l2.png
    python bench/bench_exporter.py --run --extra "--train_args '--max_epoch 4'"   # shorter
    python bench/bench_exporter.py --exp-dir egs2/mustc_exporter/st1/exp \\
        --test-set tst-COMMON.en-de --src-ref dump/raw/tst-COMMON.en-de/text.lc.rm.en \\
        --out /tmp/exporter.json                 # collect only

Without ``--run`` nothing is trained or decoded.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RECIPE = ROOT / "egs2" / "mustc_exporter" / "st1"

from espnet_ext.fileio import write_text_atomic  # noqa: E402
from espnet_ext.scoring.train_log import EPOCH_RE  # noqa: E402

KEPT = {
    "bleu": ("bleu", "chrf", "ter", "n_sentences", "missing_hyps"),
    "wer": ("wer", "cer", "ref_words", "n_sentences", "missing_hyps"),
}


def decode_dir(exp: Path, system: str, test_set: str, tag: str | None) -> Path:
    """``EXP/<system>/<tag>/<test_set>``; without a tag, the one ``decode_*`` dir that has it."""
    if tag is not None:
        path = exp / system / tag / test_set
        if not (path / "score.json").is_file():
            raise FileNotFoundError(f"{path}/score.json: not scored (pipeline stage 12)")
        return path
    found = sorted(p.parent for p in (exp / system).glob(f"decode_*/{test_set}/score.json"))
    if len(found) != 1:
        raise FileNotFoundError(
            f"{exp / system}: expected one decode_*/{test_set}/score.json, found "
            f"{[str(p) for p in found]}; pass --decode-tag"
        )
    return found[0]


def read_scores(path: Path) -> dict:
    """The headline numbers of a decode dir (score.json + rtf.json when present)."""
    score = json.loads((path / "score.json").read_text(encoding="utf-8"))
    metric = score.get("metric", "bleu")
    out = {"metric": metric, "decode_dir": str(path)}
    out.update({k: score[k] for k in KEPT.get(metric, ()) if k in score})
    if "signatures" in score:
        out["signature"] = score["signatures"].get(metric)
    rtf = path / "rtf.json"
    if rtf.is_file():
        out["rtf"] = json.loads(rtf.read_text(encoding="utf-8")).get("rtf")
    return out


CURVE_KEYS = ("l2", "l2_dist", "ce", "acc", "loss")


def reporter_epochs(exp: Path) -> list[dict] | None:
    """Per epoch, the ``l2``/``l2_dist``/``ce``/``acc``/``loss`` of the train and valid splits,
    from the reporter state in ``exp/checkpoint.pth``; None when there is no checkpoint."""
    from espnet_ext.training.safe_load import reporter_stats

    stats = reporter_stats(exp)
    if stats is None:
        return None
    rows = []
    for epoch in sorted(stats):
        row: dict = {"epoch": int(epoch)}
        for split in ("train", "valid"):
            for key in CURVE_KEYS:
                if key in stats[epoch].get(split, {}):
                    row[f"{split}_{key}"] = round(float(stats[epoch][split][key]), 4)
        rows.append(row)
    if not any("train_l2" in r for r in rows):
        raise ValueError(f"{exp}/checkpoint.pth: no l2 statistics (not an exporter training?)")
    return rows


def parse_epochs(log: Path) -> list[dict]:
    """Per epoch, the ``l2``/``l2_dist``/``ce``/``acc`` of the train and valid splits, from
    ``log`` and the logs of the earlier runs kept beside it (``<log>.<n>``)."""
    from espnet_ext.scoring.train_log import epoch_stats

    rows = []
    for epoch in epoch_stats(log):
        row: dict = {"epoch": epoch["epoch"]}
        for split in ("train", "valid"):
            for key, value in epoch.get(split, {}).items():
                if key in CURVE_KEYS:
                    row[f"{split}_{key}"] = value
        rows.append(row)
    if not any("train_l2" in r for r in rows):
        raise ValueError(f"{log}: no l2 statistics (not an exporter training log?)")
    return rows


def asr_text(decode: Path) -> Path:
    """``decode/asr_text``; the pipeline's decode dirs keep it per job (``logs/output.J/``), so
    the parts are merged into ``decode/asr_text`` first."""
    path = decode / "asr_text"
    if path.is_file():
        return path
    parts = sorted(decode.glob("logs/output.*/asr_text"))
    if not parts:
        raise FileNotFoundError(f"{decode}: no asr_text (not a cascade decode dir?)")
    from espnet_ext.pipeline.decode_outputs import merge_texts

    merge_texts(parts, path, decode / "text")
    return path


def plot_l2(curves: dict[str, list[dict]], out: Path) -> Path:
    """PNG of the mean L2 distance to the MT embeddings per epoch (train and valid)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 4), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    for system, rows in curves.items():
        for split, style in (("train", "-o"), ("valid", "--s")):
            points = [(r["epoch"], r[f"{split}_l2_dist"]) for r in rows if f"{split}_l2_dist" in r]
            if points:
                ax.plot(*zip(*points), style, label=f"{system} ({split})")
    ax.set_xlabel("epoch")
    ax.set_ylabel("mean L2 distance to the MT embeddings")
    ax.set_title("Exporter vectors vs MT input embeddings")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    return out


def run_recipe(args: argparse.Namespace) -> dict:
    """Run the recipe (stages 1-13) in ``--recipe``; returns what was run and how long it took."""
    recipe = Path(args.recipe)
    cmd = ["./run.sh", "--mini_size", args.mini_size, "--conf_dir", args.conf_dir,
           "--tgt_lang", args.tgt_lang, *shlex.split(args.extra)]  # fmt: skip
    print("running", shlex.join(cmd), "in", recipe, flush=True)
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    start = time.time()
    subprocess.run(cmd, cwd=recipe, env=env, check=True)
    stages = {}
    tsv = recipe / "exp" / "stage_seconds.tsv"
    if tsv.is_file():
        for line in tsv.read_text().splitlines():
            stage, seconds = line.split("\t")[:2]
            stages[stage] = stages.get(stage, 0) + int(seconds)
    return {
        "command": shlex.join(cmd),
        "recipe": str(recipe.relative_to(ROOT) if recipe.is_relative_to(ROOT) else recipe),
        "wall_s_this_run": round(time.time() - start, 1),
        "stage_seconds_all_runs": stages,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
    }


def collect(args: argparse.Namespace) -> dict:
    exp = Path(args.exp_dir)
    result: dict = {
        "benchmark": "exporter: cascade vs exporter (fixed MT) vs exporter "
        "(incrementally trained MT)",
        "exp_dir": str(exp.resolve()),
        "test_set": args.test_set,
        "systems": {},
        "l2_over_training": {},
    }
    for role, system in (("asr", args.asr), ("mt", args.mt), ("cascade", args.cascade)):
        if system:
            scores = read_scores(decode_dir(exp, system, args.test_set, args.decode_tag))
            result["systems"][system] = {"role": role, **scores}
    if args.cascade and args.src_ref:
        from espnet_ext.scoring.score import score_files

        path = asr_text(Path(result["systems"][args.cascade]["decode_dir"]))
        wer = score_files("wer", path, args.src_ref)
        result["systems"][args.cascade]["ctc_greedy_wer"] = wer["wer"]
    for system in args.exporters:
        scores = read_scores(decode_dir(exp, system, args.test_set, args.decode_tag))
        result["systems"][system] = {"role": "exporter", **scores}
        curve = reporter_epochs(exp / system)
        result["l2_over_training"][system] = (
            curve if curve is not None else parse_epochs(exp / system / "train.log")
        )
    for system, entry in result["systems"].items():
        entry.update(training_facts(exp / system))
    return result


def training_facts(exp: Path) -> dict:
    """Epochs run (ESPnet's ``<n>epoch results`` lines of every run's log) and
    ``train_info.json``'s cost."""
    from espnet_ext.launch.logs import earlier_logs

    facts: dict = {}
    logs = earlier_logs(exp / "train.log")
    if logs:
        text = "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in logs)
        epochs = {int(m.group(1)) for m in map(EPOCH_RE.search, text.splitlines()) if m}
        facts["epochs"] = max(epochs) if epochs else 0
    info = exp / "train_info.json"
    if info.is_file():
        data = json.loads(info.read_text(encoding="utf-8"))
        for key in ("trainable_params", "total_params", "train_wall_s"):
            facts[key] = data.get(key)
    return facts


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument(
        "--run", action="store_true", help="run the recipe (stages 1-13) before collecting"
    )
    parser.add_argument("--recipe", default=str(RECIPE), help="recipe dir (with --run)")
    parser.add_argument("--mini-size", default="mini", help="mini corpus size (with --run)")
    parser.add_argument("--conf-dir", default="conf/mini", help="config family (with --run)")
    parser.add_argument("--tgt-lang", default="de", help="MuST-C target language (with --run)")
    parser.add_argument("--extra", default="", help="further run.sh options (with --run)")
    parser.add_argument(
        "--note", default="", help="free text stored in the JSON (e.g. how earlier stages ran)"
    )
    parser.add_argument(
        "--exp-dir", default=None, help="the recipe's exp/ dir (default with --run: its exp/)"
    )
    parser.add_argument(
        "--test-set", default=None, help="e.g. tst-COMMON.en-de (default with --run)"
    )
    parser.add_argument("--decode-tag", default=None, help="decode dir name (default: the one)")
    parser.add_argument("--asr", default="asr", help="ASR system ('' to skip)")
    parser.add_argument(
        "--mt", default="mt", help="MT system on reference transcripts ('' to skip)"
    )
    parser.add_argument("--cascade", default="cascade", help="cascade system ('' to skip)")
    parser.add_argument(
        "--exporters",
        nargs="*",
        default=["exporter_fixed", "exporter_trained"],
        help="exporter systems",
    )
    parser.add_argument(
        "--src-ref",
        default=None,
        help="source reference (Kaldi text) for the cascade's 1-best WER (default with --run: "
        "the test set's text.lc.rm.en)",
    )
    parser.add_argument(
        "--out",
        default=None,
        help="output JSON (default: bench/results/exporter_mustc_<size>_<lang>.json with --run, "
        "else bench/results/exporter.json)",
    )
    parser.add_argument(
        "--plot", default=None, help="PNG of the L2 curves (default with --run: next to --out)"
    )
    args = parser.parse_args(argv)
    run_info = None
    if args.run:
        recipe = Path(args.recipe)
        test_set = f"tst-COMMON.en-{args.tgt_lang}"
        args.exp_dir = args.exp_dir or str(recipe / "exp")
        args.test_set = args.test_set or test_set
        args.src_ref = args.src_ref or str(
            recipe / "dump" / "raw" / args.test_set / "text.lc.rm.en"
        )
        name = f"exporter_mustc_{args.mini_size}_{args.tgt_lang}"
        args.out = args.out or str(ROOT / "bench" / "results" / f"{name}.json")
        args.plot = args.plot or str(Path(args.out).with_name(f"{name}_l2.png"))
        run_info = run_recipe(args)
    if args.exp_dir is None or args.test_set is None:
        parser.error("--exp-dir and --test-set are required without --run")
    args.out = args.out or str(ROOT / "bench" / "results" / "exporter.json")
    result = collect(args)
    if run_info is not None:
        result["run"] = run_info
    if args.note:
        result["note"] = args.note
    if args.plot and result["l2_over_training"]:
        result["l2_plot"] = str(plot_l2(result["l2_over_training"], Path(args.plot)))
    write_text_atomic(args.out, json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
