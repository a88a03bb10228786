"""Audio input of the translate command and API: any file soundfile reads, any rate and channels.

Everything leaves this module as a mono float32 waveform at the model's rate (16 kHz for every
system so far): channels are averaged and the rate is converted with soxr (quality ``HQ``, the
same resampler the pipeline's audio dump uses, so a translated file sees what training saw).
Problems raise :class:`AudioError` with the file name, so a caller translating a folder can
report the file and go on.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

TARGET_RATE = 16000

# Extensions picked up when a directory is walked (explicitly named files are always tried).
# soundfile (libsndfile >= 1.1) reads all of them; mp3 needs libsndfile built with mpg123.
AUDIO_EXTENSIONS = (
    ".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aif", ".aiff", ".au", ".caf", ".w64",
)  # fmt: skip


class AudioError(ValueError):
    """An input that cannot be translated; the message names the file (or the input)."""


def load_audio(path: str | os.PathLike, target_rate: int = TARGET_RATE) -> np.ndarray:
    """Read ``path`` and return (samples,) float32 mono at ``target_rate``.

    Raises:
        AudioError: missing file, a directory, unreadable or undecodable data, no samples.
    """
    import soundfile as sf

    path = Path(path)
    if not path.exists():
        raise AudioError(f"{path}: no such file")
    if path.is_dir():
        raise AudioError(f"{path}: is a directory, not an audio file")
    if path.stat().st_size == 0:
        raise AudioError(f"{path}: empty file (0 bytes)")
    try:
        data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.SoundFileError, RuntimeError, TypeError) as e:
        # libsndfile's message says what is wrong ("Format not recognised", ...)
        raise AudioError(f"{path}: cannot read as audio ({e})") from None
    return to_mono_rate(data, rate, target_rate, name=str(path))


def to_mono_rate(
    wave, sample_rate: int, target_rate: int = TARGET_RATE, name: str = "waveform"
) -> np.ndarray:
    """Convert a waveform array to (samples,) float32 mono at ``target_rate``.

    Args:
        wave: (samples,) or 2-D with a channel axis; for 2-D input the shorter axis is taken as
            the channel axis, so both soundfile's (samples, channels) and torchaudio's
            (channels, samples) work. Integer samples are scaled to [-1, 1). A torch tensor is
            accepted too.
        sample_rate: rate of ``wave`` in Hz.
        name: what error messages call the input.
    """
    if hasattr(wave, "detach"):  # torch tensor, without importing torch here
        wave = wave.detach().cpu().numpy()
    wave = np.asarray(wave)
    if wave.ndim not in (1, 2):
        raise AudioError(f"{name}: expected a 1-D or 2-D waveform, got shape {wave.shape}")
    if wave.size == 0:
        raise AudioError(f"{name}: no audio samples")
    if np.issubdtype(wave.dtype, np.integer):
        wave = wave / float(np.iinfo(wave.dtype).max + 1)
    if wave.ndim == 2:
        # (C, T) -> (T, C) when the first axis is the shorter (channel) one
        if wave.shape[0] < wave.shape[1]:
            wave = wave.T
        wave = wave.astype(np.float64).mean(axis=1)
    wave = np.asarray(wave, dtype=np.float32)
    if not np.all(np.isfinite(wave)):
        raise AudioError(f"{name}: waveform contains NaN or infinite samples")
    if not sample_rate or sample_rate <= 0:
        raise AudioError(f"{name}: invalid sample rate {sample_rate!r}")
    if sample_rate != target_rate:
        import soxr

        wave = soxr.resample(wave, sample_rate, target_rate, quality="HQ").astype(np.float32)
        if wave.size == 0:
            raise AudioError(f"{name}: too short to resample ({sample_rate} Hz -> {target_rate})")
    return wave
