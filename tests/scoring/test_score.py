import json
import logging
import subprocess
import sys

import pytest
import sacrebleu

from espnet_ext.bin import score as score_cli
from espnet_ext.scoring.kaldi_text import read_kaldi_text, read_utt2dur
from espnet_ext.scoring.score import parse_buckets, score_files

REF = {
    "spk1-0000000-0001000": "Das ist ein kleiner Test.",
    "spk1-0001000-0002000": "Wir gehen heute nach Hause.",
    "spk2-0000000-0003000": "Der Hund schläft im Garten.",
    "spk2-0003000-0004000": "Ich mag grüne Äpfel.",
}
HYP = {
    "spk1-0000000-0001000": "Das ist ein kleiner Test.",
    "spk1-0001000-0002000": "Wir gehen nach Hause heute.",
    "spk2-0000000-0003000": "Der Hund schläft in dem Garten.",
    "spk2-0003000-0004000": "ich mag grüne äpfel",
}


def write_text(path, entries):
    path.write_text("".join(f"{k} {v}\n" for k, v in entries.items()), encoding="utf-8")
    return path


@pytest.fixture
def files(tmp_path):
    return write_text(tmp_path / "hyp", HYP), write_text(tmp_path / "ref", REF)


def test_bleu_matches_sacrebleu(files):
    hyp, ref = files
    s = score_files("bleu", hyp, ref, lang="de")
    assert s["bleu"] == pytest.approx(
        sacrebleu.corpus_bleu(list(HYP.values()), [list(REF.values())]).score
    )
    assert s["n_sentences"] == 4 and s["missing_hyps"] == 0
    assert (s["hyp"], s["ref"], s["lang"]) == (str(hyp), str(ref), "de")


def test_hyp_order_does_not_matter(tmp_path, files):
    _, ref = files
    shuffled = write_text(tmp_path / "hyp2", dict(reversed(list(HYP.items()))))
    assert score_files("bleu", shuffled, ref)["bleu"] == score_files("bleu", files[0], ref)["bleu"]


def test_missing_hyps_scored_as_empty(tmp_path, files, caplog):
    _, ref = files
    hyp = write_text(
        tmp_path / "hyp_part", {k: v for k, v in HYP.items() if not k.startswith("spk2-00030")}
    )
    with caplog.at_level(logging.WARNING):
        s = score_files("bleu", hyp, ref)
    expected = [HYP[k] if not k.startswith("spk2-00030") else "" for k in REF]
    assert s["missing_hyps"] == 1 and s["n_sentences"] == 4
    assert s["bleu"] == pytest.approx(sacrebleu.corpus_bleu(expected, [list(REF.values())]).score)
    assert "spk2-0003000-0004000" in caplog.text and "1 of 4" in caplog.text


def test_unknown_hyp_ids_error(tmp_path, files):
    _, ref = files
    hyp = write_text(tmp_path / "hyp_bad", {**HYP, "spk9-0000000-0000500": "extra"})
    with pytest.raises(
        ValueError,
        match=r"hyp_bad: 1 hypothesis ids are not in the references: spk9-0000000-0000500",
    ):
        score_files("bleu", hyp, ref)


