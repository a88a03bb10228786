"""Run a recipe of egs2/ end to end in a temporary copy, as a user would, and read its results."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# files a recipe links from egs2/TEMPLATE/st1 (linked again by absolute path in the copy)
TEMPLATE_LINKS = ("st.sh", "path.sh", "cmd.sh", "db.sh", "scripts")


def copy_recipe(name: str, dest: Path) -> Path:
    """Copy egs2/<name>/st1 to ``dest``: run.sh, conf/ and local/ as files, TEMPLATE files linked."""
    src = REPO / "egs2" / name / "st1"
    dest.mkdir(parents=True, exist_ok=True)
    for item in src.iterdir():
        if item.name in TEMPLATE_LINKS:
            (dest / item.name).symlink_to(item.resolve())
        elif item.name in ("data", "dump", "exp"):
            continue
        elif item.is_dir():
            shutil.copytree(item, dest / item.name, symlinks=False)
        else:
            shutil.copy2(item, dest / item.name)
    return dest


def run_recipe(recipe_dir: Path, args: list[str], env: dict[str, str], timeout: int = 2400):
    """Run ./run.sh; its output goes to ``recipe_dir/run.log`` as it runs (kept on failure)."""
    full_env = {**os.environ, "OMP_NUM_THREADS": "1", **env}
    log = recipe_dir / "run.log"
    with open(log, "w") as f:
        proc = subprocess.run(
            ["./run.sh", *args], cwd=recipe_dir, env=full_env, stdout=f, stderr=subprocess.STDOUT,
            timeout=timeout,
        )  # fmt: skip
    output = log.read_text()
    assert (
        proc.returncode == 0
    ), f"run.sh failed ({proc.returncode}); last output:\n{output[-5000:]}"
    return output
