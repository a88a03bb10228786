"""CI run of the discrete-units recipe (egs2/mustc_discrete/st1, issue 5), stages 1-13, on the tiny
mini corpus: MFCC units with tiny k-means and unit-BPE settings, the AED on single-task ST, the
CTC model and the hierarchical CTC model on ST + MT (two data variants, two statistics dirs, beam
search and CTC decoding), trained for a few steps. The checks read the results table, the data
each system trained and decoded on, and translate from the packs. The other variants and families
(AED on ST + MT and on ST + MT + external MT, CTC/attention, RNN-T) run in the slow test."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import zipfile

import pytest
import yaml

from espnet_ext.pipeline.datadir import read_map
from espnet_ext.pipeline.systems import load_systems
from espnet_ext.scoring.results import load_results, parse_markdown_table
from tests.recipes.recipe_runner import copy_recipe, run_recipe

SHORT_TRAINING = "--max_epoch 1 --num_iters_per_epoch 3"
TINY_UNITS = "--n_clusters 50 --unit_nbpe 100 --kmeans_n_init 1 --kmeans_max_utts 60"
UNITS_TAG = "mfcc_k50"  # run.sh names the units after the final feature type and cluster count
TEST_SET = "tst-COMMON.en-de"
TRAIN = "train.en-de"
CI_SYSTEMS = ("aed_st", "ctc_st_mt", "ctc_hier")
SLOW_SYSTEMS = ("aed_st_mt", "aed_st_mt_ext", "ctc_att_st_mt", "rnnt_st_mt")


def _run(root, systems, extra=()):
    recipe = copy_recipe("mustc_discrete", root / "mustc_discrete")
    # a few-step model rarely stops by itself: decode greedily with a short length limit. Set in
    # the (copied) decoding config, so stage 11 and the packs decode alike
    conf = recipe / "conf" / "mini"
    (conf / "decode_discrete.yaml").write_text(
        yaml.safe_dump({"beam_size": 1, "maxlenratio": 0.3})
    )
    (conf / "decode_discrete_rnnt.yaml").write_text(yaml.safe_dump({"beam_size": 1}))
    (conf / "decode_mt_text.yaml").write_text(
        yaml.safe_dump({"beam_size": 1, "batch_size": 32, "max_new_tokens": 20})
    )
    run_recipe(recipe, _args(systems, extra), env=_env(root))
    return recipe


def _args(systems, extra=()):
    return ["--mini_size", "tiny", "--conf_dir", "conf/mini", "--nj", "2", "--inference_nj", "1",
            "--test_sets", TEST_SET, "--systems", " ".join(systems), "--units_opts", TINY_UNITS,
            "--train_args", SHORT_TRAINING, *extra]  # fmt: skip


def _env(root):
    return {"MINI_CORPUS_ROOT": str(root / "mini_corpus"), "CMD_BACKEND": "local"}


@pytest.fixture(scope="module")
def recipe(tmp_path_factory):
    return _run(tmp_path_factory.mktemp("discrete_recipe"), CI_SYSTEMS)


def _check_rows(recipe, systems, exp_name="exp"):
    rows = {(r["system"], r["test_set"]): r for r in load_results(recipe / exp_name)}
    for system in systems:
        row = rows[(system, TEST_SET)]
        # the recipe's own text model (task hf_mt) decodes the test set's source transcripts
        task = "hf_mt" if system == "mt_text" else "discrete"
        assert row["metric"] == "bleu" and row["task"] == task, row
        assert isinstance(row["bleu"], float) and math.isfinite(row["bleu"]) and row["bleu"] >= 0
        assert row["n_sentences"] == 30 and row["rtf"] > 0, row
    table = parse_markdown_table((recipe / exp_name / "RESULTS.md").read_text())
    assert {r["System"] for r in table if r["Test set"] == TEST_SET} == set(systems)
    for system in systems:
        assert (recipe / exp_name / system / "packed" / f"{system}.zip").stat().st_size > 0


def _check_training_data(recipe, systems, exp_name="exp"):
    """Each system trained on its variant's data dir, with the statistics of that variant."""
    data = recipe / "dump" / "units" / UNITS_TAG / "data"
    for system in systems:
        variant = load_systems(recipe / "conf" / "systems.yaml")[system].data_variant
        config = yaml.safe_load((recipe / exp_name / system / "config.yaml").read_text())
        train = {name: path for path, name, _ in config["train_data_path_and_name_and_type"]}
        assert train["src_text"] == f"dump/units/{UNITS_TAG}/data/{TRAIN}.{variant}/src"
        # every multi-task dir has the unrepeated source pieces, read by the source CTC
        assert (
            train["src_transcript"]
            == f"dump/units/{UNITS_TAG}/data/{TRAIN}.{variant}/src_transcript"
        )
        valid = {name: path for path, name, _ in config["valid_data_path_and_name_and_type"]}
        assert valid["src_text"] == f"dump/units/{UNITS_TAG}/data/dev.en-de.st/src"
        # the joint vocabulary is the source side, stage 5's target BPE the target
        joint = (data.parent / "joint" / "tokens.txt").read_text().split("\n")
        assert config["src_token_list"] == [t for t in joint if t]
        stats = recipe / exp_name / f"stats_discrete_{variant}_{TRAIN}"
        shapes = read_map(stats / "train" / "src_text_shape")
        assert shapes.keys() == read_map(data / f"{TRAIN}.{variant}" / "src").keys()


