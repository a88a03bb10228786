import json

import pytest

from espnet_ext.discrete.mtdata import make_data, sample_external
from espnet_ext.discrete.vocab import JointVocab
from espnet_ext.pipeline.datadir import read_map


def _ext_dir(tmp_path, n=7):
    ext = tmp_path / "text" / "en-de"
    ext.mkdir(parents=True)
    src = [f"The Dog, number {i}!" for i in range(n)]
    tgt = [f"Der Hund „Nummer“ {i}!" for i in range(n)]
    src[3] = ""  # an empty pair is skipped and counted
    (ext / "train.en").write_text("\n".join(src) + "\n")
    (ext / "train.de").write_text("\n".join(tgt) + "\n")
    return ext


def _make_st_mt_ext(toy_corpus, tmp_path):
    """The ST + MT + external MT dir of the toy corpus (external ratio 0.25, seed 1)."""
    out = tmp_path / "train.st_mt_ext"
    report = make_data(
        toy_corpus.data,
        toy_corpus.joint,
        out,
        toy_corpus.data / "units",
        ("st", "mt"),
        "text.lc.rm.en",
        "text.tc.de",
        _ext_dir(tmp_path),
        ext_ratio=0.25,
        seed=1,
    )
    return out, report


def test_make_data_st_mt_ext(toy_corpus, tmp_path):
    vocab = JointVocab(toy_corpus.joint)
    out, report = _make_st_mt_ext(toy_corpus, tmp_path)
    src = read_map(out / "src")
    tgt = read_map(out / "text.tc.de")
    kinds = read_map(out / "utt2kind")
    assert list(src) == sorted(src) and set(src) == set(tgt) == set(kinds)
    assert report["examples"] == {"ext": 10, "mt": 40, "st": 40}
    assert report["skipped"] == {"ext_empty": 1}
    assert json.loads((out / "data_report.json").read_text())["examples"]["st"] == 40

    targets = read_map(toy_corpus.data / "text.tc.de")
    units = read_map(toy_corpus.data / "units")
    sources = read_map(toy_corpus.data / "text.lc.rm.en")
    utt = "spk-0000005"
    # the ST and MT example of one utterance share the target; inputs are units / 4x text
    assert tgt[f"st-{utt}"] == tgt[f"mt-{utt}"] == targets[utt]
    assert src[f"st-{utt}"].split() == vocab.encode_units([int(x) for x in units[utt].split()])
    assert src[f"mt-{utt}"].split() == vocab.encode_text(sources[utt])
    assert vocab.decode(src[f"mt-{utt}"].split()) == ("text", sources[utt])
    assert {vocab.modality(p) for p in src[f"st-{utt}"].split()} == {"unit"}

    ext = {k: v for k, v in src.items() if k.startswith("ext-")}
    # 10 draws from 6 usable pairs: every pair once, then 4 a second time (ids with -1)
    assert sum(1 for k in ext if k.endswith("-1")) == 4
    assert "ext-000004" not in ext  # line 4 was the empty one
    # external text is normalised like the corpus: lc.rm source, tc (punctuation-normalised) target
    assert vocab.decode(ext["ext-000001"].split()) == ("text", "the dog number 0")
    assert tgt["ext-000001"] == 'Der Hund "Nummer" 0!'


def test_src_transcript_holds_every_examples_source_pieces_unrepeated(toy_corpus, tmp_path):
    """The source CTC's target: one line per example (st-, mt- and ext-), the source text's
    joint-vocabulary pieces without the K-fold repeat, which map back to the source text."""
    vocab = JointVocab(toy_corpus.joint)
    out, _ = _make_st_mt_ext(toy_corpus, tmp_path)
    src = read_map(out / "src")
    transcript = read_map(out / "src_transcript")
    sources = read_map(out / "text.lc.rm.en")
    lines = (out / "src_transcript").read_text().splitlines()
    assert len(lines) == len(src) == 90 and list(transcript) == list(src)
    assert {k.split("-")[0] for k in transcript} == {"st", "mt", "ext"}
    for key, pieces in transcript.items():
        pieces = pieces.split()
        assert pieces and {vocab.modality(p) for p in pieces} == {"text"}, key
        assert vocab.text_sp.decode_pieces(pieces) == sources[key], key
        if not key.startswith("st-"):
            # the input is the same pieces, each repeated K = 4 times
            assert src[key].split() == [p for p in pieces for _ in range(4)], key
    utt = "spk-0000005"
    assert transcript[f"st-{utt}"] == transcript[f"mt-{utt}"]
    assert transcript[f"st-{utt}"].split() == vocab.encode_text(
        read_map(toy_corpus.data / "text.lc.rm.en")[utt], upsample_text=False
    )
    assert vocab.to_ids(transcript[f"st-{utt}"].split()).count(vocab.token2id["<unk>"]) == 0


def test_make_data_single_kind(toy_corpus, tmp_path):
    make_data(
        toy_corpus.data,
        toy_corpus.joint,
        tmp_path / "st",
        toy_corpus.data / "units",
        ("st",),
        "text.lc.rm.en",
        "text.tc.de",
    )
    assert {k.split("-")[0] for k in read_map(tmp_path / "st" / "src")} == {"st"}
    make_data(
        toy_corpus.data,
        toy_corpus.joint,
        tmp_path / "mt",
        None,
        ("mt",),
        "text.lc.rm.en",
        "text.tc.de",
    )
    assert {k.split("-")[0] for k in read_map(tmp_path / "mt" / "src")} == {"mt"}
    with pytest.raises(ValueError, match="kinds"):
        make_data(
            toy_corpus.data,
            toy_corpus.joint,
            tmp_path / "x",
            None,
            ("asr",),
            "text.lc.rm.en",
            "text.tc.de",
        )


def test_external_files_must_align(toy_corpus, tmp_path):
    ext = _ext_dir(tmp_path)
    (ext / "train.de").write_text("only one line\n")
    with pytest.raises(ValueError, match=r"train.en has 7 lines but .*train.de has 1"):
        make_data(
            toy_corpus.data,
            toy_corpus.joint,
            tmp_path / "o",
            toy_corpus.data / "units",
            ("st", "mt"),
            "text.lc.rm.en",
            "text.tc.de",
            ext,
            ext_ratio=1.0,
        )


def test_sample_external_is_seeded():
    pairs = [(i, f"s{i}", f"t{i}") for i in range(1, 6)]
    a, b = sample_external(pairs, 12, seed=3), sample_external(pairs, 12, seed=3)
    assert a == b and len(a) == 12
    counts = {}
    for key, _, _ in a:
        line = key.split("-")[1]
        counts[line] = counts.get(line, 0) + 1
    assert sorted(counts.values()) == [2, 2, 2, 3, 3]
    assert sample_external(pairs, 0) == []
