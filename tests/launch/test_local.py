"""Local backend through the real CLI: substitution, parallel limit, failures, resume, signals."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import time
from pathlib import Path

import pytest

from espnet_ext.launch.logs import read_status
from tests.launch.conftest import cli_argv, cli_env


def test_job_substitution_in_log_and_command(run_jobs, tmp_path):
    code = "import sys; open(f'out.{sys.argv[1]}', 'w').write('JOB')"
    r = run_jobs("JOB=3:5", "exp/log/x.JOB.log", "python3", "-c", code, "JOB")
    assert r.returncode == 0, r.stderr
    for j in (3, 4, 5):
        assert (tmp_path / f"out.{j}").read_text() == str(j)
        lines = (tmp_path / f"exp/log/x.{j}.log").read_text().splitlines()
        assert lines[0] == "# " + shlex.join(
            ["python3", "-c", code.replace("JOB", str(j)), str(j)]
        )
        assert f"backend=local job={j} cmd_sha1=" in lines[2]
        assert lines[-1].startswith("# Ended (code 0)")
    assert not (tmp_path / "exp/log/x.2.log").exists()


def test_other_variable_name_single_job_and_shell_line(run_jobs, tmp_path):
    r = run_jobs(
        "--num_threads",
        "3",
        "PART=1:2",
        "log/p.PART",
        "echo $OMP_NUM_THREADS PART | tr 1-9 a-i > o.PART",
    )
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "o.1").read_text() == "c a\n"
    assert (tmp_path / "o.2").read_text() == "c b\n"
    r = run_jobs("single.log", "printf", "%s|", "a b", "JOB")
    assert r.returncode == 0, r.stderr
    assert "a b|JOB|" in (tmp_path / "single.log").read_text()


def _intervals(tmp_path: Path) -> list[tuple[float, float]]:
    out = []
    for f in sorted(tmp_path.glob("t.*")):
        start, end = map(float, f.read_text().split())
        out.append((start, end))
    return out


def _max_overlap(intervals: list[tuple[float, float]]) -> int:
    events = sorted([(s, 1) for s, _ in intervals] + [(e, -1) for _, e in intervals])
    best = cur = 0
    for _, d in events:
        cur += d
        best = max(best, cur)
    return best


# Each job records its start and end; jobs 1 and 2 also wait for each other (up to 60 s), which
# can only succeed if two jobs really run at the same time.
_JOB = r"""
import pathlib, sys, time
j = int(sys.argv[1]); start = time.time()
pathlib.Path(f"started.{j}").touch()
if j in (1, 2):
    deadline = time.time() + 60
    while not pathlib.Path(f"started.{3 - j}").exists() and time.time() < deadline:
        time.sleep(0.02)
