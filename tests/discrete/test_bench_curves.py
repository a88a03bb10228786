"""bench/bench_discrete_curves.py: validation curves per architecture and data variant."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.bench_scripts import load_bench

LINE = (
    "INFO: {e}epoch results: [train] loss=9.0, time={t} seconds, total_count=10, "
    "[valid] {valid}, time=1.5 seconds, total_count=2\n"
)


def _log(exp: Path, system: str, valids: list[str], seconds: float = 20.0) -> None:
    (exp / system).mkdir(parents=True)
    text = "".join(LINE.format(e=i, t=seconds, valid=v) for i, v in enumerate(valids, 1))
    (exp / system / "train.log").write_text(text)


def test_curves_compare_variants_at_the_last_common_epoch(tmp_path, capsys):
    exp = tmp_path / "exp"
    _log(exp, "aed_st", ["loss=40.0, acc=0.30", "loss=35.0, acc=0.35", "loss=34.0, acc=0.36"])
    _log(exp, "aed_st_mt", ["loss=38.0, acc=0.32", "loss=33.0, acc=0.38"], seconds=40.0)
    # the hierarchical CTC's total adds its source CTC: its target CTC (loss_ctc) is compared
    _log(exp, "ctc_st_mt", ["loss=75.0", "loss=72.0"])
    _log(
        exp,
        "ctc_hier",
        ["loss_ctc=76.0, loss_src_ctc=60.0, loss=71.2", "loss_ctc=71.0, loss=68.0"],
    )
    _log(exp, "rnnt_st", ["loss=60.0"])  # an architecture with one variant: no comparison
    (exp / "ctc_st").mkdir()  # started, no epoch finished: left out
    (exp / "ctc_st" / "train.log").write_text("INFO: 1/12epoch started\n")
    (exp / "mt_text").mkdir()  # not a discrete system: ignored
    (exp / "mt_text" / "train.log").write_text(LINE.format(e=1, t=1, valid="loss=1.0"))
    out, png = tmp_path / "curves.json", tmp_path / "curves.png"

    load_bench("bench_discrete_curves").main(
        ["--exp", f"cpu={exp}", "--out", str(out), "--plot", str(png), "--note", "n"]
    )

    assert "ctc_st/train.log: no finished epoch yet, left out" in capsys.readouterr().out
    result = json.loads(out.read_text())
    assert result["notes"] == ["n"] and result["plot"] == "curves.png"
    run = result["runs"]["cpu"]
    assert set(run["systems"]) == {"aed_st", "aed_st_mt", "ctc_st_mt", "ctc_hier", "rnnt_st"}
    aed = run["systems"]["aed_st"]
    assert (aed["architecture"], aed["variant"], aed["epochs_run"]) == ("AED", "st", 3)
    assert aed["best_valid_loss"] == {"epoch": 3, "value": 34.0}
    assert aed["epochs"][1] == {
        "epoch": 2,
        "valid_loss": 35.0,
        "valid_acc": 0.35,
        "train_seconds": 20.0,
    }
    assert run["systems"]["aed_st_mt"]["mean_epoch_seconds"] == 40.0
    hier = run["systems"]["ctc_hier"]
    assert (hier["variant"], hier["valid_loss_key"]) == ("st_mt+hier", "loss_ctc")
    assert [e["valid_loss"] for e in hier["epochs"]] == [76.0, 71.0]
    assert run["equal_epoch"] == {
        "AED": {"epoch": 2, "valid_loss": {"st": 35.0, "st_mt": 33.0}},
        "CTC": {"epoch": 2, "valid_loss": {"st_mt": 72.0, "st_mt+hier": 71.0}},
    }
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_an_experiment_dir_without_discrete_logs_is_an_error(tmp_path):
    bench = load_bench("bench_discrete_curves")
    with pytest.raises(FileNotFoundError, match="no training log of a discrete system"):
        bench.main(["--exp", f"x={tmp_path}", "--out", str(tmp_path / "o.json")])
    with pytest.raises(SystemExit):
        bench.main(["--exp", str(tmp_path), "--out", str(tmp_path / "o.json")])


def test_update_keeps_earlier_runs_and_adds_systems_to_a_kept_run(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    _log(first, "aed_st", ["loss=40.0", "loss=35.0"])
    _log(first, "ctc_st", ["loss=75.0", "loss=70.0"])
    earlier = tmp_path / "earlier.json"
    bench = load_bench("bench_discrete_curves")
    bench.main(["--exp", f"cpu={first}", "--out", str(earlier), "--note", "first"])
    # the first run's logs are gone; a later run adds systems to it and retrains one
    _log(second, "ctc_st_mt_ext", ["loss=74.0", "loss=69.0"])
    _log(second, "ctc_st", ["loss=76.0", "loss=71.0"])
    out = tmp_path / "curves.json"

    bench.main(
        ["--update", str(earlier), "--exp", f"cpu={second}", "--out", str(out), "--note", "second"]
    )

    result = json.loads(out.read_text())
    assert result["notes"] == ["first", "second"]
    run = result["runs"]["cpu"]
    assert run["exp_dir"] == [str(first), str(second)]
    assert set(run["systems"]) == {"aed_st", "ctc_st", "ctc_st_mt_ext"}
    assert run["systems"]["ctc_st"]["best_valid_loss"] == {"epoch": 2, "value": 71.0}
    assert run["equal_epoch"] == {
        "CTC": {"epoch": 2, "valid_loss": {"st": 71.0, "st_mt_ext": 69.0}}
    }
