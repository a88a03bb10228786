"""Thin command-line entrypoints: argument parsing only, the work lives in the package."""

from __future__ import annotations

import logging
import os


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
