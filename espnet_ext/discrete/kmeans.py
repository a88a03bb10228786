"""Learning the k-means codebook: a seeded subset of the training set, its features extracted in
``nj`` resumable jobs, then k-means -- scikit-learn ``MiniBatchKMeans`` (the default) or, with
``backend="faiss"``, faiss's full-batch k-means (optional: ``pip install faiss-cpu``) -- stored as
its cluster centres. Both backends write the same files, so unit dumping and packs do not know
which one fitted the codebook.

Layout of a k-means dir (``kdir``)::

    kdir/subset                 utterance ids used for k-means (``<utt> <num_samples>``)
    kdir/feats/feats.<j>.npy    (frames, D) float16 features of job j's utterances
    kdir/feats/done.<j>.json    written last: job j finished (frames, seconds, feature conf)
    kdir/kmeans.npz             the fitted model's cluster centres (``cluster_centers``, no pickle)
    kdir/kmeans.json            feature conf, backend, cluster count, seed, frames used, fit seconds

``kmeans.json`` carries the feature configuration, so unit dumping always uses the features the
codebook was learned on. :func:`load_quantizer` is the one loader of a codebook (unit dumping and
the translation packs): it reads ``kmeans.npz`` with ``allow_pickle=False``, and its
:class:`KMeansQuantizer` gives exactly the labels of the fitted model's ``predict``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from espnet_ext.discrete.audio import read_wav, split_job
from espnet_ext.discrete.features import build_extractor
from espnet_ext.fileio import atomic_open, write_text_atomic
from espnet_ext.pipeline.datadir import read_map, write_map

log = logging.getLogger(__name__)

CENTRES_FILE = "kmeans.npz"
INFO_FILE = "kmeans.json"
CENTRES_KEY = "cluster_centers"
LEGACY_PICKLE = "kmeans.joblib"  # written before kmeans.npz; never read
PACKED_CENTRES = "centroids.npy"  # the k-means dir of a pack made before kmeans.npz
REFIT_HINT = (
    "re-run the k-means fit: stage 6 of st.sh with --extra_feats units (scripts/units.sh, "
    "step c 'k-means fit'), or python -m espnet_ext.bin.learn_kmeans fit --kmeans-dir {kdir} "
    "--nj <the feature jobs' count>"
)
# sklearn's k-means E-step assigns samples in chunks of this many rows (_k_means_common.pyx)
CHUNK_SIZE = 256
BACKENDS = ("sklearn", "faiss")
# options of one backend only; the other refuses them rather than ignore them
BACKEND_ONLY = {
    "sklearn": ("batch_size", "max_no_improvement", "init_size", "reassignment_ratio"),
    "faiss": ("max_points_per_centroid",),
}


def select_subset(
    utt2num_samples: dict[str, int],
    fs: int = 16000,
    max_utts: int | None = None,
    max_hours: float | None = None,
    seed: int = 0,
) -> list[str]:
    """A seeded random subset: at most ``max_utts`` utterances and/or ``max_hours`` of audio.

    Utterances are drawn in a seeded random order and taken until a limit would be passed (the
    first one is always taken). No limit: every utterance. Returns the ids sorted.
    """
    keys = sorted(utt2num_samples)
    random.Random(seed).shuffle(keys)
    budget = None if max_hours is None else max_hours * 3600 * fs
    chosen, total = [], 0
    for key in keys:
        if max_utts is not None and len(chosen) >= max_utts:
            break
        n = utt2num_samples[key]
        if budget is not None and chosen and total + n > budget:
            break
        chosen.append(key)
        total += n
    return sorted(chosen)


def write_subset(
    data_dir: str | Path, kdir: str | Path, fs: int, max_utts, max_hours, seed
) -> int:
    data_dir, kdir = Path(data_dir), Path(kdir)
    num = {k: int(v) for k, v in read_map(data_dir / "utt2num_samples").items()}
    keys = select_subset(num, fs, max_utts, max_hours, seed)
    write_map(kdir / "subset", {k: str(num[k]) for k in keys})
    hours = sum(num[k] for k in keys) / fs / 3600
    log.info(
        "k-means subset: %d of %d utterances, %.2f h (seed %d)", len(keys), len(num), hours, seed
    )
    return len(keys)


def extract_job(
    data_dir: str | Path, kdir: str | Path, job: int, nj: int, feature_conf: dict, fs: int = 16000
) -> dict:
    """Extract the features of job ``job`` (1-based) of the subset; skipped if already done."""
    data_dir, kdir = Path(data_dir), Path(kdir)
    done = kdir / "feats" / f"done.{job}.json"
    if done.exists():
        info = json.loads(done.read_text())
        if info.get("feature_conf") == feature_conf and info.get("nj") == nj:
            log.info("k-means features job %d/%d already done (%s), skipping", job, nj, done)
            return info
        log.warning("%s was made with other settings (%s); redoing job %d", done, info, job)
    keys = split_job(sorted(read_map(kdir / "subset")), job, nj)
    wavs = read_map(data_dir / "wav.scp")
    extractor = build_extractor(**feature_conf)
    feats, n_samples = [], 0
    start = time.time()
    for key in tqdm(keys, desc=f"k-means feats {job}/{nj}", mininterval=10, disable=None):
        wav = read_wav(wavs[key], fs, where=f"{data_dir}/wav.scp: {key}")
        n_samples += len(wav)
        feats.append(extractor(wav).astype(np.float16))
    arr = np.concatenate(feats) if feats else np.zeros((0, extractor.dim), np.float16)
    with atomic_open(kdir / "feats" / f"feats.{job}.npy", "wb") as f:
        np.save(f, arr)
    info = {
        "job": job,
        "nj": nj,
        "utts": len(keys),
        "frames": int(arr.shape[0]),
        "dim": int(arr.shape[1]),
        "seconds": n_samples / fs,
        "wall_seconds": round(time.time() - start, 3),
        "feature_conf": feature_conf,
    }
    write_text_atomic(done, json.dumps(info) + "\n")
    return info


def load_features(
    kdir: str | Path, nj: int, max_frames: int | None = None, seed: int = 0
) -> np.ndarray:
    """Concatenate the jobs' features as float32; at most ``max_frames`` frames, drawn at random
    (seeded) without replacement, so a subset larger than memory can still be clustered."""
    kdir = Path(kdir)
    missing = [j for j in range(1, nj + 1) if not (kdir / "feats" / f"done.{j}.json").exists()]
    if missing:
        raise FileNotFoundError(f"{kdir}/feats: feature jobs {missing} of {nj} have not finished")
    parts = [np.load(kdir / "feats" / f"feats.{j}.npy", mmap_mode="r") for j in range(1, nj + 1)]
    sizes = [len(p) for p in parts]
    total = sum(sizes)
    if max_frames is None or total <= max_frames:
        return np.concatenate([np.asarray(p, dtype=np.float32) for p in parts])
    pick = np.sort(np.random.default_rng(seed).choice(total, size=max_frames, replace=False))
    out, base = [], 0
    for p, n in zip(parts, sizes):
        mine = pick[(pick >= base) & (pick < base + n)] - base
        out.append(np.asarray(p[mine], dtype=np.float32))
        base += n
    log.info("k-means: %d of %d frames drawn at random (seed %d)", max_frames, total, seed)
    return np.concatenate(out)


def fit_kmeans(
    feats: np.ndarray,
    n_clusters: int = 2000,
    seed: int = 0,
    batch_size: int = 10000,
    max_iter: int = 100,
    n_init: int = 20,
    max_no_improvement: int = 100,
    init_size: int | None = None,
    reassignment_ratio: float = 0.0,
):
    """Fit ``MiniBatchKMeans`` on ``feats`` (N, D) float32; the same data and seed give the same
    codebook. Defaults follow HuBERT's k-means step (k-means++ init, 20 inits, no reassignment)."""
    from sklearn.cluster import MiniBatchKMeans

    _check_fit_input(feats, n_clusters)
    km = MiniBatchKMeans(
        n_clusters=n_clusters,
        init="k-means++",
        max_iter=max_iter,
        batch_size=batch_size,
        tol=0.0,
        max_no_improvement=max_no_improvement,
        n_init=n_init,
        random_state=seed,
        init_size=(
            init_size
            if init_size is not None
            else min(len(feats), max(3 * batch_size, 3 * n_clusters))
        ),
        reassignment_ratio=reassignment_ratio,
        compute_labels=False,
    )
    km.fit(feats)
    return km


