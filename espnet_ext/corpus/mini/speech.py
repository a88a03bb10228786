"""English speech from espeak-ng, and talk wavs assembled from it.

One espeak-ng process speaks one utterance (its output length is then exact); a thread pool
runs several at once. Audio is resampled from espeak's 22.05 kHz to 16 kHz and padded to a
whole number of 10-ms frames, so every offset and duration in the corpus is an exact
multiple of 0.01 s. Talk-level background noise is seeded numpy noise.
"""

from __future__ import annotations

import shutil
import subprocess
import wave
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import soxr

from espnet_ext.fileio import atomic_open

SAMPLE_RATE = 16000
FRAME = 160  # samples per 10 ms
MAX_SECONDS = 30.0

# espeak-ng English accents and voice variants (``espeak-ng --voices=en``, ``--voices=variant``).
ACCENTS = (
    "en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp", "en-029", "en-gb-x-gbclan",
    "en-gb-x-gbcwmd", "en-us-nyc",
)  # fmt: skip
VARIANTS = ("m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "f5")


@dataclass(frozen=True)
class Voice:
    """espeak-ng settings: ``name`` (accent+variant), ``speed`` (words per minute, ``-s``),
    ``pitch`` (0-99, ``-p``), ``gap`` (extra pause between words in 10 ms, ``-g``)."""

    name: str
    speed: int
    pitch: int
    gap: int = 0


def check_espeak() -> str:
    """Path of espeak-ng, or a clear error telling how to install it."""
    path = shutil.which("espeak-ng")
    if path is None:
        raise RuntimeError(
            "espeak-ng is not installed; the mini corpus needs it for speech "
            "(Debian/Ubuntu: apt-get install -y espeak-ng)"
        )
    return path


def espeak(text: str, voice: Voice) -> tuple[np.ndarray, int]:
    """Speak ``text``: (int16 samples, sample rate) as espeak-ng writes them."""
    cmd = [
        "espeak-ng",
        "-v",
        voice.name,
        "-s",
        str(voice.speed),
        "-p",
        str(voice.pitch),
        "-g",
        str(voice.gap),
        "--stdout",
    ]
    proc = subprocess.run(cmd, input=text.encode("utf-8"), capture_output=True)
    if proc.returncode != 0:
        raise RuntimeError(
            f"espeak-ng failed (exit {proc.returncode}) on {text!r} with voice {voice}: "
            f"{proc.stderr.decode(errors='replace').strip()}"
        )
    return parse_wav_stream(proc.stdout, what=f"espeak-ng output for {text!r}")


def parse_wav_stream(data: bytes, what: str = "wav data") -> tuple[np.ndarray, int]:
    """Samples of a 16-bit mono wav whose header may carry no real length (a stream)."""
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError(f"{what} is not a RIFF/WAVE stream (starts with {data[:12]!r})")
    fmt = data.find(b"fmt ", 12)
    if fmt < 0:
        raise ValueError(f"{what} has no fmt chunk")
    channels = int.from_bytes(data[fmt + 10 : fmt + 12], "little")
    rate = int.from_bytes(data[fmt + 12 : fmt + 16], "little")
    bits = int.from_bytes(data[fmt + 22 : fmt + 24], "little")
    if channels != 1 or bits != 16:
        raise ValueError(f"{what}: expected 16-bit mono PCM, got {channels} ch, {bits} bit")
    pos = data.find(b"data", fmt)
    body = data[pos + 8 :]
    return np.frombuffer(body[: len(body) // 2 * 2], dtype="<i2"), rate


def synthesize(text: str, voice: Voice, max_seconds: float = MAX_SECONDS) -> np.ndarray:
    """``text`` spoken at 16 kHz (float32 in [-1, 1]), padded to whole 10-ms frames.

    Speech longer than ``max_seconds`` is spoken again faster until it fits, so the
    result does not depend on anything but ``text`` and ``voice``.
    """
    while True:
        raw, rate = espeak(text, voice)
        x = soxr.resample(raw.astype(np.float32) / 32768.0, rate, SAMPLE_RATE, quality="HQ")
        x = np.clip(x, -1.0, 1.0).astype(np.float32)
        if len(x) <= max_seconds * SAMPLE_RATE or voice.speed >= 400:
            break
        voice = replace(voice, speed=voice.speed + 20, gap=max(0, voice.gap - 3))
    pad = (-len(x)) % FRAME
    return np.concatenate([x, np.zeros(pad, np.float32)]) if pad else x


def add_noise(x: np.ndarray, kind: str, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    """``x`` plus white or brown (random-walk) noise at ``snr_db`` below its speech level."""
    n = rng.standard_normal(len(x)).astype(np.float64)
    if kind == "brown":
        n = np.cumsum(n)
        n -= _moving_average(n, 801)  # keep the random walk from drifting away
    elif kind != "white":
        raise ValueError(f"unknown noise kind {kind!r}; choose white or brown")
    voiced = np.abs(x) > 1e-3
    speech_rms = float(np.sqrt(np.mean(x[voiced] ** 2))) if voiced.any() else 0.1
    noise_rms = float(np.sqrt(np.mean(n**2))) or 1.0
    n *= speech_rms / noise_rms * 10 ** (-snr_db / 20)
    return (x + n).astype(np.float32)


def _moving_average(x: np.ndarray, width: int) -> np.ndarray:
    """Centred moving average of ``x`` (same length; edges use a shorter window)."""
    c = np.concatenate([[0.0], np.cumsum(x)])
    idx = np.arange(len(x))
    lo = np.maximum(idx - width // 2, 0)
    hi = np.minimum(idx + width // 2 + 1, len(x))
    return (c[hi] - c[lo]) / (hi - lo)


def to_int16(x: np.ndarray) -> np.ndarray:
    return np.clip(np.round(x * 32767.0), -32768, 32767).astype("<i2")


def write_wav(path: str | Path, samples: np.ndarray) -> None:
    """Write 16-bit mono 16 kHz PCM atomically (stdlib ``wave``: a fixed 44-byte header)."""
    with atomic_open(path, "wb") as f:
        with wave.open(f, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(SAMPLE_RATE)
            w.writeframes(to_int16(samples).tobytes())


def read_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """(int16 samples, sample rate) of a 16-bit mono wav."""
    with wave.open(str(path), "rb") as w:
        if w.getnchannels() != 1 or w.getsampwidth() != 2:
            raise ValueError(f"{path}: expected 16-bit mono, got {w.getnchannels()} channels")
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2"), w.getframerate()
