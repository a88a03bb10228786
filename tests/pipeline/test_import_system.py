"""Importing a system from another recipe's finished experiment (espnet_ext.pipeline.import_system):
what the copy holds, and each check that refuses a source that would not behave like a system
trained here."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from espnet_ext.pipeline.import_system import (
    IMPORT_RECORD,
    SystemImportError,
    check_tokenizer,
    import_system,
    read_import_record,
    task_options,
)
from espnet_ext.pipeline.tokenizer import train_sentencepiece
from espnet_ext.training.checkpoint import CheckpointDir, file_sha256

SENTENCES = [
    "the cat sat on the mat",
    "a dog ran in the park",
    "we talk about speech translation",
    "the model reads the audio",
    "data preparation is the first stage",
    "she sells sea shells by the sea shore",
]
ASR_CONFIG = {
    "encoder": "transformer",
    "encoder_conf": {"output_size": 16, "attention_heads": 2, "linear_units": 32, "num_blocks": 1},
    "decoder": "transformer",
    "decoder_conf": {"attention_heads": 2, "linear_units": 32, "num_blocks": 1},
    "frontend_conf": {"n_mels": 20},
    "normalize": "global_mvn",
    "max_epoch": 3,
}
TOKENS = "data/token_list/train/src_unigram30"
STATS = "exp/stats_asr_train/train/feats_stats.npz"
TEXT = "dump/raw/train/text.lc.rm.en"


def _make_recipe(root: Path, sentences=SENTENCES, stats_scale=1.0, config=ASR_CONFIG) -> Path:
    """A recipe dir with what stages 1-7 leave for an ASR system: training text, tokenizer,
    statistics and the system's config."""
    root.mkdir(parents=True)
    text = root / TEXT
    text.parent.mkdir(parents=True)
    text.write_text("".join(f"utt{i} {s}\n" for i, s in enumerate(sentences)))
    train_sentencepiece([text], root / TOKENS, vocab_size=30)
    stats = root / STATS
    stats.parent.mkdir(parents=True)
    rng = np.random.default_rng(0)
    np.savez(
        stats,
        count=np.array(1000),
        sum=stats_scale * rng.normal(size=20) * 1000,
        sum_square=np.abs(rng.normal(size=20)) * 5000,
    )
    (root / "conf").mkdir()
    (root / "conf" / "asr.yaml").write_text(yaml.safe_dump(config))
    return root


def _train_args() -> list[str]:
    return [
        "--token_type", "bpe", "--token_list", f"{TOKENS}/tokens.txt",
        "--bpemodel", f"{TOKENS}/bpe.model",
        "--train_data_path_and_name_and_type", "dump/raw/train/wav.scp,speech,sound",
        "--train_data_path_and_name_and_type", f"{TEXT},text,text",
        "--normalize_conf", f"stats_file={STATS}",
    ]  # fmt: skip


def _finished_experiment(recipe: Path, max_epoch: int = 5) -> Path:
    """exp/asr as a finished training leaves it: full config (as ESPnet writes it, the token
    list inline), checkpoints with their manifest, a symlinked average, logs, plots, .done."""
    options, _ = task_options("asr", recipe / "conf" / "asr.yaml")
    exp = recipe / "exp" / "asr"
    (exp / "images").mkdir(parents=True)
    config = {k: (list(v) if isinstance(v, tuple) else v) for k, v in options.items()}
    config.update(
        max_epoch=max_epoch,
        output_dir="exp/asr",
        token_list=(recipe / TOKENS / "tokens.txt").read_text().splitlines(),
        bpemodel=f"{TOKENS}/bpe.model",
        normalize_conf={"stats_file": STATS},
    )
    (exp / "config.yaml").write_text(yaml.safe_dump(config))
    ckpt = CheckpointDir(exp)
    torch.manual_seed(0)
    for name in ("3epoch.pth", "valid.acc.ave_3best.pth", "checkpoint.pth"):
        ckpt.save({"encoder.weight": torch.randn(4, 4)}, name)
    os.symlink("valid.acc.ave_3best.pth", exp / "valid.acc.ave.pth")
    (exp / "train.log").write_text("epoch 1 ...\n")
    (exp / "train_wall_seconds.txt").write_text("120\n")
    (exp / "images" / "loss.png").write_bytes(b"png")
    (exp / "RESULTS.md").write_text("source results\n")
    (exp / ".done").touch()
    return exp


