"""CI run of the exporter recipe (egs2/mustc_exporter/st1, issue 7), stages 1-13, on the tiny mini
corpus with the mini configs shortened to a few training steps: ASR, MT, their assembled 1-best
cascade and the two exporters end up in one results table; the checks read its numbers and the
experiment dirs the pipeline wrote."""

from __future__ import annotations

import json
import math

import pytest
import torch
import yaml

from espnet_ext.scoring.results import load_results, parse_markdown_table
from tests.bench_scripts import load_bench
from tests.recipes.recipe_runner import copy_recipe, run_recipe

SHORT_TRAINING = "--max_epoch 1 --num_iters_per_epoch 3 --batch_bins 400000"
# a few-step model rarely stops by itself, so decoding runs to its length limit: keep the beam small
# and the limit short (every decoder takes --maxlenratio: ASR of the encoder length, MT, cascade and
# exporter of the source length)
SHORT_DECODING = "--beam_size 1 --maxlenratio 0.3"
TEST_SET = "tst-COMMON.en-de"
SYSTEMS = ("asr", "mt", "cascade", "exporter_fixed", "exporter_trained")
MODEL = "valid.acc.ave_3best.pth"  # run_mustc.sh's --inference_model for conf/mini


@pytest.fixture(scope="module")
def recipe(tmp_path_factory):
    root = tmp_path_factory.mktemp("exporter_recipe")
    recipe = copy_recipe("mustc_exporter", root / "mustc_exporter")
    run_recipe(
        recipe,
        ["--mini_size", "tiny", "--conf_dir", "conf/mini", "--nj", "1", "--inference_nj", "1",
         "--test_sets", TEST_SET, "--train_args", SHORT_TRAINING,
         "--inference_args", SHORT_DECODING],
        env={"MINI_CORPUS_ROOT": str(root / "mini_corpus"), "CMD_BACKEND": "local"},
    )  # fmt: skip
    return recipe


def _state(path) -> dict[str, torch.Tensor]:
    return torch.load(path, map_location="cpu", weights_only=True)


def _model_file(exp):
    from espnet_ext.pipeline.decode_outputs import resolve_model_file

    return resolve_model_file(exp, MODEL)


def test_one_table_with_every_system_and_its_metric(recipe):
    rows = {(r["system"], r["test_set"]): r for r in load_results(recipe / "exp")}
    for system in SYSTEMS:
        row = rows[(system, TEST_SET)]
        metric = "wer" if system == "asr" else "bleu"
        assert row["metric"] == metric, row
        value = row[metric]
        assert isinstance(value, float) and math.isfinite(value) and value >= 0, row
        assert row["n_sentences"] == 30 and row["rtf"] > 0, row
    assert rows[("cascade", TEST_SET)]["task"] == "cascade"
    assert rows[("exporter_fixed", TEST_SET)]["task"] == "exporter"
    # the same rows in the Markdown table the user reads
    table = parse_markdown_table((recipe / "exp" / "RESULTS.md").read_text())
    assert {r["System"] for r in table if r["Test set"] == TEST_SET} == set(SYSTEMS)
    stages = [
        line.split("\t")[0]
        for line in (recipe / "exp" / "stage_seconds.tsv").read_text().splitlines()
    ]
    assert stages == [str(s) for s in range(1, 14)]
    # statistics: the exporter's collected when it trained (after asr and mt); none for the cascade
    assert (recipe / "exp" / "stats_exporter_train.en-de" / ".done").is_file()
    assert not (recipe / "exp" / "stats_cascade_train.en-de").exists()
    for system in SYSTEMS:
        assert (recipe / "exp" / system / "packed" / f"{system}.zip").stat().st_size > 0


