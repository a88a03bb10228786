"""Byte-for-byte reproducibility, resuming, re-running, and output-directory errors of the
mini corpus generator (on the small ``MICRO`` size)."""

from __future__ import annotations

import logging

import pytest

from espnet_ext.bin.make_mini_corpus import main
from espnet_ext.corpus.mini import generate
from espnet_ext.corpus.mini.generate import CorpusDirError, make_mini_corpus
from tests.fixtures.mini_corpus import MICRO, file_digests

PAIRS = "en-es,en-pt"


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("micro") / "a"
    make_mini_corpus(out, size="micro", pairs=PAIRS, seed=0, spec=MICRO)
    return out


def test_same_seed_same_bytes(reference, tmp_path):
    make_mini_corpus(tmp_path / "b", size="micro", pairs=PAIRS, seed=0, spec=MICRO, nj=1)
    digests = file_digests(reference)
    assert any(p.endswith(".wav") for p in digests) and "corpus.json" in digests
    assert file_digests(tmp_path / "b") == digests


def test_other_seed_other_corpus(reference, tmp_path):
    make_mini_corpus(tmp_path / "c", size="micro", pairs="en-es", seed=1, spec=MICRO)
    ref, other = file_digests(reference), file_digests(tmp_path / "c")
    shared = set(ref) & set(other)
    assert "text/en-es/train.es" in shared
    assert all(ref[p] != other[p] for p in shared)


def test_rerun_is_a_logged_noop(reference, caplog):
    before = {p: p.stat().st_mtime_ns for p in reference.rglob("*") if p.is_file()}
    with caplog.at_level(logging.INFO):
        make_mini_corpus(reference, size="micro", pairs="en-pt,en-es", seed=0, spec=MICRO)
    assert "nothing to do" in caplog.text
    assert {p: p.stat().st_mtime_ns for p in reference.rglob("*") if p.is_file()} == before


def test_other_arguments_on_existing_dir(reference, capsys):
    with pytest.raises(CorpusDirError, match=r"seed=0.*requested seed=3"):
        make_mini_corpus(reference, size="micro", pairs=PAIRS, seed=3, spec=MICRO)
    assert main(["--out", str(reference), "--size", "tiny", "--pairs", "en-de"]) == 1
    err = capsys.readouterr().err
    assert "already holds a mini corpus" in err and "pairs=en-de" in err


def test_bad_arguments(tmp_path, capsys):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "notes.txt").write_text("mine")
    with pytest.raises(CorpusDirError, match="not empty"):
        make_mini_corpus(tmp_path / "x", spec=MICRO)
    (tmp_path / "file").write_text("")
    with pytest.raises(CorpusDirError, match="not a directory"):
        make_mini_corpus(tmp_path / "file", spec=MICRO)
    with pytest.raises(ValueError, match="nj must be at least 1, got 0"):
        make_mini_corpus(tmp_path / "z", spec=MICRO, nj=0)
    assert main(["--out", str(tmp_path / "y"), "--pairs", "en-xx"]) == 1
    assert "unknown language pair" in capsys.readouterr().err
    assert not (tmp_path / "y").exists() and not (tmp_path / "z").exists()


def test_resume_after_interruption(reference, tmp_path, monkeypatch):
    """A run that dies after speaking finishes later without speaking again, identically."""
    out = tmp_path / "d"

    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as m:
        m.setattr(generate.layout, "write_text_corpus", boom)
        with pytest.raises(KeyboardInterrupt):
            make_mini_corpus(out, size="micro", pairs=PAIRS, seed=0, spec=MICRO)
    assert (out / ".work" / "args.json").exists() and not (out / "corpus.json").exists()
    with pytest.raises(CorpusDirError, match="unfinished"):
        make_mini_corpus(out, size="micro", pairs=PAIRS, seed=9, spec=MICRO)

    spoken = []
    original = generate.synthesize
    monkeypatch.setattr(
        generate, "synthesize", lambda *a, **k: spoken.append(a) or original(*a, **k)
    )
    make_mini_corpus(out, size="micro", pairs=PAIRS, seed=0, spec=MICRO)
    assert spoken == []
    assert file_digests(out) == file_digests(reference)
