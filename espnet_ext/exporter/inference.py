"""Batched speech translation through an ASR 1-best: the cascade and the exporter.

Both share the ASR side (batched encoding by :func:`espnet_ext.decoding.encode.encode_batch`,
greedy CTC 1-best) and the MT side (ESPnet MT decoder in the batched beam search of
:mod:`espnet_ext.decoding`). They differ in what enters the MT encoder:

* ``cascade``: the 1-best token ids, through ESPnet's own ``ESPnetMTModel.encode``;
* ``embeddings``: the MT embedding-table rows of the 1-best, injected after the embedding lookup
  (:func:`~espnet_ext.exporter.mt_input.encode_embeddings`); identical output to ``cascade``,
  kept as a check of the injection path;
* ``exporter``: the exporter's vectors (needs a trained :class:`ESPnetExporterModel`).

The cascade feeds the ASR token ids to the MT model directly (the vocabularies are one,
see :func:`~espnet_ext.exporter.pretrained.check_vocabularies`), so it sees exactly the tokens
the exporter exports; ``retokenize`` instead detokenizes the 1-best and re-encodes the text
with the MT source tokenizer, as a text-level cascade would.

:func:`decode_to_dir` writes ``OUT/asr_text`` (1-best transcripts), ``OUT/text`` (translations),
both Kaldi text in input order, and ``OUT/rtf.json``; an interrupted run resumes from
``OUT/partial.jsonl`` (utterances already decoded are not decoded again).
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from espnet_ext.decoding.batching import Utterance, load_audio, make_batches
from espnet_ext.decoding.beam_search import BatchBeamSearch
from espnet_ext.decoding.encode import ENCODER_MODES, encode_batch
from espnet_ext.decoding.inference import build_text_converter
from espnet_ext.exporter.alignment import ctc_greedy_align
from espnet_ext.exporter.mt_input import (
    check_mt_model,
    embed_tokens,
    encode_embeddings,
    encode_tokens,
)
from espnet_ext.fileio import atomic_open, write_text_atomic

logger = logging.getLogger(__name__)

MT_INPUTS = ("cascade", "embeddings", "exporter")


@dataclass
class Translation:
    """One utterance: ASR 1-best (ids and text) and the best translation (ids and text)."""

    asr_token_int: list[int]
    asr_text: str
    token_int: list[int]
    text: str
    score: float | None  # None: no hypothesis ended


class SpeechTranslator:
    """ASR 1-best -> MT, batched.

    Args:
        asr: ESPnet ASR model with CTC; asr_args: its training args (token list, BPE model).
        mt: ESPnet MT model (embed frontend); mt_args: its training args.
        mt_input: one of :data:`MT_INPUTS`.
        exporter_model: the :class:`ESPnetExporterModel` (``mt_input='exporter'`` only).
        beam_size, penalty, maxlenratio, minlenratio, normalize_length: MT beam search, as
            ESPnet's ``mt_inference`` (lengths relative to the MT encoder length).
        encoder_mode: ``auto``, ``padded`` or ``per_utterance`` ASR encoding
            (:func:`espnet_ext.decoding.encode.encode_batch`).
        retokenize: cascade only: re-encode the 1-best text with the MT source tokenizer.
    """

    def __init__(
        self,
        asr: torch.nn.Module,
        asr_args,
        mt: torch.nn.Module,
        mt_args,
        mt_input: str = "cascade",
        exporter_model: torch.nn.Module | None = None,
        beam_size: int = 5,
        penalty: float = 0.0,
        maxlenratio: float = 0.0,
        minlenratio: float = 0.0,
        normalize_length: bool = False,
        encoder_mode: str = "auto",
        retokenize: bool = False,
    ):
        if mt_input not in MT_INPUTS:
            raise ValueError(f"unknown mt_input {mt_input!r}; choose one of {list(MT_INPUTS)}")
        if mt_input == "exporter" and exporter_model is None:
            raise ValueError("mt_input='exporter' needs the trained exporter model")
        if retokenize and mt_input != "cascade":
            raise ValueError("retokenize applies to the cascade only")
        if getattr(asr, "ctc", None) is None:
            raise ValueError("the ASR model has no CTC branch (trained with ctc_weight 0?)")
        check_mt_model(mt)
        self.asr, self.mt, self.exporter_model = asr.eval(), mt.eval(), exporter_model
        if exporter_model is not None:
            exporter_model.eval()
        self.mt_input = mt_input
        self.include_blanks = (
            exporter_model.exporter.include_blanks if exporter_model is not None else False
        )
        self.maxlenratio, self.minlenratio = maxlenratio, minlenratio
        if encoder_mode not in ENCODER_MODES:
            raise ValueError(
                f"unknown encoder_mode {encoder_mode!r}; choose one of {ENCODER_MODES}"
            )
        self.encoder_mode = encoder_mode
        self.retokenize = retokenize
        self.search = BatchBeamSearch(
            mt.decoder,
            sos=mt.sos,
            eos=mt.eos,
            vocab_size=mt.vocab_size,
            beam_size=beam_size,
            penalty=penalty,
            normalize_length=normalize_length,
        )
        self.asr_converter, self.asr_tokenizer = build_text_converter(
            asr.token_list, asr_args, None, None
        )
        self.mt_converter, self.mt_tokenizer = build_text_converter(
            mt.token_list, mt_args, None, None
        )
        if retokenize:
            from espnet2.text.build_tokenizer import build_tokenizer
            from espnet2.text.token_id_converter import TokenIDConverter

            self.src_tokenizer = build_tokenizer(
                token_type=mt_args.src_token_type, bpemodel=mt_args.src_bpemodel
            )
            self.src_converter = TokenIDConverter(token_list=mt_args.src_token_list)

    @property
    def device(self) -> torch.device:
        return next(self.mt.parameters()).device

    @torch.no_grad()
    def __call__(self, speech: Sequence[np.ndarray | torch.Tensor]) -> list[Translation]:
        """Translate B waveforms (each (L,) float at the ASR model's sampling rate)."""
        dtype = next(self.mt.parameters()).dtype
        xs = [torch.as_tensor(s).to(device=self.device, dtype=dtype) for s in speech]
        enc, enc_lens = encode_batch(self.asr, xs, self.encoder_mode)
        enc_lens = enc_lens.to(enc.device)
        alignment = ctc_greedy_align(
            self.asr.ctc.argmax(enc),
            enc_lens,
            blank=getattr(self.asr, "blank_id", 0),
            include_blanks=self.include_blanks,
        )
        asr_ids = alignment.to_lists()
        asr_texts = [self._asr_text(ids) for ids in asr_ids]
        if self.mt_input == "cascade":
            tokens, lens = alignment.tokens, alignment.token_lens
            if self.retokenize:
                tokens, lens = self._retokenize(asr_texts)
            mt_enc, mt_lens = encode_tokens(self.mt, tokens, lens)
        elif self.mt_input == "embeddings":
            vectors = embed_tokens(self.mt, alignment.tokens)
            mt_enc, mt_lens = encode_embeddings(self.mt, vectors, alignment.token_lens)
        else:
            vectors = self.exporter_model.export(enc, enc_lens, alignment)
            mt_enc, mt_lens = encode_embeddings(self.mt, vectors, alignment.token_lens)
        nbest = self.search(mt_enc, mt_lens.cpu(), self.maxlenratio, self.minlenratio)
        out = []
        for ids, asr_text, hyps in zip(asr_ids, asr_texts, nbest):
            if hyps:
                token_int = [t for t in hyps[0].token_ids() if t != 0]
                text = self._mt_text(token_int)
                out.append(Translation(ids, asr_text, token_int, text, float(hyps[0].score)))
            else:
                out.append(Translation(ids, asr_text, [], "", None))
        return out

    def _asr_text(self, ids: list[int]) -> str:
        tokens = self.asr_converter.ids2tokens(ids)
        if self.asr_tokenizer is None:
            return " ".join(tokens)
        return self.asr_tokenizer.tokens2text(tokens)

    def _mt_text(self, ids: list[int]) -> str:
        tokens = self.mt_converter.ids2tokens(ids)
        if self.mt_tokenizer is None:
            return " ".join(tokens)
        return self.mt_tokenizer.tokens2text(tokens)

    def _retokenize(self, texts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        ids = [self.src_converter.tokens2ids(self.src_tokenizer.text2tokens(t)) for t in texts]
        lens = torch.tensor([len(i) for i in ids], dtype=torch.long, device=self.device)
        tokens = torch.zeros(
            len(ids), int(lens.max()) if ids else 0, dtype=torch.long, device=self.device
        )
        for b, row in enumerate(ids):
            tokens[b, : len(row)] = torch.tensor(row, dtype=torch.long)
        return tokens, lens


def _read_partial(path: Path) -> dict[str, dict]:
    """Records of an interrupted run; a last line cut by the interruption is dropped."""
    done: dict[str, dict] = {}
    if not path.exists():
        return done
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                logger.warning(
                    f"{path}:{n}: incomplete record (interrupted write), decoding again"
                )
                continue
            done[rec["key"]] = rec
    return done


def decode_to_dir(
    translator: SpeechTranslator,
    utts: Sequence[Utterance],
    output_dir: str | Path,
    batch_bins: int = 16000 * 300,
    batch_size: int | None = None,
    preprocess=None,
) -> dict:
    """Translate ``utts`` into ``output_dir`` (see the module docstring); returns rtf.json's dict.

    ``preprocess(key, {"speech": wav})`` is the ASR task's preprocessing (may be None).
    """
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    partial = output_dir / "partial.jsonl"
    done = _read_partial(partial)
    todo = [u for u in utts if u.key not in done]
    if done:
        logger.info(f"resuming: {len(utts) - len(todo)} of {len(utts)} utterances already done")
    progress = tqdm(
        total=len(utts),
        initial=len(utts) - len(todo),
        unit="utt",
        desc="translating",
        mininterval=5.0,
    )
    with open(partial, "a", encoding="utf-8") as log:
        for batch in make_batches(todo, batch_bins, batch_size) if todo else []:
            wavs, seconds = [], []
            for utt in batch:
                wav, rate = load_audio(utt)
                seconds.append(len(wav) / rate)
                if preprocess is not None:
                    wav = preprocess(utt.key, {"speech": wav})["speech"]
                wavs.append(wav)
            start = time.perf_counter()
            results = translator(wavs)
            elapsed = time.perf_counter() - start
            total = sum(seconds) or 1.0
            for utt, res, sec in zip(batch, results, seconds):
                rec = {
                    "key": utt.key,
                    "asr_text": res.asr_text,
                    "text": res.text,
                    "asr_token_int": res.asr_token_int,
                    "token_int": res.token_int,
                    "score": res.score,
                    "audio_seconds": sec,
                    "decode_seconds": elapsed * sec / total,
                }
                log.write(json.dumps(rec, ensure_ascii=False) + "\n")
                done[utt.key] = rec
            log.flush()
            progress.update(len(batch))
    progress.close()
    keys = [u.key for u in utts]
    for name in ("asr_text", "text"):
        with atomic_open(output_dir / name) as f:
            for key in keys:
                value = done[key][name]
                f.write(f"{key} {value}\n" if value else f"{key}\n")
    audio = sum(done[k]["audio_seconds"] for k in keys)
    decode = sum(done[k]["decode_seconds"] for k in keys)
    empty_asr = [k for k in keys if not done[k]["asr_token_int"]]
    no_hyp = [k for k in keys if done[k]["score"] is None]
    for what, which in (("an empty ASR 1-best", empty_asr), ("no translation", no_hyp)):
        if which:
            logger.warning(
                f"{len(which)} utterance(s) with {what}: {', '.join(which[:10])}"
                f"{' ...' if len(which) > 10 else ''}"
            )
    stats = {
        "audio_seconds": round(audio, 3),
        "decode_seconds": round(decode, 3),
        "rtf": round(decode / audio, 5) if audio > 0 else None,
        "n_utts": len(keys),
        "n_empty_asr": len(empty_asr),
        "n_no_hypothesis": len(no_hyp),
    }
    write_text_atomic(output_dir / "rtf.json", json.dumps(stats, indent=2) + "\n")
    partial.unlink()
    return stats


def load_cascade(
    asr_exp: str | Path,
    mt_exp: str | Path,
    asr_model_file: str = "valid.acc.ave.pth",
    mt_model_file: str = "valid.acc.ave.pth",
    device: str = "cpu",
    **kwargs,
) -> tuple[SpeechTranslator, object]:
    """The cascade of two experiment dirs; returns the translator and the ASR training args.

    ``kwargs``: the :class:`SpeechTranslator` options (``mt_input`` cascade or embeddings).
    """
    from espnet_ext.exporter.pretrained import check_vocabularies, load_system

    asr, asr_args = load_system("asr", asr_exp, asr_model_file, device=device)
    mt, mt_args = load_system("mt", mt_exp, mt_model_file, device=device)
    check_vocabularies(asr_args, mt_args)
    return SpeechTranslator(asr, asr_args, mt, mt_args, **kwargs), asr_args


def load_exporter(
    train_config: str | Path, model_file: str | Path, device: str = "cpu", **kwargs
) -> tuple[SpeechTranslator, object]:
    """A trained exporter (its ``config.yaml`` and checkpoint; the ASR and MT experiment dirs it
    names must hold their ``config.yaml``); returns the translator and the ASR training args.

    The checkpoint must hold every parameter of the model (it does when ESPnet's trainer wrote
    it): it is loaded strictly, weights only.
    """
    import yaml

    from espnet_ext.exporter.task import build_exporter_model

    with open(train_config, encoding="utf-8") as f:
        args = argparse.Namespace(**yaml.safe_load(f))
    model, asr_args, mt_args = build_exporter_model(args, load_pretrained=False, device=device)
    state = torch.load(model_file, map_location=device, weights_only=True)
    model.load_state_dict(state, strict=True)
    kwargs.setdefault("mt_input", "exporter")
    translator = SpeechTranslator(
        model.asr, asr_args, model.mt, mt_args, exporter_model=model, **kwargs
    )
    return translator, asr_args
