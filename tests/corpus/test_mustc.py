import functools
import json
import os

import pytest
import yaml

from espnet_ext.bin.prepare_mustc import main as prepare_main
from espnet_ext.corpus import normalize
from espnet_ext.corpus import segments as segments_module
from espnet_ext.corpus.kaldi import CorpusError, validate_data_dir
from espnet_ext.corpus.mustc import parse_flow_lines, parse_record, prepare_mustc
from tests.fixtures.corpora import Seg, Talk, simple_talks, write_mustc_split

TALKS = [
    # Listed out of order: the output must be sorted anyway.
    Talk("ted_10", 4.0, [Seg(1.0, 1.5, "Don't stop -- ever.", "Nie aufh\u00f6ren!", "spk.7")]),
    Talk("ted_1", 6.0, [
        Seg(3.12, 2.345, "It\u2019s \u201cfine\u201d\u2026", "\u201eGut\u201c \u2013 wirklich."),
        Seg(0.5, 2.0, "Hello,  world!", "Hallo, Welt!"),
    ]),
]  # fmt: skip


@pytest.fixture
def release(tmp_path):
    write_mustc_split(tmp_path / "mustc", "en-de", "train", TALKS)
    write_mustc_split(tmp_path / "mustc", "en-de", "dev", simple_talks(2, 2, start=20))
    return tmp_path / "mustc"


def expected_files(wav_dir) -> dict[str, str]:
    u1, u2, u3 = "ted_1-0000500-0002500", "ted_1-0003120-0005465", "ted_10-0001000-0002500"
    return {
        "wav.scp": f"ted_1 {wav_dir}/ted_1.wav\nted_10 {wav_dir}/ted_10.wav\n",
        "segments": f"{u1} ted_1 0.500 2.500\n{u2} ted_1 3.120 5.465\n"
        f"{u3} ted_10 1.000 2.500\n",
        "utt2spk": f"{u1} ted_1\n{u2} ted_1\n{u3} ted_10\n",
        "spk2utt": f"ted_1 {u1} {u2}\nted_10 {u3}\n",
        "text.tc.en": f"{u1} Hello, world!\n{u2} It's \"fine...\"\n{u3} Don't stop -- ever.\n",
        "text.lc.en": f"{u1} hello, world!\n{u2} it's \"fine...\"\n{u3} don't stop -- ever.\n",
        "text.lc.rm.en": f"{u1} hello world\n{u2} it's fine\n{u3} don't stop ever\n",
        "text.tc.de": f'{u1} Hallo, Welt!\n{u2} "Gut" - wirklich.\n{u3} Nie aufh\u00f6ren!\n',
        "text.lc.de": f'{u1} hallo, welt!\n{u2} "gut" - wirklich.\n{u3} nie aufh\u00f6ren!\n',
        "text.lc.rm.de": f"{u1} hallo welt\n{u2} gut wirklich\n{u3} nie aufh\u00f6ren\n",
    }


def test_prepare_two_talks_exact_output(release, tmp_path):
    reports = prepare_mustc(release, tmp_path / "data", "en-de", splits=["train", "dev"])
    out = tmp_path / "data" / "train.en-de"
    wav_dir = release / "en-de" / "data" / "train" / "wav"
    for name, content in expected_files(wav_dir).items():
        assert (out / name).read_text(encoding="utf-8") == content, name
    files = {p.name for p in out.iterdir()}
    assert files == set(expected_files(wav_dir)) | {
        ".done",
        "prep_report.json",
        "prep_skipped.txt",
    }
    expected_report = {"input_segments": 3, "kept": 3, "skipped": {}, "info": {}, "notes": []}
    assert reports["train"] == expected_report
    assert json.loads((out / "prep_report.json").read_text()) == expected_report
    assert (out / "prep_skipped.txt").read_text() == "# file\tindex\treason\tdetail\n"
    assert reports["dev"]["kept"] == 4
    validate_data_dir(tmp_path / "data" / "dev.en-de")
    assert not list((tmp_path / "data").glob(".*"))  # no temporary dirs left behind


def test_pair_dir_itself_and_missing_split(release, tmp_path):
    prepare_mustc(release / "en-de", tmp_path / "data", "en-de", splits=["dev"])
    assert (tmp_path / "data" / "dev.en-de" / ".done").exists()
    with pytest.raises(CorpusError, match=r"tst-HE: missing \(no split 'tst-HE'"):
        prepare_mustc(release, tmp_path / "data", "en-de", splits=["tst-HE"])
    with pytest.raises(CorpusError, match="no MuST-C release for en-fr"):
        prepare_mustc(release, tmp_path / "data", "en-fr", splits=["dev"])
    with pytest.raises(CorpusError, match="pair must look like 'en-de'"):
        prepare_mustc(release, tmp_path / "data", "de", splits=["dev"])


