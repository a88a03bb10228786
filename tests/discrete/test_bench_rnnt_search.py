"""bench/bench_rnnt_search.py: every search decodes the test set; its row is that decoding's
sacreBLEU, length and agreement with the first search."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import sacrebleu
import torch
import yaml

from espnet_ext.pipeline.datadir import read_map
from tests.bench_scripts import load_bench
from tests.discrete.test_models import build_args

pytestmark = pytest.mark.usefixtures("one_thread")


def test_rows_are_the_decodings_scores(task, toy_corpus, tmp_path):
    from espnet_ext.discrete.mtdata import make_data

    torch.manual_seed(0)
    args = build_args(task, toy_corpus, tmp_path, "rnnt")
    exp = tmp_path / "exp"
    exp.mkdir()
    (exp / "config.yaml").write_text(yaml.safe_dump(vars(args)))
    torch.save(task.build_model(args).state_dict(), exp / "model.pth")
    test = tmp_path / "test.st"
    make_data(toy_corpus.data, toy_corpus.joint, test, toy_corpus.data / "units", ("st",))
    ref = toy_corpus.data / "text.tc.de"
    out, work = tmp_path / "rnnt_search.json", tmp_path / "work"
    argv = ["--system", f"toy={exp}", "--model", "model.pth", "--src", str(test / "src"),
            "--ref", str(ref), "--search", "default:1", "default:3", "--work-dir", str(work),
            "--out", str(out)]  # fmt: skip
    load_bench("bench_rnnt_search").main(argv)

    report = json.loads(out.read_text())
    keys = sorted(read_map(test / "src"))
    assert report["test_set"]["utterances"] == len(keys) and keys[0].startswith("st-")
    refs = read_map(ref)
    rows = report["systems"]["toy"]["rows"]
    assert [r["search"] for r in rows] == ["default:1", "default:3"]
    hyps = {}
    for row in rows:
        hyp = read_map(work / "toy" / row["search"].replace(":", "_beam") / "1best_recog" / "text")
        hyps[row["search"]] = [hyp[k] for k in keys]
        bleu = sacrebleu.corpus_bleu(hyps[row["search"]], [[refs[k[3:]] for k in keys]])
        assert row["bleu"] == round(bleu.score, 2)
        assert (row["hyp_len"], row["ref_len"]) == (bleu.sys_len, bleu.ref_len)
        assert row["seconds_per_utt"] > 0
    assert all(hyps["default:1"])  # the untrained model still emits tokens: the rows score text
    same = sum(a == b for a, b in zip(hyps["default:1"], hyps["default:3"]))
    assert [r["same_as_default:1"] for r in rows] == [len(keys), same]

    # references keyed by other utterances: a clear error, no report
    (tmp_path / "other_ref").write_text("nobody text\n")
    argv[argv.index(str(ref))] = str(tmp_path / "other_ref")
    with pytest.raises(SystemExit, match="no reference for 40 utterances, e.g. st-spk-0000000"):
        load_bench("bench_rnnt_search").main(argv[:-1] + [str(tmp_path / "never.json")])
    assert not (tmp_path / "never.json").exists()


@pytest.mark.parametrize(
    "args, message",
    [(["--system", "exp_dir_only"], "expected NAME=EXP_DIR, got 'exp_dir_only'"),
     (["--system", "a=b", "--search", "alsd"], "expected TYPE:BEAM, got 'alsd'")],
)  # fmt: skip
def test_malformed_arguments_are_named(args, message):
    argv = [*args, "--src", "s", "--ref", "r", "--out", "o.json"]
    proc = subprocess.run(
        [sys.executable, "bench/bench_rnnt_search.py", *argv],
        capture_output=True, text=True, cwd=Path(__file__).resolve().parents[2],
    )  # fmt: skip
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr
