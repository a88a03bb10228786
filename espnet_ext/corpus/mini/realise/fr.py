"""French: elision, au/du/aux/des, partitive articles, "ne ... pas (de)", passé composé
with être agreement, "est-ce que" questions."""

from __future__ import annotations

import re

from num2words import num2words

from espnet_ext.corpus.mini.frames import NP, Clause, Time
from espnet_ext.corpus.mini.lexicon.concepts import has_tag
from espnet_ext.corpus.mini.realise.base import join, words
from espnet_ext.corpus.mini.realise.romance import PERSON_INDEX, Romance

_VOWELS = "aeiouàâäéèêëîïôöùûüœæh"  # h: every h-word in the lexicon is mute
_ELIDED = re.compile(r"\b(je|ne|de|que|le|la)\s+(?=(\w+))", re.IGNORECASE)


class French(Romance):
    lang = "fr"
    question_close = " ?"
    FREQ_AFTER_VERB = True
    CONTRACT = {("à", "le"): "au", ("à", "les"): "aux", ("de", "le"): "du", ("de", "les"): "des"}

    def vowel(self, word: str | None) -> bool:
        return (
            bool(word) and word[0].lower() in _VOWELS and word.lower() not in self.lex.NO_ELISION
        )

    def plural(self, sg: str) -> str:
        return sg if sg[-1] in "sxz" else sg + "s"

    def number_of(self, np: NP) -> str:
        return "pl" if np.head in self.lex.PLURAL_ONLY else np.number

    def number_words(self, n: int, gender: str) -> str:
        w = num2words(n, lang="fr")
        return w[:-2] + "une" if gender == "f" and w.endswith("un") else w

    def regular_adjective(self, ms: str) -> tuple[str, ...]:
        if ms.endswith("e"):
            return ms, ms, ms + "s", ms + "s"
        if ms.endswith(("s", "x")):
            return ms, ms + "e", ms, ms + "es"
        return ms, ms + "e", ms + "s", ms + "es"

    def adjective(self, aid, gender, number, nxt=None) -> str:
        e = self.lex.ADJECTIVES[aid]
        forms = self.regular_adjective(e) if isinstance(e, str) else e
        if len(forms) > 4 and gender == "m" and number == "sg" and self.vowel(nxt):
            return forms[4]  # "un nouvel appartement"
        return forms[(gender == "f") + 2 * (number == "pl")]

    def prenominal(self, aid: str) -> bool:
        return aid in self.lex.PRENOMINAL

    def determiner(self, det, np: NP, g, n, nxt, neg) -> list[str]:
        pl, v = n == "pl", self.vowel(nxt)
        if det in ("indef", "bare") and neg:
            return ["de"]  # "pas de pain"
        if det == "def":
            return ["les"] if pl else ["l'" if v else ("le" if g == "m" else "la")]
        if det in ("indef", "bare") and pl:
            return ["de" if np.adj and self.prenominal(np.adj) else "des"]
        if det == "indef":
            return ["un" if g == "m" else "une"]
        if det == "bare":  # partitive
            return ["de", "l'"] if v else (["du"] if g == "m" else ["de", "la"])
        if det == "this":
            return ["ces"] if pl else [("cet" if v else "ce") if g == "m" else "cette"]
        if det == "num":
            return [self.number(np.count, np.digits, g)]
        if det.startswith("poss:"):
            m, f, p = self.lex.POSSESSIVES[det[5:]]
            return [p if pl else (m if g == "m" or v else f)]
        return []

    def place_prep(self, nid: str, role: str) -> str:
        return self.lex.PLACE_PREP.get(nid, "à")

    def conjugate(self, vid: str, person: str, tense: str = "pres") -> str:
        e, i = self.lex.VERBS[vid], PERSON_INDEX[person]
        if tense in e:
            return e[tense][i]
        inf = e["inf"]
        stem = inf[:-2]
        if inf.endswith("er"):
            if i == 3 and stem.endswith("g"):
                stem += "e"  # mangeons
            elif i == 3 and stem.endswith("c"):
                stem = stem[:-1] + "ç"  # commençons
            return stem + ("e", "es", "e", "ons", "ent")[i]
        if inf.endswith("re"):
            return stem + ("s", "s", "", "ons", "ent")[i]
        raise ValueError(f"French verb {vid!r} ({inf}) needs a present table in the lexicon")

    def participle(self, vid: str) -> str:
        e = self.lex.VERBS[vid]
        if "pp" in e:
            return e["pp"]
        inf = e["inf"]
        return inf[:-2] + {"er": "é", "ir": "i", "re": "u"}[inf[-2:]]

    def vgroup(self, vid, person, tense, neg, agr):
        e = self.lex.VERBS[vid]
        ne, pas = (["ne"], ["pas"]) if neg else ([], [])
        if tense in ("pres", "if"):
            return ne, self.conjugate(vid, person), pas
        if tense == "fut":
            return ne, self.conjugate(self.lex.FUTURE_AUX, person), pas + [e["inf"]]
        if "past" in e:  # imparfait for states: "avait", "voulait", "était"
            return ne, e["past"][PERSON_INDEX[person]], pas
        pp = self.participle(vid)
        if e.get("aux") == "être":  # "elle est allée", "ils sont partis"
            g, n = agr
            pp += ("e" if g == "f" else "") + ("s" if n == "pl" else "")
            return ne, self.conjugate("be", person), pas + [pp]
        return ne, self.conjugate("have", person), pas + [pp]

    def verb_id(self, c: Clause) -> str:
        if c.pred in ("be", "be_at"):
            return "be"
        if (
            c.pred == "visit"
            and c.obj
            and (c.obj.head.startswith("name:") or has_tag(c.obj.head, "person"))
        ):
            return "visit.person"  # "rendre visite à" people, "visiter" places
        return c.pred

    def yn_question(self, subj, vp, rest) -> list[str]:
        return words("est-ce", "que", subj, vp, rest)

    def wh_question(self, qword, subj, vp, rest, c: Clause) -> list[str]:
        if c.pred == "be_at":
            return words(qword, vp, subj, rest)  # "Où est le musée ?"
        return words(qword, "est-ce", "que", subj, vp, rest)

    def date(self, t: Time) -> list[str]:
        if t.digits:
            day = "1er" if t.day == 1 else str(t.day)
        else:
            day = "premier" if t.day == 1 else num2words(t.day, lang="fr")
        return ["le", day, self.lex.MONTHS[t.month]]

    def clock(self, t: Time) -> list[str]:
        if t.digits:
            return ["à", str(t.hour), "h", f"{t.minute:02d}"]
        hour = self.number_words(t.hour, "f")
        out = ["à", hour, "heure" if t.hour == 1 else "heures"]
        return out + (["et", "demie"] if t.minute == 30 else [])

    def finish(self, tokens: list[str]) -> str:
        def elide(m: re.Match) -> str:
            word, nxt = m.group(1), m.group(2)
            return f"{word[:-1]}'" if self.vowel(nxt) else m.group(0)

        text = _ELIDED.sub(elide, join(tokens))
        text = re.sub(r"\b([Ss])i (ils?)\b", r"\1'\2", text)  # "s'il"
        return text.replace("' ", "'")
