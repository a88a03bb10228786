"""Realisers: one per language, each turning a :class:`~..frames.Sentence` into text."""

from __future__ import annotations

from functools import cache

from espnet_ext.corpus.mini.frames import Sentence
from espnet_ext.corpus.mini.realise.base import Realiser

LANGS = ("en", "de", "es", "fr", "pt")


@cache
def realiser(lang: str) -> Realiser:
    """The realiser of ``lang`` (one of :data:`LANGS`)."""
    if lang == "en":
        from espnet_ext.corpus.mini.realise.en import English as cls
    elif lang == "de":
        from espnet_ext.corpus.mini.realise.de import German as cls
    elif lang == "es":
        from espnet_ext.corpus.mini.realise.es import Spanish as cls
    elif lang == "fr":
        from espnet_ext.corpus.mini.realise.fr import French as cls
    elif lang == "pt":
        from espnet_ext.corpus.mini.realise.pt import Portuguese as cls
    else:
        raise ValueError(f"unknown language {lang!r}; choose one of {LANGS}")
    return cls()


def realise(sentence: Sentence, lang: str) -> str:
    """``sentence`` in ``lang``: true-cased and punctuated."""
    return realiser(lang).sentence(sentence)
