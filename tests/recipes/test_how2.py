"""The How2 recipe, stages 1-13, on the tiny mini corpus with the mini configs (local backend).

CI runs ASR + the Marian MT stage + one connector (STE, ECED); the full system set is the slow
variant. Training is cut to two steps of one epoch and decoding to greedy search: the point is
that every stage runs and the results tables hold real, parsed numbers, not good ones.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import yaml

from espnet_ext.scoring.results import load_results, parse_markdown_table, read_results_json
from tests.recipes.recipe_runner import copy_recipe, run_recipe

RECIPE = Path(__file__).resolve().parents[2] / "egs2" / "how2" / "st1"
DEV = "dev5.en-pt"
SHORT_TRAINING = "--max_epoch 1 --num_iters_per_epoch 2"
# a two-step model rarely stops by itself, so decoding runs to its length limit: greedy search
SHORT_DECODING = "--beam_size 1"


@pytest.fixture(scope="session")
def mini_corpus_root(tmp_path_factory):
    # shared by the recipe tests of one pytest process: the corpus is generated on first use
    return tmp_path_factory.mktemp("mini_corpus")


def how2_run(tmp: Path, corpus_root: Path, systems: str) -> Path:
    recipe = copy_recipe("how2", tmp / "how2")
    # an untrained model never ends its output: cut the Hugging Face decoders' length limit
    for name in ("decode_connector.yaml", "decode_mt_marian.yaml"):
        conf = recipe / "conf" / "mini" / name
        conf.write_text(yaml.safe_dump({**yaml.safe_load(conf.read_text()), "max_new_tokens": 20}))
    run_recipe(
        recipe,
        ["--mini_size", "tiny", "--conf_dir", "conf/mini", "--systems", systems,
         "--nj", "1", "--inference_nj", "1",
         "--train_args", SHORT_TRAINING, "--inference_args", SHORT_DECODING],
        env={"MINI_CORPUS_ROOT": str(corpus_root), "CMD_BACKEND": "local", "HOW2": ""},
    )  # fmt: skip
    return recipe


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
        assert rows[system]["total_params"] > 5 * connector


def test_how2_recipe_asr_mt_and_a_connector(tmp_path, mini_corpus_root):
    systems = ["asr", "mt", "ste_eced"]
    recipe = how2_run(tmp_path, mini_corpus_root, " ".join(systems))
    check_results(recipe, systems)
    # one pass: the connector's statistics wait for its training (it loads exp/asr, exp/mt)
    stages = [
        line.split("\t")[0]
        for line in (recipe / "exp" / "stage_seconds.tsv").read_text().splitlines()
    ]
    assert stages == [str(s) for s in range(1, 14)]
    log = (recipe / "run.log").read_text()
    assert "connector: statistics are collected when its first system trains" in log
    order = ["  mt: training (", "  connector: collecting statistics", "  ste_eced: training ("]
    assert sorted(order, key=log.index) == order


@pytest.mark.slow
def test_how2_recipe_every_system(tmp_path, mini_corpus_root):
    systems = list(yaml.safe_load((RECIPE / "conf" / "systems.yaml").read_text()))
    check_results(how2_run(tmp_path, mini_corpus_root, ""), systems)
