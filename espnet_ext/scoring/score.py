"""Score a decoded set: Kaldi hyp/ref text files -> ``score.json`` and ``score.txt``.

``score.json`` (all scores in percent)::

    {"metric": "bleu", "hyp": "/abs/hyp", "ref": "/abs/ref", "lang": "de",
     "n_sentences": 1500, "missing_hyps": 0,
     "bleu": 23.1, "chrf": 51.2, "ter": 64.0, "bleu_lc_rm": 22.4,
     "bleu_detail": {"precisions": [...], "bp": 1.0, "sys_len": ..., "ref_len": ...},
     "bleu_lc_rm_preprocess": "lc.rm",
     "signatures": {"bleu": "nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0", ...},
     "by_duration": {...}}                                  # only with an utt2dur file

For ``metric: wer`` the scores are ``wer``, ``cer`` and the counts ``substitutions``,
``deletions``, ``insertions``, ``hits``, ``ref_words``, ``hyp_words``.

``by_duration`` splits the references by utterance duration at the given bucket edges (seconds)
and scores each bucket with the primary metric::

    {"edges": [10.0, 20.0], "metric": "bleu", "buckets": [
        {"label": "<10s", "min_s": 0.0, "max_s": 10.0, "n_sentences": 812, "bleu": 24.0}, ...]}

A bucket holds durations ``min_s <= d < max_s`` (the last has ``max_s: null``); an empty bucket
has a null score.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from espnet_ext.fileio import write_text_atomic
from espnet_ext.scoring.kaldi_text import read_kaldi_text, read_utt2dur
from espnet_ext.scoring.metrics import bleu_only, bleu_scores, wer_scores

logger = logging.getLogger(__name__)

METRICS = ("bleu", "wer")
_SHOW_IDS = 10


def _some(ids: list[str]) -> str:
    more = f" ... (+{len(ids) - _SHOW_IDS} more)" if len(ids) > _SHOW_IDS else ""
    return ", ".join(ids[:_SHOW_IDS]) + more


def align(hyp: dict[str, str], ref: dict[str, str], hyp_path: str = "hyp") -> tuple[list, list]:
    """Pair hypotheses with references in reference order.

    Returns ``(utt_ids, hyps)``: a reference without a hypothesis gets ``""`` (it is scored as an
    empty output, never dropped); a hypothesis id absent from the references is an error naming
    them, since it means hyp and ref come from different sets.
    """
    extra = [k for k in hyp if k not in ref]
    if extra:
        raise ValueError(
            f"{hyp_path}: {len(extra)} hypothesis ids are not in the references: {_some(extra)}"
        )
    utt_ids = list(ref)
    return utt_ids, [hyp.get(k, "") for k in utt_ids]


def parse_buckets(spec: str | list[float]) -> list[float]:
    """``"10,20"`` -> ``[10.0, 20.0]``; edges must be positive and strictly increasing."""
    if isinstance(spec, str):
        try:
            edges = [float(x) for x in spec.split(",") if x.strip()]
        except ValueError:
            raise ValueError(f"bucket edges {spec!r} are not comma-separated seconds") from None
    else:
        edges = [float(x) for x in spec]
    if not edges or edges[0] <= 0 or any(b <= a for a, b in zip(edges, edges[1:])):
        raise ValueError(f"bucket edges must be positive and increasing, got {spec!r}")
    return edges


def _bucket_label(lo: float, hi: float | None) -> str:
    if lo == 0.0:
        return f"<{hi:g}s"
    if hi is None:
        return f">={lo:g}s"
    return f"{lo:g}-{hi:g}s"


def score_by_duration(
    metric: str,
    utt_ids: list[str],
    hyps: list[str],
    refs: list[str],
    utt2dur: dict[str, float],
    edges: list[float],
    lang: str | None = None,
    utt2dur_path: str = "utt2dur",
) -> dict:
    """Primary metric (BLEU or WER) per duration bucket; see the module docstring."""
    missing = [u for u in utt_ids if u not in utt2dur]
    if missing:
        raise ValueError(f"{utt2dur_path}: no duration for {len(missing)} utts: {_some(missing)}")
    bounds = list(zip([0.0, *edges], [*edges, None]))
    buckets = []
    for lo, hi in bounds:
        idx = [
            i
            for i, u in enumerate(utt_ids)
            if utt2dur[u] >= lo and (hi is None or utt2dur[u] < hi)
        ]
        b_hyps, b_refs = [hyps[i] for i in idx], [refs[i] for i in idx]
        value = None
        if metric == "bleu" and idx:
            value = bleu_only(b_hyps, b_refs, lang)
        elif metric == "wer" and any(r.strip() for r in b_refs):
            value = wer_scores(b_hyps, b_refs)["wer"]
        buckets.append(
            {
                "label": _bucket_label(lo, hi),
                "min_s": lo,
                "max_s": hi,
                "n_sentences": len(idx),
                "audio_seconds": sum(utt2dur[utt_ids[i]] for i in idx),
                metric: value,
            }
        )
    return {"edges": edges, "metric": metric, "buckets": buckets}


def score_files(
    metric: str,
    hyp_path: str | os.PathLike,
    ref_path: str | os.PathLike,
    lang: str | None = None,
    utt2dur_path: str | os.PathLike | None = None,
    buckets: str | list[float] = "10,20",
) -> dict:
    """Score a Kaldi hyp file against a Kaldi ref file; returns the ``score.json`` dict."""
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; choose one of {list(METRICS)}")
    hyp_path, ref_path = Path(hyp_path).resolve(), Path(ref_path).resolve()
    ref = read_kaldi_text(ref_path)
    if not ref:
        raise ValueError(f"{ref_path}: no references")
    hyp = read_kaldi_text(hyp_path)
    utt_ids, hyps = align(hyp, ref, str(hyp_path))
    refs = [ref[u] for u in utt_ids]
    missing = [u for u in utt_ids if u not in hyp]
    if missing:
        logger.warning(
            "%s: %d of %d utterances have no hypothesis, scored as empty: %s",
            hyp_path,
            len(missing),
            len(utt_ids),
            _some(missing),
        )
    result: dict = {
        "metric": metric,
        "hyp": str(hyp_path),
        "ref": str(ref_path),
        "lang": lang,
        "n_sentences": len(utt_ids),
        "missing_hyps": len(missing),
    }
    result.update(bleu_scores(hyps, refs, lang) if metric == "bleu" else wer_scores(hyps, refs))
    if utt2dur_path is not None:
        utt2dur_path = Path(utt2dur_path).resolve()
        result["by_duration"] = score_by_duration(
            metric,
            utt_ids,
            hyps,
            refs,
            read_utt2dur(utt2dur_path),
            parse_buckets(buckets),
            lang,
            str(utt2dur_path),
        )
        result["utt2dur"] = str(utt2dur_path)
    return result


def format_summary(result: dict) -> str:
    """The short human-readable ``score.txt``."""
    sig = result["signatures"]
    lines = []
    if result["metric"] == "bleu":
        d = result["bleu_detail"]
        prec = "/".join(f"{p:.1f}" for p in d["precisions"])
        lines += [
            f"BLEU          = {result['bleu']:6.2f}  {sig['bleu']}",
            f"  {prec} (BP = {d['bp']:.3f} hyp_len = {d['sys_len']} ref_len = {d['ref_len']})",
            f"chrF2         = {result['chrf']:6.2f}  {sig['chrf']}",
            f"TER           = {result['ter']:6.2f}  {sig['ter']}",
            f"BLEU (lc.rm)  = {result['bleu_lc_rm']:6.2f}  {sig['bleu_lc_rm']}",
        ]
    else:
        lines += [
            f"WER = {result['wer']:6.2f}  [S {result['substitutions']}, D {result['deletions']},"
            f" I {result['insertions']} / {result['ref_words']} words]  {sig['wer']}",
            f"CER = {result['cer']:6.2f}  {sig['cer']}",
        ]
    if "by_duration" in result:
        m = result["by_duration"]["metric"]
        for b in result["by_duration"]["buckets"]:
            value = "-" if b[m] is None else f"{b[m]:.2f}"
            lines.append(
                f"  {m.upper()} {b['label']:>8}: {value:>6} ({b['n_sentences']} sentences)"
            )
    lines += [
        f"sentences: {result['n_sentences']} (missing hypotheses: {result['missing_hyps']})",
        f"hyp: {result['hyp']}",
        f"ref: {result['ref']}",
    ]
    return "\n".join(lines) + "\n"


def write_score(result: dict, out_dir: str | os.PathLike) -> tuple[Path, Path]:
    """Write ``out_dir/score.json`` and ``out_dir/score.txt`` atomically."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, txt_path = out_dir / "score.json", out_dir / "score.txt"
    write_text_atomic(json_path, json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    write_text_atomic(txt_path, format_summary(result))
    return json_path, txt_path
