"""LST through ESPnet's trainer: collect-stats, stage A, stage B (LoRA, --init_param), decoding."""

import json

import pytest
import torch
import yaml

from tests.fixtures.lst import (
    lst_args,
    write_tiny_data_dir,
)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory, tiny_lst_models):
    root = tmp_path_factory.mktemp("lst_task")
    data = write_tiny_data_dir(root / "data", n=6)
    for stage, overrides in {
        "a": {},
        "b": {"llm_conf": {"finetune": "lora", "lora_r": 4, "lora_alpha": 8}},
    }.items():
        config = lst_args(tiny_lst_models, **overrides)
        config.update(
            optim="adamw",
            optim_conf={"lr": 0.01},
            batch_type="sorted",
            batch_size=3,
            max_epoch=1,
            num_workers=0,
            use_matplotlib=False,
            use_tensorboard=False,
            best_model_criterion=[["valid", "loss", "min"]],
        )
        (root / f"stage_{stage}.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return root, data


def _data_args(data, shape=True):
    args = []
    for mode in ("train", "valid"):
        args += [
            f"--{mode}_data_path_and_name_and_type",
            f"{data}/wav.scp,speech,sound",
            f"--{mode}_data_path_and_name_and_type",
            f"{data}/text,text,text",
        ]
        if shape:
            args += [f"--{mode}_shape_file", f"{data}/speech_shape"]
    return args


def test_collect_stats_writes_shapes_without_building_the_model(workdir, tiny_lst_models):
    from transformers import AutoTokenizer

    from espnet_ext.bin.lst_train import main

    root, data = workdir
    out = root / "stats"
    main(
        [
            "--config",
            str(root / "stage_a.yaml"),
            "--output_dir",
            str(out),
            "--collect_stats",
            "true",
            "--model_conf",
            "extract_feats_in_collect_stats=false",
            "--batch_size",
            "2",
        ]
        + _data_args(data)
    )
    tokenizer = AutoTokenizer.from_pretrained(tiny_lst_models.llm_dir)
    texts = dict(line.split(" ", 1) for line in (data / "text").read_text().splitlines())
    shapes = dict(line.split() for line in (out / "train" / "text_shape").read_text().splitlines())
    assert shapes == {
        utt: str(len(tokenizer.encode(t, add_special_tokens=False)) + 1)
        for utt, t in texts.items()
    }
    speech = (out / "train" / "speech_shape").read_text()
    assert speech == (data / "speech_shape").read_text()


def test_two_stage_training_and_decoding_through_the_clis(workdir):
    from espnet_ext.bin.lst_inference import main as decode
    from espnet_ext.bin.lst_train import main as train

    root, data = workdir
    stage_a, stage_b = root / "exp_a", root / "exp_b"
    train(
        ["--config", str(root / "stage_a.yaml"), "--output_dir", str(stage_a)] + _data_args(data)
    )
    state_a = torch.load(stage_a / "1epoch.pth")
    assert state_a and all(k.startswith(("length_adapter.", "modality_adapter.")) for k in state_a)
    assert (stage_a / "valid.loss.best.pth").exists()

    # Stage B from stage A; the length adapter is frozen here only to prove that the
    # init_param values arrived (they must come out unchanged).
    train(
        [
            "--config",
            str(root / "stage_b.yaml"),
            "--output_dir",
            str(stage_b),
            "--init_param",
            str(stage_a / "1epoch.pth"),
            "--freeze_param",
            "length_adapter",
        ]
        + _data_args(data)
    )
    state_b = torch.load(stage_b / "1epoch.pth")
    lora_keys = [k for k in state_b if "lora_" in k]
    assert lora_keys and all("lora_" in k for k in state_b if k.startswith("llm."))
    for key in state_a:
        same = torch.equal(state_a[key], state_b[key])
        assert same == key.startswith("length_adapter."), key

    outputs = {}
    for batch_size, cache in [(1, "true"), (4, "true"), (4, "false")]:
        out = root / f"decode_bs{batch_size}_{cache}"
        decode(
            [
                "--train_config",
                str(stage_b / "config.yaml"),
                "--model_file",
                str(stage_b / "valid.loss.best.pth"),
                "--data_path_and_name_and_type",
                f"{data}/wav.scp,speech,sound",
                "--output_dir",
                str(out),
                "--batch_size",
                str(batch_size),
                "--use_cache",
                cache,
                "--max_new_tokens",
                "6",
            ]
        )
        outputs[(batch_size, cache)] = (out / "text").read_text(encoding="utf-8")
        rtf = json.loads((out / "rtf.json").read_text())
        assert rtf["n_utts"] == 6 and rtf["rtf"] > 0
        assert rtf["audio_seconds"] == pytest.approx(
            sum(int(line.split()[1]) for line in (data / "speech_shape").read_text().splitlines())
            / 16000,
            abs=1e-3,
        )
        assert not (out / "text.partial").exists()
    keys = [line.split(" ")[0] for line in outputs[(1, "true")].splitlines()]
    assert keys == sorted(line.split()[0] for line in (data / "wav.scp").read_text().splitlines())
    assert outputs[(1, "true")] == outputs[(4, "true")] == outputs[(4, "false")]


def test_decoding_resumes_from_partial_output(workdir):
    from espnet_ext.bin.lst_inference import main as decode

    root, data = workdir
    stage_b = root / "exp_b"
    if not (stage_b / "valid.loss.best.pth").exists():
        pytest.skip("needs the model of test_two_stage_training_and_decoding_through_the_clis")
    out = root / "decode_resume"
    out.mkdir()
    first = sorted((data / "wav.scp").read_text().splitlines())[0].split()[0]
    (out / "text.partial").write_text(f"{first} earlier result\nspk1-000000", encoding="utf-8")
    (out / "rtf.partial.json").write_text(
        json.dumps({"audio_seconds": 1.0, "decode_seconds": 0.5, "n_utts": 1})
    )
    decode(
        [
            "--train_config",
            str(stage_b / "config.yaml"),
            "--model_file",
            str(stage_b / "valid.loss.best.pth"),
            "--data_path_and_name_and_type",
            f"{data}/wav.scp,speech,sound",
            "--output_dir",
            str(out),
            "--batch_size",
            "2",
            "--max_new_tokens",
            "6",
        ]
    )
    lines = (out / "text").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 6 and lines[0] == f"{first} earlier result"
    assert json.loads((out / "rtf.json").read_text())["n_utts"] == 6
