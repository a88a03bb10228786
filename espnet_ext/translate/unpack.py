"""Open a packed model: safe extraction into a cache keyed by the archive's sha256.

A pack is extracted once to ``<cache>/<sha256>/`` (``<cache>`` is ``$ESPNET_EXT_PACK_CACHE``, else
``$XDG_CACHE_HOME/espnet_ext/packs``, else ``~/.cache/espnet_ext/packs``); later loads of the same
archive reuse it, and a changed archive gets a new directory. Extraction goes to a temporary
directory that is renamed into place when complete, so an interrupted or concurrent extraction
never leaves a half-filled cache entry behind. Members with absolute paths, ``..`` components,
drive letters or symlink attributes are refused before anything is written.

Besides the archive's files the cache entry holds ``config.resolved.yaml``: the packed config
with each packed file's archive name replaced by its absolute path in the cache, which is what
ESPnet's ``build_model_from_file`` reads, and ``resolved/``: the same for the configs of other
experiments the config names (``files/<key>/config.yaml`` -> ``resolved/files/<key>/config.yaml``,
see :mod:`espnet_ext.translate.pack`), which the config then names instead.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import yaml

from espnet_ext.fileio import write_text_atomic
from espnet_ext.translate.pack import CONFIG, FORMAT, FORMAT_VERSION, INFERENCE, META, MODEL

RESOLVED_CONFIG = "config.resolved.yaml"
# resolved copies of nested experiment configs (see espnet_ext.translate.pack)
RESOLVED_DIR = "resolved"
_COMPLETE = ".complete"


class PackFormatError(ValueError):
    """The file is not a usable pack; the message names it and says why."""


@dataclass
class Pack:
    """An extracted pack, ready for an adapter's ``load``."""

    root: Path
    sha256: str
    meta: dict
    inference_config: dict = field(default_factory=dict)

    @property
    def config_path(self) -> Path:
        """The config with absolute paths into :attr:`root`."""
        return self.root / RESOLVED_CONFIG

    @property
    def model_path(self) -> Path:
        return self.root / MODEL

    @property
    def task(self) -> str:
        return self.meta["task"]

    def extra(self, name: str) -> Path:
        """Local path of a file an adapter packed with ``pack_extras``."""
        try:
            return self.root / self.meta["extras"][name]
        except KeyError:
            raise KeyError(
                f"pack {self.meta.get('system')!r} has no extra file {name!r}; "
                f"it has {sorted(self.meta.get('extras', {}))}"
            ) from None


