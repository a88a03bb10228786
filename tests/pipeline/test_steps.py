"""Stages 2-5 and the decode helpers of the shared pipeline, on a small hand-made data dir."""

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from espnet_ext.pipeline.audio_dump import UntrustedCommandError, dump_job, merge_jobs
from espnet_ext.pipeline.datadir import read_map, split_keys, write_map
from espnet_ext.pipeline.decode_outputs import merge_texts, write_rtf
from espnet_ext.pipeline.filtering import filter_dir
from espnet_ext.pipeline.speed_perturb import speed_perturb_dir
from espnet_ext.pipeline.tokenizer import train_sentencepiece


@pytest.fixture
def data_dir(tmp_path) -> Path:
    """Two recordings: a 3 s mono 16 kHz one and a 2 s stereo 8 kHz one with two segments each."""
    rng = np.random.default_rng(0)
    wavs = tmp_path / "wavs"
    wavs.mkdir()
    sf.write(wavs / "talkA.wav", rng.uniform(-0.5, 0.5, 48000).astype(np.float32), 16000)
    stereo = np.stack([np.full(16000, 0.25), np.full(16000, -0.25)], axis=1)
    sf.write(wavs / "talkB.wav", stereo.astype(np.float32), 8000)
    d = tmp_path / "data"
    write_map(d / "wav.scp", {"talkA": str(wavs / "talkA.wav"), "talkB": str(wavs / "talkB.wav")})
    segments = {
        "talkA-0000000-0001000": "talkA 0.000 1.000",
        "talkA-0001500-0003000": "talkA 1.500 3.000",
        "talkB-0000000-0000050": "talkB 0.000 0.050",
        "talkB-0000500-0002000": "talkB 0.500 2.000",
    }
    write_map(d / "segments", segments)
    write_map(d / "utt2spk", {u: u.split("-")[0] for u in segments})
    write_map(d / "text.tc.en", {u: f"Sentence {i}." for i, u in enumerate(segments)})
    write_map(
        d / "text.tc.de", {u: ("" if i == 3 else f"Satz {i}.") for i, u in enumerate(segments)}
    )
    return d


def _dump(data_dir: Path, out: Path, nj: int = 2) -> dict:
    for job in range(1, nj + 1):
        dump_job(data_dir, out, job, nj)
    return merge_jobs(data_dir, out, nj)


def test_dump_cuts_downmixes_and_resamples(data_dir, tmp_path):
    out = tmp_path / "dump"
    report = _dump(data_dir, out)
    assert report["kept"] == 4 and report["skipped"] == {}
    n = {u: int(v) for u, v in read_map(out / "utt2num_samples").items()}
    assert n == {"talkA-0000000-0001000": 16000, "talkA-0001500-0003000": 24000,
                 "talkB-0000000-0000050": 800, "talkB-0000500-0002000": 24000}  # fmt: skip
    audio, rate = sf.read(read_map(out / "wav.scp")["talkB-0000500-0002000"])
    assert rate == 16000 and audio.ndim == 1
    # the two channels (+0.25, -0.25) average to silence
    assert np.abs(audio).max() < 1e-3
    original, _ = sf.read(data_dir.parent / "wavs/talkA.wav")
    cut, _ = sf.read(read_map(out / "wav.scp")["talkA-0001500-0003000"])
    np.testing.assert_allclose(cut, original[24000:48000], atol=1 / 32768)
    assert read_map(out / "text.tc.en") == read_map(data_dir / "text.tc.en")
    assert read_map(out / "spk2utt")["talkA"] == "talkA-0000000-0001000 talkA-0001500-0003000"


def test_dump_rerun_skips_finished_jobs_and_redoes_missing_ones(data_dir, tmp_path, caplog):
    out = tmp_path / "dump"
    _dump(data_dir, out)
    (out / "parts" / "wav.scp.2").unlink()
    files_before = {p: p.stat().st_mtime_ns for p in (out / "data").rglob("*.wav")}
    with pytest.raises(FileNotFoundError, match=r"dump jobs \[2\] have not finished"):
        merge_jobs(data_dir, out, 2)
    caplog.set_level("INFO")
    _dump(data_dir, out)
    assert "job 1 already done" in caplog.text
    # segment files written before are reused, not rewritten
    assert {p: p.stat().st_mtime_ns for p in (out / "data").rglob("*.wav")} == files_before


