"""Batched decoding of a trained ``hf_mt`` model with the Marian model's own ``generate``.

Reads the source text (ESPnet data ``src_text``), writes ``OUT/text`` (Kaldi text
``<utt_id> <translation>``, sorted by id; an empty translation is a line with the id alone) and
``OUT/rtf.json`` ``{n_utts, decode_seconds, beam_size, batch_size, device}``. Each decoding job of
the stage pipeline is one such run; a failed job is re-run whole (``run_jobs --skip-finished``
keeps the finished ones).
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

import torch

from espnet_ext.connectors.hf_mt import ESPnetHFMTModel
from espnet_ext.connectors.hf_mt_task import HFMTTask
from espnet_ext.fileio import write_text_atomic

logger = logging.getLogger(__name__)


def load_model(
    train_config: str | Path, model_file: str | Path, device: str = "cpu"
) -> tuple[ESPnetHFMTModel, argparse.Namespace]:
    """Build the model from ``config.yaml`` and load ``model_file`` strictly.

    Strict, unlike ESPnet's ``build_model_from_file``, so that a checkpoint of another
    configuration is an error rather than a half-random model.
    """
    model, train_args = HFMTTask.build_model_from_file(train_config, None, device)
    state = torch.load(model_file, map_location=device, weights_only=True)
    if isinstance(state, dict) and isinstance(state.get("model"), dict):
        state = state["model"]  # ESPnet's checkpoint.pth
    model.load_state_dict(state, strict=True)
    return model.eval(), train_args


def decode_text(
    train_config: str | Path,
    model_file: str | Path,
    data_path_and_name_and_type: list[tuple[str, str, str]],
    output_dir: str | Path,
    key_file: str | None = None,
    beam_size: int = 4,
    batch_size: int = 16,
    max_new_tokens: int = 256,
    length_penalty: float | None = None,
    device: str = "cpu",
    num_workers: int = 0,
) -> dict:
    """Translate every source sentence of the data; returns the ``rtf.json`` dict."""
    if beam_size < 1 or batch_size < 1:
        raise ValueError(f"beam_size and batch_size must be >= 1, got {beam_size}, {batch_size}")
    output_dir = Path(output_dir)
    generate_kwargs = {"num_beams": beam_size, "max_new_tokens": max_new_tokens}
    if length_penalty is not None:
        generate_kwargs["length_penalty"] = length_penalty
    model, train_args = load_model(train_config, model_file, device)
    loader = HFMTTask.build_streaming_iterator(
        data_path_and_name_and_type,
        dtype="float32",
        batch_size=batch_size,
        key_file=key_file,
        num_workers=num_workers,
        preprocess_fn=HFMTTask.build_preprocess_fn(train_args, False),
        collate_fn=HFMTTask.build_collate_fn(train_args, False),
        inference=True,
    )
    results: dict[str, str] = {}
    seconds = 0.0
    for n_batches, (keys, batch) in enumerate(loader, 1):
        start = time.perf_counter()
        hyps = model.translate(
            batch["src_text"].to(device), batch["src_text_lengths"].to(device), **generate_kwargs
        )
        seconds += time.perf_counter() - start
        results.update(zip(keys, hyps))
        if n_batches % 10 == 0:
            logger.info("%d batches, %d sentences translated", n_batches, len(results))
    lines = [f"{k} {results[k]}".rstrip() + "\n" for k in sorted(results)]
    write_text_atomic(output_dir / "text", "".join(lines))
    info = {
        "n_utts": len(results),
        "decode_seconds": round(seconds, 3),
        "beam_size": beam_size,
        "batch_size": batch_size,
        "device": device,
    }
    write_text_atomic(output_dir / "rtf.json", json.dumps(info, indent=1) + "\n")
    logger.info("translated %d sentences: %s", len(results), info)
    return info
