"""Job log format shared by the backends, and reading a log back to tell whether its job finished.

A job log looks like this (the job's stdout and stderr go between header and footer)::

    # python -m foo --part 2
    # Started at Sun Nov 22 03:00:00 UTC 2026 on node07
    # run_jobs: backend=slurm job=2 cmd_sha1=3f0c9a51b2e4 slurm_job=1234_2
    ...job output...
    # Accounting: time=12 threads=1
    # Ended (code 0) at Sun Nov 22 03:00:12 UTC 2026, elapsed time 12 seconds

A log whose last line starts with ``# Ended (code 0)`` belongs to a job that finished; the
``cmd_sha1`` in the header says which command it ran, so ``--skip-finished`` can tell a finished
job from one whose command has changed since.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import time
from dataclasses import dataclass
from pathlib import Path

_ENDED_RE = re.compile(r"^# Ended \(code (-?\d+)\)")
_SHA_RE = re.compile(r"\bcmd_sha1=([0-9a-f]+)\b")
_HEADER_LINES = 3


def command_sha1(command: str) -> str:
    """Short hash of a job's command (job number already filled in), stored in the log header."""
    return hashlib.sha1(command.encode("utf-8")).hexdigest()[:12]


def _now() -> str:
    return time.strftime("%a %b %d %H:%M:%S %Z %Y")


def header(command: str, backend: str, job_id: int, extra: list[str] | None = None) -> str:
    """The three header lines (with trailing newline) that open a job log."""
    fields = [f"backend={backend}", f"job={job_id}", f"cmd_sha1={command_sha1(command)}"]
    fields += extra or []
    # A command may span lines (a here-document, a quoted newline): keep every line a comment.
    shown = command.replace("\n", "\n# ")
    return (
        f"# {shown}\n"
        f"# Started at {_now()} on {socket.gethostname()}\n"
        f"# run_jobs: {' '.join(fields)}\n"
    )


def footer(code: int, elapsed: float, threads: int, why: str = "") -> str:
    """The two lines that close a job log; ``why`` explains an exit forced by the launcher."""
    secs = int(round(elapsed))
    reason = f"; {why}" if why else ""
    return (
        f"# Accounting: time={secs} threads={threads}\n"
        f"# Ended (code {code}) at {_now()}, elapsed time {secs} seconds{reason}\n"
    )


def keep_old_log(log: Path) -> Path | None:
    """Move an existing, non-empty ``log`` to ``<log>.<n>`` (the first free n = 1, 2, ...), so
    that a re-run (e.g. a resumed training) does not wipe the record of the earlier runs; returns
    the new name, or None when there was nothing to keep."""
    log = Path(log)
    if not log.is_file() or log.stat().st_size == 0:
        return None
    n = 1
    while log.with_name(f"{log.name}.{n}").exists():
        n += 1
    kept = log.with_name(f"{log.name}.{n}")
    os.replace(log, kept)
    return kept


def earlier_logs(log: Path) -> list[Path]:
    """The logs :func:`keep_old_log` kept for ``log``, oldest first, then ``log`` if it exists."""
    log = Path(log)
    numbered = []
    for path in log.parent.glob(f"{log.name}.*"):
        suffix = path.name[len(log.name) + 1 :]
        if suffix.isdigit():
            numbered.append((int(suffix), path))
    return [p for _, p in sorted(numbered)] + ([log] if log.is_file() else [])


def append_footer(log: Path, code: int, elapsed: float, threads: int, why: str = "") -> None:
    """Append the footer, on a line of its own even if the job's output lacked a final newline."""
    with open(log, "ab+") as f:
        sep = b""
        if f.seek(0, os.SEEK_END) > 0:
            f.seek(-1, os.SEEK_END)
            if f.read(1) != b"\n":
                sep = b"\n"
        f.write(sep + footer(code, elapsed, threads, why).encode("utf-8"))
        f.flush()
        os.fsync(f.fileno())


def exit_code(returncode: int) -> int:
    """Popen's negative "killed by signal N" as the shell reports it (128 + N)."""
    return 128 - returncode if returncode < 0 else returncode


@dataclass(frozen=True)
class LogStatus:
    exists: bool
    code: int | None = None  # from the footer; None when the log has no footer (yet)
    cmd_sha1: str | None = None

    def finished_ok(self, command: str) -> bool:
        """True when the log ends with ``# Ended (code 0)`` and records this very command."""
        return self.code == 0 and self.cmd_sha1 == command_sha1(command)


def read_status(log: Path) -> LogStatus:
    """Read the header's command hash and the footer's exit code of ``log``."""
    try:
        with open(log, "rb") as f:
            head = b"".join(f.readline() for _ in range(_HEADER_LINES)).decode("utf-8", "replace")
            size = f.seek(0, os.SEEK_END)
            f.seek(max(0, size - 4096))
            tail = f.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return LogStatus(exists=False)
    sha = _SHA_RE.search(head)
    lines = tail.rstrip("\n").split("\n")
    ended = _ENDED_RE.match(lines[-1]) if lines else None
    return LogStatus(
        exists=True,
        code=int(ended.group(1)) if ended else None,
        cmd_sha1=sha.group(1) if sha else None,
    )


def tail_lines(path: Path, n: int = 10) -> list[str]:
    """The last ``n`` lines of a text file (empty list when it does not exist)."""
    try:
        with open(path, "rb") as f:
            size = f.seek(0, os.SEEK_END)
            f.seek(max(0, size - 64 * 1024))
            text = f.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return []
    return text.rstrip("\n").split("\n")[-n:]
