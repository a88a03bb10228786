"""Multi-task training data: ST examples (units -> target) and MT examples (up-sampled source text
-> target) in one data dir, optionally with external text-only parallel data.

Output data dir (read by the discrete task as an MT-style corpus)::

    src                       <id> <joint-vocabulary pieces, space separated>
    src_transcript            <id> <the source text's joint-vocabulary pieces, not repeated K
                              times> (every kind; the source CTC of a hierarchical encoder)
    text.<tgt_case>.<tgt>     <id> <target text>
    text.<src_case>.<src>     <id> <source text> (reference; not read by training)
    utt2kind                  <id> st | mt | ext
    data_report.json          examples per kind, skipped entries by reason

Ids: ``st-<utt>`` (units of utterance ``utt``), ``mt-<utt>`` (its transcript), ``ext-<line>``
(line number in the external files, 1-based, zero-padded; ``ext-<line>-<copy>`` when the
external corpus is used more than once).

External MT data: two line-aligned plain-text files ``<dir>/train.<src>`` and
``<dir>/train.<tgt>`` (one sentence per line, raw text; the mini corpus writes
``text/en-XX/train.{en,XX}``). Both sides are normalised with the data preparation's
normaliser and the recipe's text forms (``src_case``/``tgt_case``). ``ext_ratio`` sets how many
external pairs are drawn per ST example (seeded; without replacement while the corpus lasts).
"""

from __future__ import annotations

import json
import logging
import random
from collections import Counter
from pathlib import Path

from tqdm import tqdm

from espnet_ext.discrete.vocab import JointVocab
from espnet_ext.fileio import write_text_atomic
from espnet_ext.pipeline.datadir import read_map, write_map

log = logging.getLogger(__name__)

KINDS = ("st", "mt")
CASE_INDEX = {"tc": 0, "lc": 1, "lc.rm": 2}


def read_external(
    ext_dir: str | Path,
    src_lang: str,
    tgt_lang: str,
    src_case: str,
    tgt_case: str,
    prefix: str = "train",
) -> tuple[list[tuple[int, str, str]], Counter]:
    """``[(line number, source, target)]`` of the external files, normalised; empty pairs skipped."""
    from espnet_ext.corpus.normalize import normalize_text

    ext_dir = Path(ext_dir)
    src_path, tgt_path = ext_dir / f"{prefix}.{src_lang}", ext_dir / f"{prefix}.{tgt_lang}"
    for case in (src_case, tgt_case):
        if case not in CASE_INDEX:
            raise ValueError(f"unknown text form {case!r}; choose one of {sorted(CASE_INDEX)}")
    src_lines = src_path.read_text(encoding="utf-8").splitlines()
    tgt_lines = tgt_path.read_text(encoding="utf-8").splitlines()
    if len(src_lines) != len(tgt_lines):
        raise ValueError(
            f"{src_path} has {len(src_lines)} lines but {tgt_path} has {len(tgt_lines)}; "
            "external MT files must be line aligned"
        )
    pairs, skipped = [], Counter()
    for n, (s, t) in enumerate(
        tqdm(list(zip(src_lines, tgt_lines)), desc="external MT", mininterval=10, disable=None), 1
    ):
        s = normalize_text(s, src_lang)[CASE_INDEX[src_case]]
        t = normalize_text(t, tgt_lang)[CASE_INDEX[tgt_case]]
        if not s or not t:
            skipped["ext_empty"] += 1
            continue
        pairs.append((n, s, t))
    if skipped:
        log.warning("%s: skipped %d empty pairs", ext_dir, skipped["ext_empty"])
    return pairs, skipped


def sample_external(pairs: list, n: int, seed: int = 0) -> list[tuple[str, str, str]]:
    """``n`` pairs as ``(id, source, target)``: whole passes over the shuffled corpus, then a
    random remainder, so no pair is used k+1 times before every pair is used k times."""
    if n <= 0 or not pairs:
        return []
    rng = random.Random(seed)
    width = max(6, len(str(max(p[0] for p in pairs))))
    out, copy = [], 0
    while len(out) < n:
        order = list(pairs)
        rng.shuffle(order)
        for line, s, t in order[: n - len(out)]:
            suffix = f"-{copy}" if copy else ""
            out.append((f"ext-{line:0{width}d}{suffix}", s, t))
        copy += 1
    return out


