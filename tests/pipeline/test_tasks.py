import pytest

from espnet_ext.bin.pipeline import main as pipeline_main
from espnet_ext.pipeline.tasks import TASKS, get_task

LANGS = {"src_lang": "en", "tgt_lang": "fr", "src_case": "lc.rm", "tgt_case": "tc"}


def test_st_reads_speech_and_both_texts_but_decodes_from_speech_only():
    st = get_task("st")
    assert st.files(**LANGS) == [
        ("wav.scp", "speech", "sound"), ("text.lc.rm.en", "src_text", "text"), ("text.tc.fr", "text", "text")
    ]  # fmt: skip
    assert st.inputs(**LANGS) == [("wav.scp", "speech", "sound")]
    assert st.reference(**LANGS) == "text.tc.fr" and st.metric == "bleu" and st.speech_input


def test_asr_is_scored_with_wer_on_source_text_and_mt_reads_text():
    assert (
        get_task("asr").reference(**LANGS) == "text.lc.rm.en" and get_task("asr").metric == "wer"
    )
    mt = get_task("mt")
    assert mt.inputs(**LANGS) == [("text.lc.rm.en", "src_text", "text")] and not mt.speech_input
    assert [TASKS[t].train_stage for t in ("asr", "mt", "st")] == [8, 9, 10]


def test_unknown_task_names_the_known_ones():
    with pytest.raises(ValueError, match=r"unknown task 'tts'; the pipeline knows \[") as error:
        get_task("tts")
    assert all(repr(t) in str(error.value) for t in ("asr", "exporter", "mt", "st"))


def test_cli_prints_espnet_options(capsys):
    pipeline_main(["task-data", "--task", "mt", "--split", "valid", "--dir", "dump/raw/dev",
                   "--tgt-lang", "es"])  # fmt: skip
    assert capsys.readouterr().out.split() == [
        "--valid_data_path_and_name_and_type", "dump/raw/dev/text.lc.rm.en,src_text,text",
        "--valid_data_path_and_name_and_type", "dump/raw/dev/text.tc.es,text,text",
    ]  # fmt: skip
    pipeline_main(["task-tokens", "--task", "asr", "--src-dir", "S", "--tgt-dir", "T"])
    assert capsys.readouterr().out.split() == [
        "--token_type", "bpe", "--token_list", "S/tokens.txt", "--bpemodel", "S/bpe.model"
    ]  # fmt: skip


@pytest.mark.parametrize("name", sorted(TASKS))
def test_inference_args_are_options_of_the_decoder(name):
    """st.sh passes a task's inference_args to its decoding entrypoint (and ESPnet's decoder
    when there is one): every option must exist there, or stage 11 stops with an usage error."""
    import importlib
    import re

    task = TASKS[name]
    modules = [task.inference_module] + [m for m in [task.espnet_inference_module] if m]
    for module in modules:
        entrypoint = importlib.import_module(module)
        if not hasattr(entrypoint, "get_parser"):  # a thin wrapper of ESPnet's own entrypoint
            entrypoint = importlib.import_module("espnet2.bin." + module.rsplit(".", 1)[1])
        parser = entrypoint.get_parser()
        known = {s for action in parser._actions for s in action.option_strings}
        args = task.inference_args.replace("{batch_bins}", "4000000")
        if module == task.espnet_inference_module:
            args = "--batch_size 1"  # what st.sh passes with --espnet_decoder true
        wanted = re.findall(r"--[A-Za-z_-]+", args)
        assert set(wanted) <= known, (module, sorted(set(wanted) - known))
