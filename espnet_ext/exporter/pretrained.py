"""Loading the ASR and MT systems an exporter is built on from their ESPnet experiment dirs.

An experiment dir is what ``espnet2.bin.{asr,mt}_train`` writes: ``config.yaml`` plus checkpoints
(the pipeline decodes with ``valid.acc.ave.pth``). Paths inside a ``config.yaml`` (BPE models,
normalisation statistics) are relative to the directory training ran in, i.e. the recipe dir.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
import yaml

DEFAULT_MODEL_FILE = "valid.acc.ave.pth"


def exp_files(exp_dir: str | Path, model_file: str = DEFAULT_MODEL_FILE) -> tuple[Path, Path]:
    """``(config.yaml, checkpoint)`` of an experiment; ``model_file`` may be absolute."""
    exp_dir = Path(exp_dir)
    config = exp_dir / "config.yaml"
    if not config.is_file():
        raise FileNotFoundError(f"{config}: no config.yaml in experiment dir {exp_dir}")
    return config, exp_dir / model_file


def read_config(exp_dir: str | Path) -> dict:
    config, _ = exp_files(exp_dir)
    with open(config, encoding="utf-8") as f:
        loaded = yaml.safe_load(f)
    if not isinstance(loaded, dict):
        raise ValueError(f"{config}: expected a mapping, got {type(loaded).__name__}")
    return loaded


def load_system(
    task: str,
    exp_dir: str | Path,
    model_file: str = DEFAULT_MODEL_FILE,
    load_weights: bool = True,
    device: str = "cpu",
) -> tuple[torch.nn.Module, argparse.Namespace]:
    """Build an ESPnet ``asr`` or ``mt`` model from its experiment dir (weights optional)."""
    if task == "asr":
        from espnet2.tasks.asr import ASRTask as Task
    elif task == "mt":
        from espnet2.tasks.mt import MTTask as Task
    else:
        raise ValueError(f"unknown task {task!r}; choose asr or mt")
    config, checkpoint = exp_files(exp_dir, model_file)
    if load_weights and not checkpoint.is_file():
        raise FileNotFoundError(
            f"{checkpoint}: no {task.upper()} checkpoint (train the {task} system first, or set "
            f"--{task}_model_file)"
        )
    model, args = Task.build_model_from_file(
        config, checkpoint if load_weights else None, device=device
    )
    return model, args


def check_vocabularies(asr_args: argparse.Namespace, mt_args: argparse.Namespace) -> None:
    """The ASR token list must be the MT source token list, id for id.

    The exporter emits one vector per ASR 1-best token and trains it against the MT embedding of
    the same id, and the cascade feeds the ASR token ids to the MT model: both need one shared
    source vocabulary (the recipe trains ASR and MT on ``data/token_list/<train_set>/src_*``).
    """
    asr_tokens = list(asr_args.token_list)
    mt_src = getattr(mt_args, "src_token_list", None)
    if mt_src is None:
        raise ValueError("the MT config has no src_token_list")
    mt_src = list(mt_src)
    if asr_tokens != mt_src:
        diff = next(
            (i for i, (a, b) in enumerate(zip(asr_tokens, mt_src)) if a != b),
            min(len(asr_tokens), len(mt_src)),
        )
        raise ValueError(
            f"the ASR token list ({len(asr_tokens)} tokens) differs from the MT source token list "
            f"({len(mt_src)} tokens) first at id {diff}: "
            f"{asr_tokens[diff] if diff < len(asr_tokens) else None!r} vs "
            f"{mt_src[diff] if diff < len(mt_src) else None!r}; train both on the same source "
            "SentencePiece model and token list"
        )
