"""ExporterTask: a YAML config trains through espnet_ext.bin.exporter_train (ESPnet's trainer)."""

from __future__ import annotations

import argparse

import pytest
import torch
import yaml

from tests.exporter.conftest import TINY_EXPORTER


def load_state(path) -> dict[str, torch.Tensor]:
    return torch.load(path, map_location="cpu", weights_only=True)


def test_trained_exp_dir_records_frozen_parts_and_keeps_them(tiny_setup, trained_exporter):
    config = yaml.safe_load((trained_exporter / "config.yaml").read_text())
    assert config["freeze_param"] == [
        "asr.frontend",
        "asr.encoder",
        "asr.decoder",
        "asr.ctc",
        "mt",
    ]
    assert config["asr_exp"] == str(tiny_setup.asr_exp)
    assert config["exporter"] == "ctc_pool"
    assert config["exporter_conf"] == TINY_EXPORTER["exporter_conf"]
    # token settings default to the MT model's, stored as lists (portable config)
    mt_config = yaml.safe_load((tiny_setup.mt_exp / "config.yaml").read_text())
    assert config["token_list"] == mt_config["token_list"]
    assert config["src_token_list"] == mt_config["src_token_list"]

    state = load_state(trained_exporter / "valid.acc.ave.pth")
    for prefix, exp in (("mt.", tiny_setup.mt_exp), ("asr.", tiny_setup.asr_exp)):
        source = load_state(exp / "valid.acc.ave.pth")
        ours = {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}
        assert ours.keys() == source.keys()
        for name, value in source.items():
            assert torch.equal(ours[name], value), prefix + name
    assert any(k.startswith("exporter.") for k in state)


def test_only_the_exporter_has_optimizer_state(trained_exporter):
    checkpoint = torch.load(
        trained_exporter / "checkpoint.pth", map_location="cpu", weights_only=False
    )
    n_state = len(checkpoint["optimizers"][0]["state"])
    state = load_state(trained_exporter / "valid.acc.ave.pth")
    from espnet_ext.exporter.exporter import CTCPoolExporter

    conf = TINY_EXPORTER["exporter_conf"]
    exporter = CTCPoolExporter(16, 16, 11, **conf)
    n_exporter = len(list(exporter.parameters()))
    assert n_state == n_exporter
    assert sum(1 for k in state if k.startswith("exporter.")) == n_exporter


def test_train_info_counts_only_the_exporter_as_trainable(trained_exporter):
    from espnet_ext.scoring.train_info import train_info

    info = train_info(trained_exporter, wall_seconds=10.0, ngpu=0, task="st")
    state = load_state(trained_exporter / "valid.acc.ave.pth")
    n_exporter = sum(v.numel() for k, v in state.items() if k.startswith("exporter."))
    assert info["trainable_params"] == n_exporter
    assert info["frozen_params"] > n_exporter


def test_parser_defaults_and_token_checks(tiny_setup, tmp_path):
    from espnet_ext.exporter.task import ExporterTask, complete_token_args

    parser = ExporterTask.get_parser()
    args = parser.parse_args(["--asr_exp", "a", "--mt_exp", str(tiny_setup.mt_exp)])
    assert args.exporter == "ctc_pool" and args.model_conf["mt_mode"] == "fixed"
    assert args.model_conf["train_asr_encoder"] is False
    complete_token_args(args)
    assert args.token_type == "word" and args.src_token_type == "word"

    other = tmp_path / "tokens.txt"
    other.write_text("<blank>\n<unk>\nzz\n<sos/eos>\n")
    bad = argparse.Namespace(mt_exp=str(tiny_setup.mt_exp), token_list=str(other))
    with pytest.raises(ValueError, match="differs from the MT model's token_list"):
        complete_token_args(bad)
    with pytest.raises(ValueError, match="--mt_exp is required"):
        complete_token_args(argparse.Namespace(mt_exp=None))
    with pytest.raises(FileNotFoundError, match="no config.yaml"):
        complete_token_args(argparse.Namespace(mt_exp=str(tmp_path)))


def test_collect_stats_writes_shape_files_without_the_models(tiny_setup, tmp_path):
    """Pipeline stage 7 runs ``<task>_train --collect_stats true``: shape files only (the model
    has no feature statistics of its own, so it is not built)."""
    from espnet_ext.bin import exporter_train
    from tests.exporter.conftest import exporter_train_args

    out = tmp_path / "stats"
    exporter_train.main(exporter_train_args(tiny_setup, out) + ["--collect_stats", "true"])
    keys = sorted(
        line.split()[0] for line in (tiny_setup.data / "wav.scp").read_text().splitlines()
    )
    for split in ("train", "valid"):
        for name in ("speech", "text", "src_text"):
            lines = (out / split / f"{name}_shape").read_text().splitlines()
            assert sorted(line.split()[0] for line in lines) == keys
    tgt = dict(
        line.split(maxsplit=1) for line in (tiny_setup.data / "text.tgt").read_text().splitlines()
    )
    shapes = dict(line.split() for line in (out / "train" / "text_shape").read_text().splitlines())
    assert all(int(shapes[k]) == len(tgt[k].split()) for k in keys)
