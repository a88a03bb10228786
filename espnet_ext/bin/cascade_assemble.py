"""`python -m espnet_ext.bin.cascade_assemble`: the 1-best cascade's experiment dir, from the trained
ASR and MT experiment dirs its config names (the "training" step of the pipeline task `cascade`).

python -m espnet_ext.bin.cascade_assemble --config conf/mini/cascade.yaml --output_dir exp/cascade \\
    --model_name valid.acc.ave_3best.pth
"""

from __future__ import annotations

import argparse
import sys

from espnet_ext.bin import quiet_espnet_import, setup_logging


def get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Write a cascade experiment dir (config.yaml + one checkpoint holding the ASR "
        "and MT weights) that `python -m espnet_ext.bin.cascade_inference --cascade_config "
        "EXP/config.yaml --cascade_model_file EXP/MODEL_NAME` decodes (see "
        "espnet_ext/exporter/cascade.py).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--config", required=True, help="YAML naming asr_exp and mt_exp (experiment dirs)"
    )
    parser.add_argument("--output_dir", required=True, help="the cascade's experiment dir")
    parser.add_argument(
        "--model_name",
        default="valid.acc.ave.pth",
        help="checkpoint name taken from the ASR and MT dirs (an n-best average falls back to "
        "the largest one present) and written in output_dir",
    )
    parser.add_argument("--log_level", type=str.upper, default="INFO", help="logging level")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = get_parser().parse_args(argv)
    setup_logging(args.log_level)
    quiet_espnet_import()
    from espnet_ext.exporter.cascade import assemble_cascade

    try:
        assemble_cascade(args.config, args.output_dir, args.model_name)
    except (OSError, ValueError) as e:
        sys.exit(f"cascade_assemble: {e}")


if __name__ == "__main__":
    main()
