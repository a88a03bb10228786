"""`python -m espnet_ext.bin.hf_mt_export`: save a trained ``hf_mt`` experiment as a Hugging Face
model directory (``EXP/hf_model``) that ``from_pretrained`` loads; the stage pipeline runs it
after training (``post_train_module``).

    python -m espnet_ext.bin.hf_mt_export --exp-dir exp/mt --model-file exp/mt/valid.acc.ave.pth
"""

from __future__ import annotations

import argparse
import logging

from espnet_ext.bin import quiet_espnet_import


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--exp-dir", required=True, help="experiment dir with config.yaml")
    p.add_argument("--model-file", required=True, help="checkpoint to export")
    p.add_argument("--out-dir", default=None, help="default: EXP/hf_model")
    p.add_argument("--log-level", default="INFO", help="Python logging level")
    return p


def main(cmd=None) -> None:
    args = get_parser().parse_args(cmd)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(message)s")
    quiet_espnet_import()
    from espnet_ext.connectors.hf_mt_export import export_hf_model

    export_hf_model(args.exp_dir, args.model_file, args.out_dir)


if __name__ == "__main__":
    main()
