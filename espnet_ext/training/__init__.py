"""Crash-safe training on ESPnet's trainer: atomic, checksummed checkpoints, verified resume and
weights-only loading (``checkpoint``, ``torch_io``, ``trainer``; ``safe_load`` has the allow-list).

Importing this package is cheap; ESPnet is imported only by :func:`install`.
"""

from __future__ import annotations


def install(task_cls: type) -> None:
    """Crash-safe checkpoints for ``task_cls``: :func:`espnet_ext.training.trainer.install`."""
    from espnet_ext.training.trainer import install as _install

    _install(task_cls)
