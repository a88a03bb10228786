import argparse

import pytest

from espnet_ext.cli_types import data_triple, str2bool


@pytest.mark.parametrize("value, expected", [("true", True), ("Yes", True), ("1", True),
                                             ("FALSE", False), ("no", False), ("0", False)])  # fmt: skip
def test_str2bool(value, expected):
    assert str2bool(value) is expected


def test_bad_values_name_what_was_expected():
    with pytest.raises(argparse.ArgumentTypeError, match="expected true or false, got 'maybe'"):
        str2bool("maybe")
    with pytest.raises(argparse.ArgumentTypeError, match="expected PATH,NAME,TYPE"):
        data_triple("wav.scp,speech")
    assert data_triple("dump/wav.scp,speech,sound") == ("dump/wav.scp", "speech", "sound")
