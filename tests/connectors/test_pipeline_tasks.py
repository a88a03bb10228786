"""The connector and hf_mt tasks as the stage pipeline (st.sh) sees and calls them."""

from __future__ import annotations

import importlib

import pytest

from espnet_ext.bin import connector_inference
from espnet_ext.bin.pipeline import main as pipeline_main
from espnet_ext.pipeline.tasks import get_task

LANGS = ["--tgt-lang", "pt"]


def run(capsys, *args: str) -> list[str]:
    pipeline_main(list(args))
    return capsys.readouterr().out.split()


def test_connector_reads_speech_and_the_target_text_and_decodes_from_speech(capsys):
    data = "--train_data_path_and_name_and_type"
    train = run(
        capsys, "task-data", "--task", "connector", "--split", "train", "--dir", "D", *LANGS
    )
    assert train == [data, "D/wav.scp,speech,sound", data, "D/text.tc.pt,text,text"]
    decode = run(capsys, "task-data", "--task", "connector", "--dir", "D", "--inputs-only", *LANGS)
    assert decode == ["--data_path_and_name_and_type", "D/wav.scp,speech,sound"]
    # the MT model's tokenizer tokenizes the targets: no ESPnet token lists
    assert (
        run(capsys, "task-tokens", "--task", "connector", "--src-dir", "S", "--tgt-dir", "T") == []
    )
    task = get_task("connector")
    assert (task.train_stage, task.metric, task.speech_input) == (10, "bleu", True)
    assert (task.config_option, task.model_option, task.inference_text) == (
        "--train_config", "--model_file", "text"
    )  # fmt: skip


def test_hf_mt_reads_both_texts_takes_both_token_lists_and_exports_after_training(capsys):
    data = run(capsys, "task-data", "--task", "hf_mt", "--dir", "D", "--inputs-only", *LANGS)
    assert data == ["--data_path_and_name_and_type", "D/text.lc.rm.en,src_text,text"]
    tokens = run(capsys, "task-tokens", "--task", "hf_mt", "--src-dir", "S", "--tgt-dir", "T")
    assert tokens[tokens.index("--bpemodel") + 1] == "T/bpe.model"
    assert tokens[tokens.index("--src_token_list") + 1] == "S/tokens.txt"
    task = get_task("hf_mt")
    assert (task.train_stage, task.speech_input, task.reference(src_lang="en", tgt_lang="pt",
            src_case="lc.rm", tgt_case="tc")) == (9, False, "text.tc.pt")  # fmt: skip
    for module in (task.train_module, task.inference_module, task.post_train_module):
        assert callable(importlib.import_module(module).main), module


def test_connector_training_accepts_the_pipelines_normalisation_options(tmp_path):
    from espnet_ext.connectors.task import ConnectorSTTask

    common = [
        "--mt_name_or_path",
        "m",
        "--output_dir",
        str(tmp_path),
        "--use_preprocessor",
        "true",
    ]
    parser = ConnectorSTTask.get_parser()
    args = parser.parse_args(
        [*common, "--normalize", "none", "--normalize_conf", "stats_file=feats_stats.npz"]
    )
    assert args.normalize is None and args.use_preprocessor is True
    with pytest.raises(SystemExit):  # the frozen encoders normalise their own input
        parser.parse_args([*common, "--normalize", "global_mvn"])


def test_connector_decoding_reads_its_options_from_the_inference_config(tmp_path):
    conf = tmp_path / "decode.yaml"
    conf.write_text("beam_size: 7\nbatch_size: 16\nmax_new_tokens: 30\n", encoding="utf-8")
    required = [
        "--train_config", "c.yaml", "--model_file", "m.pth", "--output_dir", "o",
        "--data_path_and_name_and_type", "wav.scp,speech,sound",
    ]  # fmt: skip
    args = connector_inference.get_parser().parse_args(
        ["--ngpu", "0", "--batch_size", "1", *required, "--config", str(conf)]
    )
    # the file sets what the command line leaves; the command line's --batch_size wins
    assert (args.beam_size, args.max_new_tokens, args.batch_size) == (7, 30, 1)
    conf.write_text("beam: 7\n", encoding="utf-8")
    with pytest.raises(SystemExit):
        connector_inference.get_parser().parse_args([*required, "--config", str(conf)])
