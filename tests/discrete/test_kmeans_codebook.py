"""The k-means codebook without pickle: ``kmeans.npz`` (cluster centres) + ``kmeans.json``, one
loader (:func:`espnet_ext.discrete.kmeans.load_quantizer`) whose labels equal the fitted
scikit-learn model's ``predict``, on random data (float32 and float64 codebooks, near and exact
ties, a WavLM-sized dimension) and on MFCC features of speech."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from sklearn.cluster import MiniBatchKMeans

from espnet_ext.discrete import dump, kmeans
from espnet_ext.discrete.audio import read_wav
from espnet_ext.discrete.features import MfccFeatures
from espnet_ext.pipeline.datadir import read_map
from tests.fixtures.discrete import make_dumped_set, sentences


def _fit(feats: np.ndarray, n_clusters: int, seed: int = 0) -> MiniBatchKMeans:
    return MiniBatchKMeans(
        n_clusters, random_state=seed, n_init=1, batch_size=512, max_iter=3
    ).fit(feats)


def _hard_queries(centres: np.ndarray, rng: np.random.Generator, n: int) -> np.ndarray:
    """Frames where the nearest centre is decided by rounding: midpoints of two centres (equally
    near in exact arithmetic), the centres themselves, and points near them; float64."""
    k = len(centres)
    i, j = rng.integers(0, k, n), rng.integers(0, k, n)
    c = centres.astype(np.float64)
    mids = (c[i] + c[j]) / 2
    near = c[rng.integers(0, k, n)] + rng.normal(scale=1e-3, size=(n, c.shape[1]))
    return np.concatenate([mids, c, near])


def _exact_nearest(centres: np.ndarray, feats: np.ndarray) -> np.ndarray:
    """Nearest centre computed in float64 from the frames as the codebook's dtype sees them."""
    x = feats.astype(centres.dtype).astype(np.float64)
    c = centres.astype(np.float64)
    return ((x[:, None, :] - c[None]) ** 2).sum(-1).argmin(1)


@pytest.mark.parametrize(
    "dim, n_clusters, dtype",
    [(39, 64, np.float32), (1024, 128, np.float32), (39, 64, np.float64)],
)
def test_labels_equal_sklearn_predict_on_random_data(tmp_path, dim, n_clusters, dtype):
    rng = np.random.default_rng(dim + n_clusters)
    train = rng.normal(size=(3000, dim)).astype(dtype)
    km = _fit(train, n_clusters)
    assert km.cluster_centers_.dtype == dtype
    kmeans.save_centres(tmp_path, km.cluster_centers_)
    (tmp_path / "kmeans.json").write_text(json.dumps({"n_clusters": n_clusters}))
    quant = kmeans.load_quantizer(tmp_path)
    np.testing.assert_array_equal(quant.centres, km.cluster_centers_)  # stored exactly
    assert quant.centres.dtype == dtype and quant.n_clusters == n_clusters

    # 600 + 64 frames: more than one 256-frame chunk, and a partial last chunk
    hard = _hard_queries(km.cluster_centers_, rng, 300)
    for feats in (train, rng.normal(size=(555, dim)), hard, hard[:7]):
        ref = km.predict(np.ascontiguousarray(feats, dtype=dtype))  # predict needs its dtype
        got = quant(feats)  # any float dtype in: cast to the codebook's, as predict's caller
        assert got.dtype == np.int64
        np.testing.assert_array_equal(got, ref)
        f32 = feats.astype(np.float32)
        np.testing.assert_array_equal(quant(f32), km.predict(f32.astype(dtype)))
    if dtype == np.float32:
        # the near ties are real: float64 arithmetic breaks many of them differently, so a
        # nearest-centre search in another precision would not give sklearn's units
        ref = km.predict(hard.astype(np.float32))
        assert (_exact_nearest(km.cluster_centers_, hard) != ref).sum() > 10


