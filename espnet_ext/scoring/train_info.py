"""Training cost of an experiment: parameter counts and device time -> ``EXP/train_info.json``.

``train_info.json``::

    {"system": "st_transformer", "task": "st", "trainable_params": 31000000,
     "total_params": 45000000, "frozen_params": 14000000, "train_wall_s": 5400.0,
     "device_hours": 6.0, "device": "gpu", "ngpu": 4,
     "checkpoint": "/abs/exp/st_transformer/valid.acc.ave.pth", "config": "/abs/.../config.yaml",
     "freeze_param": ["encoder"], "imported_from": null}

``imported_from``: the source experiment of a system that the pipeline imported from another
recipe (``EXP/imported_from.json``, :mod:`espnet_ext.pipeline.import_system`); its training time
is the source's.

Parameters are counted from the checkpoint's state dict, so the model need not be built (and
neither ESPnet nor the model's code is imported). A state dict also holds buffers; entries that
are not floating point (``num_batches_tracked``, Hugging Face ``position_ids``), BatchNorm running
statistics and ESPnet's GlobalMVN ``normalize.mean``/``normalize.std`` are not counted. Tensors
saved under several names (tied weights) count once, under the first name, as in
``model.named_parameters()``.

A parameter is frozen when its name equals a prefix or starts with ``prefix + "."``, for the
prefixes in the config's ``freeze_param`` (ESPnet's rule) and in ``EXP/frozen_params.json``, a
JSON list of prefixes that a model class writes for modules it freezes itself (for example a
frozen SSL frontend whose ``requires_grad`` it switches off in ``__init__``).
``device_hours = train_wall_s / 3600 * max(ngpu, 1)``: GPU-hours when ``ngpu > 0``, else CPU
(process) hours.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
from pathlib import Path

import yaml

from espnet_ext.fileio import write_text_atomic
from espnet_ext.training.safe_load import load_weights_only

logger = logging.getLogger(__name__)

# Preference order; globs are sorted by name within one pattern.
CHECKPOINT_PATTERNS = (
    "valid.acc.ave.pth",
    "valid.acc.best.pth",
    "*.ave.pth",
    "*.best.pth",
    "latest.pth",
    "checkpoint.pth",
)
_BUFFER_SUFFIXES = (".running_mean", ".running_var", ".num_batches_tracked")
_BUFFER_NAMES = ("normalize.mean", "normalize.std")


def find_checkpoint(exp_dir: str | os.PathLike) -> Path:
    """The checkpoint to count: the first of :data:`CHECKPOINT_PATTERNS` present in ``exp_dir``."""
    exp_dir = Path(exp_dir)
    for pattern in CHECKPOINT_PATTERNS:
        found = sorted(p for p in exp_dir.glob(pattern) if p.is_file())
        if found:
            return found[0]
    raise FileNotFoundError(
        f"{exp_dir}: no checkpoint; looked for {', '.join(CHECKPOINT_PATTERNS)}"
    )


def load_state_dict(path: str | os.PathLike) -> dict:
    """Tensors of a model checkpoint; ESPnet's ``checkpoint.pth`` keeps them under ``model``."""
    import torch

    try:
        obj = load_weights_only(path, map_location="cpu")
    except (RuntimeError, EOFError, pickle.UnpicklingError) as e:
        raise ValueError(f"{path}: cannot load as a weights-only checkpoint ({e})") from None
    if isinstance(obj, dict) and isinstance(obj.get("model"), dict):
        obj = obj["model"]
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise ValueError(f"{path}: not a state dict of tensors (got {type(obj).__name__})")
    return obj


def _is_buffer(name: str, tensor) -> bool:
    if not (tensor.is_floating_point() or tensor.is_complex()):
        return True
    return name.endswith(_BUFFER_SUFFIXES) or any(
        name == b or name.endswith("." + b) for b in _BUFFER_NAMES
    )