def test_rerun_skips_finished_work_and_redoes_changed_input(release, tmp_path, monkeypatch):
    prepare_mustc(release, tmp_path / "data", "en-de", splits=["train"])
    out = tmp_path / "data" / "train.en-de"
    before = (out / "text.tc.en").stat().st_mtime_ns

    def fail(*args, **kwargs):
        raise AssertionError("up-to-date split was prepared again")

    monkeypatch.setattr("espnet_ext.corpus.segments.build_data_dir", fail)
    assert (
        prepare_mustc(release, tmp_path / "data", "en-de", splits=["train"])["train"]["kept"] == 3
    )
    assert (out / "text.tc.en").stat().st_mtime_ns == before
    monkeypatch.undo()

    # A changed input (here a translation) makes the split stale.
    de = release / "en-de" / "data" / "train" / "txt" / "train.de"
    de.write_text(de.read_text().replace("Hallo", "Servus"), encoding="utf-8")
    prepare_mustc(release, tmp_path / "data", "en-de", splits=["train"])
    assert "Servus, Welt!" in (out / "text.tc.de").read_text()


def test_interrupted_run_keeps_previous_output(release, tmp_path, monkeypatch):
    prepare_mustc(release, tmp_path / "data", "en-de", splits=["train"])
    out = tmp_path / "data" / "train.en-de"
    snapshot = {p.name: p.read_bytes() for p in out.iterdir()}

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(segments_module, "validate_data_dir", interrupted)
    with pytest.raises(KeyboardInterrupt):
        prepare_mustc(release, tmp_path / "data", "en-de", splits=["train"], force=True)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == snapshot
    monkeypatch.undo()
    prepare_mustc(release, tmp_path / "data", "en-de", splits=["train"], force=True)
    assert not (tmp_path / "data" / ".train.en-de.tmp").exists()


def test_nj_gives_the_same_output(release, tmp_path, monkeypatch):
    # Small chunks so that two worker processes really share the work.
    small_chunks = functools.partial(normalize.normalize_many, chunk_size=1)
    monkeypatch.setattr(segments_module, "normalize_many", small_chunks)
    prepare_mustc(release, tmp_path / "a", "en-de", splits=["train"], nj=1)
    prepare_mustc(release, tmp_path / "b", "en-de", splits=["train"], nj=2)
    for name in expected_files(""):
        a = (tmp_path / "a" / "train.en-de" / name).read_text()
        assert a == (tmp_path / "b" / "train.en-de" / name).read_text()


FLOW_LINES = [
    # (line, whether the fast path takes it); when it does, it must agree with yaml.safe_load.
    ("- {duration: 3.500000, offset: 16.080000, rW: 9, uW: 0, speaker_id: spk.1, wav: ted_1.wav}",
     True),
    ("- {offset: -1.0, duration: 0, wav: ted_1.wav, speaker_id: spk.1-b_2}", True),
    ("- {duration: 1.0, offset: 2.0, wav: ted_1.wav, extra: 007}", False),  # octal in YAML 1.1
    ("- {duration: 1_000, offset: 2.0, wav: ted_1.wav}", False),  # 1000 in YAML 1.1
    ("- {duration: 1.0, offset: 1:20, wav: ted_1.wav}", False),  # sexagesimal 80
    ("- {duration: 1.0, offset: 2.0, wav: ted_1.wav, speaker_id: yes}", False),  # bool
    ("- {duration: 1.0, offset: 2.0, wav: ted_1.wav, speaker_id: Null}", False),  # None
    ("- {duration: 1e3, offset: 2.0, wav: ted_1.wav}", False),
    ("- {duration: .5, offset: 2.0, wav: ted_1.wav}", False),
    ("- {duration: 1.0, offset: 2.0, wav: 'ted 1.wav'}", False),
    ("- {duration: 1.0, offset: 2.0, wav: ted_1.wav}  # comment", False),
    ("- {duration: 1.0, duration: 2.0, wav: ted_1.wav}", False),
    ("- {on: 1.0, offset: 2.0, wav: ted_1.wav}", False),  # key True
]  # fmt: skip


@pytest.mark.parametrize("line,fast", FLOW_LINES)
def test_flow_line_fast_path_agrees_with_yaml(line, fast):
    parsed = parse_flow_lines(line + "\n")
    assert (parsed is not None) == fast
    if fast:
        reference = yaml.safe_load(line)
        assert parsed == reference
        assert [type(v) for v in parsed[0].values()] == [type(v) for v in reference[0].values()]


def test_parse_record():
    item = {"duration": 3.5, "offset": 16, "rW": 9, "uW": 0, "speaker_id": "spk.1", "wav": "t.wav"}
    assert parse_record(item, 1, "x.yaml") == ("t.wav", 16.0, 3.5)
    assert parse_record({**item, "offset": -1.0}, 1, "x.yaml")[1] == -1.0  # a skip, not a stop


def test_cli_in_process(release, tmp_path, capsys):
    args = ["--corpus-dir", str(release), "--pair", "en-de", "--out-dir", str(tmp_path / "d")]
    assert prepare_main([*args, "--splits", "train,dev", "--nj", "1"]) == 0
    assert sorted(os.listdir(tmp_path / "d")) == ["dev.en-de", "train.en-de"]
    assert prepare_main([*args, "--splits", "tst-COMMON"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("prepare_mustc: error: ") and "no split 'tst-COMMON'" in err
