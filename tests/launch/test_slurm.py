"""Slurm backend against a real one-node cluster started by the test session (never a mock).

Each ``sbatch --wait`` array takes a few seconds, so there are few tests here.
"""

from __future__ import annotations

import pytest

from espnet_ext.launch.logs import read_status
from tests.fixtures.slurm_cluster import slurm_cluster  # noqa: F401

pytestmark = [pytest.mark.slurm, pytest.mark.usefixtures("slurm_cluster")]


def test_array_runs_every_task_with_mapped_options(run_jobs, tmp_path):
    cmd = (
        "echo task JOB array=$SLURM_ARRAY_TASK_ID mem=$SLURM_MEM_PER_NODE "
        "cpus=$SLURM_CPUS_PER_TASK omp=$OMP_NUM_THREADS > out.JOB"
    )
    opts = ["--mem", "100M", "--num_threads", "1", "--time", "0:10:00", "--max-jobs", "2"]
    r = run_jobs(
        "--backend", "slurm", *opts, "--name", "xjobs", "JOB=1:3", "exp/log/x.JOB.log", cmd
    )
    assert r.returncode == 0, r.stderr
    for j in (1, 2, 3):
        assert (tmp_path / f"out.{j}").read_text() == f"task {j} array={j} mem=100 cpus=1 omp=1\n"
        log = tmp_path / f"exp/log/x.{j}.log"
        head = log.read_text().splitlines()[2]
        assert f"backend=slurm job={j}" in head and "slurm_job=" in head
        assert "sbatch_opts=--export=ALL,--mem=100M,--time=0:10:00,--cpus-per-task=1" in head
        assert read_status(log).code == 0
        assert (tmp_path / f"exp/log/q/x.{j}.rc").read_text() == "0\n"
    script = (tmp_path / "exp/log/q/x.sh").read_text()
    assert "--array=1-3%2 --job-name=xjobs " in script and "-m espnet_ext.launch.task" in script


def test_failed_task_is_named_and_rerun_redoes_only_it(run_jobs, tmp_path):
    # Task 2 fails until the file "fixed" exists; each task appends its number to runs.txt.
    cmd = "echo JOB >> runs.txt; [ JOB != 2 ] || [ -e fixed ] || { echo 'no fixed' >&2; exit 3; }"
    args = ("--backend", "slurm", "--skip-finished", "JOB=1:3", "exp/log/x.JOB.log", cmd)
    r = run_jobs(*args)
    assert r.returncode == 1
    lines = r.stderr.splitlines()
    assert lines[0] == "run_jobs: 1/3 jobs failed; first failure: exp/log/x.2.log (exit 3)"
    assert "  | no fixed" in lines

    (tmp_path / "fixed").touch()
    r = run_jobs(*args)
    assert r.returncode == 0, r.stderr
    assert "2/3 jobs had finished before" in r.stderr
    assert sorted((tmp_path / "runs.txt").read_text().split()) == ["1", "2", "2", "3"]
    assert "--array=2 " in (tmp_path / "exp/log/q/x.sh").read_text()
    assert read_status(tmp_path / "exp/log/x.2.log").code == 0


def test_killed_task_without_exit_status_is_reported(run_jobs, tmp_path):
    # The job kills the task wrapper (its parent) with SIGKILL: no footer, no exit-code file.
    r = run_jobs("--backend", "slurm", "JOB=1:1", "log/k.JOB.log", "echo dying; kill -9 $PPID")
    assert r.returncode == 1
    first = r.stderr.splitlines()[0]
    assert first.startswith(
        "run_jobs: 1/1 jobs failed; first failure: log/k.1.log (no exit status"
    )
    assert "log/q/k-1.out" in first
    assert read_status(tmp_path / "log/k.1.log").code is None


def test_sbatch_refusal_is_reported(run_jobs, tmp_path):
    conf = tmp_path / "bad.yaml"
    conf.write_text("sbatch_args: [--partition=no_such_partition]\n")
    r = run_jobs("--backend", "slurm", "--config", str(conf), "log/x.log", "true")
    assert r.returncode == 1
    assert "run_jobs: error: sbatch failed" in r.stderr and "no_such_partition" in r.stderr
