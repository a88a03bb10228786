"""The connector task through ESPnet's trainer CLI, then batched decoding through its CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf
import torch
import yaml

from espnet_ext.bin import connector_inference, connector_train
from espnet_ext.connectors.inference import load_model
from espnet_ext.connectors.task import MTTokenizerPreprocessor
from tests.connectors.tiny_models import MARIAN_LANG_TOKEN, TARGETS

FS = 16000


@pytest.fixture(scope="module")
def dump_dir(tmp_path_factory):
    """A dumped data dir: wav.scp (16 kHz noise), text (Portuguese targets), speech_shape."""
    out = tmp_path_factory.mktemp("dump")
    rng = np.random.default_rng(0)
    scp, text, shape = [], [], []
    for i, target in enumerate(TARGETS + ["eu gosto de fala"]):
        key = f"spk1-utt{i:02d}"
        n = int(FS * (0.4 + 0.3 * i))
        wav = out / f"{key}.wav"
        sf.write(wav, (rng.standard_normal(n) * 0.1).astype(np.float32), FS, subtype="PCM_16")
        scp.append(f"{key} {wav}\n")
        text.append(f"{key} {target}\n")
        shape.append(f"{key} {n}\n")
    (out / "wav.scp").write_text("".join(scp), encoding="utf-8")
    (out / "text").write_text("".join(text), encoding="utf-8")
    (out / "speech_shape").write_text("".join(shape), encoding="utf-8")
    return out


def write_config(path, whisper_dir, marian_dir):
    config = {
        "speech_encoder": "whisper",
        "speech_encoder_conf": {"name_or_path": str(whisper_dir)},
        "mt_name_or_path": str(marian_dir),
        "connector": "ste",
        "connector_conf": {
            "conv_channels": 16,
            "hidden_size": 16,
            "num_blocks": 1,
            "attention_heads": 2,
            "linear_units": 32,
        },
        "model_conf": {"layout": "eced", "prompt": MARIAN_LANG_TOKEN + " "},
        "optim": "adamw",
        "optim_conf": {"lr": 0.001},
        "max_epoch": 1,
        "batch_type": "unsorted",
        "batch_size": 2,
        "num_workers": 0,
        "num_att_plot": 0,
        "use_matplotlib": False,
        "use_tensorboard": False,
        "seed": 0,
    }
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def test_train_with_espnet_trainer_then_decode(tmp_path, dump_dir, whisper_dir, marian_dir):
    exp = tmp_path / "exp"
    data = [f"{dump_dir}/wav.scp,speech,sound", f"{dump_dir}/text,text,text"]
    connector_train.main(
        [
            "--config", str(write_config(tmp_path / "conf.yaml", whisper_dir, marian_dir)),
            "--output_dir", str(exp),
            "--train_data_path_and_name_and_type", data[0],
            "--train_data_path_and_name_and_type", data[1],
            "--valid_data_path_and_name_and_type", data[0],
            "--valid_data_path_and_name_and_type", data[1],
            "--train_shape_file", str(dump_dir / "speech_shape"),
            "--valid_shape_file", str(dump_dir / "speech_shape"),
        ]
    )  # fmt: skip
    config = yaml.safe_load((exp / "config.yaml").read_text(encoding="utf-8"))
    assert config["freeze_param"] == ["speech_encoder", "mt_model"]
    assert config["model_conf"]["layout"] == "eced"
    state = torch.load(exp / "1epoch.pth", weights_only=True)
    from transformers import AutoModelForSeq2SeqLM

    original = AutoModelForSeq2SeqLM.from_pretrained(marian_dir).state_dict()
    for name, value in original.items():
        if f"mt_model.{name}" in state:
            assert torch.equal(state[f"mt_model.{name}"], value), name

    # the results table's parameter counts come from the checkpoint and freeze_param
    from espnet_ext.scoring.train_info import train_info

    info = train_info(exp, wall_seconds=1.0, ngpu=0, task="st", checkpoint=exp / "1epoch.pth")
    counts = load_model(exp / "config.yaml", exp / "1epoch.pth")[0].param_counts()
    assert info["trainable_params"] == counts["trainable"]
    # train_info also counts float buffers (Marian's final_logits_bias, 1 x vocab)
    marian_bias = original["final_logits_bias"].numel()
    assert info["total_params"] == counts["total"] + marian_bias
    connector = sum(v.numel() for k, v in state.items() if k.startswith("connector."))
    assert counts["trainable"] == connector

    out = tmp_path / "decode"
    decode_args = [
        "--train_config", str(exp / "config.yaml"),
        "--model_file", str(exp / "1epoch.pth"),
        "--data_path_and_name_and_type", data[0],
        "--output_dir", str(out),
        "--beam_size", "2",
        "--max_new_tokens", "5",
    ]  # fmt: skip
    connector_inference.main(decode_args + ["--batch_size", "3"])
    lines = (out / "text").read_text(encoding="utf-8").splitlines()
    keys = [line.split(maxsplit=1)[0] for line in lines]
    assert keys == sorted(f"spk1-utt{i:02d}" for i in range(4))
    rtf = json.loads((out / "rtf.json").read_text())
    audio = sum(int(s.split()[1]) for s in (dump_dir / "speech_shape").read_text().splitlines())
    assert rtf["n_utts"] == 4 and rtf["audio_seconds"] == pytest.approx(audio / FS, abs=1e-3)
    # decode_seconds is stored rounded to milliseconds, so the ratio agrees only to about 1 %
    assert rtf["decode_seconds"] > 0 and rtf["rtf"] == pytest.approx(
        rtf["decode_seconds"] / rtf["audio_seconds"], rel=0.02
    )
    assert not (out / "text.partial.jsonl").exists()

    # an interrupted run's finished utterances are kept (here: a marker hypothesis for one)
    settings = {
        "model_file": str((exp / "1epoch.pth").resolve()),
        "dtype": "float32",
        "fs": FS,
        "num_beams": 2,
        "max_new_tokens": 5,
    }
    (out / "text.partial.jsonl").write_text(
        json.dumps({"__settings__": settings})
        + "\n"
        + json.dumps({"spk1-utt01": ["RESUMED", 0.7, 0.5]})
        + '\n{"spk1-utt02": ["cut sho',
        encoding="utf-8",
    )
    connector_inference.main(decode_args + ["--batch_size", "1"])
    resumed = dict(line.split(maxsplit=1) for line in (out / "text").read_text().splitlines())
    assert resumed["spk1-utt01"] == "RESUMED"
    first = dict(line.split(maxsplit=1) for line in lines)
    assert {k: v for k, v in resumed.items() if k != "spk1-utt01"} == {
        k: v for k, v in first.items() if k != "spk1-utt01"
    }


def test_preprocessor_tokenizes_targets_and_names_bad_utterances(marian_dir):
    from transformers import AutoTokenizer

    pre = MTTokenizerPreprocessor(True, str(marian_dir))
    out = pre("utt1", {"speech": np.zeros(10, np.float32), "text": TARGETS[0]})
    tokenizer = AutoTokenizer.from_pretrained(marian_dir)
    assert out["text"].tolist() == tokenizer(text_target=TARGETS[0]).input_ids
    assert out["text"][-1] == tokenizer.eos_token_id
    with pytest.raises(ValueError, match="utterance utt2: empty target text"):
        pre("utt2", {"speech": np.zeros(10, np.float32), "text": "  "})
    with pytest.raises(
        ValueError, match=r"utterance utt3: expected mono audio, got shape \(10, 2\)"
    ):
        pre("utt3", {"speech": np.zeros((10, 2), np.float32), "text": "a"})
