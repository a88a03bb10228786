import json
import subprocess
import sys
from pathlib import Path

import pytest

from espnet_ext.bin.prepare_how2 import main as prepare_main
from espnet_ext.corpus.how2 import prepare_how2
from espnet_ext.corpus.kaldi import CorpusError
from tests.fixtures.corpora import How2Utt, write_how2_audio, write_how2_split, write_wav

REPO = Path(__file__).resolve().parents[2]
# YouTube-like ids: '-' and '_' inside, one starting with '-'.
V1, V2 = "-7w8Kh7Q-kQ", "a_B9x2-YzQ0"
UTTS = [
    How2Utt(f"{V1}_0", V1, 0.5, 2.75, "So today we\u2019re going to cook.",
            "Ent\u00e3o hoje vamos cozinhar."),
    How2Utt(f"{V1}_1", V1, 3.0, 4.5, "First, the eggs\u2026", "Primeiro, os ovos..."),
    How2Utt(f"{V1}_10", V1, 5.0, 6.0, "Okay.", "Certo."),
    How2Utt(f"{V2}_0", V2, 1.0, 2.0, "Hold the \u201cbow\u201d.", "Segure o \u201carco\u201d."),
]  # fmt: skip


@pytest.fixture
def release(tmp_path):
    write_how2_split(tmp_path / "how2", "train", UTTS)
    write_how2_split(tmp_path / "how2", "dev5", UTTS[3:])
    write_how2_audio(tmp_path / "audio", {V1: 7.0})
    # The second video comes as flac, which is accepted too.
    write_wav(tmp_path / "audio" / f"{V2}.flac", 3.0)
    return tmp_path / "how2", tmp_path / "audio"


def test_prepare_exact_output(release, tmp_path):
    corpus, audio = release
    reports = prepare_how2(corpus, audio, tmp_path / "data", splits=["train", "dev5"])
    out = tmp_path / "data" / "train.en-pt"
    u = [
        f"{V1}-0000500-0002750",
        f"{V1}-0003000-0004500",
        f"{V1}-0005000-0006000",
        f"{V2}-0001000-0002000",
    ]
    expected = {
        "wav.scp": f"{V1} {audio}/{V1}.wav\n{V2} {audio}/{V2}.flac\n",
        "segments": f"{u[0]} {V1} 0.500 2.750\n{u[1]} {V1} 3.000 4.500\n"
        f"{u[2]} {V1} 5.000 6.000\n{u[3]} {V2} 1.000 2.000\n",
        "utt2spk": "".join(f"{x} {x[:11]}\n" for x in u),
        "spk2utt": f"{V1} {u[0]} {u[1]} {u[2]}\n{V2} {u[3]}\n",
        "utt2orig_id": f"{u[0]} {V1}_0\n{u[1]} {V1}_1\n{u[2]} {V1}_10\n{u[3]} {V2}_0\n",
        "text.tc.en": f"{u[0]} So today we're going to cook.\n{u[1]} First, the eggs...\n"
        f'{u[2]} Okay.\n{u[3]} Hold the "bow."\n',
        "text.lc.rm.en": f"{u[0]} so today we're going to cook\n{u[1]} first the eggs\n"
        f"{u[2]} okay\n{u[3]} hold the bow\n",
        "text.tc.pt": f"{u[0]} Ent\u00e3o hoje vamos cozinhar.\n{u[1]} Primeiro, os ovos...\n"
        f'{u[2]} Certo.\n{u[3]} Segure o "arco".\n',
        "text.lc.pt": f"{u[0]} ent\u00e3o hoje vamos cozinhar.\n{u[1]} primeiro, os ovos...\n"
        f'{u[2]} certo.\n{u[3]} segure o "arco".\n',
        "text.lc.rm.pt": f"{u[0]} ent\u00e3o hoje vamos cozinhar\n{u[1]} primeiro os ovos\n"
        f"{u[2]} certo\n{u[3]} segure o arco\n",
    }
    for name, content in expected.items():
        assert (out / name).read_text(encoding="utf-8") == content, name
    assert reports["train"]["kept"] == 4 and reports["train"]["skipped"] == {}
    assert reports["dev5"]["kept"] == 1
    assert (tmp_path / "data" / "dev5.en-pt" / "utt2orig_id").read_text() == f"{u[3]} {V2}_0\n"


