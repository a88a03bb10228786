"""What Spanish, French and Portuguese share: gender/number agreement, post-nominal adjectives,
preposition + article contractions, periphrastic future (ir a / aller / ir + infinitive).

Subclasses supply determiners, conjugation and their few constructions of their own
(Spanish "gustar", French "est-ce que" questions and negation "ne ... pas").
"""

from __future__ import annotations

from espnet_ext.corpus.mini.frames import NP, Amount, Clause, Sentence, Time
from espnet_ext.corpus.mini.lexicon.concepts import ADJECTIVES, NAMES, has_tag
from espnet_ext.corpus.mini.realise.base import Realiser, join, place_role, words

PERSON_INDEX = {"1sg": 0, "2sg": 1, "3sg": 2, "1pl": 3, "3pl": 4}


class Romance(Realiser):
    CONTRACT: dict[tuple[str, str], str] = {}  # (preposition, article) -> one word
    FREQ_AFTER_VERB = False

    # ------------------------------------------------------------------ nouns, adjectives
    def plural(self, sg: str) -> str:
        return sg + "s"

    def noun(self, nid: str, number: str) -> str:
        e = self.lex.NOUNS[nid]
        if number != "pl":
            return e[0]
        return e[2] if len(e) > 2 else self.plural(e[0])

    def gender(self, nid: str) -> str:
        return self.lex.NOUNS[nid][1]

    def agreement(self, np: NP | None) -> tuple[str, str]:
        """(gender, number) that adjectives and participles take from this subject."""
        if np is None:
            return "m", "sg"
        h = np.head
        if h.startswith("pro:"):
            p = h[4:]
            return ("f" if p.endswith(".f") else "m"), ("pl" if p in ("1pl", "3pl") else "sg")
        if h.startswith("name:"):
            return NAMES[h[5:]], "sg"
        return self.gender(h), np.number

    def regular_adjective(self, ms: str) -> tuple[str, ...]:
        if ms.endswith("o"):
            return ms, ms[:-1] + "a", ms + "s", ms[:-1] + "as"
        return ms, ms, ms + "s", ms + "s"

    def adjective(self, aid: str, gender: str, number: str, nxt: str | None = None) -> str:
        e = self.lex.ADJECTIVES[aid]
        forms = self.regular_adjective(e) if isinstance(e, str) else e
        return forms[(gender == "f") + 2 * (number == "pl")]

    def prenominal(self, aid: str) -> bool:
        return False

    # ------------------------------------------------------------------ noun phrases
    def determiner(self, det: str, np: NP, gender: str, number: str, nxt: str, neg: bool):
        raise NotImplementedError

    def np(self, np: NP, *, det: str | None = None, neg: bool = False) -> list[str]:
        lex, h = self.lex, np.head
        if h.startswith("pro:"):
            return [lex.PRONOUNS[h[4:]]]
        if h.startswith("name:"):
            return [h[5:]]
        if h.startswith("city:"):
            return [lex.CITIES[h[5:]]]
        if np.unit:  # "dos tazas de harina"
            unit = NP(
                np.unit, det=det or np.det, number=np.number, count=np.count, digits=np.digits
            )
            return self.np(unit, neg=neg) + ["de", self.noun(h, "sg")]
        g, n = self.gender(h), self.number_of(np)
        noun = self.noun(h, n)
        if np.adj and self.prenominal(np.adj):
            core = [self.adjective(np.adj, g, n, noun), noun]
        elif np.adj:
            core = [noun, self.adjective(np.adj, g, n)]
        else:
            core = [noun]
        d = det or np.det
        out = self.determiner(d, np, g, n, core[0], neg) + core + self.after_noun(d)
        if np.dest:
            out += [lex.DEST_PREP, lex.CITIES[np.dest]]
        return out

    def number_of(self, np: NP) -> str:
        return np.number

    def after_noun(self, det: str) -> list[str]:
        return []

    def pp(self, prep: str, np: NP, **kw) -> list[str]:
        w = self.np(np, **kw)
        if (prep, w[0]) in self.CONTRACT:
            return [self.CONTRACT[(prep, w[0])], *w[1:]]
        return [prep, *w]

    def place_prep(self, nid: str, role: str) -> str:
        return self.lex.PREPS[role]

    def place(self, np: NP, role: str) -> list[str]:
        lex, h = self.lex, np.head
        if h == "home":
            return [lex.HOME[role]]
        if h.startswith("city:"):
            return [lex.PREPS[role], lex.CITIES[h[5:]]]
        if h.startswith("country:"):
            return [lex.COUNTRIES[h[8:]][role]]
        return self.pp(self.place_prep(h, role), np)

    def amount(self, a: Amount) -> list[str]:
        number = "sg" if a.value == 1 else "pl"
        return [self.number(a.value, a.digits, self.gender(a.unit)), self.noun(a.unit, number)]

    def time(self, t: Time) -> list[str]:
        lex, out = self.lex, []
        if t.word:
            kind, _, arg = t.word.partition(":")
            if kind in ("on", "on_pl"):
                out.append(lex.WEEKDAYS[arg][kind == "on_pl"])
            elif kind == "in":
                out += [lex.IN_MONTH, lex.MONTHS[arg]]
            elif kind in ("ago", "in_n"):
                before, after = lex.AGO if kind == "ago" else lex.IN_N
                out += [before, *self.amount(Amount(t.n, arg, t.digits)), after]
            else:
                out.append(lex.TIMES[t.word])
        if t.day:
            out += self.date(t)
        if t.year:
            out += [lex.IN_MONTH, str(t.year)]
        if t.hour:
            out += self.clock(t)
        return out

    def date(self, t: Time) -> list[str]:
        raise NotImplementedError

    def clock(self, t: Time) -> list[str]:
        raise NotImplementedError

    # ------------------------------------------------------------------ verbs
    def conjugate(self, vid: str, person: str, tense: str) -> str:
        """Finite form for ``pres``/``past`` (one word) of a lexicon verb."""
        raise NotImplementedError

    def vgroup(self, vid, person, tense, neg, agr) -> tuple[list[str], str, list[str]]:
        """-> (words before the finite verb, finite verb, words after it)."""
        raise NotImplementedError

    def verb_id(self, c: Clause) -> str:
        return c.pred

    def personal_a(self, np: NP) -> str | None:
        return None

    def object(self, c: Clause, vid: str) -> list[str]:
        if c.obj is None:
            return []
        e = self.lex.VERBS.get(vid, {})
        det = e.get("det") if c.obj.det == "bare" else None
        prep = e.get("prep") or self.personal_a(c.obj)
        if prep:
            return self.pp(prep, c.obj, det=det, neg=c.neg)
        return self.np(c.obj, det=det, neg=c.neg)

    # ------------------------------------------------------------------ clauses
    def clause(self, c: Clause, form: str) -> list[str]:
        lex = self.lex
        time = self.time(c.time) if c.time else []
        place = self.place(c.place, place_role(c.pred)) if c.place else []
        front = []
        if form == "decl" and c.front == "time":
            front, time = time, []
        elif form == "decl" and c.front == "place":
            front, place = place, []
        if c.pred == "weather":
            phrase = lex.WEATHER[c.weather]["if" if form == "if" else c.tense]
            return words(front, phrase, place, time)
        if c.pred == "need":
            return words(lex.NEED, self.listing(c.items, lex.NEED_PREP))
        if c.pred == "take_time":
            return self.take_time(c)
        special = self.special(c, form, front, place, time)
        if special is not None:
            return special
        if c.pred == "exist":
            return words(front, lex.EXIST[c.tense], self.np(c.obj, neg=c.neg), place, time)

        vid = self.verb_id(c)
        person = self.person(c.subj)
        agr = self.agreement(c.subj)
        tense = "if" if form == "if" else c.tense
        before, fin, after = self.vgroup(vid, person, tense, c.neg, agr)
        freq = lex.FREQUENCIES[c.freq] if c.freq else None
        if self.FREQ_AFTER_VERB:
            vp = words(before, fin, freq, after)
        else:
            vp = words(freq, before, fin, after)
        adj = []
        if c.adj:
            adj = words(lex.VERY if c.very else None, self.adjective(c.adj, *agr))
        rest = words(
            lex.VERBS.get(vid, {}).get("particle"),
            self.object(c, vid),
            adj,
            self.amount(c.amount) if c.amount else None,
            place,
            lex.TRANSPORTS[c.transport] if c.transport else None,
            time,
        )
        subj = self.subject(c.subj)
        if form in ("where", "when"):
            qword = lex.WH["when" if form == "when" else place_role(c.pred)]
            return self.wh_question(qword, subj, vp, rest, c)
        if form == "yn":
            return self.yn_question(subj, vp, rest)
        return words(front, subj, vp, rest)

    def special(self, c: Clause, form: str, front, place, time) -> list[str] | None:
        """A language's own construction for ``c`` (Spanish "gustar"), or None."""
        return None

    def subject(self, np: NP | None) -> list[str]:
        return self.np(np) if np else []

    def yn_question(self, subj, vp, rest) -> list[str]:
        return words(subj, vp, rest)

    def wh_question(self, qword, subj, vp, rest, c: Clause) -> list[str]:
        return words(qword, subj, vp, rest)

    def take_time(self, c: Clause) -> list[str]:
        this, verb, about = self.lex.TAKE_TIME
        if isinstance(about, dict):
            about = about[self.gender(c.amount.unit)]
        return words(this, verb, about, self.amount(c.amount))

    def listing(self, items: tuple[NP, ...], prep: str | None = None) -> list[str]:
        out: list[str] = []
        for k, item in enumerate(items):
            if k:
                out.append(self.lex.LINKS["and"] if k == len(items) - 1 else ",")
            out += self.pp(prep, item) if prep else self.np(item)
        return out

    def instruction(self, s: Sentence) -> list[str]:
        lex, c = self.lex, s.main
        prep = lex.INSTR
        return words(
            lex.SEQUENCERS[s.seq] if s.seq else None,
            lex.VERBS[c.pred]["imp"],
            self.np(c.obj),
            self.pp(prep["source"], c.source) if c.source else None,
            self.pp(prep["dest"], c.dest) if c.dest else None,
            self.pp(prep["instr"], c.instr) if c.instr else None,
            lex.RESULTS[c.result] if c.result else None,
            [prep["temp"], str(c.temp), self.noun("degree", "pl")] if c.temp else None,
            [prep["duration"], *self.amount(c.amount)] if c.amount else None,
        )

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def is_place(np: NP | None) -> bool:
        return np is not None and has_tag(np.head, "place")

    @staticmethod
    def copula_class(aid: str) -> str:
        return ADJECTIVES[aid][2]

    def finish(self, tokens: list[str]) -> str:
        return join(tokens)
