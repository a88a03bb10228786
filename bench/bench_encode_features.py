"""A/B on one machine: features per utterance vs one batched frontend call, in the padded encoder.

``espnet_ext.decoding.encode`` computes the features of a padded batch either one utterance at a
time or in one frontend call with each signal's own STFT end reflection appended (same values).
This times both on the same machine, alternating, for whole test sets cut into batches: the
encoding alone, and encoding plus greedy search. Meant for a GPU, where the per-utterance
frontend calls are a chain of small kernels each; on a CPU ``auto`` encodes per utterance anyway.

    python bench/bench_encode_features.py --exp-dir EXP --data-dir DUMP --device cuda

writes ``bench/results/encode_features_<device>.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_decoding import find_model, sync  # noqa: E402
from espnet_ext.bin import quiet_espnet_import  # noqa: E402
from espnet_ext.fileio import write_text_atomic  # noqa: E402


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exp-dir", type=Path, required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--batch-sizes", default="64,300")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--max-utts", type=int, default=None, help="first N utterances only")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)

    quiet_espnet_import()
    import torch

    from espnet_ext.decoding import encode
    from espnet_ext.decoding.batching import load_audio, make_batches, read_utterances
    from espnet_ext.decoding.inference import BatchSpeech2Text
    from espnet_ext.registry import register

    register()
    config, model = find_model(args.exp_dir)
    utts = read_utterances(args.data_dir / "wav.scp")[: args.max_utts]
    wavs = {u.key: torch.as_tensor(load_audio(u)[0]).to(args.device) for u in utts}
    s2t = BatchSpeech2Text(config, model, device=args.device, beam_size=1)
    batched_pad = encode._stft_pad

    def run(batch_size: int, batched: bool) -> tuple[float, float]:
        encode._stft_pad = batched_pad if batched else (lambda model, speech: None)
        batches = make_batches(utts, 10**12, batch_size)
        sync(args.device)
        start = time.perf_counter()
        with torch.no_grad():
            for batch in batches:
                encode.encode_batch(s2t.model, [wavs[u.key] for u in batch], "auto")
        sync(args.device)
        encoded = time.perf_counter()
        for batch in batches:
            s2t([wavs[u.key] for u in batch])
        sync(args.device)
        return encoded - start, time.perf_counter() - encoded

    sizes = [int(b) for b in args.batch_sizes.split(",")]
    run(max(sizes), True), run(max(sizes), False)  # warm-up
    rows = []
    for size in sizes:
        for _ in range(args.repeats):
            for batched in (False, True):
                encode_s, decode_s = run(size, batched)
                row = {
                    "bs": size,
                    "batched_features": batched,
                    "encode_s": round(encode_s, 3),
                    "decode_beam1_s": round(decode_s, 3),
                }
                print(json.dumps(row), flush=True)
                rows.append(row)
    encode._stft_pad = batched_pad
    device = torch.cuda.get_device_name() if args.device.startswith("cuda") else args.device
    dev = "cuda" if args.device.startswith("cuda") else "cpu"
    out = args.out or Path(__file__).resolve().parent / "results" / f"encode_features_{dev}.json"
    result = {
        "benchmark": "padded encoder: per-utterance features vs one batched frontend call",
        "exp_dir": str(args.exp_dir),
        "data_dir": str(args.data_dir),
        "n_utts": len(utts),
        "device": device,
        "torch": torch.__version__,
        "rows": rows,
    }
    write_text_atomic(out, json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
