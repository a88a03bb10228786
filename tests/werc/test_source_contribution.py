"""`python -m espnet_ext.bin.source_contribution` on tiny experiment dirs."""

from __future__ import annotations

import csv
import json
import os
import pickle

import numpy as np
import pytest
import soundfile as sf
import torch
import yaml

from espnet_ext.bin.source_contribution import main
from espnet_ext.werc import source_contribution as sc

REFS = {
    "spk1-0000000-0000500": "abc de",
    "spk1-0000600-0001100": "ea",
    "spk2-0000000-0000400": "d",
}


@pytest.fixture
def data_dir(tmp_path):
    """Dumped test set: 4 wavs, 3 references (one utterance lacks a reference)."""
    out = tmp_path / "dump" / "tst-COMMON.en-de"
    (out / "wav").mkdir(parents=True)
    rng = np.random.default_rng(0)
    wav_lines = []
    for uid in sorted([*REFS, "spk3-0000000-0000500"]):
        path = out / "wav" / f"{uid}.wav"
        sf.write(path, 0.1 * rng.standard_normal(5600).astype(np.float32), 16000)
        wav_lines.append(f"{uid} {path}\n")
    (out / "wav.scp").write_text("".join(wav_lines), encoding="utf-8")
    text = "".join(f"{uid} {ref}\n" for uid, ref in sorted(REFS.items()))
    (out / "text.tc.de").write_text(text, encoding="utf-8")
    return out


def _make_exp(path, cfg, build_st_model, epochs):
    path.mkdir(parents=True)
    (path / "config.yaml").write_text(yaml.safe_dump(cfg), encoding="utf-8")
    for epoch in epochs:
        torch.manual_seed(epoch)
        torch.save(build_st_model(cfg).state_dict(), path / f"{epoch}epoch.pth")


