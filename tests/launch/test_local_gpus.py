"""Local backend on a machine with GPUs: each ``--gpu N`` job gets N GPUs no running job holds."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from espnet_ext.launch.gpus import GpuPool, visible_gpus
from espnet_ext.launch.report import RunJobsError
from espnet_ext.launch.run import Resources, build_spec
from tests.launch.conftest import cli_argv, cli_env

# each job records the GPUs it saw and when it ran
_JOB = (
    'python3 -c "import os, sys, time; s = time.time(); time.sleep(0.4); '
    "open(f't.{sys.argv[1]}', 'w').write(f\\\"{os.environ['CUDA_VISIBLE_DEVICES']} {s} {time.time()}\\\")\" JOB"
)


def _run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        cli_argv(*args), cwd=tmp_path, env=cli_env(**env), capture_output=True, text=True,
        timeout=180,
    )  # fmt: skip


def _jobs(tmp_path: Path) -> dict[int, tuple[str, float, float]]:
    out = {}
    for f in tmp_path.glob("t.*"):
        gpus, start, end = f.read_text().split()
        out[int(f.suffix[1:])] = (gpus, float(start), float(end))
    return out


def _overlap(a: tuple[str, float, float], b: tuple[str, float, float]) -> bool:
    return a[1] < b[2] and b[1] < a[2]


def test_each_job_gets_a_gpu_of_its_own(tmp_path):
    r = _run(tmp_path, "--max-jobs", "4", "--gpu", "1", "JOB=1:5", "log/x.JOB.log", _JOB,
             CUDA_VISIBLE_DEVICES="3,5")  # fmt: skip
    assert r.returncode == 0, r.stderr
    jobs = _jobs(tmp_path)
    assert sorted(jobs) == [1, 2, 3, 4, 5]
    assert {g for g, _, _ in jobs.values()} == {"3", "5"}
    # never two jobs on one GPU at once, although four could run by --max-jobs
    for i in jobs:
        for j in jobs:
            if i < j and jobs[i][0] == jobs[j][0]:
                assert not _overlap(jobs[i], jobs[j]), (i, j, jobs)
    header = (tmp_path / "log/x.1.log").read_text().splitlines()[2]
    assert f"gpus={jobs[1][0]}" in header and "not-enforced" not in header


def test_a_job_of_two_gpus_and_too_many_asked_for(tmp_path):
    r = _run(tmp_path, "--gpu", "2", "JOB=1:2", "log/x.JOB.log", _JOB, CUDA_VISIBLE_DEVICES="0,1")
    assert r.returncode == 0, r.stderr
    assert [g for g, _, _ in _jobs(tmp_path).values()] == ["0,1", "0,1"]
    r = _run(tmp_path, "--gpu", "3", "JOB=1:2", "log/y.JOB.log", _JOB, CUDA_VISIBLE_DEVICES="0,1")
    assert r.returncode == 1
    assert "--gpu 3: a job needs 3 GPUs, but this machine has 2 (0,1)" in r.stderr


def test_without_gpus_the_request_is_noted_not_enforced(tmp_path):
    r = _run(tmp_path, "--gpu", "1", "x.log", "echo ${CUDA_VISIBLE_DEVICES-unset}",
             CUDA_VISIBLE_DEVICES="")  # fmt: skip
    assert r.returncode == 0, r.stderr
    lines = (tmp_path / "x.log").read_text().splitlines()
    assert "gpu=1(not-enforced-by-local)" in lines[2]
    assert lines[3] == ""  # the job's environment is left as it was


def test_visible_gpus_reads_the_environment_then_nvidia_smi(tmp_path, monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", " 2, 7 ")
    assert visible_gpus() == ["2", "7"]
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert visible_gpus() == []
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES")
    smi = tmp_path / "nvidia-smi"
    smi.write_text(
        "#!/bin/sh\necho 'GPU 0: NVIDIA H100 (UUID: GPU-a)'\necho 'GPU 1: NVIDIA H100 (UUID: GPU-b)'\n"
    )
    smi.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert visible_gpus() == ["0", "1"]
    monkeypatch.setenv("PATH", str(tmp_path / "none"))
    assert visible_gpus() == []


def test_pool_hands_out_and_takes_back():
    pool = GpuPool(["0", "1", "2"], 2)
    first = pool.take()
    assert first == ["0", "1"] and pool.take() is None
    pool.give_back(first)
    assert pool.take() == ["0", "1"]  # the lowest free ids first
    with pytest.raises(RunJobsError, match="--gpu 2: a job needs 2 GPUs, but this machine has 1"):
        GpuPool(["0"], 2)


def test_jobs_per_gpu_lets_jobs_share_a_gpu(tmp_path):
    r = _run(tmp_path, "--max-jobs", "4", "--gpu", "1", "--jobs-per-gpu", "2", "JOB=1:4",
             "log/x.JOB.log", _JOB, CUDA_VISIBLE_DEVICES="3")  # fmt: skip
    assert r.returncode == 0, r.stderr
    jobs = _jobs(tmp_path)
    assert sorted(jobs) == [1, 2, 3, 4] and {g for g, _, _ in jobs.values()} == {"3"}
    # at most two at once on the one GPU, and the first two did run together
    for _, start, _ in jobs.values():
        assert sum(s <= start < e for _, s, e in jobs.values()) <= 2, jobs
    assert _overlap(jobs[1], jobs[2])
    header = (tmp_path / "log/x.1.log").read_text().splitlines()[2]
    assert header.endswith("gpus=3 jobs_per_gpu=2"), header


def test_pool_spreads_shared_jobs_over_the_least_loaded_gpus():
    pool = GpuPool(["0", "1"], 1, jobs_per_gpu=2)
    taken = [pool.take() for _ in range(4)]
    assert taken == [["0"], ["1"], ["0"], ["1"]] and pool.take() is None
    pool.give_back(["1"])
    assert pool.take() == ["1"]
    pairs = GpuPool(["0", "1", "2"], 2, jobs_per_gpu=2)
    assert [pairs.take() for _ in range(3)] == [["0", "1"], ["0", "2"], ["1", "2"]]
    assert pairs.take() is None
    with pytest.raises(RunJobsError, match="--jobs-per-gpu must be >= 1, got 0"):
        GpuPool(["0"], 1, jobs_per_gpu=0)


def test_jobs_per_gpu_is_recorded_as_unused_by_slurm():
    res = Resources(gpu=1)
    spec = build_spec(None, "x.log", "true", "slurm", res, ["--gres=gpu:1"], jobs_per_gpu=4)
    assert "jobs_per_gpu=4(not-used-by-slurm)" in spec.notes
    assert not any(
        "jobs_per_gpu" in n for n in build_spec(None, "x.log", "true", "slurm", res, []).notes
    )
