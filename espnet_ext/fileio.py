"""Crash-safe file writing shared by every stage: write to a temporary file, then rename."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO


@contextlib.contextmanager
def atomic_open(
    path: str | os.PathLike, mode: str = "w", encoding: str | None = "utf-8"
) -> Iterator[IO]:
    """Open ``path`` for writing so that readers only ever see the old or the complete new file.

    The data goes to a temporary file in the same directory, which is flushed, fsynced and renamed
    over ``path`` when the block ends without an exception; on an exception it is removed.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if "b" in mode:
        encoding = None
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    # mkstemp creates 0600 files; give the result the mode a plain open() would (shared clusters)
    os.chmod(tmp, 0o666 & ~_umask())
    try:
        with os.fdopen(fd, mode, encoding=encoding) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


# atomic_open's temporary names: ".<name>.<8 random characters of mkstemp>.tmp"
_TEMPORARY = re.compile(r"^\.(?P<name>.+)\.[a-z0-9_]{8}\.tmp$")


def remove_temporaries(
    directory: str | os.PathLike, names: Iterable[str] | None = None
) -> list[Path]:
    """Delete the temporary files that :func:`atomic_open` left in ``directory`` when its process
    was killed (SIGKILL, or a signal Python does not handle, such as SIGTERM) mid-write.

    Only files of ``names`` are considered when given (a directory other processes write to at the
    same time); otherwise every such file in ``directory``. Returns the deleted paths.
    """
    directory = Path(directory)
    wanted = None if names is None else set(names)
    removed = []
    with contextlib.suppress(FileNotFoundError):
        for entry in os.scandir(directory):
            match = _TEMPORARY.match(entry.name)
            if match and entry.is_file() and (wanted is None or match["name"] in wanted):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)
                removed.append(Path(entry.path))
    return sorted(removed)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike) -> Iterator[Path]:
    """Build a directory that replaces ``path`` as a whole: readers see the old one or the new one.

    The block writes into ``.<name>.tmp`` beside ``path`` (emptied first: a killed run may have
    left it); when the block ends without an exception, the old ``path`` is moved aside and the
    new one renamed into place. On an exception the temporary directory is removed and ``path``
    is left as it was. A kill between the two renames leaves no ``path`` (the next run makes it).
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    old = path.with_name(f".{path.name}.old")
    for d in (tmp, old):
        if d.exists():
            shutil.rmtree(d)
    tmp.mkdir(parents=True)
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if path.exists():
        path.rename(old)
    tmp.rename(path)
    shutil.rmtree(old, ignore_errors=True)


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    with atomic_open(path, "w") as f:
        f.write(text)
