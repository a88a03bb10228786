"""Connector systems trained one epoch through ``connector_train``, decoded by
``connector_inference`` and packed self-contained: a frozen ESPnet ASR encoder + STE connector +
frozen Marian MT (ECED), and a frozen Whisper encoder + Q-Former + Marian (ECD). Then the
experiment, the ASR experiment or Whisper directory and the Marian directory are deleted, and the
pack alone must give the same translations."""

from __future__ import annotations

import shutil

import pytest
import soundfile as sf
import yaml

from tests.connectors import tiny_models
from tests.fixtures.translate import espeak
from tests.translate.systems import assert_gone, read_scp, read_text, translate_from_pack

FS = 16000


def _never_end(marian_dir):
    """A random Marian model ends at once; without its EOS it writes ``max_new_tokens`` tokens,
    so that there are translations to compare."""
    import torch
    from transformers import MarianMTModel

    model = MarianMTModel.from_pretrained(marian_dir)
    with torch.no_grad():
        model.final_logits_bias[0, model.config.eos_token_id] = -1e4
    model.save_pretrained(marian_dir)


SYSTEMS = {
    "ste_eced_asr": {
        "connector": "ste",
        "connector_conf": {"conv_channels": 16, "hidden_size": 16, "num_blocks": 1,
                           "attention_heads": 2, "linear_units": 32},  # fmt: skip
        "model_conf": {"layout": "eced", "prompt": tiny_models.MARIAN_LANG_TOKEN + " "},
    },
    "qformer_ecd_whisper": {
        "connector": "qformer",
        "connector_conf": {"num_queries": 4, "hidden_size": 16, "num_blocks": 1,
                           "attention_heads": 2, "linear_units": 32},  # fmt: skip
        "model_conf": {"layout": "ecd"},
    },
}


@pytest.fixture(scope="module", params=list(SYSTEMS))
def packed(request, tmp_path_factory):
    from espnet_ext.bin import connector_inference, connector_train
    from espnet_ext.translate.pack import make_pack

    system = request.param
    root = tmp_path_factory.mktemp(system)
    spm_model = tiny_models.make_spm(root / "spm")
    marian = tiny_models.make_marian(root / "marian", spm_model)
    _never_end(marian)
    if system.endswith("_asr"):
        asr_config, asr_model = tiny_models.make_espnet_asr(root / "exp" / "asr")
        encoder = {"speech_encoder": "espnet_asr",
                   "speech_encoder_conf": {"asr_train_config": str(asr_config),
                                           "asr_model_file": str(asr_model)}}  # fmt: skip
        frozen = root / "exp" / "asr"
    else:
        frozen = tiny_models.make_whisper(root / "whisper")
        encoder = {
            "speech_encoder": "whisper",
            "speech_encoder_conf": {"name_or_path": str(frozen)},
        }
    dump = root / "dump"
    dump.mkdir()
    scp, text, shape = [], [], []
    for i, target in enumerate(tiny_models.TARGETS):
        key = f"spk1-utt{i:02d}"
        # speech, not noise: the translator reports noise as "no speech"
        speech = espeak(tiny_models.SENTENCES[i])
        n = len(speech)
        wav = dump / f"{key}.wav"
        sf.write(wav, speech, FS, subtype="PCM_16")
        scp.append(f"{key} {wav}\n")
        text.append(f"{key} {target}\n")
        shape.append(f"{key} {n}\n")
    for name, lines in (("wav.scp", scp), ("text", text), ("speech_shape", shape)):
        (dump / name).write_text("".join(lines), encoding="utf-8")
    config = {
        **encoder,
        "mt_name_or_path": str(marian),
        **SYSTEMS[system],
        "optim": "adamw", "optim_conf": {"lr": 0.001}, "max_epoch": 1,
        "batch_type": "unsorted", "batch_size": 2, "num_workers": 0, "num_att_plot": 0,
        "use_matplotlib": False, "use_tensorboard": False, "seed": 0,
    }  # fmt: skip
    (root / "conf.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    exp = root / "exp" / system
    data = [f"{dump}/wav.scp,speech,sound", f"{dump}/text,text,text"]
    connector_train.main(
        ["--config", str(root / "conf.yaml"), "--output_dir", str(exp),
         "--train_data_path_and_name_and_type", data[0],
         "--train_data_path_and_name_and_type", data[1],
         "--valid_data_path_and_name_and_type", data[0],
         "--valid_data_path_and_name_and_type", data[1],
         "--train_shape_file", str(dump / "speech_shape"),
         "--valid_shape_file", str(dump / "speech_shape")]
    )  # fmt: skip
    decode_conf = root / "decode_connector.yaml"
    decode_conf.write_text("beam_size: 2\nmax_new_tokens: 6\nbatch_size: 3\n")
    out = root / "decode"
    connector_inference.main(
        ["--config", str(decode_conf), "--train_config", str(exp / "config.yaml"),
         "--model_file", str(exp / "1epoch.pth"), "--data_path_and_name_and_type", data[0],
         "--output_dir", str(out)]
    )  # fmt: skip
    zip_path = root / "packs" / f"{system}.zip"
    meta = make_pack(
        exp, zip_path, model_file="1epoch.pth", inference_config=decode_conf, self_contained=True
    )
    ref = read_text(out / "text")
    deleted = (exp, frozen, marian, root / "spm")
    for path in deleted:
        shutil.rmtree(path)
    return {"zip": zip_path, "meta": meta, "ref": ref, "wavs": read_scp(dump / "wav.scp"),
            "deleted": deleted, "system": system}  # fmt: skip


def test_connector_pack_translates_like_connector_inference(packed, tmp_path):
    assert packed["meta"]["task"] == "connector"  # told apart by its config entries
    assert_gone(*packed["deleted"])
    hyps, translator = translate_from_pack(packed["zip"], packed["wavs"], tmp_path / "cache")
    assert set(hyps) == set(packed["ref"]) and len(hyps) == len(tiny_models.TARGETS)
    assert hyps == packed["ref"]
    assert all(hyps.values())  # not empty: the comparison means something
    pretrained = {".".join(map(str, p["key"])): p for p in packed["meta"]["pretrained"]}
    assert all(p["packed"] for p in pretrained.values())
    if packed["system"].endswith("_asr"):
        # the ASR experiment's config travels as a nested experiment, its weights and the MT
        # model as copies
        files = {".".join(map(str, f["key"])): f for f in packed["meta"]["files"]}
        nested = files["speech_encoder_conf.asr_train_config"]
        assert nested["config"] == "files/speech_encoder_conf.asr_train_config/config.yaml"
        assert set(pretrained) == {"speech_encoder_conf.asr_model_file", "mt_name_or_path"}
    else:
        assert set(pretrained) == {"speech_encoder_conf.name_or_path", "mt_name_or_path"}


def test_connector_pack_batches_like_one_at_a_time(packed, tmp_path):
    one, _ = translate_from_pack(
        packed["zip"], packed["wavs"], tmp_path / "cache", batch_size=1, beam_size=2
    )
    assert one == packed["ref"]
