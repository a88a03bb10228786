"""The bad-input suite (issue 2 "Bad input", issue 10 section 3) at data-preparation time."""

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from espnet_ext.bin.prepare_mustc import main as prepare_main
from espnet_ext.corpus.kaldi import CorpusError, validate_data_dir
from espnet_ext.corpus.mustc import parse_record, prepare_mustc
from tests.fixtures.corpora import (
    Seg,
    Talk,
    dump_mustc_yaml,
    make_faulty_mustc,
    simple_talks,
    write_mustc_split,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def faulty(tmp_path_factory):
    return make_faulty_mustc(tmp_path_factory.mktemp("faulty") / "mustc")


@pytest.fixture(scope="module")
def prepared(faulty, tmp_path_factory):
    out = tmp_path_factory.mktemp("data")
    report = prepare_mustc(faulty.corpus_dir, out, faulty.pair, splits=[faulty.skip_split])
    return out / f"{faulty.skip_split}.{faulty.pair}", report[faulty.skip_split]


def test_skips_are_counted_by_reason_and_reconcile(faulty, prepared):
    out, report = prepared
    on_disk = json.loads((out / "prep_report.json").read_text())
    assert on_disk == report
    assert {k: report[k] for k in faulty.expected_report} == faulty.expected_report
    assert report["input_segments"] == report["kept"] + sum(report["skipped"].values())
    assert len((out / "utt2spk").read_text().splitlines()) == report["kept"]

    rows = [line.split("\t") for line in (out / "prep_skipped.txt").read_text().splitlines()[1:]]
    assert Counter(r[2] for r in rows) == report["skipped"]
    yaml_path = str(faulty.corpus_dir / faulty.pair / "data" / "train" / "txt" / "train.yaml")
    by_index = {int(r[1]): r[2] for r in rows if r[0] == yaml_path}
    assert len(by_index) == len(rows)
    assert by_index == {
        3: "duplicate_segment", 4: "segment_past_end", 6: "bad_offset", 7: "bad_offset",
        8: "empty_text", 9: "empty_text", 10: "empty_text", 11: "missing_wav", 12: "missing_wav",
        13: "unreadable_wav", 14: "unreadable_wav", 15: "empty_wav", 16: "empty_wav",
        22: "segment_past_end",
    }  # fmt: skip
    validate_data_dir(out)


def test_kept_segments_and_notes(prepared):
    out, report = prepared
    utts = (out / "utt2spk").read_text().split()[::2]
    assert utts == [
        "ted_1-0000500-0002500", "ted_1-0003000-0005500", "ted_1-0018970-0020030",
        "ted_10-0001000-0003000", "ted_7-0000500-0001500", "ted_7-0002000-0003500",
        "ted_8-0000500-0001500", "ted_9-0000500-0600500",
    ]  # fmt: skip
    # The first of the duplicates is kept, with its own text.
    assert "ted_1-0000500-0002500 First sentence." in (out / "text.tc.en").read_text()
    notes = {(n["kind"], Path(n["file"]).name, n["index"]) for n in report["notes"]}
    assert notes == {
        ("multichannel_wav", "ted_7.wav", 0),
        ("non_16k_wav", "ted_8.wav", 0),
        ("long_segment", "train.yaml", 20),
    }


@pytest.mark.parametrize("split", ["dev", "tst-COMMON", "tst-HE"])
def test_stops_name_file_and_entry(faulty, tmp_path, split):
    with pytest.raises(CorpusError) as e:
        prepare_mustc(faulty.corpus_dir, tmp_path, faulty.pair, splits=[split])
    for part in faulty.stop_errors[split]:
        assert part in str(e.value)
    assert not (tmp_path / f"{split}.{faulty.pair}").exists()


def test_cli_stop_is_one_line_without_traceback(faulty, tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "espnet_ext.bin.prepare_mustc", "--corpus-dir",
         str(faulty.corpus_dir), "--pair", faulty.pair, "--out-dir", str(tmp_path),
         "--splits", "tst-COMMON"],
        capture_output=True, text=True, cwd=REPO,
    )  # fmt: skip
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    bad_file = faulty.stop_errors["tst-COMMON"][0]
    offset = Path(bad_file).read_bytes().index(b"\xdf")  # in "Stra\xdfe", at the start of line 2
    errors = [line for line in proc.stderr.splitlines() if "error" in line]
    assert errors == [
        f"prepare_mustc: error: {bad_file}: line 2, column 5 (byte offset {offset}): "
        "invalid UTF-8 byte(s) df"
    ]


def test_cli_does_not_swallow_unexpected_errors(faulty, tmp_path, monkeypatch):
    def bug(*args, **kwargs):
        raise ZeroDivisionError("a bug, not a corpus fault")

    monkeypatch.setattr("espnet_ext.corpus.segments.build_data_dir", bug)
    args = ["--corpus-dir", str(faulty.corpus_dir), "--pair", "en-de", "--out-dir", str(tmp_path)]
    with pytest.raises(ZeroDivisionError):
        prepare_main([*args, "--splits", "train"])


def write_split(tmp_path, yaml_text=None, en=None, de=None):
    """A 1-talk, 3-segment split whose yaml / text files can be replaced."""
    d = write_mustc_split(tmp_path / "c", "en-de", "train", simple_talks(1, 3))
    txt = d / "txt"
    for name, content in (("train.yaml", yaml_text), ("train.en", en), ("train.de", de)):
        if content is not None:
            (txt / name).write_bytes(content if isinstance(content, bytes) else content.encode())
    return txt


