"""Source contribution (ALTI+) of ST checkpoints over training, for one or more experiments.

For every ``<n>epoch.pth`` of each experiment, the model from the experiment's ``config.yaml`` is
run with teacher forcing on the reference translations of a test set, and
:func:`espnet_ext.werc.alti.decoder_contributions` splits each prediction's input attribution
between the encoder output frames (source) and the target prefix. Per utterance the source share
is averaged over its predictions (every target token and ``<eos>``); a checkpoint's figure is
the mean over utterances.

Test data are read the way training read them: the names and loader types of the ``speech`` and
``text`` entries of ``train_data_path_and_name_and_type`` (e.g. ``wav.scp``/``sound`` and
``text.tc.de``/``text``) are looked up in the given data dir, and ESPnet's own preprocessor
(``STTask.build_preprocess_fn``: the experiment's tokenizer, BPE model and token list) turns the
reference into token ids. Paths inside ``config.yaml`` (BPE model, normalisation stats) are
relative to the recipe directory, so run this from there, as ESPnet's own tools.

Checkpoints: ESPnet saves ``<n>epoch.pth`` after every epoch and then deletes those that are not
among the ``keep_nbest_models`` best. Keep them all with ``--keep_nbest_models`` >= ``max_epoch``,
``step`` is the number of training updates at the end of each checkpoint's epoch: epoch x
``num_iters_per_epoch`` when the config sets it, else the count ESPnet's reporter kept in the
experiment's ``checkpoint.pth`` (``train`` ``total_count`` of that epoch); empty when neither is
known.

Each checkpoint's result is cached in ``OUT/cache/<experiment>/<checkpoint>.json`` together with
the checkpoint's size and mtime and the evaluation settings, so re-runs only evaluate new or
changed checkpoints.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import torch

from espnet_ext.fileio import atomic_open, write_text_atomic

EPOCH_CHECKPOINT = re.compile(r"^(\d+)epoch\.pth$")
CSV_FIELDS = ("experiment", "checkpoint", "epoch", "step", "source_share", "n_utts")

logger = logging.getLogger(__name__)


@dataclass
class CheckpointResult:
    experiment: str
    checkpoint: str
    epoch: int
    step: int | None
    source_share: float
    n_utts: int


def find_epoch_checkpoints(exp_dir: Path, pattern: str = "*epoch.pth") -> list[tuple[int, Path]]:
    """``(epoch, path)`` of the files matching ``pattern`` named ``<n>epoch.pth``, by epoch.

    Other matches (``valid.acc.ave_5best.till40epoch.pth`` ...) are skipped and logged.
    """
    found, skipped = [], []
    for path in exp_dir.glob(pattern):
        match = EPOCH_CHECKPOINT.match(path.name)
        if match and path.is_file():
            found.append((int(match.group(1)), path))
        else:
            skipped.append(path.name)
    if skipped:
        logger.info(
            "%s: skipped %d files that are not <n>epoch.pth: %s",
            exp_dir,
            len(skipped),
            ", ".join(sorted(skipped)),
        )
    return sorted(found)


def _data_entry(args, name: str, config: Path) -> tuple[str, str]:
    """(file name, loader type) of the training data entry called ``name``."""
    for path, entry_name, loader_type in args.train_data_path_and_name_and_type:
        if entry_name == name:
            return Path(path).name, loader_type
    raise ValueError(
        f"{config}: train_data_path_and_name_and_type has no {name!r} entry: "
        f"{args.train_data_path_and_name_and_type}"
    )


def load_test_items(
    args, config: Path, data_dir: Path, max_utts: int | None, text_file: Path | None
) -> list[tuple[str, torch.Tensor, torch.Tensor]]:
    """``(utt_id, speech (T, ...) float, target ids (N,) long)`` for the first ``max_utts``
    utterances of ``data_dir`` (sorted ids), preprocessed as during training.

    Utterances without a reference are skipped (counted and logged).
    """
    from espnet2.tasks.st import STTask
    from espnet2.train.dataset import ESPnetDataset

    speech_name, speech_type = _data_entry(args, "speech", config)
    text_name, text_type = _data_entry(args, "text", config)
    text_path = text_file if text_file is not None else data_dir / text_name
    for path in (data_dir / speech_name, text_path):
        if not path.is_file():
            raise FileNotFoundError(f"{path} not found (needed by {config})")
    dataset = ESPnetDataset(
        [
            (str(data_dir / speech_name), "speech", speech_type),
            (str(text_path), "text", text_type),
        ],
        preprocess=STTask.build_preprocess_fn(args, train=False),
    )
    speech_keys = set(dataset.loader_dict["speech"].keys())
    text_keys = set(dataset.loader_dict["text"].keys())
    missing = sorted(speech_keys - text_keys)
    if missing:
        logger.warning(
            "%s: %d utterances have no reference in %s and are skipped (first: %s)",
            data_dir,
            len(missing),
            text_path,
            missing[0],
        )
    keys = sorted(speech_keys & text_keys)
    if max_utts is not None:
        keys = keys[:max_utts]
    if not keys:
        raise ValueError(f"{data_dir}: no utterance has both speech and a reference")
    items = []
    for key in keys:
        _, data = dataset[key]
        items.append((key, torch.from_numpy(data["speech"]), torch.from_numpy(data["text"])))
    return items


@torch.no_grad()
def utterance_source_share(model, speech: torch.Tensor, text: torch.Tensor) -> tuple[float, int]:
    """Mean ALTI+ source share over the teacher-forced predictions of one utterance.

    Args:
        model: ``ESPnetSTModel`` in eval mode with a Transformer(-like) decoder.
        speech: (T, ...) input of ``model.encode``; text: (N,) reference token ids.
    Returns:
        the share and the number of rows where ALTI fell back to L1 norms (see
        :class:`espnet_ext.werc.alti.DecoderContributions`).
    """
    from espnet_ext.werc.alti import decoder_contributions

    device = next(model.parameters()).device
    speech = speech.unsqueeze(0).to(device)
    memory, memory_lens = model.encode(speech, torch.tensor([speech.size(1)], device=device))
    ys = text.to(device)
    lang = getattr(model, "lang_token_id", None)
    if lang is not None:  # the model prepends it during training (mBART-style)
        ys = torch.cat([lang.view(-1).to(device), ys])
    ys_in = torch.cat([ys.new_tensor([model.sos]), ys]).unsqueeze(0)
    result = decoder_contributions(
        model.decoder, memory, memory_lens, ys_in, torch.tensor([ys_in.size(1)], device=device)
    )
    return float(result.mean_source_share()[0]), int(result.degenerate_rows[0])


def updates_by_epoch(exp_dir: Path) -> dict[int, int]:
    """``{epoch: training updates at its end}`` from the reporter in ``exp_dir/checkpoint.pth``
    (empty if there is none or it cannot be read)."""
    from espnet_ext.training.safe_load import reporter_stats

    try:
        stats = reporter_stats(exp_dir)
    except Exception as e:  # an unreadable checkpoint only costs the step column
        logger.warning(
            "%s/checkpoint.pth: no update counts (%s); the step column stays empty", exp_dir, e
        )
        return {}
    if stats is None:
        return {}
    return {
        int(epoch): int(entry["train"]["total_count"])
        for epoch, entry in stats.items()
        if "total_count" in entry.get("train", {})
    }


def _cache_key(checkpoint: Path, data_dir: Path, max_utts, text_file) -> dict:
    stat = checkpoint.stat()
    return {
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "data_dir": str(data_dir.resolve()),
        "max_utts": max_utts,
        "text_file": None if text_file is None else str(Path(text_file).resolve()),
    }


def evaluate_experiment(
    exp_dir: Path,
    data_dir: Path,
    out_dir: Path,
    checkpoint_glob: str = "*epoch.pth",
    max_utts: int | None = None,
    text_file: Path | None = None,
    device: str = "cpu",
) -> list[CheckpointResult]:
    """Source share of every epoch checkpoint of one experiment (cached per checkpoint)."""
    from tqdm import tqdm

    from espnet_ext.registry import register

    register()
    from espnet2.tasks.st import STTask

    exp_dir, data_dir = Path(exp_dir), Path(data_dir)
    name = exp_dir.name
    config = exp_dir / "config.yaml"
    if not config.is_file():
        raise FileNotFoundError(f"{config} not found")
    checkpoints = find_epoch_checkpoints(exp_dir, checkpoint_glob)
    if not checkpoints:
        raise FileNotFoundError(f"{exp_dir}: no <n>epoch.pth matches {checkpoint_glob!r}")

    model = items = None
    results = []
    for epoch, checkpoint in checkpoints:
        cache = out_dir / "cache" / name / f"{checkpoint.name}.json"
        key = _cache_key(checkpoint, data_dir, max_utts, text_file)
        if cache.is_file():
            cached = json.loads(cache.read_text(encoding="utf-8"))
            if cached.get("key") == key:
                logger.info("%s/%s: cached, skipping", name, checkpoint.name)
                results.append(CheckpointResult(**cached["result"]))
                continue
        if model is None:
            model, args = STTask.build_model_from_file(config, None, device)
            model.eval()
            items = load_test_items(args, config, data_dir, max_utts, text_file)
            iters = getattr(args, "num_iters_per_epoch", None)
        # weights-only: a model file is a plain state dict, and a crafted one must not run code
        state = torch.load(checkpoint, map_location=device, weights_only=True)
        try:
            model.load_state_dict(state, strict=True)
        except RuntimeError as e:
            raise RuntimeError(f"{checkpoint} does not fit the model of {config}: {e}") from e
        shares, degenerate = {}, 0
        for uid, speech, text in tqdm(items, desc=f"{name}/{checkpoint.name}", leave=False):
            try:
                shares[uid], bad_rows = utterance_source_share(model, speech, text)
            except Exception as e:
                raise RuntimeError(f"{data_dir}: utterance {uid}: {e}") from e
            degenerate += bad_rows
        if degenerate:
            logger.warning(
                "%s/%s: %d attention-block rows had no ALTI contribution and used the L1-norm "
                "fallback",
                name,
                checkpoint.name,
                degenerate,
            )
        result = CheckpointResult(
            experiment=name,
            checkpoint=checkpoint.name,
            epoch=epoch,
            step=None if iters is None else epoch * iters,
            source_share=sum(shares.values()) / len(shares),
            n_utts=len(shares),
        )
        logger.info("%s/%s: source share %.4f", name, checkpoint.name, result.source_share)
        payload = {
            "key": key,
            "result": asdict(result),
            "degenerate_rows": degenerate,
            "utterances": shares,
        }
        write_text_atomic(cache, json.dumps(payload, indent=1, sort_keys=True) + "\n")
        results.append(result)
    if any(r.step is None for r in results):
        updates = updates_by_epoch(exp_dir)
        results = [replace(r, step=updates.get(r.epoch)) if r.step is None else r for r in results]
    return results


def write_csv(results: list[CheckpointResult], path: Path) -> None:
    with atomic_open(path, "w") as f:
        writer = csv.DictWriter(f, fieldnames=CSV_FIELDS, lineterminator="\n")
        writer.writeheader()
        for result in results:
            row = asdict(result)
            row["step"] = "" if result.step is None else result.step
            row["source_share"] = f"{result.source_share:.6f}"
            writer.writerow(row)


def plot_curves(results: list[CheckpointResult], path: Path) -> str:
    """One curve per experiment, source share against step (when every row has one) or epoch.

    Returns the x-axis used ("step" or "epoch").
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    axis = "step" if all(r.step is not None for r in results) else "epoch"
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for experiment in dict.fromkeys(r.experiment for r in results):
        rows = sorted((r for r in results if r.experiment == experiment), key=lambda r: r.epoch)
        ax.plot(
            [getattr(r, axis) for r in rows],
            [r.source_share for r in rows],
            marker="o",
            label=experiment,
        )
    ax.set_xlabel(f"training {axis}")
    ax.set_ylabel("source contribution (ALTI+)")
    ax.set_ylim(0.0, 1.0)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=120)
    plt.close(fig)
    with atomic_open(path, "wb") as f:
        f.write(buffer.getvalue())
    return axis


def run(
    exp_dirs: list[Path],
    data_dir: Path,
    out_dir: Path,
    checkpoint_glob: str = "*epoch.pth",
    max_utts: int | None = None,
    text_file: Path | None = None,
    device: str = "cpu",
) -> list[CheckpointResult]:
    """Evaluate every experiment, then write ``OUT/source_contribution.{csv,png}``."""
    names = [Path(d).name for d in exp_dirs]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"experiment dirs must have distinct names, repeated: {duplicates}")
    results = []
    for exp_dir in exp_dirs:
        results += evaluate_experiment(
            Path(exp_dir), data_dir, out_dir, checkpoint_glob, max_utts, text_file, device
        )
    write_csv(results, out_dir / "source_contribution.csv")
    plot_curves(results, out_dir / "source_contribution.png")
    return results
