"""Helpers of the per-system pack tests: Kaldi text files and translating wav files from a pack."""

from __future__ import annotations

from pathlib import Path


def read_text(path: Path) -> dict[str, str]:
    """``{utt: text}`` of a Kaldi text file (a line with the id alone: empty text)."""
    out = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        key, _, text = line.partition(" ")
        out[key] = text.strip()
    return out


def read_scp(path: Path) -> dict[str, str]:
    return dict(line.split(maxsplit=1) for line in Path(path).read_text().splitlines())


def translate_from_pack(zip_path: Path, wavs: dict[str, str], cache: Path, **kwargs):
    """``{utt: translation}`` of each wav, translated whole (no VAD), and the translator."""
    from espnet_ext import Translator

    translator = Translator.from_pack(zip_path, vad=None, cache_dir=cache, **kwargs)
    keys = sorted(wavs)
    results = translator.translate_batch([wavs[k] for k in keys])
    return {k: r.text for k, r in zip(keys, results)}, translator


def assert_gone(*paths: Path) -> None:
    for path in paths:
        assert not Path(path).exists(), path
