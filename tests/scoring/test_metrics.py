import pytest
import sacrebleu

from espnet_ext.scoring.metrics import bleu_scores, wer_scores
from espnet_ext.scoring.normalize import strip_punct_lower

HYPS = [
    "The cat sat on the mat.",
    "There is a dog in the garden today",
    "I like green apples, but not pears.",
]
REFS = [
    "The cat is sitting on the mat.",
    "A dog is in the garden today.",
    "I like green apples but not pears.",
]


def test_identical_is_perfect():
    s = bleu_scores(REFS, REFS, "de")
    assert s["bleu"] == pytest.approx(100.0)
    assert s["bleu_lc_rm"] == pytest.approx(100.0)
    assert s["chrf"] == pytest.approx(100.0)
    assert s["ter"] == pytest.approx(0.0)


def test_equals_sacrebleu_direct_calls():
    s = bleu_scores(HYPS, REFS, "de")
    assert 0.0 < s["bleu"] < 100.0
    assert s["bleu"] == pytest.approx(sacrebleu.corpus_bleu(HYPS, [REFS]).score)
    assert s["chrf"] == pytest.approx(sacrebleu.corpus_chrf(HYPS, [REFS]).score)
    assert s["ter"] == pytest.approx(sacrebleu.corpus_ter(HYPS, [REFS]).score)
    lc = sacrebleu.corpus_bleu(
        [strip_punct_lower(h) for h in HYPS], [[strip_punct_lower(r) for r in REFS]]
    )
    assert s["bleu_lc_rm"] == pytest.approx(lc.score)
    b = sacrebleu.corpus_bleu(HYPS, [REFS])
    assert s["bleu_detail"]["precisions"] == pytest.approx(b.precisions)
    assert (s["bleu_detail"]["sys_len"], s["bleu_detail"]["ref_len"]) == (b.sys_len, b.ref_len)


def test_signatures():
    sig = bleu_scores(HYPS, REFS, "de")["signatures"]
    assert (
        sig["bleu"]
        == f"nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:{sacrebleu.__version__}"
    )
    assert "case:lc" in sig["bleu_lc_rm"] and sig["bleu_lc_rm"].endswith("pre:lc.rm")
    assert sig["chrf"].startswith("nrefs:1|case:mixed|eff:yes|nc:6|nw:0")
    assert sig["ter"].startswith("nrefs:1|case:lc|tok:tercom")


def test_case_only_difference():
    hyps = ["the cat is on the mat", "we went home early"]
    refs = ["The Cat is on the Mat.", "We went home early!"]
    s = bleu_scores(hyps, refs)
    assert s["bleu"] < 100.0
    assert s["bleu_lc_rm"] == pytest.approx(100.0)


def test_wer_exact_counts():
    # "sat"->"sit" (S), "the" dropped (D), "big" added (I): 3 errors / 8 reference words.
    refs = ["The cat sat on the mat.", "Hello, world!"]
    hyps = ["the cat sit on mat", "hello big world"]
    s = wer_scores(hyps, refs)
    assert (s["substitutions"], s["deletions"], s["insertions"]) == (1, 1, 1)
    assert (s["hits"], s["ref_words"], s["hyp_words"]) == (6, 8, 8)
    assert s["wer"] == pytest.approx(37.5)
    assert s["signatures"]["wer"].startswith("jiwer:")


def test_cer_exact():
    s = wer_scores(["ab d"], ["AB c"])
    assert s["cer"] == pytest.approx(25.0)
    assert s["char_counts"] == {
        "substitutions": 1,
        "deletions": 0,
        "insertions": 0,
        "ref_chars": 4,
    }


def test_wer_empty_hyp_and_errors():
    s = wer_scores(["", "a b"], ["x y", "a b"])
    assert s["deletions"] == 2 and s["wer"] == pytest.approx(50.0)
    with pytest.raises(ValueError, match="all 1 references are empty"):
        wer_scores(["a"], ["..."])
    with pytest.raises(ValueError, match="2 hypotheses but 1 references"):
        bleu_scores(["a", "b"], ["a"])
