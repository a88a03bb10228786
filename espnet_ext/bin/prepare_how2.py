"""`python -m espnet_ext.bin.prepare_how2`: How2 300h text release + audio -> data dirs."""

from __future__ import annotations

import argparse
import logging
import sys

from espnet_ext.corpus.audio_info import END_TOLERANCE_S
from espnet_ext.corpus.how2 import HOW2_SPLITS, prepare_how2
from espnet_ext.corpus.kaldi import CorpusError
from espnet_ext.corpus.segments import LONG_SEGMENT_S


def get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m espnet_ext.bin.prepare_how2",
        description="Prepare Kaldi-style data dirs <out-dir>/<split>.en-pt/ from the How2 300h "
        "release's text part and one audio file per video; faulty entries are skipped and "
        "counted in <dir>/prep_report.json.",
    )
    parser.add_argument("--corpus-dir", required=True, help="dir holding how2-300h-v1/ ($HOW2)")
    parser.add_argument(
        "--audio-dir", required=True, help="<video_id>.wav or .flac per video ($HOW2_AUDIO)"
    )
    parser.add_argument("--out-dir", required=True, help="where <split>.en-pt/ dirs go")
    parser.add_argument(
        "--splits", default=",".join(HOW2_SPLITS), help="comma-separated split names"
    )
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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = get_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    splits = [s for s in args.splits.split(",") if s]
    try:
        prepare_how2(
            args.corpus_dir,
            args.audio_dir,
            args.out_dir,
            splits,
            args.nj,
            force=args.force,
            tolerance=args.tolerance,
            long_segment_s=args.long_segment_s,
        )
    except CorpusError as e:
        print(f"prepare_how2: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
