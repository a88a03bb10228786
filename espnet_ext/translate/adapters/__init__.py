"""One adapter class per kind of system: what to pack besides the config, and how to translate.

A packed model's ``meta.json`` names its ``task`` (as ``conf/systems.yaml`` does: ``st``,
``asr``, ...). :data:`ADAPTERS` maps a task to the adapter class, written as ``"module:Class"``
so that nothing is imported until a pack of that task is made or loaded. A new method plugs in
by writing one :class:`SystemAdapter` subclass (in this package, e.g. ``adapters/lst.py``) and
appending one line here::

    ADAPTERS["lst"] = "espnet_ext.translate.adapters.lst:LSTAdapter"

The interface (everything else - audio reading, segmentation, batching by length, output
formats, the pack archive itself - is shared):

* ``load(pack, device, beam_size, **options)`` (classmethod): build the model from
  ``pack.config_path`` (its file paths already point into the unpacked archive),
  ``pack.model_path`` and ``pack.inference_config``; ``beam_size`` overrides the pack's.
* ``translate_batch(waves)``: (samples,) float32 mono waveforms at ``sample_rate`` -> one
  string per waveform, in the same order.
* ``sample_rate``: the rate the model wants (the translator resamples to it).
* Packing hooks (classmethods; must not import torch or ESPnet): ``model_keys`` names config
  entries that hold pretrained model names or directories beyond the ones found by name
  (keys ending in ``name_or_path``, ``path_or_url``, ``model_tag``); ``pack_extras(config,
  exp_dir, given)`` returns files the config does not name (a k-means model, feature settings) as
  ``{name: local path or bytes}``, which ``load`` finds again with ``pack.extra(name)``;
  ``given`` are the files passed to ``make_pack(extras=...)`` (``--extra NAME=PATH``).

Helpers for adapters: :func:`decoding_options` (the pack's ``inference.yaml`` options an adapter
takes, warning about the others) and :func:`pad_batch` (waveforms -> a zero-padded batch).
Adapters: ``espnet.py`` (ST, ASR), ``connector.py``, ``exporter.py`` (exporter, cascade),
``lst.py``, ``discrete.py``.
"""

from __future__ import annotations

import importlib
import logging
from abc import ABC, abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    import numpy as np

    from espnet_ext.translate.unpack import Pack

_logger = logging.getLogger(__name__)

ADAPTERS: dict[str, str] = {
    "st": "espnet_ext.translate.adapters.espnet:ESPnetSTAdapter",
    "asr": "espnet_ext.translate.adapters.espnet:ESPnetASRAdapter",
    "connector": "espnet_ext.translate.adapters.connector:ConnectorAdapter",
    "exporter": "espnet_ext.translate.adapters.exporter:ExporterAdapter",
    "cascade": "espnet_ext.translate.adapters.exporter:CascadeAdapter",
    "lst": "espnet_ext.translate.adapters.lst:LSTAdapter",
    "discrete": "espnet_ext.translate.adapters.discrete:DiscreteAdapter",
}

#: config entries that tell a task apart when neither ``--task`` nor ``train_info.json`` names
#: it (all must be present; checked in this order before the ESPnet ASR/MT/ST rule)
TASK_MARKERS: dict[str, tuple[str, ...]] = {
    "exporter": ("asr_exp", "mt_exp", "exporter"),
    "connector": ("speech_encoder", "connector", "mt_name_or_path"),
    "lst": ("llm_conf", "length_adapter_conf", "modality_adapter_conf"),
    "discrete": ("src_token_list", "model"),
}


def task_from_config(config: dict) -> str | None:
    """The task whose :data:`TASK_MARKERS` the config has, else None."""
    for task, keys in TASK_MARKERS.items():
        if all(k in config for k in keys):
            if task == "discrete" and config.get("model") != "discrete_st":
                continue
            return task
    return None


class SystemAdapter(ABC):
    """Base class of the adapters; its packing hooks are the defaults for every task."""

    #: extra config entries (dotted key paths, e.g. ``"mt_name_or_path"``) naming pretrained models
    model_keys: ClassVar[tuple[str, ...]] = ()
    #: the sample rate ``translate_batch`` expects
    sample_rate: int = 16000

    @classmethod
    def pack_extras(
        cls, config: dict, exp_dir: Path, given: dict[str, Path]
    ) -> dict[str, Path | bytes]:
        """Files to pack that ``config`` does not name: ``{name: local path or content}``.

        ``given`` holds the files the user passed (``make_pack(extras=...)``, ``--extra``); the
        default packs them as they are. Raise ``ValueError`` for a missing or unusable one.
        """
        return dict(given)

    @classmethod
    @abstractmethod
    def load(
        cls, pack: Pack, device: str = "cpu", beam_size: int | None = None, **options
    ) -> SystemAdapter:
        """Build the system from an unpacked archive."""

    @abstractmethod
    def translate_batch(self, waves: list[np.ndarray]) -> list[str]:
        """(samples,) float32 waveforms at :attr:`sample_rate` -> one translation each."""


def pad_batch(waves: list[np.ndarray], device: str):
    """(B, S) zero-padded float32 tensor and (B,) lengths, as ESPnet's collate makes them."""
    import torch

    lengths = torch.tensor([len(w) for w in waves], dtype=torch.long)
    speech = torch.zeros(len(waves), int(lengths.max()), dtype=torch.float32)
    for b, wave in enumerate(waves):
        speech[b, : len(wave)] = torch.as_tensor(wave, dtype=torch.float32)
    return speech.to(device), lengths.to(device)


def decoding_options(pack: Pack, known: tuple[str, ...], ignored: tuple[str, ...]) -> dict:
    """The pack's decoding options this adapter uses; warns about unknown ones."""
    options = dict(pack.inference_config)
    unknown = sorted(set(options) - set(known) - set(ignored))
    if unknown:
        _logger.warning("%s: ignoring decoding options it does not take: %s", pack.task, unknown)
    return {k: v for k, v in options.items() if k in known}


def adapter_class(task: str) -> type[SystemAdapter]:
    """The adapter of ``task``; raises ``ValueError`` naming the known tasks."""
    target = ADAPTERS.get(task)
    if target is None:
        raise ValueError(
            f"no translate adapter for task {task!r}; known tasks: {sorted(ADAPTERS)} "
            "(see espnet_ext/translate/adapters/__init__.py to add one)"
        )
    module_name, _, class_name = target.partition(":")
    return getattr(importlib.import_module(module_name), class_name)


def packing_hooks(task: str) -> type[SystemAdapter]:
    """The class whose packing hooks apply to ``task``: its adapter, else the defaults.

    Any task can be packed (an MT system's pack holds its config, weights and tokenizers), even
    one that the translator cannot run from speech.
    """
    return adapter_class(task) if task in ADAPTERS else SystemAdapter
