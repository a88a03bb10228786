"""CI run of the discrete-units recipe (egs2/mustc_discrete/st1, issue 5), stages 1-13, on the tiny
mini corpus: MFCC units with tiny k-means and unit-BPE settings, the AED on single-task ST and the
CTC model on ST + MT (two data variants, two statistics dirs, beam search and CTC decoding),
trained for a few steps. The checks read the results table, the data each system trained and
decoded on, and translate from the packs. The other variants and families (AED on ST + MT and on
ST + MT + external MT, CTC/attention, RNN-T) run in the slow test."""

from __future__ import annotations

import math

import pytest
import yaml

from espnet_ext.pipeline.datadir import read_map
from espnet_ext.scoring.results import load_results, parse_markdown_table
from tests.recipes.recipe_runner import copy_recipe, run_recipe

SHORT_TRAINING = "--max_epoch 1 --num_iters_per_epoch 3"
TINY_UNITS = "--n_clusters 50 --unit_nbpe 100 --kmeans_n_init 1 --kmeans_max_utts 60"
UNITS_TAG = "mfcc_k50"  # run.sh names the units after the final feature type and cluster count
TEST_SET = "tst-COMMON.en-de"
TRAIN = "train.en-de"
CI_SYSTEMS = ("aed_st", "ctc_st_mt")
SLOW_SYSTEMS = ("aed_st_mt", "aed_st_mt_ext", "ctc_att_st_mt", "rnnt_st_mt")


def _run(root, systems):
    recipe = copy_recipe("mustc_discrete", root / "mustc_discrete")
    # a few-step model rarely stops by itself: decode greedily with a short length limit. Set in
    # the (copied) decoding config, so stage 11 and the packs decode alike
    conf = recipe / "conf" / "mini"
    (conf / "decode_discrete.yaml").write_text(
        yaml.safe_dump({"beam_size": 1, "maxlenratio": 0.3})
    )
    (conf / "decode_discrete_rnnt.yaml").write_text(yaml.safe_dump({"beam_size": 1}))
    run_recipe(
        recipe,
        ["--mini_size", "tiny", "--conf_dir", "conf/mini", "--nj", "2", "--inference_nj", "1",
         "--test_sets", TEST_SET, "--systems", " ".join(systems), "--units_opts", TINY_UNITS,
         "--train_args", SHORT_TRAINING],
        env={"MINI_CORPUS_ROOT": str(root / "mini_corpus"), "CMD_BACKEND": "local"},
    )  # fmt: skip
    return recipe


@pytest.fixture(scope="module")
def recipe(tmp_path_factory):
    return _run(tmp_path_factory.mktemp("discrete_recipe"), CI_SYSTEMS)


def _check_rows(recipe, systems):
    rows = {(r["system"], r["test_set"]): r for r in load_results(recipe / "exp")}
    for system in systems:
        row = rows[(system, TEST_SET)]
        assert row["metric"] == "bleu" and row["task"] == "discrete", row
        assert isinstance(row["bleu"], float) and math.isfinite(row["bleu"]) and row["bleu"] >= 0
        assert row["n_sentences"] == 30 and row["rtf"] > 0, row
    table = parse_markdown_table((recipe / "exp" / "RESULTS.md").read_text())
    assert {r["System"] for r in table if r["Test set"] == TEST_SET} == set(systems)
    for system in systems:
        assert (recipe / "exp" / system / "packed" / f"{system}.zip").stat().st_size > 0


def _check_training_data(recipe, systems):
    """Each system trained on its variant's data dir, with the statistics of that variant."""
    data = recipe / "dump" / "units" / UNITS_TAG / "data"
    for system in systems:
        variant = "st" + system.split("_st", 1)[1]  # <family>_<variant>
        config = yaml.safe_load((recipe / "exp" / system / "config.yaml").read_text())
        train = {name: path for path, name, _ in config["train_data_path_and_name_and_type"]}
        assert train["src_text"] == f"dump/units/{UNITS_TAG}/data/{TRAIN}.{variant}/src"
        valid = {name: path for path, name, _ in config["valid_data_path_and_name_and_type"]}
        assert valid["src_text"] == f"dump/units/{UNITS_TAG}/data/dev.en-de.st/src"
        # the joint vocabulary is the source side, stage 5's target BPE the target
        joint = (data.parent / "joint" / "tokens.txt").read_text().split("\n")
        assert config["src_token_list"] == [t for t in joint if t]
        stats = recipe / "exp" / f"stats_discrete_{variant}_{TRAIN}"
        shapes = read_map(stats / "train" / "src_text_shape")
        assert shapes.keys() == read_map(data / f"{TRAIN}.{variant}" / "src").keys()


