"""Tasks whose data live outside dump/raw (discrete units), training data variants chosen per
system in systems.yaml, the joint source token list and the pack extras of such tasks."""

from __future__ import annotations

from pathlib import Path

import pytest

from espnet_ext.bin.pipeline import main as pipeline_main
from espnet_ext.pipeline.systems import SystemsConfigError, load_systems
from espnet_ext.pipeline.tasks import get_task

DISCRETE_SYSTEMS = Path(__file__).parents[2] / "egs2/mustc_discrete/st1/conf/systems.yaml"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "systems.yaml"
    path.write_text(text)
    return path


def test_discrete_data_dirs_follow_the_units_tag_and_the_variant():
    task = get_task("discrete")
    assert task.data_dir("train", "train.en-de", "st_mt", "mfcc_k50") == (
        "units/mfcc_k50/data/train.en-de.st_mt"
    )
    # the default variant is the first; valid and test sets are read as speech-only <set>.st
    assert task.data_dir("train", "train.en-de", "", "u") == "units/u/data/train.en-de.st"
    assert task.data_dir("valid", "dev.en-de", "st_mt", "u") == "units/u/data/dev.en-de.st"
    assert task.data_dir("test", "tst-HE.en-de", units_tag="u") == "units/u/data/tst-HE.en-de.st"
    with pytest.raises(ValueError, match=r"unknown data variant 'mt'; choose from \['st', "):
        task.data_dir("train", "train.en-de", "mt", "u")
    with pytest.raises(ValueError, match="split must be train, valid or test"):
        task.data_dir("dev", "dev.en-de")


def test_tasks_without_variants_keep_reading_dump_raw():
    st = get_task("st")
    assert st.data_dir("train", "train.en-de_sp") == "raw/train.en-de_sp"
    assert st.data_dir("test", "tst-COMMON.en-de", units_tag="u") == "raw/tst-COMMON.en-de"
    assert st.check_variant("") == "" and st.pack_extras == ()
    with pytest.raises(ValueError, match="task 'st' has no data variants"):
        st.check_variant("st_mt")


def test_recipe_systems_choose_their_variant():
    systems = load_systems(DISCRETE_SYSTEMS)
    variants = {s.name: s.data_variant for s in systems.values()}
    for family in ("aed", "ctc", "ctc_att", "rnnt"):
        for variant in ("st", "st_mt", "st_mt_ext"):
            assert variants[f"{family}_{variant}"] == variant
    # every unit system is task discrete; the AED from a pretrained text model needs mt_text (the
    # recipe's own Marian model, task hf_mt, which the mini config loads by path), which reads
    # the source and target text of dump/raw and has no data variants
    assert {n: s.task for n, s in systems.items() if s.task != "discrete"} == {"mt_text": "hf_mt"}
    assert variants["aed_st_mt_pretrained"] == "st_mt" and variants["mt_text"] == ""
    assert systems["aed_st_mt_pretrained"].needs == ("mt_text",)
    # its statistics (shared with aed_st_mt) wait for mt_text unless aed_st_mt collects them
    assert [n for n, s in systems.items() if s.stats_at_training] == ["aed_st_mt_pretrained"]


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "a: {task: discrete, config: x.yaml, data_variant: text}\n",
            "unknown data variant 'text'",
        ),
        ("a: {task: st, config: x.yaml, data_variant: st_mt}\n", "task 'st' has no data variants"),
        (
            "a: {task: discrete, config: x.yaml, data_variant: [st]}\n",
            "data_variant must be a name",
        ),
    ],
)
def test_bad_variants_are_refused_naming_the_system(tmp_path, text, message):
    with pytest.raises(SystemsConfigError, match=f"system 'a': .*{message}"):
        load_systems(_write(tmp_path, text))


def test_unset_variant_is_the_tasks_default_and_empty_for_other_tasks(tmp_path, capsys):
    path = _write(tmp_path, "a: {task: discrete, config: x.yaml}\nb: {task: mt, config: m.yaml}\n")
    systems = load_systems(path)
    assert (systems["a"].data_variant, systems["b"].data_variant) == ("st", "")
    pipeline_main(
        ["system-field", "--file", str(path), "--system", "a", "--field", "data_variant"]
    )
    assert capsys.readouterr().out == "st\n"


