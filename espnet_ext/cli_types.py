"""Argument types shared by this package's command-line entrypoints (``type=`` of argparse)."""

from __future__ import annotations

import argparse

_TRUE = ("true", "1", "yes")
_FALSE = ("false", "0", "no")


def str2bool(value: str) -> bool:
    """``true/false``, ``1/0``, ``yes/no`` (any case)."""
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {value!r}")


def data_triple(value: str) -> tuple[str, str, str]:
    """``PATH,NAME,TYPE`` as ESPnet's ``--data_path_and_name_and_type``."""
    parts = value.split(",")
    if len(parts) != 3:
        raise argparse.ArgumentTypeError(
            f"expected PATH,NAME,TYPE (e.g. wav.scp,speech,sound), got {value!r}"
        )
    return parts[0], parts[1], parts[2]
