"""What the mini corpus will contain, decided before any audio exists.

:func:`make_plan` draws every sentence, talk, speaker, pause and noise setting from seeded
generators, in a fixed order and independently of which pairs are asked for, so the same
seed always gives the same corpus (and a subset of pairs gives a subset of the files).
English sentences are unique across all corpora and splits: no dev/test sentence is in any
train set or in the text-only data.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field

from espnet_ext.corpus.mini.frames import Sentence
from espnet_ext.corpus.mini.realise import realise
from espnet_ext.corpus.mini.sampler import FrameSampler
from espnet_ext.corpus.mini.speech import ACCENTS, VARIANTS, Voice

MIN_WORDS, MAX_WORDS = 3, 25
LONG_WORDS = 21  # a "long" utterance has at least this many words and is spoken slowly
LONG_SHARE = 0.04
TALK_SIZES = (10, 40)  # utterances per talk wav
MUSTC_SPLITS = ("train", "dev", "tst-COMMON", "tst-HE")
HOW2_SPLITS = ("train", "val", "dev5")
_ID_CHARS = string.ascii_letters + string.digits  # no "-"/"_": Kaldi sort orders stay simple


@dataclass(frozen=True)
class SizeSpec:
    """Utterances per split (``mustc``, ``how2``) and text-only lines per pair
    (``text_factor`` times the MuST-C train count)."""

    mustc: dict[str, int]
    how2: dict[str, int]
    text_factor: int = 5

    @property
    def text_lines(self) -> int:
        return self.text_factor * self.mustc["train"]


SIZES = {
    "tiny": SizeSpec(
        mustc={"train": 200, "dev": 30, "tst-COMMON": 30, "tst-HE": 30},
        how2={"train": 200, "val": 30, "dev5": 30},
    ),
    "mini": SizeSpec(
        mustc={"train": 3000, "dev": 300, "tst-COMMON": 300, "tst-HE": 300},
        how2={"train": 3000, "val": 300, "dev5": 300},
    ),
}


@dataclass
class Utterance:
    en: str
    frame: Sentence
    voice: Voice
    long: bool = False


@dataclass
class Talk:
    """One talk/video wav: ``name`` (``ted_12`` or an 11-character video id), ``speaker``
    (``spk.12`` or the video id), its utterances, the pauses around them in 10-ms frames
    (``len(utterances) + 1``: before each, then after the last), loudness and noise."""

    name: str
    speaker: str
    utterances: list[Utterance]
    pauses: list[int]
    gain: float
    noise: tuple[str, float] | None  # (white|brown, SNR dB)
    noise_seed: int


@dataclass
class Plan:
    seed: int
    mustc: dict[str, list[Talk]] = field(default_factory=dict)
    how2: dict[str, list[Talk]] = field(default_factory=dict)
    text: list[tuple[str, Sentence]] = field(default_factory=list)


class SentencePool:
    """Draws sentences whose English side has not been drawn before."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def draw(self, sampler: FrameSampler, domain: str, *, long: bool = False):
        for _ in range(20000):
            frame = sampler.compound() if long else sampler.sentence(domain)
            en = realise(frame, "en")
            n = len(en.split())
            if (
                MIN_WORDS <= n <= MAX_WORDS
                and (n >= LONG_WORDS or not long)
                and en not in self.seen
            ):
                self.seen.add(en)
                return en, frame
        raise RuntimeError(f"could not draw a new {domain} sentence (long={long}) in 20000 tries")


def talk_sizes(n: int, rng: random.Random) -> list[int]:
    """Split ``n`` utterances into talks of TALK_SIZES[0]..TALK_SIZES[1] (one smaller talk
    only when ``n`` itself is smaller)."""
    lo, hi = TALK_SIZES
    sizes = []
    while n > hi:
        k = rng.randint(lo, min(hi, n - lo))
        sizes.append(k)
        n -= k
    if n:
        sizes.append(n)
    return sizes


