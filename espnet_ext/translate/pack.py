"""Pack a trained system into one zip archive that runs on another machine.

Archive layout (all names relative to the archive root)::

    meta.json        system, task, languages, training data, scores, train_info, versions, and
                     the map of packed files (below)
    config.yaml      the training config; every file it names is replaced by its archive name
    model.pth        the weights (the averaged or best checkpoint)
    inference.yaml   decoding settings (the recipe's decode config; {} when none was given)
    checksums.sha256 sha256 of every other member (``sha256sum -c`` format)
    files/<key>/...  files the config names: BPE models, token lists, normalisation statistics
    models/<key>/... pretrained models the config names (only with ``self_contained``)
    extra/...        files an adapter adds (k-means model, feature settings, ...)

``<key>`` is the dotted config key (``normalize_conf.stats_file``). Which config entries are files
is found by looking, not by a fixed list: the tokenizer entries (``bpemodel``, ``src_bpemodel``,
``token_list``, ``src_token_list``), top-level ``*name_or_path`` and ``*_exp`` entries, and every
string under a ``*_conf`` mapping that names an existing file or directory (relative paths are
taken from ``root``, the recipe directory the system was trained in).

An entry naming another ESPnet experiment (a directory holding ``config.yaml`` but no
``config.json``, e.g. the exporter's ``asr_exp``, or a YAML config file, e.g. a connector's
``speech_encoder_conf.asr_train_config``) is packed recursively: its config is rewritten the same
way and stored as ``files/<key>/config.yaml``, with the files it names under
``files/<key>/files/...`` (and its models under ``files/<key>/models/...``); its relative paths
are taken from its own recipe directory first. ``meta.json`` records such an entry with
``config`` (the archive name of that config) and its own ``files``/``pretrained`` lists, and
unpacking writes a resolved copy under ``resolved/``. Only the config is packed, not the other
experiment's checkpoints: weights it names by path follow the rule for weight files below.

Directories, weight files (``.pth .pt .ckpt .bin .safetensors``) and
entries whose key ends in ``name_or_path``, ``path_or_url`` or ``model_tag`` are pretrained
models: by default only recorded in ``meta.json`` (``pretrained``: the name, or the local path,
which the packed config names by its absolute path, with a warning that the pack needs it), with
``self_contained`` copied into the archive (a hub name is copied from the local Hugging Face cache
it was loaded from).
"""

from __future__ import annotations

import copy
import datetime
import glob
import hashlib
import json
import logging
import os
import platform
import zipfile
from importlib import metadata
from pathlib import Path

import yaml

from espnet_ext.fileio import atomic_open
from espnet_ext.translate.adapters import packing_hooks, task_from_config

logger = logging.getLogger(__name__)

FORMAT = "espnet_ext.pack"
FORMAT_VERSION = 1
META, CONFIG, MODEL, INFERENCE = "meta.json", "config.yaml", "model.pth", "inference.yaml"
CHECKSUMS = "checksums.sha256"

TOKENIZER_KEYS = ("bpemodel", "src_bpemodel", "token_list", "src_token_list")
MODEL_KEY_SUFFIXES = ("name_or_path", "path_or_url", "model_tag")
WEIGHT_SUFFIXES = (".pth", ".pt", ".ckpt", ".bin", ".safetensors")
# file entries whose absence makes the packed system unusable
REQUIRED_FILE_KEYS = (*TOKENIZER_KEYS, "normalize_conf.stats_file")
VERSION_PACKAGES = ("espnet", "torch", "transformers", "espnet_ext", "sentencepiece")
# already-compressed data gains nothing from deflate and costs time
STORED_SUFFIXES = (*WEIGHT_SUFFIXES, ".npz", ".zip")
# experiment configs naming experiment configs naming ...: followed this deep
MAX_NESTING = 3


class PackError(ValueError):
    """The experiment cannot be packed; the message names the file or config entry."""


