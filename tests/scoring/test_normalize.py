import pytest

from espnet_ext.corpus.normalize import normalize_text
from espnet_ext.scoring.normalize import strip_punct_lower


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Hello, World!", "hello world"),
        ("Don’t stop: it's fine.", "don't stop it's fine"),
        ("'quoted' \"words\"", "quoted words"),
        ("and/or well-known U.S.", "and or well-known u s"),
        ("¿Qué tal? «Très» bien…", "qué tal très bien"),
        ("5 % of $10 + 3.5", "5 of 10 3.5"),
        ("  many   spaces\there ", "many spaces here"),
        ("", ""),
    ],
)
def test_strip_punct_lower(text, expected):
    assert strip_punct_lower(text) == expected


@pytest.mark.parametrize(
    "text, lang",
    [
        ("L'homme — qui « rit » ? N'est-ce pas.", "fr"),
        ("„Das ist’s“, sagte er – 3,5 % mehr…", "de"),
        ("¡Hola! ¿Qué tal, señor?", "es"),
    ],
)
def test_same_as_data_prep_lc_rm(text, lang):
    """A reference written as text.lc.rm is a fixed point, and tc text maps onto it."""
    tc, _, lc_rm = normalize_text(text, lang)
    assert strip_punct_lower(tc) == lc_rm
    assert strip_punct_lower(lc_rm) == lc_rm
