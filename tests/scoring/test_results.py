import json

import matplotlib.image
import pytest

from espnet_ext.bin import show_results as show_results_cli
from espnet_ext.scoring.results import (
    human_count,
    human_duration,
    load_results,
    markdown_table,
    parse_markdown_table,
    read_results_json,
    write_results,
)
from espnet_ext.scoring.score import score_files, write_score

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
REF = {"u1": "Das ist ein Test.", "u2": "Wir gehen nach Hause.", "u3": "Der Hund schläft."}


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _decoded(set_dir, hyps, metric="bleu", utt2dur=None, rtf=0.25):
    ref = _write(set_dir / "ref", "".join(f"{k} {v}\n" for k, v in REF.items()))
    hyp = _write(set_dir / "text", "".join(f"{k} {v}\n" for k, v in hyps.items()))
    if utt2dur:
        utt2dur = _write(set_dir / "utt2dur", "".join(f"{k} {v}\n" for k, v in utt2dur.items()))
    result = score_files(metric, hyp, ref, "de", utt2dur_path=utt2dur)
    write_score(result, set_dir)
    if rtf is not None:
        _write(
            set_dir / "rtf.json",
            json.dumps(
                {"audio_seconds": 40.0, "decode_seconds": 40.0 * rtf, "rtf": rtf, "n_utts": 3}
            ),
        )
    return result


def _train_info(exp, trainable, total, wall, ngpu):
    _write(
        exp / "train_info.json",
        json.dumps(
            {
                "system": exp.name,
                "task": "st",
                "trainable_params": trainable,
                "total_params": total,
                "train_wall_s": wall,
                "device_hours": wall / 3600 * max(ngpu, 1),
                "device": "gpu" if ngpu else "cpu",
                "ngpu": ngpu,
            }
        ),
    )


@pytest.fixture
def exp_root(tmp_path):
    root = tmp_path / "exp"
    a, b, c = root / "st_a", root / "st_b", root / "asr_c"
    _train_info(a, 12_300_000, 45_600_000, 5400.0, 0)
    _train_info(b, 900, 2_000, 59.6, 2)
    scores = {
        "a_tst": _decoded(
            a / "decode_beam5" / "tst-COMMON",
            {"u1": "Das ist ein Test.", "u2": "Wir gehen heim.", "u3": "Der Hund schläft."},
        ),
        "a_dev": _decoded(
            a / "decode_beam5" / "dev",
            {"u1": "Das ist Test.", "u2": "Wir gehen nach Hause.", "u3": "Hund schläft."},
            utt2dur={"u1": 4.0, "u2": 12.0, "u3": 30.0},
        ),
        "c_tst": _decoded(
            c / "decode_asr" / "tst-COMMON",
            {"u1": "das ist ein test", "u2": "wir gehen nach haus"},
            metric="wer",
            rtf=None,
        ),
    }
    # not experiments: collect-stats output and a tokenizer dir
    _write(root / "st_stats_raw" / "train" / "shape", "u1 10\n")
    _write(root / "spm" / "bpe.model", "x")
    return root, scores


def test_load_results_rows(exp_root):
    root, scores = exp_root
    rows = load_results(root)
    assert [(r["test_set"], r["system"]) for r in rows] == [
        ("dev", "st_a"),
        ("tst-COMMON", "asr_c"),
        ("tst-COMMON", "st_a"),
        (None, "st_b"),
    ]
    dev, asr, tst, missing = rows
    assert tst["bleu"] == scores["a_tst"]["bleu"] and tst["chrf"] == scores["a_tst"]["chrf"]
    assert dev["by_duration"]["buckets"][2]["n_sentences"] == 1
    assert (tst["decode_tag"], tst["rtf"], tst["total_params"], tst["notes"]) == (
        "beam5",
        0.25,
        45_600_000,
        [],
    )
    assert asr["wer"] == scores["c_tst"]["wer"] and asr["task"] == "asr" and asr["bleu"] is None
    assert asr["missing_hyps"] == 1
    assert asr["notes"] == [
        "no train_info.json (training not finished?)",
        "no rtf.json",
        "1 missing hyps",
    ]
    assert missing["bleu"] is None and missing["notes"] == ["no decode yet"]