def make_pack(
    exp_dir: str | os.PathLike,
    out: str | os.PathLike,
    model_file: str | None = None,
    inference_config: str | os.PathLike | None = None,
    self_contained: bool = False,
    system: str | None = None,
    task: str | None = None,
    src_lang: str | None = None,
    tgt_lang: str | None = None,
    root: str | os.PathLike | None = None,
    extras: dict[str, str | os.PathLike] | None = None,
) -> dict:
    """Write the archive of ``exp_dir`` to ``out`` (atomically); returns its ``meta.json``.

    Args:
        model_file: checkpoint name in ``exp_dir`` (or a path); default: the first of
            ``valid.acc.ave.pth``, ``valid.acc.best.pth``, ... that exists.
        inference_config: the recipe's decode config (YAML of decoding options).
        self_contained: copy pretrained models into the archive instead of naming them.
        system, task, src_lang, tgt_lang: default to what ``train_info.json`` and the config say.
        root: directory that relative paths in the config are relative to (default: the
            current directory, then the directory above ``exp/``).
        extras: files the config does not name, ``{name: path}`` (``--extra NAME=PATH``), for
            the task's adapter (e.g. ``kmeans`` for discrete-unit systems); the adapter checks
            them and says which it needs.
    """
    exp_dir = Path(exp_dir)
    config_path = exp_dir / "config.yaml"
    if not config_path.is_file():
        raise PackError(f"{exp_dir}: no config.yaml (is this a trained experiment dir?)")
    with open(config_path, encoding="utf-8") as f:
        config = yaml.safe_load(f)
    if not isinstance(config, dict):
        raise PackError(f"{config_path}: expected a mapping, got {type(config).__name__}")
    model_name, model_path = _model_file(exp_dir, model_file)
    train_info = _read_json(exp_dir / "train_info.json")
    task = task or (train_info or {}).get("task") or config.get("task") or _infer_task(config)
    hooks = packing_hooks(task)
    roots = [Path(root)] if root is not None else [Path.cwd(), exp_dir.resolve().parent.parent]

    members: dict[str, Path | bytes] = {MODEL: model_path}
    packed_extras = {}
    given = {name: Path(path) for name, path in (extras or {}).items()}
    # the adapter sees the config as trained (paths not yet rewritten)
    for name, path in hooks.pack_extras(copy.deepcopy(config), exp_dir, given).items():
        arcname = f"extra/{name}"
        if isinstance(path, bytes):  # content an adapter made (e.g. a converted model)
            members[arcname] = path
        else:
            path = Path(path)
            if not path.exists():
                raise PackError(f"{task} adapter: extra file {name!r} = {path} does not exist")
            if path.is_dir():
                _add_tree(path, arcname, members)
            else:
                members[arcname] = path
        packed_extras[name] = arcname
    packer = _ConfigPacker(members, self_contained, hooks.model_keys)
    files, pretrained = packer.pack(config, config_path, roots)
    _clear_training_only(config)

    inference = {}
    if inference_config is not None:
        with open(inference_config, encoding="utf-8") as f:
            inference = yaml.safe_load(f) or {}
        if not isinstance(inference, dict):
            raise PackError(f"{inference_config}: expected a mapping of decoding options")

    langs = _languages(config, task)
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "system": system or (train_info or {}).get("system") or exp_dir.resolve().name,
        "task": task,
        "src_lang": src_lang or langs.get("src"),
        "tgt_lang": tgt_lang or langs.get("tgt"),
        "train_data": _data_dirs(config),
        "model_file": model_name,
        "inference_config_source": str(inference_config) if inference_config else None,
        "files": files,
        "pretrained": pretrained,
        "extras": packed_extras,
        "self_contained": self_contained,
        "scores": _scores(exp_dir),
        "train_info": train_info,
        "versions": _versions(),
        "packed_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }
    _write_zip(Path(out), members, config, inference, meta)
    logger.info("packed %s (%d files) -> %s", meta["system"], len(members) + 3, out)
    return meta


