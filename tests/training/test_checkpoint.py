"""CheckpointDir: atomic checksummed saves, rotation, verified resume selection (torch only)."""

from __future__ import annotations

import datetime
import hashlib
import logging
import os
import shutil
import subprocess

import numpy as np
import pytest
import torch

from espnet_ext.training import checkpoint as ckpt
from espnet_ext.training.checkpoint import (
    CHECKPOINT,
    MANIFEST,
    PREVIOUS,
    CheckpointDir,
    CheckpointError,
)
from espnet_ext.training.safe_load import load_weights_only
from espnet_ext.training.torch_io import CheckpointDirRoute, WeightsOnlyRoute, routed


def states(epoch: int) -> dict:
    """The shape of ESPnet's checkpoint.pth, reporter statistics with numpy scalars and times."""
    stats = {
        e: {"valid": {"loss": np.float64(10.0 - e), "time": datetime.timedelta(seconds=e)}}
        for e in range(1, epoch + 1)
    }
    return {
        "model": {"w": torch.full((4, 4), float(epoch))},
        "reporter": {"stats": stats, "epoch": epoch},
        "optimizers": [{"state": {}, "param_groups": [{"lr": 0.1, "params": [0]}]}],
        "schedulers": [None],
        "scaler": None,
    }


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Unpicklable:
    def __reduce__(self):
        raise RuntimeError("writer failed half-way")


