"""Validation curves of the discrete-unit systems (issue 5): single-task ST vs ST + MT vs ST + MT +
external MT, for each architecture, epoch by epoch.

    python bench/bench_discrete_curves.py \\
        --exp gpu_15_at_once=downloads/bench_discrete_gpu/concurrent15/exp_gpu \\
        --exp gpu_2_at_once=downloads/bench_discrete_gpu/concurrent2/exp_gpu \\
        --exp cpu=downloads/bench_discrete_epoch/discrete/exp_bleu \\
        --out bench/results/discrete_mini_de_curves.json \\
        --plot bench/results/discrete_mini_de_curves.png

Reads every ``<exp>/<system>/train.log`` (with the earlier runs' logs kept beside it) of the
systems in the recipe's ``conf/systems.yaml``, complete or not, and records per epoch the
validation loss (and accuracy where the model reports one) and the epoch's wall time. Every
variant validates on the same speech-only dev set, so the losses compare across variants of one
architecture. An epoch of ST + MT holds twice the examples of an ST epoch (three times with the
external text), so equal epochs are equal passes over the speech, not equal updates.

``--update FILE`` starts from an earlier results file, so a run whose logs are gone stays in: an
``--exp`` with the label of a kept run adds its systems to that run (a system trained again
replaces the kept one), and ``--note`` adds to the kept notes.

``equal_epoch`` compares the variants of each architecture at the last epoch all of them reached,
so partial runs (a training that was cut short) are compared fairly. The plot has one panel per
architecture, one colour per data variant and one line style per ``--exp``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from espnet_ext.fileio import write_text_atomic  # noqa: E402
from espnet_ext.pipeline.systems import load_systems  # noqa: E402
from espnet_ext.scoring.train_log import NoEpochs, best_epoch, epoch_stats  # noqa: E402

SYSTEMS_FILE = ROOT / "egs2" / "mustc_discrete" / "st1" / "conf" / "systems.yaml"
# training config -> (architecture, suffix of the data variant, the validation loss compared).
# The hierarchical CTC's total loss adds its source CTC; its target CTC is what compares with CTC
ARCHITECTURES = {
    "discrete_aed.yaml": ("AED", "", "loss"),
    "discrete_aed_pretrained.yaml": ("AED", "+pretrained", "loss"),
    "discrete_ctc.yaml": ("CTC", "", "loss"),
    "discrete_ctc_hier.yaml": ("CTC", "+hier", "loss_ctc"),
    "discrete_ctc_att.yaml": ("CTC/attention", "", "loss"),
    "discrete_rnnt.yaml": ("RNN-T", "", "loss"),
}
VARIANT_ORDER = ("st", "st_mt", "st_mt_ext", "st_mt+pretrained", "st_mt+hier")


def system_curve(log: Path, loss_key: str = "loss") -> dict:
    """Epoch records of one system: validation loss (``loss_key`` of ESPnet's valid stats) and
    accuracy, and the train split's wall time."""
    rows = epoch_stats(log)
    epochs = []
    for row in rows:
        valid, train = row.get("valid", {}), row.get("train", {})
        record = {"epoch": row["epoch"], "valid_loss": round(valid[loss_key], 4)}
        if "acc" in valid:
            record["valid_acc"] = round(valid["acc"], 4)
        if "seconds" in train:
            record["train_seconds"] = round(train["seconds"], 2)
        epochs.append(record)
    best = best_epoch(rows, loss_key, "min")
    timed = [e["train_seconds"] for e in epochs if "train_seconds" in e]
    return {
        "epochs_run": epochs[-1]["epoch"],
        "best_valid_loss": {"epoch": best["epoch"], "value": round(best["valid"][loss_key], 4)},
        "mean_epoch_seconds": round(sum(timed) / len(timed), 2) if timed else None,
        "epochs": epochs,
    }


def collect(exp: Path, systems_file: Path) -> dict:
    """Curves of every discrete system of ``systems_file`` whose training log in ``exp`` has a
    finished epoch (a training that has just started is left out, and said so)."""
    out = {}
    for name, system in load_systems(systems_file).items():
        arch = ARCHITECTURES.get(Path(system.config).name)
        log = exp / name / "train.log"
        if arch is None or not log.is_file():
            continue
        try:
            curve = system_curve(log, arch[2])
        except NoEpochs:
            print(f"{log}: no finished epoch yet, left out")
            continue
        curve.update(
            architecture=arch[0], variant=f"{system.data_variant}{arch[1]}", valid_loss_key=arch[2]
        )
        out[name] = curve
    if not out:
        raise FileNotFoundError(f"{exp}: no training log of a discrete system of {systems_file}")
    return out


def equal_epoch(systems: dict) -> dict:
    """Per architecture with two or more variants: the validation losses at the last epoch that
    every variant reached."""
    by_arch: dict[str, dict] = {}
    for curve in systems.values():
        by_arch.setdefault(curve["architecture"], {})[curve["variant"]] = curve
    out = {}
    for arch, variants in by_arch.items():
        if len(variants) < 2:
            continue
        common = min(c["epochs_run"] for c in variants.values())
        at = {}
        for variant, curve in variants.items():
            row = next((e for e in curve["epochs"] if e["epoch"] == common), None)
            if row is not None:
                at[variant] = row["valid_loss"]
        out[arch] = {"epoch": common, "valid_loss": at}
    return out


def merge_run(runs: dict, label: str, directory: str, systems: dict) -> None:
    """Add ``systems`` (read from ``directory``) to the run ``label``, a new one or a kept one."""
    run = runs.setdefault(label, {"exp_dir": directory, "systems": {}})
    if run["exp_dir"] != directory:
        dirs = run["exp_dir"] if isinstance(run["exp_dir"], list) else [run["exp_dir"]]
        run["exp_dir"] = dirs + [directory] if directory not in dirs else dirs
    run["systems"] = {**run["systems"], **systems}
    run["equal_epoch"] = equal_epoch(run["systems"])


def plot(runs: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    archs = sorted({c["architecture"] for r in runs.values() for c in r["systems"].values()})
    fig, axes = plt.subplots(1, len(archs), figsize=(4.2 * len(archs), 3.6), squeeze=False)
    styles = ["-", "--", ":", "-."]
    colours = {v: f"C{i}" for i, v in enumerate(VARIANT_ORDER)}
    for ax, arch in zip(axes[0], archs):
        for (label, run), style in zip(runs.items(), styles):
            for curve in run["systems"].values():
                if curve["architecture"] != arch:
                    continue
                xs = [e["epoch"] for e in curve["epochs"]]
                ys = [e["valid_loss"] for e in curve["epochs"]]
                ax.plot(xs, ys, style, marker=".", color=colours.get(curve["variant"], "k"),
                        label=f"{curve['variant']} ({label})")  # fmt: skip
        ax.set_title(arch)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=6)
    axes[0][0].set_ylabel("validation loss (dev, speech only)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--exp", action="append", required=True, metavar="LABEL=DIR",
                   help="an experiment dir and the label it gets in the results (repeatable)")  # fmt: skip
    p.add_argument("--systems-file", type=Path, default=SYSTEMS_FILE)
    p.add_argument("--note", action="append", default=[], help="a note kept in the results file")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--plot", type=Path)
    p.add_argument("--update", type=Path, metavar="FILE",
                   help="an earlier results file whose runs and notes are kept")  # fmt: skip
    args = p.parse_args(argv)

    runs, notes = {}, []
    if args.update:
        earlier = json.loads(args.update.read_text())
        runs, notes = earlier["runs"], earlier["notes"]
    for item in args.exp:
        label, sep, directory = item.partition("=")
        if not sep or not label or not directory:
            p.error(f"--exp {item!r}: expected LABEL=DIR")
        merge_run(runs, label, directory, collect(Path(directory), args.systems_file))
    result = {"benchmark": "discrete_validation_curves", "notes": notes + args.note, "runs": runs}
    if args.plot:
        plot(runs, args.plot)
        result["plot"] = args.plot.name
    write_text_atomic(args.out, json.dumps(result, indent=1) + "\n")
    print(f"wrote {args.out}" + (f" and {args.plot}" if args.plot else ""))


if __name__ == "__main__":
    main()
