import json
import os

import numpy as np
import pytest

from espnet_ext.discrete import dump, kmeans
from espnet_ext.discrete.features import MfccFeatures, build_extractor
from espnet_ext.pipeline.datadir import read_map
from tests.fixtures.discrete import make_dumped_set, sentences


@pytest.fixture(scope="module")
def dumped(tmp_path_factory):
    root = tmp_path_factory.mktemp("units_audio")
    return make_dumped_set(root / "dump", "train", sentences(6, seed=5))


def test_select_subset_seeded_and_bounded():
    num = {f"u{i:03d}": 16000 * (1 + i % 5) for i in range(100)}  # 1-5 s each
    a = kmeans.select_subset(num, max_utts=10, seed=1)
    assert a == kmeans.select_subset(num, max_utts=10, seed=1) and len(a) == 10 and a == sorted(a)
    assert a != kmeans.select_subset(num, max_utts=10, seed=2)
    h = kmeans.select_subset(num, max_hours=30 / 3600, seed=0)
    assert sum(num[k] for k in h) <= 30 * 16000
    assert len(kmeans.select_subset(num, max_hours=1e-9)) == 1  # the first draw is always taken
    assert len(kmeans.select_subset(num)) == 100


def test_kmeans_deterministic_for_seed():
    rng = np.random.default_rng(0)
    centers = rng.normal(size=(8, 5)) * 5
    feats = (centers[rng.integers(0, 8, 3000)] + rng.normal(size=(3000, 5))).astype(np.float32)
    a = kmeans.fit_kmeans(feats, n_clusters=8, seed=7, batch_size=256, n_init=3)
    b = kmeans.fit_kmeans(feats, n_clusters=8, seed=7, batch_size=256, n_init=3)
    np.testing.assert_array_equal(a.predict(feats), b.predict(feats))
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    # eight well separated blobs: each found as one cluster
    labels = a.predict(feats)
    assert len(set(labels.tolist())) == 8
    with pytest.raises(ValueError, match="3000 frames cannot make 5000 clusters"):
        kmeans.fit_kmeans(feats, n_clusters=5000)


def test_mfcc_features():
    ext = MfccFeatures()
    wav = np.random.default_rng(0).normal(size=16000).astype(np.float32) * 0.1
    feats = ext(wav)
    assert feats.shape == (1 + (16000 - 400) // 160, 39) and feats.dtype == np.float32
    assert ext.frame_shift_ms == 10 and ext.dim == 39
    assert ext(wav[:100]).shape == (0, 39)
    with pytest.raises(ValueError, match="unknown feature_type 'fbank'"):
        build_extractor("fbank")


def test_units_jobs_resume_and_merge(dumped, tmp_path, caplog):
    kdir, out = tmp_path / "kmeans", tmp_path / "train"
    conf = {"feature_type": "mfcc", "fs": 16000, "num_ceps": 13}
    assert kmeans.write_subset(dumped, kdir, 16000, max_utts=4, max_hours=None, seed=0) == 4
    for j in (1, 2):
        kmeans.extract_job(dumped, kdir, j, 2, conf)
    info = kmeans.learn(kdir, 2, n_clusters=12, seed=0, n_init=2)
    assert info["n_clusters"] == 12 and info["feature_conf"] == conf
    assert info["frames"] == sum(
        json.loads((kdir / "feats" / f"done.{j}.json").read_text())["frames"] for j in (1, 2)
    )

    reports = [dump.dump_job(dumped, kdir, out, j, 2) for j in (1, 2)]
    mtimes = {j: os.stat(out / "parts" / f"units.{j}").st_mtime_ns for j in (1, 2)}
    summary = dump.merge(dumped, kdir, out, 2)
    units = read_map(out / "units")
    assert list(units) == sorted(read_map(dumped / "wav.scp")) and summary["kept"] == 6
    assert sum(r["utts"] for r in reports) == 6
    # 10 ms MFCC frames: about 100 units per second before repeat removal, fewer after
    assert 95 < summary["frames_per_second"] <= 100
    assert summary["units_per_second_no_repeats"] < summary["frames_per_second"]
    # the units are the codebook's labels of the features
    quant = kmeans.load_quantizer(kdir)
    from espnet_ext.discrete.audio import read_wav

    utt = sorted(units)[3]
    ref = quant(MfccFeatures()(read_wav(read_map(dumped / "wav.scp")[utt], 16000)))
    assert units[utt] == " ".join(map(str, ref.tolist()))
    assert all(0 <= int(x) < 12 for v in units.values() for x in v.split())

    # a finished job is skipped on a re-run; a lost one is redone
    caplog.set_level("INFO")
    (out / "parts" / "report.2.json").unlink()
    dump.dump_job(dumped, kdir, out, 1, 2)
    dump.dump_job(dumped, kdir, out, 2, 2)
    assert "units job 1/2 already done" in caplog.text
    assert os.stat(out / "parts" / "units.1").st_mtime_ns == mtimes[1]
    assert os.stat(out / "parts" / "units.2").st_mtime_ns != mtimes[2]
    assert read_map(out / "units") == units
    # a different codebook invalidates the parts
    kmeans.learn(kdir, 2, n_clusters=10, seed=1, n_init=1)
    with pytest.raises(ValueError, match="another codebook"):
        dump.merge(dumped, kdir, out, 2)


def test_merge_names_missing_jobs(dumped, tmp_path):
    kdir = tmp_path / "k"
    kmeans.write_subset(dumped, kdir, 16000, None, None, 0)
    kmeans.extract_job(dumped, kdir, 1, 1, {"feature_type": "mfcc", "fs": 16000, "num_ceps": 13})
    kmeans.learn(kdir, 1, n_clusters=4, n_init=1)
    dump.dump_job(dumped, kdir, tmp_path / "o", 1, 3)
    with pytest.raises(FileNotFoundError, match="units job 2 of 3 has not finished"):
        dump.merge(dumped, kdir, tmp_path / "o", 3)
