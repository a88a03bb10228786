"""The mini corpus plan (no audio): splits, ids, sentence lengths, disjoint test sets, and the
slow long utterances that make the >20 s segments."""

from __future__ import annotations

import random
import re

import pytest

from espnet_ext.corpus.mini.plan import (
    LONG_WORDS,
    MAX_WORDS,
    MIN_WORDS,
    SIZES,
    SizeSpec,
    make_plan,
    talk_sizes,
)
from espnet_ext.corpus.mini.speech import SAMPLE_RATE, Voice, synthesize


@pytest.fixture(scope="module")
def tiny_plan():
    return make_plan(0, SIZES["tiny"])


def utterances(talks_by_split):
    return {s: [u for t in talks for u in t.utterances] for s, talks in talks_by_split.items()}


def test_counts_and_talk_sizes(tiny_plan):
    spec = SIZES["tiny"]
    for corpus, wanted in (("mustc", spec.mustc), ("how2", spec.how2)):
        talks = getattr(tiny_plan, corpus)
        assert {s: len(u) for s, u in utterances(talks).items()} == wanted
        for split_talks in talks.values():
            assert all(10 <= len(t.utterances) <= 40 for t in split_talks)
            assert all(len(t.pauses) == len(t.utterances) + 1 for t in split_talks)
    assert len(tiny_plan.text) == 5 * spec.mustc["train"]


@pytest.mark.parametrize("n", [0, 7, 10, 40, 41, 55, 200, 3000])
def test_talk_sizes(n):
    sizes = talk_sizes(n, random.Random(n))
    assert sum(sizes) == n
    assert all(10 <= k <= 40 for k in sizes) or (n < 10 and sizes == ([n] if n else []))


def test_ids(tiny_plan):
    ted = [t.name for talks in tiny_plan.mustc.values() for t in talks]
    assert len(set(ted)) == len(ted) and all(re.fullmatch(r"ted_\d+", n) for n in ted)
    for talks in tiny_plan.mustc.values():
        assert all(t.speaker == "spk." + t.name[4:] for t in talks)
    videos = [t.name for talks in tiny_plan.how2.values() for t in talks]
    assert len(set(videos)) == len(videos)
    assert all(re.fullmatch(r"[A-Za-z0-9]{11}", v) for v in videos)


def test_sentences_unique_and_test_sets_disjoint(tiny_plan):
    mustc, how2 = utterances(tiny_plan.mustc), utterances(tiny_plan.how2)
    heldout = {u.en for s in ("dev", "tst-COMMON", "tst-HE") for u in mustc[s]}
    heldout |= {u.en for s in ("val", "dev5") for u in how2[s]}
    train = {u.en for u in mustc["train"]} | {u.en for u in how2["train"]}
    text = {en for en, _ in tiny_plan.text}
    assert not heldout & train and not heldout & text
    everything = [u.en for us in (*mustc.values(), *how2.values()) for u in us]
    everything += [en for en, _ in tiny_plan.text]
    assert len(set(everything)) == len(everything)
    assert all(MIN_WORDS <= len(s.split()) <= MAX_WORDS for s in everything)


def test_same_seed_same_plan():
    spec = SizeSpec(mustc={"train": 30, "dev": 10, "tst-COMMON": 10, "tst-HE": 10},
                    how2={"train": 10, "val": 10, "dev5": 10}, text_factor=1)  # fmt: skip

    def texts(seed):
        plan = make_plan(seed, spec)
        return [u.en for talks in plan.mustc.values() for t in talks for u in t.utterances]

    assert texts(5) == texts(5)
    assert texts(5) != texts(6)


def test_long_utterances_are_long():
    """A few percent of utterances are long sentences spoken slowly: over 20 s, under 30 s."""
    spec = SizeSpec(mustc={"train": 1500, "dev": 0, "tst-COMMON": 0, "tst-HE": 0},
                    how2={"train": 0, "val": 0, "dev5": 0}, text_factor=0)  # fmt: skip
    utts = [u for t in make_plan(1, spec).mustc["train"] for u in t.utterances]
    long = [u for u in utts if u.long]
    assert 0.02 <= len(long) / len(utts) <= 0.06
    assert all(len(u.en.split()) >= LONG_WORDS for u in long)
    seconds = [len(synthesize(u.en, u.voice)) / SAMPLE_RATE for u in long[:8]]
    assert all(15 < s <= 30 for s in seconds), seconds
    assert sum(s > 20 for s in seconds) >= len(seconds) // 2, seconds
    normal = [u for u in utts if not u.long and len(u.en.split()) <= 8][:8]
    assert all(len(synthesize(u.en, u.voice)) / SAMPLE_RATE < 10 for u in normal)


def test_overlong_speech_is_sped_up():
    text = " ".join(["one two three four five six seven eight nine ten"] * 4)
    x = synthesize(text, Voice("en-us", 80, 50, 20), max_seconds=8.0)
    assert len(x) <= 8 * SAMPLE_RATE and len(x) % 160 == 0
