"""Run the jobs of one ``run_jobs`` call on a backend, optionally skipping finished ones."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from espnet_ext.launch.gpus import GpuPool, visible_gpus
from espnet_ext.launch.jobs import JobRange, JobSpec
from espnet_ext.launch.local import run_local
from espnet_ext.launch.logs import keep_old_log, read_status
from espnet_ext.launch.report import Outcome, RunJobsError
from espnet_ext.launch.slurm import SlurmConfig, run_slurm

BACKENDS = ("local", "slurm")


@dataclass
class Resources:
    """The generic per-job options; None means "not asked for". Keys match conf/slurm.yaml."""

    mem: str | None = None
    gpu: int | None = None
    time: str | None = None
    num_threads: int | None = None
    num_nodes: int | None = None


@dataclass
class RunResult:
    outcomes: list[Outcome]
    skipped: list[Path] = field(default_factory=list)  # logs of jobs that had finished before

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]


def default_max_jobs() -> int:
    return len(os.sched_getaffinity(0))


def build_spec(
    job_range: JobRange | None,
    log_pattern: str,
    command: str,
    backend: str,
    res: Resources,
    sbatch_opts: list[str],
    gpus_assigned: bool = False,
    jobs_per_gpu: int = 1,
) -> JobSpec:
    """The job spec with the environment and header notes implied by the generic options.

    ``--num_threads N`` exports OMP_NUM_THREADS and MKL_NUM_THREADS on both backends. The local
    backend cannot enforce ``--mem`` or ``--time``; it records them in each log header as not
    enforced, and so ``--gpu`` on a machine without GPUs. Where it finds GPUs, ``run_jobs`` hands
    each job its own (:class:`~espnet_ext.launch.gpus.GpuPool`), or a share of one with
    ``jobs_per_gpu`` > 1; Slurm has no such share, and the header says it was not used.
    """
    env = {}
    if res.num_threads is not None:
        env = {"OMP_NUM_THREADS": str(res.num_threads), "MKL_NUM_THREADS": str(res.num_threads)}
    notes: list[str] = []
    if backend == "local":
        if res.num_nodes is not None and res.num_nodes > 1:
            raise RunJobsError(f"--num_nodes {res.num_nodes}: the local backend has one node")
        notes += [
            f"{k}={v}(not-enforced-by-local)"
            for k, v in asdict(res).items()
            if (k in ("mem", "time") and v is not None) or (k == "gpu" and v and not gpus_assigned)
        ]
    else:
        if sbatch_opts:
            notes.append("sbatch_opts=" + ",".join(sbatch_opts))
        if jobs_per_gpu > 1:
            notes.append(f"jobs_per_gpu={jobs_per_gpu}(not-used-by-slurm)")
    return JobSpec(
        job_range=job_range,
        log_pattern=log_pattern,
        command=command,
        num_threads=res.num_threads or 1,
        env=env,
        notes=tuple(notes),
    )


def run_jobs(
    job_range: JobRange | None,
    log_pattern: str,
    command: str,
    backend: str = "local",
    res: Resources | None = None,
    max_jobs: int | None = None,
    config: Path | None = None,
    skip_finished: bool = False,
    name: str | None = None,
    keep_old_logs: bool = False,
    jobs_per_gpu: int = 1,
) -> RunResult:
    """Run every job of ``job_range`` (or the single job when it is None) and collect outcomes.

    With ``skip_finished``, a job whose log ends with ``# Ended (code 0)`` and whose header records
    the same command (after job-number substitution) is not run again. ``name`` is the Slurm job
    name (default: the log name without the job number). With ``keep_old_logs``, the log of a
    job that runs again is first moved to ``<log>.<n>`` (a resumed training keeps its history).
    ``jobs_per_gpu``: on the local backend, how many running jobs may share one GPU.
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {BACKENDS}")
    res = res or Resources()
    sbatch_opts = []
    if backend == "slurm":
        sbatch_opts = SlurmConfig.find(config).sbatch_options(**asdict(res))
    gpu_pool = None
    if backend == "local" and res.gpu:
        gpus = visible_gpus()
        gpu_pool = GpuPool(gpus, res.gpu, jobs_per_gpu) if gpus else None
    spec = build_spec(
        job_range,
        log_pattern,
        command,
        backend,
        res,
        sbatch_opts,
        gpu_pool is not None,
        jobs_per_gpu,
    )

    todo, skipped = [], []
    for t in spec.tasks():
        if skip_finished and read_status(t.log).finished_ok(t.command):
            skipped.append(t.log)
        else:
            todo.append(t)
    if not todo:
        return RunResult([], skipped)
    if keep_old_logs:
        for t in todo:
            keep_old_log(t.log)
    if backend == "local":
        outcomes = run_local(spec, todo, max_jobs or default_max_jobs(), gpu_pool=gpu_pool)
    else:
        outcomes = run_slurm(spec, todo, sbatch_opts, max_jobs, job_name=name)
    return RunResult(outcomes, skipped)
