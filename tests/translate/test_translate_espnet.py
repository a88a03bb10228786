"""End to end with a trained ESPnet ST model (Conformer encoder, WeRC decoder, joint CTC/attention
decoding): decode as the pipeline does, pack, delete the experiment, translate from the pack alone.

One tiny model is trained once for the module through ``espnet_ext.bin.st_train`` (collect-stats
with SentencePiece vocabularies, then training with global MVN), ~10-30 s on one core.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import soxr

from tests.fixtures import decoding as toy
from tests.fixtures import translate as ft
from tests.translate.srt import parse_srt

FS = ft.FS


@pytest.fixture(scope="module")
def packed(tmp_path_factory):
    """Train, decode the test set with st_inference (stage 11), score it, pack it (stage 13),
    then delete exp/, the token lists and the statistics."""
    from espnet_ext.bin import pack, score, st_inference, train_info

    root = tmp_path_factory.mktemp("recipe")
    cwd = os.getcwd()
    os.chdir(root)
    try:
        made = ft.train_toy_st(root)
        exp, test = made["exp"], made["test"]
        decode = exp / "decode_st" / test.name
        st_inference.main(
            ["--ngpu", "0", "--batch_size", "1", "--config", str(made["decode_conf"]),
             "--data_path_and_name_and_type", f"{test}/wav.scp,speech,sound",
             "--st_train_config", f"{exp}/config.yaml",
             "--st_model_file", f"{exp}/valid.acc.ave.pth",
             "--output_dir", str(decode / "logs/output.1")]
        )  # fmt: skip
        shutil.copy(decode / "logs/output.1/1best_recog/text", decode / "text")
        score.main(["--metric", "bleu", "--hyp", str(decode / "text"),
                    "--ref", str(test / "text.tc.de"), "--out-dir", str(decode),
                    "--lang", "de"])  # fmt: skip
        train_info.main(["--exp-dir", str(exp), "--wall-seconds", "12", "--ngpu", "0"])
        zip_path = tmp_path_factory.mktemp("packs") / "st_toy.zip"
        pack.main(["--exp-dir", str(exp), "--out", str(zip_path),
                   "--inference-config", str(made["decode_conf"])])  # fmt: skip
    finally:
        os.chdir(cwd)
    ref = {}
    for line in (decode / "text").read_text(encoding="utf-8").splitlines():
        key, _, text = line.partition(" ")
        ref[key] = text
    for path in (exp, made["token_dir"], made["stats"]):
        shutil.rmtree(path)
    wavs = dict(line.split() for line in (test / "wav.scp").read_text().splitlines())
    return {"zip": zip_path, "ref": ref, "wavs": wavs, "root": root}


@pytest.fixture(scope="module")
def translator(packed, tmp_path_factory):
    from espnet_ext import Translator

    return Translator.from_pack(
        packed["zip"], vad=None, cache_dir=tmp_path_factory.mktemp("cache")
    )


@pytest.fixture(autouse=True)
def pack_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("ESPNET_EXT_PACK_CACHE", str(tmp_path_factory.getbasetemp() / "pack_cache"))


def test_pack_meta(translator, packed):
    meta = translator.meta
    assert (meta["system"], meta["task"], meta["src_lang"], meta["tgt_lang"]) == (
        "st_toy",
        "st",
        "en",
        "de",
    )
    assert meta["train_data"] == {"train": "train.en-de", "valid": "dev.en-de"}
    assert "bleu" in json.dumps(meta["scores"]["decode_st"]["tst.en-de"]).lower()
    assert meta["train_info"]["trainable_params"] > 0
    assert {tuple(f["key"]) for f in meta["files"]} == {
        ("bpemodel",), ("src_bpemodel",), ("normalize_conf", "stats_file")}  # fmt: skip


def test_translation_from_pack_equals_st_inference(translator, packed):
    """The experiment, token lists and statistics are gone; the pack alone reproduces stage 11."""
    assert not (packed["root"] / "exp/st_toy").exists()
    assert translator.adapter.batched  # espnet_ext.decoding's batched search
    keys = sorted(packed["ref"])
    assert any(packed["ref"][k] for k in keys), "the toy model should translate something"
    got = translator.translate_batch([packed["wavs"][k] for k in keys])
    assert [r.text for r in got] == [packed["ref"][k] for k in keys]
    one = translator.translate(packed["wavs"][keys[0]])
    assert one.text == packed["ref"][keys[0]] and len(one.segments) == 1
    # waveform input, given at another rate
    wave, rate = sf.read(packed["wavs"][keys[1]], dtype="float32")
    assert translator.translate(wave, sample_rate=rate).text == packed["ref"][keys[1]]
    silent = translator.translate(np.zeros(FS, np.float32))
    assert silent.segments == [] and silent.text == "" and "silent" in silent.no_speech


def test_per_utterance_espnet_speech2text_path(packed, tmp_path):
    from espnet_ext import Translator

    slow = Translator.from_pack(packed["zip"], vad=None, options={"batched": False})
    assert not slow.adapter.batched
    keys = sorted(packed["ref"])
    assert [r.text for r in slow.translate_batch([packed["wavs"][k] for k in keys])] == [
        packed["ref"][k] for k in keys
    ]


@pytest.fixture(scope="module")
def long_recording(packed, tmp_path_factory):
    """Three toy utterances joined by 1 s pauses, as 44.1 kHz stereo FLAC."""
    rng = np.random.default_rng(5)
    utts = [toy.synth(w, rng) for w in ([3, 9, 1], [5, 12], [16, 2, 8, 4])]
    wave, spans = ft.join_with_pauses(utts, [1.0, 1.2], lead=0.8, tail=0.6, noise_db=-55.0)
    path = tmp_path_factory.mktemp("long") / "talk.flac"
    hi = soxr.resample(wave, FS, 44100)
    sf.write(path, np.stack([hi, 0.8 * hi], axis=1), 44100)
    return path, spans


def run_cli(*args) -> int:
    from espnet_ext.bin import translate

    return translate.main([*map(str, args), "--no-progress"])


def test_cli_segments_long_stereo_file(packed, long_recording, tmp_path):
    path, truth = long_recording
    out = tmp_path / "out.jsonl"
    assert (
        run_cli("--model", packed["zip"], path, "--output-format", "jsonl", "--output", out) == 0
    )
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["segment"] for r in records] == [0, 1, 2]
    assert all(r["file"] == str(path) for r in records)
    for r, (start, end) in zip(records, truth):
        assert r["start"] <= start + 0.03 and r["end"] >= end - 0.03, (r, start, end)
    for a, b, (_, end), (start, _) in zip(records, records[1:], truth, truth[1:]):
        assert (a["end"] + b["start"]) / 2 == pytest.approx((end + start) / 2, abs=0.2)
    assert any(r["translation"] for r in records)
    assert not Path(f"{out}.partial.jsonl").exists()

    srt = tmp_path / "out.srt"
    assert run_cli("--model", packed["zip"], path, "--output-format", "srt", "--output", srt) == 0
    cues = parse_srt(srt.read_text(encoding="utf-8"))
    with_text = [r for r in records if r["translation"]]
    assert [c[3] for c in cues] == [r["translation"] for r in with_text]
    for (_, start, end, _), r in zip(cues, with_text):
        assert (start, end) == pytest.approx((r["start"], r["end"]), abs=1e-6)

    text = tmp_path / "out.txt"
    assert run_cli("--model", packed["zip"], path, "--output", text, "--beam-size", "3") == 0
    assert text.read_text(encoding="utf-8").splitlines() == [r["translation"] for r in records]


def test_cli_reports_bad_files_and_goes_on(packed, tmp_path, capsys):
    bad = tmp_path / "in"
    bad.mkdir()
    (bad / "empty.wav").write_bytes(b"")
    (bad / "garbage.wav").write_bytes(np.random.default_rng(0).bytes(5000))
    sf.write(bad / "silence.wav", np.zeros(2 * FS, np.float32), FS)
    key = sorted(packed["ref"])[0]
    shutil.copy(packed["wavs"][key], bad / "good.wav")
    out_dir = tmp_path / "out"
    code = run_cli("--model", packed["zip"], bad, tmp_path / "missing.wav", "--no-vad",
                   "--output-dir", out_dir)  # fmt: skip
    assert code == 1
    err = capsys.readouterr().err
    assert "1 of 5 files translated" in err and "4 failed" in err
    reasons = {"in/empty.wav": "empty file", "in/garbage.wav": "cannot read as audio",
               "in/silence.wav": "no speech found: silent",
               "missing.wav": "no such file"}  # fmt: skip
    for name, reason in reasons.items():
        assert f"FAILED {tmp_path / name}: {reason}" in err
    assert sorted(p.name for p in out_dir.iterdir()) == [".translate_settings.json", "good.txt"]
    assert (out_dir / "good.txt").read_text(encoding="utf-8") == packed["ref"][key] + "\n"

    # a second run leaves finished files alone
    (out_dir / "good.txt").write_text("kept\n")
    assert (
        run_cli("--model", packed["zip"], bad / "good.wav", "--no-vad", "--output-dir", out_dir)
        == 0
    )
    assert (out_dir / "good.txt").read_text() == "kept\n"


def test_cli_resumes_from_partial_output(packed, tmp_path):
    from espnet_ext.translate.files import FileResult, ResultStore
    from espnet_ext.translate.translator import Segment
    from espnet_ext.translate.unpack import sha256_of

    keys = sorted(packed["ref"])[:2]
    out = tmp_path / "out.jsonl"
    settings = {"pack_sha256": sha256_of(packed["zip"]), "beam_size": None, "vad": None}
    store = ResultStore(f"{out}.partial.jsonl", settings)
    store.add(FileResult(packed["wavs"][keys[0]], [Segment(0.0, 1.0, "from the first run")], 1.0))
    code = run_cli("--model", packed["zip"], packed["wavs"][keys[0]], packed["wavs"][keys[1]],
                   "--no-vad", "--output-format", "jsonl", "--output", out)  # fmt: skip
    assert code == 0
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["translation"] for r in records] == ["from the first run", packed["ref"][keys[1]]]
    assert not Path(f"{out}.partial.jsonl").exists()


def test_cli_usage_errors(packed, tmp_path, capsys):
    a, b = (packed["wavs"][k] for k in sorted(packed["ref"])[:2])
    with pytest.raises(SystemExit) as e:
        run_cli("--model", packed["zip"], a, b, "--output-format", "srt")
    assert e.value.code == 2 and "needs --output-dir" in capsys.readouterr().err
    assert run_cli("--model", tmp_path / "nope.zip", a) == 2
    assert "cannot load model" in capsys.readouterr().err


def test_asr_system_pack_equals_asr_inference(packed, tmp_path):
    """ASR systems (task asr) go through the same pack and API (their output is the transcript)."""
    import torch
    import yaml
    from espnet2.tasks.asr import ASRTask

    from espnet_ext import Translator
    from espnet_ext.bin import asr_inference, pack

    args = ASRTask.get_parser().parse_args(["--output_dir", "unused"])
    tiny = {"attention_heads": 2, "linear_units": 32, "num_blocks": 1}
    settings = {
        "token_list": ["<blank>", "<unk>", "a", "b", "c", "d", "<space>", "<sos/eos>"],
        "token_type": "char", "frontend": "default",
        "frontend_conf": {"n_fft": 256, "hop_length": 128, "n_mels": 20},
        "normalize": "utterance_mvn", "encoder": "transformer",
        "encoder_conf": {**tiny, "output_size": 16, "input_layer": "conv2d"},
        "decoder": "transformer", "decoder_conf": tiny, "model_conf": {"ctc_weight": 0.3},
    }  # fmt: skip
    for key, value in settings.items():
        setattr(args, key, value)
    torch.manual_seed(0)
    model = ASRTask.build_model(args)  # untrained: any output will do, it must be reproduced
    exp = tmp_path / "exp" / "asr"
    exp.mkdir(parents=True)
    config = {k: list(v) if isinstance(v, tuple) else v for k, v in vars(args).items()}
    (exp / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    torch.save(model.state_dict(), exp / "valid.acc.ave.pth")
    (tmp_path / "decode_asr.yaml").write_text(
        "beam_size: 2\nctc_weight: 0.3\nmaxlenratio: 0.3\nminlenratio: 0.2\n"
    )
    keys = sorted(packed["wavs"])[:2]
    (tmp_path / "wav.scp").write_text("".join(f"{k} {packed['wavs'][k]}\n" for k in keys))
    asr_inference.main(
        ["--ngpu", "0", "--batch_size", "1", "--config", str(tmp_path / "decode_asr.yaml"),
         "--data_path_and_name_and_type", f"{tmp_path}/wav.scp,speech,sound",
         "--asr_train_config", str(exp / "config.yaml"),
         "--asr_model_file", str(exp / "valid.acc.ave.pth"), "--output_dir", str(tmp_path / "dec")]
    )  # fmt: skip
    ref = dict(
        (line.split(" ", 1) + [""])[:2]
        for line in (tmp_path / "dec/1best_recog/text").read_text().splitlines()
    )
    assert all(ref[k] for k in keys), ref  # minlenratio: something to reproduce
    pack.main(["--exp-dir", str(exp), "--out", str(tmp_path / "asr.zip"),
               "--inference-config", str(tmp_path / "decode_asr.yaml")])  # fmt: skip
    shutil.rmtree(exp)
    asr = Translator.from_pack(tmp_path / "asr.zip", vad=None)
    assert asr.meta["task"] == "asr"
    assert [r.text for r in asr.translate_batch([packed["wavs"][k] for k in keys])] == [
        ref[k] for k in keys
    ]


class _Payload:
    """Unpickling this runs code: what a weights file from a stranger could do."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_pack_with_code_in_weights_is_refused(packed, tmp_path, capsys):
    import hashlib
    import zipfile

    import torch

    marker = tmp_path / "code_ran"
    evil_weights = tmp_path / "evil.pth"
    torch.save({"encoder.weight": _Payload(marker)}, evil_weights)
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(packed["zip"]) as src, zipfile.ZipFile(evil, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == "model.pth":
                data = evil_weights.read_bytes()
            elif name == "checksums.sha256":  # consistent, so only the content is at fault
                sha = hashlib.sha256(evil_weights.read_bytes()).hexdigest()
                data = b"".join(
                    (
                        f"{sha}  model.pth\n".encode()
                        if line.endswith(b"  model.pth")
                        else line + b"\n"
                    )
                    for line in data.splitlines()
                )
            dst.writestr(name, data)
    assert run_cli("--model", evil, packed["wavs"][sorted(packed["wavs"])[0]]) == 2
    assert "cannot load model" in capsys.readouterr().err
    assert not marker.exists()
