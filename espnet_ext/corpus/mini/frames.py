"""The language-independent meaning of one mini-corpus sentence.

A :class:`Sentence` is sampled once (:mod:`espnet_ext.corpus.mini.sampler`) and realised in every
language by :mod:`espnet_ext.corpus.mini.realise`; the translations agree by construction.
Concept ids (``"sister"``, ``"buy"``, ``"city:paris"``) are the keys of
:mod:`espnet_ext.corpus.mini.lexicon.concepts` and of every per-language lexicon.

Example: "Yesterday my sister bought two red apples at the market." is::

    Sentence(main=Clause(pred="buy", tense="past", front="time", time=Time(word="yesterday"),
                         subj=NP("sister", det="poss:1sg"),
                         obj=NP("apple", det="num", number="pl", count=2, adj="red"),
                         place=NP("market")))
"""

from __future__ import annotations

from dataclasses import dataclass, field

PERSONS = ("1sg", "2sg", "3sg", "1pl", "3pl")
TENSES = ("pres", "past", "fut")


@dataclass(frozen=True)
class NP:
    """A noun phrase.

    ``head``: a noun id, ``name:<Name>``, ``pro:<person>[.m|.f]``, ``city:<id>``,
    ``country:<id>`` or ``home``.
    ``det``: ``def`` | ``indef`` | ``bare`` (mass/plural without article) | ``this`` | ``num``
    (``count`` items) | ``poss:<person>[.m|.f]`` (my, your, his, her, our, their).
    ``unit``: a measure noun (``cup``) that ``det``/``count`` quantify: "two cups of flour".
    ``dest``: a city id the noun is bound for: "the train to Berlin".
    """

    head: str
    det: str = "def"
    number: str = "sg"
    adj: str | None = None
    count: int | None = None
    digits: bool = False
    unit: str | None = None
    dest: str | None = None


@dataclass(frozen=True)
class Time:
    """A time adverbial: a lexicon word (``yesterday``, ``on:monday``, ``in:january``,
    ``ago:days``, ``in_n:days``), a date, a clock time, or a year; parts combine
    ("on May 4 at 7:30")."""

    word: str | None = None
    n: int | None = None  # for ``ago:*`` / ``in_n:*``
    day: int | None = None  # date: day and month
    month: str | None = None
    year: int | None = None
    hour: int | None = None  # clock: 1..12
    minute: int | None = None  # clock digits: 0..59; words: 0 or 30
    digits: bool = False


@dataclass(frozen=True)
class Amount:
    """A number with a unit noun: price (``euro``), duration (``minute``), temperature."""

    value: int
    unit: str
    digits: bool = True


@dataclass(frozen=True)
class Clause:
    """One clause. ``pred`` is a verb id or a construction:

    ``be`` (copula + ``adj``), ``be_at`` (location), ``exist`` (there is/are ``obj``),
    ``weather`` (``weather`` id), ``cost`` (``amount``), ``like``, ``have``, ``take_time``,
    ``need``; instruction verbs take ``dest``/``source``/``instr``/``result``/``amount``.
    """

    pred: str
    subj: NP | None = None
    obj: NP | None = None
    adj: str | None = None
    very: bool = False
    weather: str | None = None
    place: NP | None = None
    transport: str | None = None
    time: Time | None = None
    freq: str | None = None
    amount: Amount | None = None
    temp: int | None = None  # degrees, instructions only
    dest: NP | None = None
    source: NP | None = None
    instr: NP | None = None
    result: str | None = None
    items: tuple[NP, ...] = field(default_factory=tuple)  # ``need``: the list of things
    tense: str = "pres"
    neg: bool = False
    front: str | None = None  # "time" or "place": that adverbial opens the clause


@dataclass(frozen=True)
class Sentence:
    """A sentence: one clause, or two joined by ``link``.

    ``mood``: ``decl`` | ``yn`` | ``where`` | ``when`` (questions) | ``imp`` (instruction).
    ``link``: ``and`` | ``but`` | ``because`` | ``if`` (``sub`` is the condition, said first)
    | ``that`` (``main`` is think/say/know, ``sub`` its complement). ``sub`` may itself be two
    clauses joined by and/but ("because it was cold and it rained").
    ``seq``: ``first`` | ``then`` | ``now`` | ``finally`` before an instruction.
    """

    main: Clause
    mood: str = "decl"
    link: str | None = None
    sub: Clause | Sentence | None = None  # a Sentence here: two clauses joined by and/but
    seq: str | None = None
