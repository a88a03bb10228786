"""Options and error handling shared by the corpus preparation commands
(``espnet_ext.bin.prepare_mustc``, ``espnet_ext.bin.prepare_how2``)."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable

from espnet_ext.corpus.audio_info import END_TOLERANCE_S
from espnet_ext.corpus.kaldi import CorpusError
from espnet_ext.corpus.segments import LONG_SEGMENT_S


def add_preparation_options(parser: argparse.ArgumentParser, splits: tuple[str, ...]) -> None:
    """``--splits``, ``--nj``, ``--force``, ``--tolerance``, ``--long-segment-s``."""
    parser.add_argument("--splits", default=",".join(splits), help="comma-separated split names")
    parser.add_argument("--nj", type=int, default=1, help="parallel jobs for normalisation")
    parser.add_argument(
        "--force", action="store_true", help="redo splits that are complete and up to date"
    )
    parser.add_argument(
        "--tolerance",
        type=float,
        default=END_TOLERANCE_S,
        help="seconds a segment may end after its audio before it is skipped",
    )
    parser.add_argument(
        "--long-segment-s",
        type=float,
        default=LONG_SEGMENT_S,
        help="segments longer than this are kept but noted in the report",
    )


def run_preparation(name: str, prepare: Callable, args: argparse.Namespace, *positional) -> int:
    """Call ``prepare(*positional, splits, nj, force=..., tolerance=..., long_segment_s=...)``;
    a :class:`CorpusError` becomes one ``<name>: error: ...`` line and exit status 1."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    splits = [s for s in args.splits.split(",") if s]
    try:
        prepare(
            *positional,
            splits,
            args.nj,
            force=args.force,
            tolerance=args.tolerance,
            long_segment_s=args.long_segment_s,
        )
    except CorpusError as e:
        print(f"{name}: error: {e}", file=sys.stderr)
        return 1
    return 0
