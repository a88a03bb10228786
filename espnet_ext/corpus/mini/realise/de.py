"""German: case and adjective declension, verb second / verb final, separable prefixes."""

from __future__ import annotations

from num2words import num2words

from espnet_ext.corpus.mini.frames import NP, Amount, Clause, Sentence, Time
from espnet_ext.corpus.mini.realise.base import Realiser, place_role, words

_CASE = {"nom": 0, "acc": 1, "dat": 2}
_PERSON = {"1sg": 0, "2sg": 1, "3sg": 2, "1pl": 3, "3pl": 4}
# Determiners and adjective endings by gender (m/f/n, or pl) and case (nom, acc, dat).
_DEF = {"m": ("der", "den", "dem"), "f": ("die", "die", "der"), "n": ("das", "das", "dem"),
        "pl": ("die", "die", "den")}  # fmt: skip
_THIS = {"m": ("dieser", "diesen", "diesem"), "f": ("diese", "diese", "dieser"),
         "n": ("dieses", "dieses", "diesem"), "pl": ("diese", "diese", "diesen")}  # fmt: skip
_EIN = {"m": ("", "en", "em"), "f": ("e", "e", "er"), "n": ("", "", "em"),
        "pl": ("e", "e", "en")}  # fmt: skip
_WEAK = {"m": ("e", "en", "en"), "f": ("e", "e", "en"), "n": ("e", "e", "en"),
         "pl": ("en", "en", "en")}  # fmt: skip
_MIXED = {"m": ("er", "en", "en"), "f": ("e", "e", "en"), "n": ("es", "es", "en"),
          "pl": ("en", "en", "en")}  # fmt: skip
_STRONG = {"m": ("er", "en", "em"), "f": ("e", "e", "er"), "n": ("es", "es", "em"),
           "pl": ("e", "e", "en")}  # fmt: skip
_CONTRACT = {("in", "dem"): "im", ("in", "das"): "ins", ("an", "dem"): "am",
             ("an", "das"): "ans", ("zu", "dem"): "zum", ("zu", "der"): "zur",
             ("bei", "dem"): "beim", ("von", "dem"): "vom"}  # fmt: skip
_RIDE = ("train", "bus", "car", "bike")


