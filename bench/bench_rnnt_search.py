"""RNN-T decoding: ESPnet's transducer search algorithms on trained discrete-unit systems.

    cd egs2/mustc_discrete/st1   # the systems' configs name files relative to the recipe
    python ../../../bench/bench_rnnt_search.py \\
        --system rnnt_st=exp_cpu/rnnt_st --system rnnt_st_mt=exp_gpu/rnnt_st_mt \\
        --src dump/units/mfcc_k500/data/tst-COMMON.en-de.st/src \\
        --ref data/tst-COMMON.en-de/text.tc.de \\
        --search default:5 default:1 alsd:5 maes:5 --out ../../../bench/results/rnnt_search_mini.json

Decodes the test set once per system and search (``TYPE:BEAM``; ``default:1`` is greedy) in this
process, with the recipe's decoder (``Discrete2Text``, one thread), and records the seconds per
utterance, sacreBLEU (BLEU, brevity penalty, hypothesis/reference length) and how many hypotheses
equal the first search's. The model loads before the clock starts. References are keyed by the
utterance id without the data variant's prefix (``st-``), as stage 12 scores them.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sacrebleu  # noqa: E402
import torch  # noqa: E402

from espnet_ext.fileio import write_text_atomic  # noqa: E402
from espnet_ext.pipeline.datadir import read_map  # noqa: E402


def _pair(sep: str, what: str):
    def parse(value: str) -> tuple[str, str]:
        left, found, right = value.partition(sep)
        if not (left and found and right):
            raise argparse.ArgumentTypeError(f"expected {what}, got {value!r}")
        return left, right

    return parse


def decode(
    exp: Path, model: str, search: tuple[str, str], src: Path, out: Path
) -> tuple[dict, float]:
    from espnet_ext.discrete.inference import Discrete2Text, decode_dir

    kind, beam = search
    decoder = Discrete2Text(
        exp / "config.yaml", exp / model, beam_size=int(beam), transducer_search_type=kind
    )
    start = time.perf_counter()
    decode_dir(decoder, [(str(src), "src_text", "text")], out)
    seconds = time.perf_counter() - start
    return read_map(out / "1best_recog" / "text"), seconds


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--system", action="append", required=True, type=_pair("=", "NAME=EXP_DIR"),
        metavar="NAME=EXP_DIR",
    )  # fmt: skip
    p.add_argument("--model", default="valid.loss.ave.pth", help="checkpoint in each EXP_DIR")
    p.add_argument("--src", type=Path, required=True, help="the test set's unit data file")
    p.add_argument("--ref", type=Path, required=True, help="target text, one utterance a line")
    p.add_argument(
        "--search", nargs="+", type=_pair(":", "TYPE:BEAM"), metavar="TYPE:BEAM",
        default=[("default", "5"), ("default", "1"), ("alsd", "5"), ("maes", "5")],
    )  # fmt: skip
    p.add_argument("--work-dir", type=Path, default=Path("exp_bench_rnnt_search"))
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args(argv)

    from espnet_ext.bin import quiet_espnet_import
    from espnet_ext.registry import register

    quiet_espnet_import()
    register()
    torch.set_num_threads(1)
    refs = read_map(args.ref)
    keys = sorted(read_map(args.src))
    stripped = {k: k.split("-", 1)[1] for k in keys}
    missing = [k for k in keys if stripped[k] not in refs]
    if missing:
        sys.exit(f"{args.ref}: no reference for {len(missing)} utterances, e.g. {missing[0]}")
    ref_list = [refs[stripped[k]] for k in keys]

    results = {}
    first_search = ":".join(args.search[0])
    for name, exp in args.system:
        rows, first = [], None
        for search in args.search:
            out = args.work_dir / name / "_beam".join(search)
            hyps, seconds = decode(Path(exp), args.model, search, args.src, out)
            hyp_list = [hyps[k] for k in keys]
            bleu = sacrebleu.corpus_bleu(hyp_list, [ref_list])
            first = first or hyp_list
            rows.append(
                {
                    "search": ":".join(search),
                    "seconds_per_utt": round(seconds / len(keys), 4),
                    "bleu": round(bleu.score, 2),
                    "brevity_penalty": round(bleu.bp, 3),
                    "hyp_len": bleu.sys_len,
                    "ref_len": bleu.ref_len,
                    f"same_as_{first_search}": sum(a == b for a, b in zip(hyp_list, first)),
                }
            )
            print(name, json.dumps(rows[-1]), flush=True)
        results[name] = {"exp_dir": exp, "rows": rows}

    report = {
        "benchmark": "RNN-T search algorithms (ESPnet BeamSearchTransducer) on the mini recipe",
        "machine": {"platform": platform.platform(), "threads": 1},
        "test_set": {"src": str(args.src), "utterances": len(keys)},
        "model": args.model,
        "systems": results,
    }
    write_text_atomic(args.out, json.dumps(report, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