def test_missing_audio_and_bad_segments_are_skipped(release, tmp_path):
    corpus, audio = release
    utts = [*UTTS, How2Utt("nofile00000_0", "nofile00000", 0.0, 1.0, "a", "b"),
            How2Utt(f"{V2}_1", V2, 2.5, 3.5, "Too late.", "Tarde."),  # audio has 3 s
            How2Utt(f"{V2}_2", V2, 1.0, 2.0, "Same times.", "Mesmos."),  # duplicate of _0
            How2Utt(f"{V2}_3", V2, 2.0, 2.0, "Zero.", "Zero."),  # end == start
            How2Utt(f"{V2}_4", V2, 0.0, 1.0, "Fine.", "")]  # fmt: skip
    write_how2_split(corpus, "val", utts)
    report = prepare_how2(corpus, audio, tmp_path / "data", splits=["val"])["val"]
    assert report["input_segments"] == 9 and report["kept"] == 4
    assert report["skipped"] == {
        "bad_offset": 1, "duplicate_segment": 1, "empty_text": 1, "missing_wav": 1,
        "segment_past_end": 1,
    }  # fmt: skip
    skipped = (tmp_path / "data" / "val.en-pt" / "prep_skipped.txt").read_text().splitlines()
    seg_file = corpus / "how2-300h-v1" / "data" / "val" / "segments"
    # segments is sorted by How2 id: nofile00000_0 is on line 9.
    assert f"{seg_file}\t9\tmissing_wav\t{audio}/nofile00000.wav: no such file" in skipped


def test_inconsistent_files_stop(release, tmp_path):
    corpus, audio = release
    d = write_how2_split(corpus, "val", UTTS)
    lines = (d / "text.id.pt").read_text().splitlines()
    (d / "text.id.pt").write_text("\n".join(lines[:-1]) + "\n")
    with pytest.raises(
        CorpusError, match=rf"{d}/text.id.pt lacks '{V2}_0' of id .*'text.id.pt': 3"
    ):
        prepare_how2(corpus, audio, tmp_path / "data", splits=["val"])

    d = write_how2_split(corpus, "val", UTTS)
    (d / "segments").write_text((d / "segments").read_text().replace(" 3.00 4.50", " 3.00"))
    with pytest.raises(CorpusError, match=rf"{d}/segments: line 2: expected '<utt_id> <video_id>"):
        prepare_how2(corpus, audio, tmp_path / "data", splits=["val"])

    d = write_how2_split(corpus, "val", UTTS)
    (d / "text.id.en").write_bytes((d / "text.id.en").read_bytes().replace(b"Okay", b"Ok\xe1y"))
    with pytest.raises(CorpusError, match=rf"{d}/text.id.en: line 3, column \d+ \(byte offset"):
        prepare_how2(corpus, audio, tmp_path / "data", splits=["val"])

    with pytest.raises(CorpusError, match="audio dir missing"):
        prepare_how2(corpus, tmp_path / "nowhere", tmp_path / "data", splits=["train"])


def test_cli(release, tmp_path, capsys):
    corpus, audio = release
    args = [
        "--corpus-dir",
        str(corpus),
        "--audio-dir",
        str(audio),
        "--out-dir",
        str(tmp_path / "d"),
    ]
    assert prepare_main([*args, "--splits", "train"]) == 0
    report = json.loads((tmp_path / "d" / "train.en-pt" / "prep_report.json").read_text())
    assert report["kept"] == 4
    assert prepare_main([*args, "--splits", "val"]) == 1
    assert "prepare_how2: error: " in capsys.readouterr().err

    proc = subprocess.run(
        [sys.executable, "-m", "espnet_ext.bin.prepare_how2", *args, "--splits", "dev5"],
        capture_output=True, text=True, cwd=REPO,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "dev5.en-pt: 1 input segments, 1 kept, 0 skipped" in proc.stderr
