"""Writers for the release layouts: MuST-C v1, How2 300h (text part), text-only MT data.

MuST-C v1, per pair and split (``DIR/mustc/en-de/data/train/``)::

    wav/ted_12.wav                  one wav per talk
    txt/train.en, txt/train.de      one line per yaml item
    txt/train.yaml                  one item per line:
      - {duration: 3.42, offset: 16.08, rW: 9, uW: 0, speaker_id: spk.12, wav: ted_12.wav}

How2 300h, per split (``DIR/how2/how2-300h-v1/data/train/``), ids sorted in C order::

    id                              <video>_<n>
    text.id.en, text.id.pt          <video>_<n> <text>
    text.en, text.pt                <text> (same order as id)
    segments                        <video>_<n> <video> <start> <end>
    utt2spk, spk2utt                the speaker is the video

Times are in seconds; every value is a whole number of 10-ms frames, so the two-decimal
numbers are exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from espnet_ext.corpus.mini.plan import Talk
from espnet_ext.fileio import write_text_atomic

Segments = list[tuple[int, int]]  # (start, length) of each utterance, in 10-ms frames


def seconds(frames: int) -> str:
    """``frames`` of 10 ms as the shortest exact decimal: 342 -> "3.42", 1600 -> "16.0"."""
    return repr(frames / 100)


def lines(items: Sequence[str]) -> str:
    return "".join(f"{x}\n" for x in items)


def write_mustc_split(
    split_dir: Path,
    split: str,
    tgt: str,
    talks: Sequence[Talk],
    segments: dict[str, Segments],
    translations: dict[str, str],
) -> None:
    """``txt/<split>.yaml``, ``.en``, ``.<tgt>`` of one split (the wavs are already there).

    ``segments[talk.name]``: times of its utterances; ``translations[en]``: the target text.
    """
    yaml, en, xx = [], [], []
    for talk in talks:
        for utt, (start, length) in zip(talk.utterances, segments[talk.name]):
            yaml.append(
                f"- {{duration: {seconds(length)}, offset: {seconds(start)}, "
                f"rW: {len(utt.en.split())}, uW: 0, speaker_id: {talk.speaker}, "
                f"wav: {talk.name}.wav}}"
            )
            en.append(utt.en)
            xx.append(translations[utt.en])
    txt = split_dir / "txt"
    write_text_atomic(txt / f"{split}.yaml", lines(yaml))
    write_text_atomic(txt / f"{split}.en", lines(en))
    write_text_atomic(txt / f"{split}.{tgt}", lines(xx))


def write_how2_split(
    split_dir: Path,
    talks: Sequence[Talk],
    segments: dict[str, Segments],
    translations: dict[str, str],
) -> None:
    rows = []  # (utt_id, video, start, end, en, pt)
    for talk in talks:
        for k, (utt, (start, length)) in enumerate(zip(talk.utterances, segments[talk.name])):
            uid = f"{talk.name}_{k}"
            rows.append((uid, talk.name, start, start + length, utt.en, translations[utt.en]))
    rows.sort()
    by_video: dict[str, list[str]] = {}
    for r in rows:
        by_video.setdefault(r[1], []).append(r[0])
    files = {
        "id": [r[0] for r in rows],
        "text.id.en": [f"{r[0]} {r[4]}" for r in rows],
        "text.id.pt": [f"{r[0]} {r[5]}" for r in rows],
        "text.en": [r[4] for r in rows],
        "text.pt": [r[5] for r in rows],
        "segments": [f"{r[0]} {r[1]} {r[2] / 100:.2f} {r[3] / 100:.2f}" for r in rows],
        "utt2spk": [f"{r[0]} {r[1]}" for r in rows],
        "spk2utt": [f"{v} {' '.join(us)}" for v, us in sorted(by_video.items())],
    }
    for name, content in files.items():
        write_text_atomic(split_dir / name, lines(content))


def write_text_corpus(pair_dir: Path, tgt: str, en: Sequence[str], xx: Sequence[str]) -> None:
    write_text_atomic(pair_dir / "train.en", lines(en))
    write_text_atomic(pair_dir / f"train.{tgt}", lines(xx))
