"""Training time per epoch: discrete-unit ST against filterbank ST of the same size (mini corpus,
CPU, En-De).

    python bench/bench_discrete_epoch.py --work-dir downloads/bench_discrete_epoch

Prepares two recipe copies in the work dir (kept; a re-run skips what is done): the discrete
recipe (``egs2/mustc_discrete/st1``, MFCC units, k = 500, unit BPE 2000, source text x4) and the
baseline recipe (``egs2/mustc_baseline/st1``), stages 1-7 each plus a 2-update stage 10 that
leaves ``exp/<system>/run_train.sh``, the exact training command of the pipeline. Then each case
below trains one full epoch from scratch through that command (``--output_dir``, ``--max_epoch 1``
and ``--num_iters_per_epoch none`` appended), one at a time, one thread each:

- ``fbank``: ``st_scratch`` (filterbanks, conv2d6 subsampling, 6 x 144 encoder, 3 decoder layers,
  source CTC at weight 0.3), the baseline's ST;
- ``units``: ``aed_st`` (unit/text embedding, 4 x 144 encoder, 3 decoder layers), single-task ST
  on units, with 12,000-token batches (the recipe's setting when this was first measured);
- ``units_6_blocks``: the same with 6 encoder blocks, the size of ``fbank``'s encoder;
- ``units_6_blocks_fbank_batches``: that model with batches of ``fbank``'s size in utterances
  (``--batch_bins 890``: ~350 updates an epoch, as ``fbank``'s 352), since the recipe's unit
  batches held ~14x more utterances and big batches are cheaper per utterance on a CPU. This
  measurement is why the mini configs now use ``batch_bins: 900``.

Recorded per case: CPU seconds of the training process (``getrusage``; robust to other load on
the machine) and wall seconds, updates per epoch (and so utterances per update), parameters, and
the encoder input length per second of audio (filterbank frames / 6 after the subsampling; unit
BPE tokens). Written to ``bench/results/discrete_epoch_time.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.recipes.recipe_runner import copy_recipe  # noqa: E402

OUT = REPO / "bench" / "results" / "discrete_epoch_time.json"
PREP_TRAINING = "--max_epoch 1 --num_iters_per_epoch 2"
RECIPES = {"discrete": ("mustc_discrete", "aed_st"), "baseline": ("mustc_baseline", "st_scratch")}
CASES = {
    "fbank": ("baseline", []),
    # 12,000-token batches: the discrete mini configs' value when first measured (session 6's
    # results ran these two with it from the config, no extra option); the configs now use 900
    "units": ("discrete", ["--batch_bins", "12000"]),
    "units_6_blocks": ("discrete", ["--encoder_conf", "num_blocks=6", "--batch_bins", "12000"]),
    # the discrete config's batches (12,000 tokens) hold ~110 utterances, the filterbank ones
    # (400k samples) ~8: this case gives the unit model about the filterbank model's update count
    "units_6_blocks_fbank_batches": (
        "discrete",
        ["--encoder_conf", "num_blocks=6", "--batch_bins", "890"],
    ),
}


def prepare(work: Path, corpus_root: Path, name: str) -> Path:
    recipe_name, system = RECIPES[name]
    recipe = work / name
    if (recipe / "exp" / system / "run_train.sh").is_file():
        return recipe
    if not recipe.exists():
        copy_recipe(recipe_name, recipe)
    cmd = ["./run.sh", "--mini_size", "mini", "--conf_dir", "conf/mini", "--nj", "2",
           "--systems", system, "--stop_stage", "10", "--train_args", PREP_TRAINING]  # fmt: skip
    env = {**os.environ, "MUSTC": "", "CMD_BACKEND": "local", "OMP_NUM_THREADS": "1",
           "MINI_CORPUS_ROOT": str(corpus_root)}  # fmt: skip
    print(f"preparing {recipe}: {' '.join(cmd)}", flush=True)
    with open(recipe / "prep.log", "w") as log:
        proc = subprocess.run(cmd, cwd=recipe, env=env, stdout=log, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        raise SystemExit(f"{recipe}: run.sh failed ({proc.returncode}); see {recipe}/prep.log")
    return recipe


def train_one_epoch(recipe: Path, system: str, label: str, extra: list[str]) -> dict:
    out = recipe / "exp_epoch" / label
    record = out / "bench.json"
    log_file = recipe / "exp_epoch" / f"{label}.log"
    if record.is_file():
        result = json.loads(record.read_text())
        if "valid_acc_after_epoch" not in result:  # recorded before this field existed
            result["valid_acc_after_epoch"] = _valid_acc(log_file.read_text(errors="replace"))
        return result
    if out.exists():  # an interrupted run: the epoch is timed from its start
        shutil.rmtree(out)
    out.parent.mkdir(exist_ok=True)
    # run_train.sh ends with the preparation's --train_args; later options win
    cmd = ["bash", f"exp/{system}/run_train.sh", "--output_dir", str(out.relative_to(recipe)),
           "--max_epoch", "1", "--num_iters_per_epoch", "none", *extra]  # fmt: skip
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.time()
    print(f"{label}: {' '.join(cmd)}", flush=True)
    with open(log_file, "w") as log:
        proc = subprocess.run(
            cmd, cwd=recipe, env={**os.environ, "OMP_NUM_THREADS": "1"}, stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    wall = time.time() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{label}: training failed; see {recipe}/exp_epoch/{label}.log")
    log = log_file.read_text(errors="replace")
    updates = int(re.search(r"\[train\] Batch sampler: .*?N-batch=(\d+)", log).group(1))
    result = {
        "recipe": str(recipe),
        "system": system,
        "extra_args": extra,
        "cpu_seconds": round(
            (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), 1
        ),
        "wall_seconds": round(wall, 1),
        "updates_per_epoch": updates,
        "valid_acc_after_epoch": _valid_acc(log),
        "params": _params(out),
        "load_avg_at_end": os.getloadavg(),
    }
    record.write_text(json.dumps(result, indent=1) + "\n")
    return result


def _valid_acc(log: str) -> float:
    """The validation accuracy ESPnet reports after the epoch."""
    valid = re.search(r"1epoch results: .*\[valid\] (.*)", log).group(1)
    return float(re.search(r"\bacc=([0-9.]+)", valid).group(1))


def _params(exp: Path) -> int:
    from espnet_ext.scoring.train_info import count_params, load_state_dict

    total, _ = count_params(load_state_dict(exp / "1epoch.pth"), [])
    return total


def _shape_lengths(path: Path) -> dict[str, int]:
    from espnet_ext.pipeline.datadir import read_map

    return {key: int(shape.split(",")[0]) for key, shape in read_map(path).items()}


def input_lengths(work: Path) -> dict:
    """Encoder input length per second of training audio for both inputs."""
    base = work / "baseline" / "exp" / "stats_st_train.en-de" / "train"
    samples = _shape_lengths(base / "speech_shape")
    seconds = sum(samples.values()) / 16000
    frames = sum(n // 160 + 1 for n in samples.values())  # 10 ms hop
    stats_dirs = sorted((work / "discrete" / "exp").glob("stats_discrete_st_train.en-de*/train"))
    # the discrete data dirs name an ST example "st-<utterance id>" (MT examples: "mt-...")
    units = {
        k.removeprefix("st-"): n
        for k, n in _shape_lengths(stats_dirs[0] / "src_text_shape").items()
    }
    unit_tokens = sum(units[k] for k in samples if k in units)
    covered = sum(samples[k] for k in samples if k in units) / 16000
    return {
        "training_audio_hours": round(seconds / 3600, 3),
        "fbank_frames_per_second": round(frames / seconds, 2),
        "fbank_after_conv2d6_per_second": round(frames / 6 / seconds, 2),
        "unit_tokens_per_second": round(unit_tokens / covered, 2),
        "utterances_compared": len(units.keys() & samples.keys()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--work-dir", type=Path, default=REPO / "downloads/bench_discrete_epoch")
    parser.add_argument("--corpus-root", type=Path, default=REPO / "downloads/mini_corpus")
    parser.add_argument("--prepare-only", action="store_true")
    parser.add_argument("--note", default="", help="recorded with the results")
    args = parser.parse_args()
    work = args.work_dir.resolve()
    work.mkdir(parents=True, exist_ok=True)
    recipes = {name: prepare(work, args.corpus_root.resolve(), name) for name in RECIPES}
    if args.prepare_only:
        return
    cases = {}
    for label, (name, extra) in CASES.items():
        cases[label] = train_one_epoch(recipes[name], RECIPES[name][1], label, extra)
    fbank = cases["fbank"]["cpu_seconds"]
    result = {
        "command": "python bench/bench_discrete_epoch.py " + " ".join(sys.argv[1:]),
        "note": args.note,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "input_lengths": input_lengths(work),
        "cases": cases,
        "cpu_time_ratio_to_fbank": {
            label: round(c["cpu_seconds"] / fbank, 3) for label, c in cases.items()
        },
        "valid_acc_after_one_epoch": {
            label: c["valid_acc_after_epoch"] for label, c in cases.items()
        },
        "seconds_per_update_cpu": {
            label: round(float(np.divide(c["cpu_seconds"], c["updates_per_epoch"])), 3)
            for label, c in cases.items()
        },
    }
    OUT.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
