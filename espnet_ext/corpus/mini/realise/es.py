"""Spanish: pro-drop, personal "a", al/del, ser/estar, "gustar" with a dative experiencer."""

from __future__ import annotations

import re

from num2words import num2words

from espnet_ext.corpus.mini.frames import NP, Clause, Time
from espnet_ext.corpus.mini.lexicon.concepts import has_tag
from espnet_ext.corpus.mini.realise.base import join, words
from espnet_ext.corpus.mini.realise.romance import PERSON_INDEX, Romance

_PRESENT = {"ar": ("o", "as", "a", "amos", "an"), "er": ("o", "es", "e", "emos", "en"),
            "ir": ("o", "es", "e", "imos", "en")}  # fmt: skip
_PRETERITE = {"ar": ("é", "aste", "ó", "amos", "aron"), "er": ("í", "iste", "ió", "imos", "ieron"),
              "ir": ("í", "iste", "ió", "imos", "ieron")}  # fmt: skip
_STEM_CHANGE = {"ie": ("e", "ie"), "ue": ("o", "ue"), "i": ("e", "i")}
_GUSTAR = {"pres": ("gusta", "gustan"), "past": ("gustó", "gustaron"),
           "fut": ("va a gustar", "van a gustar")}  # fmt: skip


class Spanish(Romance):
    lang = "es"
    question_open = "¿"
    CONTRACT = {("a", "el"): "al", ("de", "el"): "del"}

    def plural(self, sg: str) -> str:
        if sg[-1] in "aeiouáéó":
            return sg + "s"
        return sg[:-1] + "ces" if sg.endswith("z") else sg + "es"

    def number_words(self, n: int, gender: str) -> str:
        w = num2words(n, lang="es")
        if gender == "f":  # "veintiuna casas", "doscientas personas"
            return re.sub(r"uno$", "una", w).replace("ientos", "ientas")
        return re.sub(r"uno$", "un", re.sub(r"veintiuno$", "veintiún", w))

    def determiner(self, det, np: NP, g, n, nxt, neg) -> list[str]:
        pl = n == "pl"
        # "el agua": feminine nouns with a stressed first a take the masculine article
        masc = g == "m" or (
            np.head in self.lex.EL_FEMININE and not pl and nxt == self.noun(np.head, "sg")
        )
        if det == "def":
            return [("los" if g == "m" else "las") if pl else ("el" if masc else "la")]
        if det == "indef":
            return [("unos" if g == "m" else "unas") if pl else ("un" if masc else "una")]
        if det == "this":
            return [("estos" if g == "m" else "estas") if pl else ("este" if g == "m" else "esta")]
        if det == "num":
            return [self.number(np.count, np.digits, g)]
        if det.startswith("poss:"):
            p = det[5:]
            base = self.lex.POSSESSIVES[p]
            if p == "1pl":
                base = base if g == "m" else base[:-1] + "a"
            return [base + ("s" if pl else "")]
        return []

    def conjugate(self, vid: str, person: str, tense: str) -> str:
        e, i = self.lex.VERBS[vid], PERSON_INDEX[person]
        if tense in e and tense in ("pres", "past"):
            return e[tense][i]
        stem, cls = e["inf"][:-2], e["inf"][-2:]
        if tense == "pres":
            if "stem" in e and i != 3:
                old, new = _STEM_CHANGE[e["stem"]]
                k = stem.rfind(old)
                stem = stem[:k] + new + stem[k + 1 :]
            return stem + _PRESENT[cls][i]
        if i == 0 and cls == "ar":  # pagué, toqué, empecé
            stem = re.sub(r"c$", "qu", re.sub(r"g$", "gu", re.sub(r"z$", "c", stem)))
        return stem + _PRETERITE[cls][i]

    def vgroup(self, vid, person, tense, neg, agr):
        e = self.lex.VERBS[vid]
        before = words(
            "no" if neg else None, self.lex.REFLEXIVES[person] if e.get("refl") else None
        )
        if tense == "fut":
            return before, self.conjugate(self.lex.FUTURE_AUX, person, "pres"), ["a", e["inf"]]
        return before, self.conjugate(vid, person, "pres" if tense == "if" else tense), []

    def verb_id(self, c: Clause) -> str:
        if c.pred == "be_at" or (c.pred == "be" and self.copula_class(c.adj) == "estar"):
            return "estar"
        return "ser" if c.pred == "be" else c.pred

    def personal_a(self, np: NP) -> str | None:
        return "a" if np.head.startswith("name:") or has_tag(np.head, "person") else None

    def subject(self, np: NP | None) -> list[str]:
        if np is None or np.head[4:] in self.lex.DROPPED_PRONOUNS:
            return []
        return self.np(np)

    def wh_question(self, qword, subj, vp, rest, c: Clause) -> list[str]:
        return words(qword, vp, subj, rest)  # "¿Dónde trabaja tu hermana?"

    def special(self, c: Clause, form, front, place, time) -> list[str] | None:
        """ "like": "A mi hermano le gusta el chocolate" (the liked thing is the subject)."""
        if c.pred != "like":
            return None
        lex, h = self.lex, c.subj.head
        if h.startswith("pro:"):
            p = h[4:]
            experiencer = ["a", lex.PRONOUNS[p]] if p in ("3sg.m", "3sg.f", "3pl") else []
        else:
            experiencer = self.pp("a", c.subj)
        verb = _GUSTAR[c.tense][c.obj.number == "pl"]
        obj = self.np(c.obj, det="def" if c.obj.det == "bare" else None)
        dative = lex.DATIVES[self.person(c.subj)]
        return words(front, experiencer, "no" if c.neg else None, dative, verb, obj, place, time)

    def date(self, t: Time) -> list[str]:
        if t.digits:
            day = str(t.day)
        else:
            day = "primero" if t.day == 1 else num2words(t.day, lang="es")
        return ["el", day, "de", self.lex.MONTHS[t.month]]

    def clock(self, t: Time) -> list[str]:
        art = "la" if t.hour == 1 else "las"
        if t.digits:
            return ["a", art, f"{t.hour}:{t.minute:02d}"]
        hour = self.number_words(t.hour, "f")
        return ["a", art, hour] + (["y", "media"] if t.minute == 30 else [])

    def finish(self, tokens: list[str]) -> str:
        # "y" becomes "e" before an i sound: "padre e hijo"
        return re.sub(r"\by (?=(?:i|I|hi|Hi)(?!e))", "e ", join(tokens))
