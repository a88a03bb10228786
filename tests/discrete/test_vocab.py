import json

import pytest
import sentencepiece as spm

from espnet_ext.discrete.units import UnitCharMap, remove_repeats
from espnet_ext.discrete.vocab import (
    JointVocab,
    build_joint_tokens,
    downsample,
    read_token_list,
    upsample,
)
from espnet_ext.pipeline.datadir import read_map
from tests.discrete.conftest import N_UNITS


def test_upsample_and_back():
    assert upsample(["▁a", "b"], 4) == ["▁a"] * 4 + ["b"] * 4
    assert upsample(["x"], 1) == ["x"]
    assert downsample(upsample(["▁a", "b", "b"], 3), 3) == ["▁a", "b", "b"]
    with pytest.raises(ValueError, match="not a multiple"):
        downsample(["a", "a", "a"], 2)
    with pytest.raises(ValueError, match=r"tokens 2..3 \['b', 'c'\]"):
        downsample(["a", "a", "b", "c"], 2)
    with pytest.raises(ValueError, match=">= 1"):
        upsample(["a"], 0)


def test_unit_bpe(toy_corpus):
    sp = spm.SentencePieceProcessor(model_file=str(toy_corpus.unit_bpe / "bpe.model"))
    cmap = UnitCharMap(N_UNITS)
    tokens = read_token_list(toy_corpus.unit_bpe / "tokens.txt")
    assert tokens[0] == "<blank>" and tokens[1] == "<unk>" and tokens[-1] == "<sos/eos>"
    # merges exist: some pieces span several units, and all pieces are unit characters
    pieces = tokens[2:-1]
    assert max(len(p) for p in pieces) > 1
    assert all(cmap.is_unit_char(ch) for p in pieces for ch in p)
    assert json.loads((toy_corpus.unit_bpe / "unit_bpe.json").read_text())["n_units"] == N_UNITS
    n_units = n_pieces = 0
    for value in read_map(toy_corpus.data / "units").values():
        ids = remove_repeats(int(x) for x in value.split())
        enc = sp.encode(cmap.to_chars(ids), out_type=str)
        assert cmap.to_ids("".join(enc)) == ids  # nothing lost
        n_units, n_pieces = n_units + len(ids), n_pieces + len(enc)
    assert n_pieces < 0.9 * n_units  # BPE shortens the sequences


def test_joint_vocab_disjoint_and_decodes_back(toy_corpus):
    vocab = JointVocab(toy_corpus.joint)
    tokens = vocab.tokens
    assert len(tokens) == len(set(tokens))
    assert tokens[:2] == ["<blank>", "<unk>"] and tokens[-1] == "<sos/eos>"
    text = [t for t in tokens if vocab.modality(t) == "text"]
    units = [t for t in tokens if vocab.modality(t) == "unit"]
    src_pieces = read_token_list(toy_corpus.src_bpe / "tokens.txt")[2:-1]
    unit_pieces = read_token_list(toy_corpus.unit_bpe / "tokens.txt")[2:-1]
    assert text == src_pieces and units == unit_pieces
    assert len(tokens) == 3 + len(src_pieces) + len(unit_pieces)
    # text pieces stay where the text BPE put them, unit pieces follow
    assert tokens.index(units[0]) == 2 + len(text)

    sentence = read_map(toy_corpus.data / "text.lc.rm.en")["spk-0000001"]
    pieces = vocab.encode_text(sentence)
    assert len(pieces) == 4 * len(vocab.encode_text(sentence, upsample_text=False))
    assert vocab.decode(pieces) == ("text", sentence)
    assert "<unk>" not in [tokens[i] for i in vocab.to_ids(pieces)]

    frames = [int(x) for x in read_map(toy_corpus.data / "units")["spk-0000002"].split()]
    upieces = vocab.encode_units(frames)
    assert vocab.decode(upieces) == ("units", remove_repeats(frames))
    with pytest.raises(ValueError, match="cannot decode"):
        vocab.decode(upieces + pieces)


def test_joint_vocab_refuses_collisions():
    cmap = UnitCharMap(100)
    unit_tokens = ["<blank>", "<unk>", "\u4e00", "\u4e01\u4e02", "<sos/eos>"]
    ok = build_joint_tokens(["<blank>", "<unk>", "▁the", "s", "<sos/eos>"], unit_tokens, cmap)
    assert ok == ["<blank>", "<unk>", "▁the", "s", "\u4e00", "\u4e01\u4e02", "<sos/eos>"]
    # a text vocabulary covering CJK (e.g. a multilingual pretrained one) collides
    with pytest.raises(
        ValueError, match=r"text piece #1 '▁\u4e00' contains unit character U\+4E00"
    ):
        build_joint_tokens(["▁the", "▁\u4e00"], unit_tokens, cmap)
    with pytest.raises(ValueError, match="unit piece #0 'a'"):
        build_joint_tokens(["▁the"], ["a"], cmap)
    with pytest.raises(ValueError, match="occurs twice"):
        build_joint_tokens(["▁the", "▁the"], unit_tokens, cmap)
    # the private-use block avoids the CJK collision
    pua = UnitCharMap(100, 0xF0000)
    assert len(build_joint_tokens(["▁\u4e00"], ["<blank>", chr(0xF0000)], pua)) == 5


def test_joint_vocab_create_reports_files(toy_corpus, tmp_path):
    bad = tmp_path / "text_bpe"
    bad.mkdir()
    (bad / "tokens.txt").write_text("<blank>\n<unk>\n\u4e00\n<sos/eos>\n")
    (bad / "bpe.model").write_bytes((toy_corpus.src_bpe / "bpe.model").read_bytes())
    with pytest.raises(ValueError, match="text_bpe/tokens.txt.*collide"):
        JointVocab.create(bad, toy_corpus.unit_bpe, tmp_path / "joint")
