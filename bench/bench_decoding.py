"""Benchmark: ESPnet's st_inference decoder (batch 1) vs the batched beam search.

For each beam size, decodes every utterance of a dumped data dir with ESPnet's ``Speech2Text``
(what ``espnet2.bin.st_inference`` runs, one utterance at a time) and with
:class:`espnet_ext.decoding.inference.BatchSpeech2Text` at each batch size, and reports
utterances per second, real-time factor (decode seconds / audio seconds), BLEU (sacreBLEU against
the data dir's ``text.tc.<tgt>``) and the share of utterances whose hypothesis is identical to
ESPnet's. Audio is read before timing starts; the model is warmed up on a few utterances first.
Besides wall-clock seconds, the process CPU seconds are recorded: on a shared machine they are
the steadier measure of the work done (with ``--threads 1`` on CPU).

    python bench/bench_decoding.py --exp-dir exp/st_xxx --data-dir dump/raw/tst-COMMON.en-de \
        --beams 1,5,10 --batch-sizes 1,8,32,64 [--device cuda]

writes ``bench/results/decoding_<device>.json`` (after every beam size, so a run cut short keeps
what it finished). On a GPU one pass of ours over a test set lasts about a second: ``--repeats 2``
keeps the faster of two, ``--espnet-repeats 1`` times ESPnet's long pass once. Runs split by beam
size (one command per beam, to fit a time limit) are joined with ``--merge A.json B.json --out
C.json``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from espnet_ext.bin import quiet_espnet_import  # noqa: E402
from espnet_ext.fileio import write_text_atomic  # noqa: E402

MODEL_FILES = ("valid.acc.ave.pth", "valid.acc.best.pth", "model.pth", "latest.pth")


def find_model(exp_dir: Path) -> tuple[Path, Path]:
    config = exp_dir / "config.yaml"
    if not config.exists():
        raise SystemExit(f"{config} not found")
    for name in MODEL_FILES:
        if (exp_dir / name).exists():
            return config, exp_dir / name
    raise SystemExit(f"no model file in {exp_dir}; looked for {', '.join(MODEL_FILES)}")


def find_reference(data_dir: Path, tgt_lang: str | None) -> Path:
    if tgt_lang:
        ref = data_dir / f"text.tc.{tgt_lang}"
        if not ref.exists():
            raise SystemExit(f"{ref} not found")
        return ref
    refs = [p for p in sorted(data_dir.glob("text.tc.*")) if p.suffix != ".en"]
    if len(refs) != 1:
        raise SystemExit(
            f"{data_dir}: expected one text.tc.<tgt> besides .en, found {refs}; " "pass --tgt-lang"
        )
    return refs[0]


def hyp_text(result) -> str:
    return result.text if result.text is not None else " ".join(result.token)


def run_espnet(config, model, wavs, beam, args) -> tuple[list[str], tuple[float, float]]:
    """ESPnet's hypotheses and (wall, CPU) seconds."""
    import espnet2.bin.st_inference as st_inference
    from espnet.nets.pytorch_backend.transformer.subsampling import TooShortUttError

    s2t = st_inference.Speech2Text(
        st_train_config=str(config),
        st_model_file=str(model),
        device=args.device,
        beam_size=beam,
        ctc_weight=args.ctc_weight,
        penalty=args.penalty,
        maxlenratio=args.maxlenratio,
        minlenratio=args.minlenratio,
        nbest=1,
    )
    for w in wavs[: args.warmup]:
        s2t(w)

    def decode_all():
        hyps = []
        for w in wavs:
            try:
                results = s2t(w)
            except TooShortUttError:
                results = []
            hyps.append((results[0][0] or " ".join(results[0][1])) if results else "")
        return hyps

    return timed(decode_all, args, args.espnet_repeats or args.repeats)


def run_ours(config, model, utts, wavs, beam, batch_size, encoder_mode, args):
    from espnet_ext.decoding.batching import make_batches
    from espnet_ext.decoding.inference import BatchSpeech2Text

    s2t = BatchSpeech2Text(
        config,
        model,
        device=args.device,
        beam_size=beam,
        ctc_weight=args.ctc_weight,
        penalty=args.penalty,
        maxlenratio=args.maxlenratio,
        minlenratio=args.minlenratio,
        encoder_mode=encoder_mode,
    )
    index = {u.key: i for i, u in enumerate(utts)}
    batches = make_batches(utts, batch_bins=10**12, batch_size=batch_size)
    s2t([wavs[i] for i in range(min(args.warmup, len(wavs)))])

    def decode_all():
        hyps = [""] * len(utts)
        for batch in batches:
            idx = [index[u.key] for u in batch]
            for i, nbest in zip(idx, s2t([wavs[i] for i in idx])):
                hyps[i] = hyp_text(nbest[0]) if nbest else ""
        return hyps

    return timed(decode_all, args, args.repeats)