GOOD = {
    "duration": 2.0,
    "offset": 0.5,
    "rW": 1,
    "uW": 0,
    "speaker_id": "spk.1",
    "wav": "ted_1.wav",
}
STOPS = [
    ("more yaml entries", dump_mustc_yaml([GOOD] * 4), None, None,
     r"train.yaml has 4 entries but .*train.en has 3 lines and .*train.de has 3"),
    ("fewer yaml entries", dump_mustc_yaml([GOOD] * 2), None, None,
     r"train.yaml has 2 entries but .*train.en has 3 lines"),
    ("fewer translations", None, None, "a\nb\n", r"train.en has 3 lines and .*train.de has 2"),
    ("yaml syntax", "- {duration: 2.0, offset: [\n", None, None,
     r"train.yaml: invalid YAML: .*line \d+"),
    ("yaml not a list", "duration: 2.0\n", None, None, r"train.yaml: expected a list of segments"),
    ("non-utf8 yaml", b"- {duration: 2.0, wav: t\xe9d_1.wav}\n", None, None,
     r"train.yaml: line 1, column 25 \(byte offset 24\): invalid UTF-8 byte\(s\) e9"),
    ("non-utf8 transcript", None, b"ok\nok\nfa\xc3\xa7ade caf\xe9\n", None,
     r"train.en: line 3, column 11 \(byte offset 17\)"),
    ("entry not a mapping", dump_mustc_yaml([GOOD, GOOD])[:-1] + "\n- just text\n", None, None,
     r"train.yaml: entry 3: expected a mapping"),
    ("missing wav field", dump_mustc_yaml([GOOD, {"duration": 1.0, "offset": 1.0}, GOOD]),
     None, None, r"train.yaml: entry 2: missing field 'wav'"),
    ("string offset", dump_mustc_yaml([GOOD, GOOD, {**GOOD, "offset": "1.5"}]), None, None,
     r"train.yaml: entry 3: field 'offset' must be a number, got '1.5' \(str\)"),
    ("bool duration", dump_mustc_yaml([GOOD, GOOD, {**GOOD, "duration": True}]), None, None,
     r"train.yaml: entry 3: field 'duration' must be a number, got True \(bool\)"),
    ("wav is a path", dump_mustc_yaml([GOOD, GOOD, {**GOOD, "wav": "../../ted_1.wav"}]),
     None, None, r"train.yaml: entry 3: field 'wav' must be a plain file name"),
    ("space in wav", dump_mustc_yaml([GOOD, GOOD, {**GOOD, "wav": "ted 1.wav"}]), None, None,
     r"train.yaml: entry 3: field 'wav' must not contain spaces"),
    ("same stem", dump_mustc_yaml([GOOD, GOOD, {**GOOD, "wav": "ted_1.flac"}]), None, None,
     r"train.yaml: entry 3: 'ted_1.flac' and 'ted_1.wav' have the same stem"),
]  # fmt: skip


@pytest.mark.parametrize("name,yaml_text,en,de,error", STOPS, ids=[s[0] for s in STOPS])
def test_more_stops(tmp_path, name, yaml_text, en, de, error):
    txt = write_split(tmp_path, yaml_text, en, de)
    with pytest.raises(CorpusError, match=error) as e:
        prepare_mustc(tmp_path / "c", tmp_path / "data", "en-de", splits=["train"])
    assert str(txt) in str(e.value)
    assert not (tmp_path / "data" / "train.en-de").exists()


def test_parse_record_accepts_ints_and_ignores_extra_fields():
    assert parse_record({"wav": "a.wav", "offset": 1, "duration": 2, "x": [1]}, 5, "f") == (
        "a.wav", 1.0, 2.0,
    )  # fmt: skip


def test_nothing_kept_stops_and_lists_skips(tmp_path):
    talk = Talk("ted_1", 5.0, [Seg(0.5, 1.0, "a", "b"), Seg(2.0, 1.0, "c", "d")], audio="missing")
    write_mustc_split(tmp_path / "c", "en-de", "train", [talk])
    with pytest.raises(CorpusError, match=r"none of 2 segments kept \(skipped \{'missing_wav': 2"):
        prepare_mustc(tmp_path / "c", tmp_path / "data", "en-de", splits=["train"])
    listing = tmp_path / "data" / ".train.en-de.tmp" / "prep_skipped.txt"
    assert len(listing.read_text().splitlines()) == 3
    assert not (tmp_path / "data" / "train.en-de").exists()


def test_many_skips_of_one_reason_log_a_few(tmp_path, caplog):
    talks = simple_talks(1, 30)
    talks[0].audio = "missing"
    write_mustc_split(tmp_path / "c", "en-de", "train", talks + simple_talks(1, 1, start=2))
    caplog.set_level("INFO")
    report = prepare_mustc(tmp_path / "c", tmp_path / "data", "en-de", splits=["train"])["train"]
    assert report["skipped"] == {"missing_wav": 30} and report["kept"] == 1
    warnings = [r for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 21  # 20 skips, then one line saying the rest go to debug level
    assert "further 'missing_wav' entries are logged at debug level" in warnings[-1].message
    assert "31 input segments, 1 kept, 30 skipped" in caplog.text


def test_segment_shorter_than_a_millisecond_is_a_bad_offset(tmp_path):
    talk = Talk("ted_1", 5.0, [Seg(0.5, 1.0, "a", "b"), Seg(2.0, 0.0004, "c", "d")])
    write_mustc_split(tmp_path / "c", "en-de", "train", [talk])
    report = prepare_mustc(tmp_path / "c", tmp_path / "data", "en-de", splits="train")["train"]
    assert report["skipped"] == {"bad_offset": 1} and report["kept"] == 1
