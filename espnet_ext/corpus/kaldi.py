"""Kaldi-style data directories: reading, writing and validating.

Every file holds one ``<key> <value>`` per line, UTF-8, sorted by key in C-locale order. Python's
``str`` order compares code points, which for UTF-8 is the same as comparing bytes, so a plain
``sorted()`` gives the C-locale order. The files of a prepared dir (``data/<set>/``):

- ``wav.scp``   ``<rec_id> <absolute audio path>`` (or ``<utt_id> <path>`` when there is no
  ``segments`` file, as in dumped dirs)
- ``segments``  ``<utt_id> <rec_id> <start_s> <end_s>`` (3 decimals)
- ``utt2spk``, ``spk2utt`` (its inverse, utterances sorted), ``text.<form>.<lang>`` and any other
  per-utterance ``utt2*`` file (e.g. ``utt2orig_id``, ``utt2num_samples``)

Utterance ids start with their speaker id and ``-``, so that sorting by utterance also sorts by
speaker (Kaldi's requirement for ``utt2spk``).
"""

from __future__ import annotations

import logging
import math
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from espnet_ext.corpus.audio_info import END_TOLERANCE_S, AudioReadError, read_audio_infos
from espnet_ext.fileio import atomic_open

# A key, then one run of spaces/tabs, then the value. Only ASCII space and tab separate: a
# no-break space inside a text value is text, not a separator.
_LINE_RE = re.compile(r"([^ \t]+)(?:[ \t]+(.*))?")
_SPACE_RE = re.compile(r"\s")


class CorpusError(Exception):
    """Input that data preparation cannot trust; the message names the file and the entry."""


class DataDirError(CorpusError):
    """A data dir that breaks the contract above; the message names the file and the line."""


class Segment(NamedTuple):
    rec_id: str
    start: float
    end: float


def decode_utf8(data: bytes, path: str | os.PathLike) -> str:
    """Strictly decode ``data`` read from ``path``; errors name line, column and byte offset."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        # Everything before the first bad byte decodes, so the column can count characters.
        column = len(data[data.rfind(b"\n", 0, e.start) + 1 : e.start].decode("utf-8")) + 1
        bad = data[e.start : e.end].hex(" ")
        raise CorpusError(
            f"{path}: line {line}, column {column} (byte offset {e.start}): "
            f"invalid UTF-8 byte(s) {bad}"
        ) from None
    # A byte-order mark would otherwise become part of the first key or text.
    return text.removeprefix("\ufeff")


def read_lines(path: str | os.PathLike) -> list[str]:
    """The lines of a UTF-8 text file, without line ends (``\\n`` or ``\\r\\n``).

    Only ``\\n`` ends a line: ``str.splitlines`` would also split at U+2028 or U+0085 inside a
    sentence and break the line alignment of parallel text files.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise CorpusError(f"cannot read {path}: {e.strerror or e}") from None
    text = decode_utf8(data, path)
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]


def parse_kaldi_line(line: str, path: str | os.PathLike, lineno: int) -> tuple[str, str]:
    """Split one line into ``(key, value)``; the value may be empty."""
    m = _LINE_RE.fullmatch(line.rstrip(" \t"))
    if m is None:
        raise DataDirError(f"{path}: line {lineno}: expected '<key> <value>', got {line!r}")
    return m.group(1), m.group(2) or ""


def read_kaldi_file(
    path: str | os.PathLike, *, check_sorted: bool = True, allow_empty: bool = False
) -> dict[str, str]:
    """Read ``path`` into an ordered ``{key: value}``.

    Args:
        check_sorted: require strictly increasing keys (sorted and unique); otherwise only unique.
        allow_empty: accept lines with a key and no value.
    """
    out: dict[str, str] = {}
    prev = None
    for lineno, line in enumerate(read_lines(path), 1):
        key, value = parse_kaldi_line(line, path, lineno)
        if not value and not allow_empty:
            raise DataDirError(f"{path}: line {lineno}: key {key!r} has an empty value")
        if key in out:
            raise DataDirError(f"{path}: line {lineno}: duplicate key {key!r}")
        if check_sorted and prev is not None and key < prev:
            raise DataDirError(
                f"{path}: line {lineno}: key {key!r} is not sorted (follows {prev!r}); "
                "keys must be sorted in C-locale order"
            )
        out[key] = value
        prev = key
    return out


def write_kaldi_file(path: str | os.PathLike, items: Mapping[str, str] | Iterable) -> None:
    """Write ``key value`` lines sorted by key, atomically; keys must not contain whitespace."""
    pairs = sorted(items.items() if isinstance(items, Mapping) else items)
    with atomic_open(path) as f:
        for key, value in pairs:
            if not key or _SPACE_RE.search(key):
                raise ValueError(f"{path}: key {key!r} is empty or contains whitespace")
            if "\n" in value or "\r" in value:
                raise ValueError(f"{path}: value of {key!r} contains a line break: {value!r}")
            f.write(f"{key} {value}\n")


