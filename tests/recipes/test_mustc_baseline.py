"""CI run of the MuST-C baseline recipe, stages 1-13, on the tiny mini corpus with the mini configs
shortened to a few training steps: once with the local backend (every system), once on a real
one-node Slurm cluster (one system). The checks read the numbers of the results table."""

from __future__ import annotations

import json
import math
import re
import shutil

import pytest

from espnet_ext.scoring.results import load_results, parse_markdown_table
from tests.recipes.recipe_runner import copy_recipe, run_recipe

SHORT_TRAINING = "--max_epoch 1 --num_iters_per_epoch 3 --batch_bins 400000"
# a few-step model rarely stops by itself, so decoding runs to its length limit: keep the beam small
SHORT_DECODING = "--beam_size 2"


@pytest.fixture(scope="session")
def mini_corpus_root(tmp_path_factory):
    # shared by the recipe tests of one pytest process: the corpus is generated on first use
    return tmp_path_factory.mktemp("mini_corpus")


def _rows_by_system(exp):
    rows = load_results(exp)
    return {(r["system"], r.get("test_set")): r for r in rows}


def _check_stage_files(recipe, systems, test_set):
    for system in systems:
        exp = recipe / "exp" / system
        info = json.loads((exp / "train_info.json").read_text())
        assert 0 < info["trainable_params"] <= info["total_params"], info
        assert info["train_wall_s"] > 0
        # run_train.sh re-runs exactly this training: one command line with every option
        script = (exp / "run_train.sh").read_text().splitlines()
        assert len(script) == 5 and script[3] == ". ./path.sh", script
        assert f"--output_dir exp/{system} " in script[4] and "--train_data_path" in script[4]
        decode = next(exp.glob(f"decode_*/{test_set}"))
        hyps = (decode / "text").read_text().splitlines()
        refs = (decode / "ref").read_text().splitlines()
        assert [h.split(" ", 1)[0] for h in hyps] == [r.split(" ", 1)[0] for r in refs]
        rtf = json.loads((decode / "rtf.json").read_text())
        assert rtf["n_utts"] == len(refs) and rtf["rtf"] > 0


def test_baseline_recipe_local_backend(tmp_path, mini_corpus_root):
    recipe = copy_recipe("mustc_baseline", tmp_path / "mustc_baseline")
    test_set = "tst-COMMON.en-de"
    run_recipe(
        recipe,
        ["--mini_size", "tiny", "--conf_dir", "conf/mini", "--nj", "1", "--inference_nj", "1",
         "--test_sets", test_set, "--train_args", SHORT_TRAINING, "--inference_args", SHORT_DECODING],
        env={"MINI_CORPUS_ROOT": str(mini_corpus_root), "CMD_BACKEND": "local"},
    )  # fmt: skip
    systems = ["asr", "mt", "st_scratch", "st_asrinit", "st_conformer_ctc"]
    _check_stage_files(recipe, systems, test_set)
    rows = _rows_by_system(recipe / "exp")
    for system in systems:
        row = rows[(system, test_set)]
        metric = "wer" if system == "asr" else "bleu"
        value = row[metric]
        assert isinstance(value, float) and math.isfinite(value) and value >= 0, row
    # the same numbers as the Markdown table the user reads
    table = parse_markdown_table((recipe / "exp" / "RESULTS.md").read_text())
    assert {r["System"] for r in table} >= set(systems)
    # stage 1 validated the data dirs and recorded what preparation kept
    report = json.loads((recipe / "data" / "train.en-de" / "prep_report.json").read_text())
    assert (
        report["kept"] > 100
        and report["kept"] + sum(report["skipped"].values()) == report["input_segments"]
    )
    stages = [
        line.split("\t")[0]
        for line in (recipe / "exp" / "stage_seconds.tsv").read_text().splitlines()
    ]
    assert stages == [str(s) for s in range(1, 14)]
    assert (recipe / "exp" / "st_scratch" / "packed" / "st_scratch.zip").stat().st_size > 0
    _check_import_into_another_recipe(recipe, tmp_path, mini_corpus_root)


