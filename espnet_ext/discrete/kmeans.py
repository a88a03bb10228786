"""Learning the k-means codebook: a seeded subset of the training set, its features extracted in
``nj`` resumable jobs, then scikit-learn ``MiniBatchKMeans`` (saved with joblib).

Layout of a k-means dir (``kdir``)::

    kdir/subset                 utterance ids used for k-means (``<utt> <num_samples>``)
    kdir/feats/feats.<j>.npy    (frames, D) float16 features of job j's utterances
    kdir/feats/done.<j>.json    written last: job j finished (frames, seconds, feature conf)
    kdir/kmeans.joblib          the fitted MiniBatchKMeans
    kdir/kmeans.json            feature conf, cluster count, seed, frames used, fit seconds

``kmeans.json`` carries the feature configuration, so unit dumping always uses the features the
codebook was learned on.
"""

from __future__ import annotations

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

    if feats.ndim != 2:
        raise ValueError(f"features must be (frames, dim), got shape {feats.shape}")
    if len(feats) < n_clusters:
        raise ValueError(
            f"{len(feats)} frames cannot make {n_clusters} clusters: use a larger k-means subset "
            "or fewer clusters"
        )
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


def learn(
    kdir: str | Path,
    nj: int,
    n_clusters: int = 2000,
    seed: int = 0,
    max_frames: int | None = None,
    **fit_conf,
) -> dict:
    """Fit on the extracted features of ``kdir`` and write ``kmeans.joblib`` + ``kmeans.json``."""
    import joblib

    kdir = Path(kdir)
    infos = [
        json.loads((kdir / "feats" / f"done.{j}.json").read_text())
        for j in range(1, nj + 1)
        if (kdir / "feats" / f"done.{j}.json").exists()
    ]
    feats = load_features(kdir, nj, max_frames, seed)
    start = time.time()
    km = fit_kmeans(feats, n_clusters=n_clusters, seed=seed, **fit_conf)
    fit_seconds = time.time() - start
    inertia = float(-km.score(feats)) / len(feats)
    with atomic_open(kdir / "kmeans.joblib", "wb") as f:
        joblib.dump(km, f)
    info = {
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
    write_text_atomic(kdir / "kmeans.json", json.dumps(info, indent=1) + "\n")
    log.info(
        "k-means %d clusters on %d frames in %.1f s (mean squared distance %.3f)",
        n_clusters,
        len(feats),
        fit_seconds,
        inertia,
    )
    return info


class KMeansQuantizer:
    """Frames -> cluster ids with a saved codebook (``kdir/kmeans.joblib`` + ``kmeans.json``)."""

    def __init__(self, kdir: str | Path):
        import joblib

        kdir = Path(kdir)
        for name in ("kmeans.joblib", "kmeans.json"):
            if not (kdir / name).exists():
                raise FileNotFoundError(f"{kdir / name} is missing: learn the k-means model first")
        self.info = json.loads((kdir / "kmeans.json").read_text())
        self.model = joblib.load(kdir / "kmeans.joblib")
        self.n_clusters = int(self.model.n_clusters)

    def __call__(self, feats: np.ndarray) -> np.ndarray:
        """(T, D) float -> (T,) int64 nearest-centroid ids."""
        if len(feats) == 0:
            return np.zeros(0, dtype=np.int64)
        return self.model.predict(
            np.ascontiguousarray(feats, dtype=self.model.cluster_centers_.dtype)
        ).astype(np.int64)
