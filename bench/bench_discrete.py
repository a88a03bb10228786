"""Discrete-unit pipeline figures on synthetic espeak-ng speech.

    .venv/bin/python bench/bench_discrete.py [--utts 50] [--clusters 200] [--out bench/results/discrete_units.json]

1. Sequence lengths per second of audio: 80-dim fbank frames (10 ms); units before and after
   repeat removal and after unit BPE, for MFCC (10 ms) and a tiny random WavLM (20 ms, the frame
   rate of WavLM Large; its unit statistics are not those of a trained model); source text pieces
   (x1 and x4 up-sampled).
2. Unit pipeline throughput (hours of audio per minute) with 1 and 2 jobs through the local job
   launcher, end to end (process start, model load, features, k-means assignment) and per job.
3. MiniBatchKMeans fit time for several cluster counts.

Synthesized speech: espeak-ng (en-us/en-gb, 150-170 words/min) of random sentences from a small
vocabulary; a few seconds per utterance.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from espnet_ext.discrete import dump, kmeans  # noqa: E402
from espnet_ext.discrete.audio import read_wav  # noqa: E402
from espnet_ext.discrete.units import UnitCharMap, remove_repeats  # noqa: E402
from espnet_ext.discrete.vocab import train_unit_bpe  # noqa: E402
from espnet_ext.fileio import write_text_atomic  # noqa: E402
from espnet_ext.pipeline.datadir import read_map  # noqa: E402
from espnet_ext.pipeline.tokenizer import train_sentencepiece  # noqa: E402
from tests.fixtures.discrete import make_dumped_set, make_tiny_wavlm, sentences  # noqa: E402

FS = 16000


def learn_units(data: Path, work: Path, conf: dict, clusters: int) -> tuple[Path, dict]:
    kdir = work / "kmeans"
    kmeans.write_subset(data, kdir, FS, None, None, 0)
    kmeans.extract_job(data, kdir, 1, 1, conf)
    info = kmeans.learn(kdir, 1, n_clusters=clusters, seed=0, n_init=3)
    return kdir, info


def run_jobs(data: Path, kdir: Path, out: Path, nj: int) -> dict:
    cmd = [
        sys.executable,
        "-m",
        "espnet_ext.bin.run_jobs",
        "--backend",
        "local",
        f"JOB=1:{nj}",
        str(out / "logs/units.JOB.log"),
        sys.executable,
        "-m",
        "espnet_ext.bin.dump_units",
        "job",
        "--data-dir",
        str(data),
        "--kmeans-dir",
        str(kdir),
        "--out-dir",
        str(out),
        "--job",
        "JOB",
        "--nj",
        str(nj),
    ]
    start = time.time()
    subprocess.run(cmd, check=True, env=dict(os.environ, OMP_NUM_THREADS="1"), cwd=ROOT)
    wall = time.time() - start
    summary = dump.merge(data, kdir, out, nj)
    reports = [
        json.loads((out / "parts" / f"report.{j}.json").read_text()) for j in range(1, nj + 1)
    ]
    hours = summary["hours"]
    return {
        "nj": nj,
        "audio_hours": hours,
        "wall_seconds": round(wall, 2),
        "hours_per_minute_end_to_end": round(hours / (wall / 60), 5),
        "job_compute_seconds": [r["wall_seconds"] for r in reports],
        "hours_per_minute_compute": round(
            hours / (max(r["wall_seconds"] for r in reports) / 60), 5
        ),
    }


def lengths(data: Path, kdir: Path, work: Path, frame_ms: float, bpe_size: int) -> dict:
    out = work / "units_lengths"
    dump.dump_job(data, kdir, out, 1, 1)
    dump.merge(data, kdir, out, 1)
    units = read_map(out / "units")
    train_unit_bpe(
        [out / "units"], work / "unit_bpe", kmeans.load_quantizer(kdir).n_clusters, bpe_size
    )
    import sentencepiece as spm

    sp = spm.SentencePieceProcessor(model_file=str(work / "unit_bpe" / "bpe.model"))
    cmap = UnitCharMap(kmeans.load_quantizer(kdir).n_clusters)
    seconds = sum(int(v) for v in read_map(data / "utt2num_samples").values()) / FS
    raw = sum(len(v.split()) for v in units.values())
    dedup = [remove_repeats(int(x) for x in v.split()) for v in units.values()]
    bpe = sum(len(sp.encode(cmap.to_chars(d), out_type=str)) for d in dedup)
    return {
        "frame_ms": frame_ms,
        "unit_bpe_vocab": sp.get_piece_size(),
        "raw_units_per_s": round(raw / seconds, 2),
        "no_repeats_per_s": round(sum(map(len, dedup)) / seconds, 2),
        "after_bpe_per_s": round(bpe / seconds, 2),
    }


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--utts", type=int, default=50)
    p.add_argument(
        "--clusters", type=int, default=200, help="k-means clusters for the length figures"
    )
    p.add_argument(
        "--unit-bpe",
        type=int,
        default=1000,
        help="unit BPE size (lowered if the data is too small)",
    )
    p.add_argument("--fit-clusters", type=int, nargs="+", default=[100, 500, 2000])
    p.add_argument("--out", default=str(ROOT / "bench/results/discrete_units.json"))
    args = p.parse_args()
    results: dict = {
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_avg_at_start": os.getloadavg(),
        }
    }
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        texts = sentences(args.utts, seed=11, min_words=6, max_words=16)
        start = time.time()
        data = make_dumped_set(tmp / "dump", "bench", texts)
        seconds = sum(int(v) for v in read_map(data / "utt2num_samples").values()) / FS
        results["corpus"] = {
            "utts": args.utts,
            "audio_seconds": round(seconds, 2),
            "synthesis_seconds": round(time.time() - start, 2),
        }

        import torch
        import torchaudio.compliance.kaldi as kaldi

        wavs = read_map(data / "wav.scp")
        fbank = sum(
            kaldi.fbank(torch.from_numpy(read_wav(w, FS))[None], num_mel_bins=80).shape[0]
            for w in wavs.values()
        )
        train_sentencepiece([data / "text.lc.rm.en"], tmp / "src_bpe", 100, "bpe")
        import sentencepiece as spm

        sp = spm.SentencePieceProcessor(model_file=str(tmp / "src_bpe" / "bpe.model"))
        text_pieces = sum(
            len(sp.encode(t, out_type=str)) for t in read_map(data / "text.lc.rm.en").values()
        )
        results["lengths_per_second"] = {
            "fbank_frames_10ms": round(fbank / seconds, 2),
            "source_text_pieces": {
                "bpe_vocab": sp.get_piece_size(),
                "x1": round(text_pieces / seconds, 2),
                "x4": round(4 * text_pieces / seconds, 2),
            },
        }
        wavlm = make_tiny_wavlm(tmp / "tiny_wavlm.pt")
        setups = {
            "mfcc": {"feature_type": "mfcc", "fs": FS, "num_ceps": 13},
            "tiny_wavlm_l2": {
                "feature_type": "s3prl",
                "upstream": "wavlm_local",
                "layer": 2,
                "path_or_url": str(wavlm),
                "device": "cpu",
                "download_dir": None,
            },
        }
        results["throughput"] = {}
        for name, conf in setups.items():
            work = tmp / name
            kdir, info = learn_units(data, work, conf, args.clusters)
            frame_ms = 10.0 if name == "mfcc" else 20.0
            results["lengths_per_second"][name] = lengths(
                data, kdir, work, frame_ms, args.unit_bpe
            )
            results["lengths_per_second"][name]["kmeans_clusters"] = args.clusters
            results["throughput"][name] = [
                run_jobs(data, kdir, work / f"nj{nj}", nj) for nj in (1, 2)
            ]
            print(name, json.dumps(results["lengths_per_second"][name]), flush=True)

        feats = kmeans.load_features(tmp / "mfcc" / "kmeans", 1)
        results["kmeans_fit"] = []
        for k in args.fit_clusters:
            if k > len(feats):
                continue
            start = time.time()
            kmeans.fit_kmeans(feats, n_clusters=k, seed=0, n_init=1)
            results["kmeans_fit"].append(
                {
                    "features": "mfcc39",
                    "frames": len(feats),
                    "clusters": k,
                    "n_init": 1,
                    "batch_size": 10000,
                    "fit_seconds": round(time.time() - start, 2),
                }
            )
            print(results["kmeans_fit"][-1], flush=True)
    results["machine"]["load_avg_at_end"] = os.getloadavg()
    write_text_atomic(args.out, json.dumps(results, indent=1) + "\n")
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
