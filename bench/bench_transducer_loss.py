"""RNN-T loss on the CPU: torchaudio's ``rnnt_loss`` vs ``espnet_ext.discrete.transducer_loss``.

    python bench/bench_transducer_loss.py [--threads 1] [--repeats 5] \\
        [--out bench/results/transducer_loss_cpu.json]

Times forward + backward of both on the same random lattices, alternating, and keeps the median
of ``--repeats`` passes, for the mini recipe's RNN-T batch (8 utterances, ~160 frames after the
2x frame up-sampling, 27 target positions, 1000 target pieces) and a larger one. Also records the
largest loss and gradient differences between the two, and for the mini batch each one's error
against the same loss computed in float64.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
import torchaudio  # noqa: E402

from espnet_ext.discrete.transducer_loss import _lattice_nll, rnnt_loss_logspace  # noqa: E402
from espnet_ext.fileio import write_text_atomic  # noqa: E402

# (batch, frames, targets, vocabulary)
SHAPES = {"mini_recipe_batch": (8, 160, 26, 1000), "longer_batch": (16, 300, 60, 1000)}


def lattice(batch: int, frames: int, targets: int, vocab: int, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(batch, frames, targets + 1, vocab, generator=g) * 2
    ys = torch.randint(1, vocab, (batch, targets), generator=g, dtype=torch.int32)
    t_lens = torch.randint(frames // 2, frames + 1, (batch,), generator=g, dtype=torch.int32)
    u_lens = torch.randint(targets // 2, targets + 1, (batch,), generator=g, dtype=torch.int32)
    t_lens[0], u_lens[0] = frames, targets
    return logits, ys, t_lens, u_lens


def timed(fn, logits, *rest) -> tuple[float, torch.Tensor, torch.Tensor]:
    x = logits.clone().requires_grad_()
    start = time.perf_counter()
    loss = fn(x, *rest)
    loss.backward()
    return time.perf_counter() - start, loss.detach(), x.grad


def torchaudio_loss(x, ys, t_lens, u_lens):
    return torchaudio.functional.rnnt_loss(x, ys, t_lens, u_lens, blank=0, reduction="mean")


def ours_loss(x, ys, t_lens, u_lens):
    return rnnt_loss_logspace(x, ys, t_lens, u_lens, blank=0, reduction="mean")


def float64_reference(logits, ys, t_lens, u_lens) -> tuple[torch.Tensor, torch.Tensor]:
    """The loss and gradient with every step in float64 (log-softmax, lattice, autograd)."""
    x = logits.double().requires_grad_()
    lp = x.log_softmax(-1)
    ids = ys.long()[:, None, :, None].expand(-1, x.size(1), -1, 1)
    emit = lp[:, :, :-1].gather(-1, ids).squeeze(-1)
    loss = _lattice_nll(lp[..., 0], emit, t_lens, u_lens).mean()
    loss.backward()
    return loss.detach(), x.grad


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--note", default="", help="a note kept in the results (e.g. machine load)")
    p.add_argument("--out", type=Path, default=ROOT / "bench/results/transducer_loss_cpu.json")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)

    rows = []
    for name, shape in SHAPES.items():
        inputs = lattice(*shape)
        timed(torchaudio_loss, *inputs), timed(ours_loss, *inputs)  # warm-up
        times = {"torchaudio": [], "espnet_ext": []}
        for _ in range(args.repeats):
            t_ref, loss_ref, grad_ref = timed(torchaudio_loss, *inputs)
            t_ours, loss_ours, grad_ours = timed(ours_loss, *inputs)
            times["torchaudio"].append(t_ref)
            times["espnet_ext"].append(t_ours)
        medians = {k: statistics.median(v) for k, v in times.items()}
        rows.append({
            "shape": name,
            "batch_frames_targets_vocab": list(shape),
            "median_s": {k: round(v, 4) for k, v in medians.items()},
            "speedup": round(medians["torchaudio"] / medians["espnet_ext"], 2),
            "loss_abs_diff": float((loss_ref - loss_ours).abs()),
            "grad_max_abs_diff": float((grad_ref - grad_ours).abs().max()),
            "grad_max_abs": float(grad_ref.abs().max()),
        })  # fmt: skip
        if name == "mini_recipe_batch":
            loss64, grad64 = float64_reference(*inputs)
            for label, loss, grad in (
                ("torchaudio", loss_ref, grad_ref),
                ("espnet_ext", loss_ours, grad_ours),
            ):
                rows[-1][f"{label}_vs_float64"] = {
                    "loss_abs_err": float((loss.double() - loss64).abs()),
                    "grad_max_abs_err": float((grad.double() - grad64).abs().max()),
                }
        print(json.dumps(rows[-1]), flush=True)
    result = {
        "benchmark": "transducer_loss_cpu",
        "what": "forward + backward of the RNN-T loss, median of --repeats alternating passes",
        "threads": args.threads,
        "repeats": args.repeats,
        "torch": torch.__version__,
        "torchaudio": torchaudio.__version__,
        "machine": platform.processor() or platform.machine(),
        "note": args.note,
        "rows": rows,
    }
    write_text_atomic(args.out, json.dumps(result, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
