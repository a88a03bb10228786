"""Energy-based voice activity detection: split a long recording into segments to translate.

Speech translation models are trained on sentence-like segments of a few seconds (MuST-C's are
cut at pauses, the pipeline keeps 0.1-20 s). A talk of an hour must be cut the same way before it
is translated. The algorithm, with the parameters of :class:`VADConfig`:

1. **Frame energy.** The recording is cut into frames of ``frame_seconds`` every
   ``hop_seconds``; each frame's level is ``10 log10(mean(x^2) + 1e-10)`` dB relative to full
   scale (so between -100 and about 0 dBFS).
2. **Adaptive threshold.** From the recording's own distribution of frame levels:
   ``floor`` = the ``floor_percentile`` (the background between words and sentences), ``peak`` =
   the ``peak_percentile`` (loud speech, robust to clicks). A frame is speech when its level is
   above ``floor + threshold_ratio * (peak - floor)``. Because the threshold follows the
   recording, it works for quiet and loud recordings and for clean and noisy backgrounds alike.
   A recording whose ``peak`` is below ``silent_db``, or whose levels span less than
   ``min_range_db`` (``peak - floor``: digital silence, hum, stationary noise), has no speech.
3. **Clean-up.** Speech runs separated by less than ``min_silence_seconds`` of non-speech are
   joined (pauses between words are not segment boundaries); runs shorter than
   ``min_speech_seconds`` after that are dropped (clicks, breaths).
4. **Padding.** Each segment is extended by ``pad_seconds`` on both sides (soft onsets and
   endings fall below the threshold), but never past the recording or past the middle of the
   pause to its neighbour, so segments never overlap.
5. **Maximum length.** A segment longer than ``max_segment_seconds`` is split at its
   lowest-energy point: the minimum of the frame levels smoothed over ``split_smooth_seconds``
   (the middle of the quietest stretch when several frames tie), searched at least
   ``min_piece_seconds`` away from both ends; the two pieces are split again until every piece
   fits.

Defaults suit 16 kHz speech with sentence pauses of 0.4 s or more; all times are in seconds.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

_EPS_POWER = 1e-10  # -100 dBFS: the level of digital silence


@dataclass(frozen=True)
class VADConfig:
    """Parameters of :func:`detect_speech` (see the module docstring for their roles)."""

    frame_seconds: float = 0.025
    hop_seconds: float = 0.010
    floor_percentile: float = 5.0
    peak_percentile: float = 95.0
    threshold_ratio: float = 0.3
    silent_db: float = -55.0
    min_range_db: float = 10.0
    min_speech_seconds: float = 0.2
    min_silence_seconds: float = 0.4
    pad_seconds: float = 0.1
    max_segment_seconds: float = 20.0
    min_piece_seconds: float = 1.0
    split_smooth_seconds: float = 0.1

    def __post_init__(self):
        for name in ("frame_seconds", "hop_seconds", "max_segment_seconds", "min_piece_seconds"):
            if getattr(self, name) <= 0:
                raise ValueError(f"VADConfig.{name} must be > 0, got {getattr(self, name)}")
        if self.hop_seconds > self.frame_seconds:
            raise ValueError(
                f"VADConfig.hop_seconds={self.hop_seconds} > frame_seconds={self.frame_seconds}"
            )
        if not 0 <= self.floor_percentile < self.peak_percentile <= 100:
            raise ValueError(
                f"VADConfig percentiles must satisfy 0 <= floor < peak <= 100, got "
                f"{self.floor_percentile}, {self.peak_percentile}"
            )
        if not 0 < self.threshold_ratio < 1:
            raise ValueError(
                f"VADConfig.threshold_ratio must be in (0, 1), got {self.threshold_ratio}"
            )
        if self.max_segment_seconds <= 2 * self.min_piece_seconds:
            raise ValueError(
                f"VADConfig.max_segment_seconds={self.max_segment_seconds} must exceed "
                f"2 * min_piece_seconds={2 * self.min_piece_seconds} so that a split is possible"
            )
        for name in ("min_speech_seconds", "min_silence_seconds", "pad_seconds"):
            if getattr(self, name) < 0:
                raise ValueError(f"VADConfig.{name} must be >= 0, got {getattr(self, name)}")

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Span:
    """A stretch of a recording, in seconds from its start."""

    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


def frame_energy_db(wave: np.ndarray, fs: int, frame_seconds: float, hop_seconds: float):
    """Level of each frame in dBFS.

    Args:
        wave: (samples,) float waveform in [-1, 1].

    Returns:
        (frames,) float64; frame ``i`` covers samples ``[i*hop, i*hop + frame)``. A waveform
        shorter than one frame is one frame.
    """
    frame = max(1, round(frame_seconds * fs))
    hop = max(1, round(hop_seconds * fs))
    # running sums of squares: O(samples) memory, unlike a strided (frames, frame) copy
    sq = np.concatenate([[0.0], np.cumsum(np.asarray(wave, dtype=np.float64) ** 2)])
    if len(wave) <= frame:
        power = np.array([sq[-1] / max(len(wave), 1)])
    else:
        starts = np.arange(0, len(wave) - frame + 1, hop)
        power = (sq[starts + frame] - sq[starts]) / frame
    return 10.0 * np.log10(power + _EPS_POWER)


def level_stats(db: np.ndarray, config: VADConfig) -> tuple[float, float]:
    """(floor, peak) levels of a recording in dBFS, as step 2 of the algorithm defines them."""
    floor, peak = np.percentile(db, [config.floor_percentile, config.peak_percentile])
    return float(floor), float(peak)


def no_speech_reason(wave: np.ndarray, fs: int, config: VADConfig = VADConfig()) -> str | None:
    """Why a recording has no speech to translate (silent or stationary), or None."""
    db = frame_energy_db(wave, fs, config.frame_seconds, config.hop_seconds)
    return _no_speech_reason(db, config)


def _no_speech_reason(db: np.ndarray, config: VADConfig) -> str | None:
    floor, peak = level_stats(db, config)
    if peak < config.silent_db:
        return f"no speech found: silent (level {peak:.0f} dBFS, below {config.silent_db:g})"
    if peak - floor < config.min_range_db:
        return (
            f"no speech found: the level varies by only {peak - floor:.1f} dB "
            f"(< {config.min_range_db:g}; stationary noise or silence)"
        )
    return None


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) index ranges where ``mask`` is True."""
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2])]