class German(Realiser):
    lang = "de"

    # ------------------------------------------------------------------ noun phrases
    def gender(self, np: NP) -> str:
        return "pl" if np.number == "pl" else self.lex.NOUNS[np.head][1]

    def noun_form(self, nid: str, number: str, case: str) -> str:
        entry = self.lex.NOUNS[nid]
        if number == "pl":
            pl = entry[2]
            return pl + "n" if case == "dat" and not pl.endswith(("n", "s")) else pl
        if len(entry) > 3 and case != "nom":
            return entry[3]  # weak noun: "den Studenten"
        return entry[0]

    def adjective(self, aid: str, ending: str) -> str:
        entry = self.lex.ADJECTIVES[aid]
        stem = entry if isinstance(entry, str) else entry[1]
        if stem.endswith("e"):
            ending = ending[1:]
        return stem + ending

    def np(self, np: NP, case: str, *, neg: bool = False) -> list[str]:
        lex, h = self.lex, np.head
        if h.startswith("pro:"):
            return [lex.PRONOUNS[h[4:]]]
        if h.startswith("name:"):
            return [h[5:]]
        if h.startswith("city:"):
            return [lex.CITIES[h[5:]]]
        if np.unit:  # "zwei Tassen Mehl": the unit is declined, the substance is bare
            unit = NP(np.unit, det=np.det, number=np.number, count=np.count, digits=np.digits)
            return self.np(unit, case) + [self.noun_form(h, "sg", case)]
        g, c = self.gender(np), _CASE[case]
        det = "kein" if neg and np.det in ("indef", "bare") else np.det
        if det == "def":
            art, endings = _DEF[g][c], _WEAK
        elif det == "this":
            art, endings = _THIS[g][c], _WEAK
        elif det in ("indef", "kein"):
            art, endings = ("ein" if det == "indef" else "kein") + _EIN[g][c], _MIXED
        elif det.startswith("poss:"):
            art, endings = lex.POSSESSIVES[det[5:]] + _EIN[g][c], _MIXED
        elif det == "num":
            art, endings = self.number(np.count, np.digits), _STRONG
        else:
            art, endings = None, _STRONG
        adj = self.adjective(np.adj, endings[g][c]) if np.adj else None
        out = words(art, adj, self.noun_form(h, np.number, case))
        if np.dest:
            out += ["nach", lex.CITIES[np.dest]]
        return out

    def pp(self, prep: str, np: NP, case: str) -> list[str]:
        w = self.np(np, case)
        if np.det == "def" and (prep, w[0]) in _CONTRACT:
            return [_CONTRACT[(prep, w[0])], *w[1:]]
        return [prep, *w]

    def place(self, np: NP, role: str) -> list[str]:
        lex, h = self.lex, np.head
        if h == "home":
            return [lex.HOME[role]]
        if h.startswith("city:"):
            return ["nach" if role == "dir" else "in", lex.CITIES[h[5:]]]
        if h.startswith("country:"):
            return [lex.COUNTRIES[h[8:]][1 if role == "dir" else 0]]
        loc, to = lex.PLACE_PREP[h]
        if role == "dir":
            return self.pp(to, np, "dat" if to == "zu" else "acc")
        return self.pp(loc, np, "dat")

    def amount(self, a: Amount, case: str = "acc") -> list[str]:
        number = "sg" if a.value == 1 else "pl"
        return [self.number(a.value, a.digits), self.noun_form(a.unit, number, case)]

    def time(self, t: Time) -> list[str]:
        lex, out = self.lex, []
        if t.word:
            kind, _, arg = t.word.partition(":")
            if kind in ("on", "on_pl"):
                out.append(lex.WEEKDAYS[arg][kind == "on_pl"])
            elif kind == "in":
                out += ["im", lex.MONTHS[arg]]
            elif kind in ("ago", "in_n"):
                out += [
                    "vor" if kind == "ago" else "in",
                    *self.amount(Amount(t.n, arg, t.digits), "dat"),
                ]
            else:
                out.append(lex.TIMES[t.word])
        if t.day:
            day = f"{t.day}." if t.digits else num2words(t.day, lang="de", to="ordinal") + "n"
            out += ["am", day, lex.MONTHS[t.month]]
        if t.year:
            out += ["im", "Jahr", str(t.year)]
        if t.hour:
            if t.digits:
                out += ["um", f"{t.hour}:{t.minute:02d}", "Uhr"]
            elif t.minute == 30:  # half past seven = "halb acht"
                out += ["um", "halb", self.number_words(t.hour % 12 + 1, "n")]
            else:
                hour = "ein" if t.hour == 1 else self.number_words(t.hour, "n")
                out += ["um", hour, "Uhr"]
        return out

    # ------------------------------------------------------------------ verbs
    def present(self, vid: str, person: str) -> str:
        e = self.lex.VERBS[vid]
        if "pres" in e:
            return e["pres"][_PERSON[person]]
        if person == "2sg" and "p2" in e:
            return e["p2"]
        if person == "3sg" and "p3" in e:
            return e["p3"]
        base = e["inf"][len(e.get("sep", "")) :]
        if person in ("1pl", "3pl"):
            return base
        stem = base[:-2] if base.endswith("en") else base[:-1]
        if person == "1sg":
            return stem + "e"
        # "arbeitet", "öffnet": an e keeps the ending audible after t/d or consonant + m/n
        linking = stem.endswith(("d", "t")) or (
            stem[-1] in "mn" and stem[-2] not in "aeiouäöülrmnh"
        )
        if person == "2sg":
            if linking:
                return stem + "est"
            return stem + ("t" if stem.endswith(("s", "ß", "z", "x")) else "st")
        return stem + ("et" if linking else "t")

    def vparts(self, vid: str, person: str, tense: str) -> tuple[str, list[str], bool]:
        """-> (finite verb, words closing the clause, True if those are only a prefix)."""
        e = self.lex.VERBS[vid]
        sep = e.get("sep", "")
        if tense in ("pres", "if"):
            return self.present(vid, person), [sep] if sep else [], bool(sep)
        if tense == "past":
            if "past" in e:
                return e["past"][_PERSON[person]], [], False
            return self.present(e.get("aux", "haben"), person), [e["pp"]], False
        return self.present("werden", person), [e["inf"]], False

    def verb_id(self, c: Clause) -> str:
        if c.pred in ("be", "be_at"):
            return "be"
        if c.pred != "go":
            return c.pred
        if c.transport == "plane":
            return "go.fly"
        abroad = c.place is not None and c.place.head.startswith(("city:", "country:"))
        return "go.ride" if c.transport in _RIDE or abroad else "go"

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
            fin, rest = lex.WEATHER[c.weather]["if" if form == "if" else c.tense]
            return self.assemble(form, ["es"], fin, [rest], False, time + place, c, front)
        if c.pred == "need":
            return self.assemble(
                form, ["Sie"], "brauchen", [], False, self.listing(c.items), c, []
            )
        if c.pred == "take_time":
            mf = [lex.ABOUT, *self.amount(c.amount)]
            return self.assemble(form, ["das"], "dauert", [], False, mf, c, [])

        vid = self.verb_id(c)
        subj = self.np(c.subj, "nom") if c.subj else []
        person = self.person(c.subj)
        if c.pred == "exist":
            subj, person = ["es"], "3sg"
        fin, right, sep_only = self.vparts(vid, person, c.tense)
        kein = c.neg and c.obj is not None and c.obj.det in ("indef", "bare")
        obj, pobj = [], []
        if c.obj:
            e = lex.VERBS[vid]
            if "prep" in e:
                prep, case = e["prep"]
                pobj = self.pp(prep, c.obj, case)
            else:
                obj = self.np(c.obj, e.get("case", "acc"), neg=kein)
        adj = words(lex.VERY if c.very else None, _pred_adj(lex, c.adj)) if c.adj else []
        mf = words(
            lex.FREQUENCIES[c.freq] if c.freq else None,
            time,
            obj,
            ["nicht"] if c.neg and not kein else None,
            adj,
            self.amount(c.amount) if c.amount else None,
            lex.TRANSPORTS[c.transport] if c.transport else None,
            place,
            pobj,
        )
        return self.assemble(form, subj, fin, right, sep_only, mf, c, front)

    def assemble(self, form, subj, fin, right, sep_only, mf, c: Clause, front) -> list[str]:
        """Place the finite verb: second (decl), first (yn, after a fronted condition),
        after the question word, or last (sub, if)."""
        if form == "decl":
            if front:
                return words(front, fin, subj, mf, right)
            return words(subj, fin, mf, right)
        if form in ("yn", "after_sub"):
            return words(fin, subj, mf, right)
        if form in ("where", "when"):
            qword = self.lex.WH["when" if form == "when" else place_role(c.pred)]
            return words(qword, fin, subj, mf, right)
        if sep_only:
            return words(subj, mf, right[0] + fin)
        return words(subj, mf, right, fin)

    def listing(self, items: tuple[NP, ...]) -> list[str]:
        out: list[str] = []
        for k, item in enumerate(items):
            if k:
                out.append("und" if k == len(items) - 1 else ",")
            out += self.np(item, "acc")
        return out

    def instruction(self, s: Sentence) -> list[str]:
        lex, c = self.lex, s.main
        e = lex.VERBS[c.pred]
        sep = e.get("sep", "")
        return words(
            lex.SEQUENCERS[s.seq] if s.seq else None,
            e["inf"][len(sep) :],
            "Sie",
            self.np(c.obj, "acc"),
            ["bei", str(c.temp), "Grad"] if c.temp else None,
            self.amount(c.amount) + ["lang"] if c.amount else None,
            self.pp("aus", c.source, "dat") if c.source else None,
            self.pp("mit", c.instr, "dat") if c.instr else None,
            self.pp("in", c.dest, "acc") if c.dest else None,
            lex.RESULTS[c.result] if c.result else None,
            sep,
        )


def _pred_adj(lex, aid: str) -> str:
    entry = lex.ADJECTIVES[aid]
    return entry if isinstance(entry, str) else entry[0]
