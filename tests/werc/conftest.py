"""Tiny ESPnet ST configs with a WeRC or plain Transformer decoder (CPU, seconds to build)."""

from __future__ import annotations

import argparse
import copy

import pytest

TOKENS = ["<blank>", "<unk>", "a", "b", "c", "d", "e", "<space>", "<sos/eos>"]


@pytest.fixture(scope="session")
def st_task():
    from espnet_ext.bin import quiet_espnet_import

    quiet_espnet_import()
    from espnet_ext.registry import register

    register()
    from espnet2.tasks.st import STTask

    return STTask


@pytest.fixture(scope="session")
def st_default_config(st_task) -> dict:
    """Every ST option at its default, as ESPnet writes them into ``config.yaml``."""
    return vars(st_task.get_parser().parse_args(["--output_dir", "unused"]))


@pytest.fixture
def tiny_st_config(st_default_config):
    """``make(decoder, decoder_conf=None, **overrides) -> dict``: a complete tiny ST config."""

    def make(decoder: str = "werc_transformer", decoder_conf: dict | None = None, **overrides):
        cfg = copy.deepcopy(st_default_config)
        cfg.update(
            token_list=list(TOKENS),
            token_type="char",
            src_token_list=list(TOKENS),
            src_token_type="char",
            frontend="default",
            frontend_conf={"n_fft": 128, "hop_length": 64, "n_mels": 8},
            normalize="utterance_mvn",
            encoder="transformer",
            encoder_conf={
                "output_size": 16,
                "attention_heads": 2,
                "linear_units": 32,
                "num_blocks": 1,
                "input_layer": "conv2d",
            },
            decoder=decoder,
            decoder_conf={
                "attention_heads": 2,
                "linear_units": 32,
                "num_blocks": 2,
                **(decoder_conf or {}),
            },
            model_conf={
                **cfg["model_conf"],
                "report_bleu": False,
                "report_cer": False,
                "report_wer": False,
            },
            train_data_path_and_name_and_type=[
                ["dump/raw/train.en-de/wav.scp", "speech", "sound"],
                ["dump/raw/train.en-de/text.tc.de", "text", "text"],
            ],
        )
        cfg.update(overrides)
        return cfg

    return make


@pytest.fixture
def build_st_model(st_task):
    def build(cfg: dict):
        return st_task.build_model(argparse.Namespace(**copy.deepcopy(cfg)))

    return build
