"""The recipe groups of tests/conftest.py really keep a module on one worker.

A synthetic suite (a module whose module-scoped fixture records the worker it is set up on) runs
under `pytest -n 2 --dist loadgroup` with the same grouping code; if the grouping is lost (it
silently was with pytest 9 and pytest-xdist 3.8) the fixture is set up on both workers.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

CONFTEST = """
import pytest
from tests.xdist_groups import apply_groups

GROUPS = {"suite/test_big.py": "heavy", "suite/test_other.py::test_first": "light"}

@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    apply_groups(items, GROUPS)
"""

BIG = """
import os, time, pytest

@pytest.fixture(scope="module")
def expensive():
    with open(os.environ["SETUP_LOG"], "a") as f:
        f.write(os.environ.get("PYTEST_XDIST_WORKER", "main") + "\\n")
    return 1

{tests}
"""


def test_a_grouped_module_fixture_is_set_up_once_across_two_workers(tmp_path):
    pytest.importorskip("xdist")
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "conftest.py").write_text(CONFTEST)
    tests = "\n".join(
        f"def test_{i}(expensive{', tmp_path' if i % 2 else ''}):\n    time.sleep(0.2)\n"
        for i in range(6)
    )
    (suite / "test_big.py").write_text(BIG.replace("{tests}", tests))
    (suite / "test_other.py").write_text(
        "import time\n"
        + "".join(f"def test_{n}():\n    time.sleep(0.1)\n" for n in ("first", "a", "b", "c"))
    )
    log = tmp_path / "setups.log"
    env = {**os.environ, "SETUP_LOG": str(log), "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-n", "2", "--dist", "loadgroup",
         "-p", "no:cacheprovider", "-o", "addopts=", "--rootdir", str(tmp_path), str(suite)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "10 passed" in proc.stdout, proc.stdout
    workers = log.read_text().split()
    assert len(workers) == 1, f"module fixture set up on {workers}: xdist groups were ignored"