def detect_speech(wave: np.ndarray, fs: int, config: VADConfig = VADConfig()) -> list[Span]:
    """Speech segments of a recording, in time order, non-overlapping.

    Args:
        wave: (samples,) float waveform.
        fs: its sample rate.

    Returns:
        The segments (empty when :func:`no_speech_reason` finds no speech), each at most
        ``config.max_segment_seconds`` long.
    """
    duration = len(wave) / fs
    db = frame_energy_db(wave, fs, config.frame_seconds, config.hop_seconds)
    if _no_speech_reason(db, config) is not None:
        return []
    floor, peak = level_stats(db, config)
    active = db > floor + config.threshold_ratio * (peak - floor)
    hop, frame = config.hop_seconds, config.frame_seconds

    # step 3: join runs across short pauses, then drop short runs
    runs: list[list[int]] = []
    for a, b in _runs(active):
        if runs and (a - runs[-1][1]) * hop < config.min_silence_seconds:
            runs[-1][1] = b
        else:
            runs.append([a, b])
    spans = [Span(a * hop, min((b - 1) * hop + frame, duration)) for a, b in runs]
    spans = [s for s in spans if s.duration >= config.min_speech_seconds]

    # step 4: pad, at most to the middle of the pause to each neighbour
    padded = []
    for i, s in enumerate(spans):
        lo = 0.0 if i == 0 else (spans[i - 1].end + s.start) / 2
        hi = duration if i == len(spans) - 1 else (s.end + spans[i + 1].start) / 2
        padded.append(
            Span(max(lo, s.start - config.pad_seconds), min(hi, s.end + config.pad_seconds))
        )

    # step 5: split what is too long
    smooth = _smooth(db, max(1, round(config.split_smooth_seconds / hop)))
    out: list[Span] = []
    for s in padded:
        out.extend(_split(s, smooth, config))
    return out


def _smooth(db: np.ndarray, width: int) -> np.ndarray:
    if width <= 1 or len(db) < width:
        return db
    kernel = np.ones(width) / width
    return np.convolve(
        np.pad(db, (width // 2, width - 1 - width // 2), mode="edge"), kernel, "valid"
    )


def _split(span: Span, smooth: np.ndarray, config: VADConfig) -> list[Span]:
    if span.duration <= config.max_segment_seconds:
        return [span]
    hop, half_frame = config.hop_seconds, config.frame_seconds / 2
    # frames whose centre lies at least min_piece_seconds inside both ends
    first = int(np.ceil((span.start + config.min_piece_seconds - half_frame) / hop))
    last = int(np.floor((span.end - config.min_piece_seconds - half_frame) / hop))
    first, last = max(first, 0), min(last, len(smooth) - 1)
    if last < first:  # cannot happen with a valid config; keep the span rather than loop
        return [span]
    window = smooth[first : last + 1]
    best = int(np.argmin(window))
    # the middle of the run of (near-)equal minima, e.g. a stretch of digital silence
    quiet = window <= window[best] + 0.1
    lo = best
    while lo > 0 and quiet[lo - 1]:
        lo -= 1
    hi = best
    while hi < len(window) - 1 and quiet[hi + 1]:
        hi += 1
    cut = (first + (lo + hi) // 2) * hop + half_frame
    return _split(Span(span.start, cut), smooth, config) + _split(
        Span(cut, span.end), smooth, config
    )
