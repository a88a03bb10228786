"""bench/bench_exporter.py on a tiny run: decode dirs of the cascade and an exporter + its log."""

from __future__ import annotations

import json

import pytest
import torch

from tests.bench_scripts import load_bench


def test_bench_collects_scores_and_l2_curve(tiny_setup, trained_exporter, tmp_path):
    from espnet_ext.bin import cascade_inference, exporter_inference, score

    exp = tiny_setup.root / "exp"
    cascade_dir = exp / "cascade" / "decode_tiny" / "test"
    exporter_dir = trained_exporter / "decode_tiny" / "test"
    common = ["--data_dir", str(tiny_setup.data), "--beam_size", "2"]
    cascade_inference.main(
        [
            "--asr_exp",
            str(tiny_setup.asr_exp),
            "--mt_exp",
            str(tiny_setup.mt_exp),
            "--output_dir",
            str(cascade_dir),
            *common,
        ]
    )
    exporter_inference.main(
        [
            "--exporter_train_config",
            str(trained_exporter / "config.yaml"),
            "--exporter_model_file",
            str(trained_exporter / "valid.acc.ave.pth"),
            "--output_dir",
            str(exporter_dir),
            *common,
        ]
    )
    for path in (cascade_dir, exporter_dir):
        score.main(
            [
                "--metric",
                "bleu",
                "--hyp",
                str(path / "text"),
                "--ref",
                str(tiny_setup.data / "text.tgt"),
                "--out-dir",
                str(path),
            ]
        )
    score.main(
        [
            "--metric",
            "wer",
            "--hyp",
            str(cascade_dir / "asr_text"),
            "--ref",
            str(tiny_setup.data / "text.src"),
            "--out-dir",
            str(tmp_path / "wer"),
        ]
    )

    out = tmp_path / "exporter.json"
    load_bench("bench_exporter").main(
        [
            "--exp-dir",
            str(exp),
            "--test-set",
            "test",
            "--asr",
            "",
            "--mt",
            "",
            "--exporters",
            trained_exporter.name,
            "--src-ref",
            str(tiny_setup.data / "text.src"),
            "--out",
            str(out),
        ]
    )
    result = json.loads(out.read_text())

    cascade = result["systems"]["cascade"]
    assert cascade["bleu"] == json.loads((cascade_dir / "score.json").read_text())["bleu"]
    assert (
        cascade["ctc_greedy_wer"]
        == json.loads((tmp_path / "wer" / "score.json").read_text())["wer"]
    )
    assert cascade["rtf"] == json.loads((cascade_dir / "rtf.json").read_text())["rtf"]
    exporter = result["systems"][trained_exporter.name]
    assert exporter["bleu"] == json.loads((exporter_dir / "score.json").read_text())["bleu"]

    # the L2 curve (from the checkpoint's reporter) and the one parsed from the training log
    # agree with the trainer's own records (the log shows 3 decimals)
    curve = result["l2_over_training"][trained_exporter.name]
    log_curve = load_bench("bench_exporter").parse_epochs(trained_exporter / "train.log")
    stats = torch.load(
        trained_exporter / "checkpoint.pth", map_location="cpu", weights_only=False
    )["reporter"]["stats"]
    assert [row["epoch"] for row in curve] == [r["epoch"] for r in log_curve] == [1, 2]
    assert sorted(stats) == [1, 2]
    for row, log_row in zip(curve, log_curve):
        for split in ("train", "valid"):
            for key in ("l2", "l2_dist", "ce"):
                expected = stats[row["epoch"]][split][key]
                assert row[f"{split}_{key}"] == pytest.approx(expected, rel=1e-3, abs=1e-3)
                assert log_row[f"{split}_{key}"] == pytest.approx(expected, rel=1e-3, abs=1e-3)


def test_bench_reports_missing_inputs(tiny_setup, tmp_path):
    bench = load_bench("bench_exporter")
    with pytest.raises(FileNotFoundError, match="expected one decode_"):
        bench.main(
            [
                "--exp-dir",
                str(tmp_path),
                "--test-set",
                "test",
                "--asr",
                "",
                "--mt",
                "",
                "--exporters",
                "--out",
                str(tmp_path / "x.json"),
            ]
        )
    log = tmp_path / "train.log"
    log.write_text("1epoch results: [train] loss=1.0, acc=0.5, [valid] loss=1.1\n")
    with pytest.raises(ValueError, match="no l2 statistics"):
        bench.parse_epochs(log)


def test_log_curve_reads_the_earlier_runs_logs(tmp_path):
    """A resumed training's earlier logs (kept as train.log.<n> by the pipeline) count too; an
    epoch logged again by a later run takes the later values."""
    line = "{e}epoch results: [train] l2={v}, l2_dist=1.0, [valid] l2={v}, l2_dist=2.0\n"
    (tmp_path / "train.log.1").write_text(line.format(e=1, v=9.0) + line.format(e=2, v=8.0))
    (tmp_path / "train.log.2").write_text(line.format(e=2, v=7.0))
    (tmp_path / "train.log").write_text(line.format(e=3, v=6.0))
    (tmp_path / "train.log.old").write_text(line.format(e=4, v=5.0))  # not a kept log
    curve = load_bench("bench_exporter").parse_epochs(tmp_path / "train.log")
    assert [(r["epoch"], r["train_l2"]) for r in curve] == [(1, 9.0), (2, 7.0), (3, 6.0)]
