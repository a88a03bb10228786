"""Use a system that another recipe trained instead of training it again.

``st.sh --import_systems "asr=../../mustc_baseline/st1/exp/asr"`` makes stage 8-10 take ``exp/asr``
from that finished experiment: one ASR trained once serves the WeRC, exporter and LST recipes. A
model is only as good as the data pipeline it was trained with, so the import is refused unless
the source would behave here exactly as a system trained here:

- every token list this recipe would train the system with equals the source's (same entries,
  same order);
- every SentencePiece model gives the same pieces on this recipe's training text for it (the
  model files themselves may differ in bytes: SentencePiece's EM is multi-threaded, so two runs on
  the same text can differ in the last bits of the piece scores);
- the feature normalisation statistics agree (to 1e-9 relative: jobs may sum in another order);
- the model configuration agrees: every option of the task's model classes (frontend, specaug,
  normalize, encoder, decoder, ... and their ``*_conf``, ``model_conf``, token types), with this
  recipe's config file parsed by the task's own parser, so defaults count too. Training options
  (epochs, optimiser, batch size) may differ; they are listed in the report.

The copy holds the source's inference checkpoint (verified against the source's
``checksums.sha256`` when listed there, and listed in the copy's), its config with this recipe's
tokenizer and statistics paths, its logs and plots, and ``imported_from.json`` (source, checksum,
what was checked). Copies, not hard links: ESPnet rewrites some checkpoints in place, so a
re-training at the source would otherwise change this recipe's model behind its back.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import json
import logging
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

from espnet_ext.fileio import atomic_dir, write_text_atomic
from espnet_ext.pipeline.decode_outputs import resolve_model_file
from espnet_ext.pipeline.tasks import get_task

logger = logging.getLogger(__name__)

IMPORT_RECORD = "imported_from.json"
STATS_RTOL = 1e-9
# model options beyond the task's class choices (``<choice>`` and ``<choice>_conf``)
MODEL_OPTIONS = (
    "model_conf",
    "ctc_conf",
    "joint_net_conf",
    "input_size",
    "token_type",
    "src_token_type",
)
# options that say where and how a run was launched, not how the model was trained
PER_RUN_OPTIONS = {
    "config", "output_dir", "resume", "ngpu", "print_config", "init_param", "token_list",
    "src_token_list", "bpemodel", "src_bpemodel", "train_data_path_and_name_and_type",
    "valid_data_path_and_name_and_type", "train_shape_file", "valid_shape_file", "num_workers",
    "multiprocessing_distributed", "dist_backend", "dist_init_method", "dist_world_size",
    "dist_rank", "local_rank", "dist_master_addr", "dist_master_port", "dist_launcher",
    "unused_parameters", "use_tensorboard", "use_wandb", "wandb_project", "wandb_id",
    "wandb_entity", "wandb_name", "wandb_model_log_interval", "log_level", "dry_run",
    "iterator_type", "collect_stats", "write_collected_feats",
}  # fmt: skip
# top-level files of the source that the copy leaves out: checkpoints for resuming, outputs that
# belong to the source recipe (its decoding, packs, results, re-run script), and what the import
# writes itself
NOT_COPIED = {"RESULTS.md", "run_train.sh", "train_info.json", "pack.log", ".done"}
# the tokenizer option that tokenizes each training data name
TOKENIZED_DATA = {"bpemodel": "text", "src_bpemodel": "src_text"}


class SystemImportError(ValueError):
    """The source experiment cannot stand in for a system trained by this recipe."""


@dataclass
class LocalSetup:
    """What this recipe would train the system with, read from its training options."""

    token_lists: dict[str, str] = field(default_factory=dict)  # option -> file
    bpemodels: dict[str, str] = field(default_factory=dict)  # option -> file
    train_data: dict[str, str] = field(default_factory=dict)  # data name -> file
    stats_file: str | None = None

    @classmethod
    def from_train_args(cls, argv: list[str]) -> LocalSetup:
        p = argparse.ArgumentParser(add_help=False)
        for name in ("token_list", "src_token_list", "bpemodel", "src_bpemodel"):
            p.add_argument(f"--{name}")
        p.add_argument("--train_data_path_and_name_and_type", action="append", default=[])
        p.add_argument("--normalize_conf", action="append", default=[])
        args, _ = p.parse_known_args(argv)
        setup = cls()
        for name in ("token_list", "src_token_list"):
            if getattr(args, name):
                setup.token_lists[name] = getattr(args, name)
        for name in ("bpemodel", "src_bpemodel"):
            if getattr(args, name):
                setup.bpemodels[name] = getattr(args, name)
        for item in args.train_data_path_and_name_and_type:
            path, name, _ = item.split(",")
            setup.train_data[name] = path
        for item in args.normalize_conf:
            key, _, value = item.partition("=")
            if key == "stats_file":
                setup.stats_file = value
        return setup


def _plain(value):
    """Parsed options and YAML both as plain lists/dicts, so that they compare."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _source_path(value: str, src_recipe: Path, what: str) -> Path:
    path = Path(value)
    path = path if path.is_absolute() else src_recipe / path
    if not path.exists():
        raise SystemImportError(f"{what}: the source's file {path} does not exist")
    return path


