"""Shared helper for the launcher tests: run the real CLI in a subprocess, in a scratch dir."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def cli_env(**extra: str) -> dict[str, str]:
    pythonpath = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "PYTHONPATH": pythonpath, **extra}


def cli_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "espnet_ext.bin.run_jobs", *args]


@pytest.fixture
def run_jobs(tmp_path):
    """``run_jobs(*args)`` runs ``python -m espnet_ext.bin.run_jobs ARGS`` in ``tmp_path``."""

    def run(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
        return subprocess.run(
            cli_argv(*args), cwd=tmp_path, env=cli_env(), capture_output=True, text=True,
            timeout=timeout,
        )  # fmt: skip

    return run
