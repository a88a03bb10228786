"""The generated ``tiny`` corpus in the MuST-C v1 and How2 layouts (generated once per module)."""

from __future__ import annotations

import json
import os
import re
from collections import defaultdict

import numpy as np
import pytest
import yaml

from espnet_ext.corpus.mini.speech import read_wav
from tests.fixtures.mini_corpus import tiny_corpus

MUSTC_SPLITS = ("train", "dev", "tst-COMMON", "tst-HE")
HOW2_SPLITS = ("train", "val", "dev5")
HOW2_FILES = ("id", "text.id.en", "text.id.pt", "text.en", "text.pt", "segments", "utt2spk",
              "spk2utt")  # fmt: skip


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return tiny_corpus(tmp_path_factory.mktemp("mini") / "corpus", pairs="en-de,en-pt")


@pytest.fixture(scope="module")
def info(corpus):
    return json.loads((corpus / "corpus.json").read_text())


def read_lines(path):
    return path.read_text(encoding="utf-8").splitlines()


def mustc_split(corpus, pair, split):
    d = corpus / "mustc" / pair / "data" / split
    items = yaml.safe_load((d / "txt" / f"{split}.yaml").read_text(encoding="utf-8"))
    tgt = pair.split("-")[1]
    return (
        d,
        items,
        read_lines(d / "txt" / f"{split}.en"),
        read_lines(d / "txt" / f"{split}.{tgt}"),
    )


def check_segments(wav, segments, *, silent_outside: bool):
    """``segments``: [(start s, end s)] inside ``wav``, ordered, non-overlapping, voiced."""
    x, sr = read_wav(wav)
    assert sr == 16000
    covered = np.zeros(len(x), bool)
    previous_end = 0.0
    for start, end in sorted(segments):
        assert 0 <= start < end <= len(x) / sr, (wav, start, end, len(x) / sr)
        assert start >= previous_end, (wav, start, previous_end)
        a, b = round(start * sr), round(end * sr)
        assert abs(a - start * sr) < 1e-6 and abs(b - end * sr) < 1e-6  # exact samples
        assert np.abs(x[a:b]).max() > 300, (wav, start)
        covered[a:b] = True
        previous_end = end
    if silent_outside:  # pauses without noise are digital silence: segments hold all speech
        assert not np.any(x[~covered])


@pytest.mark.parametrize("split", MUSTC_SPLITS)
def test_mustc_layout(corpus, info, split):
    d, items, en, de = mustc_split(corpus, "en-de", split)
    assert len(items) == len(en) == len(de) == info["spec"]["mustc"][split]
    by_wav = defaultdict(list)
    for item, sentence in zip(items, en):
        assert list(item) == ["duration", "offset", "rW", "uW", "speaker_id", "wav"]
        assert isinstance(item["duration"], float) and isinstance(item["offset"], float)
        assert item["rW"] == len(sentence.split()) and item["uW"] == 0
        talk = re.fullmatch(r"ted_(\d+)\.wav", item["wav"]).group(1)
        assert item["speaker_id"] == f"spk.{talk}"
        assert 3 <= item["rW"] <= 25
        by_wav[item["wav"]].append((item["offset"], item["offset"] + item["duration"]))
    assert sorted(os.listdir(d / "wav")) == sorted(by_wav)
    for wav, segments in by_wav.items():
        assert 10 <= len(segments) <= 40
        check_segments(d / "wav" / wav, segments, silent_outside=False)
    # flow-style items, one per line, as in the release
    first = (d / "txt" / f"{split}.yaml").read_text().splitlines()[0]
    assert re.fullmatch(r"- \{duration: [\d.]+, offset: [\d.]+, rW: \d+, uW: 0, "
                        r"speaker_id: spk\.\d+, wav: ted_\d+\.wav\}", first)  # fmt: skip


def test_silence_between_segments(corpus, info):
    """In talks without added noise every sample outside the segments is zero."""
    d, items, _, _ = mustc_split(corpus, "en-de", "train")
    by_wav = defaultdict(list)
    for item in items:
        by_wav[item["wav"]].append((item["offset"], item["offset"] + item["duration"]))
    quiet = 0
    for wav, segments in sorted(by_wav.items()):
        x, _ = read_wav(d / "wav" / wav)
        if x[:100].any():  # a noisy talk: noise fills the pause before the first segment
            continue
        check_segments(d / "wav" / wav, segments, silent_outside=True)
        quiet += 1
    assert quiet >= 1