def test_dump_rerun_removes_temporaries_of_a_killed_job(data_dir, tmp_path):
    out = tmp_path / "dump"
    _dump(data_dir, out)
    clean = sorted(p.relative_to(out) for p in out.rglob("*"))
    # what a job killed by SIGTERM mid-write (and a killed merge) leave besides complete files
    for name in ("wav.scp.1", "report.1.json"):
        (out / "parts" / name).unlink()
    leftovers = [
        out / "data" / "format.1" / ".talkA-0000000-0001000.wav.abcd1234.tmp",
        out / "parts" / ".wav.scp.1.abcd1234.tmp",
        out / ".utt2num_samples.abcd1234.tmp",
    ]
    other_job = out / "parts" / ".wav.scp.2.abcd1234.tmp"  # not job 1's: left alone by it
    for path in (*leftovers, other_job):
        path.write_bytes(b"RIFF")
    dump_job(data_dir, out, 1, 2)
    merge_jobs(data_dir, out, 2)
    assert not any(p.exists() for p in leftovers)
    other_job.unlink()
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == clean


def test_dump_counts_unreadable_recordings_and_out_of_range_segments(data_dir, tmp_path):
    (data_dir.parent / "wavs/talkB.wav").write_bytes(b"RIFF garbage")
    segments = read_map(data_dir / "segments")
    segments["talkA-0002000-0009000"] = "talkA 2.000 9.000"
    write_map(data_dir / "segments", segments)
    report = _dump(data_dir, tmp_path / "dump", nj=1)
    assert report == {**report, "input_segments": 5, "kept": 2,
                      "skipped": {"unreadable_recording": 2, "segment_outside_recording": 1}}  # fmt: skip
    saved = json.loads((tmp_path / "dump/dump_report.json").read_text())
    assert saved["kept"] + sum(saved["skipped"].values()) == saved["input_segments"]


def test_dump_refuses_shell_pipelines_unless_allowed(data_dir, tmp_path):
    wav = read_map(data_dir / "wav.scp")["talkA"]
    write_map(
        data_dir / "wav.scp",
        {"talkA": f"cat {wav} |", "talkB": read_map(data_dir / "wav.scp")["talkB"]},
    )
    with pytest.raises(UntrustedCommandError, match="pass --allow-pipes"):
        dump_job(data_dir, tmp_path / "dump", 1, 1)
    report = dump_job(data_dir, tmp_path / "dump2", 1, 1, allow_pipes=True)
    assert report["written"] == 4


def test_speed_perturbation_prefixes_ids_and_changes_durations(data_dir, tmp_path):
    sp = tmp_path / "data_sp"
    assert speed_perturb_dir(data_dir, sp, [0.9, 1.0, 1.1]) == 12
    utt2spk = read_map(sp / "utt2spk")
    assert utt2spk["sp0.9-talkA-0000000-0001000"] == "sp0.9-talkA"
    assert utt2spk["talkA-0000000-0001000"] == "talkA"
    assert read_map(sp / "text.tc.en")["sp1.1-talkA-0001500-0003000"] == "Sentence 1."
    _dump(sp, tmp_path / "dump", nj=1)
    n = {u: int(v) for u, v in read_map(tmp_path / "dump/utt2num_samples").items()}
    # 1 s played at speed 0.9 lasts 1/0.9 s
    assert abs(n["sp0.9-talkA-0000000-0001000"] - 16000 / 0.9) <= 2
    assert abs(n["sp1.1-talkA-0000000-0001000"] - 16000 / 1.1) <= 2
    assert sorted(utt2spk) == sorted(utt2spk, key=lambda u: (utt2spk[u], u))


def test_filter_drops_by_reason_and_reconciles(data_dir, tmp_path):
    _dump(data_dir, tmp_path / "dump")
    report = filter_dir(tmp_path / "dump", tmp_path / "raw", min_seconds=0.1, max_seconds=1.2)
    assert report["input"] == 4 and report["kept"] == 1
    # length is checked before text, so the 1.5 s segment with an empty translation is "too long"
    assert report["dropped"] == {"too_short(<0.1s)": 1, "too_long(>1.2s)": 2}
    assert report["kept"] + sum(report["dropped"].values()) == report["input"]
    assert list(read_map(tmp_path / "raw/wav.scp")) == ["talkA-0000000-0001000"]
    dropped = (tmp_path / "raw/filter_dropped.txt").read_text().splitlines()
    assert "talkB-0000000-0000050 too_short(<0.1s)" in dropped


def _files(d: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(d.iterdir())}


