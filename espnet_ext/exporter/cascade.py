"""The 1-best cascade as a system of the stage pipeline: an experiment dir assembled, not trained.

A cascade has nothing to train: it is an ASR system (greedy-CTC 1-best) followed by an MT system.
So that the pipeline decodes, scores, counts and packs it like any other system, its "training"
(:func:`assemble_cascade`, run by ``python -m espnet_ext.bin.cascade_assemble``) writes an
experiment dir from the two trained ones:

* ``EXP/config.yaml``: ``task: cascade``, ``asr_exp``/``mt_exp`` (their dirs, whose
  ``config.yaml`` builds the models), the checkpoint names they were taken from
  (``asr_model_file``/``mt_model_file``, resolved as the pipeline resolves its decoding
  checkpoint) and ``freeze_param: [asr, mt]`` (nothing of it is trained);
* ``EXP/<model_name>``: one state dict with both models' weights under ``asr.`` and ``mt.``
  (the layout of the exporter's checkpoints), and ``EXP/valid.acc.ave.pth`` linking to it when
  the name differs (where ESPnet's trainer leaves its average, read by ``train_info``).

The assembler's config (the recipe's ``conf/*/cascade.yaml``) names the two experiment dirs::

    asr_exp: exp/asr
    mt_exp: exp/mt

:func:`load_cascade_system` builds the translator of such a dir (``cascade_inference
--cascade_config EXP/config.yaml --cascade_model_file EXP/<model_name>``).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import torch
import yaml

from espnet_ext.fileio import atomic_open, write_text_atomic

logger = logging.getLogger(__name__)

TASK = "cascade"
PARTS = ("asr", "mt")
# where ESPnet's trainer leaves the checkpoint average; train_info and pack look for it first
DEFAULT_LINK = "valid.acc.ave.pth"
CONFIG_KEYS = {"asr_exp", "mt_exp", "asr_model_file", "mt_model_file"}


def read_cascade_config(path: str | os.PathLike) -> dict:
    """The mapping in a cascade config; raises ``ValueError`` naming a missing or unknown key."""
    with open(path, encoding="utf-8") as f:
        config = yaml.safe_load(f) or {}
    if not isinstance(config, dict):
        raise ValueError(f"{path}: expected a mapping, got {type(config).__name__}")
    for key in ("asr_exp", "mt_exp"):
        if not config.get(key):
            raise ValueError(f"{path}: missing {key!r} (the {key[:-4].upper()} experiment dir)")
    unknown = set(config) - CONFIG_KEYS - {"task", "freeze_param"}
    if unknown:
        raise ValueError(f"{path}: unknown keys {sorted(unknown)}; known: {sorted(CONFIG_KEYS)}")
    if config.get("task", TASK) != TASK:
        raise ValueError(f"{path}: task {config['task']!r} is not a cascade")
    return config


def assemble_cascade(
    config_path: str | os.PathLike, output_dir: str | os.PathLike, model_name: str
) -> dict:
    """Write the cascade experiment dir ``output_dir`` (see the module docstring).

    Args:
        config_path: YAML naming ``asr_exp`` and ``mt_exp`` (optionally ``asr_model_file`` /
            ``mt_model_file``, checkpoint names in them; default ``model_name``).
        model_name: the checkpoint name the pipeline decodes with (``--inference_model``); an
            n-best average that a short training did not reach falls back to the largest one
            it has, as in decoding.

    Returns:
        the written ``config.yaml`` content.
    """
    from espnet_ext.exporter.pretrained import check_vocabularies, load_system
    from espnet_ext.pipeline.decode_outputs import resolve_model_file
    from espnet_ext.training.safe_load import load_weights_only

    config = read_cascade_config(config_path)
    output_dir = Path(output_dir)
    state: dict[str, torch.Tensor] = {}
    written = {"task": TASK}
    args = {}
    for part in PARTS:
        exp = Path(config[f"{part}_exp"])
        if not (exp / "config.yaml").is_file():
            raise FileNotFoundError(
                f"{exp}/config.yaml: the {part.upper()} system is not trained ({config_path} "
                f"names {part}_exp: {exp})"
            )
        checkpoint = resolve_model_file(exp, config.get(f"{part}_model_file") or model_name)
        # built without weights only to check that the config is an ESPnet ASR/MT config
        _, args[part] = load_system(part, exp, load_weights=False)
        weights = load_weights_only(checkpoint, map_location="cpu")
        state.update({f"{part}.{name}": value for name, value in weights.items()})
        written[f"{part}_exp"] = str(config[f"{part}_exp"])
        written[f"{part}_model_file"] = checkpoint.name
        logger.info("%s: %s (%d tensors)", part, checkpoint, len(weights))
    check_vocabularies(args["asr"], args["mt"])
    written["freeze_param"] = list(PARTS)
    output_dir.mkdir(parents=True, exist_ok=True)
    with atomic_open(output_dir / model_name, "wb") as f:
        torch.save(state, f)
    if model_name != DEFAULT_LINK:
        link = output_dir / DEFAULT_LINK
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(model_name)
    write_text_atomic(
        output_dir / "config.yaml",
        yaml.safe_dump(written, allow_unicode=True, sort_keys=False),
    )
    logger.info("cascade of %s and %s -> %s", written["asr_exp"], written["mt_exp"], output_dir)
    return written


def load_cascade_system(
    config_path: str | os.PathLike,
    model_file: str | os.PathLike,
    device: str = "cpu",
    **kwargs,
):
    """The translator of an assembled cascade dir; returns ``(translator, asr_args)``.

    The models are built from the ``config.yaml`` of the experiment dirs the cascade config
    names, and their weights come from ``model_file`` (strictly: every parameter of both).
    ``kwargs``: the :class:`~espnet_ext.exporter.inference.SpeechTranslator` options.
    """
    from espnet_ext.exporter.inference import SpeechTranslator
    from espnet_ext.exporter.pretrained import check_vocabularies, load_system
    from espnet_ext.training.safe_load import load_weights_only

    config = read_cascade_config(config_path)
    state = load_weights_only(model_file, map_location=device)
    models = {}
    for part in PARTS:
        model, args = load_system(part, config[f"{part}_exp"], load_weights=False, device=device)
        prefix = f"{part}."
        own = {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}
        if not own:
            raise ValueError(f"{model_file}: no {prefix}* weights (not a cascade checkpoint)")
        model.load_state_dict(own, strict=True)
        models[part] = (model, args)
    (asr, asr_args), (mt, mt_args) = models["asr"], models["mt"]
    check_vocabularies(asr_args, mt_args)
    return SpeechTranslator(asr, asr_args, mt, mt_args, **kwargs), asr_args
