"""`python -m espnet_ext.bin.prepare_mustc`: MuST-C v1 release -> `data/<split>.<pair>/` dirs."""

from __future__ import annotations

import argparse
import sys

from espnet_ext.corpus.cli import add_preparation_options, run_preparation
from espnet_ext.corpus.mustc import MUSTC_SPLITS, prepare_mustc


def get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m espnet_ext.bin.prepare_mustc",
        description="Prepare Kaldi-style data dirs <out-dir>/<split>.<pair>/ from a MuST-C v1 "
        "release; faulty entries are skipped and counted in <dir>/prep_report.json.",
    )
    parser.add_argument("--corpus-dir", required=True, help="dir holding en-XX/ ($MUSTC)")
    parser.add_argument("--pair", required=True, help="language pair, e.g. en-de")
    parser.add_argument("--out-dir", required=True, help="where <split>.<pair>/ dirs go")
    add_preparation_options(parser, MUSTC_SPLITS)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = get_parser().parse_args(argv)
    return run_preparation(
        "prepare_mustc", prepare_mustc, args, args.corpus_dir, args.out_dir, args.pair
    )


if __name__ == "__main__":
    sys.exit(main())
