import os
import stat

import pytest

from espnet_ext.fileio import atomic_open, write_text_atomic


def test_atomic_write_replaces_with_normal_permissions(tmp_path):
    path = tmp_path / "a" / "file.txt"
    write_text_atomic(path, "one\n")
    write_text_atomic(path, "two\n")
    assert path.read_text() == "two\n"
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask
    assert [p.name for p in path.parent.iterdir()] == ["file.txt"]


def test_failed_write_keeps_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "file.bin"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="boom"):
        with atomic_open(path, "wb") as f:
            f.write(b"half")
            raise RuntimeError("boom")
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["file.bin"]


def test_remove_temporaries_deletes_only_atomic_open_leftovers(tmp_path):
    from espnet_ext.fileio import remove_temporaries

    keep = ["a.wav", ".hidden", ".a.wav.tmp", ".a.wav.toolong12.tmp", "b.wav.abcdefgh.tmp"]
    leftovers = [".a.wav.abcd_123.tmp", ".wav.scp.1.zz99yy88.tmp", ".wav.scp.2.qwertyui.tmp"]
    for name in keep + leftovers:
        (tmp_path / name).write_text("x")
    assert remove_temporaries(tmp_path, ["wav.scp.1"]) == [tmp_path / ".wav.scp.1.zz99yy88.tmp"]
    assert remove_temporaries(tmp_path) == [
        tmp_path / ".a.wav.abcd_123.tmp",
        tmp_path / ".wav.scp.2.qwertyui.tmp",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(keep)
    assert remove_temporaries(tmp_path / "missing") == []


def test_atomic_dir_replaces_a_directory_as_a_whole(tmp_path):
    from espnet_ext.fileio import atomic_dir

    dst = tmp_path / "raw" / "train"
    # what a run killed inside the block leaves: a partial temporary directory
    (tmp_path / "raw" / ".train.tmp").mkdir(parents=True)
    (tmp_path / "raw" / ".train.tmp" / "half").write_text("x")
    with atomic_dir(dst) as out:
        assert out == tmp_path / "raw" / ".train.tmp" and list(out.iterdir()) == []
        (out / "a").write_text("old a")
        (out / "b").write_text("old b")
    with pytest.raises(KeyboardInterrupt):
        with atomic_dir(dst) as out:
            (out / "a").write_text("new a")
            raise KeyboardInterrupt
    assert {p.name: p.read_text() for p in dst.iterdir()} == {"a": "old a", "b": "old b"}
    with atomic_dir(dst) as out:
        (out / "a").write_text("new a")
    assert {p.name: p.read_text() for p in dst.iterdir()} == {"a": "new a"}
    assert sorted(p.name for p in dst.parent.iterdir()) == ["train"]
