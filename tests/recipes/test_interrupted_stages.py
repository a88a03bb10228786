"""Interrupted and failed stages at the pipeline level (issue 10, sections 4 and 5).

A copy of the MuST-C baseline recipe runs stage 3 (audio dump, a local job array of 2 jobs) on a
corpus of 1600 one-second segments. One test stops the running stage with SIGTERM or SIGINT,
sent to the process group of ``run.sh`` as a terminal's Ctrl-C or a cluster's cancel does, once
segment files exist and before every job has finished. The other makes one job of the array fail.
Both check what is left on disk, then re-run the stage and compare every output file with an
uninterrupted run of the same stage.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.fixtures.corpora import Seg, Talk, simple_talks, write_mustc_split
from tests.recipes.recipe_runner import copy_recipe, run_recipe

PAIR = "en-de"
TRAIN = f"train.{PAIR}"
SETS = (TRAIN, f"dev.{PAIR}", f"tst-COMMON.{PAIR}")
NJ = 2
STAGE3 = ["--stage", "3", "--stop_stage", "3", "--conf_dir", "conf/mini", "--nj", str(NJ),
          "--test_sets", f"tst-COMMON.{PAIR}"]  # fmt: skip
# A guard against a hung run, not a timing check: every wait below ends on a state it polls for.
GUARD_S = 600


def _big_train_split(corpus: Path) -> None:
    """16 talks of 100 one-second segments at 8 kHz (resampled by the dump): a few seconds of
    work per job, so that the stage can be caught between its first file and its end."""
    talks = [
        Talk(
            f"ted_{t}",
            seconds=0.5 + 1.5 * 100 + 0.5,
            segments=[
                Seg(0.5 + 1.5 * i, 1.0, f"Talk {t}, sentence {i}.", f"Vortrag {t}, Satz {i}.")
                for i in range(100)
            ],
            samplerate=8000,
        )
        for t in range(1, 17)
    ]
    write_mustc_split(corpus, PAIR, "train", talks)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The corpus and a recipe copy that ran stages 1-3 without interruption."""
    root = tmp_path_factory.mktemp("interrupt")
    corpus = root / "mustc"
    _big_train_split(corpus)
    for split in ("dev", "tst-COMMON", "tst-HE"):
        write_mustc_split(corpus, PAIR, split, simple_talks(1, 3))
    env = {"MUSTC": str(corpus), "CMD_BACKEND": "local"}
    recipe = copy_recipe("mustc_baseline", root / "reference")
    run_recipe(recipe, ["--stage", "1", *STAGE3[2:]], env=env)
    return recipe, env


def _prepared_copy(reference_recipe: Path, dest: Path) -> Path:
    """A fresh recipe copy holding the reference's stage-1 output (data/) and nothing else."""
    recipe = copy_recipe("mustc_baseline", dest)
    shutil.copytree(reference_recipe / "data", recipe / "data", symlinks=True)
    return recipe


def snapshot(recipe: Path, dset: str) -> dict[str, str]:
    """Every file of ``dump/org/<dset>`` but the job logs, hidden ones included: wavs and
    temporary files by sha256, text as text (with the recipe dir, which the absolute paths of
    wav.scp contain, replaced by a placeholder)."""
    root = recipe / "dump" / "org" / dset
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if path.is_dir() or rel.parts[0] == "logs":
            continue
        data = path.read_bytes()
        if path.suffix in (".wav", ".tmp"):
            out[rel.as_posix()] = hashlib.sha256(data).hexdigest()
        else:
            out[rel.as_posix()] = data.decode().replace(str(recipe.resolve()), "<recipe>")
    return out


