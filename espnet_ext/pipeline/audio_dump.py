"""Stage 3: cut each segment out of its recording, downmix, resample to ``fs`` and write one file per
utterance, so training reads short files instead of seeking in hour-long talks.

Input: a data dir (``wav.scp`` of recordings + ``segments``; optional ``utt2speed`` from speed
perturbation). Output dir: ``wav.scp`` (utt -> segment file), ``utt2num_samples``, the data dir's
text and speaker files restricted to the written utterances, and ``dump_report.json``.

Work is split into ``nj`` jobs by recording so every recording is read once. A job writes each
segment file atomically and skips files that already exist, then writes its part list atomically;
a re-run redoes only the jobs without a part list, and first deletes the temporary files that a job
killed mid-write leaves. Recordings that cannot be read are skipped and counted by reason (a data
dir made by our preparation has no such entries, but hand-made ones may).
"""

from __future__ import annotations

import json
import logging
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr
from tqdm import tqdm

from espnet_ext.fileio import atomic_open, remove_temporaries, write_text_atomic
from espnet_ext.pipeline.datadir import read_map, subset_files, write_map

log = logging.getLogger(__name__)


class UntrustedCommandError(ValueError):
    pass


def recording_jobs(rec_ids: list[str], nj: int) -> dict[str, int]:
    """Assign recordings to jobs 1..nj round-robin in sorted order (stable across re-runs)."""
    return {rec: i % nj + 1 for i, rec in enumerate(sorted(rec_ids))}


def _read_recording(location: str, allow_pipes: bool) -> tuple[np.ndarray, int]:
    """Return (samples (T,) float32 mono, sample rate)."""
    if location.rstrip().endswith("|"):
        if not allow_pipes:
            raise UntrustedCommandError(
                f"wav.scp entry is a shell command ({location!r}); pass --allow-pipes to run it"
            )
        import io
        import subprocess

        out = subprocess.run(location.rstrip()[:-1], shell=True, check=True, capture_output=True)
        data, rate = sf.read(io.BytesIO(out.stdout), dtype="float32", always_2d=True)
    else:
        data, rate = sf.read(location, dtype="float32", always_2d=True)
    # (T, C) -> (T,): average the channels
    return data.mean(axis=1), rate


def _resample(x: np.ndarray, rate: int, fs: int, speed: float) -> np.ndarray:
    # Speed perturbation as sox's `speed`: play the samples at rate*speed, then resample to fs.
    in_rate = rate * speed
    if abs(in_rate - fs) < 1e-6:
        return x
    return soxr.resample(x, in_rate, fs, quality="HQ").astype(np.float32)


