"""How2 (300 h): English instructional YouTube videos with crowd-sourced Portuguese translations.

Request it at https://github.com/srvk/how2-dataset. The text part unpacks to::

    how2-300h-v1/data/{train,val,dev5}/
        id             one utterance id per line (``<video_id>_<n>``, e.g. ``-7w8Kh7Q-kQ_3``)
        text.id.en     ``<utt_id> <English transcript>``
        text.id.pt     ``<utt_id> <Portuguese translation>``
        segments       ``<utt_id> <video_id> <start_s> <end_s>``
        utt2spk, spk2utt, text.en, text.pt, feats.scp, cmvn.scp (not read here)

The audio release ships only fbank features, which this toolkit does not use: put one audio file
per video at ``<audio_dir>/<video_id>.wav`` (or ``.flac``).

Output, per split: ``<out_dir>/<split>.en-pt/`` (see :mod:`espnet_ext.corpus.kaldi`) with
recording id = speaker id = video id and utterance id
``<video_id>-<start ms, 7 digits>-<end ms, 7 digits>``, so that utterance and speaker orders agree
(How2's ``<video_id>_<n>`` ids sort ``_10`` before ``_2``). ``utt2orig_id`` maps each utterance
to How2's own id, to compare with How2-keyed references. How2's ``utt2spk`` is not used.

Stops (:class:`~espnet_ext.corpus.kaldi.CorpusError`, naming file and line): a missing file,
non-UTF-8 bytes, a duplicate id, a malformed ``segments`` line, files that do not hold the same
ids as ``id``. Skips: see :mod:`espnet_ext.corpus.segments`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from espnet_ext.corpus.audio_info import END_TOLERANCE_S
from espnet_ext.corpus.kaldi import CorpusError, parse_kaldi_line, read_lines
from espnet_ext.corpus.segments import LONG_SEGMENT_S, RawSegment, prepare_split

HOW2_SPLITS = ("train", "val", "dev5")
PAIR = "en-pt"
AUDIO_EXTENSIONS = (".wav", ".flac")
RELEASE_DIR = "how2-300h-v1"


def parse_segment_line(
    line: str, path: str | os.PathLike, lineno: int
) -> tuple[str, str, float, float]:
    """``(utt_id, video_id, start, end)`` of one ``segments`` line; stop if malformed."""
    fields = line.split()
    try:
        if len(fields) != 4:
            raise ValueError
        return fields[0], fields[1], float(fields[2]), float(fields[3])
    except ValueError:
        raise CorpusError(
            f"{path}: line {lineno}: expected '<utt_id> <video_id> <start> <end>', got {line!r}"
        ) from None


def _read_keyed(path: Path) -> dict[str, tuple[int, str]]:
    """``{utt_id: (line number, value)}`` of a ``<utt_id> <value>`` file; values may be empty."""
    out: dict[str, tuple[int, str]] = {}
    for lineno, line in enumerate(read_lines(path), 1):
        key, value = parse_kaldi_line(line, path, lineno)
        if key in out:
            raise CorpusError(f"{path}: line {lineno}: duplicate id {key!r}")
        out[key] = (lineno, value)
    return out


def release_dir(corpus_dir: str | os.PathLike) -> Path:
    """``<corpus_dir>/how2-300h-v1``; ``corpus_dir`` may also be that dir itself."""
    corpus_dir = Path(corpus_dir)
    for cand in (corpus_dir / RELEASE_DIR, corpus_dir):
        if (cand / "data").is_dir():
            return cand
    raise CorpusError(f"{corpus_dir}: no How2 release (expected {RELEASE_DIR}/data/ in it)")


def find_audio(audio_dir: Path, video_id: str) -> Path:
    """The video's audio file; the ``.wav`` name when none exists (reported as missing)."""
    for ext in AUDIO_EXTENSIONS:
        p = audio_dir / f"{video_id}{ext}"
        if p.exists():
            return p
    return audio_dir / f"{video_id}{AUDIO_EXTENSIONS[0]}"


