"""Random, semantically coherent sentence frames.

:class:`FrameSampler` draws a :class:`~.frames.Sentence` from a seeded :class:`random.Random`;
the concept tags of :mod:`.lexicon.concepts` keep the combinations sensible (people buy goods
at shops, trains leave at a clock time). Two domains: ``talk`` (TED-like statements, questions,
two-clause sentences) and ``howto`` (How2-like instructions mixed with talk sentences).
"""

from __future__ import annotations

import random

from espnet_ext.corpus.mini.frames import NP, Amount, Clause, Sentence, Time
from espnet_ext.corpus.mini.lexicon import concepts as C

_PRONOUNS = ("1sg", "2sg", "3sg.m", "3sg.f", "1pl", "3pl")
_POSS = ("poss:1sg", "poss:2sg", "poss:3sg.m", "poss:3sg.f", "poss:1pl", "poss:3pl")
_PAST_TIMES = [w for w, t in C.TIMES.items() if "past" in t.split()]
_FUT_TIMES = [w for w, t in C.TIMES.items() if "fut" in t.split()]
_PRES_TIMES = [w for w, t in C.TIMES.items() if "pres" in t.split()]
_HOWTO_SHARE = 0.7  # instructions among How2-like sentences
_OWNED_PLACES = ("office", "school", "university", "hotel", "garden", "kitchen", "gym")


