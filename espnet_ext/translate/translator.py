"""The Python API: ``Translator.from_pack(path).translate(audio)``, the same for every system.

::

    from espnet_ext import Translator

    tr = Translator.from_pack("exp/st_scratch/packed/st_scratch.zip", device="cpu", beam_size=5)
    result = tr.translate("talk.flac")            # a path, or an array with sample_rate=
    print(result.text)                            # the segments' translations joined
    for seg in result.segments:                   # Segment(start, end, text), seconds
        print(f"{seg.start:.2f}-{seg.end:.2f} {seg.text}")
    results = tr.translate_batch(["a.wav", "b.wav"])

Each input is read (any format soundfile reads), downmixed and resampled to the model's rate,
split into speech segments by :mod:`espnet_ext.translate.vad` (``vad=None``: translated whole),
and the segments of all inputs of a call are translated in batches of similar length.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from espnet_ext.translate.adapters import SystemAdapter, adapter_class
from espnet_ext.translate.audio import AudioError, load_audio, to_mono_rate
from espnet_ext.translate.vad import Span, VADConfig, detect_speech, no_speech_reason

logger = logging.getLogger(__name__)

DEFAULT_VAD = VADConfig()


@dataclass(frozen=True)
class Segment:
    """One translated stretch of the input (seconds from its start)."""

    start: float
    end: float
    text: str


@dataclass
class Translation:
    """The result for one input: ``text`` joins the segments' non-empty translations.

    ``segments`` is empty when the input has no speech (``no_speech`` says why).
    """

    segments: list[Segment]
    duration: float
    no_speech: str | None = None
    text: str = field(init=False)

    def __post_init__(self):
        self.text = " ".join(s.text for s in self.segments if s.text)

    def __str__(self) -> str:
        return self.text


class Translator:
    """A loaded system with audio handling, segmentation and batching around it.

    Args:
        adapter: the system (see :mod:`espnet_ext.translate.adapters`).
        vad: segmentation settings; None translates every input whole.
        batch_size: segments per model call.
        meta: the pack's ``meta.json`` (system, task, languages, scores, ...).
    """

    def __init__(
        self,
        adapter: SystemAdapter,
        vad: VADConfig | None = DEFAULT_VAD,
        batch_size: int = 8,
        meta: dict | None = None,
        pack_sha256: str | None = None,
    ):
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.adapter = adapter
        self.vad = vad
        self.batch_size = batch_size
        self.meta = meta or {}
        self.pack_sha256 = pack_sha256

    @classmethod
    def from_pack(
        cls,
        path: str | os.PathLike,
        device: str = "cpu",
        beam_size: int | None = None,
        vad: VADConfig | None = DEFAULT_VAD,
        batch_size: int = 8,
        cache_dir: str | os.PathLike | None = None,
        options: dict | None = None,
    ) -> Translator:
        """Load a pack written by ``python -m espnet_ext.bin.pack``.

        Args:
            device: ``cpu``, ``cuda`` or ``cuda:N``.
            beam_size: overrides the pack's decoding config.
            cache_dir: where packs are extracted (default: see :mod:`espnet_ext.translate.unpack`).
            options: adapter-specific settings (e.g. ``{"batched": False}`` for ESPnet ST).
        """
        from espnet_ext.translate.unpack import open_pack

        pack = open_pack(path, cache_dir)
        adapter = adapter_class(pack.task).load(
            pack, device=device, beam_size=beam_size, **(options or {})
        )
        return cls(
            adapter, vad=vad, batch_size=batch_size, meta=pack.meta, pack_sha256=pack.sha256
        )

    @property
    def sample_rate(self) -> int:
        return self.adapter.sample_rate

    def load(self, item, sample_rate: int | None = None, name: str = "input") -> np.ndarray:
        """A path or a waveform -> (samples,) float32 mono at :attr:`sample_rate`.

        A waveform without ``sample_rate`` is taken to be at the model's rate already.
        """
        if isinstance(item, (str, os.PathLike)):
            return load_audio(item, self.sample_rate)
        return to_mono_rate(item, sample_rate or self.sample_rate, self.sample_rate, name=name)

    def segment(self, wave: np.ndarray) -> tuple[list[Span], str | None]:
        """(speech spans, None) or ([], reason) for a waveform at :attr:`sample_rate`."""
        fs = self.sample_rate
        if self.vad is None:
            reason = no_speech_reason(wave, fs)
            return ([], reason) if reason else ([Span(0.0, len(wave) / fs)], None)
        spans = detect_speech(wave, fs, self.vad)
        if not spans:
            return [], no_speech_reason(wave, fs, self.vad) or "no speech found"
        return spans, None

    def translate(self, item, sample_rate: int | None = None) -> Translation:
        """Translate one input (a path, or a waveform array/tensor at ``sample_rate``)."""
        return self.translate_batch([item], sample_rate=sample_rate)[0]

    def translate_batch(
        self, items: Sequence, sample_rate: int | None = None, progress: bool = False
    ) -> list[Translation]:
        """Translate several inputs; segments of all of them are batched together.

        Raises:
            AudioError: an input cannot be read (the message names it).
        """
        waves = [self.load(x, sample_rate, name=f"input {i}") for i, x in enumerate(items)]
        plans = [self.segment(w) for w in waves]
        pieces = [self.cut(w, spans) for w, (spans, _) in zip(waves, plans)]
        flat = [p for ps in pieces for p in ps]
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=len(flat), unit="seg", desc="translating")
        texts = self.translate_segments(
            flat, on_batch=(lambda b: bar.update(len(b))) if bar else None
        )
        if bar is not None:
            bar.close()
        out, pos = [], 0
        for wave, (spans, reason) in zip(waves, plans):
            segs = [
                Segment(s.start, s.end, t) for s, t in zip(spans, texts[pos : pos + len(spans)])
            ]
            pos += len(spans)
            out.append(Translation(segs, len(wave) / self.sample_rate, no_speech=reason))
        return out

    def cut(self, wave: np.ndarray, spans: list[Span]) -> list[np.ndarray]:
        fs = self.sample_rate
        return [wave[round(s.start * fs) : round(s.end * fs)] for s in spans]

    def translate_segments(
        self,
        waves: Sequence[np.ndarray],
        on_batch: Callable[[list[np.ndarray]], None] | None = None,
    ) -> list[str]:
        """Translate waveforms already at :attr:`sample_rate` (no segmentation).

        They are sorted by length so that each batch holds similar lengths (little padding),
        and the translations are returned in the input order. ``on_batch`` is called with each
        finished batch (progress reporting).
        """
        order = sorted(range(len(waves)), key=lambda i: -len(waves[i]))
        texts: list[str] = [""] * len(waves)
        for b in range(0, len(order), self.batch_size):
            idx = order[b : b + self.batch_size]
            batch = [waves[i] for i in idx]
            for i, text in zip(idx, self.adapter.translate_batch(batch)):
                texts[i] = text
            if on_batch is not None:
                on_batch(batch)
        return texts


__all__ = ["AudioError", "Segment", "Translation", "Translator", "VADConfig"]
