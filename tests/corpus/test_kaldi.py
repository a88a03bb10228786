import subprocess
import sys
from pathlib import Path

import pytest

from espnet_ext.bin.validate_data_dir import main as validate_main
from espnet_ext.corpus.kaldi import (
    CorpusError,
    DataDir,
    DataDirError,
    Segment,
    read_kaldi_file,
    read_lines,
    validate_data_dir,
    write_kaldi_file,
)
from tests.fixtures.corpora import write_wav

REPO = Path(__file__).resolve().parents[2]


def test_write_sorts_and_read_round_trips(tmp_path):
    # C-locale order: by code point ("B" < "a" < "b" < "é"), so Python's sort.
    items = {"b": "2", "a": "x y  z", "\u00e9": "3", "B": "1"}
    write_kaldi_file(tmp_path / "f", items)
    assert (tmp_path / "f").read_text("utf-8") == "B 1\na x y  z\nb 2\n\u00e9 3\n"
    assert read_kaldi_file(tmp_path / "f") == {"B": "1", "a": "x y  z", "b": "2", "\u00e9": "3"}


def test_write_rejects_bad_keys_and_values(tmp_path):
    with pytest.raises(ValueError, match="contains whitespace"):
        write_kaldi_file(tmp_path / "f", {"a b": "x"})
    with pytest.raises(ValueError, match="line break"):
        write_kaldi_file(tmp_path / "f", {"a": "x\ny"})
    assert not (tmp_path / "f").exists()


def test_read_lines_only_splits_on_newline(tmp_path):
    (tmp_path / "t").write_bytes("\ufeffa\u2028b\r\nc\n".encode())
    assert read_lines(tmp_path / "t") == ["a\u2028b", "c"]


def test_read_errors_name_file_and_line(tmp_path):
    f = tmp_path / "f"
    f.write_bytes(b"a 1\nb \xff\xfe2\n")
    with pytest.raises(CorpusError, match=rf"{f}: line 2, column 3 \(byte offset 6\): .* ff$"):
        read_kaldi_file(f)
    f.write_text("b 1\na 2\n")
    with pytest.raises(DataDirError, match=rf"{f}: line 2: key 'a' is not sorted"):
        read_kaldi_file(f)
    f.write_text("a 1\na 2\n")
    with pytest.raises(DataDirError, match=rf"{f}: line 2: duplicate key 'a'"):
        read_kaldi_file(f)
    f.write_text("a 1\nb\n")
    with pytest.raises(DataDirError, match=rf"{f}: line 2: key 'b' has an empty value"):
        read_kaldi_file(f)
    assert read_kaldi_file(f, allow_empty=True) == {"a": "1", "b": ""}


def make_dir(tmp_path: Path) -> Path:
    """A valid data dir: two talks (3 s and 2 s), three segments."""
    wavs = tmp_path / "wav"
    write_wav(wavs / "t1.wav", 3.0)
    write_wav(wavs / "t2.wav", 2.0)
    segs = {
        "t1-0000000-0001000": Segment("t1", 0.0, 1.0),
        "t1-0001500-0003000": Segment("t1", 1.5, 3.0),
        "t2-0000500-0002030": Segment("t2", 0.5, 2.03),  # 30 ms past the end: tolerated
    }
    d = DataDir(
        wav_scp={"t1": str(wavs / "t1.wav"), "t2": str(wavs / "t2.wav")},
        segments=segs,
        utt2spk={u: s.rec_id for u, s in segs.items()},
        texts={"tc.en": {u: f"Text {i}." for i, u in enumerate(segs)}},
        extra={"utt2orig_id": {u: f"orig_{i}" for i, u in enumerate(segs)}},
    )
    d.write(tmp_path / "data")
    return tmp_path / "data"