def test_interrupted_filter_and_speed_perturbation_keep_the_previous_output(
    data_dir, tmp_path, monkeypatch
):
    import espnet_ext.pipeline.datadir as datadir

    _dump(data_dir, tmp_path / "dump")
    filter_dir(tmp_path / "dump", tmp_path / "raw", min_seconds=0.1, max_seconds=1.2)
    speed_perturb_dir(data_dir, tmp_path / "sp", [0.9, 1.0])
    before = {d: _files(tmp_path / d) for d in ("raw", "sp")}

    calls = []

    def stop_on_third_file(*args, **kwargs):  # a Ctrl-C while the new output is being written
        calls.append(args[0])
        if len(calls) == 3:
            raise KeyboardInterrupt
        return write_map(*args, **kwargs)

    monkeypatch.setattr(datadir, "write_map", stop_on_third_file)
    monkeypatch.setattr("espnet_ext.pipeline.filtering.write_map", stop_on_third_file)
    monkeypatch.setattr("espnet_ext.pipeline.speed_perturb.write_map", stop_on_third_file)
    with pytest.raises(KeyboardInterrupt):
        filter_dir(tmp_path / "dump", tmp_path / "raw", min_seconds=0.01, max_seconds=30)
    calls.clear()
    with pytest.raises(KeyboardInterrupt):
        speed_perturb_dir(data_dir, tmp_path / "sp", [1.1])
    # neither old files mixed with new ones nor a leftover temporary directory
    assert {d: _files(tmp_path / d) for d in ("raw", "sp")} == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_filter_names_empty_text_reason(data_dir, tmp_path):
    _dump(data_dir, tmp_path / "dump")
    report = filter_dir(tmp_path / "dump", tmp_path / "raw", min_seconds=0.01, max_seconds=30)
    assert report["dropped"] == {"empty_text.tc.de": 1}


def test_tokenizer_writes_espnet_token_list(tmp_path):
    text = tmp_path / "text"
    lines = [f"u{i:03d} the {w} is on the table number {i % 7}" for i, w in
             enumerate(["cat", "dog", "book", "cup", "lamp"] * 20)]  # fmt: skip
    text.write_text("\n".join(lines) + "\n")
    out = train_sentencepiece([text], tmp_path / "bpe", vocab_size=5000, model_type="unigram")
    tokens = (out / "tokens.txt").read_text().splitlines()
    assert tokens[:2] == ["<blank>", "<unk>"] and tokens[-1] == "<sos/eos>"
    assert len(tokens) == len(set(tokens)) and 10 < len(tokens) < 5000
    import sentencepiece as spm

    sp = spm.SentencePieceProcessor(model_file=str(out / "bpe.model"))
    assert sp.decode(sp.encode("the cat is on the table")) == "the cat is on the table"
    assert set(sp.encode("the dog", out_type=str)) <= set(tokens)


def test_split_keys_and_merge_texts(tmp_path):
    scp = tmp_path / "wav.scp"
    write_map(scp, {f"u{i}": f"/x/{i}.wav" for i in range(5)})
    assert split_keys(scp, 2, tmp_path / "split") == 2
    parts = [read_map(tmp_path / f"split/keys.{j}") for j in (1, 2)]
    assert sorted(parts[0] | parts[1]) == sorted(read_map(scp)) and not set(parts[0]) & set(
        parts[1]
    )
    assert parts[0]["u0"] == "/x/0.wav"
    assert split_keys(scp, 9, tmp_path / "split9") == 5
    write_map(tmp_path / "h1", {"u0": "a", "u1": "b"})
    write_map(tmp_path / "h2", {"u2": "c"})
    with pytest.raises(ValueError, match=r"2 utterances have no output, e.g. \['u3', 'u4'\]"):
        merge_texts([tmp_path / "h1", tmp_path / "h2"], tmp_path / "text", scp)
    assert merge_texts([tmp_path / "h1"], tmp_path / "text") == 2


def test_rtf(tmp_path):
    write_map(tmp_path / "utt2num_samples", {"a": "16000", "b": "32000"})
    (tmp_path / "fs").write_text("16000\n")
    info = write_rtf(tmp_path, 1.5, tmp_path / "rtf.json")
    expected = {"audio_seconds": 3.0, "decode_seconds": 1.5, "rtf": 0.5, "n_utts": 2}
    assert info == {**expected, "device": "cpu", "jobs": 1}
    info = write_rtf(tmp_path, 1.5, tmp_path / "rtf.json", device="gpu", jobs=4)
    assert json.loads((tmp_path / "rtf.json").read_text()) == {
        **expected,
        "device": "gpu",
        "jobs": 4,
    }
    with pytest.raises(ValueError, match="device must be cpu or gpu, not 'tpu'"):
        write_rtf(tmp_path, 1.5, tmp_path / "rtf.json", device="tpu")


def test_resolve_model_falls_back_to_the_average_of_fewer_epochs(tmp_path):
    from espnet_ext.pipeline.decode_outputs import resolve_model_file

    for name in ("valid.acc.ave_1best.pth", "valid.acc.ave_2best.pth", "valid.loss.ave_3best.pth"):
        (tmp_path / name).write_bytes(b"")
    assert (
        resolve_model_file(tmp_path, "valid.acc.ave_3best.pth").name == "valid.acc.ave_2best.pth"
    )
    assert (
        resolve_model_file(tmp_path, "valid.loss.ave_3best.pth").name == "valid.loss.ave_3best.pth"
    )
    with pytest.raises(FileNotFoundError, match="no valid.bleu.ave_3best.pth"):
        resolve_model_file(tmp_path, "valid.bleu.ave_3best.pth")
