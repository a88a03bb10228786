"""Brazilian Portuguese: no/na/do/ao/à contractions, "o irmão dele", future subjunctive in
if-clauses, ser/estar/ficar."""

from __future__ import annotations

from num2words import num2words

from espnet_ext.corpus.mini.frames import NP, Clause, Time
from espnet_ext.corpus.mini.realise.base import words
from espnet_ext.corpus.mini.realise.romance import PERSON_INDEX, Romance

_PRESENT = {"ar": ("o", "a", "a", "amos", "am"), "er": ("o", "e", "e", "emos", "em"),
            "ir": ("o", "e", "e", "imos", "em")}  # fmt: skip
_PRETERITE = {"ar": ("ei", "ou", "ou", "amos", "aram"), "er": ("i", "eu", "eu", "emos", "eram"),
              "ir": ("i", "iu", "iu", "imos", "iram")}  # fmt: skip
_ARTICLES = ("o", "a", "os", "as")
_CONTRACT = {
    (prep, art): form
    for prep, forms in (
        ("em", ("no", "na", "nos", "nas")),
        ("de", ("do", "da", "dos", "das")),
        ("a", ("ao", "à", "aos", "às")),
        ("por", ("pelo", "pela", "pelos", "pelas")),
    )
    for art, form in zip(_ARTICLES, forms)
}
_CONTRACT.update(
    {(p, d): p[0] + d for p in ("em", "de") for d in ("este", "esta", "estes", "estas")}
)
_THIRD = ("3sg.m", "3sg.f", "3pl")


class Portuguese(Romance):
    lang = "pt"
    CONTRACT = _CONTRACT

    def plural(self, sg: str) -> str:
        if sg.endswith("ão"):
            return sg[:-2] + "ões"
        if sg.endswith("m"):
            return sg[:-1] + "ns"
        if sg.endswith("l"):
            return sg[:-1] + "is"
        return sg + "es" if sg[-1] in "rzs" else sg + "s"

    def number_words(self, n: int, gender: str) -> str:
        w = num2words(n, lang="pt_BR")
        if gender != "f":
            return w
        fem = {"um": "uma", "dois": "duas"}
        return " ".join(
            fem.get(x, x[:-4] + "entas" if x.endswith("entos") else x) for x in w.split()
        )

    def determiner(self, det, np: NP, g, n, nxt, neg) -> list[str]:
        k = (g == "f") + 2 * (n == "pl")
        if det == "def":
            return [_ARTICLES[k]]
        if det == "indef":
            return [("um", "uma", "uns", "umas")[k]]
        if det == "this":
            return [("este", "esta", "estes", "estas")[k]]
        if det == "num":
            return [self.number(np.count, np.digits, g)]
        if det.startswith("poss:"):
            p = det[5:]
            if p in _THIRD:
                return [_ARTICLES[k]]  # "o irmão dele"
            poss = self.lex.POSSESSIVES[p][g == "f"]
            return [_ARTICLES[k], poss + ("s" if n == "pl" else "")]
        return []

    def after_noun(self, det: str) -> list[str]:
        if det.startswith("poss:") and det[5:] in _THIRD:
            return [self.lex.POSSESSIVES[det[5:]]]
        return []

    def conjugate(self, vid: str, person: str, tense: str) -> str:
        e, i = self.lex.VERBS[vid], PERSON_INDEX[person]
        if tense in e and tense in ("pres", "past"):
            return e[tense][i]
        stem, cls = e["inf"][:-2], e["inf"][-2:]
        if tense == "pres":
            return stem + _PRESENT[cls][i]
        if i == 0 and cls == "ar":  # toquei, paguei, comecei
            stem = {"c": stem[:-1] + "qu", "g": stem[:-1] + "gu", "ç": stem[:-1] + "c"}.get(
                stem[-1], stem
            )
        return stem + _PRETERITE[cls][i]

    def future_subjunctive(self, vid: str, person: str) -> str:
        """ "se você comprar", "se eles forem": from the preterite 3pl stem."""
        e = self.lex.VERBS[vid]
        p3 = e.get("pret3pl") or self.conjugate(vid, "3pl", "past")
        return p3[:-3] + ("r", "r", "r", "rmos", "rem")[PERSON_INDEX[person]]

    def vgroup(self, vid, person, tense, neg, agr):
        before = ["não"] if neg else []
        if tense == "if":
            return before, self.future_subjunctive(vid, person), []
        if tense == "fut":
            fin = self.conjugate(self.lex.FUTURE_AUX, person, "pres")
            # "amanhã ela vai ao mercado": ir needs no second ir
            return before, fin, [] if vid == self.lex.FUTURE_AUX else [self.lex.VERBS[vid]["inf"]]
        return before, self.conjugate(vid, person, tense), []

    def verb_id(self, c: Clause) -> str:
        if c.pred == "be_at":
            return "ficar" if self.is_place(c.subj) else "estar"  # "o museu fica no centro"
        if c.pred == "be":
            return self.copula_class(c.adj)
        return c.pred

    def wh_question(self, qword, subj, vp, rest, c: Clause) -> list[str]:
        if c.pred == "be_at":
            return words(qword, vp, subj, rest)  # "Onde fica o museu?"
        return words(qword, subj, vp, rest)

    def date(self, t: Time) -> list[str]:
        if t.digits:
            day = "1º" if t.day == 1 else str(t.day)
        else:
            day = "primeiro" if t.day == 1 else num2words(t.day, lang="pt_BR")
        return ["em", day, "de", self.lex.MONTHS[t.month]]

    def clock(self, t: Time) -> list[str]:
        art = "à" if t.hour == 1 else "às"
        if t.digits:
            return [art, f"{t.hour}h{t.minute:02d}"]
        hour = self.number_words(t.hour, "f")
        if t.minute == 30:
            return [art, hour, "e", "meia"]
        return [art, hour, "hora" if t.hour == 1 else "horas"]