def test_cascade_is_assembled_from_the_decoded_asr_and_mt(recipe):
    exp = recipe / "exp"
    config = yaml.safe_load((exp / "cascade" / "config.yaml").read_text())
    assert config["task"] == "cascade" and config["freeze_param"] == ["asr", "mt"]
    assert (config["asr_exp"], config["mt_exp"]) == ("exp/asr", "exp/mt")
    # the cascade holds exactly the checkpoints the pipeline decodes asr and mt with
    cascade = _state(_model_file(exp / "cascade"))
    for part in ("asr", "mt"):
        source = _model_file(exp / part)
        assert config[f"{part}_model_file"] == source.name
        weights = _state(source)
        ours = {k[len(part) + 1 :]: v for k, v in cascade.items() if k.startswith(part + ".")}
        assert ours.keys() == weights.keys()
        assert all(torch.equal(ours[k], v) for k, v in weights.items())
    info = json.loads((exp / "cascade" / "train_info.json").read_text())
    total = sum(
        json.loads((exp / part / "train_info.json").read_text())["total_params"]
        for part in ("asr", "mt")
    )
    assert info["trainable_params"] == 0 and info["total_params"] == total


def test_cascade_decoding_equals_the_cascade_of_the_two_exp_dirs(recipe, tmp_path, monkeypatch):
    """Stage 11's output for the assembled cascade = cascade_inference on exp/asr + exp/mt."""
    from espnet_ext.bin import cascade_inference

    exp = recipe / "exp"
    decoded = next((exp / "cascade").glob(f"decode_*/{TEST_SET}"))
    monkeypatch.chdir(recipe)  # the ASR/MT configs name their files relative to the recipe
    cascade_inference.main(
        ["--asr_exp", "exp/asr", "--mt_exp", "exp/mt",
         "--asr_model_file", _model_file(exp / "asr").name,
         "--mt_model_file", _model_file(exp / "mt").name,
         "--data_dir", f"dump/raw/{TEST_SET}", "--output_dir", str(tmp_path / "direct"),
         "--config", "conf/mini/decode_mt.yaml", *SHORT_DECODING.split()]
    )  # fmt: skip
    assert (tmp_path / "direct" / "text").read_text() == (decoded / "text").read_text()


def test_exporters_keep_or_train_the_mt_model(recipe):
    exp = recipe / "exp"
    mt = _state(_model_file(exp / "mt"))
    changed = {}
    for system in ("exporter_fixed", "exporter_trained"):
        state = _state(_model_file(exp / system))
        assert any(k.startswith("exporter.") for k in state)
        changed[system] = [k for k, v in mt.items() if not torch.equal(state[f"mt.{k}"], v)]
    assert changed["exporter_fixed"] == []
    assert changed["exporter_trained"]
    fixed, trained = (
        json.loads((exp / s / "train_info.json").read_text())
        for s in ("exporter_fixed", "exporter_trained")
    )
    mt_params = json.loads((exp / "mt" / "train_info.json").read_text())["total_params"]
    assert trained["trainable_params"] == fixed["trainable_params"] + mt_params


def test_benchmark_collector_reads_the_recipe(recipe, tmp_path):
    bench = load_bench("bench_exporter")
    out = tmp_path / "exporter.json"
    bench.main(
        ["--exp-dir", str(recipe / "exp"), "--test-set", TEST_SET,
         "--src-ref", str(recipe / "dump" / "raw" / TEST_SET / "text.lc.rm.en"),
         "--out", str(out), "--plot", str(tmp_path / "l2.png")]
    )  # fmt: skip
    result = json.loads(out.read_text())
    assert set(result["systems"]) == set(SYSTEMS)
    assert result["systems"]["asr"]["metric"] == "wer"
    cascade = result["systems"]["cascade"]
    assert cascade["metric"] == "bleu" and 0 <= cascade["ctc_greedy_wer"]
    for system in ("exporter_fixed", "exporter_trained"):
        curve = result["l2_over_training"][system]
        assert [row["epoch"] for row in curve] == [1]
        assert curve[0]["train_l2_dist"] > 0 and curve[0]["valid_l2_dist"] > 0
    assert (tmp_path / "l2.png").stat().st_size > 0
