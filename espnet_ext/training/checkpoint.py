"""Crash-safe checkpoint files in a training output directory.

Every file goes to a temporary file in the same directory, is flushed, fsynced and renamed into
place (:func:`espnet_ext.fileio.atomic_open`); a SIGKILL at any moment leaves either the old or
the complete new file. Each file's sha256, computed while it is written, is then recorded in the
manifest ``checksums.sha256`` (``sha256sum`` format, so ``sha256sum -c checksums.sha256`` checks a
directory by hand). A file whose bytes do not match its entry is never loaded.

``checkpoint.pth`` is rotated: before a new one is written, the current one (if it verifies) is
hard-linked to ``checkpoint.prev.pth`` (copied where the file system has no hard links), so the
last complete checkpoint survives until the new one is complete and recorded. Resuming
(:meth:`CheckpointDir.load_newest_checkpoint`) takes ``checkpoint.pth`` if it verifies and loads,
else ``checkpoint.prev.pth``, logging why a file was rejected.

The manifest is updated after each rename, so a kill between a rename and its manifest update
leaves a complete file with a stale entry: it is rejected (the previous checkpoint is used) rather
than trusted. Files with no entry (written by stock ESPnet) are accepted only if they load
completely, with a warning.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import shutil
from pathlib import Path

from espnet_ext.fileio import atomic_open, write_text_atomic
from espnet_ext.training.safe_load import is_unsupported_global_error, load_weights_only

logger = logging.getLogger(__name__)

MANIFEST = "checksums.sha256"
CHECKPOINT = "checkpoint.pth"
PREVIOUS = "checkpoint.prev.pth"
CHECKPOINT_KEYS = ("model", "reporter", "optimizers", "schedulers", "scaler")
# Temporary names: atomic_open's ".<name>.<8 random chars>.tmp" (tempfile.mkstemp) and this
# module's ".<name>.<pid>.link" (rotation) and ".<name>.<pid>.tmp" (symlink replacement).
_TEMPORARY = re.compile(r"^\.(?P<name>.+)\.(?:[a-z0-9_]{8}|\d+)\.(?:tmp|link)$")
_CHUNK = 1 << 20


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be used and must not be silently skipped."""


class _HashingWriter:
    """Passes ``write``/``flush`` to ``f``, hashing the bytes on the way (no re-read)."""

    def __init__(self, f):
        self._f = f
        self.sha256 = hashlib.sha256()
        self.size = 0

    def write(self, data) -> int:
        self.sha256.update(data)
        self.size += memoryview(data).nbytes
        return self._f.write(data)

    def flush(self) -> None:
        self._f.flush()