def test_exact_ties_go_to_the_first_centre():
    rng = np.random.default_rng(3)
    centres = rng.normal(size=(6, 5)).astype(np.float32)
    centres[4] = centres[1]  # the same centre twice
    centres[5] = centres[1]
    km = _fit(rng.normal(size=(60, 5)).astype(np.float32), 6)
    km.cluster_centers_ = centres  # the fitted model's public attribute, same shape and dtype
    quant = kmeans.KMeansQuantizer(centres)
    feats = np.concatenate([centres, centres[[1]] + 1e-3, -centres])
    np.testing.assert_array_equal(quant(feats), km.predict(feats))
    assert 4 not in quant(feats).tolist() and 5 not in quant(feats).tolist()


def test_bad_input_refused():
    quant = kmeans.KMeansQuantizer(np.eye(3, dtype=np.float32))
    assert quant(np.zeros((0, 3))).shape == (0,)
    with pytest.raises(ValueError, match=r"features must be \(frames, 3\)"):
        quant(np.zeros((4, 2)))
    with pytest.raises(ValueError, match="NaN or infinity"):
        quant(np.array([[0.0, np.nan, 1.0]]))
    with pytest.raises(ValueError, match="NaN or infinity"):
        quant(np.array([[1e300, 0.0, 0.0]]))  # infinite as float32
    with pytest.raises(ValueError, match="float32 or float64"):
        kmeans.KMeansQuantizer(np.eye(3, dtype=np.int64))


@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    root = tmp_path_factory.mktemp("codebook_speech")
    return make_dumped_set(root / "dump", "train", sentences(6, seed=11))


def test_units_equal_sklearn_predict_on_mfcc(speech, tmp_path):
    """The pipeline's k-means fit and unit dump: every dumped unit is the fitted model's
    ``predict`` of the utterance's MFCC frames (float32, and float64 cast to float32)."""
    kdir, out = tmp_path / "kmeans", tmp_path / "units"
    conf = {"feature_type": "mfcc", "fs": 16000}
    kmeans.write_subset(speech, kdir, 16000, None, None, 0)
    kmeans.extract_job(speech, kdir, 1, 1, conf)
    fit_conf = {"n_init": 2, "batch_size": 512}
    info = kmeans.learn(kdir, 1, n_clusters=96, seed=4, **fit_conf)
    assert sorted(p.name for p in kdir.iterdir() if p.is_file()) == [
        "kmeans.json",
        "kmeans.npz",
        "subset",
    ]
    assert info["n_clusters"] == 96 and info["feature_conf"] == conf
    # the same features and seed give the model learn() fitted (fit_kmeans is deterministic)
    km = kmeans.fit_kmeans(kmeans.load_features(kdir, 1), n_clusters=96, seed=4, **fit_conf)
    with np.load(kdir / "kmeans.npz", allow_pickle=False) as z:
        assert z.files == ["cluster_centers"]
        np.testing.assert_array_equal(z["cluster_centers"], km.cluster_centers_)
        assert z["cluster_centers"].dtype == np.float32

    dump.dump_job(speech, kdir, out, 1, 1)
    dump.merge(speech, kdir, out, 1)
    units = read_map(out / "units")
    wavs = read_map(speech / "wav.scp")
    quant = kmeans.load_quantizer(kdir)
    mfcc = MfccFeatures()
    frames = []
    for utt, wav in wavs.items():
        feats = mfcc(read_wav(wav, 16000))
        assert feats.dtype == np.float32
        ref = km.predict(feats)
        assert units[utt] == " ".join(map(str, ref.tolist()))
        np.testing.assert_array_equal(quant(feats.astype(np.float64)), ref)
        frames.append(feats)
    frames = np.concatenate(frames)
    assert len(set(km.predict(frames).tolist())) > 48  # most clusters in use
    # near ties on real features: midpoints of the centres and of pairs of frames
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, len(frames), 2000), rng.integers(0, len(frames), 2000)
    hard = np.concatenate(
        [_hard_queries(km.cluster_centers_, rng, 500), (frames[a] + frames[b]) / 2]
    )
    np.testing.assert_array_equal(quant(hard), km.predict(hard.astype(np.float32)))


