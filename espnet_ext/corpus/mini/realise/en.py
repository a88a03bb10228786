"""English: do-support for negation and questions, a/an, "will" future."""

from __future__ import annotations

from num2words import num2words

from espnet_ext.corpus.mini.frames import NP, Amount, Clause, Sentence, Time
from espnet_ext.corpus.mini.realise.base import Realiser, place_role, words

_BE = {"pres": {"1sg": "am", "3sg": "is"}, "past": {"1sg": "was", "3sg": "was"}}


class English(Realiser):
    lang = "en"

    # ------------------------------------------------------------------ noun phrases
    def noun(self, nid: str, number: str) -> str:
        e = self.lex.NOUNS[nid]
        sg, pl = (e, e + "s") if isinstance(e, str) else e
        return pl if number == "pl" else sg

    def a_an(self, nxt: str) -> str:
        return self.lex.AN_EXCEPTIONS.get(nxt, "an" if nxt[0].lower() in "aeiou" else "a")

    def np(self, np: NP, *, det: str | None = None) -> list[str]:
        lex, h = self.lex, np.head
        if h.startswith("pro:"):
            return [lex.PRONOUNS[h[4:]]]
        if h.startswith("name:"):
            return [h[5:]]
        if h.startswith("city:"):
            return [lex.CITIES[h[5:]]]
        if h.startswith("country:"):
            return [lex.COUNTRIES[h[8:]]]
        adj = [lex.ADJECTIVES[np.adj]] if np.adj else []
        if np.unit:
            core = [self.noun(np.unit, np.number), "of", *adj, self.noun(h, "sg")]
        else:
            core = [*adj, self.noun(h, np.number)]
        out = self.det(det or np.det, np, core[0]) + core
        if np.dest:
            out += ["to", lex.CITIES[np.dest]]
        return out

    def det(self, d: str, np: NP, nxt: str) -> list[str]:
        if d == "def":
            return ["the"]
        if d == "indef":
            return [self.a_an(nxt)]
        if d == "this":
            return ["these" if np.number == "pl" else "this"]
        if d == "num":
            return [self.number(np.count, np.digits)]
        if d.startswith("poss:"):
            return [self.lex.POSSESSIVES[d[5:]]]
        return []  # bare

    def place(self, np: NP, role: str) -> list[str]:
        if np.head == "home":
            return [self.lex.HOME[role]]
        if np.head.startswith(("city:", "country:")):
            return ["to" if role == "dir" else "in", *self.np(np)]
        prep = "to" if role == "dir" else self.lex.PLACE_PREP[np.head]
        return [prep, *self.np(np)]

    def amount(self, a: Amount) -> list[str]:
        return [self.number(a.value, a.digits), self.noun(a.unit, "sg" if a.value == 1 else "pl")]

    def time(self, t: Time) -> list[str]:
        lex, out = self.lex, []
        if t.word:
            kind, _, arg = t.word.partition(":")
            if kind == "on":
                out += ["on", lex.WEEKDAYS[arg]]
            elif kind == "on_pl":
                out += ["on", lex.WEEKDAYS[arg] + "s"]
            elif kind == "in":
                out += ["in", lex.MONTHS[arg]]
            elif kind == "ago":
                out += [*self.amount(Amount(t.n, arg, t.digits)), "ago"]
            elif kind == "in_n":
                out += ["in", *self.amount(Amount(t.n, arg, t.digits))]
            else:
                out.append(lex.TIMES[t.word])
        if t.day:
            month = lex.MONTHS[t.month]
            if t.digits:
                out += ["on", month, str(t.day)]
            else:
                out += ["on", "the", num2words(t.day, lang="en", to="ordinal"), "of", month]
        if t.year:
            out += ["in", str(t.year)]
        if t.hour:
            if t.digits:
                out += ["at", f"{t.hour}:{t.minute:02d}"]
            elif t.minute == 30:
                out += ["at", "half", "past", self.number_words(t.hour, "m")]
            else:
                out += ["at", self.number_words(t.hour, "m"), "o'clock"]
        return out

    # ------------------------------------------------------------------ verbs
    def vgroup(self, vid: str, person: str, tense: str, neg: bool, question: bool):
        """-> (finite word, words after the subject in a question / after the finite)."""
        not_ = ["not"] if neg else []
        if vid == "be":
            if tense == "fut":
                return "will", not_ + ["be"]
            key = person if person in ("1sg", "3sg") else "pl"
            fin = _BE[tense].get(key, "are" if tense == "pres" else "were")
            return fin, not_
        base, s3, past = self.lex.VERBS[vid][:3]
        if tense == "fut":
            return "will", not_ + [base]
        if neg or question:
            do = "did" if tense == "past" else ("does" if person == "3sg" else "do")
            return do, not_ + [base]
        return (past if tense == "past" else s3 if person == "3sg" else base), []

    # ------------------------------------------------------------------ clauses
    def clause(self, c: Clause, form: str) -> list[str]:
        lex = self.lex
        question = form in ("yn", "where", "when")
        time = self.time(c.time) if c.time else []
        if c.pred == "weather":
            front, time = (time, []) if c.front == "time" else ([], time)
            tense = "if" if form == "if" else c.tense
            place = self.place(c.place, "loc") if c.place else []
            return words(front, lex.WEATHER[c.weather][tense], place, time)
        if c.pred == "need":
            return words("you", "will", "need", self.listing(c.items))
        if c.pred == "take_time":
            return words("this", "takes", lex.ABOUT, self.amount(c.amount))

        subj = self.np(c.subj) if c.subj else []
        person = self.person(c.subj)
        vid = "be" if c.pred in ("be", "be_at", "exist") else c.pred
        if c.pred == "exist":
            subj, person = ["there"], self.person(c.obj)
        fin, rest = self.vgroup(vid, person, c.tense, c.neg, question)
        particle = lex.VERBS[vid][3] if len(lex.VERBS.get(vid, ())) > 3 else None

        comp: list[str] = []
        if c.obj:
            det = "def" if c.pred == "play_instrument" else None
            comp += self.np(c.obj, det=det)
        if c.adj:
            comp += words(lex.VERY if c.very else None, lex.ADJECTIVES[c.adj])
        if c.amount:
            comp += self.amount(c.amount)
        place = self.place(c.place, place_role(c.pred)) if c.place else []
        front = []
        if c.front == "time":
            front, time = time, []
        elif c.front == "place":
            front, place = place, []
        place += [lex.TRANSPORTS[c.transport]] if c.transport else []
        freq = lex.FREQUENCIES[c.freq] if c.freq else None
        if question:
            qword = (
                lex.WH[form if form == "when" else place_role(c.pred)] if form != "yn" else None
            )
            return words(qword, fin, subj, rest, particle, comp, place, time)
        if rest or vid == "be":
            verb = words(fin, freq, rest)
        else:
            verb = words(freq, fin)
        return words(front, subj, verb, particle, comp, place, time)

    def listing(self, items: tuple[NP, ...]) -> list[str]:
        out: list[str] = []
        for k, item in enumerate(items):
            if k:
                out.append("and" if k == len(items) - 1 else ",")
            out += self.np(item)
        return out

    def instruction(self, s: Sentence) -> list[str]:
        lex, c = self.lex, s.main
        out = words(lex.SEQUENCERS[s.seq] if s.seq else None, lex.VERBS[c.pred][0], self.np(c.obj))
        if c.source:
            out += ["out", "of", *self.np(c.source)]
        if c.dest:
            out += [lex.DEST_PREP[c.pred], *self.np(c.dest)]
        if c.instr:
            out += ["with", *self.np(c.instr)]
        if c.result:
            out.append(lex.RESULTS[c.result])
        if c.temp:
            out += ["at", str(c.temp), "degrees"]
        if c.amount:
            out += ["for", *self.amount(c.amount)]
        return out
