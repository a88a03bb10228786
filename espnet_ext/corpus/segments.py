"""From a corpus' segment list to a validated data dir: the part MuST-C and How2 share.

A corpus reader turns its release into :class:`RawSegment` records (and stops on input it cannot
trust); :func:`build_data_dir` applies the skip policy below, normalises the texts and builds the
:class:`~espnet_ext.corpus.kaldi.DataDir`; :func:`write_prepared_dir` writes it next to its report,
validates it and moves it into place. Skip reasons, checked in this order for each segment:

- ``missing_wav`` / ``unreadable_wav`` / ``empty_wav``: the recording's audio file is absent, its
  header cannot be read, or it holds no samples (every segment of that recording is skipped);
- ``bad_offset``: offset < 0, duration <= 0 (or so short that start and end round to the same
  millisecond), or either not a finite number;
- ``segment_past_end``: the segment ends more than ``tolerance`` seconds after the audio does;
- ``empty_text``: a text is empty after stripping, or one of its normalised forms is empty (a
  line holding only punctuation has an empty ``lc.rm`` form);
- ``duplicate_segment``: same recording, start and end (in ms) as an earlier kept segment: the
  first one is kept. Segments that differ by less than 0.5 ms get the same id and count as
  duplicates too.

Kept but noted in the report: ``multichannel_wav`` and ``non_16k_wav`` (once per recording; the
dump stage downmixes and resamples) and ``long_segment`` (longer than ``long_segment_s``; length
filtering belongs to the pipeline's stage 4).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from espnet_ext.corpus.audio_info import (
    END_TOLERANCE_S,
    EXPECTED_SAMPLE_RATE,
    AudioInfo,
    AudioReadError,
    read_audio_infos,
)
from espnet_ext.corpus.kaldi import CorpusError, DataDir, Segment, validate_data_dir
from espnet_ext.corpus.normalize import TEXT_FORMS, normalize_many
from espnet_ext.corpus.report import SkipReport
from espnet_ext.fileio import write_text_atomic

# Segments longer than this are kept but noted (MuST-C's longest real segments are under a minute).
LONG_SEGMENT_S = 60.0
# Bump when the output of preparation changes for the same input, so re-runs redo the work.
FORMAT_VERSION = 1
DONE_FILE = ".done"


@dataclass(frozen=True)
class RawSegment:
    """One corpus entry before checks: where it came from, where its audio is, its raw texts."""

    file: str  # the file that defines the entry (named in reports)
    index: int  # 1-based entry number in ``file``
    rec_id: str  # recording (talk / video) id, also the speaker id
    offset: float  # seconds
    duration: float  # seconds
    texts: tuple[str, ...]  # raw text per language, in the order of ``langs``
    orig_id: str | None = None  # the corpus' own utterance id, when it has one


def make_utt_id(rec_id: str, start_ms: int, end_ms: int) -> str:
    return f"{rec_id}-{start_ms:07d}-{end_ms:07d}"


def build_data_dir(
    segments: Sequence[RawSegment],
    recordings: Mapping[str, str | os.PathLike],
    langs: Sequence[str],
    report: SkipReport,
    *,
    nj: int = 1,
    tolerance: float = END_TOLERANCE_S,
    long_segment_s: float = LONG_SEGMENT_S,
) -> tuple[DataDir, dict[str, float]]:
    """Apply the skip policy of the module docstring and build the data dir.

    Args:
        segments: corpus entries in corpus order (the first of duplicates is kept).
        recordings: ``{rec_id: audio path}`` for every ``rec_id`` used by ``segments``.
        langs: languages of ``RawSegment.texts`` (source first), e.g. ``("en", "de")``.
    Returns:
        The data dir and ``{rec_id: duration_s}`` of its recordings (for validation).
    """
    report.add_input(len(segments))
    used = sorted({s.rec_id for s in segments})
    logging.info("%s: reading %d audio headers", report.name, len(used))
    paths = {r: os.path.abspath(recordings[r]) for r in used}
    by_path = read_audio_infos(
        tqdm(paths.values(), desc=f"{report.name}: headers", unit="talk", disable=None), nj=nj
    )
    infos = {r: by_path[p] for r, p in paths.items()}

    survivors = []
    for seg in segments:
        info = infos[seg.rec_id]
        if isinstance(info, AudioReadError):
            report.skip(info.reason, seg.file, seg.index, f"{info.path}: {info.detail}")
        elif (
            not (math.isfinite(seg.offset) and math.isfinite(seg.duration))
            or seg.offset < 0
            or _end_ms(seg) <= round(seg.offset * 1000)  # duration <= 0, or under 1 ms
        ):
            report.skip(
                "bad_offset",
                seg.file,
                seg.index,
                f"offset {seg.offset} duration {seg.duration}: need offset >= 0 and a duration "
                "of at least 1 ms",
            )
        elif _end_ms(seg) / 1000 > info.duration + tolerance:
            # Compared after rounding to ms, as written to `segments`, so that the validator
            # (same tolerance) agrees.
            report.skip(
                "segment_past_end",
                seg.file,
                seg.index,
                f"ends at {_end_ms(seg) / 1000:.3f} s, {paths[seg.rec_id]} has "
                f"{info.duration:.3f} s",
            )
        else:
            survivors.append(seg)

    logging.info("%s: normalising %d x %d texts", report.name, len(survivors), len(langs))
    normalised = normalize_many(
        [([s.texts[i] for s in survivors], lang) for i, lang in enumerate(langs)], nj=nj
    )
    data = DataDir(texts={f"{form}.{lang}": {} for lang in langs for form in TEXT_FORMS})
    kept_from: dict[str, RawSegment] = {}
    for k, seg in enumerate(survivors):
        problem = _empty_text(seg, langs, [normalised[i][k] for i in range(len(langs))])
        if problem:
            report.skip("empty_text", seg.file, seg.index, problem)
            continue
        start_ms, end_ms = round(seg.offset * 1000), _end_ms(seg)
        utt = make_utt_id(seg.rec_id, start_ms, end_ms)
        if utt in kept_from:
            first = kept_from[utt]
            report.skip(
                "duplicate_segment",
                seg.file,
                seg.index,
                f"same recording, start and end as {first.file} entry {first.index} ({utt})",
            )
            continue
        kept_from[utt] = seg
        report.keep()
        data.segments[utt] = Segment(seg.rec_id, start_ms / 1000, end_ms / 1000)
        data.utt2spk[utt] = seg.rec_id
        for i, lang in enumerate(langs):
            for form, text in zip(TEXT_FORMS, normalised[i][k]):
                data.texts[f"{form}.{lang}"][utt] = text
        if seg.orig_id is not None:
            data.extra.setdefault("utt2orig_id", {})[utt] = seg.orig_id
        if seg.duration > long_segment_s:
            report.note(
                "long_segment",
                seg.file,
                seg.index,
                f"{utt} lasts {seg.duration:.1f} s (> {long_segment_s:g} s)",
            )

    kept_recs = sorted({s.rec_id for s in data.segments.values()})
    for rec in kept_recs:
        info = infos[rec]
        assert isinstance(info, AudioInfo), info
        data.wav_scp[rec] = paths[rec]
        if info.channels != 1:
            report.note("multichannel_wav", paths[rec], 0, f"{info.channels} channels")
        if info.samplerate != EXPECTED_SAMPLE_RATE:
            report.note("non_16k_wav", paths[rec], 0, f"{info.samplerate} Hz")
    return data, {rec: infos[rec].duration for rec in kept_recs}


def _end_ms(seg: RawSegment) -> int:
    return round((seg.offset + seg.duration) * 1000)


def _empty_text(seg: RawSegment, langs: Sequence[str], forms: list[tuple[str, ...]]) -> str:
    for lang, raw, lang_forms in zip(langs, seg.texts, forms):
        if not raw.strip():
            return f"empty {lang} text"
        for form, text in zip(TEXT_FORMS, lang_forms):
            if not text:
                return f"{lang} text {raw!r} is empty in its {form} form"
    return ""


def fingerprint(files: Sequence[str | os.PathLike], options: Mapping) -> str:
    """A digest of the inputs' names, sizes and mtimes and of the options."""
    stats = []
    for f in files:
        try:
            st = os.stat(f)
            stats.append([os.fspath(f), st.st_size, st.st_mtime_ns])
        except OSError:
            stats.append([os.fspath(f), None, None])
    blob = json.dumps([FORMAT_VERSION, stats, dict(options)], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def up_to_date_report(out_dir: str | os.PathLike, digest: str) -> dict | None:
    """The stored report when ``out_dir`` was completed from the same inputs, else ``None``."""
    out_dir = Path(out_dir)
    try:
        done = json.loads((out_dir / DONE_FILE).read_text())
        if done.get("fingerprint") != digest:
            return None
        return json.loads((out_dir / "prep_report.json").read_text())
    except (OSError, ValueError):
        return None


def write_prepared_dir(
    data: DataDir,
    report: SkipReport,
    out_dir: str | os.PathLike,
    *,
    rec_durations: Mapping[str, float],
    digest: str,
    tolerance: float = END_TOLERANCE_S,
) -> dict:
    """Write ``data`` and its report to a temporary dir, validate it, and move it to ``out_dir``.

    A run killed at any point leaves either the previous complete ``out_dir`` or the new one;
    ``.done`` (holding the input fingerprint) marks it complete.
    """
    out_dir = Path(out_dir)
    tmp = out_dir.with_name(f".{out_dir.name}.tmp")
    old = out_dir.with_name(f".{out_dir.name}.old")
    for d in (tmp, old):
        if d.exists():
            shutil.rmtree(d)
    data.write(tmp)
    report.write(tmp)
    if report.kept == 0:
        raise CorpusError(
            f"{report.name}: none of {report.input_segments} segments kept "
            f"(skipped {report.skipped_by_reason()}); every skipped entry is listed in "
            f"{tmp / 'prep_skipped.txt'}"
        )
    validate_data_dir(tmp, rec_durations=rec_durations, tolerance=tolerance)
    write_text_atomic(tmp / DONE_FILE, json.dumps({"fingerprint": digest}) + "\n")
    if out_dir.exists():
        out_dir.rename(old)
    tmp.rename(out_dir)
    if old.exists():
        shutil.rmtree(old)
    report.log_summary()
    return report.summary()


def prepare_split(
    dest: str | os.PathLike,
    inputs: Sequence[str | os.PathLike],
    read: Callable[[], tuple[list[RawSegment], Mapping]],
    langs: Sequence[str],
    *,
    corpus: str,
    source: str,
    nj: int = 1,
    force: bool = False,
    tolerance: float = END_TOLERANCE_S,
    long_segment_s: float = LONG_SEGMENT_S,
) -> dict:
    """The steps every corpus reader shares: skip ``dest`` when it was completed from the same
    ``inputs`` (files) and options, else ``read()`` the release's segments and recordings,
    build the data dir and write it with its report. Returns the report summary."""
    dest = Path(dest)
    options = {"corpus": corpus, "tolerance": tolerance, "long_segment_s": long_segment_s}
    digest = fingerprint([os.path.abspath(p) for p in inputs], options)
    stored = None if force else up_to_date_report(dest, digest)
    if stored is not None:
        logging.info("%s: up to date, not redone (inputs unchanged)", dest)
        return stored
    logging.info("%s: preparing from %s", dest, source)
    segments, recordings = read()
    report = SkipReport(dest.name)
    data, durations = build_data_dir(
        segments,
        recordings,
        langs,
        report,
        nj=nj,
        tolerance=tolerance,
        long_segment_s=long_segment_s,
    )
    return write_prepared_dir(
        data, report, dest, rec_durations=durations, digest=digest, tolerance=tolerance
    )
