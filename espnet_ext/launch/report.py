"""Outcome of each job and the summary ``run_jobs`` prints when some of them failed."""

from __future__ import annotations

import signal
from dataclasses import dataclass
from pathlib import Path

from espnet_ext.launch.jobs import Task
from espnet_ext.launch.logs import tail_lines


@dataclass(frozen=True)
class Outcome:
    """``code`` is None when the job left no exit status (killed before it could write one);
    ``other_log`` names a file that may say why (Slurm's own output of the array task)."""

    task: Task
    code: int | None
    other_log: Path | None = None

    @property
    def ok(self) -> bool:
        return self.code == 0

    def describe(self) -> str:
        if self.code is None:
            where = f"; see {self.other_log}" if self.other_log else ""
            return f"{self.task.log} (no exit status: killed or lost{where})"
        return f"{self.task.log} (exit {self.code})"


class RunJobsError(RuntimeError):
    """A launcher problem that is not a job failure (bad config, sbatch refused the job, ...)."""


class Interrupted(Exception):
    """``run_jobs`` received SIGINT or SIGTERM and stopped its jobs."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


def failure_summary(outcomes: list[Outcome], skipped: int = 0, tail: int = 10) -> str:
    """The message for a run where some jobs failed (empty string when none failed).

    It names the first failed log with its exit code, lists the other failed logs, and quotes the
    last lines of the first one, so the reason is usually visible without opening a file.
    """
    failed = [o for o in outcomes if not o.ok]
    if not failed:
        return ""
    first = failed[0]
    done = f" ({skipped} finished earlier, skipped)" if skipped else ""
    lines = [
        f"run_jobs: {len(failed)}/{len(outcomes)} jobs failed{done}; "
        f"first failure: {first.describe()}"
    ]
    if len(failed) > 1:
        lines.append("run_jobs: all failed logs: " + ", ".join(o.describe() for o in failed))
    for path in (first.task.log, first.other_log):
        shown = tail_lines(Path(path), tail) if path is not None else []
        if shown:
            lines.append(f"run_jobs: last lines of {path}:")
            lines += [f"  | {line}" for line in shown]
    return "\n".join(lines)
