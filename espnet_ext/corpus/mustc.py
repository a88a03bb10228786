"""MuST-C v1: TED talks in English with their transcripts and translations into 8 languages.

Get it from https://ict.fbk.eu/must-c/ (one archive per pair, ``MUSTC_v1.0_en-de.tar.gz``, ...).
Each pair unpacks to::

    en-de/data/{train,dev,tst-COMMON,tst-HE}/
        wav/ted_1.wav ...            one 16 kHz mono wav per talk
        txt/<split>.yaml             one list item per segment
        txt/<split>.en               transcripts, line i belongs to yaml item i
        txt/<split>.de               translations, line i belongs to yaml item i

A yaml item (``offset`` and ``duration`` in seconds within the talk wav)::

    - {duration: 3.5, offset: 16.08, rW: 9, uW: 0, speaker_id: spk.1, wav: ted_1.wav}

Output, per split: ``<out_dir>/<split>.<pair>/`` (see :mod:`espnet_ext.corpus.kaldi`), with
recording id = speaker id = talk wav stem (``ted_1``) and utterance id
``<stem>-<start ms, 7 digits>-<end ms, 7 digits>``. MuST-C's ``speaker_id`` is not used: talks have
one speaker, and the contract ties the utterance id to its speaker. Fields used: ``wav``,
``offset``, ``duration``; others are ignored.

What stops preparation (:class:`~espnet_ext.corpus.kaldi.CorpusError`, naming file and entry): a
missing yaml or text file, invalid YAML, a yaml item that is not a mapping or lacks ``wav``,
``offset`` or ``duration`` or has a value of the wrong type, a ``wav`` value that is not a plain
file name, different numbers of yaml items and text lines, non-UTF-8 bytes. What is skipped and
counted: see :mod:`espnet_ext.corpus.segments`.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Sequence
from pathlib import Path

import yaml

from espnet_ext.corpus.audio_info import END_TOLERANCE_S
from espnet_ext.corpus.kaldi import CorpusError, decode_utf8, read_lines
from espnet_ext.corpus.segments import LONG_SEGMENT_S, RawSegment, prepare_split

MUSTC_SPLITS = ("train", "dev", "tst-COMMON", "tst-HE")
SOURCE_LANG = "en"
# libyaml's parser with the safe constructors of yaml.safe_load.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# MuST-C writes one flow mapping per line (``- {duration: 3.5, offset: 16.08, ...}``). Files made
# only of such lines, with values of the shapes below, are parsed without the YAML loader, which
# needs minutes for the 250k items of a train set. The shapes are those that YAML 1.1 resolves
# to exactly int, float or str (so the result is the same); anything else, comments or quoting
# included, sends the whole file through ``_SafeLoader``.
_FLOW_ITEM_RE = re.compile(r"- \{(.+)\}")
_INT_RE = re.compile(r"-?(?:0|[1-9][0-9]*)")
_FLOAT_RE = re.compile(r"-?[0-9]+\.[0-9]+")
_WORD_RE = re.compile(r"[A-Za-z][A-Za-z0-9_.-]*")
_BAD_NAME_RE = re.compile(r"[\s\\]")
_YAML_WORDS = {"yes", "no", "true", "false", "on", "off", "null"}  # YAML 1.1 bools and null


def parse_record(
    entry: object, index: int, yaml_path: str | os.PathLike
) -> tuple[str, float, float]:
    """``(wav file name, offset, duration)`` of yaml item ``index`` (1-based); stop if malformed.

    Offsets and durations are only type-checked here: negative or zero values are a skip
    (``bad_offset``), decided with the audio at hand.
    """
    where = f"{yaml_path}: entry {index}"
    if not isinstance(entry, dict):
        raise CorpusError(f"{where}: expected a mapping with wav/offset/duration, got {entry!r}")
    for name in ("wav", "offset", "duration"):
        if name not in entry:
            raise CorpusError(f"{where}: missing field {name!r} in {entry!r}")
    wav = entry["wav"]
    if not isinstance(wav, str) or not wav or os.path.basename(wav) != wav or wav in (".", ".."):
        raise CorpusError(f"{where}: field 'wav' must be a plain file name, got {wav!r}")
    if _BAD_NAME_RE.search(wav):
        raise CorpusError(f"{where}: field 'wav' must not contain spaces or '\\': {wav!r}")
    values = []
    for name in ("offset", "duration"):
        value = entry[name]
        # bool is an int subclass, and `offset: yes` is a typo, not a time.
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise CorpusError(
                f"{where}: field {name!r} must be a number, got {value!r} "
                f"({type(value).__name__})"
            )
        values.append(float(value))
    return wav, values[0], values[1]


def _scalar(value: str) -> int | float | str | None:
    if _INT_RE.fullmatch(value):
        return int(value)
    if _FLOAT_RE.fullmatch(value):
        return float(value)
    if _WORD_RE.fullmatch(value) and value.lower() not in _YAML_WORDS:
        return value
    return None


def parse_flow_lines(text: str) -> list[dict] | None:
    """The items of a MuST-C yaml made only of plain flow-mapping lines, else ``None``."""
    items = []
    for line in text.split("\n"):
        if not line:
            continue
        m = _FLOW_ITEM_RE.fullmatch(line)
        if m is None:
            return None
        item: dict = {}
        for field in m.group(1).split(", "):
            key, sep, raw = field.partition(": ")
            value = _scalar(raw)
            if not sep or not isinstance(_scalar(key), str) or key in item or value is None:
                return None
            item[key] = value
        items.append(item)
    return items or None


def load_yaml_list(path: Path) -> list:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise CorpusError(f"cannot read {path}: {e.strerror or e}") from None
    text = decode_utf8(data, path)
    items = parse_flow_lines(text)
    if items is not None:
        return items
    try:
        items = yaml.load(text, Loader=_SafeLoader)
    except yaml.YAMLError as e:
        raise CorpusError(f"{path}: invalid YAML: {' '.join(str(e).split())}") from None
    if not isinstance(items, list):
        raise CorpusError(f"{path}: expected a list of segments, got {type(items).__name__}")
    return items


def pair_dir(corpus_dir: str | os.PathLike, pair: str) -> Path:
    """``<corpus_dir>/<pair>``; ``corpus_dir`` may also be the pair dir itself."""
    src, _, tgt = pair.partition("-")
    if src != SOURCE_LANG or not tgt:
        raise CorpusError(f"pair must look like 'en-de', got {pair!r}")
    corpus_dir = Path(corpus_dir)
    if (corpus_dir / pair / "data").is_dir():
        return corpus_dir / pair
    if corpus_dir.name == pair and (corpus_dir / "data").is_dir():
        return corpus_dir
    raise CorpusError(f"{corpus_dir}: no MuST-C release for {pair} (expected {pair}/data/ in it)")


def read_split(root: Path, split: str, tgt: str) -> tuple[list[RawSegment], dict[str, Path]]:
    """Parse one split into raw segments and ``{talk stem: wav path}``; stop on format errors."""
    txt = root / "data" / split / "txt"
    yaml_path = txt / f"{split}.yaml"
    text_paths = (txt / f"{split}.{SOURCE_LANG}", txt / f"{split}.{tgt}")
    for p in (yaml_path, *text_paths):
        if not p.is_file():
            raise CorpusError(f"{p}: missing (split {split!r} of {root})")
    items = load_yaml_list(yaml_path)
    src_lines, tgt_lines = (read_lines(p) for p in text_paths)
    counts = (len(items), len(src_lines), len(tgt_lines))
    if len(set(counts)) != 1:
        raise CorpusError(
            f"{split}: {yaml_path} has {counts[0]} entries but {text_paths[0]} has {counts[1]} "
            f"lines and {text_paths[1]} has {counts[2]}; they must be line-aligned, so this split "
            "cannot be trusted"
        )
    wav_dir = root / "data" / split / "wav"
    segments, recordings = [], {}
    stems: dict[str, str] = {}  # wav name -> talk id, so each talk is looked at once
    source = str(yaml_path)
    for i, (item, src, trg) in enumerate(zip(items, src_lines, tgt_lines), 1):
        wav, offset, duration = parse_record(item, i, yaml_path)
        stem = stems.get(wav)
        if stem is None:
            stem = stems[wav] = Path(wav).stem
            if stem in recordings:
                raise CorpusError(
                    f"{yaml_path}: entry {i}: {wav!r} and {recordings[stem].name!r} have the "
                    "same stem, which is the talk id"
                )
            recordings[stem] = wav_dir / wav
        segments.append(RawSegment(source, i, stem, offset, duration, (src, trg)))
    return segments, recordings


def prepare_mustc_split(
    corpus_dir: str | os.PathLike,
    out_dir: str | os.PathLike,
    pair: str,
    split: str,
    *,
    nj: int = 1,
    force: bool = False,
    tolerance: float = END_TOLERANCE_S,
    long_segment_s: float = LONG_SEGMENT_S,
) -> dict:
    """Prepare ``<out_dir>/<split>.<pair>``; return its report (see :mod:`.report`)."""
    root = pair_dir(corpus_dir, pair)
    tgt = pair.split("-")[1]
    dest = Path(out_dir) / f"{split}.{pair}"
    split_dir = root / "data" / split
    if not split_dir.is_dir():
        raise CorpusError(f"{split_dir}: missing (no split {split!r} in {root})")
    txt = split_dir / "txt"
    inputs = [txt / f"{split}.yaml", txt / f"{split}.{SOURCE_LANG}", txt / f"{split}.{tgt}"]
    wav_dir = split_dir / "wav"
    if wav_dir.is_dir():
        inputs += sorted(e.path for e in os.scandir(wav_dir))
    return prepare_split(
        dest,
        inputs,
        lambda: read_split(root, split, tgt),
        (SOURCE_LANG, tgt),
        corpus="mustc",
        source=str(split_dir),
        nj=nj,
        force=force,
        tolerance=tolerance,
        long_segment_s=long_segment_s,
    )


def prepare_mustc(
    corpus_dir: str | os.PathLike,
    out_dir: str | os.PathLike,
    pair: str,
    splits: Sequence[str] = MUSTC_SPLITS,
    nj: int = 1,
    *,
    force: bool = False,
    tolerance: float = END_TOLERANCE_S,
    long_segment_s: float = LONG_SEGMENT_S,
) -> dict[str, dict]:
    """Prepare every split of one MuST-C pair: ``{split: report}``.

    Args:
        corpus_dir: the dir holding ``en-XX/`` (``$MUSTC`` in ``db.sh``), or ``en-XX/`` itself.
        out_dir: where ``<split>.<pair>/`` dirs go (``data/``).
        pair: ``en-de``, ``en-es``, ...
        splits: split dir names to prepare (a sequence or a comma-separated string).
        nj: processes for text normalisation and threads for audio headers.
        force: redo splits whose output is complete and whose inputs did not change.
        tolerance: seconds a segment may run past the end of its wav.
        long_segment_s: segments longer than this are noted in the report (and kept).
    """
    if not math.isfinite(tolerance) or tolerance < 0:
        raise CorpusError(f"tolerance must be >= 0, got {tolerance}")
    if isinstance(splits, str):
        splits = [s for s in splits.split(",") if s]
    return {
        split: prepare_mustc_split(
            corpus_dir,
            out_dir,
            pair,
            split,
            nj=nj,
            force=force,
            tolerance=tolerance,
            long_segment_s=long_segment_s,
        )
        for split in splits
    }
