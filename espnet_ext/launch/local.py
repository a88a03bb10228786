"""Local backend: run the jobs on this machine, at most ``max_jobs`` at a time, one log each."""

from __future__ import annotations

import queue
import signal
import threading
import time
from collections import deque

from espnet_ext.launch.gpus import GpuPool
from espnet_ext.launch.jobs import JobSpec, Task
from espnet_ext.launch.report import Interrupted, Outcome
from espnet_ext.launch.task import RunningTask


def run_local(
    spec: JobSpec,
    tasks: list[Task],
    max_jobs: int,
    grace_seconds: float = 10.0,
    gpu_pool: GpuPool | None = None,
) -> list[Outcome]:
    """Run ``tasks`` and return their outcomes in job order.

    With ``gpu_pool``, a job starts only when the pool has GPUs for it; it sees those alone
    (``CUDA_VISIBLE_DEVICES``, also written in its log header, with the pool's ``jobs_per_gpu``
    when GPUs are shared) and they return when it ends.
    On SIGINT or SIGTERM no new job starts; the running ones get SIGTERM on their process group
    (then SIGKILL after ``grace_seconds``), their logs get a footer saying so, and
    :class:`Interrupted` is raised.
    """
    if max_jobs < 1:
        raise ValueError(f"max_jobs must be >= 1, got {max_jobs}")
    pending = deque(tasks)
    running: dict[int, RunningTask] = {}
    finished: queue.Queue = queue.Queue()
    codes: dict[int, int] = {}
    received: list[int] = []
    held: dict[int, list[str]] = {}  # job id -> the GPUs it holds

    def on_signal(signum, frame):
        received.append(signum)

    def wait_for(rt: RunningTask) -> None:
        finished.put((rt, rt.proc.wait()))

    def stop_all(why: str) -> None:
        for rt in running.values():
            rt.send(signal.SIGTERM, why)
        deadline = time.monotonic() + grace_seconds
        killed = False
        while running:
            if not reap(timeout=0.5) and not killed and time.monotonic() > deadline:
                for rt in running.values():
                    rt.send(signal.SIGKILL, why + ", then SIGKILL")
                killed = True

    def reap(timeout: float) -> bool:
        try:
            rt, returncode = finished.get(timeout=timeout)
        except queue.Empty:
            return False
        del running[rt.task.job_id]
        codes[rt.task.job_id] = rt.finish(returncode)
        if gpu_pool is not None:
            gpu_pool.give_back(held.pop(rt.task.job_id))
        return True

    def next_task() -> RunningTask | None:
        if gpu_pool is None:
            return RunningTask(spec, pending.popleft(), "local")
        gpus = gpu_pool.take()
        if gpus is None:
            return None
        task = pending.popleft()
        held[task.job_id] = gpus
        ids = ",".join(gpus)
        extra = [f"gpus={ids}"]
        if gpu_pool.jobs_per_gpu > 1:
            extra.append(f"jobs_per_gpu={gpu_pool.jobs_per_gpu}")
        return RunningTask(spec, task, "local", extra=extra, env={"CUDA_VISIBLE_DEVICES": ids})

    old = {}
    if threading.current_thread() is threading.main_thread():
        old = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        while (pending or running) and not received:
            while pending and len(running) < max_jobs and not received:
                rt = next_task()
                if rt is None:  # every GPU is held: wait for a job to end
                    break
                try:
                    rt.start()
                except BaseException as e:
                    stop_all(f"stopped by run_jobs: starting job {rt.task.job_id} failed: {e}")
                    raise
                running[rt.task.job_id] = rt
                threading.Thread(target=wait_for, args=(rt,), daemon=True).start()
            # A short timeout keeps the loop responsive to the signal flag.
            reap(timeout=0.5)
        if received:
            stop_all(f"stopped by run_jobs on {signal.Signals(received[0]).name}")
            raise Interrupted(received[0])
    finally:
        for s, h in old.items():
            signal.signal(s, h)
    return [Outcome(t, codes[t.job_id]) for t in tasks]
