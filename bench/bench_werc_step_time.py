"""Training step time (forward + backward) of the WeRC decoder against ESPnet's TransformerDecoder.

Same sizes for all variants (defaults: batch 16, 6 layers, d=256, 4 heads, FFN 2048, 40 target
tokens, 150 encoder frames, vocabulary 1000), dropout on, cross-entropy loss on the logits.
Variants are timed in interleaved order (A, B, C, A, B, C, ...) so that load from other processes
hits them alike; the figure of merit is the median over repeats of the process CPU time (with
``--threads 1`` on CPU that is the step's compute time, robust to other processes on the machine);
wall-clock medians are reported next to it.

    python bench/bench_werc_step_time.py [--repeats 30] [--threads 1] [--device cpu]

Writes ``bench/results/werc_step_time.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from espnet_ext.bin import quiet_espnet_import  # noqa: E402
from espnet_ext.fileio import write_text_atomic  # noqa: E402

TARGET_OVERHEAD_PCT = 5.0
# CPU time of the process: on a shared machine it does not count the time spent waiting for a
# core, which wall-clock time does (both are reported).
PRIMARY = "overhead_pct_cpu_median"


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--layers", type=int, default=6)
    p.add_argument("--dim", type=int, default=256)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--ffn", type=int, default=2048)
    p.add_argument("--target-len", type=int, default=40)
    p.add_argument("--source-len", type=int, default=150)
    p.add_argument("--vocab", type=int, default=1000)
    p.add_argument("--repeats", type=int, default=30)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--threads", type=int, default=1, help="torch intra-op threads on CPU")
    p.add_argument("--device", default="cpu")
    p.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "results" / "werc_step_time.json"
    )
    return p


def build_variants(args) -> dict[str, torch.nn.Module]:
    from espnet2.asr.decoder.transformer_decoder import TransformerDecoder

    from espnet_ext.werc.decoder import WeRCTransformerDecoder

    conf = dict(
        vocab_size=args.vocab,
        encoder_output_size=args.dim,
        attention_heads=args.heads,
        linear_units=args.ffn,
        num_blocks=args.layers,
    )
    torch.manual_seed(0)
    variants = {
        "espnet_transformer": TransformerDecoder(**conf),
        "werc_all_layers": WeRCTransformerDecoder(**conf),
        "werc_off": WeRCTransformerDecoder(**conf, werc_layers=[]),
    }
    return {name: module.to(args.device).train() for name, module in variants.items()}


def step(decoder, memory, memory_lens, ys_in, ys_lens, ys_out, device) -> tuple[float, float]:
    """(wall seconds, process CPU seconds) for one forward + backward pass."""
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    start, start_cpu = time.perf_counter(), time.process_time()
    logits, _ = decoder(memory, memory_lens, ys_in, ys_lens)
    loss = torch.nn.functional.cross_entropy(logits.transpose(1, 2), ys_out)
    loss.backward()
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    elapsed, elapsed_cpu = time.perf_counter() - start, time.process_time() - start_cpu
    decoder.zero_grad(set_to_none=True)
    memory.grad = None
    return elapsed, elapsed_cpu


def main(argv=None) -> dict:
    args = get_parser().parse_args(argv)
    quiet_espnet_import()
    if args.device == "cpu":
        torch.set_num_threads(args.threads)
    variants = build_variants(args)
    g = torch.Generator().manual_seed(0)
    memory = torch.randn(args.batch, args.source_len, args.dim, generator=g).to(args.device)
    memory.requires_grad_(True)  # gradients flow back into the encoder in training
    memory_lens = torch.full((args.batch,), args.source_len, device=args.device)
    ys_in = torch.randint(0, args.vocab, (args.batch, args.target_len), generator=g)
    ys_out = torch.randint(0, args.vocab, (args.batch, args.target_len), generator=g)
    ys_in, ys_out = ys_in.to(args.device), ys_out.to(args.device)
    ys_lens = torch.full((args.batch,), args.target_len, device=args.device)

    wall = {name: [] for name in variants}
    cpu = {name: [] for name in variants}
    for i in range(args.warmup + args.repeats):
        for name, decoder in variants.items():
            t, t_cpu = step(decoder, memory, memory_lens, ys_in, ys_lens, ys_out, args.device)
            if i >= args.warmup:
                wall[name].append(t)
                cpu[name].append(t_cpu)
        print(f"repeat {i + 1}/{args.warmup + args.repeats}", file=sys.stderr, end="\r")
    print(file=sys.stderr)

    def summary(name):
        return {
            "wall_median_ms": 1000 * statistics.median(wall[name]),
            "wall_min_ms": 1000 * min(wall[name]),
            "cpu_median_ms": 1000 * statistics.median(cpu[name]),
            "cpu_min_ms": 1000 * min(cpu[name]),
        }

    results = {name: summary(name) for name in variants}
    base = results["espnet_transformer"]
    for name in ("werc_all_layers", "werc_off"):
        r = results[name]
        for key in ("wall_median_ms", "cpu_median_ms", "cpu_min_ms"):
            r[f"overhead_pct_{key[:-3]}"] = 100 * (r[key] / base[key] - 1)
    report = {
        "benchmark": "WeRC decoder training step time (forward + backward) vs ESPnet decoder",
        "config": {k: v for k, v in vars(args).items() if k != "out"},
        "torch": torch.__version__,
        "machine": platform.processor() or platform.machine(),
        "cpu_threads": torch.get_num_threads(),
        "results": results,
        "target_overhead_pct": TARGET_OVERHEAD_PCT,
        "primary_figure": PRIMARY,
        "target_met": results["werc_all_layers"][PRIMARY] <= TARGET_OVERHEAD_PCT,
    }
    write_text_atomic(args.out, json.dumps(report, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return report


if __name__ == "__main__":
    main()
