"""What every language's realiser shares: sentence assembly, token joining, number words.

A realiser turns a :class:`~espnet_ext.corpus.mini.frames.Sentence` into one true-cased,
punctuated string. Subclasses implement :meth:`Realiser.clause` (one clause in a given form)
and :meth:`Realiser.instruction`; the way clauses are linked is common to all languages
because each lexicon spells its own linking words (``LINKS``).

Clause forms: ``decl`` (main clause), ``sub`` (after because/that), ``if`` (the condition),
``after_sub`` (main clause after a fronted condition: verb first in German), ``yn``, ``where``,
``when`` (questions).
"""

from __future__ import annotations

import importlib
import re
from types import ModuleType

from num2words import num2words

from espnet_ext.corpus.mini.frames import NP, Clause, Sentence

_NUM2WORDS_LANG = {"en": "en", "de": "de", "es": "es", "fr": "fr", "pt": "pt_BR"}


class Realiser:
    """Base class; ``lang`` names the lexicon module ``lexicon/<lang>.py``."""

    lang = ""
    question_open = ""  # Spanish "¿"
    question_close = "?"
    exclaim_space = ""

    def __init__(self) -> None:
        self.lex: ModuleType = importlib.import_module(
            f"espnet_ext.corpus.mini.lexicon.{self.lang}"
        )

    # ------------------------------------------------------------------ sentence level
    def sentence(self, s: Sentence) -> str:
        question = s.mood in ("yn", "where", "when")
        text = self.finish(self.body(s))
        text = text[0].upper() + text[1:]
        if question:
            return f"{self.question_open}{text}{self.question_close}"
        return text + "."

    def body(self, s: Sentence) -> list[str]:
        links = self.lex.LINKS
        if s.mood == "imp":
            return self.instruction(s)
        if s.link is None:
            return self.clause(s.main, s.mood)
        if s.link in ("and", "but"):
            return self.clause(s.main, "decl") + [links[s.link]] + self.part(s.sub, "decl")
        if s.link in ("because", "that"):
            return self.clause(s.main, "decl") + [links[s.link]] + self.part(s.sub, "sub")
        if s.link == "if":
            return (
                [links["if"]] + self.part(s.sub, "if") + [","] + self.clause(s.main, "after_sub")
            )
        raise ValueError(f"unknown link {s.link!r} in {s}")

    def part(self, x: Clause | Sentence, form: str) -> list[str]:
        """A linked part: a clause, or two clauses joined by and/but, both in ``form``."""
        if isinstance(x, Clause):
            return self.clause(x, form)
        if x.link not in ("and", "but") or not isinstance(x.sub, Clause):
            raise ValueError(f"a linked part must be two clauses joined by and/but, got {x}")
        if form == "decl":
            return self.body(x)
        return self.clause(x.main, form) + [self.lex.LINKS[x.link]] + self.clause(x.sub, form)

    def clause(self, c: Clause, form: str) -> list[str]:
        raise NotImplementedError

    def finish(self, tokens: list[str]) -> str:
        """Tokens -> text (French elision, Spanish y/e live in overrides)."""
        return join(tokens)

    def instruction(self, s: Sentence) -> list[str]:
        raise NotImplementedError

    # ------------------------------------------------------------------ numbers
    def number(self, n: int, digits: bool, gender: str = "m") -> str:
        """``n`` as digits or as words agreeing with a noun of ``gender`` (m/f/n)."""
        if digits:
            return str(n)
        return self.number_words(n, gender)

    def number_words(self, n: int, gender: str) -> str:
        return num2words(n, lang=_NUM2WORDS_LANG[self.lang])

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def person(np: NP | None) -> str:
        """Agreement person of a subject: 1sg 2sg 3sg 1pl 3pl."""
        if np is None:
            return "3sg"
        if np.head.startswith("pro:"):
            return np.head[4:].split(".")[0]
        return "3pl" if np.number == "pl" else "3sg"


def place_role(pred: str) -> str:
    """How a predicate's place is expressed: ``dir`` (where to), ``arr`` (where one arrives)
    or ``loc`` (where)."""
    if pred in ("go", "travel", "come_back"):
        return "dir"
    if pred == "arrive":
        return "arr"
    return "loc"


def join(tokens: list[str]) -> str:
    """Join tokens with single spaces; commas and empty tokens do not get a space before."""
    text = " ".join(t for t in tokens if t)
    text = re.sub(r" +,", ",", text)
    return re.sub(r"\s+", " ", text).strip()


def words(*parts: str | list[str] | None) -> list[str]:
    """Flatten strings and lists of strings into one token list, dropping ``None``/empty."""
    out: list[str] = []
    for p in parts:
        if not p:
            continue
        if isinstance(p, str):
            out.append(p)
        else:
            out.extend(x for x in p if x)
    return out