def dump_job(
    data_dir: str | Path,
    out_dir: str | Path,
    job: int,
    nj: int,
    fs: int = 16000,
    audio_format: str = "wav",
    allow_pipes: bool = False,
) -> dict:
    """Write the segments of job ``job`` (1-based) and its part list ``out_dir/parts/wav.scp.<job>``."""
    data_dir, out_dir = Path(data_dir), Path(out_dir)
    part = out_dir / "parts" / f"wav.scp.{job}"
    report_path = out_dir / "parts" / f"report.{job}.json"
    if part.exists() and report_path.exists():
        log.info("job %d already done (%s), skipping", job, part)
        return json.loads(report_path.read_text())
    recordings = read_map(data_dir / "wav.scp")
    utt2speed = {u: float(s) for u, s in read_map(data_dir / "utt2speed", missing_ok=True).items()}
    by_rec: dict[str, list[tuple[str, float, float]]] = defaultdict(list)
    for utt, value in read_map(data_dir / "segments").items():
        rec, start, end = value.split()
        by_rec[rec].append((utt, float(start), float(end)))
    assign = recording_jobs(list(by_rec), nj)
    my_recs = [rec for rec in sorted(by_rec) if assign[rec] == job]
    audio_dir = out_dir / "data" / f"format.{job}"
    audio_dir.mkdir(parents=True, exist_ok=True)
    # A job stopped by a signal mid-write leaves a temporary file (never a partial segment file):
    # remove this job's, so that a re-run's output is exactly an uninterrupted run's.
    own_parts = [part.name, report_path.name, f"utt2num_samples.{job}"]
    stale = remove_temporaries(audio_dir) + remove_temporaries(part.parent, own_parts)
    if stale:
        log.info("job %d: removed %d temporary files of an interrupted run", job, len(stale))
    entries: dict[str, str] = {}
    num_samples: dict[str, str] = {}
    skipped: Counter = Counter()
    for rec in tqdm(my_recs, desc=f"dump job {job}/{nj}", mininterval=5, disable=None):
        segs = by_rec[rec]
        if rec not in recordings:
            log.warning(
                "recording %s of %d segments is not in %s/wav.scp", rec, len(segs), data_dir
            )
            skipped["missing_recording"] += len(segs)
            continue
        try:
            audio, rate = _read_recording(recordings[rec], allow_pipes)
        except UntrustedCommandError:
            raise
        except Exception as e:  # noqa: BLE001 - any decoder error means the file is unusable
            log.warning(
                "skipping %d segments of %s: cannot read %s (%s)",
                len(segs),
                rec,
                recordings[rec],
                e,
            )
            skipped["unreadable_recording"] += len(segs)
            continue
        for utt, start, end in segs:
            speed = utt2speed.get(utt, 1.0)
            path = audio_dir / f"{utt}.{audio_format}"
            first, last = int(round(start * rate)), int(round(end * rate))
            if first < 0 or last > len(audio) + int(0.05 * rate) or last <= first:
                log.warning(
                    "skipping %s: segment %.3f-%.3f s outside %s (%.3f s)",
                    utt,
                    start,
                    end,
                    rec,
                    len(audio) / rate,
                )
                skipped["segment_outside_recording"] += 1
                continue
            if not path.exists():
                piece = audio[first : min(last, len(audio))]
                piece = _resample(piece, rate, fs, speed)
                with atomic_open(path, "wb") as f:
                    sf.write(f, piece, fs, format=audio_format.upper(), subtype="PCM_16")
                n = len(piece)
            else:
                n = sf.info(str(path)).frames
            entries[utt] = str(path.resolve())
            num_samples[utt] = str(n)
    write_map(out_dir / "parts" / f"utt2num_samples.{job}", num_samples)
    report = {"job": job, "written": len(entries), "skipped": dict(skipped)}
    write_text_atomic(report_path, json.dumps(report))
    write_map(part, entries)
    return report


def merge_jobs(data_dir: str | Path, out_dir: str | Path, nj: int, fs: int = 16000) -> dict:
    """Merge the job part lists into ``out_dir`` and copy the per-utterance files of ``data_dir``."""
    data_dir, out_dir = Path(data_dir), Path(out_dir)
    entries: dict[str, str] = {}
    num_samples: dict[str, str] = {}
    skipped: Counter = Counter()
    missing = [j for j in range(1, nj + 1) if not (out_dir / "parts" / f"wav.scp.{j}").exists()]
    if missing:
        raise FileNotFoundError(
            f"{out_dir}/parts: dump jobs {missing} have not finished; re-run stage 3"
        )
    for j in range(1, nj + 1):
        entries.update(read_map(out_dir / "parts" / f"wav.scp.{j}"))
        num_samples.update(read_map(out_dir / "parts" / f"utt2num_samples.{j}"))
        skipped.update(json.loads((out_dir / "parts" / f"report.{j}.json").read_text())["skipped"])
    n_in = len(read_map(data_dir / "segments"))
    remove_temporaries(out_dir)  # of a merge stopped mid-write
    subset_files(data_dir, out_dir, set(entries))
    write_map(out_dir / "utt2num_samples", num_samples)
    write_map(out_dir / "wav.scp", entries)
    hours = sum(int(n) for n in num_samples.values()) / fs / 3600
    report = {
        "input_segments": n_in,
        "kept": len(entries),
        "skipped": dict(skipped),
        "hours": round(hours, 4),
        "fs": fs,
    }
    assert report["kept"] + sum(skipped.values()) == n_in, (report, data_dir)
    write_text_atomic(out_dir / "dump_report.json", json.dumps(report, indent=1) + "\n")
    write_text_atomic(out_dir / "fs", f"{fs}\n")
    return report
