"""Route ESPnet's ``torch.save``/``torch.load`` calls on chosen files through safe handlers.

ESPnet's trainer (``Trainer.run``), ``average_nbest_models``, ``load_pretrained_model`` and
``AbsTask.build_model_from_file`` call ``torch.save(obj, path)`` and
``torch.load(path, weights_only=False)`` inline. Instead of copying that code, :func:`routed`
replaces the two ``torch`` attributes for the duration of a ``with`` block by dispatchers that
hand calls whose path a :class:`Route` claims to that route, and every other call to the
original function untouched. Our own code calls ``torch.serialization.save/load``, which the
dispatchers never replace.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import torch

from espnet_ext.training.checkpoint import CheckpointDir


class Route:
    """Which paths a :func:`routed` block takes over and what it does with them."""

    def claims_save(self, path: Path) -> bool:
        return False

    def claims_load(self, path: Path) -> bool:
        return False

    def save(self, obj, path: Path) -> None:
        raise NotImplementedError

    def load(self, path: Path, map_location):
        raise NotImplementedError


class CheckpointDirRoute(Route):
    """Saves to and loads from files directly in a training output directory go through its
    :class:`CheckpointDir`: atomic and checksummed on save, verified and weights-only on load."""

    def __init__(self, checkpoint_dir: CheckpointDir):
        self.checkpoint_dir = checkpoint_dir
        self._real_dir = Path(os.path.realpath(checkpoint_dir.path))

    def claims_save(self, path: Path) -> bool:
        return path.parent == self._real_dir

    claims_load = claims_save

    def save(self, obj, path: Path) -> None:
        self.checkpoint_dir.save(obj, path.name)

    def load(self, path: Path, map_location):
        return self.checkpoint_dir.load(path.name, map_location=map_location)


class WeightsOnlyRoute(Route):
    """Loads of the given files are weights-only, and verified when a ``checksums.sha256`` next
    to the file lists it (model files written by our trainer)."""

    def __init__(self, paths):
        self._paths = {Path(os.path.realpath(p)) for p in paths}

    def claims_load(self, path: Path) -> bool:
        return path in self._paths

    def load(self, path: Path, map_location):
        return CheckpointDir(path.parent).load(path.name, map_location=map_location)


_routes: list[Route] = []
_originals: dict[str, object] = {}


def _claimed_path(f) -> Path | None:
    if isinstance(f, str | os.PathLike):
        return Path(os.path.realpath(f))
    return None  # file objects and buffers are never routed


def _save(obj, f, *args, **kwargs):
    path = _claimed_path(f)
    for route in reversed(_routes):
        if path is not None and route.claims_save(path):
            return route.save(obj, path)
    return _originals["save"](obj, f, *args, **kwargs)


def _load(f, map_location=None, *args, **kwargs):
    path = _claimed_path(f)
    for route in reversed(_routes):
        if path is not None and route.claims_load(path):
            # weights_only=False and pickle options of the caller are deliberately ignored.
            return route.load(path, map_location)
    return _originals["load"](f, map_location, *args, **kwargs)


@contextlib.contextmanager
def routed(route: Route) -> Iterator[Route]:
    """Within the block, ``torch.save``/``torch.load`` on paths ``route`` claims go to it.

    Blocks nest (the innermost claiming route wins); the original functions are back when the
    outermost block ends.
    """
    if not _routes:
        _originals["save"], _originals["load"] = torch.save, torch.load
        torch.save, torch.load = _save, _load
    _routes.append(route)
    try:
        yield route
    finally:
        _routes.remove(route)
        if not _routes:
            torch.save, torch.load = _originals.pop("save"), _originals.pop("load")
