"""`python -m espnet_ext.bin.prepare_how2`: How2 300h text release + audio -> data dirs."""

from __future__ import annotations

import argparse
import sys

from espnet_ext.corpus.cli import add_preparation_options, run_preparation
from espnet_ext.corpus.how2 import HOW2_SPLITS, prepare_how2


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
    add_preparation_options(parser, HOW2_SPLITS)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = get_parser().parse_args(argv)
    return run_preparation(
        "prepare_how2", prepare_how2, args, args.corpus_dir, args.audio_dir, args.out_dir
    )


if __name__ == "__main__":
    sys.exit(main())
