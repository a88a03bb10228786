import pytest

from espnet_ext.corpus.normalize import (
    _moses,
    _moses_normalizer,
    normalize_many,
    normalize_punct,
    normalize_text,
    normalize_texts,
    remove_punct,
)

# (lang, raw, tc, lc.rm); lc is always tc.lower(), checked separately.
EXAMPLES = [
    # curly quotes, apostrophe, em dash, ellipsis
    ("en", "He said \u201cdon\u2019t go\u201d \u2014 and left\u2026",
     'He said "don\'t go" - and left...', "he said don't go and left"),
    # no-break space, double hyphen
    ("en", "It\u2019s 3.5 km\u00a0away -- really?!", "It's 3.5 km away -- really?!",
     "it's 3.5 km away really"),
    # hyphenated words, numbers with separators, symbols
    ("en", "A well-known e-mail, 50% of $1,000 at 10:30.",
     "A well-known e-mail, 50% of $1,000 at 10:30.", "a well-known e-mail 50 of 1,000 at 10:30"),
    # apostrophes that are not inside a word go
    ("en", "Rock \u2019n\u2019 roll, the students\u2019 books",
     "Rock 'n' roll, the students' books", "rock n roll the students books"),
    # Moses puts a space before "(" and tabs become spaces
    ("en", "(Laughter)Thank\tyou.", "(Laughter) Thank you.", "laughter thank you"),
    # German low quotes, guillemets, en dash
    ("de", "\u201eDas ist gut\u201c, sagte er.", '"Das ist gut", sagte er.',
     "das ist gut sagte er"),
    ("de", "Er sagte: \u00bbHallo\u00ab \u2013 und ging\u2026", 'Er sagte: "Hallo" - und ging...',
     "er sagte hallo und ging"),
    ("de", "Geht\u2019s? Die Stra\u00dfe kostet 1\u00a0000 Euro.",
     "Geht's? Die Stra\u00dfe kostet 1 000 Euro.", "geht's die stra\u00dfe kostet 1 000 euro"),
    # Spanish inverted marks stay in tc, go in lc.rm
    ("es", "\u00bfQu\u00e9 tal? \u00a1Muy bien!", "\u00bfQu\u00e9 tal? \u00a1Muy bien!",
     "qu\u00e9 tal muy bien"),
    ("es", "\u00abHola\u00bb, dijo \u2014 y se fue\u2026", '"Hola", dijo - y se fue...',
     "hola dijo y se fue"),
    # French: spaced guillemets (no-break, narrow no-break and plain spaces), elision, dit-il
    ("fr", "\u00ab\u00a0Bonjour\u00a0\u00bb, dit-il\u00a0: c\u2019est l\u2019homme\u00a0!",
     '"Bonjour", dit-il: c\'est l\'homme!', "bonjour dit-il c'est l'homme"),
    ("fr", "Il dit \u00ab Bonjour \u00bb et part.", 'Il dit "Bonjour" et part.',
     "il dit bonjour et part"),
    ("fr", "Qu\u2019est-ce que c\u2019est\u202f?", "Qu'est-ce que c'est?", "qu'est-ce que c'est"),
    # Moses' number rule is off: 1 000 must not become 1,000 (= 1.0 in French)
    ("fr", "Il a 1\u00a0000 euros.", "Il a 1 000 euros.", "il a 1 000 euros"),
    ("pt", "\u201cOl\u00e1\u201d, disse ele \u2014 e foi embora\u2026",
     '"Ol\u00e1", disse ele - e foi embora...', "ol\u00e1 disse ele e foi embora"),
    ("pt", "N\u00e3o \u00e9 f\u00e1cil, \u00e9? S\u00e3o 3,5 km.",
     "N\u00e3o \u00e9 f\u00e1cil, \u00e9? S\u00e3o 3,5 km.",
     "n\u00e3o \u00e9 f\u00e1cil \u00e9 s\u00e3o 3,5 km"),
]  # fmt: skip


@pytest.mark.parametrize("lang,raw,tc,lcrm", EXAMPLES)
def test_examples(lang, raw, tc, lcrm):
    assert normalize_text(raw, lang) == (tc, tc.lower(), lcrm)


@pytest.mark.parametrize("lang", ["en", "de", "es", "fr", "pt"])
def test_compiled_rules_match_sacremoses(lang):
    sentences = [raw for _, raw, _, _ in EXAMPLES] + [
        "\uff08\uff11\uff09\u3002 \u300a\u5c0f\u738b\u5b50\u300b\uff01",
        "``quoted'' \u00b4\u00b4x\u00b4\u00b4",
        '"Hello," he said. "Yes".  A , B ; C : 50 % (x ) ( y)',
        "1\u00a0000 \u00a0\u00ab\u00a0a\u00a0\u00bb\u00a0 n\u00ba\u00a01",
        "20\u00a0\u00baC 5\u00a0cm 3\u00a0% a\u00a0? b\u00a0!",
    ]
    reference = _moses_normalizer(lang).normalize
    for s in sentences:
        assert _moses(lang)(s) == reference(s), s


def test_whitespace_and_control_characters():
    # Line separators and tabs separate words; zero-width and control characters are dropped.
    raw = "one\u2028two\u0085three\tfour\u200bfive\x07six   seven "
    assert normalize_punct(raw, "en") == "one two three fourfivesix seven"


def test_lower_case_keeps_sharp_s():
    assert normalize_text("STRA\u00dfE", "de")[1] == "stra\u00dfe"


@pytest.mark.parametrize(
    "text,expected",
    [
        ("don't", "don't"),
        ("'quoted'", "quoted"),
        ("a--b", "a b"),
        ("- dash -", "dash"),
        ("twenty-one", "twenty-one"),
        ("x\u2010y", "x-y"),
        ("3.5 and 3. 5", "3.5 and 3 5"),
        ("\u266a la la \u266a", "la la"),
        ("c++ & c#", "c c"),
        ("...", ""),
        ("l\u2019homme", "l'homme"),
    ],
)
def test_remove_punct_rules(text, expected):
    assert remove_punct(text) == expected


def test_normalize_texts_in_processes_matches_serial():
    texts = [f"Sentence {i} \u2014 \u201cquoted\u201d\u2026" for i in range(50)]
    serial = normalize_texts(texts, "en")
    assert serial == [normalize_text(t, "en") for t in texts]
    assert normalize_texts(texts, "en", nj=2, chunk_size=10) == serial
    de = [f"Satz {i} \u2014 \u201eZitat\u201c\u2026" for i in range(25)]
    both = normalize_many([(texts, "en"), (de, "de")], nj=2, chunk_size=7)
    assert both == [serial, [normalize_text(t, "de") for t in de]]
    assert normalize_many([(texts, "en"), ([], "de")]) == [serial, []]
