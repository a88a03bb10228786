"""`python -m espnet_ext.bin.pack`: one zip archive per trained system (config, weights,
tokenizers, statistics, pretrained models or their names, decoding config, meta.json).

python -m espnet_ext.bin.pack --exp-dir exp/st_scratch \\
    --out exp/st_scratch/packed/st_scratch.zip --inference-config conf/tuning/decode_st.yaml
"""

from __future__ import annotations

import argparse
import logging
import sys

import yaml

from espnet_ext.translate.pack import make_pack


def get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Pack a trained experiment into one archive that "
        "`python -m espnet_ext.bin.translate --model` and `espnet_ext.Translator.from_pack` run "
        "on another machine (layout: espnet_ext/translate/pack.py).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--exp-dir", required=True, help="experiment dir with config.yaml")
    parser.add_argument("--out", required=True, help="archive to write (.zip)")
    parser.add_argument(
        "--model-file",
        default=None,
        help="checkpoint in the exp dir (or a path); default: valid.acc.ave.pth, else the best "
        "one found",
    )
    parser.add_argument(
        "--inference-config", default=None, help="the recipe's decode config (beam size etc.)"
    )
    parser.add_argument(
        "--self-contained",
        action="store_true",
        help="copy pretrained models (Hugging Face dirs, SSL checkpoints) into the archive "
        "instead of recording their names/paths",
    )
    parser.add_argument("--system", default=None, help="system name (default: train_info/dir)")
    parser.add_argument("--task", default=None, help="task (default: train_info.json, config)")
    parser.add_argument("--src-lang", default=None, help="default: from the training data names")
    parser.add_argument("--tgt-lang", default=None, help="default: from the training data names")
    parser.add_argument(
        "--root",
        default=None,
        help="dir that relative paths in config.yaml start from (default: the current dir, "
        "then the dir above exp/)",
    )
    parser.add_argument("--log-level", default="INFO", help="Python logging level")
    return parser


def main(cmd: list[str] | None = None) -> None:
    args = get_parser().parse_args(cmd)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(message)s")
    try:
        meta = make_pack(
            args.exp_dir,
            args.out,
            model_file=args.model_file,
            inference_config=args.inference_config,
            self_contained=args.self_contained,
            system=args.system,
            task=args.task,
            src_lang=args.src_lang,
            tgt_lang=args.tgt_lang,
            root=args.root,
        )
    except (OSError, ValueError, yaml.YAMLError) as e:  # PackError is a ValueError
        sys.exit(f"pack: {e}")
    print(f"{args.out}: {meta['system']} ({meta['task']}, {meta['src_lang']}->{meta['tgt_lang']})")


if __name__ == "__main__":
    main()