def _check_import_into_another_recipe(recipe, tmp_path, mini_corpus_root):
    """st.sh --import_systems: a second recipe with the same data takes this run's ASR in stage 8
    instead of training it, and refuses it once its own ASR config differs."""
    other = copy_recipe("mustc_baseline", tmp_path / "other")
    for item in ("data", "dump", "exp/stats_asr_train.en-de"):
        shutil.copytree(recipe / item, other / item, symlinks=True)
    args = ["--mini_size", "tiny", "--conf_dir", "conf/mini", "--stage", "8", "--stop_stage", "8",
            "--systems", "asr", "--import_systems", f"asr={recipe}/exp/asr"]  # fmt: skip
    env = {"MINI_CORPUS_ROOT": str(mini_corpus_root), "CMD_BACKEND": "local"}
    output = run_recipe(other, args, env=env)
    assert "asr: importing" in output
    source, copy = recipe / "exp" / "asr", other / "exp" / "asr"
    record = json.loads((copy / "imported_from.json").read_text())
    assert record["source"] == str(source.resolve())
    assert (copy / record["model_file"]).read_bytes() == (
        source / record["model_file"]
    ).read_bytes()
    info = json.loads((copy / "train_info.json").read_text())
    assert info["imported_from"] == str(source.resolve())
    assert (
        info["train_wall_s"]
        == json.loads((source / "train_info.json").read_text())["train_wall_s"]
    )
    assert (copy / ".done").is_file()

    shutil.rmtree(copy)
    conf = other / "conf" / "mini" / "asr_transformer.yaml"
    conf.unlink()  # a copy of the baseline's file, edited here only
    text = (recipe / "conf" / "mini" / "asr_transformer.yaml").read_text()
    conf.write_text(text.replace("num_blocks: 6", "num_blocks: 5", 1))
    with pytest.raises(
        AssertionError, match=r"(?s)model configuration differs: encoder_conf.*cannot import"
    ):
        run_recipe(other, args, env=env)
    assert not (copy / ".done").exists()


@pytest.mark.slurm
def test_baseline_recipe_slurm_backend(tmp_path, mini_corpus_root, slurm_cluster):
    recipe = copy_recipe("mustc_baseline", tmp_path / "mustc_baseline")
    test_set = "tst-COMMON.en-de"
    run_recipe(
        recipe,
        ["--mini_size", "tiny", "--conf_dir", "conf/mini", "--nj", "2", "--inference_nj", "2",
         "--systems", "st_scratch", "--test_sets", test_set, "--train_args", SHORT_TRAINING],
        env={"MINI_CORPUS_ROOT": str(mini_corpus_root), "CMD_BACKEND": "slurm"},
    )  # fmt: skip
    _check_stage_files(recipe, ["st_scratch"], test_set)
    row = _rows_by_system(recipe / "exp")[("st_scratch", test_set)]
    assert math.isfinite(row["bleu"])
    # the jobs really went through Slurm: the launcher's batch scripts and per-task logs exist
    assert list((recipe / "exp" / "st_scratch").glob("decode_*/*/logs/q/*.sh"))
    assert "backend=slurm" in (recipe / "exp" / "st_scratch" / "train.log").read_text()


@pytest.mark.slurm
def test_asr_training_on_two_slurm_nodes(tmp_path, mini_corpus_root, slurm_two_node_cluster):
    """--num_nodes 2: st.sh trains through espnet2.bin.launch, which submits one job over two
    nodes (our Slurm backend) whose srun starts one training process per node (DDP, gloo on the
    CPU); the model it writes decodes and scores like any other."""
    cluster = slurm_two_node_cluster
    recipe = copy_recipe("mustc_baseline", tmp_path / "mustc_baseline")
    test_set = "tst-COMMON.en-de"
    run_recipe(
        recipe,
        ["--mini_size", "tiny", "--conf_dir", "conf/mini", "--nj", "2", "--inference_nj", "2",
         "--systems", "asr", "--test_sets", test_set, "--stop_stage", "12", "--num_nodes", "2",
         "--train_args", SHORT_TRAINING, "--inference_args", SHORT_DECODING],
        env={"MINI_CORPUS_ROOT": str(mini_corpus_root), "CMD_BACKEND": "slurm",
             "SLURM_CONF": str(cluster.conf)},
    )  # fmt: skip
    exp = recipe / "exp" / "asr"
    log = (exp / "train.log").read_text()
    header = re.search(r"slurm_job=(\d+)_\d+ sbatch_opts=(\S+)", log)
    assert header and "--nodes=2" in header.group(2).split(","), log[:2000]
    # both nodes launched a task of the training job's first step (the srun)
    for node in cluster.node_names:
        slurmd_log = (cluster.root / "log" / f"slurmd.{node}.log").read_text()
        assert f"launch task StepId={header.group(1)}.0 " in slurmd_log, node
    # two training processes, and rank 0 logged as one of a world of two
    assert len(re.findall(r"^\S+python\S* \S+asr_train\.py ", log, re.M)) == 2
    assert re.search(r"^\[[^\]:]+:0/2\] .*\(trainer:\d+\) INFO: 1epoch results", log, re.M)
    _check_stage_files(recipe, ["asr"], test_set)
    row = _rows_by_system(recipe / "exp")[("asr", test_set)]
    assert math.isfinite(row["wer"])