def _check_decoding(recipe, systems):
    """Decoding read the speech-only test dir; the reference is that dir's target."""
    test_dir = recipe / "dump" / "units" / UNITS_TAG / "data" / f"{TEST_SET}.st"
    keys = read_map(test_dir / "src").keys()
    assert all(k.startswith("st-") for k in keys) and len(keys) == 30
    for system in systems:
        decoded = next((recipe / "exp" / system).glob(f"decode_*/{TEST_SET}"))
        assert read_map(decoded / "text").keys() == keys
        assert (decoded / "ref").read_text() == (test_dir / "text.tc.de").read_text()


def test_results_table_has_every_system_with_bleu(recipe):
    _check_rows(recipe, CI_SYSTEMS)
    stages = [
        line.split("\t")[0]
        for line in (recipe / "exp" / "stage_seconds.tsv").read_text().splitlines()
    ]
    assert stages == [str(s) for s in range(1, 14)]


def test_systems_train_on_their_data_variant(recipe):
    _check_training_data(recipe, CI_SYSTEMS)
    data = recipe / "dump" / "units" / UNITS_TAG / "data"
    kinds = {
        v: sorted(set(read_map(data / f"{TRAIN}.{v}" / "utt2kind").values()))
        for v in ("st", "st_mt", "st_mt_ext")
    }
    # the mini corpus's text-only part became the external MT data (run.sh's default)
    assert kinds == {"st": ["st"], "st_mt": ["mt", "st"], "st_mt_ext": ["ext", "mt", "st"]}
    # one statistics dir per (task, data variant) of the selected systems
    assert {p.name for p in (recipe / "exp").glob("stats_*")} == {
        f"stats_discrete_st_{TRAIN}", f"stats_discrete_st_mt_{TRAIN}"
    }  # fmt: skip
    # CTC reports no accuracy: it decodes its loss-based average (systems.yaml inference_model)
    assert (recipe / "exp" / "ctc_st_mt" / "valid.loss.ave.pth").exists()
    assert not list((recipe / "exp" / "ctc_st_mt").glob("valid.acc.*"))


def test_decoding_reads_the_units_of_the_test_set(recipe):
    _check_decoding(recipe, CI_SYSTEMS)


def test_packed_system_translates_like_stage_11(recipe, tmp_path):
    """The pack (model + k-means codebook + joint vocabulary) turns the test set's audio into
    units itself; its translations equal what stage 11 decoded from the dumped units."""
    from espnet_ext import Translator

    wavs = read_map(recipe / "dump" / "raw" / TEST_SET / "wav.scp")
    utts = sorted(wavs)[:2]
    for system in CI_SYSTEMS:
        decoded = read_map(next((recipe / "exp" / system).glob(f"decode_*/{TEST_SET}")) / "text")
        translator = Translator.from_pack(
            recipe / "exp" / system / "packed" / f"{system}.zip", vad=None,
            cache_dir=tmp_path / "cache",
        )  # fmt: skip
        results = translator.translate_batch([str(recipe / wavs[u]) for u in utts])
        assert [r.text for r in results] == [decoded[f"st-{u}"] for u in utts], system


@pytest.mark.slow
def test_external_mt_ctc_attention_and_rnnt_systems(tmp_path_factory):
    recipe = _run(tmp_path_factory.mktemp("discrete_recipe_slow"), SLOW_SYSTEMS)
    _check_rows(recipe, SLOW_SYSTEMS)
    _check_training_data(recipe, SLOW_SYSTEMS)
    _check_decoding(recipe, SLOW_SYSTEMS)
