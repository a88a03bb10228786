import json
import math
import os
import pickle

import pytest
import torch

from espnet_ext.lst import pretrain_lm as pretrain_module
from tests.fixtures.lst import (
    PROMPT,
    WORDS_DE,
    WORDS_EN,
    random_sentences,
)

COMMON = [
    "--vocab_size",
    "320",
    "--hidden_size",
    "32",
    "--intermediate_size",
    "64",
    "--num_layers",
    "2",
    "--num_heads",
    "4",
    "--epochs",
    "2",
    "--batch_size",
    "32",
    "--lr",
    "3e-3",
    "--warmup_steps",
    "5",
    "--n_valid",
    "40",
]


@pytest.fixture(scope="module")
def text_files(tmp_path_factory):
    root = tmp_path_factory.mktemp("lm_text")
    (root / "train.de").write_text("\n".join(random_sentences(WORDS_DE, 300, 0)) + "\n")
    (root / "par.en").write_text("\n".join(random_sentences(WORDS_EN, 200, 1)) + "\n")
    (root / "par.de").write_text("\n".join(random_sentences(WORDS_DE, 200, 2)) + "\n")
    (root / "lst.yaml").write_text(json.dumps({"prompt_conf": {"template": PROMPT}}))
    return root


def _cmd(root, out):
    return [
        "--out_dir",
        str(out),
        "--text",
        str(root / "train.de"),
        "--src_text",
        str(root / "par.en"),
        "--tgt_text",
        str(root / "par.de"),
        "--lst_config",
        str(root / "lst.yaml"),
    ] + COMMON


def test_pretrain_lm_trains_saves_and_reloads(text_files, tmp_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from espnet_ext.bin.lst_pretrain_lm import main

    out = tmp_path / "lm"
    main(_cmd(text_files, out))
    info = json.loads((out / "pretrain_info.json").read_text())
    assert info["config"]["prompt_template"] == PROMPT
    assert info["n_train_sequences"] + info["n_valid_sequences"] == 500
    first, last = info["history"]
    assert last["valid_loss"] < first["valid_loss"] < math.log(info["vocab_size"])
    assert not (out / "checkpoint.pt").exists()

    model = AutoModelForCausalLM.from_pretrained(out)
    tokenizer = AutoTokenizer.from_pretrained(out)
    assert type(model).__name__ == "LlamaForCausalLM" and model.config.hidden_size == 32
    assert model.config.vocab_size == len(tokenizer) == info["vocab_size"]
    assert (tokenizer.bos_token_id, tokenizer.eos_token_id) == (1, 2)
    text = "Translate: der hund\nTranslation: groß über"
    ids = tokenizer.encode(text, add_special_tokens=False)
    assert tokenizer.unk_token_id not in ids and tokenizer.decode(ids) == text

    mtime = (out / "model.safetensors").stat().st_mtime
    main(_cmd(text_files, out))  # complete with the same settings: skipped
    assert (out / "model.safetensors").stat().st_mtime == mtime
    with pytest.raises(ValueError, match="trained with other settings"):
        main(_cmd(text_files, out)[:-2] + ["--n_valid", "10"])


def test_pretrain_lm_resumes_after_a_crash(text_files, tmp_path, monkeypatch):
    from espnet_ext.bin.lst_pretrain_lm import main

    out = tmp_path / "lm"
    evaluate = pretrain_module.evaluate
    calls = []

    def crash_in_second_epoch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return evaluate(*args, **kwargs)

    monkeypatch.setattr(pretrain_module, "evaluate", crash_in_second_epoch)
    with pytest.raises(KeyboardInterrupt):
        main(_cmd(text_files, out))
    assert (out / "checkpoint.pt").exists() and not (out / "pretrain_info.json").exists()
    monkeypatch.setattr(pretrain_module, "evaluate", evaluate)
    main(_cmd(text_files, out))
    history = json.loads((out / "pretrain_info.json").read_text())["history"]
    assert [h["epoch"] for h in history] == [1, 2]

    fresh = tmp_path / "fresh"
    main(_cmd(text_files, fresh))
    assert json.loads((fresh / "pretrain_info.json").read_text())["history"] == history


def test_pretrain_lm_rejects_misaligned_parallel_text(text_files, tmp_path):
    from espnet_ext.bin.lst_pretrain_lm import main

    (tmp_path / "short.de").write_text("der hund\n")
    with pytest.raises(ValueError, match="has 200 lines but .*short.de has 1"):
        main(
            [
                "--out_dir",
                str(tmp_path / "lm"),
                "--src_text",
                str(text_files / "par.en"),
                "--tgt_text",
                str(tmp_path / "short.de"),
            ]
            + COMMON
        )


class Evil:
    """Pickles as a call of ``os.mkdir(marker)``: run if the file is unpickled unsafely."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def test_pretrain_lm_refuses_a_crafted_checkpoint(text_files, tmp_path):
    from espnet_ext.bin.lst_pretrain_lm import main

    out = tmp_path / "lm"
    out.mkdir()
    marker = tmp_path / "pwned"
    torch.save({"config": {}, "model": Evil(marker)}, out / "checkpoint.pt")
    with pytest.raises(pickle.UnpicklingError, match="mkdir"):
        main(_cmd(text_files, out))
    assert not marker.exists()
    assert not (out / "pretrain_info.json").exists()
