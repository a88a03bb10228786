from pathlib import Path

import pytest

from espnet_ext.pipeline.systems import SystemsConfigError, load_systems, select

RECIPE_SYSTEMS = Path(__file__).parents[2] / "egs2/mustc_baseline/st1/conf/systems.yaml"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "systems.yaml"
    path.write_text(text)
    return path


def test_baseline_recipe_systems_parse_and_stage_order():
    systems = load_systems(RECIPE_SYSTEMS)
    assert systems["asr"].train_stage == 8
    assert systems["mt"].train_stage == 9
    assert systems["st_asrinit"].train_stage == 10
    assert systems["st_asrinit"].init_from == "asr"
    assert systems["st_asrinit"].init_param == ("encoder:encoder",)


def test_select_adds_the_systems_a_system_initialises_from():
    systems = load_systems(RECIPE_SYSTEMS)
    assert [s.name for s in select(systems, "st_asrinit")] == ["asr", "st_asrinit"]
    assert [s.name for s in select(systems, "mt,st_scratch")] == ["mt", "st_scratch"]
    assert len(select(systems, "")) == len(systems)
    with pytest.raises(SystemsConfigError, match="unknown system 'nope'"):
        select(systems, "nope")


@pytest.mark.parametrize(
    "text, message",
    [
        ("a: {task: st}\n", "system 'a': missing 'config'"),
        ("a: {task: st, config: x.yaml, colour: red}\n", r"unknown keys \['colour'\]"),
        (
            "a: {task: st, config: x.yaml, init_from: b, init_param: [encoder:encoder]}\n",
            "listed before it",
        ),
        (
            "b: {task: st, config: x.yaml}\na: {task: asr, config: y.yaml, init_from: b, init_param: x:y}\n",
            "trains in stage 10, after this system's stage 8",
        ),
        (
            "b: {task: asr, config: x.yaml}\na: {task: st, config: y.yaml, init_from: b}\n",
            "needs init_param",
        ),
        ("a: {task: connector, config: x.yaml, needs: [asr]}\n", "needs 'asr' must name"),
        (
            "b: {task: st, config: x.yaml}\na: {task: hf_mt, config: y.yaml, needs: b}\n",
            "needs 'b' trains in stage 10, after this system's stage 9",
        ),
    ],
)
def test_bad_systems_files_name_the_entry(tmp_path, text, message):
    with pytest.raises(SystemsConfigError, match=message):
        load_systems(_write(tmp_path, text))


def test_needs_are_selected_and_trained_first():
    systems = load_systems(Path(__file__).parents[2] / "egs2/how2/st1/conf/systems.yaml")
    assert systems["ste_eced"].needs == ("asr", "mt")
    assert systems["ste_eced"].depends_on == ("asr", "mt")
    assert [s.name for s in select(systems, "ste_eced qformer_ecd")] == [
        "asr",
        "mt",
        "qformer_ecd",
        "ste_eced",
    ]
    assert systems["asr"].needs == () and systems["asr"].depends_on == ()
