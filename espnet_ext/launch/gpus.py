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
    """Hands each running job ``per_job`` GPUs that no other running job holds, so that jobs
    wait for a GPU instead of sharing one (as Slurm's ``--gres=gpu:N`` would)."""

    def __init__(self, gpus: list[str], per_job: int):
        if per_job > len(gpus):
            raise RunJobsError(
                f"--gpu {per_job}: a job needs {per_job} GPUs, but this machine has "
                f"{len(gpus)} ({','.join(gpus) or 'none'})"
            )
        self.order = {g: i for i, g in enumerate(gpus)}
        self.free = list(gpus)
        self.per_job = per_job

    def take(self) -> list[str] | None:
        """GPUs for one more job, or None while too few are free."""
        if len(self.free) < self.per_job:
            return None
        taken, self.free = self.free[: self.per_job], self.free[self.per_job :]
        return taken

    def give_back(self, gpus: list[str]) -> None:
        # kept in the machine's order, so the lowest free ids go out first
        self.free = sorted(self.free + gpus, key=self.order.__getitem__)
