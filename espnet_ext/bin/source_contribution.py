"""`python -m espnet_ext.bin.source_contribution`: ALTI+ source contribution over training.

Example (run from the recipe directory, where the configs' relative paths resolve)::

    python -m espnet_ext.bin.source_contribution \\
        --exp-dir exp/st_baseline --exp-dir exp/st_werc \\
        --data-dir dump/raw/tst-COMMON.en-de --max-utts 100 --out-dir exp/source_contribution

Writes ``OUT/source_contribution.csv`` (experiment, checkpoint, epoch, step, source_share,
n_utts) and ``OUT/source_contribution.png`` (one curve per experiment). See
:mod:`espnet_ext.werc.source_contribution` for what is computed.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from espnet_ext.bin import quiet_espnet_import


def get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Mean ALTI+ source contribution of every epoch checkpoint of ST experiments",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--exp-dir",
        type=Path,
        action="append",
        required=True,
        help="experiment dir with config.yaml and <n>epoch.pth (repeat for several)",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        required=True,
        help="dumped test set holding the files named in the config's training data entries",
    )
    parser.add_argument("--out-dir", type=Path, required=True, help="where CSV, PNG, cache go")
    parser.add_argument(
        "--max-utts", type=int, default=None, help="first N utterances (sorted ids); all if unset"
    )
    parser.add_argument(
        "--checkpoint-glob",
        default="*epoch.pth",
        help="glob for checkpoints inside each experiment dir (only <n>epoch.pth names count)",
    )
    parser.add_argument(
        "--text-file",
        type=Path,
        default=None,
        help="reference file to use instead of the config's text entry found in --data-dir",
    )
    parser.add_argument("--device", default="cpu", help="torch device, e.g. cpu or cuda")
    return parser


def main(cmd=None) -> None:
    args = get_parser().parse_args(cmd)
    if args.max_utts is not None and args.max_utts < 1:
        raise SystemExit(f"--max-utts must be positive, got {args.max_utts}")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    quiet_espnet_import()
    from espnet_ext.werc.source_contribution import run

    results = run(
        args.exp_dir,
        args.data_dir,
        args.out_dir,
        checkpoint_glob=args.checkpoint_glob,
        max_utts=args.max_utts,
        text_file=args.text_file,
        device=args.device,
    )
    logging.info(
        "wrote %s and %s (%d checkpoints)",
        args.out_dir / "source_contribution.csv",
        args.out_dir / "source_contribution.png",
        len(results),
    )


if __name__ == "__main__":
    main()
