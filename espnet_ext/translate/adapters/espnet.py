"""Adapters for ESPnet's own speech models: ST (Transformer, Conformer, CTC/attention, WeRC
decoder, anything ``espnet_ext.registry`` adds to the ST task) and ASR.

Models are built the way this package's decoding entrypoints build them, from the packed
config, weights and the pack's ``inference.yaml`` (the recipe's decode config), after
``espnet_ext.bin.prepare_espnet_task``: this package's modules are registered, and the model
file is loaded weights-only and checked against the pack's ``checksums.sha256``
(``espnet_ext.training``), so a pack of unknown origin cannot run code when it is loaded.

ST decoding uses ``espnet_ext.decoding.inference.BatchSpeech2Text`` (batched beam search over
the segments of a batch, encoded so that results equal batch-1 decoding) when
every decoding option of the pack is one it supports; otherwise (an LM, a transducer or
multi-decoder model, options it lacks) ESPnet's ``espnet2.bin.st_inference.Speech2Text``, one
segment at a time. ``options={"batched": False}`` forces the latter.
"""

from __future__ import annotations

import inspect
import logging
from typing import TYPE_CHECKING

from espnet_ext.bin import prepare_espnet_task
from espnet_ext.translate.adapters import SystemAdapter

if TYPE_CHECKING:
    import numpy as np

    from espnet_ext.translate.unpack import Pack

logger = logging.getLogger(__name__)

FILE_AND_DEVICE = {"self", "st_train_config", "st_model_file", "device"}
# Speech2Text options that change nothing without an LM (or outside st_inference's data loop)
NEUTRAL_OPTIONS = {"batch_size", "lm_weight", "ngram_weight", "ngram_scorer"}


def _sample_rate(config_path) -> int:
    """The frontend's ``fs`` (ESPnet writes 16000 or a string like ``16k``); default 16 kHz."""
    import yaml

    with open(config_path, encoding="utf-8") as f:
        config = yaml.safe_load(f)
    fs = ((config.get("frontend_conf") or {}).get("fs")) or 16000
    if isinstance(fs, str):
        fs = fs.strip().lower()
        fs = int(float(fs[:-1]) * 1000) if fs.endswith("k") else int(float(fs))
    return int(fs)


def _kwargs_for(cls, options: dict, what: str) -> dict:
    accepted = set(inspect.signature(cls.__init__).parameters)
    unknown = sorted(set(options) - accepted)
    if unknown:
        logger.warning("%s: ignoring decoding options it does not take: %s", what, unknown)
    return {k: v for k, v in options.items() if k in accepted}


def _exact_encoding(cls) -> dict:
    """The option that makes batched encoding give batch-1 encoder outputs (st_inference's)."""
    params = inspect.signature(cls.__init__).parameters
    if "encoder_mode" in params:
        return {"encoder_mode": "auto"}  # padded only where that is exact, else per utterance
    if "batch_encoder" in params:
        return {"batch_encoder": False}
    return {}


def _batched_speech2text(pack: Pack, device: str, beam_size: int | None):
    """``BatchSpeech2Text`` for the pack, or None when it does not support its options/model."""
    prepare_espnet_task("espnet2.tasks.st", "STTask")
    from espnet_ext.decoding.inference import BatchSpeech2Text

    decoding = dict(pack.inference_config)
    if beam_size is not None:
        decoding["beam_size"] = beam_size
    supported = set(inspect.signature(BatchSpeech2Text.__init__).parameters) - FILE_AND_DEVICE
    unsupported = sorted(set(decoding) - supported - NEUTRAL_OPTIONS)
    if unsupported:
        logger.info(
            "decoding options %s need ESPnet's Speech2Text (one segment at a time)", unsupported
        )
        return None
    kwargs = {k: v for k, v in decoding.items() if k in supported}
    kwargs.update(_exact_encoding(BatchSpeech2Text))
    try:
        return BatchSpeech2Text(
            str(pack.config_path), str(pack.model_path), device=device, **kwargs
        )
    except NotImplementedError as e:
        logger.info("batched decoding unavailable (%s); using ESPnet's Speech2Text", e)
        return None