def _check_decoding(recipe, systems, exp_name="exp"):
    """Decoding read the speech-only test dir; the reference is that dir's target."""
    test_dir = recipe / "dump" / "units" / UNITS_TAG / "data" / f"{TEST_SET}.st"
    keys = read_map(test_dir / "src").keys()
    assert all(k.startswith("st-") for k in keys) and len(keys) == 30
    for system in systems:
        decoded = next((recipe / exp_name / system).glob(f"decode_*/{TEST_SET}"))
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
    # the hierarchical CTC model trained its source CTC on the lower encoder
    config = yaml.safe_load((recipe / "exp" / "ctc_hier" / "config.yaml").read_text())
    assert config["hier_encoder"] == "transformer" and config["model_conf"]["src_ctc_weight"] > 0
    log = (recipe / "exp" / "ctc_hier" / "train.log").read_text()
    assert re.search(r"loss_src_ctc=\d", log), "no source CTC loss in the training log"


def test_decoding_reads_the_units_of_the_test_set(recipe):
    _check_decoding(recipe, CI_SYSTEMS)


def test_gpu_inference_gives_each_decoding_job_a_gpu(recipe):
    """--gpu_inference true: stage 11's jobs run through cuda_cmd (sharing GPU 0 by
    --inference_jobs_per_gpu) and hand the decoder --ngpu 1.
    Where torch sees no GPU (CI), the stage fails and the job log says why; on a GPU machine the
    set decodes and rtf.json records the device."""
    import torch

    # the fixture's trained system, in an experiment dir of its own (the other tests read exp/)
    exp = recipe / "exp_gpu_inference"
    shutil.copytree(
        recipe / "exp" / "aed_st", exp / "aed_st", ignore=shutil.ignore_patterns("decode_*")
    )
    decode = exp / "aed_st" / "decode_gpu" / TEST_SET
    args = ["--stage", "11", "--stop_stage", "11", "--gpu_inference", "true",
            "--inference_jobs_per_gpu", "2", "--inference_tag", "decode_gpu",
            "--expdir", exp.name]  # fmt: skip
    # GPU 0 as the local backend's pool (also where torch sees none): the header shows the share
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        **_env(recipe.parent),
        "CUDA_VISIBLE_DEVICES": "0",
    }
    proc = subprocess.run(
        ["./run.sh", *_args(["aed_st"], args)], cwd=recipe, capture_output=True, text=True,
        env=env, timeout=600,
    )  # fmt: skip
    output = proc.stdout + proc.stderr
    assert "aed_st tst-COMMON.en-de: 1 GPU jobs" in output, output[-3000:]
    job_log = (decode / "logs" / "decode.1.log").read_text()
    assert re.search(r"espnet_ext\.bin\.discrete_inference --ngpu 1 ", job_log), job_log[:2000]
    assert job_log.splitlines()[2].endswith("gpus=0 jobs_per_gpu=2"), job_log[:2000]
    if torch.cuda.is_available():
        assert proc.returncode == 0, output[-3000:]
        assert json.loads((decode / "rtf.json").read_text())["device"] == "gpu"
    else:
        assert proc.returncode != 0
        assert "--ngpu 1 asks for a GPU, but torch finds none" in job_log, job_log[-2000:]
        assert "decode.1.log" in output and not (decode / "text").exists()
    # the CPU decoding of the fixture recorded its device
    cpu_rtf = next((recipe / "exp" / "aed_st").glob(f"decode_[!g]*/{TEST_SET}/rtf.json"))
    assert json.loads(cpu_rtf.read_text())["device"] == "cpu"


def test_packed_system_translates_like_stage_11(recipe, tmp_path):
    """The pack (model + k-means codebook + joint vocabulary) turns the test set's audio into
    units itself; its translations equal what stage 11 decoded from the dumped units."""
    _check_pack_translates(recipe, CI_SYSTEMS, tmp_path)


