"""Weights-only loading of checkpoints: ``torch.load(..., weights_only=True)`` plus the few plain
value types that ESPnet's checkpoints hold besides tensors.

``weights_only=True`` rebuilds only tensors, containers and primitive values, so loading a file
from an untrusted source cannot run code. ESPnet's ``checkpoint.pth`` also holds the reporter's
epoch statistics (numpy scalars, ``datetime.timedelta``); :func:`checkpoint_safe_globals` is the
exact list of extra types admitted for them. Model files (``<n>epoch.pth``, ``*.ave_*best.pth``)
are plain state dicts and need none of them.

This module imports neither ESPnet nor torch at import time (``train_info`` stays cheap).
"""

from __future__ import annotations

import os
import pickle


def checkpoint_safe_globals() -> list:
    """Types in the reporter state of ESPnet's ``checkpoint.pth`` (numpy scalars in the epoch
    statistics, ``timedelta`` for times): plain values, safe to rebuild in a weights-only load."""
    import datetime

    import numpy as np

    dtypes = [getattr(np.dtypes, n) for n in dir(np.dtypes) if n.endswith("DType")]
    return [np._core.multiarray.scalar, np.dtype, datetime.timedelta, *dtypes]


def is_unsupported_global_error(error: BaseException) -> bool:
    """True when a weights-only load failed on a type outside the allow-list, not on bad bytes.

    torch raises ``pickle.UnpicklingError`` naming the global ("Unsupported global: GLOBAL x.y",
    "unsupported GLOBAL posix.mkdir whose module posix is blocked"); such a file is intact but
    needs a type (or function) that weights-only loading refuses.
    """
    return isinstance(error, pickle.UnpicklingError) and "global" in str(error).lower()


def load_weights_only(path: str | os.PathLike, map_location=None):
    """``torch.load(path, weights_only=True)`` admitting :func:`checkpoint_safe_globals`.

    Raises what ``torch.load`` raises: ``pickle.UnpicklingError`` for a type outside the
    allow-list (see :func:`is_unsupported_global_error`), ``RuntimeError``/``EOFError`` for a
    truncated or corrupt file.
    """
    import torch

    with torch.serialization.safe_globals(checkpoint_safe_globals()):
        # torch.serialization.load, not torch.load: the trainer wrapping may route torch.load.
        return torch.serialization.load(path, map_location=map_location, weights_only=True)


def reporter_stats(exp_dir: str | os.PathLike) -> dict | None:
    """ESPnet's per-epoch reporter statistics (``{epoch: {"train": {...}, "valid": {...}}}``) from
    ``exp_dir/checkpoint.pth``, loaded weights-only; None when there is no checkpoint. They cover
    every epoch across resumed runs, unlike a training log."""
    from pathlib import Path

    path = Path(exp_dir) / "checkpoint.pth"
    if not path.is_file():
        return None
    return load_weights_only(path)["reporter"]["stats"]