def timed(decode_all, args, repeats: int) -> tuple[list[str], tuple[float, float]]:
    """Hypotheses of the first pass and the (wall, CPU) seconds of the fastest of ``repeats``.

    The fastest pass is the one least disturbed by other work on the machine; a GPU pass over a
    small test set lasts about a second, where one disturbance would dominate.
    """
    passes = []
    for _ in range(repeats):
        sync(args.device)
        start = time.perf_counter(), time.process_time()
        hyps = decode_all()
        sync(args.device)
        passes.append((hyps, (time.perf_counter() - start[0], time.process_time() - start[1])))
    return passes[0][0], min((seconds for _, seconds in passes), key=lambda s: s[0])


# what must agree for runs to be joined into one table
MERGE_KEYS = ("exp_dir", "data_dir", "reference", "n_utts", "audio_seconds", "device", "settings")


def merge_results(paths: list[Path], out: Path) -> None:
    """Join runs of the same benchmark that decoded different beam sizes (e.g. to fit a GPU
    lease's time limit per command); refuses runs that differ in model, data, device or settings.
    """
    runs = [json.loads(p.read_text()) for p in paths]
    first = runs[0]
    for path, run in zip(paths[1:], runs[1:]):
        for key in MERGE_KEYS:
            if run.get(key) != first.get(key):
                raise SystemExit(
                    f"{path}: {key} is {run.get(key)!r}, but {paths[0]} has {first.get(key)!r}"
                )
    beams = [sorted({r["beam"] for r in run["results"]}) for run in runs]
    seen: set[int] = set()
    for path, run_beams in zip(paths, beams):
        if seen & set(run_beams):
            raise SystemExit(f"{path}: beam size(s) {sorted(seen & set(run_beams))} twice")
        seen |= set(run_beams)
    merged = dict(first)
    merged["results"] = sorted(
        (r for run in runs for r in run["results"]), key=lambda r: r["beam"]
    )
    merged["merged_from"] = [
        {"file": p.name, "beams": b, "load_average_1min": run.get("load_average_1min")}
        for p, b, run in zip(paths, beams, runs)
    ]
    write_text_atomic(out, json.dumps(merged, indent=2) + "\n")
    print(f"wrote {out} ({len(merged['results'])} rows from {len(runs)} runs)")


