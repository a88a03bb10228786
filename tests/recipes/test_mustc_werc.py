"""CI run of the WeRC recipe (egs2/mustc_werc/st1), stages 1-13 on the tiny mini corpus: the
baseline and the WeRC decoder from scratch, two short epochs each, one table, and the stage-13
hook's ALTI+ source-contribution CSV and plot over every epoch checkpoint of both systems.
En-De runs in CI; En-Es and En-Fr (the paper's other pairs, ``--tgt_lang``) are ``slow``."""

from __future__ import annotations

import csv
import math

import pytest
import yaml

from espnet_ext.scoring.results import load_results, parse_markdown_table
from tests.recipes.recipe_runner import copy_recipe, run_recipe

SYSTEMS = ("st_scratch", "werc_scratch")
EPOCHS = 2
SHORT_TRAINING = f"--max_epoch {EPOCHS} --num_iters_per_epoch 3 --batch_bins 400000"
SHORT_DECODING = "--beam_size 2"


@pytest.mark.parametrize(
    "tgt_lang",
    ["de", pytest.param("es", marks=pytest.mark.slow), pytest.param("fr", marks=pytest.mark.slow)],
)
def test_werc_recipe_table_and_source_contribution(tmp_path, tgt_lang):
    test_set = f"tst-COMMON.en-{tgt_lang}"
    recipe = copy_recipe("mustc_werc", tmp_path / "mustc_werc")
    run_recipe(
        recipe,
        ["--mini_size", "tiny", "--conf_dir", "conf/mini", "--nj", "1", "--inference_nj", "1",
         "--tgt_lang", tgt_lang, "--systems", " ".join(SYSTEMS), "--test_sets", test_set,
         "--train_args", SHORT_TRAINING, "--inference_args", SHORT_DECODING],
        env={"MINI_CORPUS_ROOT": str(tmp_path / "mini_corpus"), "CMD_BACKEND": "local"},
    )  # fmt: skip
    exp = recipe / "exp"

    # the two systems differ only in the decoder, and the WeRC one really has it
    configs = {s: yaml.safe_load((exp / s / "config.yaml").read_text()) for s in SYSTEMS}
    assert configs["st_scratch"]["decoder"] == "transformer"
    assert configs["werc_scratch"]["decoder"] == "werc_transformer"
    assert configs["werc_scratch"]["decoder_conf"]["werc_weight"] == 0.65

    rows = {(r["system"], r["test_set"]): r for r in load_results(exp)}
    for system in SYSTEMS:
        bleu = rows[(system, test_set)]["bleu"]
        assert isinstance(bleu, float) and math.isfinite(bleu) and bleu >= 0
    table = parse_markdown_table((exp / "RESULTS.md").read_text())
    assert {r["System"] for r in table} >= set(SYSTEMS)

    # stage 13's hook: one row per kept epoch checkpoint of each ST system, shares in [0, 1]
    out = exp / "source_contribution"
    with open(out / "source_contribution.csv", newline="") as f:
        found = list(csv.DictReader(f))
    by_system = {
        s: sorted(int(r["epoch"]) for r in found if r["experiment"] == s) for s in SYSTEMS
    }
    assert by_system == {s: list(range(1, EPOCHS + 1)) for s in SYSTEMS}, found
    for row in found:
        assert 0.0 <= float(row["source_share"]) <= 1.0, row
        assert int(row["n_utts"]) > 0 and int(row["step"]) == 3 * int(row["epoch"]), row
    assert (out / "source_contribution.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