def _model_file(exp_dir: Path, model_file: str | None) -> tuple[str, Path]:
    """(name as given, resolved path): valid.acc.ave.pth is usually a symlink."""
    if model_file is None:
        from espnet_ext.scoring.train_info import find_checkpoint

        try:
            path = find_checkpoint(exp_dir)
        except FileNotFoundError as e:
            raise PackError(str(e)) from None
    else:
        # a name in the experiment dir first, then a path of its own
        path = exp_dir / model_file if (exp_dir / model_file).exists() else Path(model_file)
    if not path.is_file():
        raise PackError(f"model file {path} does not exist")
    from espnet_ext.training.checkpoint import CheckpointDir

    # the training run's manifest (espnet_ext.training) catches a truncated or corrupt file
    reason = CheckpointDir(path.parent).verify(path.name)
    if reason is not None and not reason.startswith("no checksum"):
        raise PackError(f"model file {path}: {reason}")
    return path.name, path.resolve()


def _infer_task(config: dict) -> str:
    from espnet_ext.scoring.train_info import infer_task

    return task_from_config(config) or infer_task(config)


def _read_json(path: Path) -> dict | None:
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise PackError(f"{path}: not valid JSON ({e})") from None


def _string_entries(config: dict, model_keys: tuple[str, ...]):
    """(key path, value) of every string leaf that may name a file: see the module docstring."""
    top = set(TOKENIZER_KEYS) | {k.split(".")[0] for k in model_keys}
    for name in list(config):
        if name in top or str(name).endswith(("_conf", "_exp", *MODEL_KEY_SUFFIXES)):
            yield from _leaves(config[name], (name,))


def _leaves(value, key: tuple):
    if isinstance(value, str):
        yield key, value
    elif isinstance(value, dict):
        for k in list(value):
            yield from _leaves(value[k], (*key, k))
    elif isinstance(value, list):
        for i, v in enumerate(list(value)):
            yield from _leaves(v, (*key, i))


def _set(config: dict, key: tuple):
    """A setter for the config entry at ``key`` (nested dict keys / list indices)."""

    def setter(value):
        node = config
        for k in key[:-1]:
            node = node[k]
        node[key[-1]] = value

    return setter


def _find_local(value: str, roots: list[Path]) -> Path | None:
    if not value.strip(" ./") or "\n" in value or len(value) > 4096:
        return None  # "", ".", "/": never a file the config means
    path = Path(value).expanduser()
    candidates = [path] if path.is_absolute() else [r / path for r in roots]
    for candidate in candidates:
        try:
            if candidate.exists():
                return candidate.resolve()
        except OSError:  # e.g. a name too long for the file system
            return None
    return None


