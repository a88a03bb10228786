"""Decode a ``wav.scp`` in length-sorted batches and write st_inference-style outputs.

Output layout (as ``espnet2.bin.st_inference``, so the same scoring steps find the files)::

    OUT/1best_recog/text        <key> <detokenized hypothesis>   (only with a tokenizer)
    OUT/1best_recog/token       <key> <token> <token> ...
    OUT/1best_recog/token_int   <key> <id> <id> ...
    OUT/1best_recog/score       <key> <search score>
    OUT/2best_recog/...         with --nbest 2, and so on
    OUT/rtf.json                {audio_seconds, decode_seconds, rtf, n_utts, n_empty}

Lines follow the input order. Differences from st_inference: the score is written as a plain
number (st_inference writes ``tensor(-1.23)``), and an utterance without any hypothesis (too
short for the encoder, or no hypothesis ended) gets a line with the key only, where st_inference
writes ``<space>`` (too short) or nothing (no hypothesis); such utterances are counted
(``n_empty``) and logged.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from tqdm import tqdm

from espnet_ext.decoding.batching import Utterance, load_audio, make_batches
from espnet_ext.decoding.inference import BatchSpeech2Text, Result
from espnet_ext.fileio import atomic_open, write_text_atomic

logger = logging.getLogger(__name__)

Preprocess = Callable[[str, dict[str, np.ndarray]], dict[str, np.ndarray]]


def _load(
    batch: Sequence[Utterance], preprocess: Preprocess | None
) -> tuple[list[np.ndarray], float]:
    """The batch's waveforms and their total duration in seconds."""
    wavs, seconds = [], 0.0
    for utt in batch:
        wav, rate = load_audio(utt)
        seconds += len(wav) / rate
        if preprocess is not None:
            wav = preprocess(utt.key, {"speech": wav})["speech"]
        wavs.append(wav)
    return wavs, seconds


def decode_utterances(
    speech2text: BatchSpeech2Text,
    utts: Sequence[Utterance],
    batch_bins: int,
    batch_size: int | None = None,
    num_workers: int = 1,
    preprocess: Preprocess | None = None,
) -> tuple[dict[str, list[Result]], dict]:
    """Decode ``utts``; returns (n-best results per key, timing stats).

    ``num_workers > 0`` reads the next batch's audio in a background thread while the current
    batch decodes.
    """
    batches = make_batches(utts, batch_bins, batch_size)
    logger.info(f"{len(utts)} utterances in {len(batches)} batches (batch_bins={batch_bins})")
    results: dict[str, list[Result]] = {}
    audio_seconds = 0.0
    start = time.perf_counter()
    progress = tqdm(total=len(utts), unit="utt", desc="decoding", mininterval=5.0)
    with ThreadPoolExecutor(max_workers=max(1, num_workers)) as pool:
        pending = pool.submit(_load, batches[0], preprocess) if num_workers > 0 else None
        for k, batch in enumerate(batches):
            wavs, seconds = pending.result() if pending is not None else _load(batch, preprocess)
            audio_seconds += seconds
            if num_workers > 0 and k + 1 < len(batches):
                pending = pool.submit(_load, batches[k + 1], preprocess)
            for utt, nbest in zip(batch, speech2text(wavs)):
                results[utt.key] = nbest
            progress.update(len(batch))
    progress.close()
    decode_seconds = time.perf_counter() - start
    empty = [k for k, r in results.items() if not r]
    if empty:
        logger.warning(
            f"{len(empty)} utterance(s) got no hypothesis (too short or none ended), written as "
            f"empty lines: {', '.join(empty[:10])}{' ...' if len(empty) > 10 else ''}"
        )
    stats = {
        "audio_seconds": round(audio_seconds, 3),
        "decode_seconds": round(decode_seconds, 3),
        "rtf": round(decode_seconds / audio_seconds, 5) if audio_seconds > 0 else None,
        "n_utts": len(utts),
        "n_empty": len(empty),
    }
    return results, stats


def write_outputs(
    output_dir: str | Path,
    keys: Sequence[str],
    results: dict[str, list[Result]],
    nbest: int,
    stats: dict,
) -> None:
    """Write ``{n}best_recog/{text,token,token_int,score}`` and ``rtf.json`` atomically."""
    output_dir = Path(output_dir)
    has_text = any(r.text is not None for res in results.values() for r in res)
    for n in range(1, nbest + 1):
        sub = output_dir / f"{n}best_recog"
        names = ["token", "token_int", "score"] + (["text"] if has_text else [])
        lines: dict[str, list[str]] = {name: [] for name in names}
        for key in keys:
            res = results[key]
            if len(res) < n:
                if n == 1:  # keep the 1-best files aligned with the input
                    for name in names:
                        lines[name].append(f"{key}\n")
                continue
            r = res[n - 1]
            values = {
                "token": " ".join(r.token),
                "token_int": " ".join(map(str, r.token_int)),
                "score": repr(float(r.hyp.score)),
                "text": r.text if r.text is not None else "",
            }
            for name in names:
                lines[name].append(f"{key} {values[name]}\n" if values[name] else f"{key}\n")
        for name in names:
            with atomic_open(sub / name) as f:
                f.writelines(lines[name])
    write_text_atomic(output_dir / "rtf.json", json.dumps(stats, indent=2) + "\n")