@dataclass
class DataDir:
    """An in-memory data dir; ``write`` produces the files listed in the module docstring.

    ``texts`` maps a text name (``"tc.en"``) to ``{utt_id: text}``; ``extra`` maps other
    per-utterance file names (``"utt2orig_id"``) to ``{utt_id: value}``.
    """

    wav_scp: dict[str, str] = field(default_factory=dict)
    segments: dict[str, Segment] = field(default_factory=dict)
    utt2spk: dict[str, str] = field(default_factory=dict)
    texts: dict[str, dict[str, str]] = field(default_factory=dict)
    extra: dict[str, dict[str, str]] = field(default_factory=dict)

    def spk2utt(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for utt in sorted(self.utt2spk):
            out.setdefault(self.utt2spk[utt], []).append(utt)
        return out

    def write(self, path: str | os.PathLike) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        write_kaldi_file(path / "wav.scp", self.wav_scp)
        if self.segments:
            write_kaldi_file(
                path / "segments",
                {u: f"{s.rec_id} {s.start:.3f} {s.end:.3f}" for u, s in self.segments.items()},
            )
        write_kaldi_file(path / "utt2spk", self.utt2spk)
        write_kaldi_file(path / "spk2utt", {s: " ".join(u) for s, u in self.spk2utt().items()})
        for name, text in self.texts.items():
            write_kaldi_file(path / f"text.{name}", text)
        for name, values in self.extra.items():
            write_kaldi_file(path / name, values)

    @classmethod
    def read(cls, path: str | os.PathLike) -> DataDir:
        path = Path(path)
        out = cls(
            wav_scp=read_kaldi_file(path / "wav.scp"),
            utt2spk=read_kaldi_file(path / "utt2spk"),
        )
        if (path / "segments").exists():
            for utt, value in read_kaldi_file(path / "segments").items():
                rec, start, end = value.split()
                out.segments[utt] = Segment(rec, float(start), float(end))
        for f in sorted(path.iterdir()):
            if f.name.startswith("text."):
                out.texts[f.name[len("text.") :]] = read_kaldi_file(f)
            elif f.name.startswith("utt2") and f.name != "utt2spk":
                out.extra[f.name] = read_kaldi_file(f)
        return out


def _per_utt_files(path: Path) -> list[Path]:
    """The files keyed by utterance id besides ``utt2spk`` (``segments``, texts, ``utt2*``)."""
    names = sorted(p.name for p in path.iterdir() if p.is_file())
    keep = [
        n
        for n in names
        if n == "segments" or n == "text" or n.startswith("text.") or n.startswith("utt2")
    ]
    return [path / n for n in keep if n != "utt2spk"]


def _check_same_keys(ref: dict, ref_name: Path, other: dict, other_name: Path) -> None:
    if other.keys() == ref.keys():
        return
    missing = sorted(ref.keys() - other.keys())
    extra = sorted(other.keys() - ref.keys())
    if missing:
        raise DataDirError(
            f"{other_name}: utterance {missing[0]!r} of {ref_name} is missing "
            f"({len(missing)} missing in all)"
        )
    raise DataDirError(
        f"{other_name}: utterance {extra[0]!r} is not in {ref_name} ({len(extra)} extra in all)"
    )


def _line_of(path: Path, key: str) -> int:
    for lineno, line in enumerate(read_lines(path), 1):
        if line.split(maxsplit=1)[:1] == [key]:
            return lineno
    return 0


def validate_data_dir(
    path: str | os.PathLike,
    *,
    check_audio: bool = True,
    tolerance: float = END_TOLERANCE_S,
    rec_durations: Mapping[str, float] | None = None,
) -> None:
    """Check that ``path`` is a consistent data dir; raise :class:`DataDirError` if not.

    Checks: every file UTF-8 with sorted unique keys; the same utterance set in ``utt2spk``,
    ``segments``, ``text*`` and ``utt2*``; ``spk2utt`` is the inverse of ``utt2spk``; each
    utterance id starts with ``<speaker>-`` and speakers come in sorted order; ``wav.scp`` covers
    every recording of ``segments``; ``0 <= start < end <= duration + tolerance`` with the
    duration read once per recording from the audio header; no empty text.

    Args:
        check_audio: read audio headers (``soundfile.info``) to check segment ends.
        tolerance: seconds a segment may run past the end of its audio (rounding of offsets).
        rec_durations: known ``{rec_id: seconds}`` (e.g. from data preparation, which has just
            read the headers); recordings not in it are read from disk.
    """
    path = Path(path)
    if not path.is_dir():
        raise DataDirError(f"{path}: not a directory")
    for name in ("wav.scp", "utt2spk", "spk2utt"):
        if not (path / name).is_file():
            raise DataDirError(f"{path / name}: missing")
    utt2spk = read_kaldi_file(path / "utt2spk")
    if not utt2spk:
        raise DataDirError(f"{path / 'utt2spk'}: no utterances")
    prev_spk = None
    for lineno, (utt, spk) in enumerate(utt2spk.items(), 1):
        if not utt.startswith(spk + "-"):
            raise DataDirError(
                f"{path / 'utt2spk'}: line {lineno}: utterance id {utt!r} does not start with "
                f"its speaker id followed by '-' ({spk!r})"
            )
        if prev_spk is not None and spk < prev_spk:
            raise DataDirError(
                f"{path / 'utt2spk'}: line {lineno}: speaker {spk!r} of {utt!r} sorts before "
                f"the previous speaker {prev_spk!r}: utterance and speaker orders disagree"
            )
        prev_spk = spk

    spk2utt = read_kaldi_file(path / "spk2utt")
    expected: dict[str, list[str]] = {}
    for utt, spk in utt2spk.items():
        expected.setdefault(spk, []).append(utt)
    for lineno, (spk, utts) in enumerate(spk2utt.items(), 1):
        if spk not in expected:
            raise DataDirError(
                f"{path / 'spk2utt'}: line {lineno}: speaker {spk!r} is not in utt2spk"
            )
        if utts.split() != expected[spk]:
            raise DataDirError(
                f"{path / 'spk2utt'}: line {lineno}: utterances of {spk!r} differ from utt2spk "
                f"(expected {len(expected[spk])} sorted ids starting {expected[spk][:2]}, "
                f"got {utts.split()[:2]}...)"
            )
    if len(spk2utt) != len(expected):
        missing = sorted(expected.keys() - spk2utt.keys())
        raise DataDirError(f"{path / 'spk2utt'}: speaker {missing[0]!r} of utt2spk is missing")

    files = _per_utt_files(path)
    if not any(f.name == "text" or f.name.startswith("text.") for f in files):
        raise DataDirError(f"{path}: no text or text.* file")
    segments: dict[str, Segment] = {}
    for f in files:
        is_text = f.name == "text" or f.name.startswith("text.")
        values = read_kaldi_file(f, allow_empty=is_text)
        _check_same_keys(utt2spk, path / "utt2spk", values, f)
        if f.name == "segments":
            segments = _parse_segments(f, values)
        elif is_text:
            for lineno, (utt, text) in enumerate(values.items(), 1):
                if not text.strip():
                    raise DataDirError(f"{f}: line {lineno}: empty text for {utt!r}")

    wav_scp = read_kaldi_file(path / "wav.scp")
    if segments:
        used = {s.rec_id for s in segments.values()}
        for utt, seg in segments.items():
            if seg.rec_id not in wav_scp:
                raise DataDirError(
                    f"{path / 'segments'}: line {_line_of(path / 'segments', utt)}: recording "
                    f"{seg.rec_id!r} of {utt!r} is not in wav.scp"
                )
    else:
        _check_same_keys(utt2spk, path / "utt2spk", wav_scp, path / "wav.scp")
        used = set(wav_scp)
    if check_audio:
        _check_audio(path, wav_scp, used, segments, tolerance, rec_durations or {})


def _parse_segments(f: Path, values: dict[str, str]) -> dict[str, Segment]:
    out = {}
    for lineno, (utt, value) in enumerate(values.items(), 1):
        fields = value.split()
        try:
            if len(fields) != 3:
                raise ValueError
            rec, start, end = fields[0], float(fields[1]), float(fields[2])
        except ValueError:
            raise DataDirError(
                f"{f}: line {lineno}: expected '<utt> <rec> <start> <end>', got {utt} {value!r}"
            ) from None
        if not (math.isfinite(start) and math.isfinite(end)) or start < 0 or end <= start:
            raise DataDirError(
                f"{f}: line {lineno}: {utt!r} has start {start} and end {end}; "
                "need 0 <= start < end"
            )
        out[utt] = Segment(rec, start, end)
    return out


def _check_audio(
    path: Path,
    wav_scp: dict[str, str],
    used: set[str],
    segments: dict[str, Segment],
    tolerance: float,
    known: Mapping[str, float],
) -> None:
    durations = {r: known[r] for r in used if r in known}
    to_read = {r: wav_scp[r] for r in sorted(used) if r not in known}
    piped = [r for r, p in to_read.items() if p.rstrip().endswith("|")]
    if piped:
        # Never run commands from a data dir just to validate it (issue 10: untrusted input).
        logging.warning(
            "%s: %d wav.scp entries are command pipelines (e.g. %r); their durations are not "
            "checked",
            path / "wav.scp",
            len(piped),
            piped[0],
        )
    infos = read_audio_infos([p for r, p in to_read.items() if r not in piped])
    for rec, audio in to_read.items():
        if rec in piped:
            continue
        info = infos[audio]
        if isinstance(info, AudioReadError):
            raise DataDirError(
                f"{path / 'wav.scp'}: line {_line_of(path / 'wav.scp', rec)}: {rec!r}: {info}"
            )
        durations[rec] = info.duration
    for utt, seg in segments.items():
        dur = durations.get(seg.rec_id)
        if dur is not None and seg.end > dur + tolerance:
            raise DataDirError(
                f"{path / 'segments'}: line {_line_of(path / 'segments', utt)}: {utt!r} ends at "
                f"{seg.end:.3f} s, past the end of {wav_scp[seg.rec_id]} ({dur:.3f} s)"
            )
