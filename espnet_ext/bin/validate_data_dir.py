"""`python -m espnet_ext.bin.validate_data_dir DIR [DIR ...]`: check Kaldi-style data dirs."""

from __future__ import annotations

import argparse
import logging
import sys

from espnet_ext.corpus.audio_info import END_TOLERANCE_S
from espnet_ext.corpus.kaldi import CorpusError, validate_data_dir


def get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m espnet_ext.bin.validate_data_dir",
        description="Check data dirs: sorted unique ids, consistent files, spk2utt = inverse of "
        "utt2spk, every segment inside its audio, no empty text. Exits 1 on the first problem, "
        "naming the file and line.",
    )
    parser.add_argument("dirs", nargs="+", metavar="DIR")
    parser.add_argument(
        "--no-audio", action="store_true", help="do not read audio headers (skip segment ends)"
    )
    parser.add_argument(
        "--tolerance",
        type=float,
        default=END_TOLERANCE_S,
        help="seconds a segment may end after its audio",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = get_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    for d in args.dirs:
        try:
            validate_data_dir(d, check_audio=not args.no_audio, tolerance=args.tolerance)
        except CorpusError as e:
            print(f"validate_data_dir: error: {e}", file=sys.stderr)
            return 1
        print(f"{d}: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
