"""Tiny ASR and MT experiment dirs, trained by ESPnet's own trainer, for the exporter tests.

Word-level vocabularies (source: 8 words, target: 8 words; + <blank>, <unk>, <sos/eos>),
"speech" made of one tone per source word (0.15 s each), d=16 one-block Transformers, each
trained by ESPnet's trainer for 2 steps (which writes the experiment dirs). Two steps leave both
models near their initialisation, where greedy CTC emits almost only blanks and the MT output
hardly depends on its input; so the fixture then lowers the ASR blank logit, and trains the MT
model for 40 more full-batch steps. The tests see several 1-best tokens per utterance and
input-dependent translations.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import soundfile
import yaml

SRC_WORDS = ["a", "b", "c", "d", "e", "f", "g", "h"]
TGT_WORDS = ["p", "q", "r", "s", "t", "u", "v", "w"]
N_UTTS = 8
FS = 16000
BLANK_BIAS_SHIFT = -4.0
MT_FIT_STEPS = 40

TRAINER = {
    "batch_type": "unsorted",
    "batch_size": 4,
    "num_iters_per_epoch": 2,
    "max_epoch": 1,
    "num_workers": 0,
    "seed": 0,
    "optim": "adam",
    "optim_conf": {"lr": 0.001},
    "best_model_criterion": [["valid", "acc", "max"]],
    "keep_nbest_models": 1,
    "use_tensorboard": False,
    "use_matplotlib": False,
}
TINY_ASR = {
    **TRAINER,
    "frontend": "default",
    "frontend_conf": {"n_fft": 256, "hop_length": 160, "n_mels": 20},
    "normalize": "utterance_mvn",
    "encoder": "transformer",
    "encoder_conf": {
        "output_size": 16,
        "attention_heads": 2,
        "linear_units": 32,
        "num_blocks": 1,
        "input_layer": "conv2d",
    },
    "decoder": "transformer",
    "decoder_conf": {"attention_heads": 2, "linear_units": 32, "num_blocks": 1},
    "model_conf": {"ctc_weight": 0.5, "report_cer": False, "report_wer": False},
}
TINY_MT = {
    **TRAINER,
    "frontend": "embed",
    "frontend_conf": {"embed_dim": 16},
    "encoder": "transformer",
    "encoder_conf": {
        "output_size": 16,
        "attention_heads": 2,
        "linear_units": 32,
        "num_blocks": 1,
        "input_layer": None,
    },
    "decoder": "transformer",
    "decoder_conf": {"attention_heads": 2, "linear_units": 32, "num_blocks": 1},
    "model_conf": {"report_bleu": False},
}
TINY_EXPORTER = {
    **TRAINER,
    "max_epoch": 2,
    "exporter": "ctc_pool",
    "exporter_conf": {
        "hidden_size": 16,
        "num_blocks": 1,
        "attention_heads": 2,
        "linear_units": 32,
        "dropout_rate": 0.0,
    },
    "model_conf": {"mt_mode": "fixed", "l2_weight": 1.0, "ce_weight": 0.1},
}


@dataclass
class TinySetup:
    root: Path
    data: Path  # dumped-data-dir-like: wav.scp, utt2num_samples, text.src, text.tgt
    asr_exp: Path
    mt_exp: Path


def write_data(root: Path, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    data = root / "data"
    (data / "wav").mkdir(parents=True, exist_ok=True)
    scp, nums, src, tgt = [], [], [], []
    t = np.arange(int(0.15 * FS)) / FS
    for i in range(N_UTTS):
        key = f"spk1-{i:07d}-{i + 1:07d}"
        words = rng.choice(len(SRC_WORDS), int(rng.integers(2, 6)))
        parts = []
        for w in words:
            parts.append(0.3 * np.sin(2 * np.pi * (300 + 250 * w) * t))
            parts.append(0.01 * rng.standard_normal(800))
        wav = np.concatenate(parts).astype(np.float32)
        path = data / "wav" / f"{key}.wav"
        soundfile.write(path, wav, FS, subtype="PCM_16")
        scp.append(f"{key} {path}\n")
        nums.append(f"{key} {len(wav)}\n")
        src.append(f"{key} {' '.join(SRC_WORDS[w] for w in words)}\n")
        tgt.append(f"{key} {' '.join(TGT_WORDS[w] for w in words[::-1])}\n")
    for name, lines in (
        ("wav.scp", scp),
        ("utt2num_samples", nums),
        ("text.src", src),
        ("text.tgt", tgt),
    ):
        (data / name).write_text("".join(lines))
    for name, words in (("tokens.src", SRC_WORDS), ("tokens.tgt", TGT_WORDS)):
        (root / name).write_text("\n".join(["<blank>", "<unk>", *words, "<sos/eos>"]) + "\n")
    return data


def data_args(data: Path, layout: list[tuple[str, str, str]]) -> list[str]:
    args = []
    for split in ("train", "valid"):
        for file, name, kind in layout:
            args += [f"--{split}_data_path_and_name_and_type", f"{data / file},{name},{kind}"]
        args += [f"--{split}_shape_file", str(data / layout[0][0])]
    return args


def write_config(path: Path, config: dict) -> Path:
    path.write_text(yaml.safe_dump(config))
    return path


def train_asr(root: Path, data: Path) -> Path:
    from espnet2.tasks.asr import ASRTask

    out = root / "exp" / "asr"
    ASRTask.main(
        cmd=[
            "--config",
            str(write_config(root / "asr.yaml", TINY_ASR)),
            "--output_dir",
            str(out),
            "--ngpu",
            "0",
            "--token_type",
            "word",
            "--token_list",
            str(root / "tokens.src"),
            *data_args(data, [("wav.scp", "speech", "sound"), ("text.src", "text", "text")]),
        ]
    )
    _lower_blank(out / "valid.acc.ave.pth")
    return out


def _lower_blank(checkpoint: Path) -> None:
    import torch

    real = checkpoint.resolve()
    state = torch.load(real, map_location="cpu", weights_only=True)
    state["ctc.ctc_lo.bias"][0] += BLANK_BIAS_SHIFT
    _rewrite_model_file(real, state)


def _rewrite_model_file(path: Path, state: dict) -> None:
    """Overwrite a model file of an experiment dir and its checksum: when the crash-safe trainer
    is installed on the task (an espnet_ext entrypoint was imported in this process), the dir has
    a checksums.sha256 that later loads verify."""
    from espnet_ext.training.checkpoint import CheckpointDir

    CheckpointDir(path.parent).save(state, path.name)


def _fit_mt(exp: Path, root: Path, data: Path, steps: int = MT_FIT_STEPS) -> None:
    """Continue the MT training in a plain loop (full batch, no trainer overhead) so that its
    translations depend on the input; the checkpoint is overwritten in place."""
    import torch
    from espnet2.tasks.mt import MTTask

    model, _ = MTTask.build_model_from_file(exp / "config.yaml", exp / "valid.acc.ave.pth")
    batch = {}
    for name, file, tokens in (
        ("src_text", "text.src", "tokens.src"),
        ("text", "text.tgt", "tokens.tgt"),
    ):
        vocab = (root / tokens).read_text().split()
        rows = [line.split()[1:] for line in (data / file).read_text().splitlines()]
        lens = torch.tensor([len(r) for r in rows])
        ids = torch.full((len(rows), int(lens.max())), -1, dtype=torch.long)
        for b, row in enumerate(rows):
            ids[b, : len(row)] = torch.tensor([vocab.index(w) for w in row])
        batch[name], batch[f"{name}_lengths"] = ids, lens
    torch.manual_seed(0)
    optim = torch.optim.Adam(model.parameters(), lr=0.01)
    model.train()
    for _ in range(steps):
        optim.zero_grad()
        model(**batch)[0].backward()
        optim.step()
    _rewrite_model_file((exp / "valid.acc.ave.pth").resolve(), model.state_dict())


def train_mt(root: Path, data: Path) -> Path:
    from espnet2.tasks.mt import MTTask

    out = root / "exp" / "mt"
    MTTask.main(
        cmd=[
            "--config",
            str(write_config(root / "mt.yaml", TINY_MT)),
            "--output_dir",
            str(out),
            "--ngpu",
            "0",
            "--token_type",
            "word",
            "--token_list",
            str(root / "tokens.tgt"),
            "--src_token_type",
            "word",
            "--src_token_list",
            str(root / "tokens.src"),
            *data_args(data, [("text.src", "src_text", "text"), ("text.tgt", "text", "text")]),
        ]
    )
    _fit_mt(out, root, data)
    return out


def exporter_train_args(setup: TinySetup, out: Path, **overrides) -> list[str]:
    """``exporter_train`` arguments for a 2-step run into ``out`` (config overrides merged)."""
    config = {**TINY_EXPORTER, "asr_exp": str(setup.asr_exp), "mt_exp": str(setup.mt_exp)}
    for key, value in overrides.items():
        config[key] = {**config[key], **value} if isinstance(value, dict) else value
    out.mkdir(parents=True, exist_ok=True)
    layout = [
        ("wav.scp", "speech", "sound"),
        ("text.tgt", "text", "text"),
        ("text.src", "src_text", "text"),
    ]
    return [
        "--config",
        str(write_config(out / "train.yaml", config)),
        "--output_dir",
        str(out),
        "--ngpu",
        "0",
        *data_args(setup.data, layout),
    ]


@pytest.fixture(scope="session")
def tiny_setup(tmp_path_factory) -> TinySetup:
    """Tiny ASR + MT experiment dirs (ESPnet's trainer, 2 steps each) and their data."""
    import torch

    from espnet_ext.bin import quiet_espnet_import

    # tiny matrices: thread start-up and contention would cost more than the arithmetic
    torch.set_num_threads(1)

    quiet_espnet_import()
    root = tmp_path_factory.mktemp("exporter")
    data = write_data(root)
    return TinySetup(
        root=root, data=data, asr_exp=train_asr(root, data), mt_exp=train_mt(root, data)
    )


@pytest.fixture(scope="session")
def tiny_models(tiny_setup):
    """(asr, asr_args, mt, mt_args) loaded from the tiny experiment dirs."""
    from espnet_ext.exporter.pretrained import load_system

    asr, asr_args = load_system("asr", tiny_setup.asr_exp)
    mt, mt_args = load_system("mt", tiny_setup.mt_exp)
    return asr.eval(), asr_args, mt.eval(), mt_args


@pytest.fixture(scope="session")
def trained_exporter(tiny_setup) -> Path:
    """An exporter experiment dir trained by ``espnet_ext.bin.exporter_train`` (fixed MT, 2
    epochs); its log goes to ``train.log`` as the pipeline's job launcher would write it."""
    import logging

    from espnet_ext.bin import exporter_train

    out = tiny_setup.root / "exp" / "exporter_fixed"
    args = exporter_train_args(tiny_setup, out)
    handler = logging.FileHandler(out / "train.log")
    handler.setFormatter(logging.Formatter("%(asctime)s (%(module)s:%(lineno)d) %(message)s"))
    root_logger = logging.getLogger()
    root_logger.addHandler(handler)
    level = root_logger.level
    root_logger.setLevel(logging.INFO)
    try:
        exporter_train.main(args)
    finally:
        root_logger.removeHandler(handler)
        root_logger.setLevel(level)
        handler.close()
    return out


def build_args(setup: TinySetup, **model_conf) -> argparse.Namespace:
    """An exporter config namespace as ``config.yaml`` would hold it (for direct model builds)."""
    return argparse.Namespace(
        asr_exp=str(setup.asr_exp),
        mt_exp=str(setup.mt_exp),
        asr_model_file="valid.acc.ave.pth",
        mt_model_file="valid.acc.ave.pth",
        exporter="ctc_pool",
        exporter_conf=dict(TINY_EXPORTER["exporter_conf"]),
        model_conf=model_conf,
        init=None,
        freeze_param=[],
        token_list=None,
        token_type=None,
        bpemodel=None,
        src_token_list=None,
        src_token_type=None,
        src_bpemodel=None,
    )