def is_frozen(name: str, prefixes: list[str]) -> bool:
    """ESPnet's ``freeze_param`` rule: ``name == p`` or ``name.startswith(p + ".")``."""
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def count_params(state_dict: dict, freeze_prefixes: list[str]) -> tuple[int, int]:
    """``(total, frozen)`` parameter counts of ``state_dict`` (buffers and ties excluded)."""
    seen: set[tuple] = set()
    total = frozen = 0
    used_prefixes: set[str] = set()
    for name, tensor in state_dict.items():
        if _is_buffer(name, tensor):
            continue
        key = (
            tensor.untyped_storage().data_ptr(),
            tensor.storage_offset(),
            tuple(tensor.shape),
            tuple(tensor.stride()),
        )
        if tensor.numel() and key in seen:
            continue
        seen.add(key)
        total += tensor.numel()
        matching = [p for p in freeze_prefixes if is_frozen(name, [p])]
        if matching:
            frozen += tensor.numel()
            used_prefixes.update(matching)
    unused = [p for p in freeze_prefixes if p not in used_prefixes]
    if unused:
        logger.warning("freeze prefixes that match no parameter: %s", unused)
    return total, frozen


def infer_task(config: dict) -> str:
    """ST/MT configs have ``src_token_list``; MT's frontend is ``embed``; ASR has neither."""
    if "src_token_list" in config:
        return "mt" if config.get("frontend") == "embed" else "st"
    if "token_list" in config:
        return "asr"
    raise ValueError("cannot tell the task from the config (no token_list); pass --task")


def read_frozen_params(path: Path) -> list[str]:
    try:
        names = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: not valid JSON ({e})") from None
    if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
        raise ValueError(f"{path}: expected a JSON list of parameter name prefixes, got {names!r}")
    return names


def train_info(
    exp_dir: str | os.PathLike,
    wall_seconds: float,
    ngpu: int,
    system: str | None = None,
    task: str | None = None,
    checkpoint: str | os.PathLike | None = None,
) -> dict:
    """Collect the ``train_info.json`` dict of ``exp_dir`` (see the module docstring)."""
    exp_dir = Path(exp_dir).resolve()
    if wall_seconds < 0 or ngpu < 0:
        raise ValueError(f"wall_seconds={wall_seconds} and ngpu={ngpu} must be >= 0")
    config_path = exp_dir / "config.yaml"
    try:
        config = yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise FileNotFoundError(f"{config_path}: no training config") from None
    if not isinstance(config, dict):
        raise ValueError(f"{config_path}: expected a mapping, got {type(config).__name__}")
    # any pipeline task (espnet_ext.pipeline.tasks) may be named; the name only labels the row
    task = task or config.get("task") or infer_task(config)
    freeze = list(config.get("freeze_param") or [])
    frozen_json = exp_dir / "frozen_params.json"
    if frozen_json.exists():
        freeze += [n for n in read_frozen_params(frozen_json) if n not in freeze]
    ckpt = Path(checkpoint).resolve() if checkpoint else find_checkpoint(exp_dir).resolve()
    total, frozen = count_params(load_state_dict(ckpt), freeze)
    return {
        "system": system or exp_dir.name,
        "task": task,
        "trainable_params": total - frozen,
        "total_params": total,
        "frozen_params": frozen,
        "train_wall_s": float(wall_seconds),
        "device_hours": float(wall_seconds) / 3600.0 * max(ngpu, 1),
        "device": "gpu" if ngpu > 0 else "cpu",
        "ngpu": ngpu,
        "checkpoint": str(ckpt),
        "config": str(config_path),
        "freeze_param": freeze,
        "imported_from": _imported_from(exp_dir),
    }


def _imported_from(exp_dir: Path) -> str | None:
    from espnet_ext.pipeline.import_system import read_import_record

    record = read_import_record(exp_dir)
    return record["source"] if record else None


def write_train_info(info: dict, exp_dir: str | os.PathLike) -> Path:
    path = Path(exp_dir) / "train_info.json"
    write_text_atomic(path, json.dumps(info, indent=2) + "\n")
    return path
