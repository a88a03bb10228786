"""Slurm backend: one ``sbatch --array --wait`` job array per ``run_jobs`` call.

For ``JOB=1:3 exp/log/x.JOB.log CMD`` it writes, under ``exp/log/q/``:

- ``x.json``: the job spec (command and log name with ``JOB`` still in them),
- ``x.sh``: the batch script; array task ``i`` runs ``python -m espnet_ext.launch.task x.json i``,
  which writes ``exp/log/x.i.log`` (header, output, footer) and ``x.i.rc`` (its exit code),
- ``x-i.out``: Slurm's own output of task ``i`` (empty unless the task wrapper itself failed).

After the array ends, each task's ``.rc`` file gives its exit code; a task without one was killed
before it could write it (time or memory limit, ``scancel``, node failure).
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

import espnet_ext
from espnet_ext.fileio import write_text_atomic
from espnet_ext.launch.jobs import JobSpec, Task
from espnet_ext.launch.report import Interrupted, Outcome, RunJobsError

GENERIC_OPTIONS = ("mem", "gpu", "time", "num_threads", "num_nodes")
TOOLKIT_CONFIG = Path(espnet_ext.__file__).resolve().parent.parent / "conf" / "slurm.yaml"


@dataclass(frozen=True)
class SlurmConfig:
    """``conf/slurm.yaml``: sbatch options for every job, and the map of the generic options."""

    sbatch_args: tuple[str, ...]
    options: dict[str, dict[str, tuple[str, ...]]]
    path: Path

    @classmethod
    def find(cls, path: Path | None) -> SlurmConfig:
        """Load ``path``, else ``./conf/slurm.yaml``, else the toolkit's ``conf/slurm.yaml``."""
        if path is not None:
            if not path.is_file():
                raise RunJobsError(f"--config {path}: no such file")
            return cls.load(path)
        for candidate in (Path("conf/slurm.yaml"), TOOLKIT_CONFIG):
            if candidate.is_file():
                return cls.load(candidate)
        raise RunJobsError(
            f"no Slurm config: give --config, or create conf/slurm.yaml (see {TOOLKIT_CONFIG})"
        )

    @classmethod
    def load(cls, path: Path) -> SlurmConfig:
        try:
            with open(path, encoding="utf-8") as f:
                raw = yaml.safe_load(f) or {}
        except yaml.YAMLError as e:
            raise RunJobsError(f"{path}: not valid YAML: {e}") from None
        if not isinstance(raw, dict) or set(raw) - {"sbatch_args", "options"}:
            raise RunJobsError(f"{path}: expected the keys sbatch_args and options, got {raw!r}")
        options: dict[str, dict[str, tuple[str, ...]]] = {}
        for name, rules in (raw.get("options") or {}).items():
            if name not in GENERIC_OPTIONS:
                raise RunJobsError(f"{path}: unknown option {name!r}; known: {GENERIC_OPTIONS}")
            if not isinstance(rules, dict):
                raise RunJobsError(f"{path}: options.{name} must map values to lists: {rules!r}")
            options[name] = {
                str(k): _str_list(path, f"options.{name}.{k}", v) for k, v in rules.items()
            }
        return cls(_str_list(path, "sbatch_args", raw.get("sbatch_args") or []), options, path)

    def sbatch_options(self, **given: str | int | None) -> list[str]:
        """``sbatch_args`` plus the mapped generic options (None: not given, adds nothing)."""
        out: list[str] = list(self.sbatch_args)
        for name in GENERIC_OPTIONS:
            value = given.get(name)
            if value is None:
                continue
            rules = self.options.get(name)
            value = str(value)
            rule = None if rules is None else rules.get(value, rules.get("*"))
            if rule is None:
                raise RunJobsError(
                    f"{self.path}: no rule for --{name} {value} (add '{value}' or '*' under "
                    f"options.{name})"
                )
            out += [arg.replace("{value}", value) for arg in rule]
        return out


def _str_list(path: Path, key: str, value) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RunJobsError(f"{path}: {key} must be a list of sbatch options, got {value!r}")
    return tuple(value)


def array_ids(ids: list[int]) -> str:
    """``[1, 2, 3, 5]`` -> ``"1-3,5"`` (sbatch's --array syntax)."""
    parts: list[str] = []
    ids = sorted(ids)
    start = prev = ids[0]
    for i in ids[1:] + [None]:
        if i is not None and i == prev + 1:
            prev = i
            continue
        parts.append(str(start) if start == prev else f"{start}-{prev}")
        if i is not None:
            start = prev = i
    return ",".join(parts)


def queue_dir_and_name(spec: JobSpec) -> tuple[Path, str]:
    """``exp/log/x.JOB.log`` -> (``exp/log/q``, ``x``): where the batch files go, and their stem.

    With the job variable in a directory name (``exp/JOB/log``), the deepest directory above it.
    """
    var = spec.job_range.name if spec.job_range is not None else None
    parts = Path(spec.log_pattern).parts
    fixed = list(parts[:-1])
    if var is not None:
        for k, p in enumerate(parts[:-1]):
            if var in p:
                fixed = list(parts[:k])
                break
    stem = parts[-1]
    if var is not None:
        stem = stem.replace(var, "")
    stem = ".".join(s for s in stem.split(".") if s)
    stem = stem[: -len(".log")] if stem.endswith(".log") else stem
    return Path(*fixed, "q") if fixed else Path("q"), stem or "job"


