"""`python -m espnet_ext.bin.train_info`: parameter counts, training cost -> EXP/train_info.json.

python -m espnet_ext.bin.train_info --exp-dir exp/st_transformer --wall-seconds 5400 --ngpu 1
"""

from __future__ import annotations

import argparse
import json
import logging
import sys

from espnet_ext.scoring.train_info import train_info, write_train_info


def get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Count trainable/total parameters of a trained experiment and record its "
        "training wall time and device-hours in EXP/train_info.json.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--exp-dir", required=True, help="experiment dir with config.yaml and *.pth"
    )
    parser.add_argument(
        "--wall-seconds", type=float, required=True, help="training wall-clock time in seconds"
    )
    parser.add_argument("--ngpu", type=int, required=True, help="GPUs used (0 = CPU training)")
    parser.add_argument("--system", default=None, help="system name (default: the exp dir name)")
    parser.add_argument(
        "--task",
        default=None,
        help="pipeline task name (default: config's, else inferred from it)",
    )
    parser.add_argument(
        "--checkpoint", default=None, help="state dict to count (default: best found in EXP)"
    )
    parser.add_argument("--log-level", default="INFO", help="Python logging level")
    return parser


def main(cmd: list[str] | None = None) -> None:
    args = get_parser().parse_args(cmd)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(message)s")
    try:
        info = train_info(
            args.exp_dir, args.wall_seconds, args.ngpu, args.system, args.task, args.checkpoint
        )
    except (OSError, ValueError) as e:
        sys.exit(f"train_info: {e}")
    path = write_train_info(info, args.exp_dir)
    print(json.dumps(info, indent=2))
    logging.info("wrote %s", path)


if __name__ == "__main__":
    main()
