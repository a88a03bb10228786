"""Session-wide fixtures shared across test packages, and the order CI runs the tests in."""

import pytest

from tests.fixtures.slurm_cluster import slurm_cluster, slurm_two_node_cluster  # noqa: F401
from tests.xdist_groups import apply_groups

# The end-to-end recipe runs take most of the suite's time. With `pytest -n 2 --dist loadgroup`
# (tools/run_tests.sh) the two groups below start first, one on each worker, and the short tests
# fill in behind them; the groups are balanced by measured wall time (load ~2, seconds).
RECIPE_GROUPS = {
    "tests/recipes/test_mustc_baseline.py::test_baseline_recipe_local_backend": "recipes_a",  # 565
    "tests/recipes/test_mustc_lst.py": "recipes_a",  # 265
    "tests/recipes/test_mustc_werc.py": "recipes_a",  # 255
    "tests/recipes/test_bad_corpus_pipeline.py": "recipes_a",  # 45
    "tests/recipes/test_mustc_exporter.py": "recipes_b",  # 350
    "tests/recipes/test_mustc_discrete.py": "recipes_b",  # 290
    "tests/recipes/test_how2.py": "recipes_b",  # 255
    "tests/recipes/test_mustc_baseline.py::test_baseline_recipe_slurm_backend": "recipes_b",  # 155
    "tests/recipes/test_mustc_baseline.py::test_asr_training_on_two_slurm_nodes": "recipes_b",
    "tests/recipes/test_interrupted_stages.py": "recipes_b",  # 150
}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    apply_groups(items, RECIPE_GROUPS)
