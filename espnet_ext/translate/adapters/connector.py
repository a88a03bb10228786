"""Adapter for connector systems (``task: connector``, :mod:`espnet_ext.connectors`): a frozen
speech encoder (Hugging Face Whisper, or an ESPnet ASR experiment) + the trained connector + a
frozen Hugging Face MT model, decoded with the MT model's ``generate`` as
``espnet_ext.bin.connector_inference`` does.

What the pack holds: the config and the checkpoint (connector only with ``save_frozen: false``),
the MT model and Whisper directories (``mt_name_or_path``, ``speech_encoder_conf.name_or_path``:
hub names or, with ``--self-contained``, copies), and for an ESPnet ASR speech encoder its
``config.yaml`` with the files it names (``speech_encoder_conf.asr_train_config``, packed as a
nested experiment) and its weights (``asr_model_file``, a copy with ``--self-contained``).

Decoding options (the pack's ``inference.yaml``, i.e. the recipe's ``decode_connector.yaml``):
``beam_size``, ``max_new_tokens``, ``length_penalty``, ``dtype``; the rest of the
connector_inference options (``batch_size``, ``fs``, ...) concern its data loop and are ignored.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, ClassVar

from espnet_ext.translate.adapters import SystemAdapter, decoding_options, pad_batch

if TYPE_CHECKING:
    import numpy as np

    from espnet_ext.translate.unpack import Pack

GENERATE_OPTIONS = ("beam_size", "max_new_tokens", "length_penalty", "dtype")
# connector_inference options that only concern its data loop or device
LOOP_OPTIONS = ("batch_size", "fs", "num_workers", "ngpu", "log_level", "key_file")
DEFAULTS = {"beam_size": 4, "max_new_tokens": 256, "length_penalty": None, "dtype": "float32"}


class ConnectorAdapter(SystemAdapter):
    """Speech encoder -> connector -> MT ``generate``, batched (padding does not change the
    results: connector_inference's own tests decode the same at batch sizes 1 and 3)."""

    model_keys: ClassVar[tuple[str, ...]] = ("speech_encoder_conf.asr_model_file",)

    def __init__(self, model, generate_kwargs: dict, device: str, dtype: str):
        self.model = model
        self.generate_kwargs = generate_kwargs
        self.device = device
        self.dtype = dtype

    @classmethod
    def load(cls, pack: Pack, device: str = "cpu", beam_size: int | None = None, **options):
        from espnet_ext.bin import prepare_espnet_task

        prepare_espnet_task("espnet_ext.connectors.task", "ConnectorSTTask")
        from espnet_ext.connectors.inference import DTYPES, load_model

        decoding = {**DEFAULTS, **decoding_options(pack, GENERATE_OPTIONS, LOOP_OPTIONS)}
        if beam_size is not None:
            decoding["beam_size"] = beam_size
        if decoding["dtype"] not in DTYPES:
            raise ValueError(f"dtype {decoding['dtype']!r}: choose one of {sorted(DTYPES)}")
        model, _ = load_model(pack.config_path, pack.model_path, device)
        generate_kwargs = {
            "num_beams": int(decoding["beam_size"]),
            "max_new_tokens": int(decoding["max_new_tokens"]),
        }
        if decoding["length_penalty"] is not None:
            generate_kwargs["length_penalty"] = float(decoding["length_penalty"])
        return cls(model, generate_kwargs, device, decoding["dtype"])

    def translate_batch(self, waves: list[np.ndarray]) -> list[str]:
        import torch

        from espnet_ext.connectors.inference import DTYPES

        speech, lengths = pad_batch(waves, self.device)
        autocast = (
            torch.autocast(device_type=torch.device(self.device).type, dtype=DTYPES[self.dtype])
            if self.dtype != "float32"
            else contextlib.nullcontext()
        )
        with torch.no_grad(), autocast:
            return self.model.translate(speech, lengths, **self.generate_kwargs)
