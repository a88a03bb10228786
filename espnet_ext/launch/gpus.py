"""GPUs of this machine for the local backend: jobs asking for ``--gpu N`` get N of their own."""

from __future__ import annotations

import os
import shutil
import subprocess

from espnet_ext.launch.report import RunJobsError


def visible_gpus() -> list[str]:
    """The GPU ids jobs may use: ``CUDA_VISIBLE_DEVICES`` when set (empty: none), else one per
    line of ``nvidia-smi -L``; none where neither says anything."""
    env = os.environ.get("CUDA_VISIBLE_DEVICES")
    if env is not None:
        return [g.strip() for g in env.split(",") if g.strip()]
    if shutil.which("nvidia-smi") is None:
        return []
    try:
        out = subprocess.run(
            ["nvidia-smi", "-L"], capture_output=True, text=True, timeout=30, check=True
        ).stdout
    except (subprocess.SubprocessError, OSError):
        return []
    return [str(i) for i, line in enumerate(out.splitlines()) if line.startswith("GPU ")]


class GpuPool:
    """Hands each running job ``per_job`` GPUs, each held by fewer than ``jobs_per_gpu`` running
    jobs, so that jobs wait for a GPU instead of piling onto one (as Slurm's ``--gres=gpu:N``
    would). ``jobs_per_gpu`` > 1 lets small jobs share a GPU (several decoding jobs of a small
    model on a one-GPU machine); a job then gets the least loaded GPUs."""

    def __init__(self, gpus: list[str], per_job: int, jobs_per_gpu: int = 1):
        if per_job > len(gpus):
            raise RunJobsError(
                f"--gpu {per_job}: a job needs {per_job} GPUs, but this machine has "
                f"{len(gpus)} ({','.join(gpus) or 'none'})"
            )
        if jobs_per_gpu < 1:
            raise RunJobsError(f"--jobs-per-gpu must be >= 1, got {jobs_per_gpu}")
        self.order = {g: i for i, g in enumerate(gpus)}
        self.load = dict.fromkeys(gpus, 0)  # running jobs per GPU
        self.per_job = per_job
        self.jobs_per_gpu = jobs_per_gpu

    def take(self) -> list[str] | None:
        """GPUs for one more job, or None while too few have room."""
        # sorted() is stable, so among equally loaded GPUs the lowest ids go out first
        room = sorted(
            (g for g, n in self.load.items() if n < self.jobs_per_gpu), key=self.load.get
        )
        if len(room) < self.per_job:
            return None
        taken = sorted(room[: self.per_job], key=self.order.__getitem__)
        for g in taken:
            self.load[g] += 1
        return taken

    def give_back(self, gpus: list[str]) -> None:
        for g in gpus:
            self.load[g] -= 1