def test_show_results_outputs(exp_root, capsys):
    root, scores = exp_root
    show_results_cli.main([str(root)])
    text = (root / "RESULTS.md").read_text(encoding="utf-8")
    table = parse_markdown_table(text)
    printed = capsys.readouterr().out
    assert printed == markdown_table(load_results(root)) and printed in text
    by_key = {(r["System"], r["Test set"]): r for r in table}
    a = by_key["st_a", "tst-COMMON"]
    assert (
        a["BLEU"] == f"{scores['a_tst']['bleu']:.2f}"
        and a["chrF"] == f"{scores['a_tst']['chrf']:.2f}"
    )
    assert a["TER"] == f"{scores['a_tst']['ter']:.2f}" and a["WER"] == "-"
    assert a["Params (trainable / total)"] == "12.3M / 45.6M"
    assert (a["Train time"], a["Device-hours"], a["RTF"], a["Decode"]) == (
        "1h30m00s",
        "1.5 CPU-h",
        "0.250",
        "beam5",
    )
    b = by_key["st_b", "-"]
    assert (b["BLEU"], b["RTF"], b["Notes"], b["Params (trainable / total)"]) == (
        "-",
        "-",
        "no decode yet",
        "900 / 2.0K",
    )
    assert (b["Train time"], b["Device-hours"]) == ("1m00s", "0.0331 GPU-h")
    c = by_key["asr_c", "tst-COMMON"]
    assert c["WER"] == f"{scores['c_tst']['wer']:.2f}" and c["BLEU"] == "-"
    assert "## Signatures" in text and scores["a_tst"]["signatures"]["bleu"] in text
    assert "| 10-20s | 1 |" in text

    for name in ("bleu_by_system.png", "wer_by_system.png", "bleu_by_duration.png"):
        path = root / name
        assert path.read_bytes()[:8] == PNG_MAGIC
        assert matplotlib.image.imread(path).ndim == 3
        assert f"]({name})" in text
    assert read_results_json(root / "results.json") == load_results(root)

    for system in ("st_a", "st_b", "asr_c"):
        per_exp = (root / system / "RESULTS.md").read_text(encoding="utf-8")
        assert per_exp.startswith(f"# {system}\n\n- task: ")
    st_a = parse_markdown_table((root / "st_a" / "RESULTS.md").read_text())
    assert [(r["Test set"], r["BLEU"]) for r in st_a] == [
        ("dev", f"{scores['a_dev']['bleu']:.2f}"),
        ("tst-COMMON", f"{scores['a_tst']['bleu']:.2f}"),
    ]
    assert "System" not in st_a[0] and "RTF" in st_a[0]
    assert not (root / "st_stats_raw" / "RESULTS.md").exists()


def test_out_elsewhere_and_stale_plots(exp_root, tmp_path):
    root, _ = exp_root
    out = tmp_path / "report" / "table.md"
    written = write_results(root, out)
    assert (tmp_path / "report" / "results.json").is_file()
    assert (tmp_path / "report" / "bleu_by_duration.png").is_file()
    assert len(written["rows"]) == 4
    # the duration-scored set disappears: its plot must not linger
    score = json.loads((root / "st_a/decode_beam5/dev/score.json").read_text())
    del score["by_duration"]
    (root / "st_a/decode_beam5/dev/score.json").write_text(json.dumps(score))
    written = write_results(root, out)
    assert not (tmp_path / "report" / "bleu_by_duration.png").exists()
    assert sorted(p.split("/")[-1] for p in written["plots"]) == [
        "bleu_by_system.png",
        "wer_by_system.png",
    ]


def test_unreadable_score_is_a_note(exp_root):
    root, _ = exp_root
    (root / "st_a/decode_beam5/dev/score.json").write_text("{not json")
    dev = load_results(root)[0]
    assert dev["test_set"] == "dev" and dev["bleu"] is None
    assert dev["notes"] == ["unreadable score.json"]


def test_empty_and_missing_root(tmp_path):
    assert load_results(tmp_path) == []
    written = write_results(tmp_path)
    assert parse_markdown_table((tmp_path / "RESULTS.md").read_text()) == []
    assert written["plots"] == []
    with pytest.raises(SystemExit, match="no such experiment root"):
        show_results_cli.main([str(tmp_path / "nope")])


@pytest.mark.parametrize(
    "n, text",
    [(None, "-"), (999, "999"), (2000, "2.0K"), (12_345_678, "12.3M"), (1_500_000_000, "1.5B")],
)
def test_human_count(n, text):
    assert human_count(n) == text


@pytest.mark.parametrize(
    "s, text", [(None, "-"), (42.4, "42s"), (125, "2m05s"), (4523, "1h15m23s")]
)
def test_human_duration(s, text):
    assert human_duration(s) == text


def test_parse_markdown_table_escapes():
    rows = parse_markdown_table("x\n| a | b |\n|---|---|\n| 1 \\| 2 | |\n\nafter")
    assert rows == [{"a": "1 | 2", "b": ""}]
    with pytest.raises(ValueError, match="no Markdown table"):
        parse_markdown_table("nothing here")
