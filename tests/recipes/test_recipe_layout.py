"""Every recipe under egs2/ has the files the shared pipeline expects, and no link is broken."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

EGS2 = Path(__file__).resolve().parents[2] / "egs2"
RECIPES = sorted(p.parent for p in EGS2.glob("*/st1/run.sh"))


def test_every_link_under_egs2_resolves():
    broken = [
        str(path.relative_to(EGS2))
        for root, dirs, files in os.walk(EGS2)
        for path in (Path(root) / n for n in dirs + files)
        if path.is_symlink() and not path.exists()
    ]
    assert not broken, f"broken links: {broken}"


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda p: p.parent.name)
def test_recipe_has_the_pipeline_files(recipe):
    for name in ("run.sh", "st.sh", "path.sh", "cmd.sh", "db.sh", "local/data.sh"):
        assert (recipe / name).is_file(), f"{recipe}: missing {name}"
    assert os.access(recipe / "run.sh", os.X_OK)
    assert (recipe / "conf" / "systems.yaml").is_file()
    from espnet_ext.pipeline.systems import load_systems

    families = [d for d in (recipe / "conf").iterdir() if d.is_dir()]
    for systems_file in (recipe / "conf").glob("systems*.yaml"):
        for system in load_systems(systems_file).values():
            for name in filter(None, (system.config, system.inference_config)):
                found = [d.name for d in families if (d / name).is_file()]
                assert found, f"{systems_file}: {system.name}'s {name} is in no config family"
