"""Audio input (formats, rates, channels, bad files), input discovery, output formats, and the
store that lets an interrupted run resume."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf
import soxr

from espnet_ext.translate.audio import AudioError, load_audio, to_mono_rate
from espnet_ext.translate.files import FileResult, ResultStore, discover
from espnet_ext.translate.outputs import format_jsonl, format_result, format_srt, srt_time
from espnet_ext.translate.translator import Segment, Translation
from tests.translate.srt import parse_srt

FS = 16000


def chirp(seconds: float = 1.5, fs: int = FS) -> np.ndarray:
    t = np.arange(round(seconds * fs)) / fs
    return (0.4 * np.sin(2 * np.pi * (300 + 400 * t) * t)).astype(np.float32)


def test_44k_stereo_is_downmixed_and_resampled(tmp_path):
    mono = chirp()
    hi = soxr.resample(mono, FS, 44100).astype(np.float32)
    stereo = np.stack([hi * 0.5, hi * 1.5], axis=1)  # average = hi
    path = tmp_path / "stereo.wav"
    sf.write(path, stereo, 44100, subtype="FLOAT")
    wave = load_audio(path)
    assert wave.dtype == np.float32 and wave.ndim == 1
    assert abs(len(wave) - len(mono)) <= 1
    n = min(len(wave), len(mono))
    inner = slice(200, n - 200)  # resampler edge effects aside
    np.testing.assert_allclose(wave[inner], mono[inner], atol=2e-3)


@pytest.mark.parametrize("fmt,ext", [("FLAC", ".flac"), ("OGG", ".ogg"), ("WAV", ".wav")])
def test_formats_and_rates(tmp_path, fmt, ext):
    path = tmp_path / f"x{ext}"
    sf.write(path, chirp(1.0, 22050), 22050, format=fmt)
    wave = load_audio(path)
    assert len(wave) == pytest.approx(FS, abs=2)
    assert np.max(np.abs(wave)) == pytest.approx(0.4, abs=0.05)


def test_arrays_ints_and_channel_first():
    pcm = (chirp() * 32767).astype(np.int16)
    np.testing.assert_allclose(to_mono_rate(pcm, FS), chirp(), atol=1e-4)
    both = np.stack([chirp(), chirp()])  # (channels, samples), as torchaudio gives
    np.testing.assert_allclose(to_mono_rate(both, FS), chirp(), atol=1e-6)
    with pytest.raises(AudioError, match="NaN"):
        to_mono_rate(np.array([0.0, np.nan], np.float32), FS, name="clip")
    with pytest.raises(AudioError, match="clip: no audio samples"):
        to_mono_rate(np.zeros(0, np.float32), FS, name="clip")


def test_bad_files_name_the_file(tmp_path):
    (tmp_path / "empty.wav").write_bytes(b"")
    (tmp_path / "garbage.wav").write_bytes(np.random.default_rng(0).bytes(3000))
    sf.write(tmp_path / "zero.wav", np.zeros((0, 1), np.float32), FS)
    cases = {
        "missing.wav": "no such file",
        "empty.wav": r"empty file \(0 bytes\)",
        "garbage.wav": "cannot read as audio",
        "zero.wav": "no audio samples",
    }
    for name, message in cases.items():
        with pytest.raises(AudioError, match=rf"{name}.*{message}|{message}"):
            load_audio(tmp_path / name)
        with pytest.raises(AudioError) as e:
            load_audio(tmp_path / name)
        assert name in str(e.value)


def test_discover_walks_directories(tmp_path):
    (tmp_path / "talks" / "b").mkdir(parents=True)
    for name in ("talks/a.wav", "talks/b/c.FLAC", "talks/b/notes.txt", "single.ogg"):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "nothing").mkdir()
    found = discover(
        [tmp_path / "single.ogg", tmp_path / "talks", tmp_path / "nothing", tmp_path / "nope.wav"]
    )
    assert [(f.name, f.problem is None) for f in found] == [
        ("single.ogg", True), ("a.wav", True), ("b/c.FLAC", True), ("nothing", False),
        ("nope.wav", False),
    ]  # fmt: skip
    assert "no audio files" in found[3].problem and "no such file" in found[4].problem


SEGMENTS = [
    Segment(0.5, 2.25, "hallo welt"),
    Segment(3.0, 3.5, ""),
    Segment(3661.0014, 3662.5, "bis  bald"),
]


def test_srt_is_valid_and_skips_empty_cues():
    assert srt_time(3661.0014) == "01:01:01,001"
    assert srt_time(59.9996) == "00:01:00,000"
    cues = parse_srt(format_srt(SEGMENTS))
    assert cues == [(1, 0.5, 2.25, "hallo welt"), (2, 3661.001, 3662.5, "bis bald")]
    assert parse_srt(format_srt([])) == []


def test_jsonl_and_text():
    records = [json.loads(line) for line in format_jsonl("a.wav", SEGMENTS).splitlines()]
    assert [r["segment"] for r in records] == [0, 1, 2]
    assert records[2] == {"file": "a.wav", "segment": 2, "start": 3661.001, "end": 3662.5,
                          "translation": "bis  bald"}  # fmt: skip
    assert format_result("text", "a.wav", SEGMENTS, False) == "hallo welt\n\nbis bald\n"
    assert (
        format_result("text", "a.wav", SEGMENTS, True, per_file=True)
        == "a.wav\thallo welt bis bald\n"
    )
    assert Translation(SEGMENTS, 3663.0).text == "hallo welt bis  bald"


def test_result_store_resumes_only_same_settings(tmp_path):
    path = tmp_path / "out.jsonl.partial.jsonl"
    store = ResultStore(path, {"pack_sha256": "abc", "beam_size": None})
    store.add(FileResult("a.wav", [Segment(0.0, 1.0, "eins")], 1.5))
    store.add(FileResult("bad.wav", error="bad.wav: no such file"))  # failures are retried
    with open(path, "a", encoding="utf-8") as f:
        f.write('{"path": "b.wav", "dur')  # a record cut short by a crash
    again = ResultStore(path, {"pack_sha256": "abc", "beam_size": None})
    assert list(again.done) == ["a.wav"]
    assert again.done["a.wav"].segments == [Segment(0.0, 1.0, "eins")]
    other = ResultStore(path, {"pack_sha256": "def", "beam_size": None})
    assert other.done == {}
    other.remove()
    assert not path.exists()
