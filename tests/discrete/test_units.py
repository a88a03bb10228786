import pytest

from espnet_ext.discrete.units import UnitCharMap, remove_repeats


def test_remove_repeats():
    assert remove_repeats([5, 5, 7, 7, 7, 5, 1]) == [5, 7, 5, 1]
    assert remove_repeats([]) == []
    assert remove_repeats([3]) == [3]


@pytest.mark.parametrize("offset", [0x4E00, 0xE000, 0xF0000])
def test_char_map_round_trip(offset):
    cmap = UnitCharMap(2000, offset)
    ids = [0, 1999, 7, 7, 1234]
    chars = cmap.to_chars(ids)
    assert len(chars) == len(ids)
    assert chars[0] == chr(offset) and chars[1] == chr(offset + 1999)
    assert cmap.to_ids(chars) == ids
    assert cmap.to_ids(cmap.to_chars(range(2000))) == list(range(2000))


def test_char_map_default_is_cjk():
    assert UnitCharMap(2000).to_chars([0, 1]) == "\u4e00\u4e01"


def test_char_map_errors():
    cmap = UnitCharMap(10)
    with pytest.raises(ValueError, match="unit id 10 outside 0..9"):
        cmap.to_chars([1, 10])
    with pytest.raises(ValueError, match=r"'a' \(U\+0061\) at position 1"):
        cmap.to_ids("\u4e00a")
    with pytest.raises(ValueError, match="outside|not a unit"):
        cmap.to_ids(chr(0x4E00 + 10))
    with pytest.raises(ValueError, match="do not fit"):
        UnitCharMap(30000, 0x4E00)
    with pytest.raises(ValueError, match="not supported"):
        UnitCharMap(10, 0x41)
