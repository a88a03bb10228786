"""Batched decoding of a trained connector model with the MT model's own ``generate``.

Writes ``OUT/text`` (Kaldi text ``<utt_id> <hypothesis>``, sorted by id; an empty hypothesis is a
line with the id alone) and ``OUT/rtf.json`` ``{audio_seconds, decode_seconds, rtf, n_utts, ...}``,
where ``decode_seconds`` is the time spent in the model (speech encoder, connector, beam search),
not in reading audio or loading the model. Finished batches are appended to
``OUT/text.partial.jsonl`` as they complete; a re-run after an interruption skips them (and
counts their time), and the file is removed once ``text`` and ``rtf.json`` are written.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import time
from pathlib import Path

import torch

from espnet_ext.connectors.espnet_model import ESPnetConnectorSTModel
from espnet_ext.connectors.task import ConnectorSTTask
from espnet_ext.fileio import write_text_atomic

logger = logging.getLogger(__name__)

DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}


def load_model(
    train_config: str | Path, model_file: str | Path, device: str = "cpu"
) -> tuple[ESPnetConnectorSTModel, argparse.Namespace]:
    """Build the model from its training ``config.yaml`` and load ``model_file`` strictly.

    The frozen parts come from their own files (named in the config); a connector-only state
    dict (``save_frozen: false``) is complete for the rest.
    """
    model, train_args = ConnectorSTTask.build_model_from_file(train_config, None, device)
    state = torch.load(model_file, map_location=device, weights_only=True)
    if isinstance(state, dict) and isinstance(state.get("model"), dict):
        state = state["model"]  # ESPnet's checkpoint.pth
    # Strict, unlike ESPnet's build_model_from_file, so a config/checkpoint mismatch is an error.
    model.load_state_dict(state, strict=True)
    return model.eval(), train_args


SETTINGS_KEY = "__settings__"


def _read_partial(path: Path, settings: dict) -> dict[str, tuple[str, float, float]]:
    """``{utt_id: (hypothesis, audio seconds, decode seconds)}`` of an interrupted run with the
    same ``settings``; the file is restarted (with ``settings`` as its first line) otherwise."""
    done: dict[str, tuple[str, float, float]] = {}
    header = json.dumps({SETTINGS_KEY: settings}) + "\n"
    if not path.exists() or not path.read_text(encoding="utf-8").startswith(header):
        if path.exists():
            logger.warning("%s: written with other settings; decoding from scratch", path)
        write_text_atomic(path, header)
        return done
    with path.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                # only the last line can be cut short by an interruption
                logger.warning("%s:%d: ignoring an incomplete record", path, lineno)
                continue
            done.update((k, tuple(v)) for k, v in record.items() if k != SETTINGS_KEY)
    return done


def decode_dataset(
    train_config: str | Path,
    model_file: str | Path,
    data_path_and_name_and_type: list[tuple[str, str, str]],
    output_dir: str | Path,
    key_file: str | None = None,
    beam_size: int = 4,
    batch_size: int = 8,
    max_new_tokens: int = 256,
    length_penalty: float | None = None,
    device: str = "cpu",
    dtype: str = "float32",
    fs: int = 16000,
    num_workers: int = 1,
) -> dict:
    """Translate every utterance of the data; returns the ``rtf.json`` dict."""
    if dtype not in DTYPES:
        raise ValueError(f"unknown dtype {dtype!r}; choose one of {sorted(DTYPES)}")
    if beam_size < 1 or batch_size < 1:
        raise ValueError(f"beam_size and batch_size must be >= 1, got {beam_size}, {batch_size}")
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    partial = output_dir / "text.partial.jsonl"
    generate_kwargs = {"num_beams": beam_size, "max_new_tokens": max_new_tokens}
    if length_penalty is not None:
        generate_kwargs["length_penalty"] = length_penalty
    settings = {
        "model_file": str(Path(model_file).resolve()),
        "dtype": dtype,
        "fs": fs,
        **generate_kwargs,
    }
    done = _read_partial(partial, settings)
    if done:
        logger.info("resuming: %d utterances already decoded in %s", len(done), partial)

    model, train_args = load_model(train_config, model_file, device)
    loader = ConnectorSTTask.build_streaming_iterator(
        data_path_and_name_and_type,
        dtype="float32",
        batch_size=batch_size,
        key_file=key_file,
        num_workers=num_workers,
        preprocess_fn=ConnectorSTTask.build_preprocess_fn(train_args, False),
        collate_fn=ConnectorSTTask.build_collate_fn(train_args, False),
        inference=True,
    )
    autocast = (
        torch.autocast(device_type=torch.device(device).type, dtype=DTYPES[dtype])
        if dtype != "float32"
        else contextlib.nullcontext()
    )
    n_batches = 0
    seen: list[str] = []
    with partial.open("a+", encoding="utf-8") as log:
        log.seek(0)
        if not log.read().endswith("\n"):
            log.write("\n")  # end a record cut short by the interruption
        for keys, batch in loader:
            n_batches += 1
            seen.extend(keys)
            if all(k in done for k in keys):
                continue
            speech = batch["speech"].to(device)
            lengths = batch["speech_lengths"].to(device)
            start = time.perf_counter()
            with autocast:
                out = model.translate(speech, lengths, **generate_kwargs)
            if speech.is_cuda:
                torch.cuda.synchronize(speech.device)
            seconds = time.perf_counter() - start
            # the batch's time is shared out by audio duration, so that per-utterance records
            # add up to the right total whichever batches a resumed run repeats
            audio = (lengths.double() / fs).tolist()
            record = {k: (hyp, a, seconds * a / sum(audio)) for k, hyp, a in zip(keys, out, audio)}
            done.update(record)
            log.write(json.dumps(record, ensure_ascii=False) + "\n")
            log.flush()
            if n_batches % 10 == 0:
                logger.info("%d batches, %d utterances decoded", n_batches, len(seen))

    # a stale partial file of another data set must not leak into this output
    results = {k: done[k] for k in seen}
    lines = [f"{k} {results[k][0]}".rstrip() + "\n" for k in sorted(results)]
    audio_seconds = sum(r[1] for r in results.values())
    decode_seconds = sum(r[2] for r in results.values())
    write_text_atomic(output_dir / "text", "".join(lines))
    info = {
        "audio_seconds": round(audio_seconds, 3),
        "decode_seconds": round(decode_seconds, 3),
        "rtf": round(decode_seconds / audio_seconds, 5) if audio_seconds else None,
        "n_utts": len(results),
        "beam_size": beam_size,
        "batch_size": batch_size,
        "device": device,
        "dtype": dtype,
    }
    write_text_atomic(output_dir / "rtf.json", json.dumps(info, indent=1) + "\n")
    partial.unlink()
    logger.info("decoded %d utterances: %s", len(results), info)
    return info