def fit_kmeans_faiss(
    feats: np.ndarray,
    n_clusters: int = 2000,
    seed: int = 0,
    max_iter: int = 100,
    n_init: int = 20,
    max_points_per_centroid: int = 256,
) -> np.ndarray:
    """Full-batch k-means with faiss (Lloyd iterations over every frame); returns the
    (n_clusters, D) float32 centres. ``n_init`` runs are made and the lowest objective kept; faiss
    starts each from random frames, not k-means++, so it needs more runs than MiniBatchKMeans to
    reach the same objective (tests/discrete/test_kmeans_faiss.py: 10 where sklearn needs 3). faiss
    clusters a seeded sample of at most ``max_points_per_centroid * n_clusters`` frames (its own
    default, 256); raise it to use every frame of a large subset. The same data, seed and thread
    count give the same centres."""
    try:
        import faiss
    except ImportError as e:
        raise ImportError(
            "the faiss k-means backend needs the faiss package: pip install faiss-cpu "
            "(or pip install -e '.[faiss]'); the default backend, sklearn, needs nothing more"
        ) from e
    _check_fit_input(feats, n_clusters)
    km = faiss.Kmeans(
        feats.shape[1],
        n_clusters,
        niter=max_iter,
        nredo=n_init,
        seed=seed,
        verbose=False,
        max_points_per_centroid=max_points_per_centroid,
    )
    km.train(np.ascontiguousarray(feats, dtype=np.float32))
    return np.ascontiguousarray(km.centroids, dtype=np.float32)