def test_pairs_share_audio_not_text(corpus):
    for split in MUSTC_SPLITS:
        d_de, items_de, en_de, de = mustc_split(corpus, "en-de", split)
        d_pt, items_pt, en_pt, pt = mustc_split(corpus, "en-pt", split)
        assert items_de == items_pt and en_de == en_pt
        assert all(a != b for a, b in zip(de, pt))
        for wav in os.listdir(d_de / "wav"):
            assert os.path.samefile(d_de / "wav" / wav, d_pt / "wav" / wav)
    assert not (corpus / "mustc" / "en-fr").exists()


def test_how2_layout(corpus, info):
    data = corpus / "how2" / "how2-300h-v1" / "data"
    audio = corpus / "how2" / "audio"
    seen_videos = set()
    for split in HOW2_SPLITS:
        d = data / split
        assert sorted(os.listdir(d)) == sorted(HOW2_FILES)
        ids = read_lines(d / "id")
        assert ids == sorted(ids) and len(set(ids)) == len(ids) == info["spec"]["how2"][split]
        for name in ("text.id.en", "text.id.pt", "segments", "utt2spk"):
            assert [line.split(" ", 1)[0] for line in read_lines(d / name)] == ids, name
        assert [line.split(" ", 1)[1] for line in read_lines(d / "text.id.en")] == read_lines(
            d / "text.en"
        )
        utt2spk = dict(line.split() for line in read_lines(d / "utt2spk"))
        spk2utt = {s: us for s, *us in (line.split() for line in read_lines(d / "spk2utt"))}
        assert {u: s for s, us in spk2utt.items() for u in us} == utt2spk
        assert list(spk2utt) == sorted(spk2utt)
        by_video = defaultdict(list)
        for line in read_lines(d / "segments"):
            utt, video, start, end = line.split()
            assert utt2spk[utt] == video and re.fullmatch(rf"{video}_\d+", utt)
            assert re.fullmatch(r"[A-Za-z0-9]{11}", video)
            assert re.fullmatch(r"\d+\.\d\d", start) and re.fullmatch(r"\d+\.\d\d", end)
            by_video[video].append((float(start), float(end)))
        for video, segments in by_video.items():
            check_segments(audio / f"{video}.wav", segments, silent_outside=False)
        assert not seen_videos & set(by_video)
        seen_videos |= set(by_video)
    assert sorted(os.listdir(audio)) == sorted(f"{v}.wav" for v in seen_videos)


def test_text_corpus(corpus, info):
    held_out = set()
    for split in ("dev", "tst-COMMON", "tst-HE"):
        held_out |= set(mustc_split(corpus, "en-de", split)[2])
    for split in ("val", "dev5"):
        held_out |= set(read_lines(corpus / "how2/how2-300h-v1/data" / split / "text.en"))
    train = set(mustc_split(corpus, "en-de", "train")[2])
    train |= set(read_lines(corpus / "how2/how2-300h-v1/data/train/text.en"))
    assert not held_out & train
    for pair in ("en-de", "en-pt"):
        d = corpus / "text" / pair
        en, xx = read_lines(d / "train.en"), read_lines(d / f"train.{pair[3:]}")
        assert len(en) == len(xx) == 5 * info["spec"]["mustc"]["train"]
        assert not held_out & set(en)
        assert all(3 <= len(s.split()) <= 25 for s in en)
    assert read_lines(corpus / "text/en-de/train.en") == read_lines(corpus / "text/en-pt/train.en")


def test_corpus_json(corpus, info):
    assert info["seed"] == 0 and info["size"] == "tiny" and info["pairs"] == ["en-de", "en-pt"]
    for split in MUSTC_SPLITS:
        _, items, _, _ = mustc_split(corpus, "en-de", split)
        stats = info["mustc"][split]
        assert stats["utterances"] == len(items)
        assert stats["hours"] == pytest.approx(sum(i["duration"] for i in items) / 3600, abs=1e-4)
        assert stats["max_seconds"] == max(i["duration"] for i in items)
    assert set(info["how2"]) == set(HOW2_SPLITS)
    assert set(info["vocabulary"]) == {"en", "de", "pt"}
    assert info["vocabulary"]["en"] >= 300  # several hundred words
    assert not (corpus / ".work").exists()


def test_durations(info):
    stats = [*info["mustc"].values(), *info["how2"].values()]
    assert min(s["min_seconds"] for s in stats) < 1.6
    assert 20 < max(s["max_seconds"] for s in stats) <= 30
    over = sum(s["over_20s"] for s in stats) / sum(s["utterances"] for s in stats)
    assert 0.01 <= over <= 0.1