def _signature(path: Path) -> tuple:
    st = path.stat()
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def file_sha256(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def fsync_dir(path: str | os.PathLike) -> None:
    """Make renames in ``path`` durable (a power cut must not undo them); best effort."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def replace_symlink(link: Path, target: str) -> None:
    """Point ``link`` at ``target`` (a name in the same directory) without a moment of absence."""
    tmp = link.with_name(f".{link.name}.{os.getpid()}.tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    os.symlink(target, tmp)
    os.replace(tmp, link)


class CheckpointDir:
    """The checkpoint and model files of one training output directory and their manifest."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        # name -> (sha256, stat signature) of files this process wrote or verified: spares
        # re-hashing them while the file is unchanged (same inode, size and mtime).
        self._known: dict[str, tuple[str, tuple]] = {}
        # name -> object already loaded (and verified) by this process, handed out once.
        self._preloaded: dict[str, object] = {}

    # -- manifest ---------------------------------------------------------------------------
    def read_manifest(self) -> dict[str, str]:
        """``{file name: sha256}``; an unreadable manifest counts as empty (nothing verifies)."""
        path = self.path / MANIFEST
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except (OSError, UnicodeDecodeError) as e:
            logger.warning("%s: unreadable (%s); no file in %s verifies", path, e, self.path)
            return {}
        entries = {}
        for lineno, line in enumerate(text.splitlines(), 1):
            sha, sep, name = line.partition("  ")
            if not sep or len(sha) != 64 or not name:
                logger.warning("%s:%d: malformed line %r ignored", path, lineno, line)
                continue
            entries[name] = sha
        return entries

    def update_manifest(self, changes: dict[str, str | None]) -> None:
        """Set (or with ``None`` drop) entries; entries of files that no longer exist are dropped
        too (ESPnet deletes model files of epochs outside the n-best)."""
        entries = self.read_manifest()
        for name, sha in changes.items():
            if sha is None:
                entries.pop(name, None)
            else:
                entries[name] = sha
        entries = {n: s for n, s in entries.items() if (self.path / n).exists()}
        write_text_atomic(
            self.path / MANIFEST, "".join(f"{s}  {n}\n" for n, s in sorted(entries.items()))
        )
        fsync_dir(self.path)

    # -- verification -----------------------------------------------------------------------
    def verify(self, name: str) -> str | None:
        """Why ``name`` must not be loaded, or ``None`` when its bytes match the manifest."""
        path = self.path / name
        if not path.is_file():
            return "missing"
        expected = self.read_manifest().get(name)
        if expected is None:
            return f"no checksum in {MANIFEST}"
        if self._known.get(name) == (expected, _signature(path)):
            return None
        actual = file_sha256(path)
        if actual != expected:
            return (
                f"sha256 {actual[:16]}... does not match {MANIFEST} ({expected[:16]}...): "
                "the file is truncated or corrupt"
            )
        self._remember(name, actual)
        return None

    def _remember(self, name: str, sha: str) -> None:
        self._known[name] = (sha, _signature(self.path / name))

    def known_sha256(self, name: str) -> str | None:
        """The sha256 of ``name`` as last written or verified by this process."""
        return self._known[name][0] if name in self._known else None

    # -- writing ----------------------------------------------------------------------------
    def save(self, obj, name: str) -> str:
        """``torch.save(obj)`` to ``name`` atomically, record its sha256; returns the sha256."""
        import torch

        if name == CHECKPOINT:
            self._keep_previous()
        path = self.path / name
        with atomic_open(path, "wb") as f:
            writer = _HashingWriter(f)
            torch.serialization.save(obj, writer)
            if f.tell() != writer.size:  # torch seeked: the running hash is not the file's
                raise CheckpointError(f"{path}: torch.save wrote out of order; cannot hash it")
        sha = writer.sha256.hexdigest()
        self._remember(name, sha)
        self._preloaded.pop(name, None)
        self.update_manifest({name: sha})
        return sha

    def _keep_previous(self) -> None:
        current = self.path / CHECKPOINT
        if not current.exists():
            return
        reason = self.verify(CHECKPOINT)
        if reason is not None:
            # Never let an unverified file replace the previous checkpoint: that may be the one
            # this run resumed from.
            logger.warning("%s is not kept as %s: %s", current, PREVIOUS, reason)
            return
        sha = self.known_sha256(CHECKPOINT)
        previous = self.path / PREVIOUS
        tmp = self.path / f".{PREVIOUS}.{os.getpid()}.link"
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        try:
            os.link(current, tmp)
            os.replace(tmp, previous)
        except OSError as e:  # no hard links on this file system: copy instead
            logger.debug("hard link %s -> %s failed (%s); copying", current, previous, e)
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            with open(current, "rb") as src, atomic_open(previous, "wb") as dst:
                shutil.copyfileobj(src, dst, _CHUNK)
        self._remember(PREVIOUS, sha)
        self.update_manifest({PREVIOUS: sha})

    def remove_stale_temporaries(self) -> list[Path]:
        """Delete temporary files a killed writer left behind; returns them."""
        removed = []
        for p in sorted(self.path.glob(".*")):
            match = _TEMPORARY.match(p.name)
            if not match or not (p.is_symlink() or p.is_file()):
                continue
            if match["name"].endswith(".pth") or match["name"] == MANIFEST:
                p.unlink()
                removed.append(p)
        if removed:
            logger.info("removed unfinished files of a killed run: %s", [p.name for p in removed])
        return removed

    # -- loading ----------------------------------------------------------------------------
    def preload(self, name: str, obj) -> None:
        """Hand ``obj`` out on the next :meth:`load` of ``name`` instead of reading it again."""
        self._preloaded[name] = obj

    def load(self, name: str, map_location=None):
        """Weights-only load of ``name`` after checking it against the manifest.

        A file without an entry (stock ESPnet) is loaded with a warning; a file whose bytes do
        not match is refused with :class:`CheckpointError`.
        """
        if name in self._preloaded:
            return self._preloaded.pop(name)
        reason = self.verify(name)
        path = self.path / name
        if reason == f"no checksum in {MANIFEST}":
            logger.warning("%s: %s; loading it unverified", path, reason)
        elif reason is not None:
            raise CheckpointError(f"{path}: refusing to load: {reason}")
        return self._load_weights_only(path, map_location)

    def _load_weights_only(self, path: Path, map_location):
        try:
            return load_weights_only(path, map_location=map_location)
        except Exception as e:
            if is_unsupported_global_error(e):
                raise CheckpointError(
                    f"{path}: holds a type that weights-only loading refuses ({e}). Load it "
                    "with torch.load(weights_only=False) only if you trust its origin, and "
                    "re-save its tensors."
                ) from None
            raise

    def load_newest_checkpoint(self, map_location=None) -> tuple[str | None, dict | None]:
        """``(name, states)`` of the newest checkpoint that verifies and loads, else
        ``(None, None)``; every rejected file is logged with its reason."""
        for name in (CHECKPOINT, PREVIOUS):
            path = self.path / name
            if not path.exists():
                continue
            reason = self.verify(name)
            unverified = reason == f"no checksum in {MANIFEST}"
            if reason is not None and not unverified:
                logger.warning("Rejected %s: %s", path, reason)
                continue
            try:
                states = self._load_weights_only(path, map_location)
            except CheckpointError:
                raise
            except Exception as e:
                if not unverified:
                    # Its bytes are the ones written: not corruption, a bug to report.
                    raise CheckpointError(f"{path}: verified but does not load: {e}") from e
                logger.warning("Rejected %s: %s and it does not load (%s)", path, reason, e)
                continue
            missing = [
                k for k in CHECKPOINT_KEYS if not isinstance(states, dict) or k not in states
            ]
            if missing:
                logger.warning("Rejected %s: not an ESPnet checkpoint (no %s)", path, missing)
                continue
            epoch = states["reporter"].get("epoch")
            if unverified:
                logger.warning(
                    "%s has no checksum (written by stock ESPnet?); it loads, using it", path
                )
            sha = self.known_sha256(name) or file_sha256(path)
            logger.info("Resuming from %s (epoch %s, sha256 %s)", path, epoch, sha)
            return name, states
        return None, None
