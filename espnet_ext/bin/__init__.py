"""Thin command-line entrypoints: argument parsing only, the work lives in the package."""

from __future__ import annotations

import logging
import os

LOG_FORMAT = "%(asctime)s (%(module)s:%(lineno)d) %(levelname)s: %(message)s"


def setup_logging(level: str | int) -> None:
    """Log to stderr in ESPnet's format, so our jobs' logs read like ESPnet's."""
    logging.basicConfig(level=level, format=LOG_FORMAT)


def quiet_espnet_import() -> None:
    """Keep ESPnet's import side effects out of user-facing output.

    ``import espnet2`` reaches ``g2p_en``, which calls ``nltk.download`` for tagger data it never
    needs for speech translation; without network access that prints errors on every start.
    """
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        import nltk
    except ImportError:
        return
    nltk.download = lambda *args, **kwargs: False
    logging.getLogger("nltk").setLevel(logging.CRITICAL)


def prepare_espnet_task(task_module: str, task_class: str):
    """Make an ESPnet task ready for our entrypoints and return its class.

    Registers this package's classes and installs the crash-safe trainer and weights-only model
    loading (``espnet_ext.training``). Entrypoints call this when they are imported, not only from
    ``main()``: the DDP workers that ESPnet spawns re-import the entrypoint module without running
    ``main()``.
    """
    import importlib

    quiet_espnet_import()
    from espnet_ext.registry import register
    from espnet_ext.training import install

    register()
    task = getattr(importlib.import_module(task_module), task_class)
    install(task)
    return task
