"""An LST system (tiny Wav2Vec2 encoder or tiny ESPnet ASR encoder, adapters, tiny LLaMA) trained
through ``lst_train``:
stage A one epoch, stage B (LoRA, ``--init_param`` stage A) one epoch; stage B decoded by
``lst_inference`` and packed self-contained. Then the experiments and both Hugging Face model
directories (and the ASR experiment) are deleted and the pack alone must give the same
translations."""

from __future__ import annotations

import shutil
import zipfile

import pytest
import soundfile as sf
import yaml

from tests.connectors.tiny_models import make_espnet_asr
from tests.fixtures.lst import build_tiny_models, lst_args
from tests.fixtures.translate import FS, espeak
from tests.translate.systems import assert_gone, read_scp, read_text, translate_from_pack

SENTENCES = ["the cat sees a dog", "a big red house", "small green tree"]


@pytest.fixture(scope="module", params=["hf", "espnet_asr"])
def packed(request, tmp_path_factory):
    from espnet_ext.bin.lst_inference import main as decode
    from espnet_ext.bin.lst_train import main as train
    from espnet_ext.translate.pack import make_pack

    root = tmp_path_factory.mktemp("lst")
    models = build_tiny_models(root / "models")
    frontend = {"frontend": "hf", "frontend_conf": {"name_or_path": str(models.w2v_dir)}}
    deleted = [root / "exp", models.llm_dir, models.w2v_dir]
    if request.param == "espnet_asr":
        asr_config, asr_model = make_espnet_asr(root / "asr")
        frontend = {"frontend": "espnet_asr",
                    "frontend_conf": {"asr_train_config": str(asr_config),
                                      "asr_model_file": str(asr_model), "freeze": True}}  # fmt: skip
        deleted.append(root / "asr")
    data = root / "data"
    data.mkdir()
    scp, text, shape = [], [], []
    for i, sentence in enumerate(SENTENCES):
        key = f"spk-{i:07d}"
        wave = espeak(sentence)
        sf.write(data / f"{key}.wav", wave, FS, subtype="PCM_16")
        scp.append(f"{key} {data / f'{key}.wav'}\n")
        text.append(f"{key} {sentence}\n")
        shape.append(f"{key} {len(wave)}\n")
    for name, lines in (("wav.scp", scp), ("text", text), ("speech_shape", shape)):
        (data / name).write_text("".join(lines), encoding="utf-8")
    for stage, overrides in {
        "a": {},
        "b": {"llm_conf": {"finetune": "lora", "lora_r": 4, "lora_alpha": 8}},
    }.items():
        config = {**lst_args(models, **overrides), **frontend}
        config.update(optim="adamw", optim_conf={"lr": 0.01}, batch_type="sorted", batch_size=3,
                      max_epoch=1, num_workers=0, use_matplotlib=False, use_tensorboard=False,
                      best_model_criterion=[["valid", "loss", "min"]])  # fmt: skip
        (root / f"stage_{stage}.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    stage_a, exp = root / "exp" / "lst_a", root / "exp" / "lst_b"
    args = []
    for mode in ("train", "valid"):
        args += [f"--{mode}_data_path_and_name_and_type", f"{data}/wav.scp,speech,sound",
                 f"--{mode}_data_path_and_name_and_type", f"{data}/text,text,text",
                 f"--{mode}_shape_file", f"{data}/speech_shape"]  # fmt: skip
    train(["--config", str(root / "stage_a.yaml"), "--output_dir", str(stage_a)] + args)
    train(["--config", str(root / "stage_b.yaml"), "--output_dir", str(exp),
           "--init_param", str(stage_a / "valid.loss.best.pth")] + args)  # fmt: skip
    decode_conf = root / "decode_lst.yaml"
    decode_conf.write_text("beam_size: 2\nmax_new_tokens: 6\n")
    out = root / "decode"
    decode(["--train_config", str(exp / "config.yaml"),
            "--model_file", str(exp / "valid.loss.best.pth"),
            "--data_path_and_name_and_type", f"{data}/wav.scp,speech,sound",
            "--output_dir", str(out), "--beam_size", "2", "--max_new_tokens", "6",
            "--batch_size", "1"])  # fmt: skip
    zip_path = root / "packs" / "lst_b.zip"
    meta = make_pack(
        exp,
        zip_path,
        model_file="valid.loss.best.pth",
        inference_config=decode_conf,
        self_contained=True,
    )
    ref = read_text(out / "text")
    for path in deleted:
        shutil.rmtree(path)
    return {"zip": zip_path, "meta": meta, "ref": ref, "wavs": read_scp(data / "wav.scp"),
            "deleted": deleted, "frontend": request.param}  # fmt: skip


def test_lst_pack_translates_like_lst_inference(packed, tmp_path):
    assert packed["meta"]["task"] == "lst"
    assert_gone(*packed["deleted"])
    pretrained = {".".join(map(str, p["key"])) for p in packed["meta"]["pretrained"]}
    if packed["frontend"] == "hf":
        assert pretrained == {"frontend_conf.name_or_path", "llm_conf.name_or_path"}
    else:  # the ASR weights copied, its config packed as a nested experiment
        assert pretrained == {"frontend_conf.asr_model_file", "llm_conf.name_or_path"}
        nested = {".".join(map(str, f["key"])) for f in packed["meta"]["files"] if "config" in f}
        assert nested == {"frontend_conf.asr_train_config"}
    hyps, translator = translate_from_pack(packed["zip"], packed["wavs"], tmp_path / "cache")
    assert len(hyps) == len(SENTENCES) and all(hyps.values())
    assert hyps == packed["ref"]
    assert translator.meta["system"] == "lst_b"
    with zipfile.ZipFile(packed["zip"]) as zf:
        config = yaml.safe_load(zf.read("config.yaml"))
    # stage A's checkpoint was only the starting point of training: not needed, not kept
    assert config["init_param"] == [] and config["llm_conf"]["finetune"] == "lora"
