"""Run one job: write the log header, run the command with ``bash -c``, append the footer.

The local backend drives several :class:`RunningTask` objects at once; each Slurm array task runs
``python -m espnet_ext.launch.task SPEC.json JOB_ID --rc-file FILE``, which runs one to the end
and also writes the exit code to ``FILE`` for the submitting side to collect.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from espnet_ext.fileio import write_text_atomic
from espnet_ext.launch.jobs import JobSpec, Task
from espnet_ext.launch.logs import append_footer, exit_code, header


class RunningTask:
    """One job's process, started in its own process group so that it can be stopped as a whole."""

    def __init__(
        self,
        spec: JobSpec,
        task: Task,
        backend: str,
        extra: list[str] | None = None,
        env: dict[str, str] | None = None,
    ):
        self.spec = spec
        self.task = task
        self.backend = backend
        self.extra = list(extra or [])
        self.env = dict(env or {})  # this job's own variables, e.g. its CUDA_VISIBLE_DEVICES
        self.proc: subprocess.Popen | None = None
        self.started = 0.0
        self.why = ""

    def start(self) -> None:
        log = self.task.log
        log.parent.mkdir(parents=True, exist_ok=True)
        fields = self.extra + list(self.spec.notes)
        with open(log, "w", encoding="utf-8") as f:
            f.write(header(self.task.command, self.backend, self.task.job_id, fields))
        env = {**os.environ, **self.spec.env, **self.env}
        self.started = time.monotonic()
        with open(log, "ab") as out:
            self.proc = subprocess.Popen(
                ["bash", "-c", self.task.command],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )

    def send(self, signum: int, why: str) -> None:
        """Send ``signum`` to the job's whole process group (its pipeline and children too)."""
        if self.proc is None or self.proc.returncode is not None:
            return
        self.why = why
        try:
            os.killpg(self.proc.pid, signum)
        except ProcessLookupError:
            pass

    def finish(self, returncode: int) -> int:
        """Append the footer for a process that exited with ``returncode``; return its code."""
        code = exit_code(returncode)
        elapsed = time.monotonic() - self.started
        append_footer(self.task.log, code, elapsed, self.spec.num_threads, self.why)
        return code


def run_to_end(running: RunningTask, grace_seconds: float = 10.0) -> int:
    """Run one job in the foreground; SIGTERM/SIGINT are passed on to its process group.

    Slurm sends SIGTERM when a job is cancelled or reaches its time limit; the job gets the signal
    too, and the footer still records the exit code and why.
    """
    received: list[int] = []

    def on_signal(signum, frame):
        received.append(signum)

    old = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        running.start()
        assert running.proc is not None
        deadline = None
        while True:
            try:
                returncode = running.proc.wait(timeout=0.2)
                break
            except subprocess.TimeoutExpired:
                pass
            if received and deadline is None:
                running.send(received[0], f"stopped by {signal.Signals(received[0]).name}")
                deadline = time.monotonic() + grace_seconds
            elif deadline is not None and time.monotonic() > deadline:
                running.send(signal.SIGKILL, running.why + ", then SIGKILL")
                deadline = float("inf")
    finally:
        for s, h in old.items():
            signal.signal(s, h)
    if received and not running.why:
        # The job got the signal directly (Slurm signals every process of the job) and was gone
        # before it could be passed on; still say why it ended.
        running.why = f"stopped by {signal.Signals(received[0]).name}"
    return running.finish(returncode)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Run one job of a run_jobs spec (used by the Slurm backend's array tasks)."
    )
    parser.add_argument("spec", type=Path, help="JSON job spec written by run_jobs")
    parser.add_argument("job_id", type=int, help="job number (the array task id)")
    parser.add_argument("--rc-file", type=Path, required=True, help="where to write the exit code")
    parser.add_argument("--backend", default="slurm", help="backend name shown in the log header")
    args = parser.parse_args(argv)

    spec = JobSpec.from_dict(json.loads(args.spec.read_text(encoding="utf-8")))
    extra = []
    if "SLURM_ARRAY_JOB_ID" in os.environ:
        extra.append(f"slurm_job={os.environ['SLURM_ARRAY_JOB_ID']}_{args.job_id}")
    code = run_to_end(RunningTask(spec, spec.task(args.job_id), args.backend, extra))
    write_text_atomic(args.rc_file, f"{code}\n")
    return code


if __name__ == "__main__":
    sys.exit(main())
