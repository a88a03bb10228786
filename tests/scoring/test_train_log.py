"""Per-epoch statistics from ESPnet training logs (espnet_ext/scoring/train_log.py)."""

from __future__ import annotations

import pytest

from espnet_ext.scoring.train_log import (
    best_epoch,
    epoch_stats,
    parse_duration,
    parse_epoch_lines,
)

# the shape of ESPnet's epoch line (trainer.py), cut short
LINE = (
    "[vm] 2026-11-22 19:58:10,453 (trainer:394) INFO: {e}epoch results: [train] iter_time=0.006, "
    "loss_att=55.569, acc=0.216, loss={loss}, grad_norm=18.270, optim0_lr0=1.000e-03, "
    "train_time=0.425, time={time}, total_count=303, [valid] loss_att=40.223, acc=0.343, "
    "bleu_ctc=7.805e-07, loss={vloss}, time=3.73 seconds, total_count=36"
)


@pytest.mark.parametrize(
    "text, seconds",
    [
        ("3.73 seconds", 3.73),
        ("1 second", 1.0),
        ("2 minutes and 8.92 seconds", 128.92),
        ("1 hour, 1 minute and 1 second", 3661.0),
        ("6 hours, 3 minutes and 19.49 seconds", 21799.49),
    ],
)
def test_durations_in_espnets_words(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


def test_a_duration_without_units_is_refused():
    with pytest.raises(ValueError, match="not a duration: '12'"):
        parse_duration("12")


def test_epoch_lines_give_both_splits_with_times():
    lines = [
        "[vm] 2026-11-22 19:55:40 (trainer:324) INFO: 1/12epoch started",
        LINE.format(e=1, loss=55.569, time="2 minutes and 8.92 seconds", vloss=40.223),
        "some other line",
        LINE.format(e=2, loss=35.0, time="1 minute and 50.66 seconds", vloss=34.3),
    ]
    rows = parse_epoch_lines(lines)
    assert [r["epoch"] for r in rows] == [1, 2]
    assert rows[0]["train"]["loss"] == 55.569
    assert rows[0]["train"]["optim0_lr0"] == pytest.approx(1e-3)
    assert rows[0]["train"]["seconds"] == pytest.approx(128.92)
    assert rows[0]["train"]["total_count"] == 303
    assert rows[1]["valid"] == {
        "loss_att": 40.223,
        "acc": 0.343,
        "bleu_ctc": pytest.approx(7.805e-07),
        "loss": 34.3,
        "seconds": 3.73,
        "total_count": 36,
    }


def test_an_unreadable_value_names_the_line():
    bad = LINE.format(e=1, loss="oops", time="1 second", vloss=1.0)
    with pytest.raises(ValueError, match=r"train.log:2: cannot read 'loss=oops'"):
        parse_epoch_lines(["x", bad], "train.log")


def test_resumed_runs_logs_count_and_the_newest_line_of_an_epoch_wins(tmp_path):
    """The pipeline keeps a resumed training's earlier logs as train.log.<n>."""
    line = LINE.format(e="{e}", loss=1.0, time="1 second", vloss="{v}")
    (tmp_path / "train.log.1").write_text(line.format(e=1, v=9.0) + "\n" + line.format(e=2, v=8.0))
    (tmp_path / "train.log.2").write_text(line.format(e=2, v=7.0) + "\n")
    (tmp_path / "train.log").write_text(line.format(e=3, v=6.5) + "\n")
    (tmp_path / "train.log.old").write_text(line.format(e=4, v=1.0) + "\n")  # not a kept log
    rows = epoch_stats(tmp_path / "train.log")
    assert [(r["epoch"], r["valid"]["loss"]) for r in rows] == [(1, 9.0), (2, 7.0), (3, 6.5)]
    assert best_epoch(rows, "loss")["epoch"] == 3
    assert best_epoch(rows, "loss", "max")["epoch"] == 1
    assert best_epoch(rows, "no_such_stat") is None


def test_a_log_without_epochs_is_an_error(tmp_path):
    (tmp_path / "train.log").write_text("started\n")
    with pytest.raises(ValueError, match="no '<n>epoch results:' lines"):
        epoch_stats(tmp_path / "train.log")
    with pytest.raises(FileNotFoundError, match="no training log"):
        epoch_stats(tmp_path / "missing" / "train.log")
    with pytest.raises(ValueError, match="mode must be min or max"):
        best_epoch([], "loss", "lowest")
