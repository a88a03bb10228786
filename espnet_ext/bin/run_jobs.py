"""Run a command as N parallel jobs, locally or as a Slurm job array, one log per job.

    run_jobs --backend local JOB=1:4 exp/log/x.JOB.log python -m foo --part JOB
    run_jobs --backend slurm --gpu 1 exp/log/train.log python -m bar

What recipes' cmd.sh puts into $train_cmd, $cuda_cmd and $decode_cmd. ``JOB`` (or any NAME of
``NAME=first:last``) is replaced by the job number in the log name and in every command argument.
One command argument is a shell line (pipes and redirections work); several arguments are quoted
one by one and reach the program exactly as given. Exit status: 0 when every job succeeded, 1 when
any failed (the first failed log is named and its last lines shown), 128+N on signal N.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from espnet_ext.launch.jobs import JobRange, join_command
from espnet_ext.launch.report import Interrupted, RunJobsError, failure_summary
from espnet_ext.launch.run import BACKENDS, Resources, run_jobs

_MEM_RE = re.compile(r"^\d+[KMGT]?$")
_TIME_RE = re.compile(r"^(\d+-)?\d+(:\d+){0,2}$")


def _checked(pattern: re.Pattern, what: str):
    def parse(value: str) -> str:
        if not pattern.match(value):
            raise argparse.ArgumentTypeError(f"bad {what} {value!r}")
        return value

    return parse


def _positive(value: str) -> int:
    n = int(value)
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {n}")
    return n


def _non_negative(value: str) -> int:
    n = int(value)
    if n < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {n}")
    return n


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m espnet_ext.bin.run_jobs",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        usage="%(prog)s [options] [JOB=first:last] LOG CMD...",
        allow_abbrev=False,
    )
    p.add_argument("--backend", choices=BACKENDS, default="local", help="where the jobs run")
    p.add_argument(
        "--max-jobs",
        "--max-jobs-run",
        dest="max_jobs",
        type=_positive,
        default=None,
        help="jobs running at once (local default: the number of CPUs; slurm default: no limit, "
        "else the array throttle %%N)",
    )
    p.add_argument(
        "--mem", type=_checked(_MEM_RE, "memory"), help="memory per job, e.g. 4G (slurm only)"
    )
    p.add_argument(
        "--gpu",
        type=_non_negative,
        help="GPUs per job (slurm: --gres; local: each job gets GPUs of its own, or shared by "
        "--jobs-per-gpu, through CUDA_VISIBLE_DEVICES, and waits while none are free)",
    )
    p.add_argument(
        "--jobs-per-gpu",
        "--jobs_per_gpu",
        dest="jobs_per_gpu",
        type=_positive,
        default=1,
        help="local only: running jobs that may share one GPU (default 1: a GPU each); more lets "
        "small jobs, such as decoding jobs, run at once on a machine with few GPUs",
    )
    p.add_argument(
        "--time",
        type=_checked(_TIME_RE, "time limit"),
        help="time limit, e.g. 4:00:00 (slurm only)",
    )
    p.add_argument(
        "--num_threads",
        "--num-threads",
        dest="num_threads",
        type=_positive,
        help="CPU threads per job: sbatch --cpus-per-task and OMP_NUM_THREADS/MKL_NUM_THREADS",
    )
    p.add_argument(
        "--num_nodes",
        "--num-nodes",
        dest="num_nodes",
        type=_positive,
        help="nodes per job (slurm only: the command then starts its processes itself, e.g. with "
        "srun; this is how espnet2.bin.launch runs multi-node training)",
    )
    p.add_argument("--name", help="Slurm job name (default: the log name without the job number)")
    p.add_argument(
        "--config",
        type=Path,
        help="Slurm option map (default: ./conf/slurm.yaml, else the toolkit's conf/slurm.yaml)",
    )
    p.add_argument(
        "--skip-finished",
        action="store_true",
        help="do not re-run jobs whose log ends with '# Ended (code 0)' and records the same "
        "command; re-running a stage then redoes only its failed or missing jobs",
    )
    p.add_argument(
        "--keep-old-logs",
        action="store_true",
        help="move the log of a job that runs again to LOG.<n> (n = 1, 2, ...) instead of "
        "overwriting it; the pipeline's training jobs use it, so a resumed training keeps the "
        "log of its earlier runs",
    )
    p.add_argument(
        "args", nargs=argparse.REMAINDER, metavar="[JOB=first:last] LOG CMD", help="jobs to run"
    )
    return p


def main(argv: list[str] | None = None) -> int:
    parser = get_parser()
    args = parser.parse_args(argv)
    rest = list(args.args)
    job_range = None
    if rest and JobRange.looks_like(rest[0]):
        job_range = JobRange.parse(rest.pop(0))
    if len(rest) < 2:
        parser.error("expected [JOB=first:last] LOG CMD...")
    log_pattern, command = rest[0], join_command(rest[1:])
    res = Resources(
        mem=args.mem,
        gpu=args.gpu,
        time=args.time,
        num_threads=args.num_threads,
        num_nodes=args.num_nodes,
    )
    try:
        result = run_jobs(
            job_range,
            log_pattern,
            command,
            backend=args.backend,
            res=res,
            max_jobs=args.max_jobs,
            config=args.config,
            skip_finished=args.skip_finished,
            name=args.name,
            keep_old_logs=args.keep_old_logs,
            jobs_per_gpu=args.jobs_per_gpu,
        )
    except (RunJobsError, ValueError, OSError) as e:
        print(f"run_jobs: error: {e}", file=sys.stderr)
        return 1
    except Interrupted as e:
        print(f"run_jobs: interrupted by {e}; running jobs were stopped", file=sys.stderr)
        return e.exit_code
    if result.skipped and not result.failed:
        total = len(result.skipped) + len(result.outcomes)
        print(
            f"run_jobs: {len(result.skipped)}/{total} jobs had finished before (--skip-finished); "
            f"ran {len(result.outcomes)}",
            file=sys.stderr,
        )
    if result.failed:
        print(failure_summary(result.outcomes, skipped=len(result.skipped)), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
