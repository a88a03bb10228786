"""The cascade as a pipeline system: ``cascade_assemble`` writes its experiment dir from the tiny
ASR and MT experiment dirs, ``cascade_inference --cascade_config`` decodes it."""

from __future__ import annotations

import json

import pytest
import torch
import yaml

from espnet_ext.exporter.cascade import assemble_cascade, load_cascade_system


def load_state(path) -> dict[str, torch.Tensor]:
    return torch.load(path, map_location="cpu", weights_only=True)


@pytest.fixture(scope="module")
def cascade_exp(tiny_setup, tmp_path_factory):
    root = tmp_path_factory.mktemp("cascade")
    config = root / "cascade.yaml"
    config.write_text(
        yaml.safe_dump({"asr_exp": str(tiny_setup.asr_exp), "mt_exp": str(tiny_setup.mt_exp)})
    )
    from espnet_ext.bin import cascade_assemble

    # the pipeline's n-best name; the tiny trainings kept 1 model, so it falls back to 1best
    cascade_assemble.main(
        ["--config", str(config), "--output_dir", str(root / "exp"), "--model_name",
         "valid.acc.ave_3best.pth"]
    )  # fmt: skip
    return root / "exp"


def test_assembled_dir_holds_both_checkpoints_and_names_them(tiny_setup, cascade_exp):
    config = yaml.safe_load((cascade_exp / "config.yaml").read_text())
    assert config == {
        "task": "cascade",
        "asr_exp": str(tiny_setup.asr_exp),
        "asr_model_file": "valid.acc.ave_1best.pth",
        "mt_exp": str(tiny_setup.mt_exp),
        "mt_model_file": "valid.acc.ave_1best.pth",
        "freeze_param": ["asr", "mt"],
    }
    state = load_state(cascade_exp / "valid.acc.ave_3best.pth")
    for part, exp in (("asr", tiny_setup.asr_exp), ("mt", tiny_setup.mt_exp)):
        source = load_state(exp / "valid.acc.ave_1best.pth")
        ours = {k[len(part) + 1 :]: v for k, v in state.items() if k.startswith(part + ".")}
        assert ours.keys() == source.keys()
        assert all(torch.equal(ours[k], v) for k, v in source.items())
    assert len(state) == len(load_state(tiny_setup.asr_exp / "valid.acc.ave_1best.pth")) + len(
        load_state(tiny_setup.mt_exp / "valid.acc.ave_1best.pth")
    )
    # where ESPnet leaves its average: train_info and pack find it
    link = cascade_exp / "valid.acc.ave.pth"
    assert link.is_symlink() and link.resolve() == (cascade_exp / "valid.acc.ave_3best.pth")


def test_train_info_counts_both_models_as_frozen(tiny_setup, cascade_exp):
    from espnet_ext.scoring.train_info import train_info

    info = train_info(cascade_exp, wall_seconds=1.0, ngpu=0, task="cascade")
    parts = [train_info(exp, 1.0, 0) for exp in (tiny_setup.asr_exp, tiny_setup.mt_exp)]
    assert info["total_params"] == sum(p["total_params"] for p in parts) > 0
    assert info["trainable_params"] == 0 and info["task"] == "cascade"


def test_decoding_the_assembled_dir_equals_the_two_exp_dirs(tiny_setup, cascade_exp, tmp_path):
    from espnet_ext.bin import cascade_inference

    common = ["--data_dir", str(tiny_setup.data), "--beam_size", "2"]
    cascade_inference.main(
        ["--cascade_config", str(cascade_exp / "config.yaml"), "--cascade_model_file",
         str(cascade_exp / "valid.acc.ave_3best.pth"), "--output_dir", str(tmp_path / "a"),
         *common]
    )  # fmt: skip
    cascade_inference.main(
        ["--asr_exp", str(tiny_setup.asr_exp), "--mt_exp", str(tiny_setup.mt_exp),
         "--output_dir", str(tmp_path / "b"), *common]
    )  # fmt: skip
    for name in ("asr_text", "text"):
        assert (tmp_path / "a" / name).read_text() == (tmp_path / "b" / name).read_text()
    stats = json.loads((tmp_path / "a" / "rtf.json").read_text())
    assert stats["n_utts"] == len((tiny_setup.data / "wav.scp").read_text().splitlines())


def test_the_weights_come_from_the_cascade_checkpoint(tiny_setup, cascade_exp, tmp_path):
    """Decoding loads the checkpoint it is given (not the exp dirs' current files)."""
    state = load_state(cascade_exp / "valid.acc.ave_3best.pth")
    state["asr.ctc.ctc_lo.bias"][0] += 100.0  # blank always wins: every 1-best is empty
    torch.save(state, tmp_path / "blank.pth")
    translator, _ = load_cascade_system(
        cascade_exp / "config.yaml", tmp_path / "blank.pth", beam_size=1
    )
    wav = torch.randn(16000) * 0.1
    assert translator([wav])[0].asr_token_int == []

    only_mt = {k: v for k, v in state.items() if k.startswith("mt.")}
    torch.save(only_mt, tmp_path / "mt_only.pth")
    with pytest.raises(ValueError, match=r"no asr\.\* weights"):
        load_cascade_system(cascade_exp / "config.yaml", tmp_path / "mt_only.pth")


def test_bad_configs_and_missing_systems_are_named(tiny_setup, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"asr_exp": str(tiny_setup.asr_exp)}))
    with pytest.raises(ValueError, match="missing 'mt_exp'"):
        assemble_cascade(bad, tmp_path / "out", "valid.acc.ave.pth")
    bad.write_text(
        yaml.safe_dump({"asr_exp": "a", "mt_exp": "b", "beam_size": 3}),
    )
    with pytest.raises(ValueError, match=r"unknown keys \['beam_size'\]"):
        assemble_cascade(bad, tmp_path / "out", "valid.acc.ave.pth")
    bad.write_text(
        yaml.safe_dump({"asr_exp": str(tiny_setup.asr_exp), "mt_exp": str(tmp_path / "nomt")})
    )
    with pytest.raises(FileNotFoundError, match="the MT system is not trained"):
        assemble_cascade(bad, tmp_path / "out", "valid.acc.ave.pth")
    bad.write_text(
        yaml.safe_dump({"asr_exp": str(tiny_setup.asr_exp), "mt_exp": str(tiny_setup.mt_exp)})
    )
    with pytest.raises(FileNotFoundError, match="no valid.loss.best.pth"):
        assemble_cascade(bad, tmp_path / "out", "valid.loss.best.pth")
    assert not (tmp_path / "out" / "config.yaml").exists()

    from espnet_ext.bin import cascade_assemble

    with pytest.raises(SystemExit, match="cascade_assemble: .*no valid.loss.best.pth"):
        cascade_assemble.main(
            ["--config", str(bad), "--output_dir", str(tmp_path / "out"), "--model_name",
             "valid.loss.best.pth"]
        )  # fmt: skip


def test_cli_wants_one_way_of_naming_the_systems(tiny_setup, tmp_path, capsys):
    from espnet_ext.bin import cascade_inference

    out = ["--output_dir", str(tmp_path), "--data_dir", str(tiny_setup.data)]
    with pytest.raises(SystemExit):
        cascade_inference.main(["--asr_exp", str(tiny_setup.asr_exp), *out])
    assert "give --asr_exp and --mt_exp, or --cascade_config" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cascade_inference.main(
            ["--cascade_config", "c.yaml", "--asr_exp", str(tiny_setup.asr_exp), *out]
        )
    assert "--cascade_config takes --cascade_model_file" in capsys.readouterr().err
