"""Fixtures of the LST tests (defined in tests/fixtures/lst.py)."""

from tests.fixtures.lst import one_torch_thread, tiny_lst_models  # noqa: F401
