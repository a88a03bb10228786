"""The bad-input suite end to end (issue 10, section 3): stages 1-4 of the MuST-C baseline recipe,
as a user runs them, on the faulty MuST-C release of ``tests.fixtures.corpora``.

Its train split holds every fault that is skipped or noted; dev, tst-COMMON and tst-HE each hold
one fault that stops data preparation. The runs go as a user's would: ``./run.sh --stage 1
--stop_stage 4`` stops naming the file and entry of the first stopping fault; the user repairs
that split and runs again, until all four stages complete. Then the reports of stages 1, 3 and 4
must account for every input segment, by reason, and the kept audio must be converted.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
import soundfile as sf

from tests.fixtures.corpora import make_faulty_mustc, simple_talks, write_mustc_split
from tests.recipes.recipe_runner import copy_recipe

PAIR = "en-de"
ARGS = ["--stage", "1", "--stop_stage", "4", "--conf_dir", "conf/mini", "--nj", "2"]
STOP_ORDER = ("dev", "tst-COMMON", "tst-HE")  # the order in which local/data.sh prepares them


def _run(recipe: Path, env: dict[str, str]) -> tuple[int, str]:
    proc = subprocess.run(
        ["./run.sh", *ARGS], cwd=recipe, env={**os.environ, "OMP_NUM_THREADS": "1", **env},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=1200,
    )  # fmt: skip
    return proc.returncode, proc.stdout


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Run stages 1-4, repairing the split that stopped them, until they complete.

    Returns the faulty corpus, the recipe dir, ``{split: (exit code, output, data dirs)}`` of the
    stopped runs and the output of the complete one.
    """
    root = tmp_path_factory.mktemp("bad_corpus")
    faulty = make_faulty_mustc(root / "mustc", PAIR)
    recipe = copy_recipe("mustc_baseline", root / "recipe")
    env = {"MUSTC": str(faulty.corpus_dir), "CMD_BACKEND": "local"}
    stopped = {}
    for split in STOP_ORDER:
        code, output = _run(recipe, env)
        stopped[split] = (code, output, sorted(p.name for p in (recipe / "data").iterdir()))
        shutil.rmtree(faulty.corpus_dir / PAIR / "data" / split)
        write_mustc_split(faulty.corpus_dir, PAIR, split, simple_talks(1, 3))
    code, output = _run(recipe, env)
    assert code == 0, output[-5000:]
    return faulty, recipe, stopped, output


@pytest.mark.parametrize("split", STOP_ORDER)
def test_stopping_fault_names_file_and_entry(runs, split):
    faulty, recipe, stopped, _ = runs
    code, output, data_dirs = stopped[split]
    assert code != 0
    errors = [line for line in output.splitlines() if line.startswith("prepare_mustc: error:")]
    assert len(errors) == 1, output[-3000:]
    for part in faulty.stop_errors[split]:
        assert part in errors[0]
    assert "Traceback" not in output
    assert "Stage 2" not in output  # the pipeline stopped in stage 1
    # the splits before it were prepared; the stopped one left no data dir
    done = STOP_ORDER[: STOP_ORDER.index(split)]
    assert data_dirs == sorted(f"{s}.{PAIR}" for s in ("train", *done))


def test_repaired_runs_do_not_redo_prepared_splits(runs):
    _, _, stopped, output = runs
    for later in (*STOP_ORDER[1:], None):
        text = stopped[later][1] if later else output
        assert f"data/train.{PAIR}: up to date, not redone" in text


def _json(path: Path) -> dict:
    return json.loads(path.read_text())


def test_counts_reconcile_by_reason_across_stages_1_3_4(runs):
    faulty, recipe, _, _ = runs
    train = f"train.{PAIR}"
    prep = _json(recipe / "data" / train / "prep_report.json")
    dump = _json(recipe / "dump" / "org" / train / "dump_report.json")
    filt = _json(recipe / "dump" / "raw" / train / "filter_report.json")

    # stage 1: every fault of the train split skipped by reason or noted
    assert {k: prep[k] for k in faulty.expected_report} == faulty.expected_report
    assert prep["input_segments"] == prep["kept"] + sum(prep["skipped"].values()) == 22
    listed = (recipe / "data" / train / "prep_skipped.txt").read_text().splitlines()[1:]
    assert Counter(line.split("\t")[2] for line in listed) == prep["skipped"]
    # stage 3: dumps all of it (stage 1 already removed what cannot be read or cut)
    assert dump["input_segments"] == prep["kept"] == dump["kept"] == 8
    assert dump["skipped"] == {}
    # stage 4: the 10-minute segment is too long to train on
    assert filt["input"] == dump["kept"]
    assert filt["dropped"] == {"too_long(>20.0s)": 1}
    assert filt["kept"] + sum(filt["dropped"].values()) == filt["input"]
    assert (recipe / "dump" / "raw" / train / "filter_dropped.txt").read_text() == (
        "ted_9-0000500-0600500 too_long(>20.0s)\n"
    )
    # end to end: 22 yaml entries = 7 training utterances + 14 skipped + 1 dropped
    assert prep["input_segments"] == (
        filt["kept"] + sum(prep["skipped"].values()) + sum(filt["dropped"].values())
    )
    kept = [line.split()[0] for line in (recipe / "dump/raw" / train / "wav.scp").open()]
    assert kept == [
        "ted_1-0000500-0002500", "ted_1-0003000-0005500", "ted_1-0018970-0020030",
        "ted_10-0001000-0003000", "ted_7-0000500-0001500", "ted_7-0002000-0003500",
        "ted_8-0000500-0001500",
    ]  # fmt: skip
    # test sets are kept whole
    for test in ("tst-COMMON", "tst-HE"):
        assert (
            len((recipe / "dump/raw" / f"{test}.{PAIR}" / "wav.scp").read_text().split("\n")) == 4
        )


def test_kept_audio_is_converted_to_16k_mono_segments(runs):
    _, recipe, _, _ = runs
    org = recipe / "dump" / "org" / f"train.{PAIR}"
    wavs = dict(line.split() for line in (org / "wav.scp").open())
    frames = {}
    for utt, path in wavs.items():
        info = sf.info(path)
        assert (info.samplerate, info.channels) == (16000, 1), (utt, info)
        frames[utt] = info.frames
    assert frames == {
        "ted_1-0000500-0002500": 32000,
        "ted_1-0003000-0005500": 40000,
        "ted_1-0018970-0020030": 16480,  # 30 ms past the end of the wav: cut at its end
        "ted_10-0001000-0003000": 32000,  # within the part of the truncated wav that exists
        "ted_7-0000500-0001500": 16000,  # stereo, downmixed
        "ted_7-0002000-0003500": 24000,
        "ted_8-0000500-0001500": 16000,  # 8 kHz, resampled
        "ted_9-0000500-0600500": 9_600_000,  # the 10-minute segment
    }
    assert {u: int(n) for u, n in (line.split() for line in (org / "utt2num_samples").open())} == (
        frames
    )