def run_slurm(
    spec: JobSpec,
    tasks: list[Task],
    sbatch_opts: list[str],
    max_jobs: int | None,
    job_name: str | None = None,
) -> list[Outcome]:
    """Submit ``tasks`` as one job array, wait for it, and return each task's outcome.

    ``sbatch_opts`` come from the config (:meth:`SlurmConfig.sbatch_options`); ``max_jobs``
    limits how many tasks run at once (the array's ``%N`` throttle); ``job_name`` defaults to
    the stem of the batch files (the log name without the job number).
    """
    if shutil.which("sbatch") is None:
        raise RunJobsError("sbatch not found on PATH (install Slurm's client: slurm-client)")
    qdir, name = queue_dir_and_name(spec)
    qdir.mkdir(parents=True, exist_ok=True)
    spec_file, script = qdir / f"{name}.json", qdir / f"{name}.sh"
    write_text_atomic(spec_file, json.dumps(spec.to_dict(), indent=1) + "\n")
    for t in tasks:
        (qdir / f"{name}.{t.job_id}.rc").unlink(missing_ok=True)

    array = array_ids([t.job_id for t in tasks]) + (f"%{max_jobs}" if max_jobs else "")
    sbatch = [
        "sbatch",
        "--parsable",
        "--wait",
        f"--array={array}",
        f"--job-name={job_name or name}",
        f"--output={qdir.resolve()}/{name}-%a.out",
        f"--chdir={os.getcwd()}",
        *sbatch_opts,
        str(script),
    ]
    write_text_atomic(script, _batch_script(spec_file, qdir, name, sbatch))
    script.chmod(0o755)

    rc_files = {t.job_id: qdir / f"{name}.{t.job_id}.rc" for t in tasks}
    _submit_and_wait(
        sbatch, qdir / f"{name}.sbatch", lambda: all(map(Path.is_file, rc_files.values()))
    )
    outcomes = []
    for t in tasks:
        rc = rc_files[t.job_id]
        if rc.is_file():
            outcomes.append(Outcome(t, int(rc.read_text().strip())))
        else:
            outcomes.append(Outcome(t, None, other_log=qdir / f"{name}-{t.job_id}.out"))
    return outcomes


def _batch_script(spec_file: Path, qdir: Path, name: str, sbatch: list[str]) -> str:
    # The package directory goes on PYTHONPATH so that the task wrapper imports even when the
    # toolkit is used from a checkout without being pip-installed.
    pkg_root = Path(espnet_ext.__file__).resolve().parent.parent
    rc = shlex.quote(f"{qdir.resolve()}/{name}.") + '"$SLURM_ARRAY_TASK_ID".rc'
    return (
        "#!/bin/bash\n"
        "# Written by espnet_ext.bin.run_jobs (slurm backend); each array task runs one job.\n"
        f"# Submitted with: {shlex.join(sbatch)}\n"
        f"cd {shlex.quote(os.getcwd())}\n"
        f"export PYTHONPATH={shlex.quote(str(pkg_root))}${{PYTHONPATH:+:$PYTHONPATH}}\n"
        f"exec {shlex.quote(sys.executable)} -m espnet_ext.launch.task "
        f'{shlex.quote(str(spec_file.resolve()))} "$SLURM_ARRAY_TASK_ID" --rc-file {rc}\n'
    )


def _submit_and_wait(sbatch: list[str], prefix: Path, all_done: Callable[[], bool]) -> str:
    """Run ``sbatch --wait`` until it returns or ``all_done()``; return the job id.

    ``sbatch --wait`` polls the controller after 2 s, 10 s and then every 10 s, which would add up
    to 10 s to every call; every task writes its exit-code file as its last act, so once all of
    them exist the array is over and sbatch is stopped (that does not touch the job). A task that
    was killed writes none, and then sbatch's own wait ends the loop.

    On SIGINT/SIGTERM the array is cancelled (``scancel``) and :class:`Interrupted` raised.
    sbatch's output goes to ``<prefix>.out`` / ``<prefix>.err``; the job id is read from the
    former as soon as sbatch prints it.
    """
    out, err = Path(f"{prefix}.out"), Path(f"{prefix}.err")
    received: list[int] = []

    def on_signal(signum, frame):
        received.append(signum)

    old = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        with open(out, "w") as fo, open(err, "w") as fe:
            proc = subprocess.Popen(sbatch, stdin=subprocess.DEVNULL, stdout=fo, stderr=fe)
        while not received:
            try:
                proc.wait(timeout=0.5)
                break
            except subprocess.TimeoutExpired:
                pass
            if _job_id(out) and all_done():
                proc.terminate()
                proc.wait()
                break
        if received:
            # Stopping sbatch does not stop the array it submitted: cancel that explicitly.
            proc.terminate()
            proc.wait()
            job_id = _job_id(out)
            if job_id:
                subprocess.run(["scancel", job_id], check=False)
            raise Interrupted(received[0])
    finally:
        for s, h in old.items():
            signal.signal(s, h)
    job_id = _job_id(out)
    if not job_id:
        raise RunJobsError(
            f"sbatch failed (exit {proc.returncode}): {err.read_text().strip()}\n"
            f"  command: {shlex.join(sbatch)}"
        )
    return job_id


def _job_id(out: Path) -> str:
    text = out.read_text().strip() if out.is_file() else ""
    return text.split("\n")[0].split(";")[0].strip()
