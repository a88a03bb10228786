"""Units for every utterance of a set: features -> nearest centroid, in ``nj`` resumable jobs.

Output dir (one per set)::

    out/parts/units.<j>         Kaldi text ``<utt> 12 12 7 ...`` of job j (frame-level ids)
    out/parts/report.<j>.json   written last: job j finished (utts, frames, seconds, codebook)
    out/units                   all jobs merged, sorted by utterance id
    out/unit_report.json        counts, hours, frames per second, skipped utterances by reason

A job whose report names the same codebook and job split is skipped on a re-run, so an
interrupted stage redoes only the unfinished jobs. The ids are frame-level (repeats kept): repeat
removal and the character mapping happen when the training text is made, so one dump serves both.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from pathlib import Path

import numpy as np
from tqdm import tqdm

from espnet_ext.discrete.audio import read_wav, split_job
from espnet_ext.discrete.features import build_extractor
from espnet_ext.discrete.kmeans import load_quantizer
from espnet_ext.fileio import write_text_atomic
from espnet_ext.pipeline.datadir import read_map, write_map

log = logging.getLogger(__name__)


def codebook_id(kdir: str | Path) -> str:
    """A short content hash of the codebook's centres, so parts made with another codebook are
    redone (a refit that gives the same centres keeps them)."""
    return load_quantizer(kdir).codebook_id


def dump_job(
    data_dir: str | Path,
    kdir: str | Path,
    out_dir: str | Path,
    job: int,
    nj: int,
    fs: int = 16000,
    device: str | None = None,
) -> dict:
    """Write ``out_dir/parts/units.<job>`` for job ``job`` (1-based) of ``data_dir/wav.scp``."""
    data_dir, out_dir = Path(data_dir), Path(out_dir)
    report_path = out_dir / "parts" / f"report.{job}.json"
    quantizer = load_quantizer(kdir)
    codebook = quantizer.codebook_id
    if report_path.exists():
        report = json.loads(report_path.read_text())
        if report.get("codebook") == codebook and report.get("nj") == nj:
            log.info("units job %d/%d already done (%s), skipping", job, nj, report_path)
            return report
        log.warning("%s was made with another codebook or split; redoing job %d", report_path, job)
    feature_conf = dict(quantizer.info["feature_conf"])
    if device is not None and feature_conf.get("feature_type") == "s3prl":
        feature_conf["device"] = device
    extractor = build_extractor(**feature_conf)
    wavs = read_map(data_dir / "wav.scp")
    keys = split_job(list(wavs), job, nj)
    units: dict[str, str] = {}
    skipped: Counter = Counter()
    frames, n_samples, start = 0, 0, time.time()
    for key in tqdm(keys, desc=f"units {data_dir.name} {job}/{nj}", mininterval=10, disable=None):
        try:
            wav = read_wav(wavs[key], fs, where=f"{data_dir}/wav.scp: {key}")
        except (RuntimeError, OSError) as e:  # soundfile's errors for missing/corrupt files
            log.warning("skipping %s: cannot read %s (%s)", key, wavs[key], e)
            skipped["unreadable_audio"] += 1
            continue
        ids = quantizer(extractor(wav))
        if len(ids) == 0:
            log.warning("skipping %s: %d samples give no feature frame", key, len(wav))
            skipped["too_short"] += 1
            continue
        units[key] = " ".join(map(str, ids.tolist()))
        frames += len(ids)
        n_samples += len(wav)
    write_map(out_dir / "parts" / f"units.{job}", units)
    report = {
        "job": job,
        "nj": nj,
        "codebook": codebook,
        "utts": len(units),
        "frames": frames,
        "seconds": n_samples / fs,
        "wall_seconds": round(time.time() - start, 3),
        "skipped": dict(skipped),
    }
    write_text_atomic(report_path, json.dumps(report) + "\n")
    log.info(
        "units job %d/%d: %d utterances, %.1f s of audio in %.1f s",
        job,
        nj,
        len(units),
        report["seconds"],
        report["wall_seconds"],
    )
    return report


def merge(data_dir: str | Path, kdir: str | Path, out_dir: str | Path, nj: int) -> dict:
    """Merge the parts into ``out_dir/units`` and write ``unit_report.json``."""
    data_dir, out_dir = Path(data_dir), Path(out_dir)
    codebook = codebook_id(kdir)
    reports = []
    for j in range(1, nj + 1):
        path = out_dir / "parts" / f"report.{j}.json"
        if not path.exists():
            raise FileNotFoundError(
                f"{path} is missing: units job {j} of {nj} has not finished; re-run"
            )
        report = json.loads(path.read_text())
        if report["codebook"] != codebook or report["nj"] != nj:
            raise ValueError(
                f"{path} was made with another codebook or job split; re-run the jobs"
            )
        reports.append(report)
    units: dict[str, str] = {}
    for j in range(1, nj + 1):
        units.update(read_map(out_dir / "parts" / f"units.{j}"))
    write_map(out_dir / "units", units)
    n_in = len(read_map(data_dir / "wav.scp"))
    skipped: Counter = Counter()
    for r in reports:
        skipped.update(r["skipped"])
    seconds = sum(r["seconds"] for r in reports)
    frames = sum(r["frames"] for r in reports)
    n_dedup = sum(
        1 + int(np.count_nonzero(np.diff(np.array(v.split(), dtype=np.int64))))
        for v in units.values()
    )
    summary = {
        "input_utts": n_in,
        "kept": len(units),
        "skipped": dict(skipped),
        "codebook": codebook,
        "hours": round(seconds / 3600, 4),
        "frames": frames,
        "frames_per_second": round(frames / seconds, 3) if seconds else None,
        "units_per_second_no_repeats": round(n_dedup / seconds, 3) if seconds else None,
        "wall_seconds_jobs": round(sum(r["wall_seconds"] for r in reports), 3),
    }
    assert summary["kept"] + sum(skipped.values()) == n_in, (summary, data_dir)
    write_text_atomic(out_dir / "unit_report.json", json.dumps(summary, indent=1) + "\n")
    if skipped:
        log.warning("%s: skipped %s (see the job logs)", out_dir, dict(skipped))
    return summary