def sync(device: str) -> None:
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exp-dir", type=Path, help="config.yaml + model .pth")
    parser.add_argument("--data-dir", type=Path, help="wav.scp + text.tc.<tgt>")
    parser.add_argument(
        "--merge",
        type=Path,
        nargs="+",
        help="instead of decoding: join result files of runs split by beam size into --out",
    )
    parser.add_argument("--beams", default="1,5,10", help="comma-separated beam sizes")
    parser.add_argument("--batch-sizes", default="1,8,32,64", help="comma-separated")
    parser.add_argument(
        "--encoder-modes",
        default="auto",
        help="comma-separated encoder modes of ours: auto, padded, per_utterance",
    )
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--ctc-weight", type=float, default=0.0)
    parser.add_argument("--penalty", type=float, default=0.0)
    parser.add_argument("--maxlenratio", type=float, default=0.0)
    parser.add_argument("--minlenratio", type=float, default=0.0)
    parser.add_argument("--tgt-lang", default=None, help="reference text.tc.<lang> (auto)")
    parser.add_argument("--max-utts", type=int, default=None, help="first N utterances only")
    parser.add_argument("--warmup", type=int, default=2, help="utterances decoded untimed first")
    parser.add_argument(
        "--repeats", type=int, default=1, help="timed passes per setting; the fastest is kept"
    )
    parser.add_argument(
        "--espnet-repeats",
        type=int,
        default=None,
        help="timed passes of ESPnet's decoder (default: --repeats); its batch-1 pass is the "
        "longest, so one pass is already a steady figure where ours needs several",
    )
    parser.add_argument("--out", type=Path, default=None, help="default: results/decoding_<dev>")
    args = parser.parse_args(argv)
    if args.merge:
        if args.out is None:
            parser.error("--merge needs --out")
        merge_results(args.merge, args.out)
        return
    if args.exp_dir is None or args.data_dir is None:
        parser.error("--exp-dir and --data-dir are required")
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")

    quiet_espnet_import()
    import sacrebleu
    import torch

    from espnet_ext.decoding.batching import load_audio, read_scp, read_utterances
    from espnet_ext.registry import register

    register()
    torch.set_num_threads(args.threads)
    config, model = find_model(args.exp_dir)
    ref_path = find_reference(args.data_dir, args.tgt_lang)
    refs_by_key = read_scp(ref_path)
    utts = read_utterances(args.data_dir / "wav.scp")[: args.max_utts]
    refs = [refs_by_key[u.key] for u in utts]
    loaded = [load_audio(u) for u in utts]
    wavs = [w for w, _ in loaded]
    audio_seconds = sum(len(w) / rate for w, rate in loaded)
    beams = [int(b) for b in args.beams.split(",")]
    sizes = [int(b) for b in args.batch_sizes.split(",")]
    encoder_modes = [v.strip() for v in args.encoder_modes.split(",")]

    def entry(system, beam, batch_size, hyps, times, espnet_hyps=None, **extra):
        seconds, cpu_seconds = times
        bleu = metric.corpus_score(hyps, [refs])
        row = {
            "system": system,
            "beam": beam,
            "batch_size": batch_size,
            **extra,
            "decode_seconds": round(seconds, 3),
            "cpu_seconds": round(cpu_seconds, 3),
            "utts_per_second": round(len(utts) / seconds, 3),
            "rtf": round(seconds / audio_seconds, 5),
            "bleu": round(bleu.score, 2),
        }
        if espnet_hyps is not None:
            row["identical_to_espnet"] = round(
                sum(a == b for a, b in zip(hyps, espnet_hyps)) / len(hyps), 4
            )
        return row

    metric = sacrebleu.BLEU()
    rows = []
    device_name = args.device
    if args.device.startswith("cuda"):
        device_name = torch.cuda.get_device_name()
    dev = "cuda" if args.device.startswith("cuda") else "cpu"
    out = args.out or Path(__file__).resolve().parent / "results" / f"decoding_{dev}.json"

    def summary(rows):
        return {
            "benchmark": "batched beam search vs espnet2.bin.st_inference (batch 1)",
            "exp_dir": str(args.exp_dir),
            "data_dir": str(args.data_dir),
            "reference": ref_path.name,
            "n_utts": len(utts),
            "audio_seconds": round(audio_seconds, 2),
            "device": device_name,
            "torch_threads": args.threads,
            "repeats": args.repeats,
            "espnet_repeats": args.espnet_repeats or args.repeats,
            "cpu_count": os.cpu_count(),
            "platform": platform.platform(),
            "torch": torch.__version__,
            "load_average_1min": round(os.getloadavg()[0], 2),
            "settings": {
                "ctc_weight": args.ctc_weight,
                "penalty": args.penalty,
                "maxlenratio": args.maxlenratio,
                "minlenratio": args.minlenratio,
            },
            "bleu_signature": str(metric.get_signature()),
            "results": rows,
        }

    for beam in beams:
        espnet_hyps, times = run_espnet(config, model, wavs, beam, args)
        base = entry("espnet_st_inference", beam, 1, espnet_hyps, times)
        print(json.dumps(base), flush=True)
        rows.append(base)
        for encoder_mode in encoder_modes:
            for size in sizes:
                hyps, times = run_ours(config, model, utts, wavs, beam, size, encoder_mode, args)
                row = entry(
                    "espnet_ext_batch_beam_search",
                    beam,
                    size,
                    hyps,
                    times,
                    espnet_hyps,
                    encoder_mode=encoder_mode,
                )
                row["speedup_vs_espnet"] = round(base["decode_seconds"] / times[0], 2)
                row["cpu_speedup_vs_espnet"] = round(base["cpu_seconds"] / times[1], 2)
                print(json.dumps(row), flush=True)
                row["bleu_delta_vs_espnet"] = round(row["bleu"] - base["bleu"], 2)
                rows.append(row)
        # written after every beam size, so a run cut short keeps what it finished
        write_text_atomic(out, json.dumps(summary(rows), indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