def read_split(split_dir: Path, audio_dir: Path) -> tuple[list[RawSegment], dict[str, Path]]:
    """Parse one split into raw segments (in ``id`` order) and ``{video_id: audio path}``."""
    names = ("id", "text.id.en", "text.id.pt", "segments")
    for name in names:
        if not (split_dir / name).is_file():
            raise CorpusError(f"{split_dir / name}: missing")
    ids: dict[str, int] = {}
    for lineno, line in enumerate(read_lines(split_dir / "id"), 1):
        utt = line.strip()
        if not utt or any(c.isspace() for c in utt):
            raise CorpusError(f"{split_dir / 'id'}: line {lineno}: expected one id, got {line!r}")
        if utt in ids:
            raise CorpusError(f"{split_dir / 'id'}: line {lineno}: duplicate id {utt!r}")
        ids[utt] = lineno
    en, pt = _read_keyed(split_dir / "text.id.en"), _read_keyed(split_dir / "text.id.pt")
    seg_path = split_dir / "segments"
    segs: dict[str, tuple[int, str, float, float]] = {}
    for lineno, line in enumerate(read_lines(seg_path), 1):
        utt, video, start, end = parse_segment_line(line, seg_path, lineno)
        if utt in segs:
            raise CorpusError(f"{seg_path}: line {lineno}: duplicate id {utt!r}")
        segs[utt] = (lineno, video, start, end)

    counts = {name: len(d) for name, d in zip(names, (ids, en, pt, segs))}
    for name, d in zip(names[1:], (en, pt, segs)):
        missing = [u for u in ids if u not in d]
        extra = [u for u in d if u not in ids]
        if missing or extra:
            what = f"lacks {missing[0]!r} of id" if missing else f"has {extra[0]!r}, not in id"
            raise CorpusError(
                f"{split_dir / name} {what} ({len(missing)} missing, {len(extra)} extra); "
                f"entries per file {counts}: the files must hold the same ids"
            )

    segments, recordings = [], {}
    for utt in ids:
        lineno, video, start, end = segs[utt]
        recordings.setdefault(video, find_audio(audio_dir, video))
        texts = (en[utt][1], pt[utt][1])
        segments.append(
            RawSegment(str(seg_path), lineno, video, start, end - start, texts, orig_id=utt)
        )
    return segments, recordings


def prepare_how2_split(
    corpus_dir: str | os.PathLike,
    audio_dir: str | os.PathLike,
    out_dir: str | os.PathLike,
    split: str,
    *,
    nj: int = 1,
    force: bool = False,
    tolerance: float = END_TOLERANCE_S,
    long_segment_s: float = LONG_SEGMENT_S,
) -> dict:
    """Prepare ``<out_dir>/<split>.en-pt``; return its report (see :mod:`.report`)."""
    split_dir = release_dir(corpus_dir) / "data" / split
    if not split_dir.is_dir():
        raise CorpusError(f"{split_dir}: missing (no split {split!r})")
    audio_dir = Path(audio_dir)
    if not audio_dir.is_dir():
        raise CorpusError(f"{audio_dir}: audio dir missing (one <video_id>.wav per video)")
    inputs = [split_dir / n for n in ("id", "text.id.en", "text.id.pt", "segments")]
    inputs += sorted(e.path for e in os.scandir(audio_dir))
    return prepare_split(
        Path(out_dir) / f"{split}.{PAIR}",
        inputs,
        lambda: read_split(split_dir, audio_dir),
        ("en", "pt"),
        corpus="how2",
        source=f"{split_dir} with audio from {audio_dir}",
        nj=nj,
        force=force,
        tolerance=tolerance,
        long_segment_s=long_segment_s,
    )


def prepare_how2(
    corpus_dir: str | os.PathLike,
    audio_dir: str | os.PathLike,
    out_dir: str | os.PathLike,
    splits: Sequence[str] = HOW2_SPLITS,
    nj: int = 1,
    *,
    force: bool = False,
    tolerance: float = END_TOLERANCE_S,
    long_segment_s: float = LONG_SEGMENT_S,
) -> dict[str, dict]:
    """Prepare How2 en-pt splits: ``{split: report}``.

    Args:
        corpus_dir: the dir holding ``how2-300h-v1/`` (``$HOW2`` in ``db.sh``), or that dir.
        audio_dir: one ``<video_id>.wav`` / ``.flac`` per video (``$HOW2_AUDIO``).
        out_dir: where ``<split>.en-pt/`` dirs go (``data/``).
        splits, nj, force, tolerance, long_segment_s: as in
            :func:`espnet_ext.corpus.mustc.prepare_mustc`.
    """
    if isinstance(splits, str):
        splits = [s for s in splits.split(",") if s]
    return {
        split: prepare_how2_split(
            corpus_dir,
            audio_dir,
            out_dir,
            split,
            nj=nj,
            force=force,
            tolerance=tolerance,
            long_segment_s=long_segment_s,
        )
        for split in splits
    }
