"""scripts/units.sh (pipeline stage 6, extra_feats=units) on a tiny dumped set with the local job
backend: every output is made, a re-run skips the finished jobs and steps, and a k-means dir of an
earlier version (kmeans.joblib only) is fitted again."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from espnet_ext.discrete.vocab import JointVocab
from espnet_ext.pipeline.datadir import read_map
from espnet_ext.pipeline.tokenizer import train_sentencepiece
from tests.fixtures.discrete import make_dumped_set, sentences

UNITS_SH = (
    Path(__file__).resolve().parents[2] / "egs2" / "TEMPLATE" / "st1" / "scripts" / "units.sh"
)


def run_units(workdir: Path, *opts: str) -> str:
    env = dict(
        os.environ,
        train_cmd=f"{sys.executable} -m espnet_ext.bin.run_jobs --backend local",
        PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        OMP_NUM_THREADS="1",
    )
    proc = subprocess.run(
        ["bash", str(UNITS_SH), *opts], cwd=workdir, env=env, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


@pytest.mark.slow
def test_units_stage_runs_and_resumes(tmp_path):
    make_dumped_set(tmp_path / "dump", "train", sentences(8, seed=2))
    train_sentencepiece(
        [tmp_path / "dump/raw/train/text.lc.rm.en"], tmp_path / "src_bpe", 30, "bpe"
    )
    opts = [
        "--train_set",
        "train",
        "--sets",
        "train",
        "--dumpdir",
        "dump",
        "--nj",
        "2",
        "--python",
        sys.executable,
        "--n_clusters",
        "8",
        "--kmeans_n_init",
        "1",
        "--unit_nbpe",
        "20",
        "--src_bpe_dir",
        str(tmp_path / "src_bpe"),
    ]
    run_units(tmp_path, *opts)
    udir = tmp_path / "dump/units/mfcc_k8"
    units = read_map(udir / "train/units")
    assert list(units) == sorted(read_map(tmp_path / "dump/raw/train/wav.scp"))
    assert all(0 <= int(x) < 8 for v in units.values() for x in v.split())
    vocab = JointVocab(udir / "joint")
    src = read_map(udir / "data/train.st_mt/src")
    assert {k.split("-")[0] for k in src} == {"st", "mt"} and len(src) == 16
    assert {
        vocab.modality(p) for k, v in src.items() if k.startswith("st-") for p in v.split()
    } == {"unit"}
    parts = sorted((udir / "train/parts").glob("units.*")) + sorted(
        (udir / "kmeans/feats").glob("feats.*.npy")
    )
    before = {
        p: p.stat().st_mtime_ns
        for p in [*parts, udir / "kmeans/kmeans.npz", udir / "data/train.st/src"]
    }

    out = run_units(tmp_path, *opts)
    # subset, fit, unit BPE, joint vocabulary, train.st, train.st_mt
    assert out.count("done before with the same settings") == 6
    logs = [(udir / f"train/logs/units.{j}.log").read_text() for j in (1, 2)]
    logs += [(udir / f"kmeans/logs/feats.{j}.log").read_text() for j in (1, 2)]
    assert all("already done" in log for log in logs)
    assert {p: p.stat().st_mtime_ns for p in before} == before

    # a k-means dir of an earlier version holds the model only as the pickle kmeans.joblib: the
    # fit runs again though its marker matches, the pickle is removed (never read), and the same
    # centres (same features and seed) keep the unit jobs done
    (udir / "kmeans/kmeans.npz").unlink()
    (udir / "kmeans/kmeans.joblib").write_bytes(b"an old pickle")
    out = run_units(tmp_path, *opts)
    assert out.count("done before with the same settings") == 5  # all but the fit
    assert (udir / "kmeans/kmeans.npz").is_file()
    assert not (udir / "kmeans/kmeans.joblib").exists()
    assert all("already done" in (udir / f"train/logs/units.{j}.log").read_text() for j in (1, 2))
    assert read_map(udir / "train/units") == units

    # another backend is another fit (its marker records the command); the units follow the new
    # codebook
    out = run_units(tmp_path, *opts, "--kmeans_backend", "faiss")
    assert "k-means fit (faiss, 8 clusters)" in out
    assert json.loads((udir / "kmeans/kmeans.json").read_text())["backend"] == "faiss"
    faiss_units = read_map(udir / "train/units")
    assert list(faiss_units) == list(units)
    assert all(0 <= int(x) < 8 for v in faiss_units.values() for x in v.split())