def make_data(
    data_dir: str | Path,
    joint_dir: str | Path,
    out_dir: str | Path,
    units: str | Path | None,
    kinds: tuple[str, ...] = KINDS,
    src_text: str = "text.lc.rm.en",
    tgt_text: str = "text.tc.de",
    ext_dir: str | Path | None = None,
    ext_ratio: float = 0.0,
    seed: int = 0,
) -> dict:
    """Write the multi-task data dir ``out_dir`` for the utterances of ``data_dir``.

    ``kinds``: which examples each utterance gives (``st``: its units, needs ``units``;
    ``mt``: its up-sampled transcript). ``ext_dir``/``ext_ratio``: external MT pairs added.
    """
    data_dir, out_dir = Path(data_dir), Path(out_dir)
    unknown = set(kinds) - set(KINDS)
    if unknown or not kinds:
        raise ValueError(f"kinds must be a non-empty subset of {KINDS}, got {kinds}")
    vocab = JointVocab(joint_dir)
    src_lang, tgt_lang = src_text.rsplit(".", 1)[1], tgt_text.rsplit(".", 1)[1]
    src_case = src_text[len("text.") :].rsplit(".", 1)[0]
    tgt_case = tgt_text[len("text.") :].rsplit(".", 1)[0]
    targets = read_map(data_dir / tgt_text)
    sources = read_map(data_dir / src_text)
    unit_map = read_map(units) if "st" in kinds else {}
    if "st" in kinds and units is None:
        raise ValueError("ST examples need a units file")
    src, tgt, ref, kind_of = {}, {}, {}, {}
    skipped: Counter = Counter()
    for utt in tqdm(
        sorted(targets), desc=f"examples {data_dir.name}", mininterval=10, disable=None
    ):
        target = targets[utt].strip()
        if not target:
            skipped["empty_target"] += 1
            continue
        if "st" in kinds:
            if utt not in unit_map:
                skipped["no_units"] += 1
            else:
                ids = [int(x) for x in unit_map[utt].split()]
                _add(
                    src,
                    tgt,
                    ref,
                    kind_of,
                    f"st-{utt}",
                    "st",
                    vocab.encode_units(ids),
                    target,
                    sources.get(utt, ""),
                )
        if "mt" in kinds:
            text = sources.get(utt, "").strip()
            if not text:
                skipped["empty_source"] += 1
            else:
                _add(
                    src,
                    tgt,
                    ref,
                    kind_of,
                    f"mt-{utt}",
                    "mt",
                    vocab.encode_text(text),
                    target,
                    text,
                )
    n_st = sum(1 for k in kind_of.values() if k == "st")
    if ext_dir is not None and ext_ratio > 0:
        pairs, ext_skipped = read_external(ext_dir, src_lang, tgt_lang, src_case, tgt_case)
        skipped.update(ext_skipped)
        for key, s, t in sample_external(pairs, round(ext_ratio * max(n_st, 1)), seed):
            _add(src, tgt, ref, kind_of, key, "ext", vocab.encode_text(s), t, s)
    if not src:
        raise ValueError(f"{data_dir}: no example made (skipped: {dict(skipped)})")
    # every example's source text as joint-vocabulary pieces, not up-sampled (the path of the mt-
    # inputs with K = 1); encoded once per text, an utterance's st- and mt- examples share it
    transcript, transcript_of = {}, {}
    for key, source in ref.items():
        if source not in transcript_of:
            transcript_of[source] = " ".join(vocab.encode_text(source, upsample_text=False))
        transcript[key] = transcript_of[source]
    write_map(out_dir / "src", src)
    write_map(out_dir / "src_transcript", transcript)
    write_map(out_dir / tgt_text, tgt)
    write_map(out_dir / src_text, ref)
    write_map(out_dir / "utt2kind", kind_of)
    counts = Counter(kind_of.values())
    report = {
        "examples": dict(sorted(counts.items())),
        "skipped": dict(skipped),
        "kinds": list(kinds),
        "ext_ratio": ext_ratio if ext_dir else 0.0,
        "text_repeat": vocab.text_repeat,
        "src_tokens": {
            k: sum(len(src[u].split()) for u in src if kind_of[u] == k) for k in counts
        },
    }
    write_text_atomic(out_dir / "data_report.json", json.dumps(report, indent=1) + "\n")
    if skipped:
        log.warning("%s: skipped %s", out_dir, dict(skipped))
    log.info("%s: %s", out_dir, dict(counts))
    return report


def _add(src, tgt, ref, kind_of, key, kind, pieces, target, source) -> None:
    src[key] = " ".join(pieces)
    tgt[key] = target
    ref[key] = source
    kind_of[key] = kind
