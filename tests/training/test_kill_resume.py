"""Kill test: a tiny training run through ``espnet_ext.bin.mt_train`` is killed with SIGKILL at
random moments (seeded), including during checkpoint and model file writes and between a
checkpoint's rename and its manifest entry, and resumed each time with ``--resume true``.

After every kill the test inspects the directory itself (which checkpoint files are complete
and match the manifest) and checks that the next run resumed from exactly the newest good one;
at the end the run has all its epochs and every file verifies.

CI runs the kills in forkserver children (ESPnet imported once, see ``tests.fixtures.training``);
the ``slow`` variant starts a fresh interpreter for every run.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from espnet_ext.training.checkpoint import CHECKPOINT, PREVIOUS, CheckpointDir
from espnet_ext.training.safe_load import load_weights_only
from tests.fixtures.training import (
    SLOW_FSYNC_S,
    forkserver_preload,
    run_in_child,
    train_args,
    write_corpus,
)

MAX_EPOCH = 30  # room for six kills of up to 3 epochs + 0.4 s each on a fast machine
REPO = Path(__file__).resolve().parents[2]
# What each kill waits for. "random": the run's 1st, 2nd or 3rd epoch start, then a random
# delay; the others slow down fsync (SLOW_FSYNC_S) of the named files and kill inside that write.
KILLS = ["random", "random", "random", "checkpoint_write", "epoch_file_write", "stale_manifest"]
SLOW_FILES = {
    "checkpoint_write": r"^\.checkpoint\.pth\..*\.tmp$",
    "epoch_file_write": r"^\.\d+epoch\.pth\..*\.tmp$",
    "stale_manifest": r"^\.checksums\.sha256\..*\.tmp$",
}
RESUMED = re.compile(r"Resuming from (\S+) \(epoch (\d+), sha256 ([0-9a-f]{64})\)")
REJECTED = re.compile(r"Rejected (\S+): (.*)")


class Forkserver:
    def __init__(self):
        self.ctx = multiprocessing.get_context("forkserver")
        self.ctx.set_forkserver_preload(forkserver_preload())

    def start(self, argv, log, slow_pattern):
        proc = self.ctx.Process(target=run_in_child, args=(argv, str(log), slow_pattern))
        proc.start()
        return proc

    @staticmethod
    def alive(proc) -> bool:
        return proc.is_alive()

    @staticmethod
    def kill_and_wait(proc) -> int:
        proc.kill()
        proc.join()
        return proc.exitcode

    @staticmethod
    def wait(proc, timeout) -> int:
        proc.join(timeout)
        return proc.exitcode


class Subprocesses:
    """A fresh interpreter per run (``python -c``, as ``python -m`` would, plus the fsync hook)."""

    def start(self, argv, log, slow_pattern):
        code = (
            "import sys; from tests.fixtures.training import run_in_child; "
            "run_in_child(sys.argv[3:], sys.argv[1], sys.argv[2] or None)"
        )
        return subprocess.Popen(
            [sys.executable, "-c", code, str(log), slow_pattern or "", *argv], cwd=REPO
        )

    @staticmethod
    def alive(proc) -> bool:
        return proc.poll() is None

    @staticmethod
    def kill_and_wait(proc) -> int:
        proc.kill()
        return proc.wait()

    @staticmethod
    def wait(proc, timeout) -> int:
        return proc.wait(timeout)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def snapshot(exp: Path) -> dict:
    """Independent verdict on each checkpoint file: {name: (sha256, matches manifest, epoch)}."""
    manifest = CheckpointDir(exp).read_manifest()
    verdict = {}
    for name in (CHECKPOINT, PREVIOUS):
        path = exp / name
        if not path.exists():
            continue
        digest = sha(path)
        try:
            epoch = load_weights_only(path)["reporter"]["epoch"]
        except Exception:  # truncated: must never be chosen
            epoch = None
        verdict[name] = (digest, manifest.get(name) == digest, epoch)
    return verdict


def expected_choice(verdict: dict) -> str | None:
    for name in (CHECKPOINT, PREVIOUS):
        if name in verdict:
            digest, matches, epoch = verdict[name]
            if epoch is not None and matches:
                return name
    return None


def poll_until(condition, proc, launcher, timeout=600.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        if not launcher.alive(proc):
            return False
        time.sleep(0.005)
    raise TimeoutError(f"the training run neither reached the kill point nor ended in {timeout} s")


def stale_manifest_window(exp: Path, earlier: set[str]) -> bool:
    """A manifest write is in progress while checkpoint.pth already differs from its entry."""
    if not new_temporary(exp, ".checksums.sha256.*.tmp", earlier):
        return False
    entry = CheckpointDir(exp).read_manifest().get(CHECKPOINT)
    try:
        return entry is not None and entry != sha(exp / CHECKPOINT)
    except FileNotFoundError:
        return False


def new_temporary(exp: Path, pattern: str, earlier: set[str]) -> bool:
    """A temporary file of this run: one a killed earlier run left behind does not count."""
    return any(p.name not in earlier for p in exp.glob(pattern))


def kill_point(kind: str, exp: Path, log: Path, rng: random.Random, earlier: set[str]):
    if kind == "random":
        starts, delay = rng.choice([1, 2, 3]), rng.uniform(0.0, 0.4)

        def reached():
            return (
                log.exists() and log.read_text(errors="replace").count("epoch started") >= starts
            )

        return reached, delay
    if kind == "checkpoint_write":
        condition = lambda: new_temporary(exp, ".checkpoint.pth.*.tmp", earlier)  # noqa: E731
        return condition, rng.uniform(0, SLOW_FSYNC_S / 2)
    if kind == "epoch_file_write":
        condition = lambda: new_temporary(exp, ".*epoch.pth.*.tmp", earlier)  # noqa: E731
        return condition, rng.uniform(0, SLOW_FSYNC_S / 2)
    return (lambda: stale_manifest_window(exp, earlier)), 0.0


def check_resume_log(text: str, before: dict, run: str) -> tuple[str | None, int]:
    """The run resumed from the file the test itself judged newest-and-good, unmodified."""
    expected = expected_choice(before)
    resumed = RESUMED.findall(text)
    for path, reason in REJECTED.findall(text):
        name = Path(path).name
        assert name in before and not before[name][1], f"{run}: rejected a good {name}: {reason}"
    if expected is None:
        assert not resumed, f"{run}: resumed although nothing verifies: {resumed}"
        return None, 0
    assert len(resumed) == 1, f"{run}: expected one resume from {expected}, log has {resumed}"
    path, epoch, digest = resumed[0]
    assert Path(path).name == expected, f"{run}: resumed from {path}, expected {expected}"
    assert digest == before[expected][0], f"{run}: loaded bytes differ from the good file"
    assert int(epoch) == before[expected][2], (run, epoch, before)
    return expected, int(epoch)


def check_final_directory(exp: Path) -> None:
    states = load_weights_only(exp / CHECKPOINT)
    reporter = states["reporter"]
    assert reporter["epoch"] == MAX_EPOCH
    assert sorted(reporter["stats"]) == list(range(1, MAX_EPOCH + 1))
    manifest = CheckpointDir(exp).read_manifest()
    files = {p.name for p in exp.glob("*.pth") if not p.is_symlink()}
    assert set(manifest) == files, (sorted(manifest), sorted(files))
    for name, digest in manifest.items():
        assert sha(exp / name) == digest, f"{name} does not match the manifest"
        load_weights_only(exp / name)
    assert not list(exp.glob(".*")), "temporary files left behind"
    losses = {e: float(s["valid"]["loss"]) for e, s in reporter["stats"].items()}
    best = sorted(losses, key=losses.get)
    epoch_files = {int(p.name[: -len("epoch.pth")]) for p in exp.glob("*epoch.pth")}
    assert epoch_files == {*best[:2], MAX_EPOCH}, (epoch_files, losses)
    assert (exp / "latest.pth").resolve() == (exp / f"{MAX_EPOCH}epoch.pth").resolve()
    assert (exp / "valid.loss.best.pth").resolve().name == f"{best[0]}epoch.pth"
    assert (exp / "valid.loss.ave.pth").resolve().name == "valid.loss.ave_2best.pth"
    # The final model file is the checkpoint's model.
    model = load_weights_only(exp / f"{MAX_EPOCH}epoch.pth")
    assert model.keys() == states["model"].keys()
    assert all((model[k] == states["model"][k]).all() for k in model)


def finish_run(
    proc, launcher, kind, exp: Path, log: Path, rng: random.Random, run: str, earlier: set[str]
) -> None:
    """Let the final run (``kind`` None) finish; kill the others at their kill point."""
    if kind is None:
        rc = launcher.wait(proc, 600)
        assert rc == 0, f"{run}: failed (rc={rc}):\n{log.read_text()[-3000:]}"
        return
    condition, delay = kill_point(kind, exp, log, rng, earlier)
    reached = poll_until(condition, proc, launcher)
    assert reached, f"{run}: ended before its kill point:\n{log.read_text()[-3000:]}"
    time.sleep(delay)
    rc = launcher.kill_and_wait(proc)
    assert rc == -signal.SIGKILL, f"{run}: was not killed (rc={rc}); raise MAX_EPOCH"


def kill_and_resume(tmp_path: Path, launcher, seed: int) -> dict:
    rng = random.Random(seed)
    corpus = write_corpus(tmp_path / "corpus")
    exp = tmp_path / "exp"
    argv = train_args(corpus, exp, MAX_EPOCH) + ["--resume", "true"]
    kills = KILLS[:]
    rng.shuffle(kills)
    stats = {"kills": 0, "runs": []}
    before: dict = {}
    t0 = time.monotonic()
    for i, kind in enumerate([*kills, None]):
        log = tmp_path / f"run{i}.log"
        # A kill inside a write leaves its temporary file until the next run cleans up; the
        # write-kill points must wait for a file of the new run, not fire on that one at start.
        earlier = {p.name for p in exp.glob(".*")} if exp.exists() else set()
        proc = launcher.start(argv, log, SLOW_FILES.get(kind))
        try:
            finish_run(proc, launcher, kind, exp, log, rng, f"run {i} ({kind})", earlier)
        finally:  # a failed check must not leave the run going
            if launcher.alive(proc):
                launcher.kill_and_wait(proc)
        stats["kills"] += kind is not None
        text = log.read_text(errors="replace")
        name, epoch = check_resume_log(text, before, f"run {i} ({kind})")
        stats["runs"].append(
            {
                "kill": kind,
                "resumed_from": name,
                "epoch": epoch,
                "t": round(time.monotonic() - t0, 1),
            }
        )
        if kind == "stale_manifest":
            after = snapshot(exp)
            assert after[CHECKPOINT][1] is False and after[CHECKPOINT][2] is not None, after
        if kind == "checkpoint_write":
            assert new_temporary(
                exp, ".checkpoint.pth.*.tmp", earlier
            ), "the kill missed the checkpoint write"
        before = snapshot(exp)
        if "restoring it from the checkpoint" in text:
            stats["restored_epoch_files"] = stats.get("restored_epoch_files", 0) + 1
    stats["wall_s"] = round(time.monotonic() - t0, 1)
    check_final_directory(exp)
    return stats


def test_kill_and_resume(tmp_path):
    stats = kill_and_resume(tmp_path, Forkserver(), seed=20261122)
    assert stats["kills"] >= 5
    # The run after the stale-manifest kill fell back to the previous checkpoint; the run after
    # the model-file kill restored that file.
    after = [stats["runs"][i + 1] for i, r in enumerate(stats["runs"][:-1])]
    fallbacks = [a for r, a in zip(stats["runs"], after) if r["kill"] == "stale_manifest"]
    assert fallbacks and fallbacks[0]["resumed_from"] == PREVIOUS, stats
    assert stats.get("restored_epoch_files", 0) >= 1, stats
    print("kill test:", stats)


@pytest.mark.slow
def test_kill_and_resume_fresh_interpreters(tmp_path):
    stats = kill_and_resume(tmp_path, Subprocesses(), seed=7)
    assert stats["kills"] >= 5
    print("kill test (fresh interpreters):", stats)