pathlib.Path(f"t.{j}").write_text(f"{start} {time.time()}")
"""


@pytest.mark.parametrize("max_jobs", [1, 2])
def test_parallel_limit_is_respected(run_jobs, tmp_path, max_jobs):
    if max_jobs == 1:
        r = run_jobs("--max-jobs", "1", "JOB=3:6", "log/x.JOB.log", "python3", "-c", _JOB, "JOB")
    else:
        r = run_jobs("--max-jobs", "2", "JOB=1:6", "log/x.JOB.log", "python3", "-c", _JOB, "JOB")
    assert r.returncode == 0, r.stderr
    intervals = _intervals(tmp_path)
    assert len(intervals) == (4 if max_jobs == 1 else 6)
    assert _max_overlap(intervals) == max_jobs


def test_failing_job_fails_the_run_and_names_its_log(run_jobs, tmp_path):
    r = run_jobs(
        "JOB=1:3",
        "exp/x/log/x.JOB.log",
        "echo working on JOB; [ JOB != 2 ] || { echo 'bad utt ted_2' >&2; exit 3; }",
    )
    assert r.returncode == 1
    err = r.stderr.splitlines()
    assert err[0] == "run_jobs: 1/3 jobs failed; first failure: exp/x/log/x.2.log (exit 3)"
    assert "  | bad utt ted_2" in err
    assert read_status(tmp_path / "exp/x/log/x.2.log").code == 3
    assert read_status(tmp_path / "exp/x/log/x.3.log").code == 0


def test_skip_finished_reruns_only_failed_jobs(run_jobs, tmp_path):
    # Job 2 fails until the file "fixed" exists; every run appends its job number to runs.txt.
    cmd = "echo JOB >> runs.txt; [ JOB != 2 ] || [ -e fixed ]"
    r = run_jobs("--skip-finished", "JOB=1:3", "log/x.JOB.log", cmd)
    assert r.returncode == 1 and "first failure: log/x.2.log (exit 1)" in r.stderr
    (tmp_path / "fixed").touch()
    r = run_jobs("--skip-finished", "JOB=1:3", "log/x.JOB.log", cmd)
    assert r.returncode == 0, r.stderr
    assert "2/3 jobs had finished before" in r.stderr
    assert sorted((tmp_path / "runs.txt").read_text().split()) == ["1", "2", "2", "3"]
    # Nothing left to do: nothing runs.
    assert run_jobs("--skip-finished", "JOB=1:3", "log/x.JOB.log", cmd).returncode == 0
    assert len((tmp_path / "runs.txt").read_text().split()) == 4
    # A changed command is not "finished", and without the flag everything runs again.
    assert run_jobs("--skip-finished", "JOB=1:3", "log/x.JOB.log", cmd + " ").returncode == 0
    assert run_jobs("JOB=1:3", "log/x.JOB.log", cmd + " ").returncode == 0
    assert len((tmp_path / "runs.txt").read_text().split()) == 10


def test_keep_old_logs_moves_the_earlier_runs_logs_aside(run_jobs, tmp_path):
    from espnet_ext.launch.logs import earlier_logs

    for run in ("first", "second", "third"):
        r = run_jobs("--keep-old-logs", "JOB=1:2", "log/train.JOB.log", f"echo {run} JOB")
        assert r.returncode == 0, r.stderr
    log = tmp_path / "log/train.1.log"
    kept = earlier_logs(log)
    assert [p.name for p in kept] == ["train.1.log.1", "train.1.log.2", "train.1.log"]
    assert ["first 1" in kept[0].read_text(), "second 1" in kept[1].read_text()] == [True, True]
    assert "third 1" in log.read_text() and "second 1" not in log.read_text()
    assert read_status(kept[0]).code == 0  # each kept log is a whole job log
    # without the flag a re-run overwrites (decoding, dumping: the log of the last run only)
    assert run_jobs("JOB=1:2", "log/train.JOB.log", "echo fourth JOB").returncode == 0
    assert len(earlier_logs(log)) == 3 and "fourth 1" in log.read_text()
    # an empty log (a job that never wrote) is not kept
    empty = tmp_path / "log/empty.log"
    empty.write_text("")
    assert run_jobs("--keep-old-logs", "log/empty.log", "echo x").returncode == 0
    assert earlier_logs(empty) == [empty]


def _running(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_all_jobs_and_their_children(tmp_path, signum):
    # Each job starts a background sleep (a grandchild of run_jobs) and waits for it.
    cmd = "sleep 300 & echo $! > sleep.JOB.pid; wait"
    proc = subprocess.Popen(
        cli_argv("--max-jobs", "2", "JOB=1:3", "log/x.JOB.log", cmd),
        cwd=tmp_path, env=cli_env(), stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    pid_files = [tmp_path / "sleep.1.pid", tmp_path / "sleep.2.pid"]
    deadline = time.monotonic() + 60
    while not all(f.exists() and f.read_text().strip() for f in pid_files):
        assert time.monotonic() < deadline, "jobs did not start"
        time.sleep(0.05)
    sleeps = [int(f.read_text()) for f in pid_files]
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signum
    assert f"interrupted by {signal.Signals(signum).name}" in err
    deadline = time.monotonic() + 10
    while any(_running(p) for p in sleeps) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_running(p) for p in sleeps)
    for j in (1, 2):
        last = (tmp_path / f"log/x.{j}.log").read_text().splitlines()[-1]
        assert last.startswith("# Ended (code 143)")
        assert f"stopped by run_jobs on {signal.Signals(signum).name}" in last
    assert not (tmp_path / "log/x.3.log").exists()  # never started
    assert not os.path.exists(tmp_path / "sleep.3.pid")


def test_usage_errors(run_jobs):
    r = run_jobs("JOB=1:2", "log/x.log", "true")
    assert r.returncode == 1 and "would share one log" in r.stderr
    r = run_jobs("--mem", "lots", "x.log", "true")
    assert r.returncode == 2 and "bad memory 'lots'" in r.stderr
    r = run_jobs("--num_nodes", "2", "x.log", "true")
    assert r.returncode == 1 and "the local backend has one node" in r.stderr
    r = run_jobs("x.log")
    assert r.returncode == 2 and "expected [JOB=first:last] LOG CMD" in r.stderr
