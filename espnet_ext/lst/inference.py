"""Batched LST decoding of a data dir into Kaldi text + real-time factor.

Outputs in ``output_dir``: ``text`` (``<utt_id> <translation>``, sorted by utterance id) and
``rtf.json`` ``{audio_seconds, decode_seconds, rtf, n_utts, batch_size, beam_size}``, where
``decode_seconds`` is the model's time (frontend, adapters, generation), not data loading, and
``n_utts`` the number of utterances in ``text``.
While running, finished utterances go to ``text.partial`` (+ ``rtf.partial.json``); a re-run
continues from there, and a complete ``output_dir`` is left as it is.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import torch

from espnet_ext.device import device_for
from espnet_ext.fileio import atomic_open, write_text_atomic
from espnet_ext.lst.task import LSTTask


class Speech2TextLST:
    """A trained LST model ready to translate batches of waveforms.

    Args:
        train_config: the experiment's ``config.yaml``.
        model_file: a checkpoint of that experiment (``valid.acc.best.pth``, ...).
        device: torch device.
        beam_size: 1 = greedy search.
        max_new_tokens: generation limit per utterance.
        use_cache: use the KV cache (same output, faster).
        length_penalty: beam search's length penalty (Hugging Face semantics).
        backend: ``own`` search or transformers' ``hf`` generate (see ``ESPnetLSTModel.generate``).
    """

    def __init__(
        self,
        train_config: str | Path,
        model_file: str | Path | None,
        device: str = "cpu",
        beam_size: int = 1,
        max_new_tokens: int = 256,
        use_cache: bool = True,
        length_penalty: float = 1.0,
        backend: str = "own",
    ):
        self.model, self.train_args = LSTTask.build_model_from_file(
            train_config, model_file, device
        )
        self.model.eval()
        self.device = device
        self.tokenizer = self.model.llm.tokenizer
        self.generate_kwargs = dict(
            max_new_tokens=max_new_tokens,
            num_beams=beam_size,
            use_cache=use_cache,
            length_penalty=length_penalty,
            backend=backend,
        )

    @torch.no_grad()
    def __call__(self, speech: torch.Tensor, speech_lengths: torch.Tensor) -> list[str]:
        """(batch, samples) float, (batch,) long -> one translation per utterance."""
        ids = self.model.generate(
            speech.to(self.device), speech_lengths.to(self.device), **self.generate_kwargs
        )
        texts = self.tokenizer.batch_decode(ids, skip_special_tokens=True)
        # Kaldi text is one line per utterance.
        return [" ".join(t.split()) for t in texts]


def _count_lines(path: str) -> int:
    with open(path, encoding="utf-8") as f:
        return sum(1 for line in f if line.strip())


def _read_partial(path: Path) -> dict[str, str]:
    done = {}
    if path.exists():
        with path.open(encoding="utf-8") as f:
            for line in f:
                if line.endswith("\n"):  # a line cut by a crash is decoded again
                    key, _, hyp = line.rstrip("\n").partition(" ")
                    done[key] = hyp
    return done


def inference(
    output_dir: str | Path,
    data_path_and_name_and_type: list[tuple[str, str, str]],
    train_config: str | Path,
    model_file: str | Path | None,
    batch_size: int = 1,
    beam_size: int = 1,
    max_new_tokens: int = 256,
    use_cache: bool = True,
    length_penalty: float = 1.0,
    backend: str = "own",
    ngpu: int = 0,
    key_file: str | None = None,
    num_workers: int = 0,
    fs: int = 16000,
) -> dict:
    """Translate every utterance of ``data_path_and_name_and_type`` (a ``speech`` entry);
    returns the content of ``rtf.json``."""
    output_dir = Path(output_dir)
    text_path, rtf_path = output_dir / "text", output_dir / "rtf.json"
    if text_path.exists() and rtf_path.exists():
        logging.info(f"{output_dir} is complete (text, rtf.json); skipping")
        return json.loads(rtf_path.read_text(encoding="utf-8"))
    output_dir.mkdir(parents=True, exist_ok=True)
    partial_path, partial_rtf_path = output_dir / "text.partial", output_dir / "rtf.partial.json"
    done = _read_partial(partial_path)
    # Timing of utterances whose batch finished before a crash (rtf.partial.json is written
    # right after their text lines); a crash in between loses only that batch's timing.
    totals = {"audio_seconds": 0.0, "decode_seconds": 0.0, "n_utts": 0}
    if done:
        if partial_rtf_path.exists():
            totals = json.loads(partial_rtf_path.read_text(encoding="utf-8"))
        logging.info(f"resuming: {len(done)} utterances already decoded in {partial_path}")
    # Rewrite the partial file so that a truncated last line from a crash disappears.
    with atomic_open(partial_path) as f:
        f.writelines(f"{k} {v}\n" for k, v in done.items())

    device = device_for(ngpu)
    speech2text = Speech2TextLST(
        train_config,
        model_file,
        device=device,
        beam_size=beam_size,
        max_new_tokens=max_new_tokens,
        use_cache=use_cache,
        length_penalty=length_penalty,
        backend=backend,
    )
    args = speech2text.train_args
    loader = LSTTask.build_streaming_iterator(
        data_path_and_name_and_type,
        preprocess_fn=LSTTask.build_preprocess_fn(args, False),
        collate_fn=LSTTask.build_collate_fn(args, False),
        key_file=key_file,
        batch_size=batch_size,
        dtype="float32",
        num_workers=num_workers,
        allow_variable_data_keys=False,
        ngpu=ngpu,
        inference=True,
    )
    n_total = _count_lines(key_file or data_path_and_name_and_type[0][0])
    seen: set[str] = set()
    with partial_path.open("a", encoding="utf-8") as partial:
        for keys, batch in loader:
            seen.update(keys)
            todo = [i for i, k in enumerate(keys) if k not in done]
            if not todo:
                continue
            index = torch.tensor(todo)
            speech = batch["speech"][index]
            lengths = batch["speech_lengths"][index]
            speech = speech[:, : int(lengths.max())]
            if device == "cuda":
                torch.cuda.synchronize()
            start = time.perf_counter()
            hyps = speech2text(speech, lengths)
            if device == "cuda":
                torch.cuda.synchronize()
            totals["decode_seconds"] += time.perf_counter() - start
            totals["audio_seconds"] += float(lengths.sum()) / fs
            totals["n_utts"] += len(todo)
            for i, hyp in zip(todo, hyps):
                done[keys[i]] = hyp
                partial.write(f"{keys[i]} {hyp}\n")
            partial.flush()
            write_text_atomic(partial_rtf_path, json.dumps(totals))
            logging.info(f"decoded {len(seen)}/{n_total} utterances")

    stale = set(done) - seen
    if stale:
        logging.warning(f"ignoring {len(stale)} utterances of {partial_path} not in the input")
    with atomic_open(text_path) as f:
        for key in sorted(seen):
            f.write(f"{key} {done[key]}\n" if done[key] else f"{key}\n")
    rtf = {
        "audio_seconds": round(totals["audio_seconds"], 3),
        "decode_seconds": round(totals["decode_seconds"], 3),
        "rtf": totals["decode_seconds"] / max(totals["audio_seconds"], 1e-9),
        "n_utts": len(seen),
        "batch_size": batch_size,
        "beam_size": beam_size,
    }
    write_text_atomic(rtf_path, json.dumps(rtf, indent=2) + "\n")
    partial_path.unlink(missing_ok=True)
    partial_rtf_path.unlink(missing_ok=True)
    return rtf
