"""What a ``run_jobs`` call asks for: the job range, the tasks it expands to, and their commands.

``JOB=1:4 exp/log/x.JOB.log python -m foo --part JOB`` expands to four :class:`Task` objects whose
log paths and commands have every occurrence of ``JOB`` replaced by the job number (a plain
substring replacement, as Kaldi's launchers do, so ``split4/JOB/`` and ``keys.JOB.scp`` work).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

_RANGE_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(\d+)(?::(\d+))?$")


@dataclass(frozen=True)
class JobRange:
    """``NAME=first:last`` (inclusive); ``NAME=n`` is ``NAME=n:n``."""

    name: str
    first: int
    last: int

    @classmethod
    def parse(cls, spec: str) -> JobRange:
        m = _RANGE_RE.match(spec)
        if m is None:
            raise ValueError(f"bad job range {spec!r}; expected NAME=first:last, e.g. JOB=1:4")
        first = int(m.group(2))
        last = int(m.group(3)) if m.group(3) is not None else first
        if last < first:
            raise ValueError(f"bad job range {spec!r}: last ({last}) < first ({first})")
        return cls(m.group(1), first, last)

    @staticmethod
    def looks_like(arg: str) -> bool:
        return _RANGE_RE.match(arg) is not None

    @property
    def ids(self) -> list[int]:
        return list(range(self.first, self.last + 1))

    def __str__(self) -> str:
        return f"{self.name}={self.first}:{self.last}"


def join_command(args: list[str]) -> str:
    """Turn the CMD arguments of ``run_jobs`` into the line given to ``bash -c``.

    The rule: ONE argument is a shell command line and runs as written (pipes, redirections,
    ``&&``, variables); SEVERAL arguments are an argv and each one is quoted with
    :func:`shlex.quote`, so they reach the program exactly as given (spaces, ``|`` or ``*``
    inside an argument stay literal).
    """
    if not args:
        raise ValueError("no command given")
    if len(args) == 1:
        return args[0]
    return " ".join(shlex.quote(a) for a in args)


@dataclass(frozen=True)
class Task:
    """One job of the range: its number, its log and its command, with the job number filled in."""

    job_id: int
    log: Path
    command: str


@dataclass(frozen=True)
class JobSpec:
    """Everything both backends need to run the jobs of one ``run_jobs`` call.

    ``log_pattern`` and ``command`` still contain the job variable; :meth:`task` fills it in.
    ``env`` holds the variables exported to every job (e.g. ``OMP_NUM_THREADS``).
    """

    job_range: JobRange | None
    log_pattern: str
    command: str
    num_threads: int = 1
    env: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def __post_init__(self):
        if self.job_range is not None and len(self.job_range.ids) > 1:
            if self.job_range.name not in self.log_pattern:
                raise ValueError(
                    f"log name {self.log_pattern!r} does not contain {self.job_range.name}: "
                    f"the {len(self.job_range.ids)} jobs of {self.job_range} would share one log"
                )

    @property
    def ids(self) -> list[int]:
        return self.job_range.ids if self.job_range is not None else [1]

    def substitute(self, text: str, job_id: int) -> str:
        if self.job_range is None:
            return text
        return text.replace(self.job_range.name, str(job_id))

    def task(self, job_id: int) -> Task:
        return Task(
            job_id,
            Path(self.substitute(self.log_pattern, job_id)),
            self.substitute(self.command, job_id),
        )

    def tasks(self) -> list[Task]:
        return [self.task(i) for i in self.ids]

    def to_dict(self) -> dict:
        rng = self.job_range
        return {
            "job_range": None if rng is None else [rng.name, rng.first, rng.last],
            "log_pattern": self.log_pattern,
            "command": self.command,
            "num_threads": self.num_threads,
            "env": dict(self.env),
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, d: dict) -> JobSpec:
        rng = d["job_range"]
        return cls(
            job_range=None if rng is None else JobRange(rng[0], int(rng[1]), int(rng[2])),
            log_pattern=d["log_pattern"],
            command=d["command"],
            num_threads=int(d["num_threads"]),
            env=dict(d["env"]),
            notes=tuple(d["notes"]),
        )