@pytest.fixture
def recipes(tmp_path):
    """(source recipe with a finished exp/asr, a second recipe with the same data)"""
    source = _make_recipe(tmp_path / "source")
    _finished_experiment(source)
    return source, _make_recipe(tmp_path / "here")


def _import(source: Path, here: Path, **kw):
    cwd = os.getcwd()
    os.chdir(here)
    try:
        return import_system(
            kw.get("src", source / "exp" / "asr"), "exp/asr", "asr", "conf/asr.yaml",
            "valid.acc.ave.pth", kw.get("train_args", _train_args()),
        )  # fmt: skip
    finally:
        os.chdir(cwd)


def test_import_copies_the_model_and_points_the_config_at_this_recipe(recipes):
    source, here = recipes
    record = _import(source, here)
    exp, src_exp = here / "exp" / "asr", source / "exp" / "asr"
    # the inference checkpoint, bit-identical, behind the same symlink, listed in the manifest
    assert os.readlink(exp / "valid.acc.ave.pth") == "valid.acc.ave_3best.pth"
    assert file_sha256(exp / "valid.acc.ave_3best.pth") == file_sha256(
        src_exp / "valid.acc.ave_3best.pth"
    )
    assert CheckpointDir(exp).verify("valid.acc.ave_3best.pth") is None
    assert record["sha256"] == file_sha256(exp / "valid.acc.ave_3best.pth")
    assert record["checksum_verified_at_source"] is True
    # resume checkpoints, the source's results and its .done stay behind; logs and plots come
    assert sorted(p.name for p in exp.iterdir()) == sorted(
        ["valid.acc.ave.pth", "valid.acc.ave_3best.pth", "checksums.sha256", "config.yaml",
         "train.log", "train_wall_seconds.txt", "images", IMPORT_RECORD]
    )  # fmt: skip
    assert (exp / "train_wall_seconds.txt").read_text() == "120\n"
    config = yaml.safe_load((exp / "config.yaml").read_text())
    assert config["bpemodel"] == f"{TOKENS}/bpe.model"
    assert config["normalize_conf"]["stats_file"] == STATS
    assert config["output_dir"] == "exp/asr"
    assert config["token_list"] == (here / TOKENS / "tokens.txt").read_text().splitlines()
    assert read_import_record(exp) == record
    assert record["source"] == str(src_exp.resolve())
    assert record["checks"][0].startswith("token_list:") and "identical" in record["checks"][0]
    assert f"same pieces on all {len(SENTENCES)} lines" in record["checks"][1]
    assert record["checks"][2].startswith("statistics: 3 arrays agree")
    # trained longer at the source: allowed, and reported
    assert record["training_differences"] == ["max_epoch: 3 here, 5 in the source"]


def test_reimport_replaces_an_earlier_import_but_not_a_training(recipes):
    source, here = recipes
    _import(source, here)
    (here / "exp" / "asr" / "stale").write_text("x")
    _import(source, here)
    assert not (here / "exp" / "asr" / "stale").exists()
    (here / "exp" / "asr" / IMPORT_RECORD).unlink()
    with pytest.raises(SystemImportError, match="exists and was not imported"):
        _import(source, here)


def test_unfinished_source_is_refused(recipes):
    source, here = recipes
    (source / "exp" / "asr" / ".done").unlink()
    with pytest.raises(SystemImportError, match=r"not a finished experiment.*\.done"):
        _import(source, here)
    assert not (here / "exp" / "asr").exists()


def test_other_token_list_is_refused(tmp_path):
    source = _make_recipe(tmp_path / "source")
    _finished_experiment(source)
    here = _make_recipe(tmp_path / "here", sentences=[s.upper() for s in SENTENCES])
    with pytest.raises(SystemImportError, match=r"token_list: .*tokens.txt .* first at entry \d+"):
        _import(source, here)
    assert not (here / "exp" / "asr").exists()


