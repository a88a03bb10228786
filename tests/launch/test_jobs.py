"""Launcher pieces: job ranges, command joining, log status, failure message, Slurm options."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import pytest

from espnet_ext.launch.jobs import JobRange, JobSpec, join_command
from espnet_ext.launch.logs import append_footer, command_sha1, header, read_status
from espnet_ext.launch.report import Outcome, RunJobsError, failure_summary
from espnet_ext.launch.slurm import TOOLKIT_CONFIG, SlurmConfig, array_ids, queue_dir_and_name


@pytest.mark.parametrize(
    "spec, expected",
    [("JOB=1:4", ("JOB", 1, 4)), ("JOB=3:5", ("JOB", 3, 5)), ("N=7", ("N", 7, 7))],
)
def test_job_range_parse(spec, expected):
    r = JobRange.parse(spec)
    assert (r.name, r.first, r.last) == expected
    assert r.ids == list(range(expected[1], expected[2] + 1))


@pytest.mark.parametrize("spec", ["JOB=4:1", "JOB=a:b", "JOB", "1JOB=1:2", "JOB=1:"])
def test_job_range_rejects(spec):
    with pytest.raises(ValueError, match="bad job range"):
        JobRange.parse(spec)


def test_substitution_in_log_and_command():
    spec = JobSpec(JobRange.parse("JOB=3:4"), "exp/JOB/x.JOB.log", "foo --part JOB split4/JOB")
    tasks = spec.tasks()
    assert [t.job_id for t in tasks] == [3, 4]
    assert tasks[1].log == Path("exp/4/x.4.log")
    assert tasks[1].command == "foo --part 4 split4/4"


def test_several_jobs_need_job_in_log_name():
    with pytest.raises(ValueError, match="would share one log"):
        JobSpec(JobRange.parse("JOB=1:2"), "exp/x.log", "true")


def test_join_command_quotes_each_argument_of_an_argv():
    args = ["printf", "%s\n", "a b", "x|y", "*"]
    line = join_command(args)
    assert shlex.split(line) == args
    out = subprocess.run(["bash", "-c", line], capture_output=True, text=True, check=True).stdout
    assert out == "a b\nx|y\n*\n"


def test_join_command_runs_a_single_argument_as_a_shell_line():
    line = join_command(["echo a b | tr a-z A-Z"])
    out = subprocess.run(["bash", "-c", line], capture_output=True, text=True, check=True).stdout
    assert out == "A B\n"


def test_log_status_round_trip(tmp_path):
    log = tmp_path / "x.log"
    assert not read_status(log).exists
    log.write_text(header("echo hi", "local", 1) + "hi")  # output without a final newline
    st = read_status(log)
    assert st.exists and st.code is None and st.cmd_sha1 == command_sha1("echo hi")
    append_footer(log, 0, 1.2, 1)
    lines = log.read_text().splitlines()
    assert lines[-3] == "hi"
    assert lines[-2] == "# Accounting: time=1 threads=1"
    assert lines[-1].startswith("# Ended (code 0) at ")
    st = read_status(log)
    assert st.finished_ok("echo hi")
    assert not st.finished_ok("echo changed")


def test_failure_summary_names_the_first_failed_log(tmp_path):
    spec = JobSpec(JobRange.parse("JOB=1:3"), str(tmp_path / "x.JOB.log"), "true")
    t1, t2, t3 = spec.tasks()
    t2.log.write_text("# header\nboom: bad input on line 7\n")
    msg = failure_summary([Outcome(t1, 0), Outcome(t2, 3), Outcome(t3, None)])
    first = msg.splitlines()[0]
    assert first == f"run_jobs: 2/3 jobs failed; first failure: {t2.log} (exit 3)"
    assert f"{t3.log} (no exit status" in msg
    assert "  | boom: bad input on line 7" in msg
    assert failure_summary([Outcome(t1, 0)]) == ""


def test_array_ids():
    assert array_ids([1, 2, 3]) == "1-3"
    assert array_ids([5, 1, 2, 7, 8]) == "1-2,5,7-8"
    assert array_ids([4]) == "4"


@pytest.mark.parametrize(
    "job_range, pattern, expected",
    [
        ("JOB=1:2", "exp/log/x.JOB.log", (Path("exp/log/q"), "x")),
        ("JOB=1:2", "exp/JOB/log/decode.log", (Path("exp/q"), "decode")),
        (None, "train.log", (Path("q"), "train")),
    ],
)
def test_queue_dir_and_name(job_range, pattern, expected):
    rng = JobRange.parse(job_range) if job_range else None
    assert queue_dir_and_name(JobSpec(rng, pattern, "true")) == expected


def test_toolkit_slurm_config_maps_the_generic_options():
    cfg = SlurmConfig.load(TOOLKIT_CONFIG)
    assert cfg.sbatch_options() == ["--export=ALL"]
    opts = cfg.sbatch_options(mem="4G", gpu=2, time="4:00:00", num_threads=8, num_nodes=2)
    assert opts == [
        "--export=ALL",
        "--mem=4G",
        "--gres=gpu:2",
        "--time=4:00:00",
        "--cpus-per-task=8",
        "--nodes=2",
        "--ntasks-per-node=1",
    ]
    assert cfg.sbatch_options(num_nodes=1) == ["--export=ALL"]
    assert "--gres" not in " ".join(cfg.sbatch_options(gpu=0))


def test_slurm_config_exact_value_wins_and_errors_name_the_file(tmp_path):
    conf = tmp_path / "slurm.yaml"
    conf.write_text(
        'sbatch_args: ["--partition=cpu"]\n'
        "options:\n"
        '  gpu: {"0": [], "1": ["-p", "gpu1", "--gres=gpu:1"]}\n'
    )
    cfg = SlurmConfig.load(conf)
    assert cfg.sbatch_options(gpu=1) == ["--partition=cpu", "-p", "gpu1", "--gres=gpu:1"]
    with pytest.raises(RunJobsError, match=r"slurm.yaml: no rule for --gpu 2"):
        cfg.sbatch_options(gpu=2)
    conf.write_text("options:\n  memory: {'*': ['--mem={value}']}\n")
    with pytest.raises(RunJobsError, match=r"slurm.yaml: unknown option 'memory'"):
        SlurmConfig.load(conf)