class _ConfigPacker:
    """Finds the files and pretrained models a config names, adds them to ``members`` and
    rewrites the config to their archive names (see the module docstring).

    An entry naming an ESPnet experiment (a directory with ``config.yaml`` and no
    ``config.json``, or a YAML config file) is packed recursively: its config, rewritten the same
    way, goes to ``<prefix>files/<key>/config.yaml`` with the files it names beside it, and the
    entry becomes that directory (or file); its relative paths are taken from the recipe
    directory it was trained in (``<recipe>/exp/<name>/config.yaml``) first.
    """

    def __init__(self, members: dict, self_contained: bool, model_keys: tuple[str, ...]):
        self.members = members
        self.self_contained = self_contained
        self.model_keys = model_keys

    def pack(
        self, config: dict, config_path: Path, roots: list[Path], prefix: str = "", depth: int = 0
    ) -> tuple[list[dict], list[dict]]:
        """(file entries, pretrained entries) of ``config``; rewrites ``config`` in place."""
        files, pretrained = [], []
        model_keys = self.model_keys if depth == 0 else ()
        for key, value in _string_entries(config, model_keys):
            dotted = ".".join(map(str, key))
            is_model_key = dotted in model_keys or str(key[-1]).endswith(MODEL_KEY_SUFFIXES)
            local = _find_local(value, roots)
            if local is None:
                if is_model_key:
                    pretrained.append(self._hub_model(key, value, prefix, _set(config, key)))
                elif dotted in REQUIRED_FILE_KEYS:
                    raise PackError(
                        f"{config_path}: {dotted} names {value!r}, which does not exist "
                        f"(looked in {', '.join(map(str, roots))}); pass --root"
                    )
                continue
            nested = _nested_config(local) if depth < MAX_NESTING else None
            if nested is not None:
                files.append(self._nested(config, key, local, nested, roots, prefix, depth))
                continue
            if local.is_dir() and not (is_model_key or (local / "config.json").is_file()):
                continue  # a directory that is no model: nothing the system reads at inference
            if local.is_dir() or is_model_key or local.suffix in WEIGHT_SUFFIXES:
                entry = {
                    "key": list(key),
                    "value": value,
                    "local_path": str(local),
                    "packed": None,
                }
                if self.self_contained:
                    entry["packed"] = _add_tree(local, f"{prefix}models/{dotted}", self.members)
                    _set(config, key)(entry["packed"])
                else:
                    # a relative path would only resolve from the recipe dir; the absolute one
                    # works from anywhere on this machine (or a shared file system)
                    _set(config, key)(str(local))
                    logger.warning(
                        "%s = %s is a local pretrained model, not packed (use --self-contained); "
                        "the pack needs it at this path",
                        f"{prefix}{dotted}",
                        local,
                    )
                pretrained.append(entry)
            else:
                arcname = f"{prefix}files/{dotted}/{local.name}"
                self.members[arcname] = local
                _set(config, key)(arcname)
                files.append({"key": list(key), "path": arcname, "source": str(local)})
        return files, pretrained

    def _nested(self, config, key, local: Path, nested: Path, roots, prefix: str, depth: int):
        with open(nested, encoding="utf-8") as f:
            sub = yaml.safe_load(f)
        dotted = ".".join(map(str, key))
        sub_prefix = f"{prefix}files/{dotted}/"
        recipe = nested.resolve().parent.parent.parent  # <recipe>/exp/<name>/config.yaml
        sub_files, sub_pretrained = self.pack(sub, nested, [recipe, *roots], sub_prefix, depth + 1)
        _clear_training_only(sub)
        arcname = f"{sub_prefix}config.yaml"
        self.members[arcname] = yaml.safe_dump(sub, allow_unicode=True, sort_keys=False).encode()
        is_dir = local.is_dir()
        path = sub_prefix.rstrip("/") if is_dir else arcname
        _set(config, key)(path)
        return {
            "key": list(key),
            "path": path,
            "source": str(local),
            "config": arcname,
            "dir": is_dir,
            "files": sub_files,
            "pretrained": sub_pretrained,
        }

    def _hub_model(self, key, value, prefix: str, setter) -> dict:
        """A pretrained model named by hub id (not a local path)."""
        entry = {"key": list(key), "value": value, "local_path": None, "packed": None}
        if not self.self_contained:
            return entry
        local = _hf_cache_dir(value)
        if local is None:
            raise PackError(
                f"--self-contained: {'.'.join(map(str, key))} names {value!r}, which is neither "
                "a local path nor in the local Hugging Face cache; download it or pass its "
                "directory"
            )
        entry["local_path"] = str(local)
        entry["packed"] = _add_tree(
            local, f"{prefix}models/{'.'.join(map(str, key))}", self.members
        )
        setter(entry["packed"])
        return entry


def _nested_config(local: Path) -> Path | None:
    """The ESPnet config that ``local`` is or holds (an experiment dir), else None."""
    if local.is_dir():
        config = local / "config.yaml"
        return config if config.is_file() and not (local / "config.json").exists() else None
    if local.suffix not in (".yaml", ".yml"):
        return None
    try:
        with open(local, encoding="utf-8") as f:
            loaded = yaml.safe_load(f)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    return local if isinstance(loaded, dict) else None


def _clear_training_only(config: dict) -> None:
    for key in ("init_param",):  # paths of other experiments, applied only when training
        if config.get(key):
            config[key] = []