def test_cli_data_dir_tokens_and_pack_extras(capsys):
    pipeline_main(["task-dir", "--task", "discrete", "--split", "train", "--set", "train.en-fr",
                   "--variant", "st_mt_ext", "--dumpdir", "D", "--units-tag", "wavlm_large_l21_k2000"])  # fmt: skip
    assert capsys.readouterr().out == "D/units/wavlm_large_l21_k2000/data/train.en-fr.st_mt_ext\n"
    pipeline_main(["task-dir", "--task", "mt", "--split", "valid", "--set", "dev.en-fr"])
    assert capsys.readouterr().out == "dump/raw/dev.en-fr\n"
    pipeline_main(["task-tokens", "--task", "discrete", "--src-dir", "S", "--tgt-dir", "T",
                   "--dumpdir", "D", "--units-tag", "u"])  # fmt: skip
    assert capsys.readouterr().out.split() == [
        "--token_type", "bpe", "--token_list", "T/tokens.txt", "--bpemodel", "T/bpe.model",
        "--src_token_type", "word", "--src_token_list", "D/units/u/joint/tokens.txt",
    ]  # fmt: skip
    pipeline_main(["task-pack-extras", "--task", "discrete", "--dumpdir", "D", "--units-tag", "u"])
    assert capsys.readouterr().out.split() == [
        "--extra", "kmeans=D/units/u/kmeans", "--extra", "joint=D/units/u/joint"
    ]  # fmt: skip
    pipeline_main(["task-pack-extras", "--task", "st"])
    assert capsys.readouterr().out.strip() == ""


def test_discrete_task_decodes_units_and_scores_the_target():
    task = get_task("discrete")
    langs = {"src_lang": "en", "tgt_lang": "de", "src_case": "lc.rm", "tgt_case": "tc"}
    assert task.inputs(**langs) == [("src", "src_text", "text")]
    assert task.reference(**langs) == "text.tc.de" and not task.speech_input


def test_a_system_may_name_its_own_inference_model(tmp_path, capsys):
    """CTC/RNN-T systems report no accuracy: they decode their loss-based average instead of
    st.sh's --inference_model; systems without the key print nothing (st.sh's default applies)."""
    systems = load_systems(DISCRETE_SYSTEMS)
    assert systems["ctc_st_mt"].inference_model == "valid.loss.ave.pth"
    assert systems["rnnt_st"].inference_model == "valid.loss.ave.pth"
    assert systems["aed_st_mt"].inference_model is None
    for name, printed in (("ctc_att_st", "\n"), ("rnnt_st_mt_ext", "valid.loss.ave.pth\n")):
        pipeline_main(["system-field", "--file", str(DISCRETE_SYSTEMS), "--system", name,
                       "--field", "inference_model"])  # fmt: skip
        assert capsys.readouterr().out == printed


def test_discrete_training_reads_the_source_transcript_where_the_data_dir_has_it(tmp_path, capsys):
    """The hierarchical encoder's source CTC reads src_transcript (stage 6 writes it); data dirs
    made before it existed still train; it has no shape file (batching is unchanged) and
    decoding never reads it."""
    langs = ["--src-lang", "en", "--tgt-lang", "de", "--src-case", "lc.rm", "--tgt-case", "tc"]
    old, new = tmp_path / "old", tmp_path / "new"
    old.mkdir()
    new.mkdir()
    (new / "src_transcript").write_text("st-a ▁the\n")
    expected = {
        old: [f"{old}/src,src_text,text", f"{old}/text.tc.de,text,text"],
        new: [f"{new}/src,src_text,text", f"{new}/text.tc.de,text,text",
              f"{new}/src_transcript,src_transcript,text"],
    }  # fmt: skip
    for data_dir, files in expected.items():
        pipeline_main(["task-data", "--task", "discrete", "--split", "train", "--dir",
                       str(data_dir), "--shapes", "S", *langs])  # fmt: skip
        data_line, shape_line = capsys.readouterr().out.splitlines()
        assert data_line.split()[1::2] == files
        assert set(data_line.split()[::2]) == {"--train_data_path_and_name_and_type"}
        assert shape_line.split()[1::2] == [
            "S/train/src_text_shape", "S/valid/src_text_shape",
            "S/train/text_shape", "S/valid/text_shape",
        ]  # fmt: skip
    pipeline_main(["task-data", "--task", "discrete", "--dir", str(new), "--inputs-only", *langs])
    assert capsys.readouterr().out.split() == [
        "--data_path_and_name_and_type", f"{new}/src,src_text,text"
    ]  # fmt: skip
    assert get_task("discrete").optional_files(str(old), src_lang="en") == []
