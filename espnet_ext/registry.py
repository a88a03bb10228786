"""The one place that adds this package's classes to ESPnet's task choices.

ESPnet keeps the classes that a YAML config may name (``decoder: transformer``) in module-level
``ClassChoices`` objects of each task module (``espnet2.tasks.st.decoder_choices`` ...). There is no
plugin mechanism, so every process that parses a config or builds a model must call
:func:`register` before ESPnet reads those choices; the ``espnet_ext.bin.*`` entrypoints do.

Each entry of :data:`CHOICES` is ``(task module, ClassChoices attribute, name, "module:Class")``.
Classes are imported only when :func:`register` runs, so importing this module stays cheap.
"""

from __future__ import annotations

import importlib

CHOICES: list[tuple[str, str, str, str]] = []

_registered = False


def _load(target: str) -> type:
    module_name, _, class_name = target.partition(":")
    return getattr(importlib.import_module(module_name), class_name)


def register() -> None:
    """Add every class in :data:`CHOICES` to its ESPnet task's choices (idempotent)."""
    global _registered
    if _registered:
        return
    for task_module, choices_attr, name, target in CHOICES:
        choices = getattr(importlib.import_module(task_module), choices_attr)
        key = name.lower()
        cls = _load(target)
        existing = choices.classes.get(key)
        if existing is not None and existing is not cls:
            raise ValueError(
                f"{task_module}.{choices_attr} already has {key!r} -> {existing.__module__}."
                f"{existing.__qualname__}; refusing to replace it with {target}"
            )
        choices.classes[key] = cls
    _registered = True


# WeRC decoder (issue 4): usable wherever ESPnet's ST, ASR and MT tasks take a decoder.
CHOICES += [
    (task, "decoder_choices", "werc_transformer", "espnet_ext.werc.decoder:WeRCTransformerDecoder")
    for task in ("espnet2.tasks.st", "espnet2.tasks.asr", "espnet2.tasks.mt")
]

# Pretrained Hugging Face seq2seq stacks (mBART, Marian) for the discrete task's AED (issue 5);
# the encoder embeds ids itself, so it pairs with `frontend: none`.
CHOICES += [
    (
        "espnet_ext.discrete.task",
        f"{part}_choices",
        "hf_seq2seq",
        f"espnet_ext.discrete.hf_seq2seq:HFSeq2Seq{part.capitalize()}",
    )
    for part in ("encoder", "decoder")
]
