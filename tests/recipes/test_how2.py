"""The How2 recipe, stages 1-13, on the tiny mini corpus with the mini configs (local backend).

CI runs ASR + the Marian MT stage + one connector (STE, ECED); the full system set is the slow
variant. Training is cut to two steps of one epoch and decoding to greedy search: the point is
that every stage runs and the results tables hold real, parsed numbers, not good ones.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import torch

from espnet_ext.scoring.results import load_results, parse_markdown_table, read_results_json

ROOT = Path(__file__).resolve().parents[2]
RECIPE = ROOT / "egs2" / "how2" / "st1"
TEMPLATE_LINKS = ("cmd.sh", "db.sh", "path.sh", "scripts", "st.sh")
DEV = "dev5.en-pt"


def recipe_copy(tmp: Path) -> Path:
    """run.sh, conf/ (links resolved) and local/ copied; the TEMPLATE files linked absolutely."""
    work = tmp / "how2" / "st1"
    work.mkdir(parents=True)
    shutil.copy2(RECIPE / "run.sh", work / "run.sh")
    shutil.copytree(RECIPE / "local", work / "local")
    shutil.copytree(RECIPE / "conf", work / "conf")
    for name in TEMPLATE_LINKS:
        (work / name).symlink_to((RECIPE / name).resolve())
    return work


def run_recipe(tmp: Path, systems: str) -> Path:
    work = recipe_copy(tmp)
    env = {
        **os.environ,
        "MINI_CORPUS_ROOT": str(tmp / "corpora"),
        "HOW2": "",
        "HOW2_AUDIO": "",
        "CMD_BACKEND": "local",
    }
    cmd = [
        "./run.sh", "--mini_size", "tiny", "--systems", systems, "--nj", "1", "--inference_nj", "1",
        "--train_args", "--max_epoch 1 --num_iters_per_epoch 2",
        "--inference_args", "--beam_size 1", "--inference_model", "valid.acc.ave.pth",
    ]  # fmt: skip
    out = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-6000:] + out.stderr[-3000:]
    return work


def check_results(work: Path, systems: list[str]) -> None:
    exp = work / "exp"
    n_utts = len((work / "dump" / "raw" / DEV / "text.tc.pt").read_text().splitlines())
    rows = {r["system"]: r for r in load_results(exp) if r["test_set"] == DEV}
    assert sorted(rows) == sorted(systems)
    assert read_results_json(exp / "results.json") == load_results(exp)
    table = {r["System"]: r for r in parse_markdown_table((exp / "RESULTS.md").read_text())}
    for system, row in rows.items():
        metric = "wer" if system == "asr" else "bleu"
        assert row["metric"] == metric and row["n_sentences"] == n_utts
        assert row["missing_hyps"] == 0
        assert isinstance(row[metric], float) and row[metric] >= 0.0
        assert table[system]["BLEU" if metric == "bleu" else "WER"] == f"{row[metric]:.2f}"
        # stage 13's hook: the primary score per input-duration bucket, covering every utterance
        buckets = row["by_duration"]["buckets"]
        assert [b["max_s"] for b in buckets] == [10.0, 20.0, None]
        assert sum(b["n_sentences"] for b in buckets) == n_utts
        assert 0 < row["trainable_params"] <= row["total_params"]
    assert (exp / "bleu_by_duration.png").stat().st_size > 0
    assert "## By duration" in (exp / "RESULTS.md").read_text()

    # the MT stage left a Hugging Face model that loads by path, as the connectors load it
    from espnet_ext.connectors.mt import load_mt_model

    assert load_mt_model(str(exp / "mt" / "hf_model")).config.model_type == "marian"
    assert rows["mt"]["trainable_params"] == rows["mt"]["total_params"]
    for system in (s for s in systems if s not in ("asr", "mt", "st_scratch")):
        # only the connector trains; the table's total is the whole model
        state = torch.load(exp / system / "valid.acc.ave.pth", weights_only=True)
        connector = sum(v.numel() for k, v in state.items() if k.startswith("connector."))
        assert rows[system]["trainable_params"] == connector
        assert rows[system]["total_params"] > 10 * connector


def test_how2_recipe_asr_mt_and_a_connector(tmp_path):
    systems = ["asr", "mt", "ste_eced"]
    check_results(run_recipe(tmp_path, " ".join(systems)), systems)


@pytest.mark.slow
def test_how2_recipe_every_system(tmp_path):
    import yaml

    systems = list(yaml.safe_load((RECIPE / "conf" / "systems.yaml").read_text()))
    check_results(run_recipe(tmp_path, ""), systems)