def _hf_cache_dir(name: str) -> Path | None:
    """The local snapshot of a hub model id, if the Hugging Face cache has it (no network)."""
    if name.count("/") > 1 or not name.strip():
        return None
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(name, local_files_only=True)).resolve()
    except Exception:  # not cached, not a valid id, or huggingface_hub missing
        return None


def _add_tree(path: Path, prefix: str, members: dict[str, Path | bytes]) -> str:
    """Add a file or a directory tree under ``prefix``; returns the archive name of ``path``."""
    if path.is_file():
        arcname = f"{prefix}/{path.name}"
        members[arcname] = path
        return arcname
    for p in sorted(path.rglob("*")):
        if p.is_file():  # symlinks in HF caches point at blobs: their content is packed
            members[f"{prefix}/{p.relative_to(path).as_posix()}"] = p
    return prefix


def _languages(config: dict, task: str) -> dict[str, str]:
    """Source/target language from the training data file names (``text.tc.de``, ...)."""
    langs = {}
    for path, name, _ in _triples(config):
        parts = Path(path).name.split(".")
        lang = (
            parts[-1] if len(parts) > 1 and parts[-1].isalpha() and len(parts[-1]) <= 3 else None
        )
        if lang is None:
            continue
        if name == "src_text" or (name == "text" and task == "asr"):
            langs.setdefault("src", lang)
        elif name == "text":
            langs.setdefault("tgt", lang)
    return langs


def _triples(config: dict) -> list[tuple[str, str, str]]:
    triples = config.get("train_data_path_and_name_and_type") or []
    return [tuple(t) for t in triples if isinstance(t, (list, tuple)) and len(t) == 3]


def _data_dirs(config: dict) -> dict[str, str | None]:
    out = {}
    for split in ("train", "valid"):
        triples = config.get(f"{split}_data_path_and_name_and_type") or []
        out[split] = Path(triples[0][0]).parent.name if triples else None
    return out


def _scores(exp_dir: Path) -> dict:
    """``{decode dir: {test set: score.json content}}`` of every scored decoding."""
    scores: dict = {}
    for path in sorted(glob.glob(str(exp_dir / "decode_*" / "*" / "score.json"))):
        path = Path(path)
        content = _read_json(path)
        scores.setdefault(path.parent.parent.name, {})[path.parent.name] = content
    return scores


def _versions() -> dict[str, str | None]:
    versions = {"python": platform.python_version()}
    for name in VERSION_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    if versions["espnet_ext"] is None:  # running from a checkout that is not pip-installed
        from espnet_ext import __version__

        versions["espnet_ext"] = __version__
    return versions


def _write_zip(out: Path, members: dict[str, Path | bytes], config, inference, meta) -> None:
    from espnet_ext.training.checkpoint import file_sha256

    texts = {
        META: json.dumps(meta, indent=2, ensure_ascii=False) + "\n",
        CONFIG: yaml.safe_dump(config, allow_unicode=True, sort_keys=False),
        INFERENCE: yaml.safe_dump(inference, allow_unicode=True, sort_keys=False),
    }
    sums = {name: hashlib.sha256(text.encode("utf-8")).hexdigest() for name, text in texts.items()}
    sums.update(
        (name, hashlib.sha256(path).hexdigest() if isinstance(path, bytes) else file_sha256(path))
        for name, path in members.items()
    )
    # sha256sum format: `sha256sum -c` checks an extracted pack, and the weights-only model
    # loading of espnet_ext.training verifies model.pth against it
    texts[CHECKSUMS] = "".join(f"{sha}  {name}\n" for name, sha in sorted(sums.items()))
    with atomic_open(out, "wb") as f, zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in texts.items():
            zf.writestr(name, text)
        for arcname, path in members.items():
            compress = (
                zipfile.ZIP_STORED
                if Path(arcname).suffix.lower() in STORED_SUFFIXES
                else zipfile.ZIP_DEFLATED
            )
            if isinstance(path, bytes):
                zf.writestr(arcname, path, compress_type=compress)
            else:
                zf.write(path, arcname, compress_type=compress)
