"""Batched speech-to-text for ESPnet ST models: encode a padded batch, run the batched search.

:class:`BatchSpeech2Text` is the batched counterpart of ``espnet2.bin.st_inference.Speech2Text``:
same model loading (``STTask.build_model_from_file``), same scorer weights, same conversion of
token ids to text, but it takes a list of waveforms and returns one n-best list per waveform.

How a batch is encoded so that padding does not change the result: see
:mod:`espnet_ext.decoding.encode`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from espnet_ext.decoding.beam_search import BatchBeamSearch
from espnet_ext.decoding.encode import ENCODER_MODES, encode_batch
from espnet_ext.decoding.hypothesis import Hypothesis

logger = logging.getLogger(__name__)


@dataclass
class Result:
    """One hypothesis as st_inference writes it: ``text`` is None without a tokenizer."""

    text: str | None
    token: list[str]
    token_int: list[int]
    hyp: Hypothesis


class BatchSpeech2Text:
    """Batched ST decoding of an ESPnet ST model (``ESPnetSTModel`` or compatible).

    Args mirror ``espnet2.bin.st_inference.Speech2Text`` where they overlap; in addition:
        pre_beam_ratio: CTC pre-beam size = int(pre_beam_ratio * beam_size) (ESPnet: 1.5).
        encoder_mode: ``auto``, ``padded`` or ``per_utterance``
            (:func:`espnet_ext.decoding.encode.encode_batch`).
        decoder_mode: decoder adapter (``auto``, ``cached``, ``one_step``, ``batch_score``).
    """

    def __init__(
        self,
        st_train_config: str | Path | None,
        st_model_file: str | Path | None,
        device: str = "cpu",
        dtype: str = "float32",
        beam_size: int = 20,
        ctc_weight: float = 0.0,
        penalty: float = 0.0,
        maxlenratio: float = 0.0,
        minlenratio: float = 0.0,
        nbest: int = 1,
        normalize_length: bool = False,
        token_type: str | None = None,
        bpemodel: str | None = None,
        pre_beam_ratio: float = 1.5,
        encoder_mode: str = "auto",
        decoder_mode: str = "auto",
    ):
        from espnet2.tasks.st import STTask

        model, train_args = STTask.build_model_from_file(st_train_config, st_model_file, device)
        model.to(dtype=getattr(torch, dtype)).eval()
        self.model = model
        self.train_args = train_args
        self.device = device
        self.dtype = getattr(torch, dtype)
        self.maxlenratio = maxlenratio
        self.minlenratio = minlenratio
        self.nbest = nbest
        if encoder_mode not in ENCODER_MODES:
            raise ValueError(
                f"unknown encoder_mode {encoder_mode!r}; choose one of {ENCODER_MODES}"
            )
        self.encoder_mode = encoder_mode
        self.search = build_search(
            model,
            beam_size=beam_size,
            ctc_weight=ctc_weight,
            penalty=penalty,
            pre_beam_ratio=pre_beam_ratio,
            normalize_length=normalize_length,
            decoder_mode=decoder_mode,
        )
        self.converter, self.tokenizer = build_text_converter(
            model.token_list, train_args, token_type, bpemodel
        )

    @torch.no_grad()
    def __call__(self, speech: Sequence[np.ndarray | torch.Tensor]) -> list[list[Result]]:
        """Decode B waveforms; returns per waveform up to ``nbest`` results, best first."""
        xs = [torch.as_tensor(s).to(device=self.device, dtype=self.dtype) for s in speech]
        enc, enc_lens = encode_batch(self.model, xs, self.encoder_mode)
        nbest_lists = self.search(enc, enc_lens, self.maxlenratio, self.minlenratio)
        return [[self._result(h) for h in hyps[: self.nbest]] for hyps in nbest_lists]

    def _result(self, hyp: Hypothesis) -> Result:
        # as st_inference: drop sos/eos and the blank id 0, then ids -> tokens -> text
        token_int = [t for t in hyp.token_ids() if t != 0]
        token = self.converter.ids2tokens(token_int)
        text = self.tokenizer.tokens2text(token) if self.tokenizer is not None else None
        return Result(text=text, token=token, token_int=token_int, hyp=hyp)


def build_search(
    model: torch.nn.Module,
    beam_size: int,
    ctc_weight: float = 0.0,
    penalty: float = 0.0,
    pre_beam_ratio: float = 1.5,
    normalize_length: bool = False,
    decoder_mode: str = "auto",
) -> BatchBeamSearch:
    """The batched search for an ESPnet ST model (its ST decoder and ST CTC, sos/eos ids)."""
    if getattr(model, "st_use_transducer_decoder", False):
        raise NotImplementedError("transducer ST models: use espnet2.bin.st_inference")
    if getattr(model, "use_multidecoder", False):
        raise NotImplementedError("multi-decoder ST models: use espnet2.bin.st_inference")
    decoder = getattr(model, "decoder", None)
    if decoder is None:
        raise ValueError("the model has no attention decoder (st_mtlalpha == 1?)")
    ctc = getattr(model, "st_ctc", None)
    if ctc_weight > 0 and ctc is None:
        raise ValueError(
            f"ctc_weight={ctc_weight} needs the model's ST CTC (model.st_ctc), which exists only "
            "when the model was trained with model_conf.st_mtlalpha > 0"
        )
    return BatchBeamSearch(
        decoder,
        sos=model.sos,
        eos=model.eos,
        vocab_size=len(model.token_list),
        beam_size=beam_size,
        ctc=ctc,
        ctc_weight=ctc_weight,
        penalty=penalty,
        pre_beam_ratio=pre_beam_ratio,
        normalize_length=normalize_length,
        decoder_mode=decoder_mode,
    )


def build_text_converter(token_list, train_args, token_type: str | None, bpemodel: str | None):
    """Token-id converter and tokenizer as ``Speech2Text`` builds them (tokenizer may be None)."""
    from espnet2.text.build_tokenizer import build_tokenizer
    from espnet2.text.token_id_converter import TokenIDConverter

    if token_type is None:
        token_type = train_args.token_type
    if bpemodel is None:
        bpemodel = train_args.bpemodel
    if token_type is not None and "whisper" in token_type:
        raise NotImplementedError("whisper token types: use espnet2.bin.st_inference")
    if token_type is None:
        tokenizer = None
    elif token_type in ("bpe", "hugging_face"):
        tokenizer = build_tokenizer(token_type=token_type, bpemodel=bpemodel) if bpemodel else None
    else:
        tokenizer = build_tokenizer(token_type=token_type)
    return TokenIDConverter(token_list=token_list), tokenizer