def _read_token_list(value, src_recipe: Path, what: str) -> list[str]:
    if isinstance(value, list):
        return [str(t) for t in value]
    path = _source_path(str(value), src_recipe, what)
    return path.read_text(encoding="utf-8").splitlines()


def check_token_list(option: str, local_file: str, src_value, src_recipe: Path) -> str:
    here = Path(local_file).read_text(encoding="utf-8").splitlines()
    if src_value is None:
        raise SystemImportError(
            f"{option}: the source's config has none; this recipe uses {local_file}"
        )
    there = _read_token_list(src_value, src_recipe, option)
    if here != there:
        first = next(
            (i for i, (a, b) in enumerate(zip(here, there)) if a != b), min(len(here), len(there))
        )
        raise SystemImportError(
            f"{option}: {local_file} ({len(here)} tokens) differs from the source's "
            f"({len(there)} tokens) first at entry {first}: "
            f"{here[first] if first < len(here) else '<end>'!r} here, "
            f"{there[first] if first < len(there) else '<end>'!r} there"
        )
    return f"{option}: {len(here)} tokens, identical"


def check_tokenizer(option: str, local_model: str, src_model: Path, text_file: str | None) -> str:
    """Both SentencePiece models split this recipe's training text into the same pieces."""
    import sentencepiece as spm

    if text_file is None:
        raise SystemImportError(f"{option}: no training text for it among the training options")
    here = spm.SentencePieceProcessor(model_file=str(local_model))
    there = spm.SentencePieceProcessor(model_file=str(src_model))
    n = 0
    with open(text_file, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            utt, _, text = line.rstrip("\n").partition(" ")
            if here.encode(text, out_type=str) != there.encode(text, out_type=str):
                raise SystemImportError(
                    f"{option}: {local_model} and the source's {src_model} split "
                    f"{text_file}:{lineno} (utterance {utt}) differently"
                )
            n += 1
    return f"{option}: same pieces on all {n} lines of {text_file}"


def check_stats(local_file: str, src_file: Path) -> str:
    here, there = np.load(local_file), np.load(src_file)
    if sorted(here.files) != sorted(there.files):
        raise SystemImportError(
            f"statistics: {local_file} has {sorted(here.files)}, the source's {src_file} "
            f"{sorted(there.files)}"
        )
    worst = 0.0
    for key in here.files:
        a, b = here[key].astype(np.float64), there[key].astype(np.float64)
        if a.shape != b.shape:
            raise SystemImportError(
                f"statistics: {key} has shape {a.shape} in {local_file}, {b.shape} in {src_file}"
            )
        scale = np.maximum(np.maximum(np.abs(a), np.abs(b)), np.finfo(np.float64).tiny)
        rel = float(np.max(np.abs(a - b) / scale, initial=0.0))
        if rel > STATS_RTOL:
            raise SystemImportError(
                f"statistics: {key} of {local_file} and the source's {src_file} differ "
                f"(max relative difference {rel:.3g}): not the same training features"
            )
        worst = max(worst, rel)
    return f"statistics: {len(here.files)} arrays agree (max relative difference {worst:.2g})"


def task_options(task_name: str, config: Path) -> tuple[dict, set[str]]:
    """This recipe's full training options for ``config`` (defaults included), parsed by the
    task's own ESPnet parser, and the names of the options that define the model."""
    task = get_task(task_name)
    if not task.task_class:
        raise SystemImportError(
            f"task {task_name!r} is not trained by an ESPnet task class; its systems cannot be "
            "imported"
        )
    from espnet_ext.bin import quiet_espnet_import
    from espnet_ext.registry import register

    quiet_espnet_import()
    register()
    module, _, name = task.task_class.partition(":")
    cls = getattr(importlib.import_module(module), name)
    try:
        options = vars(cls.get_parser().parse_args(["--config", str(config)]))
    except SystemExit as e:
        raise SystemImportError(f"{config}: not a valid {name} config (exit {e.code})") from None
    model_keys = {c.name for c in cls.class_choices_list}
    model_keys |= {f"{k}_conf" for k in model_keys}
    model_keys |= set(MODEL_OPTIONS)
    return options, model_keys


def compare_configs(local: dict, model_keys: set[str], src: dict, config: Path) -> list[str]:
    """Refuses a model option that differs; returns the training options that differ."""
    differ = []
    for key in sorted(model_keys):
        here, there = _plain(local.get(key)), _plain(src.get(key))
        if key == "normalize_conf":  # the statistics are compared by content
            here, there = (
                {k: v for k, v in (d or {}).items() if k != "stats_file"} for d in (here, there)
            )
        if here != there:
            differ.append(f"{key}: {here!r} in {config}, {there!r} in the source")
    if differ:
        raise SystemImportError("model configuration differs: " + "; ".join(differ))
    ignore = model_keys | PER_RUN_OPTIONS
    training = []
    for key in sorted(set(local) & set(src) - ignore):
        if _plain(local[key]) != _plain(src[key]):
            training.append(
                f"{key}: {_plain(local[key])!r} here, {_plain(src[key])!r} in the source"
            )
    return training


def _copy_model(src: Path, dst: Path, model_name: str) -> tuple[str, str, bool]:
    """Copies the checkpoint ``model_name`` resolves to, with the symlinks leading to it; returns
    (file name, sha256, whether the source's manifest vouched for it)."""
    from espnet_ext.training.checkpoint import CheckpointDir, file_sha256

    path = resolve_model_file(src, model_name)
    while path.is_symlink():
        target = os.readlink(path)
        if Path(target).is_absolute() or "/" in target:
            raise SystemImportError(
                f"{path}: links outside its directory ({target}); copy it by hand"
            )
        (dst / path.name).symlink_to(target)
        path = src / target
    source = CheckpointDir(src)
    problem = source.verify(path.name)
    verified = problem is None
    if problem and not problem.startswith("no checksum"):
        raise SystemImportError(f"{path}: {problem}")
    shutil.copy2(path, dst / path.name)
    # a verified source's sha256 is known: a big checkpoint is read once more, not twice (a bad
    # copy still fails the copy's manifest check when loaded)
    sha = (verified and source.known_sha256(path.name)) or file_sha256(dst / path.name)
    CheckpointDir(dst).update_manifest({path.name: sha})
    return path.name, sha, verified


def import_system(
    src: str | os.PathLike,
    dst: str | os.PathLike,
    task: str,
    config: str | os.PathLike,
    model_name: str,
    train_args: list[str],
) -> dict:
    """Checks that the finished experiment ``src`` matches what this recipe would train as
    ``dst`` (module docstring), then copies it to ``dst``; returns the import record."""
    src, dst, config = Path(src), Path(dst), Path(config)
    if not (src / ".done").is_file():
        raise SystemImportError(f"{src}: not a finished experiment of a recipe (no {src}/.done)")
    if dst.exists() and src.resolve() == dst.resolve():
        raise SystemImportError(f"{src}: importing an experiment into itself")
    if dst.exists() and not (dst / IMPORT_RECORD).is_file():
        raise SystemImportError(
            f"{dst} exists and was not imported (an unfinished training?): "
            f"remove it to import {src}"
        )
    src_config = yaml.safe_load((src / "config.yaml").read_text(encoding="utf-8")) or {}
    # paths in an experiment's config are relative to its recipe dir (<recipe>/exp/<system>)
    src_recipe = src.resolve().parent.parent
    setup = LocalSetup.from_train_args(train_args)

    options, model_keys = task_options(task, config)
    training_differences = compare_configs(options, model_keys, src_config, config)
    checks = []
    for option, local_file in setup.token_lists.items():
        checks.append(check_token_list(option, local_file, src_config.get(option), src_recipe))
    for option, local_model in setup.bpemodels.items():
        if not src_config.get(option):
            raise SystemImportError(
                f"{option}: the source's config has none; this recipe uses {local_model}"
            )
        src_model = _source_path(src_config[option], src_recipe, option)
        text = setup.train_data.get(TOKENIZED_DATA[option])
        checks.append(check_tokenizer(option, local_model, src_model, text))
    if setup.stats_file:
        src_stats = (src_config.get("normalize_conf") or {}).get("stats_file")
        if not src_stats:
            raise SystemImportError(
                "statistics: the source's config has no normalize_conf.stats_file"
            )
        checks.append(
            check_stats(setup.stats_file, _source_path(src_stats, src_recipe, "statistics"))
        )

    with atomic_dir(dst) as tmp:
        model_file, sha, verified = _copy_model(src, tmp, model_name)
        for path in sorted(src.iterdir()):
            if (
                path.is_file()
                and not path.is_symlink()
                and path.suffix != ".pth"
                and path.name not in NOT_COPIED
                and path.name != "checksums.sha256"
            ):
                shutil.copy2(path, tmp / path.name)
        if not (tmp / "train_wall_seconds.txt").is_file():
            # st.sh's train_info reads it; the source did not record its training time
            write_text_atomic(tmp / "train_wall_seconds.txt", "0\n")
            checks.append(
                "train_wall_seconds.txt: absent at the source, training time recorded as 0"
            )
        if (src / "images").is_dir():
            shutil.copytree(src / "images", tmp / "images")
        config_out = dict(src_config, output_dir=str(dst))
        for option, local_file in (setup.token_lists | setup.bpemodels).items():
            # a token list ESPnet wrote inline stays inline (it was compared equal)
            if option in setup.bpemodels or isinstance(src_config.get(option), str):
                config_out[option] = local_file
        if setup.stats_file:
            config_out["normalize_conf"] = dict(
                src_config["normalize_conf"], stats_file=setup.stats_file
            )
        write_text_atomic(
            tmp / "config.yaml", yaml.safe_dump(config_out, sort_keys=False, allow_unicode=True)
        )
        record = {
            "source": str(src.resolve()),
            "model_file": model_file,
            "sha256": sha,
            "checksum_verified_at_source": verified,
            "imported": datetime.datetime.now().isoformat(timespec="seconds"),
            "checks": checks,
            "training_differences": training_differences,
        }
        write_text_atomic(tmp / IMPORT_RECORD, json.dumps(record, indent=2) + "\n")
    return record


def read_import_record(exp_dir: str | os.PathLike) -> dict | None:
    path = Path(exp_dir) / IMPORT_RECORD
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