def test_tokenizer_check_names_the_first_line_split_differently(tmp_path):
    a = _make_recipe(tmp_path / "a")
    b = _make_recipe(tmp_path / "b", sentences=["zz yy xx", "qq pp oo", *SENTENCES[:1]])
    assert "same pieces on all 6 lines" in check_tokenizer(
        "bpemodel", a / TOKENS / "bpe.model", a / TOKENS / "bpe.model", a / TEXT
    )
    with pytest.raises(SystemImportError, match=r"text.lc.rm.en:\d+ \(utterance utt\d+\)"):
        check_tokenizer("bpemodel", a / TOKENS / "bpe.model", b / TOKENS / "bpe.model", a / TEXT)
    with pytest.raises(SystemImportError, match="no training text"):
        check_tokenizer("bpemodel", a / TOKENS / "bpe.model", b / TOKENS / "bpe.model", None)


def test_other_statistics_are_refused(tmp_path):
    source = _make_recipe(tmp_path / "source")
    _finished_experiment(source)
    here = _make_recipe(tmp_path / "here", stats_scale=1.001)
    with pytest.raises(SystemImportError, match=r"statistics: sum of .* differ"):
        _import(source, here)


def test_other_model_config_is_refused_naming_the_option(tmp_path):
    source = _make_recipe(tmp_path / "source")
    _finished_experiment(source)
    config = {**ASR_CONFIG, "encoder_conf": {**ASR_CONFIG["encoder_conf"], "num_blocks": 2}}
    here = _make_recipe(tmp_path / "here", config=config)
    with pytest.raises(SystemImportError, match=r"model configuration differs: encoder_conf: "):
        _import(source, here)
    # a default counts too: the source sets specaug, this recipe's config leaves it at None
    source2 = _make_recipe(tmp_path / "source2", config={**ASR_CONFIG, "specaug": "specaug"})
    _finished_experiment(source2)
    here2 = _make_recipe(tmp_path / "here2")
    with pytest.raises(SystemImportError, match=r"specaug: None in conf/asr.yaml, 'specaug'"):
        _import(source2, here2)


def test_corrupt_source_checkpoint_is_refused(recipes):
    source, here = recipes
    model = source / "exp" / "asr" / "valid.acc.ave_3best.pth"
    data = bytearray(model.read_bytes())
    data[-10] ^= 0xFF
    model.write_bytes(bytes(data))
    with pytest.raises(SystemImportError, match="does not match checksums.sha256"):
        _import(source, here)
    assert not (here / "exp" / "asr").exists()


def test_task_without_an_espnet_task_class_cannot_be_imported(tmp_path):
    with pytest.raises(SystemImportError, match="'lst_lm' is not trained by an ESPnet task"):
        task_options("lst_lm", tmp_path / "conf.yaml")


def test_cli_logs_the_checks_and_fails_cleanly(recipes, capsys):
    from espnet_ext.bin import pipeline

    source, here = recipes
    cwd = os.getcwd()
    os.chdir(here)
    try:
        args = ["import-system", "--src", str(source / "exp" / "asr"), "--dst", "exp/asr",
                "--task", "asr", "--config", "conf/asr.yaml", "--model-name", "valid.acc.ave.pth"]  # fmt: skip
        pipeline.main([*args, "--", *_train_args()])
        assert json.loads((here / "exp" / "asr" / IMPORT_RECORD).read_text())["model_file"] == (
            "valid.acc.ave_3best.pth"
        )
        shutil.rmtree(here / "exp" / "asr")
        (source / "exp" / "asr" / ".done").unlink()
        with pytest.raises(SystemExit) as e:
            pipeline.main([*args, "--", *_train_args()])
        assert e.value.code == 1
        assert "pipeline import-system: error: " in capsys.readouterr().err
    finally:
        os.chdir(cwd)


def test_train_info_and_results_table_name_the_source(recipes):
    from espnet_ext.scoring.results import load_experiment
    from espnet_ext.scoring.train_info import train_info, write_train_info

    source, here = recipes
    _import(source, here)
    exp = here / "exp" / "asr"
    info = train_info(exp, 120.0, 0)
    assert info["imported_from"] == str((source / "exp" / "asr").resolve())
    assert info["total_params"] == 16
    write_train_info(info, exp)
    (row,) = load_experiment(exp)
    assert f"imported from {(source / 'exp' / 'asr').resolve()}" in row["notes"]
    # a system trained here says nothing of the kind
    assert train_info(source / "exp" / "asr", 120.0, 0)["imported_from"] is None