def test_kaldi_text_errors(tmp_path):
    p = tmp_path / "text"
    p.write_text("a hello\nb\na again\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"text:3: utterance id 'a' repeated \(first on line 1\)"):
        read_kaldi_text(p)
    p.write_text("a hello\n\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"text:2: empty line"):
        read_kaldi_text(p)
    p.write_bytes(b"a ok\nb \xff\xfe\n")
    with pytest.raises(ValueError, match=r"text:2: not valid UTF-8"):
        read_kaldi_text(p)
    p.write_text("a hello  world \nb\n", encoding="utf-8")
    assert read_kaldi_text(p) == {"a": "hello  world", "b": ""}
    p.write_text("a 1.5\nb x\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"duration of 'b' is 'x'"):
        read_utt2dur(p)


def test_wer_file(tmp_path):
    ref = write_text(tmp_path / "ref", {"u1": "The cat sat on the mat.", "u2": "Hello, world!"})
    hyp = write_text(tmp_path / "hyp", {"u1": "the cat sit on mat", "u2": "hello big world"})
    s = score_files("wer", hyp, ref)
    assert s["wer"] == pytest.approx(37.5) and s["ref_words"] == 8


def test_by_duration(tmp_path, files):
    hyp, ref = files
    durs = [5.0, 15.0, 8.0, 25.0]
    utt2dur = write_text(tmp_path / "utt2dur", {k: d for k, d in zip(REF, durs)})
    s = score_files("bleu", hyp, ref, utt2dur_path=utt2dur, buckets="10,20")
    buckets = s["by_duration"]["buckets"]
    assert [b["label"] for b in buckets] == ["<10s", "10-20s", ">=20s"]
    assert [b["n_sentences"] for b in buckets] == [2, 1, 1]
    keys = list(REF)
    short = [keys[0], keys[2]]
    assert buckets[0]["bleu"] == pytest.approx(
        sacrebleu.corpus_bleu([HYP[k] for k in short], [[REF[k] for k in short]]).score
    )
    assert buckets[0]["audio_seconds"] == pytest.approx(13.0)
    s = score_files("bleu", hyp, ref, utt2dur_path=utt2dur, buckets="30")
    assert [b["n_sentences"] for b in s["by_duration"]["buckets"]] == [4, 0]
    assert s["by_duration"]["buckets"][1]["bleu"] is None
    partial = write_text(tmp_path / "utt2dur_part", {keys[0]: 1.0})
    with pytest.raises(ValueError, match="utt2dur_part: no duration for 3 utts"):
        score_files("bleu", hyp, ref, utt2dur_path=partial)


@pytest.mark.parametrize("spec", ["", "20,10", "0,5", "a,b"])
def test_bad_buckets(spec):
    with pytest.raises(ValueError):
        parse_buckets(spec)


def test_cli_writes_json_and_txt(tmp_path, files, capsys):
    hyp, ref = files
    out = tmp_path / "out"
    score_cli.main(
        [
            "--metric",
            "bleu",
            "--hyp",
            str(hyp),
            "--ref",
            str(ref),
            "--out-dir",
            str(out),
            "--lang",
            "de",
        ]
    )
    s = json.loads((out / "score.json").read_text(encoding="utf-8"))
    assert s["bleu"] == pytest.approx(score_files("bleu", hyp, ref, "de")["bleu"])
    assert set(s["signatures"]) == {"bleu", "chrf", "ter", "bleu_lc_rm"}
    txt = (out / "score.txt").read_text(encoding="utf-8")
    assert f"BLEU          = {s['bleu']:6.2f}  {s['signatures']['bleu']}" in txt
    assert "sentences: 4 (missing hypotheses: 0)" in txt
    assert txt == capsys.readouterr().out


def test_cli_error_names_ids(tmp_path, files):
    _, ref = files
    hyp = write_text(tmp_path / "hyp_bad", {"zzz": "x"})
    with pytest.raises(SystemExit, match="score: .*hyp_bad: 1 hypothesis ids .*zzz"):
        score_cli.main(
            ["--metric", "wer", "--hyp", str(hyp), "--ref", str(ref), "--out-dir", str(tmp_path)]
        )
    assert not (tmp_path / "score.json").exists()


def test_module_entrypoint(tmp_path, files):
    hyp, ref = files
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "espnet_ext.bin.score",
            "--metric",
            "wer",
            "--hyp",
            str(hyp),
            "--ref",
            str(ref),
            "--out-dir",
            str(tmp_path / "o"),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert proc.stdout.startswith("WER = ")
    assert json.loads((tmp_path / "o" / "score.json").read_text())["metric"] == "wer"
