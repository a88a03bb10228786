"""Energy VAD: frame levels, speech found in joined espeak-ng utterances, splits at pauses and
at the quietest point of over-long speech, no speech in silence or stationary noise."""

from __future__ import annotations

import numpy as np
import pytest

from espnet_ext.translate.vad import (
    Span,
    VADConfig,
    detect_speech,
    frame_energy_db,
    no_speech_reason,
)
from tests.fixtures.translate import FS, espeak, join_with_pauses

SENTENCES = [
    "the weather is nice today",
    "please open the window",
    "we will meet again tomorrow morning",
    "thank you",
]


@pytest.fixture(scope="module")
def utterances():
    return [espeak(s) for s in SENTENCES]


def test_frame_energy_matches_direct_computation():
    rng = np.random.default_rng(0)
    wave = rng.standard_normal(FS).astype(np.float32) * 0.1
    db = frame_energy_db(wave, FS, 0.025, 0.010)
    frame, hop = 400, 160
    assert len(db) == 1 + (FS - frame) // hop
    for i in (0, 7, len(db) - 1):
        x = wave[i * hop : i * hop + frame].astype(np.float64)
        assert db[i] == pytest.approx(10 * np.log10(np.mean(x**2) + 1e-10), abs=1e-6)
    assert frame_energy_db(np.zeros(100, np.float32), FS, 0.025, 0.010).tolist() == [-100.0]


@pytest.mark.parametrize("noise_db", [-65.0, -45.0])
def test_joined_utterances_split_at_the_pauses(utterances, noise_db):
    pauses = [1.0, 0.8, 1.4]
    wave, truth = join_with_pauses(utterances, pauses, lead=0.6, tail=0.9, noise_db=noise_db)
    spans = detect_speech(wave, FS, VADConfig())
    assert len(spans) == len(truth), (spans, truth)
    # every utterance lies inside its segment (a frame of slack at the edges)
    for span, (start, end) in zip(spans, truth):
        assert span.start <= start + 0.03 and span.end >= end - 0.03, (span, start, end)
        assert span.start >= 0 and span.end <= len(wave) / FS
    # the boundary between two segments is the middle of the true pause (within 0.2 s)
    for left, right, (_, end), (start, _) in zip(spans, spans[1:], truth, truth[1:]):
        assert left.end <= right.start
        assert (left.end + right.start) / 2 == pytest.approx((end + start) / 2, abs=0.2)


def test_short_pauses_do_not_split(utterances):
    wave, truth = join_with_pauses(utterances[:2], [0.2], lead=0.5, tail=0.5, noise_db=-60.0)
    spans = detect_speech(wave, FS, VADConfig(min_silence_seconds=0.4))
    assert len(spans) == 1
    assert spans[0].start <= truth[0][0] and spans[0].end >= truth[1][1] - 0.03


def test_long_speech_split_at_its_quietest_point(utterances):
    # 3 utterances with short (0.25 s) pauses: one region; the middle pause is the quietest
    quiet = join_with_pauses(utterances[:3], [0.25, 0.25], lead=0.5, tail=0.5, noise_db=-60.0)
    wave, truth = quiet
    # make the first pause louder than the second so the lowest energy is in the second one
    first_pause = slice(round(truth[0][1] * FS), round(truth[1][0] * FS))
    wave = wave.copy()
    wave[first_pause] += 0.003 * np.random.default_rng(1).standard_normal(len(wave[first_pause]))
    config = VADConfig(max_segment_seconds=truth[2][1] - truth[0][0] - 0.5, min_piece_seconds=0.5)
    spans = detect_speech(wave, FS, config)
    assert len(spans) == 2, spans
    assert spans[0].end == spans[1].start  # a split, not a pause
    assert truth[1][1] <= spans[0].end <= truth[2][0], (spans, truth)
    assert all(s.duration <= config.max_segment_seconds for s in spans)


def test_recursive_split_respects_max_length():
    # 12 s of continuous "speech" (amplitude-modulated noise, no pause at all)
    rng = np.random.default_rng(0)
    t = np.arange(12 * FS) / FS
    wave = (rng.standard_normal(len(t)) * (0.3 + 0.25 * np.sin(2 * np.pi * 0.7 * t))).astype(
        np.float32
    )
    wave = np.concatenate([np.zeros(FS // 2, np.float32), wave, np.zeros(FS // 2, np.float32)])
    config = VADConfig(max_segment_seconds=3.0, min_piece_seconds=0.5)
    spans = detect_speech(wave, FS, config)
    assert len(spans) >= 4
    assert all(0.5 - 0.02 <= s.duration <= 3.0 for s in spans), spans
    assert all(a.end == b.start for a, b in zip(spans, spans[1:]))  # contiguous pieces


def test_silence_and_stationary_noise_have_no_speech():
    assert detect_speech(np.zeros(2 * FS, np.float32), FS) == []
    assert "silent" in no_speech_reason(np.zeros(2 * FS, np.float32), FS)
    noise = (np.random.default_rng(0).standard_normal(3 * FS) * 0.05).astype(np.float32)
    assert detect_speech(noise, FS) == []
    assert "stationary" in no_speech_reason(noise, FS)


def test_config_is_validated():
    with pytest.raises(ValueError, match="max_segment_seconds"):
        VADConfig(max_segment_seconds=1.0, min_piece_seconds=1.0)
    with pytest.raises(ValueError, match="threshold_ratio"):
        VADConfig(threshold_ratio=1.5)
    assert Span(1.0, 3.5).duration == 2.5