def _learned_dir(kdir, n_clusters=4, seed=0):
    """A k-means dir fitted by :func:`kmeans.learn` on random features (no audio)."""
    feats = np.random.default_rng(seed).normal(size=(200, 3)).astype(np.float16)
    (kdir / "feats").mkdir(parents=True, exist_ok=True)
    np.save(kdir / "feats" / "feats.1.npy", feats)
    done = {"frames": 200, "seconds": 2.0, "feature_conf": {"feature_type": "mfcc"}}
    (kdir / "feats" / "done.1.json").write_text(json.dumps(done))
    return kmeans.learn(kdir, 1, n_clusters=n_clusters, seed=seed, n_init=1, batch_size=64)


class _Mkdir:
    """Unpickling this calls ``os.mkdir(path)``: stands for a crafted model file."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return os.mkdir, (self.path,)


def test_old_pickle_dir_refused_with_the_refit_command(tmp_path):
    import pickle

    kdir = tmp_path / "kmeans"
    _learned_dir(kdir)
    (kdir / "kmeans.npz").unlink()
    marker = tmp_path / "unpickled"
    (kdir / "kmeans.joblib").write_bytes(pickle.dumps(_Mkdir(marker)))
    with pytest.raises(FileNotFoundError, match="kmeans.joblib, a pickle") as err:
        kmeans.load_quantizer(kdir)
    msg = str(err.value)
    assert "stage 6 of st.sh" in msg and "scripts/units.sh" in msg
    assert f"python -m espnet_ext.bin.learn_kmeans fit --kmeans-dir {kdir}" in msg
    with pytest.raises(FileNotFoundError, match="kmeans.joblib, a pickle"):
        dump.dump_job(tmp_path, kdir, tmp_path / "units", 1, 1)
    assert not marker.exists()

    # the refit writes kmeans.npz and removes the pickle
    _learned_dir(kdir)
    assert not (kdir / "kmeans.joblib").exists() and not marker.exists()
    assert kmeans.load_quantizer(kdir).n_clusters == 4


def test_codebook_files_checked(tmp_path):
    kdir = tmp_path / "kmeans"
    with pytest.raises(FileNotFoundError, match="kmeans.npz is missing: learn the k-means"):
        kmeans.load_quantizer(kdir)
    _learned_dir(kdir)
    centres = kmeans.load_quantizer(kdir).centres
    codebook = dump.codebook_id(kdir)
    # the id is the centres' content: a refit to the same centres keeps it, other centres not
    _learned_dir(kdir)
    assert dump.codebook_id(kdir) == codebook
    _learned_dir(kdir, seed=1)
    assert dump.codebook_id(kdir) != codebook

    info = json.loads((kdir / "kmeans.json").read_text())
    (kdir / "kmeans.json").unlink()
    with pytest.raises(FileNotFoundError, match="kmeans.json is missing"):
        kmeans.load_quantizer(kdir)
    (kdir / "kmeans.json").write_text(json.dumps({**info, "n_clusters": 5}))
    with pytest.raises(ValueError, match="says 5 clusters but kmeans.npz holds 4 centres"):
        kmeans.load_quantizer(kdir)
    (kdir / "kmeans.json").write_text(json.dumps(info))

    np.savez(kdir / "kmeans.npz", centres=centres)
    with pytest.raises(ValueError, match="no 'cluster_centers' array"):
        kmeans.load_quantizer(kdir)
    marker = tmp_path / "unpickled"
    np.savez(kdir / "kmeans.npz", cluster_centers=np.array([_Mkdir(marker)], dtype=object))
    with pytest.raises(ValueError, match="allow_pickle=False"):
        kmeans.load_quantizer(kdir)
    assert not marker.exists()

    # a pack made before kmeans.npz: extra/kmeans/centroids.npy beside kmeans.json
    (kdir / "kmeans.npz").unlink()
    np.save(kdir / "centroids.npy", centres)
    np.testing.assert_array_equal(kmeans.load_quantizer(kdir).centres, centres)
