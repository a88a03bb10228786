"""Pipeline tasks of the exporter recipe: the assembled cascade and the exporter (issue 7)."""

from __future__ import annotations

from pathlib import Path

from espnet_ext.bin.pipeline import main as pipeline_main
from espnet_ext.pipeline.systems import load_systems, select
from espnet_ext.pipeline.tasks import TASKS, get_task

RECIPE = Path(__file__).resolve().parents[2] / "egs2" / "mustc_exporter" / "st1"
LANGS = {"src_lang": "en", "tgt_lang": "de", "src_case": "lc.rm", "tgt_case": "tc"}


def test_cascade_is_assembled_and_decoded_from_speech_to_target_text():
    cascade = get_task("cascade")
    assert cascade.assembled and not cascade.stats_at_training
    assert cascade.train_module == "espnet_ext.bin.cascade_assemble"
    assert cascade.inference_module == "espnet_ext.bin.cascade_inference"
    assert (cascade.config_option, cascade.model_option) == (
        "--cascade_config",
        "--cascade_model_file",
    )
    assert cascade.inputs(**LANGS) == [("wav.scp", "speech", "sound")]
    assert cascade.reference(**LANGS) == "text.tc.de" and cascade.metric == "bleu"
    assert cascade.train_stage == 10 and cascade.inference_text == "text"
    # every task that trains on data is not assembled
    assert [t for t in TASKS.values() if t.assembled] == [cascade]


def test_exporter_collects_statistics_when_it_trains_and_decodes_batched():
    exporter = get_task("exporter")
    assert exporter.stats_at_training and not exporter.assembled
    # st.sh puts its --inference_batch_bins in place of {batch_bins} (batched decoding)
    assert exporter.inference_args == "--batch_bins {batch_bins}"
    assert get_task("cascade").inference_args == "--batch_bins {batch_bins}"


def test_cli_prints_the_new_fields(capsys):
    for task, field, expected in (
        ("cascade", "assembled", "True"),
        ("exporter", "assembled", "False"),
        ("exporter", "stats_at_training", "True"),
        ("cascade", "model_option", "--cascade_model_file"),
    ):
        pipeline_main(["task", "--task", task, "--field", field])
        assert capsys.readouterr().out.strip() == expected


def test_recipe_systems_need_asr_and_mt():
    systems = load_systems(RECIPE / "conf" / "systems.yaml")
    assert list(systems) == ["asr", "mt", "cascade", "exporter_fixed", "exporter_trained"]
    for name in ("cascade", "exporter_fixed", "exporter_trained"):
        assert systems[name].needs == ("asr", "mt")
        assert [s.name for s in select(systems, name)] == ["asr", "mt", name]
    assert {s.task for s in systems.values()} == {"asr", "mt", "cascade", "exporter"}
    for family in ("mini", "tuning"):
        for system in systems.values():
            for conf in (system.config, system.inference_config):
                assert (RECIPE / "conf" / family / conf).is_file(), (family, conf)