def default_cache_dir() -> Path:
    env = os.environ.get("ESPNET_EXT_PACK_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "espnet_ext" / "packs"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def open_pack(path: str | os.PathLike, cache_dir: str | os.PathLike | None = None) -> Pack:
    """Extract ``path`` (if not cached yet) and return the :class:`Pack`.

    Raises:
        FileNotFoundError: no such file.
        PackFormatError: not a zip archive, unsafe members, not a pack, or a newer format.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such pack file")
    if not zipfile.is_zipfile(path):
        raise PackFormatError(f"{path}: not a zip archive (made by espnet_ext.bin.pack?)")
    sha = sha256_of(path)
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    target = cache / sha
    if not (target / _COMPLETE).exists():
        _extract(path, target)
    meta = json.loads((target / META).read_text(encoding="utf-8"))
    with open(target / INFERENCE, encoding="utf-8") as f:
        inference = yaml.safe_load(f) or {}
    return Pack(root=target, sha256=sha, meta=meta, inference_config=inference)


def _safe_members(zf: zipfile.ZipFile, where: Path) -> list[zipfile.ZipInfo]:
    infos, seen = [], set()
    for info in zf.infolist():
        name = info.filename
        posix = PurePosixPath(name.replace("\\", "/"))
        bad = (
            name.startswith(("/", "\\"))
            or (len(name) > 1 and name[1] == ":")
            or ".." in posix.parts
            or stat.S_ISLNK(info.external_attr >> 16)
        )
        if bad:
            raise PackFormatError(f"{where}: unsafe archive member {name!r}; refusing to extract")
        if info.is_dir():
            continue
        if name in seen:
            raise PackFormatError(f"{where}: archive member {name!r} appears twice")
        seen.add(name)
        infos.append(info)
    return infos


def _extract(path: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path) as zf:
        infos = _safe_members(zf, path)
        names = {i.filename for i in infos}
        missing = [n for n in (META, CONFIG, MODEL, INFERENCE) if n not in names]
        if missing:
            raise PackFormatError(f"{path}: not an espnet_ext pack (missing {', '.join(missing)})")
        meta = json.loads(zf.read(META).decode("utf-8"))
        if meta.get("format") != FORMAT:
            raise PackFormatError(
                f"{path}: meta.json format is {meta.get('format')!r}, not {FORMAT!r}"
            )
        if int(meta.get("format_version", 0)) > FORMAT_VERSION:
            raise PackFormatError(
                f"{path}: pack format version {meta['format_version']} is newer than this "
                f"espnet_ext reads ({FORMAT_VERSION}); upgrade espnet_ext"
            )
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        # mkdtemp makes 0700 dirs; a cache shared through ESPNET_EXT_PACK_CACHE needs the umask's
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o777 & ~mask)
        try:
            for info in infos:
                dest = tmp.joinpath(*PurePosixPath(info.filename.replace("\\", "/")).parts)
                dest.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, open(dest, "wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
            write_text_atomic(tmp / RESOLVED_CONFIG, _resolved_config(tmp / CONFIG, meta, target))
            (tmp / _COMPLETE).touch()
            try:
                os.rename(tmp, target)
            except OSError:
                # another process finished the same extraction first (or a stale entry without
                # the completion mark is in the way: replace it)
                if (target / _COMPLETE).exists():
                    shutil.rmtree(tmp)
                else:
                    shutil.rmtree(target, ignore_errors=True)
                    os.rename(tmp, target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise


def _resolved_config(config_path: Path, meta: dict, root: Path) -> str:
    """The packed config with archive names replaced by paths under ``root`` (the cache entry);
    nested experiment configs are resolved into ``config_path.parent / "resolved"``."""
    with open(config_path, encoding="utf-8") as f:
        config = yaml.safe_load(f)
    _resolve(config, meta.get("files", []), meta.get("pretrained", []), config_path.parent, root)
    return yaml.safe_dump(config, allow_unicode=True, sort_keys=False)


def _resolve(config: dict, files: list, pretrained: list, where: Path, root: Path) -> None:
    """Rewrite ``config``'s packed entries to absolute paths under ``root``; ``where`` is the
    directory being filled (``root`` once it is renamed into place)."""

    def path_in(base: Path, arcname: str) -> Path:
        return base.joinpath(*PurePosixPath(arcname).parts)

    entries = []
    for e in files:
        if e.get("config"):  # another experiment's config, packed with its own files
            with open(path_in(where, e["config"]), encoding="utf-8") as f:
                sub = yaml.safe_load(f)
            _resolve(sub, e.get("files", []), e.get("pretrained", []), where, root)
            resolved = f"{RESOLVED_DIR}/{e['config']}"
            write_text_atomic(
                path_in(where, resolved),
                yaml.safe_dump(sub, allow_unicode=True, sort_keys=False),
            )
            target = str(path_in(root, resolved))
            entries.append((e["key"], str(Path(target).parent) if e.get("dir") else target))
        else:
            entries.append((e["key"], str(path_in(root, e["path"]))))
    entries += [(e["key"], str(path_in(root, e["packed"]))) for e in pretrained if e.get("packed")]
    for key, value in entries:
        node = config
        for k in key[:-1]:
            node = node[k]
        node[key[-1]] = value
