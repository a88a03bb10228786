"""Adapters for the systems of :mod:`espnet_ext.exporter`: the exporter (``task: exporter``) and
the ASR -> MT cascade (``task: cascade``), both decoded by its batched ``SpeechTranslator`` as
``espnet_ext.bin.exporter_inference`` / ``cascade_inference`` do (greedy CTC 1-best, MT beam
search), with the ASR task's preprocessing applied to each waveform first.

* **Exporter pack** (``python -m espnet_ext.bin.pack --exp-dir exp/exporter``): the exporter's
  config and checkpoint (which holds every ASR and MT weight), and the ASR and MT experiments'
  ``config.yaml`` with the files they name (``asr_exp``, ``mt_exp``: nested experiments, see
  :mod:`espnet_ext.translate.pack`); their checkpoints are not needed.
* **Cascade pack** (:func:`make_cascade_pack`, ``python -m espnet_ext.bin.pack --asr-exp exp/asr
  --mt-exp exp/mt``): a cascade has no experiment dir of its own, so one is made: a config naming
  the two experiments (packed as nested experiments) and one ``model.pth`` holding the ASR
  weights under ``asr.`` and the MT weights under ``mt.``.

Decoding options (``inference.yaml``): ``beam_size``, ``penalty``, ``maxlenratio``,
``minlenratio``, ``normalize_length``, ``encoder_mode``, ``mt_input`` and (cascade)
``retokenize``; the data-loop options of the entrypoints (``batch_bins``, ``batch_size``, ...)
are ignored.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from espnet_ext.translate.adapters import SystemAdapter, decoding_options

if TYPE_CHECKING:
    import numpy as np

    from espnet_ext.translate.unpack import Pack

SEARCH_OPTIONS = (
    "beam_size",
    "penalty",
    "maxlenratio",
    "minlenratio",
    "normalize_length",
    "encoder_mode",
    "mt_input",
)
LOOP_OPTIONS = (
    "batch_bins",
    "batch_size",
    "ngpu",
    "device",
    "log_level",
    "output_dir",
    "data_dir",
    "data_path_and_name_and_type",
    "key_file",
    "asr_model_file",
    "mt_model_file",
)


def _sample_rate(asr_args) -> int:
    fs = (getattr(asr_args, "frontend_conf", None) or {}).get("fs", 16000)
    if isinstance(fs, str):
        fs = fs.strip().lower()
        return int(float(fs[:-1]) * 1000) if fs.endswith("k") else int(float(fs))
    return int(fs)


class _SpeechTranslatorAdapter(SystemAdapter):
    def __init__(self, translator, asr_args):
        from espnet2.tasks.asr import ASRTask

        self.translator = translator
        self.preprocess = ASRTask.build_preprocess_fn(asr_args, False)
        self.sample_rate = _sample_rate(asr_args)

    def translate_batch(self, waves: list[np.ndarray]) -> list[str]:
        if self.preprocess is not None:
            waves = [
                self.preprocess(f"segment{i}", {"speech": w})["speech"]
                for i, w in enumerate(waves)
            ]
        return [t.text for t in self.translator(waves)]


def _search_kwargs(pack: Pack, beam_size: int | None, extra: tuple[str, ...] = ()) -> dict:
    kwargs = decoding_options(pack, SEARCH_OPTIONS + extra, LOOP_OPTIONS)
    if beam_size is not None:
        kwargs["beam_size"] = beam_size
    return kwargs


class ExporterAdapter(_SpeechTranslatorAdapter):
    """ASR encoder -> exporter vectors -> MT encoder/decoder (``mt_input`` as in the pack)."""

    @classmethod
    def load(cls, pack: Pack, device: str = "cpu", beam_size: int | None = None, **options):
        from espnet_ext.bin import quiet_espnet_import

        quiet_espnet_import()
        from espnet_ext.exporter.inference import load_exporter

        translator, asr_args = load_exporter(
            pack.config_path, pack.model_path, device=device, **_search_kwargs(pack, beam_size)
        )
        return cls(translator, asr_args)


class CascadeAdapter(_SpeechTranslatorAdapter):
    """ASR greedy-CTC 1-best token ids -> MT beam search."""

    @classmethod
    def load(cls, pack: Pack, device: str = "cpu", beam_size: int | None = None, **options):
        import torch
        import yaml
        from espnet2.tasks.asr import ASRTask
        from espnet2.tasks.mt import MTTask

        from espnet_ext.bin import quiet_espnet_import

        quiet_espnet_import()
        from espnet_ext.exporter.inference import SpeechTranslator
        from espnet_ext.exporter.pretrained import check_vocabularies

        with open(pack.config_path, encoding="utf-8") as f:
            config = yaml.safe_load(f)
        state = torch.load(pack.model_path, map_location=device, weights_only=True)
        models = {}
        for side, task in (("asr", ASRTask), ("mt", MTTask)):
            model, args = task.build_model_from_file(
                Path(config[f"{side}_exp"]) / "config.yaml", None, device=device
            )
            prefix = f"{side}."
            model.load_state_dict(
                {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)},
                strict=True,
            )
            models[side] = (model.eval(), args)
        (asr, asr_args), (mt, mt_args) = models["asr"], models["mt"]
        check_vocabularies(asr_args, mt_args)
        kwargs = _search_kwargs(pack, beam_size, extra=("retokenize",))
        kwargs.setdefault("mt_input", "cascade")
        return cls(SpeechTranslator(asr, asr_args, mt, mt_args, **kwargs), asr_args)


def make_cascade_pack(
    asr_exp: str | os.PathLike,
    mt_exp: str | os.PathLike,
    out: str | os.PathLike,
    asr_model_file: str = "valid.acc.ave.pth",
    mt_model_file: str = "valid.acc.ave.pth",
    system: str = "cascade",
    **pack_options,
) -> dict:
    """Pack the cascade of an ASR and an MT experiment (``task: cascade``); returns meta.json.

    ``*_model_file``: checkpoint names in the experiment dirs (or paths). ``pack_options``: the
    other :func:`espnet_ext.translate.pack.make_pack` options (``inference_config``, ``root``,
    ...). Source and target language default to the MT training data's.
    """
    import torch
    import yaml

    from espnet_ext.translate.pack import PackError, _languages, make_pack

    weights, configs = {}, {}
    for side, exp, name in (("asr", asr_exp, asr_model_file), ("mt", mt_exp, mt_model_file)):
        exp = Path(exp)
        if not (exp / "config.yaml").is_file():
            raise PackError(f"{exp}: no config.yaml (the cascade's {side.upper()} experiment)")
        path = exp / name if (exp / name).exists() else Path(name)
        if not path.is_file():
            raise PackError(f"{path}: no {side.upper()} checkpoint")
        state = torch.load(path, map_location="cpu", weights_only=True)
        weights.update((f"{side}.{k}", v) for k, v in state.items())
        with open(exp / "config.yaml", encoding="utf-8") as f:
            configs[side] = yaml.safe_load(f)
    langs = _languages(configs["mt"], "mt")
    pack_options.setdefault("src_lang", langs.get("src"))
    pack_options.setdefault("tgt_lang", langs.get("tgt"))
    with tempfile.TemporaryDirectory(prefix="cascade_pack.") as tmp:
        tmp = Path(tmp)
        config = {
            "task": "cascade",
            "asr_exp": str(Path(asr_exp).resolve()),
            "mt_exp": str(Path(mt_exp).resolve()),
        }
        (tmp / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
        (tmp / "train_info.json").write_text(
            json.dumps({"system": system, "task": "cascade"}), encoding="utf-8"
        )
        torch.save(weights, tmp / "model.pth")
        return make_pack(tmp, out, model_file="model.pth", system=system, **pack_options)
