"""Build the mini corpus: plan, speak, write the release layouts, then ``corpus.json``.

``DIR/corpus.json`` is written last and marks a complete corpus; running again with the same
arguments is a logged no-op, other arguments on the same directory are an error. An
interrupted run resumes: each finished talk wav has a sidecar in ``DIR/.work`` with its
segment times, and only the missing talks are spoken again.

MuST-C talks are the same English audio for every pair (the translations differ), so the wav
is written once and hard-linked into the other pairs' directories.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path

import numpy as np
from tqdm import tqdm

from espnet_ext.corpus.mini import layout
from espnet_ext.corpus.mini.plan import (
    HOW2_SPLITS,
    MUSTC_SPLITS,
    SIZES,
    Plan,
    SizeSpec,
    Talk,
    make_plan,
)
from espnet_ext.corpus.mini.realise import realise
from espnet_ext.corpus.mini.speech import FRAME, add_noise, check_espeak, synthesize, write_wav
from espnet_ext.fileio import write_text_atomic

logger = logging.getLogger(__name__)

GENERATOR_VERSION = "1"
PAIRS = ("en-de", "en-es", "en-fr", "en-pt")


class CorpusDirError(RuntimeError):
    """The output directory holds something other than the requested corpus."""


def parse_pairs(pairs: str | list[str]) -> list[str]:
    items = pairs.split(",") if isinstance(pairs, str) else list(pairs)
    out = sorted({p.strip() for p in items if p.strip()})
    bad = [p for p in out if p not in PAIRS]
    if bad or not out:
        raise ValueError(f"unknown language pair(s) {bad or pairs!r}; choose from {PAIRS}")
    return out


def make_mini_corpus(
    out_dir: str | os.PathLike,
    size: str = "tiny",
    pairs: str | list[str] = PAIRS,
    seed: int = 0,
    nj: int | None = None,
    spec: SizeSpec | None = None,
) -> dict:
    """Generate the corpus in ``out_dir`` and return the content of ``corpus.json``.

    ``size``: ``tiny`` or ``mini`` (see :data:`~.plan.SIZES`); ``spec`` overrides the counts
    (tests use smaller ones). ``nj``: parallel espeak-ng processes (default: CPU count).
    """
    out = Path(out_dir)
    pairs = parse_pairs(pairs)
    if nj is not None and nj < 1:
        raise ValueError(f"nj must be at least 1, got {nj}")
    if spec is None:
        if size not in SIZES:
            raise ValueError(f"unknown size {size!r}; choose one of {sorted(SIZES)}")
        spec = SIZES[size]
    args = {
        "seed": seed,
        "size": size,
        "pairs": pairs,
        "spec": asdict(spec),
        "version": GENERATOR_VERSION,
    }
    done = _check_out_dir(out, args)
    if done is not None:
        logger.info("%s already holds this mini corpus (corpus.json); nothing to do", out)
        return done
    check_espeak()
    work = out / ".work"
    write_text_atomic(work / "args.json", json.dumps(args, indent=1, sort_keys=True) + "\n")

    logger.info("planning sentences and talks (seed %d, size %s)", seed, size)
    plan = make_plan(seed, spec)
    tgts = [p.split("-")[1] for p in pairs]
    how2 = "en-pt" in pairs
    segments = _speak_all(out, plan, pairs, how2, nj or os.cpu_count() or 1)

    logger.info("writing text files")
    vocab: dict[str, set[str]] = {}
    translations = _translations(plan, tgts, how2, vocab)
    for pair, tgt in zip(pairs, tgts):
        for split in MUSTC_SPLITS:
            split_dir = out / "mustc" / pair / "data" / split
            layout.write_mustc_split(
                split_dir, split, tgt, plan.mustc[split], segments, translations[tgt]
            )
        text_dir = out / "text" / pair
        layout.write_text_corpus(
            text_dir,
            tgt,
            [en for en, _ in plan.text],
            [translations[tgt][en] for en, _ in plan.text],
        )
    if how2:
        for split in HOW2_SPLITS:
            split_dir = out / "how2" / "how2-300h-v1" / "data" / split
            layout.write_how2_split(split_dir, plan.how2[split], segments, translations["pt"])

    info = _summary(args, plan, segments, how2, pairs, vocab)
    write_text_atomic(out / "corpus.json", json.dumps(info, indent=1, sort_keys=True) + "\n")
    shutil.rmtree(work, ignore_errors=True)
    logger.info("mini corpus complete: %s", out / "corpus.json")
    return info


def _check_out_dir(out: Path, args: dict) -> dict | None:
    """The existing corpus.json if ``out`` is complete with these ``args``; raise if ``out``
    holds anything else; None when there is work to do."""
    done = out / "corpus.json"
    if done.exists():
        info = json.loads(done.read_text(encoding="utf-8"))
        have = {k: info.get(k) for k in args}
        if have != args:
            raise CorpusDirError(
                f"{out} already holds a mini corpus made with {_describe(have)}; "
                f"requested {_describe(args)}. Use another --out or remove {out}."
            )
        shutil.rmtree(out / ".work", ignore_errors=True)
        return info
    started = out / ".work" / "args.json"
    if started.exists():
        have = json.loads(started.read_text(encoding="utf-8"))
        if have != args:
            raise CorpusDirError(
                f"{out} holds an unfinished mini corpus started with {_describe(have)}; "
                f"requested {_describe(args)}. Re-run with those arguments to finish it, "
                f"or remove {out}."
            )
        logger.info("resuming the unfinished corpus in %s", out)
        return None
    if out.exists() and not out.is_dir():
        raise CorpusDirError(f"{out} exists and is not a directory")
    if out.exists() and any(out.iterdir()):
        raise CorpusDirError(f"{out} is not empty and holds no mini corpus; choose a new --out")
    return None


def _describe(args: dict) -> str:
    return (
        f"seed={args.get('seed')}, size={args.get('size')}, "
        f"pairs={','.join(args.get('pairs') or [])}, version={args.get('version')}"
    )


# ---------------------------------------------------------------------------- audio
def _speak_all(out: Path, plan: Plan, pairs: list[str], how2: bool, nj: int) -> dict:
    """Speak every talk not yet done; return {talk name: [(start, length) in frames]}."""
    jobs = []  # (talk, wav path, sidecar, hard-link copies)
    for split in MUSTC_SPLITS:
        for talk in plan.mustc[split]:
            wavs = [out / "mustc" / p / "data" / split / "wav" / f"{talk.name}.wav" for p in pairs]
            jobs.append((talk, wavs[0], out / ".work" / "mustc" / f"{talk.name}.json", wavs[1:]))
    if how2:
        for split in HOW2_SPLITS:
            for talk in plan.how2[split]:
                wav = out / "how2" / "audio" / f"{talk.name}.wav"
                jobs.append((talk, wav, out / ".work" / "how2" / f"{talk.name}.json", []))
    segments = {}
    todo = sum(len(t.utterances) for t, w, s, _ in jobs if not (w.exists() and s.exists()))
    logger.info("speaking %d utterances with espeak-ng (%d jobs)", todo, nj)
    with ThreadPoolExecutor(nj) as pool, tqdm(total=todo, unit="utt", desc="speech") as bar:
        for talk, wav, sidecar, copies in jobs:
            if wav.exists() and sidecar.exists():
                segments[talk.name] = [tuple(x) for x in json.loads(sidecar.read_text())]
            else:
                segments[talk.name] = _speak_talk(talk, wav, pool)
                write_text_atomic(sidecar, json.dumps(segments[talk.name]) + "\n")
                bar.update(len(talk.utterances))
            for copy in copies:
                _link_or_copy(wav, copy)
    return segments


def _speak_talk(talk: Talk, wav: Path, pool: ThreadPoolExecutor) -> list[tuple[int, int]]:
    """Synthesize, join with pauses, add noise, write ``wav``; return segment frames."""
    chunks = list(pool.map(lambda u: synthesize(u.en, u.voice), talk.utterances))
    parts, segs, pos = [], [], 0
    for pause, x in zip(talk.pauses, chunks):
        pos += pause
        segs.append((pos, len(x) // FRAME))
        parts += [np.zeros(pause * FRAME, np.float32), x * talk.gain]
        pos += len(x) // FRAME
    parts.append(np.zeros(talk.pauses[-1] * FRAME, np.float32))
    audio = np.concatenate(parts)
    if talk.noise:
        kind, snr = talk.noise
        audio = add_noise(audio, kind, snr, np.random.default_rng(talk.noise_seed))
    write_wav(wav, audio)
    return segs


def _link_or_copy(src: Path, dst: Path) -> None:
    if dst.exists() and os.path.samefile(src, dst):
        return
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".{dst.name}.tmp")
    try:
        os.link(src, tmp)
    except OSError:  # no hard links here (another file system): copy
        shutil.copyfile(src, tmp)
    os.replace(tmp, dst)


# ---------------------------------------------------------------------------- text
def _translations(plan: Plan, tgts: list[str], how2: bool, vocab: dict) -> dict:
    """{lang: {English sentence: translation}} for what will be written; fills ``vocab``."""
    frames = [
        (u.en, u.frame) for talks in plan.mustc.values() for t in talks for u in t.utterances
    ]
    frames += plan.text
    how2_frames = [(u.en, u.frame) for ts in plan.how2.values() for t in ts for u in t.utterances]
    out: dict[str, dict[str, str]] = {}
    for lang in tgts:
        todo = frames + (how2_frames if lang == "pt" and how2 else [])
        out[lang] = {en: realise(frame, lang) for en, frame in todo}
        vocab[lang] = _words(out[lang].values())
    english = [en for en, _ in frames] + ([en for en, _ in how2_frames] if how2 else [])
    vocab["en"] = _words(english)
    return out


def _words(sentences) -> set[str]:
    return {w for s in sentences for w in re.findall(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", s.lower())}


def _summary(args: dict, plan: Plan, segments: dict, how2: bool, pairs, vocab) -> dict:
    def stats(talks: list[Talk]) -> dict:
        secs = [n / 100 for t in talks for _, n in segments[t.name]]
        return {
            "talks": len(talks),
            "utterances": len(secs),
            "hours": round(sum(secs) / 3600, 4),
            "min_seconds": min(secs),
            "max_seconds": max(secs),
            "over_20s": sum(s > 20 for s in secs),
            "noisy_talks": sum(t.noise is not None for t in talks),
        }

    info = dict(args)
    info["generator"] = "espnet_ext.corpus.mini"
    info["mustc"] = {split: stats(plan.mustc[split]) for split in MUSTC_SPLITS}
    if how2:
        info["how2"] = {split: stats(plan.how2[split]) for split in HOW2_SPLITS}
    info["text"] = {pair: {"lines": len(plan.text)} for pair in pairs}
    info["vocabulary"] = {lang: len(words) for lang, words in sorted(vocab.items())}
    return info