class _ESPnetSpeech2TextAdapter(SystemAdapter):
    """An ESPnet ``Speech2Text`` (one segment at a time) behind the adapter interface."""

    inference_module: str
    task: tuple[str, str]  # (module, class) of the ESPnet task
    file_args: tuple[str, str]  # (config kwarg, model kwarg) of that Speech2Text

    def __init__(self, speech2text, sample_rate: int):
        self.speech2text = speech2text
        self.sample_rate = sample_rate

    @classmethod
    def load(cls, pack: Pack, device: str = "cpu", beam_size: int | None = None, **options):
        import importlib

        prepare_espnet_task(*cls.task)
        speech2text_cls = importlib.import_module(cls.inference_module).Speech2Text
        decoding = dict(pack.inference_config)
        if beam_size is not None:
            decoding["beam_size"] = beam_size
        config_arg, model_arg = cls.file_args
        kwargs = _kwargs_for(speech2text_cls, decoding, cls.inference_module)
        kwargs.update({config_arg: str(pack.config_path), model_arg: str(pack.model_path)})
        speech2text = speech2text_cls(device=device, **kwargs)
        return cls(speech2text, _sample_rate(pack.config_path))

    def translate_batch(self, waves: list[np.ndarray]) -> list[str]:
        import torch
        from espnet.nets.pytorch_backend.transformer.subsampling import TooShortUttError

        out = []
        with torch.no_grad():
            for wave in waves:
                try:
                    results = self.speech2text(torch.as_tensor(wave))
                except TooShortUttError as e:
                    logger.warning(
                        "segment of %d samples too short for the model: %s", len(wave), e
                    )
                    out.append("")
                    continue
                if getattr(self._model, "use_multidecoder", False):
                    results = results[0]  # (st results, asr results)
                text, token, _, _ = results[0]
                out.append(text if text is not None else " ".join(token))
        return out

    @property
    def _model(self):
        if hasattr(self.speech2text, "st_model"):
            return self.speech2text.st_model
        return self.speech2text.asr_model


class ESPnetASRAdapter(_ESPnetSpeech2TextAdapter):
    """ESPnet ASR systems (``task: asr``): the "translation" is the transcript."""

    inference_module = "espnet2.bin.asr_inference"
    task = ("espnet2.tasks.asr", "ASRTask")
    file_args = ("asr_train_config", "asr_model_file")


class ESPnetSTAdapter(_ESPnetSpeech2TextAdapter):
    """ESPnet ST systems (``task: st``), batched where ``espnet_ext.decoding`` supports them."""

    inference_module = "espnet2.bin.st_inference"
    task = ("espnet2.tasks.st", "STTask")
    file_args = ("st_train_config", "st_model_file")

    def __init__(self, speech2text, sample_rate: int, batched: bool = False):
        super().__init__(speech2text, sample_rate)
        self.batched = batched

    @classmethod
    def load(
        cls,
        pack: Pack,
        device: str = "cpu",
        beam_size: int | None = None,
        batched: bool = True,
        **options,
    ):
        if batched:
            speech2text = _batched_speech2text(pack, device, beam_size)
            if speech2text is not None:
                return cls(speech2text, _sample_rate(pack.config_path), batched=True)
        return super().load(pack, device=device, beam_size=beam_size, **options)

    def translate_batch(self, waves: list[np.ndarray]) -> list[str]:
        if not self.batched:
            return super().translate_batch(waves)
        results = self.speech2text(list(waves))
        texts = []
        for nbest in results:
            best = nbest[0] if nbest else None
            if best is None:
                texts.append("")
            else:
                texts.append(best.text if best.text is not None else " ".join(best.token))
        return texts