class Evil:
    """Unpickling this with weights_only=False would create a directory (a stand-in for code)."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def test_save_is_atomic_and_recorded(tmp_path):
    d = CheckpointDir(tmp_path)
    d.save(states(1), CHECKPOINT)
    d.save({"w": torch.ones(2)}, "1epoch.pth")
    manifest = d.read_manifest()
    assert manifest == {
        CHECKPOINT: sha(tmp_path / CHECKPOINT),
        "1epoch.pth": sha(tmp_path / "1epoch.pth"),
    }
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [CHECKPOINT, "1epoch.pth", MANIFEST]
    )
    assert load_weights_only(tmp_path / CHECKPOINT)["reporter"]["epoch"] == 1
    # sha256sum format: the directory checks by hand.
    if shutil.which("sha256sum"):
        check = subprocess.run(["sha256sum", "-c", MANIFEST], cwd=tmp_path, capture_output=True)
        assert check.returncode == 0, check.stdout
    # Files get the mode torch.save would give them (umask), not mkstemp's 0600.
    mask = os.umask(0o022)
    os.umask(mask)
    assert (tmp_path / "1epoch.pth").stat().st_mode & 0o777 == 0o666 & ~mask


def test_writer_that_raises_leaves_old_files_intact(tmp_path):
    d = CheckpointDir(tmp_path)
    d.save(states(1), CHECKPOINT)
    old = (tmp_path / CHECKPOINT).read_bytes()
    manifest = d.read_manifest()
    with pytest.raises(RuntimeError, match="half-way"):
        d.save({**states(2), "extra": Unpicklable()}, CHECKPOINT)
    assert (tmp_path / CHECKPOINT).read_bytes() == old
    assert (tmp_path / PREVIOUS).read_bytes() == old  # rotated before the write began
    assert not list(tmp_path.glob(".*")), "the temporary file must be removed"
    assert CheckpointDir(tmp_path).verify(CHECKPOINT) is None
    assert CheckpointDir(tmp_path).read_manifest()[CHECKPOINT] == manifest[CHECKPOINT]
    assert CheckpointDir(tmp_path).load_newest_checkpoint()[0] == CHECKPOINT


def test_rotation_keeps_previous_checkpoint(tmp_path):
    d = CheckpointDir(tmp_path)
    for epoch in (1, 2, 3):
        d.save(states(epoch), CHECKPOINT)
    assert load_weights_only(tmp_path / CHECKPOINT)["reporter"]["epoch"] == 3
    assert load_weights_only(tmp_path / PREVIOUS)["reporter"]["epoch"] == 2
    assert (tmp_path / PREVIOUS).stat().st_nlink == 1  # the link went with the replaced file
    fresh = CheckpointDir(tmp_path)
    assert fresh.verify(CHECKPOINT) is None and fresh.verify(PREVIOUS) is None


def test_rotation_copies_without_hard_links(tmp_path, monkeypatch):
    d = CheckpointDir(tmp_path)
    d.save(states(1), CHECKPOINT)

    def no_links(src, dst):
        raise OSError(1, "Operation not permitted")

    monkeypatch.setattr(ckpt.os, "link", no_links)
    d.save(states(2), CHECKPOINT)
    assert CheckpointDir(tmp_path).verify(PREVIOUS) is None
    assert load_weights_only(tmp_path / PREVIOUS)["reporter"]["epoch"] == 1


def test_truncated_newest_checkpoint_falls_back_to_previous(tmp_path, caplog):
    d = CheckpointDir(tmp_path)
    d.save(states(1), CHECKPOINT)
    d.save(states(2), CHECKPOINT)
    data = (tmp_path / CHECKPOINT).read_bytes()
    (tmp_path / CHECKPOINT).write_bytes(data[: len(data) // 2])
    with caplog.at_level(logging.INFO):
        name, loaded = CheckpointDir(tmp_path).load_newest_checkpoint()
    assert name == PREVIOUS
    assert loaded["reporter"]["epoch"] == 1
    assert torch.equal(loaded["model"]["w"], torch.full((4, 4), 1.0))
    rejected = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Rejected")]
    assert len(rejected) == 1 and "checkpoint.pth: sha256" in rejected[0], rejected
    assert "truncated or corrupt" in rejected[0]


def test_file_with_bad_hash_is_rejected(tmp_path):
    d = CheckpointDir(tmp_path)
    d.save({"w": torch.arange(1000.0)}, "3epoch.pth")
    path = tmp_path / "3epoch.pth"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, one flipped byte inside the tensor data
    path.write_bytes(bytes(data))
    fresh = CheckpointDir(tmp_path)
    assert "does not match" in fresh.verify("3epoch.pth")
    with pytest.raises(CheckpointError, match="3epoch.pth: refusing to load"):
        fresh.load("3epoch.pth")


def test_stale_manifest_entry_rejects_complete_file(tmp_path, caplog):
    """A kill between renaming the new checkpoint and recording it: the previous one is used."""
    d = CheckpointDir(tmp_path)
    d.save(states(1), CHECKPOINT)
    d.save(states(2), CHECKPOINT)
    torch.save(states(3), tmp_path / CHECKPOINT)  # complete, but the manifest says epoch 2
    with caplog.at_level(logging.WARNING):
        name, loaded = CheckpointDir(tmp_path).load_newest_checkpoint()
    assert (name, loaded["reporter"]["epoch"]) == (PREVIOUS, 1)
    assert "Rejected" in caplog.text


def test_unverified_current_never_replaces_previous(tmp_path):
    """Resumed from the previous checkpoint because the current one is corrupt: the next save
    must not rotate the corrupt file over the good previous one."""
    d = CheckpointDir(tmp_path)
    d.save(states(1), CHECKPOINT)
    d.save(states(2), CHECKPOINT)
    (tmp_path / CHECKPOINT).write_bytes(b"garbage")
    resumed = CheckpointDir(tmp_path)
    assert resumed.load_newest_checkpoint()[0] == PREVIOUS
    good_previous = (tmp_path / PREVIOUS).read_bytes()
    resumed.save(states(2), CHECKPOINT)
    assert (tmp_path / PREVIOUS).read_bytes() == good_previous
    assert CheckpointDir(tmp_path).load_newest_checkpoint()[1]["reporter"]["epoch"] == 2


def test_nothing_verifies(tmp_path, caplog):
    d = CheckpointDir(tmp_path)
    d.save(states(1), CHECKPOINT)
    (tmp_path / CHECKPOINT).write_bytes(b"x")
    with caplog.at_level(logging.WARNING):
        assert CheckpointDir(tmp_path).load_newest_checkpoint() == (None, None)
    assert caplog.text.count("Rejected") == 1
    assert CheckpointDir(tmp_path / "empty").load_newest_checkpoint() == (None, None)


def test_checkpoint_without_checksum(tmp_path, caplog):
    """Written by stock ESPnet: used if it loads completely, rejected if it does not."""
    torch.save(states(4), tmp_path / CHECKPOINT)
    with caplog.at_level(logging.WARNING):
        name, loaded = CheckpointDir(tmp_path).load_newest_checkpoint()
    assert (name, loaded["reporter"]["epoch"]) == (CHECKPOINT, 4)
    assert "no checksum" in caplog.text
    data = (tmp_path / CHECKPOINT).read_bytes()
    (tmp_path / CHECKPOINT).write_bytes(data[:-100])
    assert CheckpointDir(tmp_path).load_newest_checkpoint() == (None, None)


def test_not_an_espnet_checkpoint_is_rejected(tmp_path, caplog):
    CheckpointDir(tmp_path).save({"model": {}}, CHECKPOINT)
    with caplog.at_level(logging.WARNING):
        assert CheckpointDir(tmp_path).load_newest_checkpoint() == (None, None)
    assert "not an ESPnet checkpoint" in caplog.text


def test_code_in_a_checkpoint_is_never_run(tmp_path):
    marker = tmp_path / "pwned"
    d = CheckpointDir(tmp_path)
    d.save({**states(1), "payload": Evil(marker)}, CHECKPOINT)
    with pytest.raises(CheckpointError, match="weights-only loading refuses"):
        CheckpointDir(tmp_path).load_newest_checkpoint()
    assert not marker.exists()


def test_remove_stale_temporaries(tmp_path):
    d = CheckpointDir(tmp_path)
    d.save(states(1), CHECKPOINT)
    stale = [
        tmp_path / ".checkpoint.pth.ab1_x9zq.tmp",
        tmp_path / f".{MANIFEST}.0k2_x9zq.tmp",
        tmp_path / f".{PREVIOUS}.123.link",
    ]
    for p in stale:
        p.write_bytes(b"partial")
    stale.append(tmp_path / ".latest.pth.4567.tmp")
    stale[-1].symlink_to("1epoch.pth")  # dangling: still removed
    keep = [tmp_path / ".hidden_user_file", tmp_path / ".notes.txt.ab1_x9zq.tmp"]
    for p in keep:
        p.write_text("not ours")
    assert sorted(d.remove_stale_temporaries()) == sorted(stale)
    assert all(p.exists() for p in keep) and (tmp_path / CHECKPOINT).exists()


def test_routed_torch_io(tmp_path):
    out, elsewhere = tmp_path / "exp", tmp_path / "other"
    out.mkdir()
    elsewhere.mkdir()
    original_save, original_load = torch.save, torch.load
    with routed(CheckpointDirRoute(CheckpointDir(out))):
        torch.save({"w": torch.ones(1)}, out / "1epoch.pth")
        torch.save({"w": torch.ones(1)}, str(elsewhere / "x.pth"))
        assert torch.load(out / "1epoch.pth", weights_only=False)["w"].item() == 1.0
        (out / "1epoch.pth").write_bytes(b"tampered")
        with pytest.raises(CheckpointError, match="refusing to load"):
            torch.load(out / "1epoch.pth", weights_only=False)
    assert (torch.save, torch.load) == (original_save, original_load)
    assert CheckpointDir(out).read_manifest().keys() == {"1epoch.pth"}
    assert not (elsewhere / MANIFEST).exists() and (elsewhere / "x.pth").exists()


def test_weights_only_route_follows_symlinks(tmp_path):
    marker = tmp_path / "pwned"
    torch.save({"w": torch.ones(1), "payload": Evil(marker)}, tmp_path / "model.pth")
    (tmp_path / "valid.acc.ave.pth").symlink_to("model.pth")
    with routed(WeightsOnlyRoute([tmp_path / "valid.acc.ave.pth"])):
        with pytest.raises(CheckpointError, match="weights-only"):
            torch.load(tmp_path / "model.pth", weights_only=False)
    assert not marker.exists()