def _live_members(pgid: int) -> list[int]:
    """Processes of group ``pgid`` that are still running (zombies do not count)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            pids.append(int(stat.parent.name))
    return pids


def _wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + GUARD_S
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.02)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_interrupted_dump_leaves_no_final_output_and_rerun_matches(reference, tmp_path, signum):
    ref_recipe, env = reference
    recipe = _prepared_copy(ref_recipe, tmp_path / "recipe")
    out = recipe / "dump" / "org" / TRAIN
    log = recipe / "run.log"
    with open(log, "w") as f:
        proc = subprocess.Popen(
            ["./run.sh", *STAGE3], cwd=recipe, env={**os.environ, "OMP_NUM_THREADS": "1", **env},
            stdout=f, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        # mid-way: the first segment files are written, the jobs' part lists not all yet
        _wait_for(
            lambda: proc.poll() is not None or any(out.glob("data/format.*/*.wav")),
            "the first dumped segment",
        )
        assert proc.poll() is None, log.read_text()[-3000:]
        os.killpg(proc.pid, signum)
        proc.wait(timeout=GUARD_S)
        # run_jobs outlives st.sh by the time it takes to stop its jobs; wait for all of it
        _wait_for(lambda: not _live_members(proc.pid), "the stage's processes to end")
    finally:
        if proc.poll() is None or _live_members(proc.pid):
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode != 0

    name = signal.Signals(signum).name
    job_logs = {p.name: p.read_text() for p in (out / "logs").glob("dump.*.log")}
    stopped = [n for n, text in job_logs.items() if f"stopped by run_jobs on {name}" in text]
    assert stopped, job_logs  # at least one job was running when the signal came
    # no final output of the stage: the merged lists, the report and the .done marker come last
    for final in ("wav.scp", "utt2num_samples", "dump_report.json", ".done"):
        assert not (out / final).exists(), final
    # what is there is complete: each segment file and part list equals the reference's
    expected = snapshot(ref_recipe, TRAIN)
    partial = snapshot(recipe, TRAIN)
    written = {k: v for k, v in partial.items() if not Path(k).name.startswith(".")}
    assert written and written.items() <= expected.items()
    assert len(list(out.glob("parts/wav.scp.*"))) < NJ
    assert len(written) < len(expected)

    again = run_recipe(recipe, STAGE3, env=env)
    assert "Finished stages 3-3" in again
    for dset in SETS:
        assert snapshot(recipe, dset) == snapshot(ref_recipe, dset), dset


@pytest.mark.parametrize("backend", ["local", pytest.param("slurm", marks=pytest.mark.slurm)])
def test_failed_dump_job_fails_the_stage_and_rerun_redoes_only_it(
    reference, tmp_path, request, backend
):
    ref_recipe, env = reference
    if backend == "slurm":
        request.getfixturevalue("slurm_cluster")  # sets SLURM_CONF for the run
    env = {**env, "CMD_BACKEND": backend}
    recipe = _prepared_copy(ref_recipe, tmp_path / "recipe")
    out = recipe / "dump" / "org" / TRAIN
    # job 2 cannot create its output dir: a file is in the way
    blocker = out / "data" / "format.2"
    blocker.parent.mkdir(parents=True)
    blocker.write_text("not a directory\n")
    with pytest.raises(AssertionError, match="run.sh failed") as failure:
        run_recipe(recipe, STAGE3, env=env)
    message = str(failure.value)
    failed_log = out / "logs" / "dump.2.log"
    named = f"dump/org/{TRAIN}/logs/dump.2.log (exit 1)"  # as st.sh gave it: relative
    assert f"run_jobs: 1/{NJ} jobs failed; first failure: {named}" in message
    assert "FileExistsError" in failed_log.read_text()
    assert "# Ended (code 0)" in (out / "logs" / "dump.1.log").read_text()
    assert not (out / ".done").exists() and not (out / "wav.scp").exists()
    job1 = sorted(
        [*out.glob("data/format.1/*.wav"), *out.glob("parts/*.1"), *out.glob("parts/*.1.*")]
    )
    assert len(job1) > 3
    before = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in job1}

    blocker.unlink()
    run_recipe(recipe, STAGE3, env=env)
    # job 1 did no work again: its files are the same inodes, untouched; only job 2 wrote
    assert {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in job1} == before
    assert "job 1 already done" in (out / "logs" / "dump.1.log").read_text()
    assert list(out.glob("data/format.2/*.wav"))
    for dset in SETS:
        assert snapshot(recipe, dset) == snapshot(ref_recipe, dset), dset
