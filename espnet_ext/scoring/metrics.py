"""Corpus-level metrics on aligned string lists: sacreBLEU (BLEU, chrF, TER), jiwer (WER, CER).

Every function takes ``hyps`` and ``refs`` of equal length (one reference per sentence) and returns
a JSON-ready dict. Scores are percentages (0-100), as sacreBLEU prints them; WER and CER too.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.metadata import version

from espnet_ext.scoring.normalize import strip_punct_lower

LC_RM = "lc.rm"  # the preprocessing named in score.json signatures


def _check_lengths(hyps: Sequence[str], refs: Sequence[str]) -> None:
    if len(hyps) != len(refs):
        raise ValueError(f"{len(hyps)} hypotheses but {len(refs)} references")
    if not refs:
        raise ValueError("nothing to score: no references")


def bleu_scores(hyps: Sequence[str], refs: Sequence[str], lang: str | None = None) -> dict:
    """BLEU, chrF and TER on the text as given, plus BLEU after ``lc.rm`` on both sides.

    BLEU is case-sensitive with sacreBLEU's default tokenizer for ``lang`` (``13a``, or ``zh``,
    ``ja-mecab``, ``ko-mecab`` for those targets), on detokenised text. ``bleu_lc_rm`` lower-cases
    and strips punctuation with :func:`strip_punct_lower` first; its signature says ``case:lc``.
    chrF and TER use sacreBLEU's defaults (chrF2 with character 6-grams; TER case-insensitive).
    """
    from sacrebleu.metrics import BLEU, CHRF, TER

    _check_lengths(hyps, refs)
    hyps, refs = list(hyps), list(refs)
    bleu = BLEU(trg_lang=lang or "")
    b = bleu.corpus_score(hyps, [refs])
    chrf = CHRF()
    c = chrf.corpus_score(hyps, [refs])
    ter = TER(asian_support=lang in ("zh", "ja", "ko"))
    t = ter.corpus_score(hyps, [refs])
    bleu_lc = BLEU(trg_lang=lang or "", lowercase=True)
    b_lc = bleu_lc.corpus_score(
        [strip_punct_lower(h) for h in hyps], [[strip_punct_lower(r) for r in refs]]
    )
    return {
        "bleu": b.score,
        "chrf": c.score,
        "ter": t.score,
        "bleu_lc_rm": b_lc.score,
        "bleu_detail": {
            "precisions": list(b.precisions),
            "bp": b.bp,
            "sys_len": b.sys_len,
            "ref_len": b.ref_len,
        },
        "bleu_lc_rm_preprocess": LC_RM,
        "signatures": {
            "bleu": str(bleu.get_signature()),
            "chrf": str(chrf.get_signature()),
            "ter": str(ter.get_signature()),
            "bleu_lc_rm": f"{bleu_lc.get_signature()}|pre:{LC_RM}",
        },
    }


def bleu_only(hyps: Sequence[str], refs: Sequence[str], lang: str | None = None) -> float:
    """Case-sensitive corpus BLEU, the same settings as ``bleu_scores(...)["bleu"]``."""
    from sacrebleu.metrics import BLEU

    _check_lengths(hyps, refs)
    return BLEU(trg_lang=lang or "").corpus_score(list(hyps), [list(refs)]).score


def wer_scores(hyps: Sequence[str], refs: Sequence[str]) -> dict:
    """WER and CER (percent) with jiwer after :func:`strip_punct_lower` on both sides.

    Counts are corpus totals: ``wer = 100 * (S + D + I) / ref_words``. CER counts characters
    including the spaces between words. An all-empty reference side has no defined WER and is an
    error.
    """
    import jiwer

    _check_lengths(hyps, refs)
    hyps = [strip_punct_lower(h) for h in hyps]
    refs = [strip_punct_lower(r) for r in refs]
    if not any(refs):
        raise ValueError(f"all {len(refs)} references are empty after {LC_RM}; WER is undefined")
    w = jiwer.process_words(refs, hyps)
    ref_words = w.substitutions + w.deletions + w.hits
    ch = jiwer.process_characters(refs, hyps)
    ref_chars = ch.substitutions + ch.deletions + ch.hits
    jiwer_version = version("jiwer")
    return {
        "wer": 100.0 * (w.substitutions + w.deletions + w.insertions) / ref_words,
        "cer": 100.0 * (ch.substitutions + ch.deletions + ch.insertions) / ref_chars,
        "substitutions": w.substitutions,
        "deletions": w.deletions,
        "insertions": w.insertions,
        "hits": w.hits,
        "ref_words": ref_words,
        "hyp_words": w.substitutions + w.insertions + w.hits,
        "char_counts": {
            "substitutions": ch.substitutions,
            "deletions": ch.deletions,
            "insertions": ch.insertions,
            "ref_chars": ref_chars,
        },
        "signatures": {
            "wer": f"jiwer:{jiwer_version}|unit:word|pre:{LC_RM}",
            "cer": f"jiwer:{jiwer_version}|unit:char|pre:{LC_RM}",
        },
    }


def wer_only(hyps: Sequence[str], refs: Sequence[str]) -> float:
    return wer_scores(hyps, refs)["wer"]
