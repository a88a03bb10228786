"""CI run of the LST recipe (egs2/mustc_lst/st1), stages 1-13, on the tiny mini corpus with the mini
configs shortened to a few training steps: the recipe's ASR (system asr, whose frozen encoder is
the LST speech encoder) and tiny LM (system llm), LST stage A and stage B (full fine-tuning),
selected through `--systems lst_stage_b`. The checks read the results
table and the checkpoints. For CI time the LoRA system (its weights are checked in
tests/lst/test_model.py) and stage 13's packing are left out."""

from __future__ import annotations

import json
import math

import pytest
import torch

from espnet_ext.scoring.results import load_results, parse_markdown_table
from tests.recipes.recipe_runner import copy_recipe, run_recipe

SHORT_TRAINING = "--max_epoch 1 --num_iters_per_epoch 3"
# a few-step model rarely stops by itself: keep the decoded length small (in the LLM systems'
# decode configs, since --inference_args also reaches the ASR's decoder, which has no such option)
SHORT_DECODING = "max_new_tokens: 20\n"
SYSTEMS = ["llm", "lst_stage_a", "lst_stage_b"]
HF_PREFIX = "llm.model."  # the LLMBackend's Hugging Face model inside the LST model
ASR_PREFIX = "frontend.encoder.asr_model."  # the ESPnet ASR model inside the espnet_asr frontend


@pytest.fixture(scope="session")
def mini_corpus_root(tmp_path_factory):
    return tmp_path_factory.mktemp("mini_corpus")


def _load(path):
    return torch.load(path, map_location="cpu", weights_only=True)


def _exported_llm(recipe):
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(recipe / "exp" / "llm" / "hf_model")
    return {k: v for k, v in model.state_dict().items()}


def _llm_weights(state, prefix):
    """The LLM's weights of an LST checkpoint under Hugging Face names (peft's base_layer
    unwrapped), and the LoRA weights."""
    base, lora = {}, {}
    for key, value in state.items():
        if not key.startswith(prefix):
            continue
        name = key[len(prefix) :]
        if ".lora_" in name:
            lora[name] = value
        else:
            base[name.replace(".base_layer.", ".")] = value
    return base, lora


def test_lst_recipe(tmp_path, mini_corpus_root):
    recipe = copy_recipe("mustc_lst", tmp_path / "mustc_lst")
    for name in ("decode_lst.yaml", "decode_llm.yaml"):
        conf = recipe / "conf" / "mini" / name
        kept = [line for line in conf.read_text().splitlines(True) if "max_new_tokens" not in line]
        conf.write_text("".join(kept) + SHORT_DECODING)
    test_set = "tst-COMMON.en-de"
    run_recipe(
        recipe,
        ["--mini_size", "tiny", "--conf_dir", "conf/mini", "--nj", "1", "--inference_nj", "1",
         "--test_sets", test_set, "--systems", "lst_stage_b", "--pack_models", "false",
         "--train_args", SHORT_TRAINING],
        env={"MINI_CORPUS_ROOT": str(mini_corpus_root), "CMD_BACKEND": "local"},
    )  # fmt: skip
    exp = recipe / "exp"

    # stage 13: one row per system with a parsed BLEU, in results.json and in RESULTS.md
    rows = {(r["system"], r.get("test_set")): r for r in load_results(exp)}
    for system in SYSTEMS:
        bleu = rows[(system, test_set)]["bleu"]
        assert isinstance(bleu, float) and math.isfinite(bleu) and bleu >= 0, rows[
            (system, test_set)
        ]
    table = parse_markdown_table((exp / "RESULTS.md").read_text())
    assert {r["System"] for r in table} == {"asr", *SYSTEMS}
    wer = rows[("asr", test_set)]["wer"]
    assert isinstance(wer, float) and math.isfinite(wer) and wer >= 0
    for system in SYSTEMS:
        decode = next((exp / system).glob(f"decode_*/{test_set}"))
        hyps = (decode / "text").read_text().splitlines()
        refs = (decode / "ref").read_text().splitlines()
        assert [h.split(" ", 1)[0] for h in hyps] == [r.split(" ", 1)[0] for r in refs]
        assert len(refs) == 30

    # the llm system: a Hugging Face directory the LST configs loaded by path
    llm = _exported_llm(recipe)
    info = json.loads((exp / "llm" / "hf_model" / "pretrain_info.json").read_text())
    assert info["n_train_sequences"] > 1000  # text-only corpus (1,000 pairs) + target text + train
    a_config = (exp / "lst_stage_a" / "config.yaml").read_text()
    assert "exp/llm/hf_model" in a_config

    # stage A: the LLM bit-identical to the export; every adapter weight trained
    state_a = _load(exp / "lst_stage_a" / "valid.acc.best.pth")
    base_a, lora_a = _llm_weights(state_a, HF_PREFIX)
    assert not lora_a and base_a.keys() == llm.keys()
    assert all(torch.equal(base_a[k], llm[k]) for k in llm)
    frozen = json.loads((exp / "lst_stage_a" / "frozen_params.json").read_text())
    assert {k[len(HF_PREFIX) :] for k in frozen if k.startswith(HF_PREFIX)} == llm.keys()
    # the speech encoder: the ASR experiment's encoder, frozen (bit-identical to exp/asr's)
    asr = _load(exp / "asr" / "valid.acc.ave.pth")
    encoder_a = {k[len(ASR_PREFIX) :]: v for k, v in state_a.items() if k.startswith(ASR_PREFIX)}
    assert encoder_a and any(k.startswith("encoder.") for k in encoder_a)
    assert all(torch.equal(v, asr[k]) for k, v in encoder_a.items())
    frozen_asr = {k for k in frozen if k.startswith(ASR_PREFIX)}
    assert frozen_asr and frozen_asr <= {ASR_PREFIX + k for k in encoder_a}
    train_info = json.loads((exp / "lst_stage_a" / "train_info.json").read_text())
    n_llm = sum(v.numel() for k, v in llm.items() if k != "lm_head.weight")  # tied to embeddings
    n_asr = sum(encoder_a[k[len(ASR_PREFIX) :]].numel() for k in frozen_asr)
    assert train_info["frozen_params"] == n_llm + n_asr
    assert 0 < train_info["trainable_params"] < train_info["total_params"]

    # stage B (full): started from stage A's adapters, every LLM weight changed
    state_b = _load(exp / "lst_stage_b" / "valid.acc.best.pth")
    base_b, lora_b = _llm_weights(state_b, HF_PREFIX)
    assert not lora_b and base_b.keys() == llm.keys()
    changed = [k for k in llm if not torch.equal(base_b[k], llm[k])]
    assert len(changed) == len(llm), sorted(set(llm) - set(changed))
    # only the speech encoder stays frozen in stage B
    frozen_b = json.loads((exp / "lst_stage_b" / "frozen_params.json").read_text())
    assert set(frozen_b) == frozen_asr
    assert all(torch.equal(state_b[k], state_a[k]) for k in frozen_asr)
    assert "init_param" in (exp / "lst_stage_b" / "run_train.sh").read_text()

    stages = [line.split("\t")[0] for line in (exp / "stage_seconds.tsv").read_text().splitlines()]
    assert stages == [str(s) for s in range(1, 14)]