def _read_csv(path):
    with open(path, encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_cli_writes_csv_png_and_reuses_cache(
    tmp_path, data_dir, tiny_st_config, build_st_model, monkeypatch
):
    werc = tmp_path / "exp" / "st_werc"
    _make_exp(werc, tiny_st_config(num_iters_per_epoch=50), build_st_model, epochs=[1, 2])
    # A model average that matches the glob but is not an epoch checkpoint: must be skipped.
    torch.save({"not": torch.zeros(1)}, werc / "valid.acc.ave_2best.till2epoch.pth")
    base = tmp_path / "exp" / "st_baseline"
    _make_exp(base, tiny_st_config(decoder="transformer"), build_st_model, epochs=[1])
    out = tmp_path / "analysis"

    argv = ["--exp-dir", str(werc), "--exp-dir", str(base), "--data-dir", str(data_dir)]
    main([*argv, "--out-dir", str(out)])

    rows = _read_csv(out / "source_contribution.csv")
    assert list(rows[0]) == list(sc.CSV_FIELDS)
    key = [(r["experiment"], r["checkpoint"], r["epoch"], r["step"], r["n_utts"]) for r in rows]
    assert key == [
        ("st_werc", "1epoch.pth", "1", "50", "3"),
        ("st_werc", "2epoch.pth", "2", "100", "3"),
        ("st_baseline", "1epoch.pth", "1", "", "3"),
    ]
    shares = [float(r["source_share"]) for r in rows]
    assert all(0.0 < s <= 1.0 for s in shares)
    assert shares[0] != shares[1]  # different weights, different figures
    png = (out / "source_contribution.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 1000

    # The cached per-utterance values are the ones averaged into the CSV.
    cached = json.loads((out / "cache" / "st_werc" / "1epoch.pth.json").read_text())
    assert sorted(cached["utterances"]) == sorted(REFS)
    assert np.isclose(np.mean(list(cached["utterances"].values())), shares[0], atol=1e-6)

    # Re-running evaluates nothing again; a new checkpoint is the only one computed.
    calls = []
    real = sc.utterance_source_share

    def counting(*args):
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(sc, "utterance_source_share", counting)
    main([*argv, "--out-dir", str(out)])
    assert calls == []
    assert _read_csv(out / "source_contribution.csv") == rows
    torch.manual_seed(3)
    torch.save(build_st_model(tiny_st_config()).state_dict(), werc / "3epoch.pth")
    main([*argv, "--out-dir", str(out)])
    assert len(calls) == 3
    assert [r["checkpoint"] for r in _read_csv(out / "source_contribution.csv")] == [
        "1epoch.pth",
        "2epoch.pth",
        "3epoch.pth",
        "1epoch.pth",
    ]


def test_max_utts_and_teacher_forcing_match_direct_computation(
    tmp_path, data_dir, tiny_st_config, build_st_model, st_task
):
    from espnet_ext.werc.alti import decoder_contributions

    exp = tmp_path / "st_werc"
    cfg = tiny_st_config()
    _make_exp(exp, cfg, build_st_model, epochs=[4])
    results = sc.run([exp], data_dir, tmp_path / "out", max_utts=2)
    assert [(r.epoch, r.step, r.n_utts) for r in results] == [(4, None, 2)]

    # Same figure computed by hand for the first two utterances (sorted ids).
    model, _ = st_task.build_model_from_file(exp / "config.yaml", exp / "4epoch.pth")
    model.eval()
    expected = []
    for uid in sorted(REFS)[:2]:
        speech, _ = sf.read(data_dir / "wav" / f"{uid}.wav", dtype="float32")
        ids = [cfg["token_list"].index(c if c != " " else "<space>") for c in REFS[uid]]
        ys_in = torch.tensor([[model.sos, *ids]])
        with torch.no_grad():
            memory, lens = model.encode(
                torch.from_numpy(speech)[None], torch.tensor([len(speech)])
            )
        result = decoder_contributions(
            model.decoder, memory, lens, ys_in, torch.tensor([ys_in.size(1)])
        )
        expected.append(float(result.mean_source_share()[0]))
    assert np.isclose(results[0].source_share, np.mean(expected), atol=1e-6)


def test_step_from_the_reporter_without_num_iters_per_epoch(
    tmp_path, data_dir, tiny_st_config, build_st_model
):
    """Epoch-sized training (no num_iters_per_epoch): the step is the update count the reporter
    kept in checkpoint.pth for that epoch; an epoch it lacks keeps an empty step."""
    exp = tmp_path / "st_scratch"
    _make_exp(exp, tiny_st_config(), build_st_model, epochs=[1, 2, 3])
    stats = {1: {"train": {"total_count": 352}}, 2: {"train": {"total_count": 704}}}
    torch.save({"reporter": {"stats": stats, "epoch": 2}}, exp / "checkpoint.pth")
    results = sc.run([exp], data_dir, tmp_path / "out", max_utts=1)
    assert [(r.epoch, r.step) for r in results] == [(1, 352), (2, 704), (3, None)]
    rows = _read_csv(tmp_path / "out" / "source_contribution.csv")
    assert [r["step"] for r in rows] == ["352", "704", ""]
    # a re-run answers from the cache and still fills the step
    again = sc.run([exp], data_dir, tmp_path / "out", max_utts=1)
    assert [(r.epoch, r.step) for r in again] == [(1, 352), (2, 704), (3, None)]


def test_bad_inputs_have_clear_errors(tmp_path, data_dir, tiny_st_config, build_st_model):
    exp = tmp_path / "st_empty"
    exp.mkdir()
    (exp / "config.yaml").write_text(yaml.safe_dump(tiny_st_config()), encoding="utf-8")
    with pytest.raises(FileNotFoundError, match="st_empty: no <n>epoch.pth matches"):
        sc.run([exp], data_dir, tmp_path / "out")
    other = tmp_path / "other" / "st_empty"
    other.mkdir(parents=True)
    with pytest.raises(ValueError, match="distinct names, repeated: \\['st_empty'\\]"):
        sc.run([exp, other], data_dir, tmp_path / "out")
    bad = tmp_path / "st_bad"
    _make_exp(bad, tiny_st_config(), build_st_model, epochs=[1])
    torch.save({"decoder.extra": torch.zeros(1)}, bad / "2epoch.pth")
    with pytest.raises(RuntimeError, match="2epoch.pth does not fit the model"):
        sc.run([bad], data_dir, tmp_path / "out")


def test_find_epoch_checkpoints_sorts_numerically(tmp_path):
    for name in ["10epoch.pth", "2epoch.pth", "1epoch.pth", "latest.pth", "valid.acc.best.pth"]:
        (tmp_path / name).write_bytes(b"")
    found = sc.find_epoch_checkpoints(tmp_path, "*.pth")
    assert [(epoch, path.name) for epoch, path in found] == [
        (1, "1epoch.pth"),
        (2, "2epoch.pth"),
        (10, "10epoch.pth"),
    ]


class Evil:
    """Pickles as a call of ``os.mkdir(marker)``: run if the file is unpickled unsafely."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def test_crafted_checkpoint_is_refused_and_runs_no_code(
    tmp_path, data_dir, tiny_st_config, build_st_model
):
    exp = tmp_path / "st_evil"
    _make_exp(exp, tiny_st_config(), build_st_model, epochs=[1])
    marker = tmp_path / "pwned"
    torch.save({"encoder.embed.0.weight": Evil(marker)}, exp / "2epoch.pth")
    with pytest.raises(pickle.UnpicklingError, match="mkdir"):
        sc.run([exp], data_dir, tmp_path / "out")
    assert not marker.exists()