def speaker_voice(rng: random.Random) -> tuple[Voice, bool]:
    """A talk's voice and whether its speaker is a slow one."""
    name = f"{rng.choice(ACCENTS)}+{rng.choice(VARIANTS)}"
    slow = rng.random() < 0.15
    speed = rng.randint(100, 125) if slow else rng.randint(135, 185)
    return Voice(name, speed, rng.randint(25, 75), rng.randint(1, 4) if slow else 0), slow


def plan_talks(
    names,
    speakers,
    counts: list[int],
    domain: str,
    pool: SentencePool,
    sampler: FrameSampler,
    rng: random.Random,
) -> list[Talk]:
    talks = []
    for name, speaker, n in zip(names, speakers, counts):
        base, _ = speaker_voice(rng)
        utts = []
        for _ in range(n):
            long = rng.random() < LONG_SHARE
            en, frame = pool.draw(sampler, domain, long=long)
            if long:  # slow, deliberate speech: these make the >20 s segments
                voice = Voice(base.name, rng.randint(80, 86), base.pitch, rng.randint(9, 13))
            else:
                voice = Voice(base.name, base.speed + rng.randint(-8, 8), base.pitch, base.gap)
            utts.append(Utterance(en, frame, voice, long))
        pauses = [rng.randint(30, 150)] + [rng.randint(25, 120) for _ in range(n - 1)]
        pauses.append(rng.randint(30, 100))
        noise = None
        if rng.random() < 0.3:
            noise = (rng.choice(("white", "brown")), float(rng.randint(5, 25)))
        talks.append(
            Talk(
                name,
                speaker,
                utts,
                pauses,
                round(rng.uniform(0.45, 0.8), 2),
                noise,
                rng.randrange(2**31),
            )
        )
    return talks


def video_ids(n: int, rng: random.Random) -> list[str]:
    ids: set[str] = set()
    while len(ids) < n:
        ids.add("".join(rng.choice(_ID_CHARS) for _ in range(11)))
    return sorted(ids)


def make_plan(seed: int, spec: SizeSpec) -> Plan:
    """Everything the corpus holds, except audio. Test splits are drawn first, so a
    sentence that could be both in test and train ends up in test."""
    plan = Plan(seed)
    pool = SentencePool()

    rng = random.Random(f"mustc-{seed}")
    sampler = FrameSampler(random.Random(f"mustc-sentences-{seed}"))
    order = ("tst-COMMON", "tst-HE", "dev", "train")
    sizes = {split: talk_sizes(spec.mustc[split], rng) for split in order}
    total = sum(len(s) for s in sizes.values())
    numbers = rng.sample(range(1, 4 * total + 100), total)  # TED talk ids, unique per pair
    for split in order:
        ids, numbers = sorted(numbers[: len(sizes[split])]), numbers[len(sizes[split]) :]
        plan.mustc[split] = plan_talks(
            [f"ted_{i}" for i in ids],
            [f"spk.{i}" for i in ids],
            sizes[split],
            "talk",
            pool,
            sampler,
            rng,
        )

    rng = random.Random(f"how2-{seed}")
    sampler = FrameSampler(random.Random(f"how2-sentences-{seed}"))
    order = ("dev5", "val", "train")
    sizes = {split: talk_sizes(spec.how2[split], rng) for split in order}
    videos = video_ids(sum(len(s) for s in sizes.values()), rng)
    rng.shuffle(videos)
    for split in order:
        ids, videos = sorted(videos[: len(sizes[split])]), videos[len(sizes[split]) :]
        plan.how2[split] = plan_talks(ids, ids, sizes[split], "howto", pool, sampler, rng)

    sampler = FrameSampler(random.Random(f"text-{seed}"))
    rng = random.Random(f"text-domain-{seed}")
    for _ in range(spec.text_lines):
        plan.text.append(pool.draw(sampler, "talk" if rng.random() < 0.7 else "howto"))
    return plan
