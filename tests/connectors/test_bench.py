"""bench/bench_connectors.py's reading of ESPnet training logs (a resumed run starts a new log)."""

from __future__ import annotations

from tests.bench_scripts import load_bench


def _epoch_line(epoch: int, train_time: float, total_count: int) -> str:
    return (
        f"[vm] 2026-11-22 10:00:00,000 (trainer:394) INFO: {epoch}epoch results: [train] "
        f"iter_time=0.03, loss=2.6, acc=0.56, train_time={train_time}, time=3 minutes, "
        f"total_count={total_count}, [valid] loss=2.7, acc=0.55, total_count={epoch}"
    )


def test_step_time_weights_epochs_by_batches_and_reports_totals(tmp_path):
    bench = load_bench("bench_connectors")
    log = tmp_path / "train.log"
    # resumed after epoch 5 (95 batches an epoch); epoch 7 had 90 batches
    log.write_text(
        "\n".join(
            [
                "[vm] ... (trainer:811) INFO: 6epoch:train:1-20batch: train_time=9.0",
                _epoch_line(6, 4.0, 570),
                _epoch_line(7, 3.0, 660),
            ]
        )
        + "\n"
    )
    got = bench.step_time(log)
    assert got["epochs"] == 7 and got["steps"] == 660 and got["epochs_timed"] == 2
    assert got["step_seconds"] == round((4.0 * 95 + 3.0 * 90) / 185, 4)


def test_step_time_of_a_log_without_epochs(tmp_path):
    log = tmp_path / "train.log"
    log.write_text("[vm] started\n")
    assert load_bench("bench_connectors").step_time(log) == {
        "step_seconds": None,
        "epochs": 0,
        "steps": 0,
        "epochs_timed": 0,
    }
