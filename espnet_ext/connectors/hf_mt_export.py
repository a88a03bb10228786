"""Export a trained ``hf_mt`` experiment as a Hugging Face model directory.

``EXP/hf_model/`` gets ``save_pretrained`` output of the Marian model (``config.json``,
``generation_config.json``, ``model.safetensors``) and of its tokenizer (``source.spm``,
``target.spm``, ``vocab.json``, ``target_vocab.json``, ``tokenizer_config.json``), plus
``export.json`` naming the checkpoint it came from. The directory is reloaded through
:func:`espnet_ext.connectors.mt.load_mt_model` / ``load_mt_tokenizer`` -- the path the connector
systems use -- and compared with the checkpoint before it replaces an earlier export, so a
connector never loads a half-written or mismatching model.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import torch

from espnet_ext.connectors.hf_mt_inference import load_model
from espnet_ext.connectors.mt import load_mt_model, load_mt_tokenizer
from espnet_ext.fileio import write_text_atomic

logger = logging.getLogger(__name__)


def _check_reloaded(model, tokenizer, path: Path) -> None:
    reloaded = load_mt_model(str(path)).state_dict()
    for name, value in model.state_dict().items():
        if name not in reloaded or not torch.equal(reloaded[name], value):
            raise RuntimeError(f"{path}: {name} differs from the checkpoint after reloading")
    tok = load_mt_tokenizer(str(path))
    same = (
        type(tok) is type(tokenizer)
        and tok.encoder == tokenizer.encoder
        and tok.target_encoder == tokenizer.target_encoder
    )
    if not same:
        raise RuntimeError(f"{path}: the reloaded tokenizer differs from the training one")


def export_hf_model(
    exp_dir: str | Path, model_file: str | Path, out_dir: str | Path | None = None
) -> Path:
    """Write ``out_dir`` (default ``EXP/hf_model``) from ``EXP/config.yaml`` + ``model_file``."""
    exp_dir = Path(exp_dir)
    out = Path(out_dir) if out_dir is not None else exp_dir / "hf_model"
    model, _ = load_model(exp_dir / "config.yaml", model_file)
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.mt_model.save_pretrained(tmp)
    model.tokenizer.save_pretrained(tmp)
    _check_reloaded(model.mt_model, model.tokenizer, tmp)
    n_params = sum(p.numel() for p in model.mt_model.parameters())
    info = {"model_file": str(Path(model_file).resolve()), "parameters": n_params}
    write_text_atomic(tmp / "export.json", json.dumps(info, indent=1) + "\n")
    old = out.with_name(out.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if out.exists():
        out.rename(old)
    tmp.rename(out)
    shutil.rmtree(old, ignore_errors=True)
    logger.info("exported %s (%d parameters) to %s", model_file, n_params, out)
    return out
