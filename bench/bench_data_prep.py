"""Throughput of MuST-C data preparation (segments/s) on a synthetic release.

    .venv/bin/python bench/bench_data_prep.py [--talks 100] [--segs-per-talk 30] [--nj 1 2]

Talk wavs are sparse files (a real 16 kHz PCM header, then a hole of zeros), so large corpora cost
no disk; preparation only reads headers anyway. Writes ``bench/results/data_prep.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import struct
import tempfile
import time
from pathlib import Path

from espnet_ext.corpus.mustc import prepare_mustc
from espnet_ext.corpus.normalize import normalize_texts
from espnet_ext.fileio import write_text_atomic

SR = 16000
# About 90 characters a sentence, MuST-C's average, with the punctuation normalisation handles.
SENTENCES = [
    "So I\u2019d like to talk today about \u201cthe future\u201d \u2014 and what it means "
    "for {n}.",
    "In {n}, we found that 3.5% of the children \u2013 well, most of them \u2013 "
    "couldn\u2019t read.",
    "(Laughter) And that\u2019s exactly why we started this project, isn\u2019t it?",
]
TRANSLATIONS = [
    "Ich m\u00f6chte heute \u00fcber \u201edie Zukunft\u201c sprechen \u2014 und was sie "
    "f\u00fcr {n} bedeutet.",
    "Im Jahr {n} fanden wir heraus, dass 3,5 % der Kinder nicht lesen konnten\u2026",
    "(Lachen) Und genau deshalb haben wir dieses Projekt begonnen, nicht wahr?",
]


def sparse_wav(path: Path, seconds: float) -> None:
    frames = round(seconds * SR)
    data_bytes = frames * 2
    header = b"RIFF" + struct.pack("<I", 36 + data_bytes) + b"WAVE"
    header += b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, SR, SR * 2, 2, 16)
    header += b"data" + struct.pack("<I", data_bytes)
    with open(path, "wb") as f:
        f.write(header)
    os.truncate(path, len(header) + data_bytes)


def make_release(root: Path, talks: int, segs: int) -> int:
    split = root / "en-de" / "data" / "train"
    (split / "wav").mkdir(parents=True)
    (split / "txt").mkdir(parents=True)
    yaml_lines, en, de = [], [], []
    for t in range(1, talks + 1):
        sparse_wav(split / "wav" / f"ted_{t}.wav", 1.0 + 2.5 * segs)
        for i in range(segs):
            yaml_lines.append(
                f"- {{duration: 2.25, offset: {0.5 + 2.5 * i:.2f}, rW: 12, uW: 0, "
                f"speaker_id: spk.{t}, wav: ted_{t}.wav}}"
            )
            k = (t + i) % len(SENTENCES)
            en.append(SENTENCES[k].format(n=1900 + i))
            de.append(TRANSLATIONS[k].format(n=1900 + i))
    for name, lines in (("train.yaml", yaml_lines), ("train.en", en), ("train.de", de)):
        (split / "txt" / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return talks * segs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--talks", type=int, default=100)
    parser.add_argument("--segs-per-talk", type=int, default=30)
    parser.add_argument("--nj", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--out", default="bench/results/data_prep.json")
    args = parser.parse_args()
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        n = make_release(tmp / "mustc", args.talks, args.segs_per_talk)
        texts = (tmp / "mustc/en-de/data/train/txt/train.en").read_text().splitlines()
        t0 = time.perf_counter()
        normalize_texts(texts, "en")
        norm_s = time.perf_counter() - t0
        for nj in args.nj:
            t0, c0 = time.perf_counter(), time.process_time()
            report = prepare_mustc(tmp / "mustc", tmp / f"data{nj}", "en-de", ["train"], nj=nj)
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            assert report["train"]["kept"] == n, report
            runs.append(
                {
                    "nj": nj,
                    "wall_s": round(wall, 3),
                    "segments_per_s": round(n / wall),
                    # CPU time of this process only (workers not counted): meaningful for nj=1,
                    # and steadier than wall time on a shared machine.
                    "main_process_cpu_s": round(cpu, 3),
                }
            )
            print(f"nj={nj}: {n} segments in {wall:.2f} s = {n / wall:.0f} segments/s "
                  f"(main process CPU {cpu:.2f} s)")  # fmt: skip
    load = os.getloadavg()[0]
    result = {
        "segments": n,
        "talks": args.talks,
        "normalise_en_only_sentences_per_s": round(n / norm_s),
        "runs": runs,
        "cpu_count": os.cpu_count(),
        "load_average_1min_after": round(load, 2),
        "machine": platform.machine(),
        "python": platform.python_version(),
    }
    write_text_atomic(args.out, json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
