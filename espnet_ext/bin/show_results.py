"""`python -m espnet_ext.bin.show_results EXP_ROOT`: one results table across experiments.

Writes EXP_ROOT/RESULTS.md (or --out) with results.json and PNG plots next to it, and
EXP_ROOT/<system>/RESULTS.md per experiment; prints the table.
"""

from __future__ import annotations

import argparse
import logging
import sys

from espnet_ext.scoring.results import write_results


def get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Collect train_info.json, score.json and rtf.json of every experiment under "
        "EXP_ROOT into Markdown tables, results.json and plots.",
    )
    parser.add_argument("exp_root", help="directory holding one sub-directory per experiment")
    parser.add_argument("--out", default=None, help="table path (default: EXP_ROOT/RESULTS.md)")
    parser.add_argument("--log-level", default="INFO", help="Python logging level")
    return parser


def main(cmd: list[str] | None = None) -> None:
    args = get_parser().parse_args(cmd)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(message)s")
    try:
        written = write_results(args.exp_root, args.out)
    except (OSError, ValueError) as e:
        sys.exit(f"show_results: {e}")
    sys.stdout.write(written["table"])
    if not written["rows"]:
        logging.warning("%s: no experiments found", args.exp_root)
    logging.info(
        "wrote %s, %s, %d plot(s), %d per-experiment RESULTS.md",
        args.out or f"{args.exp_root}/RESULTS.md",
        written["results_json"],
        len(written["plots"]),
        len(written["experiments"]),
    )


if __name__ == "__main__":
    main()