def test_data_dir_files_and_round_trip(tmp_path):
    d = make_dir(tmp_path)
    assert (d / "spk2utt").read_text() == (
        "t1 t1-0000000-0001000 t1-0001500-0003000\nt2 t2-0000500-0002030\n"
    )
    assert (d / "segments").read_text().splitlines()[2] == "t2-0000500-0002030 t2 0.500 2.030"
    back = DataDir.read(d)
    assert back.segments["t2-0000500-0002030"] == Segment("t2", 0.5, 2.03)
    assert back.extra["utt2orig_id"]["t1-0000000-0001000"] == "orig_0"
    validate_data_dir(d)


def rewrite(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (old, text)
    path.write_text(text.replace(old, new))


# (file to edit, old text, new text, regex the error must match)
BREAKAGES = [
    ("utt2spk", "t1-0001500-0003000 t1\n", "",
     r"spk2utt: line 1: utterances of 't1' differ from utt2spk"),
    ("segments", "t1-0001500-0003000 t1", "t1-0001600-0003000 t1",
     r"segments: utterance 't1-0001500-0003000' of .*utt2spk is missing"),
    ("text.tc.en", "t2-0000500-0002030 Text 2.\n", "",
     r"text.tc.en: utterance 't2-0000500-0002030' of .*utt2spk is missing"),
    ("utt2orig_id", "t2-0000500-0002030 orig_2\n", "",
     r"utt2orig_id: utterance 't2-0000500-0002030' of .*utt2spk is missing"),
    ("text.tc.en", "Text 1.", "  ", r"text.tc.en: line 2: empty text for 't1-0001500-0003000'"),
    ("utt2spk", "t1-0000000-0001000 t1\nt1-0001500-0003000 t1",
     "t1-0001500-0003000 t1\nt1-0000000-0001000 t1",
     r"utt2spk: line 2: key 't1-0000000-0001000' is not sorted"),
    ("segments", "t1-0001500-0003000 t1", "t1-0000000-0001000 t1",
     r"segments: line 2: duplicate key 't1-0000000-0001000'"),
    ("spk2utt", "t1 t1-0000000-0001000 t1-0001500-0003000", "t1 t1-0000000-0001000",
     r"spk2utt: line 1: utterances of 't1' differ from utt2spk"),
    ("spk2utt", "t2 t2-0000500-0002030\n", "",
     r"spk2utt: speaker 't2' of utt2spk is missing"),
    ("utt2spk", "t2-0000500-0002030 t2", "t2-0000500-0002030 t1",
     r"utt2spk: line 3: utterance id 't2-0000500-0002030' does not start with its speaker id"),
    ("wav.scp", "t2 ", "t3 ",
     r"segments: line 3: recording 't2' of 't2-0000500-0002030' is not in wav.scp"),
    ("segments", "t2 0.500 2.030", "t2 0.500 2.100",
     r"segments: line 3: 't2-0000500-0002030' ends at 2.100 s, past the end of .*t2.wav \(2.000"),
    ("segments", "t1 1.500 3.000", "t1 3.000 1.500",
     r"segments: line 2: 't1-0001500-0003000' has start 3.0 and end 1.5"),
    ("segments", "t1 0.000 1.000", "t1 -0.500 1.000",
     r"segments: line 1: 't1-0000000-0001000' has start -0.5"),
    ("segments", "t1 0.000 1.000", "t1 0.000",
     r"segments: line 1: expected '<utt> <rec> <start> <end>'"),
    ("wav.scp", "t2.wav", "t2_missing.wav",
     r"wav.scp: line 2: 't2': missing_wav: .*t2_missing.wav: no such file"),
]  # fmt: skip


@pytest.mark.parametrize("name,old,new,error", BREAKAGES)
def test_validator_catches(tmp_path, name, old, new, error):
    d = make_dir(tmp_path)
    rewrite(d / name, old, new)
    with pytest.raises(DataDirError, match=error):
        validate_data_dir(d)


def test_validator_speaker_order_must_follow_utterance_order(tmp_path):
    # "a b" sorts after "a-..." for utterances but "a" < "a+" for speakers: Kaldi needs both
    # orders to agree, which the '-' after the speaker id gives for ordinary ids only.
    wav = tmp_path / "x.wav"
    write_wav(wav, 2.0)
    segs = {"a+-0000000-0001000": Segment("a+", 0, 1), "a-x-0000000-0001000": Segment("a", 0, 1)}
    DataDir(
        wav_scp={"a": str(wav), "a+": str(wav)},
        segments=segs,
        utt2spk={"a+-0000000-0001000": "a+", "a-x-0000000-0001000": "a"},
        texts={"tc.en": {u: "x" for u in segs}},
    ).write(tmp_path / "d")
    with pytest.raises(DataDirError, match="line 2: speaker 'a' of 'a-x-0000000-0001000' sorts"):
        validate_data_dir(tmp_path / "d")


def test_validator_non_utf8_and_missing_files(tmp_path):
    d = make_dir(tmp_path)
    with open(d / "text.tc.en", "ab") as f:
        f.write(b"t3 caf\xe9\n")
    with pytest.raises(CorpusError, match=r"text.tc.en: line 4, column 7 \(byte offset \d+\)"):
        validate_data_dir(d)
    (d / "text.tc.en").unlink()
    with pytest.raises(DataDirError, match="no text or text.* file"):
        validate_data_dir(d)
    (d / "spk2utt").unlink()
    with pytest.raises(DataDirError, match="spk2utt: missing"):
        validate_data_dir(d)
    with pytest.raises(DataDirError, match="not a directory"):
        validate_data_dir(tmp_path / "nowhere")


def test_validator_without_audio_and_with_known_durations(tmp_path):
    d = make_dir(tmp_path)
    rewrite(d / "segments", "t2 0.500 2.030", "t2 0.500 2.100")
    validate_data_dir(d, check_audio=False)
    validate_data_dir(d, rec_durations={"t2": 2.06})  # t1 is read from disk
    validate_data_dir(d, tolerance=0.2)


def test_validator_dumped_dir_without_segments(tmp_path):
    # Dumped dirs: wav.scp is keyed by utterance and points at one wav per segment.
    wavs = tmp_path / "w"
    for u in ("s-1", "s-2"):
        write_wav(wavs / f"{u}.wav", 1.0)
    utts = {"s-1": "s", "s-2": "s"}
    DataDir(
        wav_scp={u: str(wavs / f"{u}.wav") for u in utts},
        utt2spk=utts,
        texts={"tc.de": {"s-1": "a", "s-2": "b"}},
        extra={"utt2num_samples": {"s-1": "16000", "s-2": "16000"}},
    ).write(tmp_path / "d")
    validate_data_dir(tmp_path / "d")
    rewrite(tmp_path / "d" / "wav.scp", f"s-2 {wavs}/s-2.wav\n", "")
    with pytest.raises(DataDirError, match=r"wav.scp: utterance 's-2' of .*utt2spk is missing"):
        validate_data_dir(tmp_path / "d")


def test_validator_never_runs_pipelines(tmp_path, caplog):
    d = make_dir(tmp_path)
    marker = tmp_path / "ran"
    rewrite(d / "wav.scp", f"t2 {tmp_path}/wav/t2.wav", f"t2 touch {marker} |")
    validate_data_dir(d)
    assert not marker.exists()
    assert "command pipelines" in caplog.text


def test_cli_in_process(tmp_path, capsys):
    d = make_dir(tmp_path)
    assert validate_main([str(d)]) == 0
    assert capsys.readouterr().out == f"{d}: OK\n"
    rewrite(d / "text.tc.en", "Text 1.", " ")
    assert validate_main([str(d), str(d)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("validate_data_dir: error: ") and "text.tc.en: line 2: empty text" in err
    assert len(err.strip().splitlines()) == 1


def test_cli_subprocess(tmp_path):
    d = make_dir(tmp_path)
    rewrite(d / "segments", "t2 0.500 2.030", "t2 0.500 9.000")
    proc = subprocess.run(
        [sys.executable, "-m", "espnet_ext.bin.validate_data_dir", str(d)],
        capture_output=True, text=True, cwd=REPO,
    )  # fmt: skip
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert f"{d}/segments: line 3: 't2-0000500-0002030' ends at 9.000 s" in proc.stderr
