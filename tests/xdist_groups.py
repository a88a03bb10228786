"""Keep chosen tests on one pytest-xdist worker and run them first (used by tests/conftest.py).

A module-scoped fixture that runs a whole recipe must be set up once; with `--dist loadgroup`
every test carrying the same `xdist_group` mark goes to the same worker. Node-id prefixes choose
the tests, so a recipe test module needs no marks of its own.
"""

from __future__ import annotations

import pytest


def _group_of(nodeid: str, groups: dict[str, str]) -> str | None:
    for prefix, group in groups.items():
        if nodeid.startswith(prefix):
            return group
    return None


def apply_groups(items: list, groups: dict[str, str]) -> None:
    """Mark the items whose node id starts with a key of ``groups`` with that group, and move them
    to the front: first the groups in the order they appear in ``groups``, then everything else in
    collection order."""
    grouped = {}
    for item in items:
        group = _group_of(item.nodeid, groups)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))
            grouped[id(item)] = group
    order = {group: i for i, group in enumerate(dict.fromkeys(groups.values()))}
    items.sort(key=lambda item: order.get(grouped.get(id(item)), len(order)))
