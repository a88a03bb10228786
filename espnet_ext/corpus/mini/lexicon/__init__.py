"""Lexicons: the concept inventory (:mod:`.concepts`) and one data module per language."""

from __future__ import annotations

import importlib
from types import ModuleType

from espnet_ext.corpus.mini.lexicon import concepts

LANGS = ("en", "de", "es", "fr", "pt")


def load(lang: str) -> ModuleType:
    if lang not in LANGS:
        raise ValueError(f"no lexicon for {lang!r}; choose one of {LANGS}")
    return importlib.import_module(f"espnet_ext.corpus.mini.lexicon.{lang}")


def missing_entries(lang: str) -> list[str]:
    """Concept ids that ``lang``'s lexicon lacks (empty when complete)."""
    lex = load(lang)
    wanted = {
        "NOUNS": set(concepts.NOUNS),
        "CITIES": set(concepts.CITIES),
        "COUNTRIES": set(concepts.COUNTRIES),
        "ADJECTIVES": set(concepts.ADJECTIVES),
        "VERBS": set(concepts.VERBS)
        | set(concepts.INSTRUCTIONS)
        | set(concepts.EMBEDDERS)
        | {"have", "like", "cost"},
        "TIMES": set(concepts.TIMES),
        "WEEKDAYS": set(concepts.WEEKDAYS),
        "MONTHS": set(concepts.MONTHS),
        "FREQUENCIES": set(concepts.FREQUENCIES),
        "TRANSPORTS": set(concepts.TRANSPORTS),
        "WEATHER": set(concepts.WEATHER),
        "RESULTS": set(concepts.RESULTS),
        "SEQUENCERS": set(concepts.SEQUENCERS),
    }
    out = []
    for table, ids in wanted.items():
        have = set(getattr(lex, table))
        out += [f"{table}.{i}" for i in sorted(ids - have)]
    return out
