"""SafeTrainer and install() on real ESPnet runs (in-process, tiny MT model)."""

from __future__ import annotations

import logging
import os
import shutil

import pytest
import torch

from espnet_ext.training.checkpoint import (
    CHECKPOINT,
    MANIFEST,
    PREVIOUS,
    CheckpointDir,
    CheckpointError,
)
from espnet_ext.training.safe_load import load_weights_only
from tests.fixtures.training import train_args, write_corpus


class Evil:
    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def train(corpus, exp, max_epoch, *extra):
    from espnet_ext.bin import mt_train

    mt_train.main(train_args(corpus, exp, max_epoch) + list(extra))


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Two epochs of the tiny MT run: (corpus dir, exp dir)."""
    root = tmp_path_factory.mktemp("trained")
    corpus = write_corpus(root / "corpus")
    train(corpus, root / "exp", 2)
    return corpus, root / "exp"


@pytest.fixture
def exp(trained, tmp_path):
    """A private copy of the trained exp dir (symlinks kept)."""
    copy = tmp_path / "exp"
    shutil.copytree(trained[1], copy, symlinks=True)
    return copy


def test_trainer_files_verify_and_load_weights_only(trained):
    exp = trained[1]
    manifest = CheckpointDir(exp).read_manifest()
    assert set(manifest) == {
        CHECKPOINT,
        PREVIOUS,
        "1epoch.pth",
        "2epoch.pth",
        "valid.loss.ave_2best.pth",
    }
    for name in manifest:
        assert CheckpointDir(exp).verify(name) is None, name
    states = load_weights_only(exp / CHECKPOINT)
    assert states["reporter"]["epoch"] == 2 and sorted(states["reporter"]["stats"]) == [1, 2]
    assert load_weights_only(exp / PREVIOUS)["reporter"]["epoch"] == 1
    assert states["schedulers"][0]["warmup_steps"] == 4
    # The allow-list is what makes it load: plain weights-only loading refuses the reporter state.
    with pytest.raises(Exception, match="(?i)global"):
        torch.load(exp / CHECKPOINT, weights_only=True)
    model = load_weights_only(exp / "2epoch.pth")
    assert all(torch.equal(model[k], states["model"][k]) for k in model)
    assert os.readlink(exp / "latest.pth") == "2epoch.pth"


def test_resume_skips_corrupt_checkpoint_and_restores_epoch_files(trained, exp, caplog):
    corpus = trained[0]
    previous = load_weights_only(exp / PREVIOUS)
    data = (exp / CHECKPOINT).read_bytes()
    (exp / CHECKPOINT).write_bytes(data[: len(data) // 3])
    (exp / "1epoch.pth").unlink()
    (exp / "latest.pth").unlink()
    with caplog.at_level(logging.INFO):
        train(corpus, exp, 1, "--resume", "true")  # max_epoch reached: resume and repair only
    assert f"Rejected {exp / CHECKPOINT}: sha256" in caplog.text
    assert f"Resuming from {exp / PREVIOUS} (epoch 1," in caplog.text
    assert "1epoch.pth: missing; restoring it from the checkpoint" in caplog.text
    restored = load_weights_only(exp / "1epoch.pth")
    assert all(torch.equal(restored[k], previous["model"][k]) for k in previous["model"])
    assert os.readlink(exp / "latest.pth") == "1epoch.pth"
    assert CheckpointDir(exp).verify("1epoch.pth") is None

    caplog.clear()
    with caplog.at_level(logging.INFO):
        train(corpus, exp, 3, "--resume", "true")
    assert f"Resuming from {exp / PREVIOUS} (epoch 1," in caplog.text
    assert "is not kept as checkpoint.prev.pth" in caplog.text  # the corrupt file is not rotated
    states = load_weights_only(exp / CHECKPOINT)
    assert states["reporter"]["epoch"] == 3 and sorted(states["reporter"]["stats"]) == [1, 2, 3]
    assert load_weights_only(exp / PREVIOUS)["reporter"]["epoch"] == 2
    for name in CheckpointDir(exp).read_manifest():
        assert CheckpointDir(exp).verify(name) is None, name


def test_unusable_checkpoint_strict_and_lenient(trained, tmp_path, caplog):
    corpus = trained[0]
    exp = tmp_path / "exp"
    exp.mkdir()
    (exp / CHECKPOINT).write_bytes(b"PK\x03\x04 cut off by a kill")  # stock ESPnet, no manifest
    with pytest.raises(CheckpointError, match="resume_strict"):
        train(corpus, exp, 1, "--resume", "true", "--resume_strict", "true")
    assert not (exp / "1epoch.pth").exists()
    with caplog.at_level(logging.WARNING):
        train(corpus, exp, 1, "--resume", "true")
    assert "it does not load" in caplog.text
    assert "TRAINING STARTS FROM SCRATCH" in caplog.text
    assert load_weights_only(exp / CHECKPOINT)["reporter"]["epoch"] == 1
    assert MANIFEST in os.listdir(exp)


def test_install_loads_model_files_weights_only(trained, exp, tmp_path):
    import espnet2.tasks.abs_task as abs_task
    from espnet2.tasks.mt import MTTask
    from espnet2.train.trainer import Trainer

    from espnet_ext.training import install
    from espnet_ext.training.trainer import SafeTrainer

    install(MTTask)
    install(MTTask)  # idempotent
    assert MTTask.trainer is SafeTrainer
    assert abs_task.load_pretrained_model.__wrapped__.__name__ == "load_pretrained_model"
    assert not hasattr(abs_task.load_pretrained_model.__wrapped__, "__wrapped__")

    class CustomTrainer(Trainer):
        pass

    class CustomTask(MTTask):
        trainer = CustomTrainer

    install(CustomTask)
    assert CustomTask.trainer.__mro__[1:3] == (SafeTrainer, CustomTrainer)

    config = exp / "config.yaml"
    model, _ = MTTask.build_model_from_file(config, exp / "valid.loss.best.pth", "cpu")
    expected = load_weights_only(exp / "2epoch.pth")
    assert all(torch.equal(v, expected[k]) for k, v in model.state_dict().items())

    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.pth"
    torch.save({**expected, "payload": Evil(marker)}, evil)
    with pytest.raises(CheckpointError, match="weights-only loading refuses"):
        MTTask.build_model_from_file(config, evil, "cpu")
    with pytest.raises(CheckpointError, match="weights-only loading refuses"):
        abs_task.load_pretrained_model(f"{evil}:encoder:encoder", model, False, "cpu")
    assert not marker.exists()

    data = bytearray((exp / "2epoch.pth").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (exp / "2epoch.pth").write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="2epoch.pth: refusing to load"):
        MTTask.build_model_from_file(config, exp / "latest.pth", "cpu")
    with pytest.raises(CheckpointError, match="2epoch.pth: refusing to load"):
        abs_task.load_pretrained_model(str(exp / "latest.pth"), model, False, "cpu")


def test_resume_after_final_checkpoint_prunes_epoch_files_outside_nbest(trained, exp, caplog):
    """A kill between the last checkpoint and ESPnet's pruning leaves old model files; the
    resumed run, which trains no epoch, removes them (here: keep 1 instead of 2)."""
    stats = load_weights_only(exp / CHECKPOINT)["reporter"]["stats"]
    losses = {e: float(s["valid"]["loss"]) for e, s in stats.items()}
    with caplog.at_level(logging.INFO):
        train(trained[0], exp, 2, "--resume", "true", "--keep_nbest_models", "1")
    kept = {p.name for p in exp.glob("*epoch.pth")}
    best = min(losses, key=losses.get)
    assert kept == {"2epoch.pth", f"{best}epoch.pth"}, (kept, losses)
    assert set(CheckpointDir(exp).read_manifest()) >= kept
    if best == 2:
        assert "1epoch.pth" not in CheckpointDir(exp).read_manifest()
        assert "left by the interrupted run: ['1epoch.pth']" in caplog.text
