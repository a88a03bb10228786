"""The LST recipe's pipeline glue: the ``lst_lm`` task (the tiny LM with ESPnet's options, its text
translation), the ``fbank`` frontend and ``from_config`` HF frontends, the registry entries and the
recipe's systems files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import yaml

from tests.fixtures.lst import PROMPT, WORDS_DE, WORDS_EN, random_sentences

REPO = Path(__file__).resolve().parents[2]
RECIPE = REPO / "egs2" / "mustc_lst" / "st1"

LM_CONF = {
    "vocab_size": 320,
    "hidden_size": 32,
    "intermediate_size": 64,
    "num_layers": 2,
    "num_heads": 4,
    "epochs": 3,
    "batch_size": 16,
    "lr": 3e-3,
    "warmup_steps": 5,
    "n_valid": 30,
    "select_best": True,
}


def _kaldi(path: Path, lines: list[str], prefix: str = "utt") -> None:
    path.write_text("".join(f"{prefix}{i:03d} {line}\n" for i, line in enumerate(lines)))


@pytest.fixture(scope="module")
def lm_dirs(tmp_path_factory):
    """A pipeline-like layout: dump/raw/{train,dev} Kaldi texts, a text-only corpus, configs."""
    root = tmp_path_factory.mktemp("lm_task")
    for split, n, seed in (("train", 60, 0), ("dev", 12, 10)):
        d = root / "dump" / split
        d.mkdir(parents=True)
        _kaldi(d / "text.tc.en", random_sentences(WORDS_EN, n, seed))
        _kaldi(d / "text.tc.de", random_sentences(WORDS_DE, n, seed + 1))
    text_only = root / "data" / "text_only.en-de"
    text_only.mkdir(parents=True)
    (text_only / "train.en").write_text("\n".join(random_sentences(WORDS_EN, 200, 3)) + "\n")
    (text_only / "train.de").write_text("\n".join(random_sentences(WORDS_DE, 200, 4)) + "\n")
    conf = root / "conf"
    conf.mkdir()
    (conf / "lst.yaml").write_text(yaml.safe_dump({"prompt_conf": {"template": PROMPT}}))
    (conf / "lm.yaml").write_text(
        yaml.safe_dump(
            {
                "prompt_from": "lst.yaml",
                "text": [str(root / "data/text_only.{src_lang}-{tgt_lang}/train.{tgt_lang}")],
                "parallel": [
                    [
                        str(root / "data/text_only.{src_lang}-{tgt_lang}/train.{src_lang}"),
                        str(root / "data/text_only.{src_lang}-{tgt_lang}/train.{tgt_lang}"),
                    ]
                ],
                "use_train_data": True,
                "lm_conf": LM_CONF,
            }
        )
    )
    return root


def _data_args(root: Path, split: str, prefix: str) -> list[str]:
    d = root / "dump" / split
    return [
        f"--{prefix}data_path_and_name_and_type",
        f"{d}/text.tc.en,src_text,text",
        f"--{prefix}data_path_and_name_and_type",
        f"{d}/text.tc.de,text,text",
    ]


def test_collect_stats_writes_espnet_shape_files(lm_dirs, tmp_path):
    from espnet_ext.lst.lm_task import main

    keys = tmp_path / "keys.1"
    keys.write_text("utt002\nutt005\n")
    valid_keys = tmp_path / "vkeys.1"
    valid_keys.write_text("utt001\n")
    out = tmp_path / "stats.1"
    main(
        ["--collect_stats", "true", "--config", str(lm_dirs / "conf" / "lm.yaml")]
        + _data_args(lm_dirs, "train", "train_")
        + _data_args(lm_dirs, "dev", "valid_")
        + ["--train_shape_file", str(keys), "--valid_shape_file", str(valid_keys)]
        + ["--output_dir", str(out)]
    )
    assert (out / "train" / "batch_keys").read_text().split() == ["src_text", "text"]
    assert (out / "train" / "stats_keys").read_text() == ""
    src = dict(
        line.split(" ", 1) for line in (lm_dirs / "dump/train/text.tc.en").read_text().splitlines()
    )
    shape = (out / "train" / "src_text_shape").read_text().split("\n")
    assert shape[:2] == [f"utt002 {len(src['utt002'])}", f"utt005 {len(src['utt005'])}"]
    assert (out / "valid" / "text_shape").read_text().startswith("utt001 ")
    # the pipeline merges the jobs with ESPnet's own aggregation
    from espnet2.bin.aggregate_stats_dirs import aggregate_stats_dirs

    aggregate_stats_dirs([out], tmp_path / "stats", "INFO", False)
    assert len((tmp_path / "stats" / "train" / "text_shape").read_text().splitlines()) == 2


def test_resolve_config_templates_prompt_and_errors(lm_dirs, tmp_path):
    from espnet_ext.lst.lm_task import resolve_config

    train = {
        "src_text": str(lm_dirs / "dump/train/text.tc.en"),
        "text": str(lm_dirs / "dump/train/text.tc.de"),
    }
    config, resolved = resolve_config(lm_dirs / "conf" / "lm.yaml", train, tmp_path / "w")
    assert config.prompt_template == PROMPT
    assert config.text == [str(lm_dirs / "data/text_only.en-de/train.de")]
    assert config.src_text[0] == str(lm_dirs / "data/text_only.en-de/train.en")
    # the pipeline's Kaldi training text becomes plain line-aligned text
    src_plain = Path(config.src_text[1]).read_text().splitlines()
    assert (
        src_plain[0]
        == (lm_dirs / "dump/train/text.tc.en").read_text().split("\n")[0].split(" ", 1)[1]
    )
    assert resolved["src_lang"] == "en" and resolved["tgt_lang"] == "de"
    assert resolved["lm_conf"]["hidden_size"] == 32

    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"lm_conf": {"hidden": 3}}))
    with pytest.raises(ValueError, match="not PretrainConfig fields"):
        resolve_config(bad, train, tmp_path / "w")
    bad.write_text(yaml.safe_dump({"texts": []}))
    with pytest.raises(ValueError, match="unknown keys"):
        resolve_config(bad, train, tmp_path / "w")
    bad.write_text(yaml.safe_dump({"text": ["missing.{tgt_lang}"]}))
    with pytest.raises(FileNotFoundError, match="missing.de"):
        resolve_config(bad, train, tmp_path / "w")


def test_train_exports_hf_model_and_checkpoints_then_translates(lm_dirs, tmp_path):
    from transformers import AutoModelForCausalLM

    from espnet_ext.lst.lm_inference import inference
    from espnet_ext.lst.lm_task import main

    exp = tmp_path / "exp" / "llm"
    cmd = (
        ["--config", str(lm_dirs / "conf" / "lm.yaml"), "--use_preprocessor", "true"]
        + _data_args(lm_dirs, "train", "train_")
        + _data_args(lm_dirs, "dev", "valid_")
        + ["--resume", "true", "--output_dir", str(exp), "--ngpu", "0"]
        + ["--max_epoch", "2", "--num_iters_per_epoch", "4"]
    )
    main(cmd)
    info = json.loads((exp / "pretrain_info.json").read_text())
    # ESPnet's options reached the LM: 2 epochs of at most 4 steps
    assert info["config"]["epochs"] == 2 and info["config"]["max_steps_per_epoch"] == 4
    assert [h["epoch"] for h in info["history"]] == [1, 2]
    assert all("valid_acc" in h for h in info["history"])
    best = max(info["history"], key=lambda h: (h["valid_acc"], h["epoch"]))
    assert info["exported_epoch"] == best["epoch"]
    # 200 text-only pairs + 200 target lines + 60 training pairs, less the validation share
    assert info["n_train_sequences"] + info["n_valid_sequences"] == 460
    config = yaml.safe_load((exp / "config.yaml").read_text())
    assert config["task"] == "lst_lm" and config["lm_conf"]["prompt_template"] == PROMPT

    model = AutoModelForCausalLM.from_pretrained(exp / "hf_model")
    for name in ("valid.acc.best.pth", "valid.acc.ave_1best.pth"):
        state = torch.load(exp / name, map_location="cpu", weights_only=True)
        assert state.keys() == model.state_dict().keys()
        assert all(torch.equal(state[k], v) for k, v in model.state_dict().items())
    # the pipeline's fallback from valid.acc.ave_3best.pth finds the exported weights
    from espnet_ext.pipeline.decode_outputs import resolve_model_file

    assert resolve_model_file(exp, "valid.acc.ave_3best.pth").name == "valid.acc.ave_1best.pth"

    # a finished run is skipped (same settings), and gives the same files
    before = (exp / "valid.acc.best.pth").read_bytes()
    main(cmd)
    assert (exp / "valid.acc.best.pth").read_bytes() == before

    # stage 11: the LM translates source text through the prompt; cache on/off and batch size
    # do not change the output
    keys = tmp_path / "keys"
    keys.write_text("utt003\nutt001\nutt007\n")
    data = [(str(lm_dirs / "dump/dev/text.tc.en"), "src_text", "text")]
    outs = []
    for use_cache, batch_size in ((True, 3), (False, 3), (True, 1)):
        out = tmp_path / f"dec_{use_cache}_{batch_size}"
        rtf = inference(
            out, data, exp / "config.yaml", exp / "valid.acc.ave_1best.pth",
            batch_size=batch_size, max_new_tokens=8, use_cache=use_cache, key_file=str(keys),
        )  # fmt: skip
        assert rtf["n_utts"] == 3
        outs.append((out / "text").read_text())
    assert outs[0] == outs[1] == outs[2]
    assert [line.split(" ", 1)[0] for line in outs[0].splitlines()] == [
        "utt001",
        "utt003",
        "utt007",
    ]


def test_fbank_frontend_lengths_and_freeze():
    from espnet_ext.lst.frontend import FbankSpeechFrontend

    torch.manual_seed(0)
    frontend = FbankSpeechFrontend(stack=4, output_size=32, linear_units=64, num_blocks=1)
    speech = torch.randn(2, 16000)
    lengths = torch.tensor([16000, 8000])
    out, out_lengths = frontend(speech, lengths)
    # 101 and 51 filterbank frames (hop 160, centred), 4 stacked into one
    assert out_lengths.tolist() == [26, 13] and out.shape == (2, 26, 32)
    out.sum().backward()
    assert all(p.grad is not None for p in frontend.parameters())
    frozen = FbankSpeechFrontend(
        stack=2, output_size=32, linear_units=64, num_blocks=1, freeze=True
    )
    frozen.train(True)
    assert not frozen.training and not any(p.requires_grad for p in frozen.parameters())
    out, out_lengths = frozen(speech, lengths)
    assert out_lengths.tolist() == [51, 26] and not out.requires_grad


def test_hf_frontend_from_config_is_built_without_a_checkpoint():
    from espnet_ext.lst.frontend import HFSpeechFrontend

    config = {
        "model_type": "wav2vec2", "hidden_size": 32, "num_hidden_layers": 1,
        "num_attention_heads": 2, "intermediate_size": 64, "conv_dim": [16, 16],
        "conv_stride": [5, 4], "conv_kernel": [10, 4], "num_conv_pos_embeddings": 8,
        "num_conv_pos_embedding_groups": 2, "vocab_size": 8,
    }  # fmt: skip
    frontend = HFSpeechFrontend(name_or_path=None, from_config=config, freeze=False)
    speech, lengths = torch.randn(2, 4000), torch.tensor([4000, 2000])
    out, out_lengths = frontend(speech, lengths)
    assert out.shape[-1] == 32 and out_lengths.tolist() == [199, 99]
    with pytest.raises(ValueError, match="model_type"):
        HFSpeechFrontend(name_or_path=None, from_config={"hidden_size": 32})


def test_registry_and_recipe_systems():
    from espnet_ext.pipeline.systems import load_systems, select
    from espnet_ext.pipeline.tasks import get_task

    lm, lst = get_task("lst_lm"), get_task("lst")
    assert lm.train_stage == 9 and lst.train_stage == 10
    assert lm.inputs(src_lang="en", tgt_lang="de", src_case="lc.rm", tgt_case="tc") == [
        ("text.tc.en", "src_text", "text")
    ]
    assert (
        lm.reference(src_lang="en", tgt_lang="de", src_case="lc.rm", tgt_case="tc") == "text.tc.de"
    )
    assert lst.stats_at_training and lst.speech_input and lst.tokens == "none"

    systems = load_systems(RECIPE / "conf" / "systems.yaml")
    assert [s.name for s in select(systems, "lst_stage_b")] == [
        "asr",
        "llm",
        "lst_stage_a",
        "lst_stage_b",
    ]
    for system in systems.values():
        for family in ("mini",):
            assert (RECIPE / "conf" / family / system.config).is_file()
            assert (RECIPE / "conf" / family / system.inference_config).is_file()
    real = load_systems(RECIPE / "conf" / "systems_llama2.yaml")
    assert "llm" not in real and real["lst_stage_b"].init_from == "lst_stage_a"
    for system in real.values():
        assert (RECIPE / "conf" / "tuning" / system.config).is_file()
        conf = yaml.safe_load((RECIPE / "conf" / "tuning" / system.config).read_text())
        assert conf["llm_conf"]["name_or_path"].startswith("meta-llama/Llama-2")
    # the mini LST configs load the llm system's export by path, with the prompt it learnt
    for name in ("lst_stage_a", "lst_stage_b", "lst_stage_b_lora"):
        conf = yaml.safe_load((RECIPE / "conf" / "mini" / systems[name].config).read_text())
        assert conf["llm_conf"]["name_or_path"] == "exp/llm/hf_model"
        assert conf["prompt_conf"]["template"] == PROMPT
        # and the asr system's encoder, frozen, as the speech encoder
        assert conf["frontend"] == "espnet_asr" and conf["frontend_conf"] == {
            "asr_train_config": "exp/asr/config.yaml",
            "asr_model_file": "exp/asr/valid.acc.ave.pth",
            "freeze": True,
        }
        assert set(systems[name].needs) == {"asr", "llm"}
    finetune = {
        name: yaml.safe_load((RECIPE / "conf" / "mini" / systems[name].config).read_text())[
            "llm_conf"
        ]["finetune"]
        for name in ("lst_stage_a", "lst_stage_b", "lst_stage_b_lora")
    }
    assert finetune == {"lst_stage_a": "none", "lst_stage_b": "full", "lst_stage_b_lora": "lora"}
