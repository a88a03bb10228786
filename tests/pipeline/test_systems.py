import subprocess
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


def test_systems_with_needs_collect_statistics_when_they_train(tmp_path):
    """A model that loads trained systems by path (``needs``) cannot be built in stage 7, where
    ESPnet's collect_stats builds it: such a system's statistics wait for its training, whatever
    its task; tasks whose every model loads trained systems defer all; assembled ones none."""
    systems = load_systems(
        _write(
            tmp_path,
            "text: {task: hf_mt, config: m.yaml}\n"
            "plain: {task: discrete, config: a.yaml, data_variant: st_mt}\n"
            "pre: {task: discrete, config: p.yaml, data_variant: st_mt, needs: [text]}\n"
            "asr: {task: asr, config: a.yaml}\n"
            "mt: {task: mt, config: m.yaml}\n"
            "conn: {task: connector, config: c.yaml}\n"
            "cascade: {task: cascade, config: c.yaml, needs: [asr, mt]}\n",
        )
    )
    deferred = {name for name, s in systems.items() if s.stats_at_training}
    assert deferred == {"pre", "conn"}


def test_cli_prints_whether_a_system_defers_its_statistics(capsys):
    from espnet_ext.bin.pipeline import main as pipeline_main

    path = Path(__file__).parents[2] / "egs2/mustc_discrete/st1/conf/systems.yaml"
    for system, expected in (("aed_st_mt_pretrained", "True"), ("aed_st_mt", "False")):
        pipeline_main(["system-field", "--file", str(path), "--system", system,
                       "--field", "stats_at_training"])  # fmt: skip
        assert capsys.readouterr().out.strip() == expected


ST_SH = Path(__file__).parents[2] / "egs2/TEMPLATE/st1/st.sh"


def _stats_systems(all_systems: str, defer: set[str], stats_dirs: dict[str, str]) -> list[str]:
    """Run st.sh's own stats_systems function (cut out of the script) with stub lookups."""
    function = subprocess.run(
        ["sed", "-n", "/^stats_systems() {/,/^}/p", str(ST_SH)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert function.startswith("stats_systems()")
    cases = " ".join(f"{s}) echo {d} ;;" for s, d in stats_dirs.items())
    script = (
        f'all_systems="{all_systems}"\n'
        f'field() {{ case " {" ".join(defer)} " in *" $1 "*) echo True ;; *) echo False ;; esac; }}\n'
        f"stats_dir() {{ case $1 in {cases} esac; }}\n"
        f"{function}\nstats_systems\n"
    )
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True)
    return out.stdout.split()


def test_stage_7_collects_shared_statistics_with_a_system_that_does_not_defer():
    dirs = {"mt_text": "s_hf", "aed_st_mt": "s_st_mt", "pre": "s_st_mt", "aed_st": "s_st"}
    # the deferring system comes first, but its statistics dir is the one of aed_st_mt, which
    # stage 7 can build: stage 7 collects it with aed_st_mt; pre finds it done when it trains
    assert _stats_systems("mt_text pre aed_st_mt aed_st", {"pre"}, dirs) == [
        "mt_text", "aed_st_mt", "aed_st"
    ]  # fmt: skip
    # alone, the deferring system is left to collect its statistics when it trains
    assert _stats_systems("mt_text pre", {"pre"}, dirs) == ["mt_text"]
