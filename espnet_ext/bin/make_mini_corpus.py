"""`python -m espnet_ext.bin.make_mini_corpus`: a synthetic corpus in the MuST-C v1 and How2
release layouts (espeak-ng speech, grammar-made translations), for CI and demos."""

from __future__ import annotations

import argparse
import logging
import sys

from espnet_ext.corpus.mini.generate import PAIRS, CorpusDirError, make_mini_corpus
from espnet_ext.corpus.mini.plan import SIZES


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--out", required=True, help="output directory (created; must be new/empty)")
    p.add_argument(
        "--size",
        choices=sorted(SIZES),
        default="tiny",
        help="tiny: ~200 train utterances per corpus (CI); mini: ~3000 (demo)",
    )
    p.add_argument(
        "--pairs",
        default=",".join(PAIRS),
        help="comma-separated language pairs; en-pt adds the How2 corpus",
    )
    p.add_argument("--seed", type=int, default=0, help="the same seed gives identical bytes")
    p.add_argument(
        "--nj",
        type=int,
        default=None,
        help="parallel espeak-ng processes (default: number of CPUs)",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    args = get_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        make_mini_corpus(args.out, size=args.size, pairs=args.pairs, seed=args.seed, nj=args.nj)
    except (CorpusDirError, ValueError, RuntimeError) as e:
        print(f"make_mini_corpus: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
