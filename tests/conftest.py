"""Session-wide fixtures shared across test packages, and the order CI runs the tests in."""

import pytest

from tests.fixtures.slurm_cluster import slurm_cluster  # noqa: F401

# The end-to-end recipe runs take most of the suite's time. With `pytest -n 2 --dist loadgroup`
# (tools/run_tests.sh) the two groups below start first, one on each worker, and the short tests
# fill in behind them; the groups are balanced by measured wall time (load ~2, seconds).
RECIPE_GROUPS = {
    "tests/recipes/test_mustc_baseline.py::test_baseline_recipe_local_backend": "recipes_a",  # 550
    "tests/recipes/test_mustc_lst.py": "recipes_a",  # ~350
    "tests/recipes/test_bad_corpus_pipeline.py": "recipes_a",  # 45
    "tests/recipes/test_interrupted_stages.py": "recipes_a",  # 150
    "tests/recipes/test_mustc_discrete.py": "recipes_a",  # ~290
    "tests/recipes/test_how2.py": "recipes_b",  # 350
    "tests/recipes/test_mustc_exporter.py": "recipes_b",  # 590
    "tests/recipes/test_mustc_baseline.py::test_baseline_recipe_slurm_backend": "recipes_b",  # 200
}


def _recipe_group(item) -> str | None:
    for prefix, group in RECIPE_GROUPS.items():
        if item.nodeid.startswith(prefix):
            return group
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    grouped = {}
    for item in items:
        group = _recipe_group(item)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))
            grouped[id(item)] = group
    # first the groups (in their order above), then everything else in collection order
    order = {group: i for i, group in enumerate(dict.fromkeys(RECIPE_GROUPS.values()))}
    items.sort(key=lambda item: order.get(grouped.get(id(item)), len(order)))