def fit_codebook(
    feats: np.ndarray, n_clusters: int, seed: int, backend: str = "sklearn", **fit_conf
) -> np.ndarray:
    """The centres of a k-means fit with ``backend`` (see :data:`BACKENDS`)."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown k-means backend {backend!r}; choose one of {list(BACKENDS)}")
    for other, options in BACKEND_ONLY.items():
        unsupported = sorted(k for k in fit_conf if k in options and other != backend)
        if unsupported:
            raise ValueError(
                f"k-means backend {backend} has no option {', '.join(unsupported)} (it is "
                f"{other}'s); drop it or use backend {other}"
            )
    if backend == "sklearn":
        return fit_kmeans(feats, n_clusters=n_clusters, seed=seed, **fit_conf).cluster_centers_
    return fit_kmeans_faiss(feats, n_clusters=n_clusters, seed=seed, **fit_conf)


def mean_sq_distance(feats: np.ndarray, quantizer: KMeansQuantizer) -> float:
    """Mean squared distance from each frame to its nearest centre (the k-means objective per
    frame), computed the same way whichever backend fitted the centres."""
    total = 0.0
    for start in range(0, len(feats), 65536):
        part = np.asarray(feats[start : start + 65536], dtype=np.float64)
        nearest = quantizer.centres[quantizer(part)].astype(np.float64)
        total += float(((part - nearest) ** 2).sum())
    return total / len(feats)


def _check_fit_input(feats: np.ndarray, n_clusters: int) -> None:
    if feats.ndim != 2:
        raise ValueError(f"features must be (frames, dim), got shape {feats.shape}")
    if len(feats) < n_clusters:
        raise ValueError(
            f"{len(feats)} frames cannot make {n_clusters} clusters: use a larger k-means subset "
            "or fewer clusters"
        )


def learn(
    kdir: str | Path,
    nj: int,
    n_clusters: int = 2000,
    seed: int = 0,
    max_frames: int | None = None,
    backend: str = "sklearn",
    **fit_conf,
) -> dict:
    """Fit on the extracted features of ``kdir`` with ``backend`` and write ``kmeans.npz`` +
    ``kmeans.json``."""
    kdir = Path(kdir)
    infos = [
        json.loads((kdir / "feats" / f"done.{j}.json").read_text())
        for j in range(1, nj + 1)
        if (kdir / "feats" / f"done.{j}.json").exists()
    ]
    feats = load_features(kdir, nj, max_frames, seed)
    start = time.time()
    centres = fit_codebook(feats, n_clusters, seed, backend, **fit_conf)
    fit_seconds = time.time() - start
    inertia = mean_sq_distance(feats, KMeansQuantizer(centres))
    save_centres(kdir, centres)
    legacy = kdir / LEGACY_PICKLE
    if legacy.exists():  # an earlier version's pickle of the model: superseded, never read
        legacy.unlink()
        log.info("removed %s (replaced by %s)", legacy, kdir / CENTRES_FILE)
    info = {
        "backend": backend,
        "n_clusters": n_clusters,
        "seed": seed,
        "frames": int(len(feats)),
        "dim": int(feats.shape[1]),
        "audio_hours": round(sum(i["seconds"] for i in infos) / 3600, 4),
        "fit_seconds": round(fit_seconds, 3),
        "mean_sq_distance": inertia,
        "feature_conf": infos[0]["feature_conf"],
        "fit_conf": fit_conf,
    }
    write_text_atomic(kdir / INFO_FILE, json.dumps(info, indent=1) + "\n")
    log.info(
        "k-means (%s) %d clusters on %d frames in %.1f s (mean squared distance %.3f)",
        backend,
        n_clusters,
        len(feats),
        fit_seconds,
        inertia,
    )
    return info


def save_centres(kdir: str | Path, centres: np.ndarray) -> Path:
    """Write the cluster centres to ``kdir/kmeans.npz`` atomically (their dtype kept)."""
    centres = _checked_centres(np.asarray(centres), "the centres to save")
    path = Path(kdir) / CENTRES_FILE
    with atomic_open(path, "wb") as f:
        np.savez(f, **{CENTRES_KEY: np.ascontiguousarray(centres)})
    return path


def read_centres(path: str | Path) -> np.ndarray:
    """The centres of a ``kmeans.npz`` (or a pack's older ``centroids.npy``); never unpickles."""
    path = Path(path)
    loaded = np.load(path, allow_pickle=False)
    if isinstance(loaded, np.ndarray):  # .npy
        return _checked_centres(loaded, str(path))
    with loaded:
        if CENTRES_KEY not in loaded.files:
            raise ValueError(f"{path}: no {CENTRES_KEY!r} array (it has {loaded.files})")
        return _checked_centres(loaded[CENTRES_KEY], str(path))


def _checked_centres(centres: np.ndarray, where: str) -> np.ndarray:
    if centres.dtype not in (np.float32, np.float64):
        raise ValueError(f"{where}: centres must be float32 or float64, not {centres.dtype}")
    if centres.ndim != 2 or centres.shape[0] == 0 or centres.shape[1] == 0:
        raise ValueError(f"{where}: centres must be (clusters, dim), got shape {centres.shape}")
    if not np.isfinite(centres).all():
        raise ValueError(f"{where}: the centres contain NaN or infinity")
    return np.ascontiguousarray(centres)


def load_quantizer(kdir: str | Path) -> KMeansQuantizer:
    """The one loader of a k-means codebook: ``kdir/kmeans.npz`` (read with ``allow_pickle=False``)
    and ``kdir/kmeans.json``. Used by unit dumping and by translation packs, whose
    ``extra/kmeans/`` holds the same two files (packs made before kmeans.npz: ``centroids.npy``).

    A dir with only an earlier version's ``kmeans.joblib`` (a pickle, which can run code when
    loaded) is refused with the command that refits the model.
    """
    kdir = Path(kdir)
    centres_path = kdir / CENTRES_FILE
    if not centres_path.is_file() and (kdir / PACKED_CENTRES).is_file():
        centres_path = kdir / PACKED_CENTRES
    if not centres_path.is_file():
        if (kdir / LEGACY_PICKLE).exists():
            raise FileNotFoundError(
                f"{kdir} holds the k-means model only as {LEGACY_PICKLE}, a pickle, which is no "
                f"longer loaded (unpickling can run code); {REFIT_HINT.format(kdir=kdir)} to "
                f"write {CENTRES_FILE} (the units dumped with it must then be dumped again)"
            )
        raise FileNotFoundError(
            f"{kdir / CENTRES_FILE} is missing: learn the k-means model first; "
            + REFIT_HINT.format(kdir=kdir)
        )
    if not (kdir / INFO_FILE).is_file():
        raise FileNotFoundError(
            f"{kdir / INFO_FILE} is missing: learn the k-means model first; "
            + REFIT_HINT.format(kdir=kdir)
        )
    info = json.loads((kdir / INFO_FILE).read_text(encoding="utf-8"))
    quantizer = KMeansQuantizer(read_centres(centres_path), info)
    if int(info.get("n_clusters", quantizer.n_clusters)) != quantizer.n_clusters:
        raise ValueError(
            f"{kdir}: {INFO_FILE} says {info['n_clusters']} clusters but {centres_path.name} "
            f"holds {quantizer.n_clusters} centres (an interrupted fit?); "
            + REFIT_HINT.format(kdir=kdir)
        )
    return quantizer


class KMeansQuantizer:
    """Frames -> cluster ids: the nearest centre, exactly as scikit-learn's k-means ``predict``.

    ``predict`` of a fitted ``(MiniBatch)KMeans`` casts the frames to the centres' dtype and, per
    chunk of 256 frames, scores ``||c||^2 - 2 x.c`` with one BLAS ``gemm`` (``alpha=-2``,
    ``beta=1`` on the rows of ``||c||^2``) in that dtype, the BLAS single-threaded, then takes the
    first minimum. This class makes the same ``gemm`` call through SciPy's public BLAS wrappers
    (the library scikit-learn's Cython calls) and the same reductions, so the labels are the
    same even where two centres are nearly equally near; a different BLAS (e.g. numpy's matmul)
    or float64 arithmetic can break such near ties differently.
    """

    def __init__(self, centres: np.ndarray, info: dict | None = None):
        self.centres = _checked_centres(np.asarray(centres), "k-means centres")
        self.info = dict(info or {})
        self.n_clusters, self.dim = (int(n) for n in self.centres.shape)
        # sklearn's row_norms(centers, squared=True) for dense input
        self._sq_norms = np.einsum("ij,ij->i", self.centres, self.centres)
        self.codebook_id = codebook_hash(self.centres)

    def __call__(self, feats: np.ndarray) -> np.ndarray:
        """(T, D) float -> (T,) int64 nearest-centre ids."""
        feats = np.asarray(feats)
        if feats.ndim != 2 or feats.shape[1] != self.dim:
            raise ValueError(
                f"features must be (frames, {self.dim}) for this codebook, got {feats.shape}"
            )
        if len(feats) == 0:
            return np.zeros(0, dtype=np.int64)
        with np.errstate(over="ignore"):  # out of float32's range: refused just below
            x = np.ascontiguousarray(feats, dtype=self.centres.dtype)
        if not np.isfinite(x).all():
            raise ValueError(f"features contain NaN or infinity (as {x.dtype})")
        gemm = _gemm(self.centres.dtype)
        labels = np.empty(len(x), dtype=np.int64)
        chunk = min(CHUNK_SIZE, len(x))
        # Fortran order (clusters, chunk): sklearn's row-major (chunk, clusters) buffer as BLAS
        # sees it; centres.T and x.T are the column-major views of the row-major arrays, so the
        # call is sklearn's gemm("T", "N", clusters, chunk, dim, -2, C, dim, X, dim, 1, D, clusters)
        scores = np.empty((self.n_clusters, chunk), dtype=x.dtype, order="F")
        with _blas_single_thread():
            for start in range(0, len(x), chunk):
                part = x[start : start + chunk]
                out = scores[:, : len(part)]
                out[...] = self._sq_norms[:, None]
                out = gemm(-2.0, self.centres.T, part.T, beta=1.0, c=out, trans_a=1, overwrite_c=1)
                labels[start : start + len(part)] = out.argmin(axis=0)  # first minimum, as `<`
        return labels


def codebook_hash(centres: np.ndarray) -> str:
    """A short content hash of a codebook (dtype, shape and values), independent of the file."""
    centres = np.ascontiguousarray(centres)
    digest = hashlib.sha1(f"{centres.dtype.str} {centres.shape}".encode())
    digest.update(centres.tobytes())
    return digest.hexdigest()[:16]


def _gemm(dtype: np.dtype):
    from scipy.linalg import blas

    return blas.sgemm if dtype == np.float32 else blas.dgemm


_CONTROLLER = None


def _blas_single_thread():
    """BLAS limited to one thread for the block, as sklearn's ``predict`` runs it."""
    global _CONTROLLER
    if _CONTROLLER is None:
        import scipy.linalg.blas  # noqa: F401  (loaded before the controller looks for BLAS)
        from threadpoolctl import ThreadpoolController

        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER.limit(limits=1, user_api="blas")