def _check_pack_translates(recipe, systems, tmp_path, exp_name="exp"):
    from espnet_ext import Translator

    wavs = read_map(recipe / "dump" / "raw" / TEST_SET / "wav.scp")
    utts = sorted(wavs)[:2]
    for system in systems:
        decoded = read_map(
            next((recipe / exp_name / system).glob(f"decode_*/{TEST_SET}")) / "text"
        )
        translator = Translator.from_pack(
            recipe / exp_name / system / "packed" / f"{system}.zip", vad=None,
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


PRETRAINED_SYSTEMS = ("mt_text", "aed_st_mt_pretrained")
EXP_PRETRAINED = "exp_pretrained"


def _transferred_counts(train_log: str) -> tuple[int, int, int]:
    """(source embedding, target embedding, output layer) rows hf_seq2seq copied, from train.log."""
    enc = re.search(r"hf_model encoder: (\d+) of \d+ source embedding rows", train_log)
    dec = re.search(r"hf_model decoder: (\d+) target embedding and (\d+) output rows", train_log)
    assert enc and dec, "train.log does not report the transferred rows"
    return int(enc.group(1)), int(dec.group(1)), int(dec.group(2))


@pytest.mark.slow
def test_aed_from_the_recipes_own_text_model(tmp_path_factory, monkeypatch):
    """mt_text (task hf_mt) trains on the corpus text and is exported to <expdir>/mt_text/hf_model;
    aed_st_mt_pretrained (conf/mini/discrete_aed_pretrained.yaml) starts from it: every text piece
    of the joint vocabulary and every target piece gets mt_text's row, the transformer layers are
    mt_text's, and the statistics wait for mt_text (stage 7 has no other st_mt system)."""
    import torch
    from safetensors.torch import load_file

    # an experiment dir other than exp/: the config names the exported model as
    # {expdir}/mt_text/hf_model, which the pipeline fills in with this run's --expdir
    recipe = _run(
        tmp_path_factory.mktemp("discrete_recipe_pretrained"),
        PRETRAINED_SYSTEMS,
        extra=("--expdir", EXP_PRETRAINED),
    )
    exp = recipe / EXP_PRETRAINED
    assert not (recipe / "exp").exists()
    rendered = yaml.safe_load((exp / "rendered_conf" / "discrete_aed_pretrained.yaml").read_text())
    assert rendered["encoder_conf"]["name_or_path"] == f"{EXP_PRETRAINED}/mt_text/hf_model"
    _check_rows(recipe, PRETRAINED_SYSTEMS, EXP_PRETRAINED)
    _check_training_data(recipe, PRETRAINED_SYSTEMS[1:], EXP_PRETRAINED)
    _check_decoding(recipe, PRETRAINED_SYSTEMS[1:], EXP_PRETRAINED)

    log = (recipe / "run.log").read_text()
    order = [
        "  mt_text: training (",
        "  discrete: collecting statistics",
        "  aed_st_mt_pretrained: training (",
    ]
    assert sorted(order, key=log.index) == order
    assert "aed_st_mt_pretrained: statistics are collected when it trains" in log

    # the rows transferred: the joint vocabulary's text part is stage 5's source model, as is
    # mt_text's source vocabulary, so every text piece (and <unk>, <sos/eos>) is copied; no unit
    # piece is; on the target side every piece of the shared target list is
    joint = (recipe / "dump/units" / UNITS_TAG / "joint/tokens.txt").read_text().split()
    src_pieces = [
        t
        for t in next((recipe / "data/token_list").glob(f"{TRAIN}/src_*/tokens.txt"))
        .read_text()
        .split()
        if t not in ("<blank>", "<unk>", "<sos/eos>")
    ]
    tgt_list = (
        next((recipe / "data/token_list").glob(f"{TRAIN}/tgt_*/tokens.txt")).read_text().split()
    )
    assert set(src_pieces) <= set(joint)
    n_src, n_tgt_in, n_tgt_out = _transferred_counts(
        (exp / "aed_st_mt_pretrained" / "train.log").read_text()
    )
    print(f"transferred rows: source {n_src} of {len(joint)} (text pieces {len(src_pieces)}), "
          f"target embedding {n_tgt_in} and output {n_tgt_out} of {len(tgt_list)}")  # fmt: skip
    assert n_src == len(src_pieces) + 2
    assert n_tgt_in == n_tgt_out == len(tgt_list) - 1  # all but <blank>

    # the transformer layers started from mt_text's: after 3 warm-up steps (learning rate about
    # 5e-6) the trained checkpoint is still within Adam's few-step reach of the exported weights,
    # while any re-initialisation would be far off
    hf = load_file(exp / "mt_text" / "hf_model" / "model.safetensors")
    trained = torch.load(exp / "aed_st_mt_pretrained" / "1epoch.pth", map_location="cpu")
    compared = 0
    for key, value in hf.items():
        for side in ("encoder", "decoder"):
            prefix = f"model.{side}.layers."
            if key.startswith(prefix):
                ours = trained[f"{side}.stack.layers." + key[len(prefix) :]]
                assert torch.allclose(ours, value, atol=1e-4), key
                compared += 1
    assert compared > 20

    # the pack names the exported model its config loads by path and translates audio as stage 11
    # decoded the dumped units. Without --self-contained a pack names a local pretrained model by
    # its absolute path, so it translates from any directory
    pack = exp / "aed_st_mt_pretrained" / "packed" / "aed_st_mt_pretrained.zip"
    with zipfile.ZipFile(pack) as z:
        meta = json.loads(z.read("meta.json"))
    hf_model = str((exp / "mt_text" / "hf_model").resolve())
    assert {p["local_path"] for p in meta["pretrained"]} == {hf_model}
    monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))
    _check_pack_translates(
        recipe, ["aed_st_mt_pretrained"], tmp_path_factory.mktemp("cache"), EXP_PRETRAINED
    )
