"""The thin ESPnet entrypoints train one step and decode one utterance with stock ESPnet configs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import yaml

SENTENCES = {
    "spk1-0000000-0001000": ("hello world", "hallo welt"),
    "spk1-0001000-0002000": ("good morning", "guten morgen"),
    "spk2-0000000-0001000": ("thank you", "danke"),
    "spk2-0001000-0002000": ("see you soon", "bis bald"),
}

TINY_TRAINER = {
    "batch_type": "unsorted",
    "batch_size": 2,
    "max_epoch": 1,
    "num_iters_per_epoch": 1,
    "num_workers": 0,
    "seed": 0,
    "optim": "adam",
    "optim_conf": {"lr": 0.001},
    "best_model_criterion": [["valid", "loss", "min"]],
    "keep_nbest_models": 1,
    "use_tensorboard": False,
    "use_matplotlib": False,
}
TINY_ENCODER = {
    "output_size": 16,
    "attention_heads": 2,
    "linear_units": 32,
    "num_blocks": 1,
    "input_layer": "conv2d",
}
TINY_DECODER = {"attention_heads": 2, "linear_units": 32, "num_blocks": 1}
SPEECH_FRONTEND = {
    "frontend": "default",
    "frontend_conf": {"n_fft": 256, "hop_length": 128, "n_mels": 20},
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """Four utterances of noise with English transcripts and German translations, and char token lists."""
    root = tmp_path_factory.mktemp("entrypoints")
    rng = np.random.default_rng(0)
    wav_lines, en_lines, de_lines = [], [], []
    for utt, (en, de) in sorted(SENTENCES.items()):
        path = root / f"{utt}.wav"
        sf.write(path, (rng.standard_normal(8000) * 0.1).astype(np.float32), 16000)
        wav_lines.append(f"{utt} {path}\n")
        en_lines.append(f"{utt} {en}\n")
        de_lines.append(f"{utt} {de}\n")
    (root / "wav.scp").write_text("".join(wav_lines))
    (root / "text.en").write_text("".join(en_lines))
    (root / "text.de").write_text("".join(de_lines))
    for lang, lines in (("en", en_lines), ("de", de_lines)):
        chars = sorted({c for line in lines for c in line.split(" ", 1)[1].strip()} - {" "})
        tokens = ["<blank>", "<unk>", "<space>", *chars, "<sos/eos>"]
        (root / f"tokens.{lang}").write_text("".join(f"{t}\n" for t in tokens))
    return root


def _write_config(path: Path, config: dict) -> Path:
    path.write_text(yaml.safe_dump(config, allow_unicode=True))
    return path


def _data(root: Path, split: str, entries: list[tuple[str, str, str]]) -> list[str]:
    args = []
    for file, name, kind in entries:
        args += [f"--{split}_data_path_and_name_and_type", f"{root / file},{name},{kind}"]
    return args


def _train_args(
    corpus: Path, out: Path, config: Path, entries, shape_file: str, tokens: list[str]
):
    return [
        "--config", str(config), "--output_dir", str(out), "--ngpu", "0",
        "--use_preprocessor", "true", "--token_type", "char", *tokens,
        *_data(corpus, "train", entries), *_data(corpus, "valid", entries),
        "--train_shape_file", str(corpus / shape_file), "--valid_shape_file", str(corpus / shape_file),
    ]  # fmt: skip


def _one_utt_keyfile(corpus: Path, out: Path, scp: str) -> Path:
    first = (corpus / scp).read_text().splitlines()[0]
    key_file = out / "one_utt.scp"
    key_file.write_text(first + "\n")
    return key_file


def _decoded(out: Path) -> dict[str, str]:
    lines = (out / "1best_recog" / "text").read_text().splitlines()
    return dict((line.split(" ", 1) + [""])[:2] for line in lines)


def test_st_entrypoints_in_subprocesses(corpus, tmp_path):
    """`python -m espnet_ext.bin.st_train` / `st_inference` as the recipes run them."""
    config = _write_config(
        tmp_path / "st.yaml",
        {**TINY_TRAINER, **SPEECH_FRONTEND, "normalize": "utterance_mvn",
         "encoder": "transformer", "encoder_conf": TINY_ENCODER,
         "decoder": "transformer", "decoder_conf": TINY_DECODER,
         "model_conf": {"asr_weight": 0.0, "mt_weight": 0.0, "report_bleu": False,
                        "report_cer": False, "report_wer": False}},
    )  # fmt: skip
    exp = tmp_path / "exp"
    entries = [
        ("wav.scp", "speech", "sound"),
        ("text.de", "text", "text"),
        ("text.en", "src_text", "text"),
    ]
    tokens = ["--token_list", str(corpus / "tokens.de"), "--src_token_type", "char",
              "--src_token_list", str(corpus / "tokens.en")]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    train = subprocess.run(
        [sys.executable, "-m", "espnet_ext.bin.st_train",
         *_train_args(corpus, exp, config, entries, "wav.scp", tokens)],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert train.returncode == 0, train.stderr[-3000:]
    model_file = exp / "valid.loss.best.pth"
    assert model_file.exists(), sorted(p.name for p in exp.iterdir())
    assert "nltk_data" not in train.stderr, "the NLTK download noise should be silenced"

    out = tmp_path / "decode"
    key_file = _one_utt_keyfile(corpus, tmp_path, "wav.scp")
    decode = subprocess.run(
        [sys.executable, "-m", "espnet_ext.bin.st_inference", "--ngpu", "0", "--batch_size", "1",
         "--st_train_config", str(exp / "config.yaml"), "--st_model_file", str(model_file),
         "--data_path_and_name_and_type", f"{corpus / 'wav.scp'},speech,sound",
         "--key_file", str(key_file), "--output_dir", str(out), "--beam_size", "2", "--maxlenratio", "0.5"],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert decode.returncode == 0, decode.stderr[-3000:]
    assert list(_decoded(out)) == [key_file.read_text().split()[0]]


def test_asr_and_mt_entrypoints_in_process(corpus, tmp_path):
    """The ASR and MT entrypoints (in one process, to pay ESPnet's import cost once)."""
    from espnet_ext.bin import asr_inference, asr_train, mt_inference, mt_train

    asr_config = _write_config(
        tmp_path / "asr.yaml",
        {**TINY_TRAINER, **SPEECH_FRONTEND, "normalize": "utterance_mvn",
         "encoder": "transformer", "encoder_conf": TINY_ENCODER,
         "decoder": "transformer", "decoder_conf": TINY_DECODER,
         "model_conf": {"ctc_weight": 0.3, "report_cer": False, "report_wer": False}},
    )  # fmt: skip
    asr_exp = tmp_path / "asr"
    asr_train.main(
        _train_args(corpus, asr_exp, asr_config, [("wav.scp", "speech", "sound"), ("text.en", "text", "text")],
                    "wav.scp", ["--token_list", str(corpus / "tokens.en")])
    )  # fmt: skip
    asr_out = tmp_path / "asr_decode"
    key_file = _one_utt_keyfile(corpus, tmp_path, "wav.scp")
    asr_inference.main(
        ["--ngpu", "0", "--batch_size", "1", "--asr_train_config", str(asr_exp / "config.yaml"),
         "--asr_model_file", str(asr_exp / "valid.loss.best.pth"),
         "--data_path_and_name_and_type", f"{corpus / 'wav.scp'},speech,sound",
         "--key_file", str(key_file), "--output_dir", str(asr_out), "--beam_size", "2", "--ctc_weight", "0.3"]
    )  # fmt: skip
    assert list(_decoded(asr_out)) == [key_file.read_text().split()[0]]

    mt_config = _write_config(
        tmp_path / "mt.yaml",
        {**TINY_TRAINER, "frontend": "embed", "frontend_conf": {"embed_dim": 16},
         "encoder": "transformer", "encoder_conf": {**TINY_ENCODER, "input_layer": None},
         "decoder": "transformer", "decoder_conf": TINY_DECODER, "model_conf": {"report_bleu": False}},
    )  # fmt: skip
    mt_exp = tmp_path / "mt"
    mt_train.main(
        _train_args(corpus, mt_exp, mt_config, [("text.en", "src_text", "text"), ("text.de", "text", "text")],
                    "text.en", ["--token_list", str(corpus / "tokens.de"), "--src_token_type", "char",
                                "--src_token_list", str(corpus / "tokens.en")])
    )  # fmt: skip
    mt_out = tmp_path / "mt_decode"
    mt_key = _one_utt_keyfile(corpus, tmp_path, "text.en")
    mt_inference.main(
        ["--ngpu", "0", "--batch_size", "1", "--mt_train_config", str(mt_exp / "config.yaml"),
         "--mt_model_file", str(mt_exp / "valid.loss.best.pth"),
         "--data_path_and_name_and_type", f"{corpus / 'text.en'},src_text,text",
         "--key_file", str(mt_key), "--output_dir", str(mt_out), "--beam_size", "2", "--maxlenratio", "1.0"]
    )  # fmt: skip
    assert list(_decoded(mt_out)) == [mt_key.read_text().split()[0]]