class FrameSampler:
    """Draws sentences; every choice goes through ``self.rng`` (reproducible for a seed)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    # ------------------------------------------------------------------ small helpers
    def pick(self, seq):
        return seq[self.rng.randrange(len(seq))]

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def weighted(self, options: dict):
        keys = list(options)
        return self.rng.choices(keys, weights=[options[k] for k in keys])[0]

    def count(self) -> tuple[int, bool]:
        """A count of things: small numbers mostly in words, larger ones in digits."""
        if self.chance(0.6):
            return self.rng.randint(2, 12), self.chance(0.2)
        return self.rng.randint(13, 99), self.chance(0.6)

    # ------------------------------------------------------------------ noun phrases
    def adjective_for(self, noun: str, p: float) -> str | None:
        if not self.chance(p):
            return None
        fits = C.adjectives_for(noun)
        return self.pick(fits) if fits else None

    def person(self, *, pronoun: float = 0.3, plural: float = 0.2) -> NP:
        r = self.rng.random()
        if r < pronoun:
            return NP("pro:" + self.pick(_PRONOUNS))
        if r < pronoun + 0.2:
            return NP("name:" + self.pick(sorted(C.NAMES)))
        noun = self.pick(C.nouns_with("person"))
        number = "pl" if C.has_tag(noun, "plonly") or self.chance(plural) else "sg"
        if C.has_tag(noun, "kin"):  # my sister, our teacher
            det = self.pick(_POSS) if self.chance(0.7) else "def"
        else:
            det = "this" if self.chance(0.15) else "def"
        return NP(noun, det=det, number=number, adj=self.adjective_for(noun, 0.15))

    def thing(self, tags: str, *, dets: dict | None = None, adj: float = 0.3) -> NP:
        candidates = C.nouns_with(*tags.split())
        if not {"building", "visit"} & set(tags.split()):  # places are things only to visit
            candidates = [n for n in candidates if not C.has_tag(n, "place")]
        noun = self.pick(candidates)
        if C.has_tag(noun, "person"):
            return self.person(pronoun=0, plural=0.15)
        if any(C.has_tag(noun, t) for t in ("sport", "instrument", "lang", "subject")):
            return NP(noun, det="bare")
        if C.has_tag(noun, "mass"):
            det = self.weighted(dets or {"bare": 6, "def": 3, "poss": 1})
            det = "bare" if det in ("indef", "num") else det
            det = self.pick(_POSS) if det == "poss" else det
            return NP(noun, det=det, adj=self.adjective_for(noun, adj))
        det = self.weighted(
            dets or {"indef": 3, "def": 3, "num": 2, "poss": 2, "this": 1, "bare": 1}
        )
        a = self.adjective_for(noun, adj)
        if det == "num":
            n, digits = self.count()
            return NP(noun, det="num", number="pl", count=n, digits=digits, adj=a)
        if det == "bare":
            return NP(noun, det="bare", number="pl", adj=a)
        number = "pl" if det != "indef" and self.chance(0.3) else "sg"
        det = self.pick(_POSS) if det == "poss" else det
        return NP(noun, det=det, number=number, adj=a)

    def place(self, tags: str, *, cities: bool = False, home: bool = False) -> NP:
        if home and self.chance(0.3):
            return NP("home")
        if cities and (not tags or self.chance(0.4)):
            if self.chance(0.7):
                return NP("city:" + self.pick(C.CITIES))
            return NP("country:" + self.pick(C.COUNTRIES))
        noun = self.pick(
            [n for n in C.nouns_with(*(tags or "place").split()) if C.has_tag(n, "place")]
        )
        det = self.pick(_POSS) if noun in _OWNED_PLACES and self.chance(0.3) else "def"
        return NP(noun, det=det, adj=self.adjective_for(noun, 0.15))

    # ------------------------------------------------------------------ time
    def tense(self, allowed: str = "pres past fut") -> str:
        options = {t: w for t, w in (("pres", 4), ("past", 4), ("fut", 3)) if t in allowed.split()}
        return self.weighted(options)

    def clock(self) -> dict:
        hour = self.rng.randint(1, 12)
        if self.chance(0.5):
            return dict(hour=hour, minute=self.pick((10, 15, 20, 25, 30, 40, 45, 50)), digits=True)
        return dict(hour=hour, minute=self.pick((0, 30)), digits=False)

    def time(self, tense: str, p: float = 0.55) -> Time | None:
        if not self.chance(p):
            return None
        r = self.rng.random()
        if tense == "pres":
            if r < 0.55:
                return Time(word=self.pick(_PRES_TIMES))
            if r < 0.8:
                return Time(word="on_pl:" + self.pick(C.WEEKDAYS))
            return Time(word="in:" + self.pick(C.MONTHS))
        words = _PAST_TIMES if tense == "past" else _FUT_TIMES
        if r < 0.4:
            return Time(word=self.pick(words))
        if r < 0.55:
            return Time(word="on:" + self.pick(C.WEEKDAYS))
        if r < 0.7:
            n, digits = self.rng.randint(2, 10), self.chance(0.3)
            kind = "ago" if tense == "past" else "in_n"
            return Time(word=f"{kind}:{self.pick(C.TIME_UNITS)}", n=n, digits=digits)
        if r < 0.85:
            return Time(
                day=self.rng.randint(1, 28), month=self.pick(C.MONTHS), digits=self.chance(0.6)
            )
        if tense == "past" and r < 0.92:
            return Time(year=self.rng.randint(1990, 2023))
        return Time(word=self.pick(words), **self.clock())

    def finish(self, c: Clause, *, front: float = 0.2) -> Clause:
        """Fronts the time adverbial now and then."""
        if c.time is not None and self.chance(front):
            return _replace(c, front="time")
        return c

    # ------------------------------------------------------------------ talk clauses
    def action(self, tense: str | None = None) -> Clause:
        verb = self.pick([v for v, s in C.VERBS.items() if s.obj])
        spec = C.VERBS[verb]
        tense = tense or self.tense(spec.tenses)
        tense = tense if tense in spec.tenses.split() else spec.tenses.split()[0]
        if "visit" in spec.obj.split() and self.chance(0.3):
            obj = NP("city:" + self.pick(C.CITIES))
        else:
            obj = self.thing(spec.obj)
        place = None
        if spec.role and self.chance(0.45):
            place = self.place(spec.places)
        neg = spec.neg and obj.det not in ("num", "this") and self.chance(0.15)
        freq = (
            self.pick(C.FREQUENCIES) if tense == "pres" and not neg and self.chance(0.2) else None
        )
        return self.finish(
            Clause(
                verb,
                subj=self.person(),
                obj=obj,
                place=place,
                tense=tense,
                neg=neg,
                freq=freq,
                time=self.time(tense),
            )
        )

    def motion(self, tense: str | None = None, verb: str | None = None) -> Clause:
        verb = verb or self.pick([v for v, s in C.VERBS.items() if s.role and not s.obj])
        spec = C.VERBS[verb]
        tense = tense or self.tense(spec.tenses)
        place = self.place(
            spec.places.replace("home", "").strip(), cities=spec.cities, home="home" in spec.places
        )
        transport = None
        if spec.transport and self.chance(0.4) and place.head != "home":
            transport = self.pick(C.TRANSPORTS)
        neg = self.chance(0.12)
        freq = (
            self.pick(C.FREQUENCIES) if tense == "pres" and not neg and self.chance(0.2) else None
        )
        return self.finish(
            Clause(
                verb,
                subj=self.person(),
                place=place,
                transport=transport,
                tense=tense,
                neg=neg,
                freq=freq,
                time=self.time(tense),
            )
        )

    def copula(self, tense: str | None = None) -> Clause:
        adj = self.pick([a for a, (_, pred, _) in C.ADJECTIVES.items() if pred])
        tag = self.pick(C.ADJECTIVES[adj][1].split())
        if tag == "person":
            subj = self.person()
        else:
            subj = self.thing(tag, dets={"def": 5, "poss": 2, "this": 2}, adj=0)
        tense = tense or self.tense()
        state = tag == "person" and C.ADJECTIVES[adj][2] == "estar"
        time = self.time(tense, 0.4) if state else None  # "tired yesterday", not "young"
        return self.finish(
            Clause(
                "be",
                subj=subj,
                adj=adj,
                very=self.chance(0.3),
                tense=tense,
                neg=self.chance(0.15),
                time=time,
            )
        )

    def be_at(self) -> Clause:
        tense = self.tense("pres past")
        if self.chance(0.6):
            return Clause(
                "be_at",
                subj=self.person(),
                place=self.place("place", cities=True, home=True),
                tense=tense,
                time=self.time(tense, 0.4),
            )
        subj = self.thing("building", dets={"def": 1}, adj=0.2)
        return Clause("be_at", subj=subj, place=self.place("", cities=True), tense=tense)

    def exist(self) -> Clause:
        tense = self.tense()
        kind = self.pick(("crowd", "person", "animal", "goods", "food"))
        if kind == "crowd":
            obj = NP(
                "person", det="num", number="pl", count=self.rng.randint(20, 900), digits=True
            )
        elif kind == "person":
            noun = self.pick([n for n in C.nouns_with("person") if not C.has_tag(n, "plonly")])
            n, digits = self.count()
            obj = NP(noun, det="num", number="pl", count=n, digits=digits)
        else:
            obj = self.thing(kind, dets={"num": 5, "indef": 2, "bare": 2}, adj=0.2)
        where = {"animal": "nature", "goods": "shop", "food": "shop cook"}.get(kind)
        place = self.place(where or "building leisure", cities=where is None)
        front = "place" if self.chance(0.5) else None
        return Clause(
            "exist",
            obj=obj,
            place=place,
            tense=tense,
            front=front,
            time=self.time(tense, 0.3) if front is None else None,
        )

    def cost(self) -> Clause:
        tense = self.tense("pres past")
        noun = self.pick(C.nouns_with("goods"))
        det = self.weighted({"def": 4, "this": 2, "poss": 1})
        det = self.pick(_POSS) if det == "poss" else det
        dest = self.pick(C.CITIES) if noun == "ticket" and self.chance(0.6) else None
        number = "pl" if self.chance(0.3) else "sg"
        subj = NP(noun, det=det, number=number, adj=self.adjective_for(noun, 0.3), dest=dest)
        digits = self.chance(0.7)
        value = self.rng.randint(2, 999 if digits else 99)
        return Clause(
            "cost",
            subj=subj,
            amount=Amount(value, self.pick(("euro", "dollar")), digits),
            tense=tense,
        )

    def event(self, tense: str | None = None, *, with_time: bool = True) -> Clause:
        verb = self.pick(("start", "end", "leave", "arrive"))
        if verb in ("leave", "arrive"):
            noun = self.pick(C.nouns_with("vehicle"))
            dest = self.pick(C.CITIES) if self.chance(0.6) else None
        else:
            noun, dest = self.pick(C.nouns_with("event")), None
        det = self.weighted({"def": 6, "poss": 2, "this": 1})
        det = self.pick(_POSS) if det == "poss" else det
        subj = NP(noun, det=det, dest=dest, adj=self.adjective_for(noun, 0.15))
        tense = tense or self.tense()
        time = None
        if with_time:
            day = self.weighted({"": 3, "word": 2, "on": 2, "date": 1})
            words = {"pres": ["today"], "past": _PAST_TIMES, "fut": _FUT_TIMES}[tense]
            extra: dict = {}
            if day == "word":
                extra["word"] = self.pick(words)
            elif day == "on" and tense != "pres":
                extra["word"] = "on:" + self.pick(C.WEEKDAYS)
            elif day == "on":
                extra["word"] = "on_pl:" + self.pick(C.WEEKDAYS)
            elif day == "date" and tense != "pres":
                extra.update(day=self.rng.randint(1, 28), month=self.pick(C.MONTHS))
            time = Time(**extra, **self.clock())
        return self.finish(Clause(verb, subj=subj, tense=tense, time=time), front=0.15)

    def weather(self, tense: str | None = None) -> Clause:
        tense = tense or self.tense()
        words = {"pres": ["today", "now"], "past": _PAST_TIMES, "fut": _FUT_TIMES}[tense]
        time = Time(word=self.pick(words)) if self.chance(0.6) else None
        place = NP("city:" + self.pick(C.CITIES)) if self.chance(0.7) else None
        return self.finish(
            Clause("weather", weather=self.pick(C.WEATHER), place=place, tense=tense, time=time),
            front=0.3,
        )

    def like(self) -> Clause:
        if self.chance(0.7):
            food = tuple(n for n in C.nouns_with("food") if C.has_tag(n, "mass"))
            noun = self.pick(C.nouns_with("drink", "animal", "sport") + food)
            number = "pl" if C.has_tag(noun, "animal") else "sg"
            return Clause(
                "like",
                subj=self.person(),
                obj=NP(noun, det="bare", number=number),
                neg=self.chance(0.2),
            )
        noun = self.pick(C.nouns_with("watch", "event"))
        obj = NP(noun, det=self.pick(("def", "this")), adj=None)
        return Clause(
            "like",
            subj=self.person(),
            obj=obj,
            tense="past",
            neg=self.chance(0.2),
            time=self.time("past", 0.4),
        )

    def have(self) -> Clause:
        tense = self.tense("pres past")
        obj = self.thing(self.pick(("goods", "animal")), dets={"indef": 4, "num": 2, "bare": 1})
        neg = obj.det != "num" and self.chance(0.15)
        return Clause(
            "have",
            subj=self.person(),
            obj=obj,
            tense=tense,
            neg=neg,
            time=self.time(tense, 0.3) if tense == "past" else None,
        )

    def simple(self) -> Clause:
        kind = self.weighted({
            "action": 24, "motion": 12, "copula": 8, "be_at": 4, "exist": 5, "cost": 4,
            "event": 6, "weather": 5, "like": 5, "have": 5,
        })  # fmt: skip
        return getattr(self, kind)()

    # ------------------------------------------------------------------ talk sentences
    def question(self) -> Sentence:
        kind = self.weighted({"yn": 4, "where": 3, "when": 3})
        if kind == "yn":
            c = self.pick((self.action, self.motion, self.copula))()
            return Sentence(_replace(c, neg=False, front=None, freq=None), mood="yn")
        if kind == "where":
            r = self.rng.random()
            if r < 0.35:
                subj = self.thing("building", dets={"def": 3, "poss": 1}, adj=0.2)
                return Sentence(Clause("be_at", subj=subj), mood="where")
            verb = "go" if r < 0.65 else self.pick(("work", "live"))
            tense = self.tense("past fut") if verb == "go" else self.tense()
            c = Clause(verb, subj=self.person(), tense=tense, time=self.time(tense, 0.5))
            return Sentence(c, mood="where")
        if self.chance(0.6):
            return Sentence(self.event(with_time=False), mood="when")
        verb = self.pick(("arrive", "come_back", "travel"))
        c = _replace(self.motion(self.tense("past fut"), verb), time=None, front=None, neg=False)
        return Sentence(_replace(c, freq=None), mood="when")

    def compound(self) -> Sentence:
        link = self.weighted({"and": 3, "but": 2, "because": 3, "if": 2, "that": 3})
        if link in ("and", "but"):
            return Sentence(self.simple(), link=link, sub=_replace(self.simple(), front=None))
        if link == "because":
            main = self.pick((self.action, self.motion, self.have))()
            reason = self.pick((self.weather, self.copula, self.motion))(main.tense)
            return Sentence(main, link=link, sub=self.conjunct(reason))
        if link == "if":
            word = self.pick(["tomorrow", "on_the_weekend", "tonight", "next_week"])
            if self.chance(0.6):
                cond = Clause("weather", weather=self.pick(C.WEATHER), time=Time(word=word))
            else:
                verb = self.pick(("come_back", "arrive", "go"))
                cond = _replace(
                    self.motion("pres", verb),
                    time=Time(word=word),
                    freq=None,
                    front=None,
                    neg=False,
                )
            main = self.pick((self.action, self.motion))("fut")
            return Sentence(_replace(main, time=None, front=None), link="if", sub=cond)
        subj = self.person(pronoun=0.6)
        main = Clause(self.pick(C.EMBEDDERS), subj=subj)
        return Sentence(main, link="that", sub=self.conjunct(self.simple()))

    def conjunct(self, c: Clause, p: float = 0.3) -> Clause | Sentence:
        """``c``, or now and then ``c`` and/but a second clause in the same tense."""
        c = _replace(c, front=None)
        if not self.chance(p):
            return c
        other = self.pick((self.action, self.motion, self.weather, self.copula))(c.tense)
        return Sentence(c, link=self.pick(("and", "but")), sub=_replace(other, front=None))

    def talk(self) -> Sentence:
        kind = self.weighted({"simple": 62, "question": 12, "compound": 26})
        if kind == "simple":
            return Sentence(self.simple())
        return self.question() if kind == "question" else self.compound()

    # ------------------------------------------------------------------ instructions
    def quantity(self) -> NP:
        noun = self.pick(C.nouns_with("ingredient"))
        if C.has_tag(noun, "mass"):
            unit = self.pick(C.UNITS[noun])
            if unit == "pinch":
                return NP(noun, det="indef", unit=unit)
            if unit == "gram":
                return NP(
                    noun,
                    det="num",
                    number="pl",
                    unit=unit,
                    count=self.pick((50, 100, 150, 200, 250, 300, 500)),
                    digits=True,
                )
            n, digits = self.rng.randint(2, 4), self.chance(0.2)
            return NP(noun, det="num", number="pl", unit=unit, count=n, digits=digits)
        n, digits = self.rng.randint(2, 6), self.chance(0.2)
        return NP(noun, det="num", number="pl", count=n, digits=digits)

    def instruction(self) -> Sentence:
        verb = self.pick(sorted(C.INSTRUCTIONS))
        tags, extra = C.INSTRUCTIONS[verb]
        if verb == "add" and self.chance(0.6):
            obj = self.quantity()
        else:
            noun = self.pick(C.nouns_with(*tags.split()))
            mass = C.has_tag(noun, "mass") or C.has_tag(noun, "cover") or C.has_tag(noun, "tool")
            number = "sg" if mass or C.has_tag(noun, "paint") or self.chance(0.4) else "pl"
            det = "indef" if verb == "use" else "def"
            adj = "sharp" if verb == "use" and noun == "knife" and self.chance(0.5) else None
            obj = NP(noun, det=det, number=number, adj=adj)
        minutes = Amount(self.rng.randint(2, 30), "minute", self.chance(0.6))
        kw: dict = {}
        if extra == "dest":
            kw["dest"] = NP(self.pick(C.nouns_with("container")))
        elif extra == "result":
            kw["result"] = self.pick(C.RESULTS)
        elif extra == "instr":
            tool = {"mix": "spoon", "peel": "knife", "paint": "brush"}[verb]
            kw["instr"] = NP(tool, det="indef")
        elif extra == "oven":
            kw["dest"] = NP(self.pick(C.nouns_with("oven")))
        elif extra == "duration" and self.chance(0.7):
            kw["amount"] = minutes
        elif extra == "bake":
            kw["temp"] = self.pick(range(160, 230, 10))
            if self.chance(0.7):
                kw["amount"] = Amount(self.pick(range(15, 65, 5)), "minute", self.chance(0.7))
        elif extra == "source":
            kw["source"] = NP(self.pick(C.nouns_with("oven", "heat")))
        elif extra == "plant_place":
            kw["dest"] = self.pick((NP("garden"), NP("flowerpot", det="indef")))
        elif extra == "lid":
            kw["instr"] = NP("lid", det="indef")
        seq = self.pick(C.SEQUENCERS) if self.chance(0.4) else None
        return Sentence(Clause(verb, obj=obj, **kw), mood="imp", seq=seq)

    def howto(self) -> Sentence:
        r = self.rng.random()
        if r < _HOWTO_SHARE:
            return self.instruction()
        if r < _HOWTO_SHARE + 0.06:
            items = tuple(self.quantity() for _ in range(self.rng.randint(1, 3)))
            if len({i.head for i in items}) < len(items):
                items = items[:1]
            return Sentence(Clause("need", items=items))
        if r < _HOWTO_SHARE + 0.1:
            if self.chance(0.7):
                amount = Amount(self.pick(range(10, 95, 5)), "minute", self.chance(0.6))
            else:
                amount = Amount(self.rng.randint(2, 4), "hour", self.chance(0.3))
            return Sentence(Clause("take_time", amount=amount))
        return self.talk()

    def sentence(self, domain: str) -> Sentence:
        if domain == "talk":
            return self.talk()
        if domain == "howto":
            return self.howto()
        raise ValueError(f"unknown domain {domain!r}; choose talk or howto")


def _replace(c: Clause, **kw) -> Clause:
    from dataclasses import replace

    return replace(c, **kw)
