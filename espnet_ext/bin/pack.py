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
    parser.add_argument("--exp-dir", default=None, help="experiment dir with config.yaml")
    parser.add_argument(
        "--asr-exp",
        default=None,
        help="instead of --exp-dir: pack the cascade of this ASR experiment and --mt-exp "
        "(their valid.acc.ave.pth; task cascade)",
    )
    parser.add_argument("--mt-exp", default=None, help="the cascade's MT experiment")
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
    parser.add_argument(
        "--extra",
        action="append",
        default=[],
        metavar="NAME=PATH",
        help="a file or dir the config does not name, for the system's adapter (discrete "
        "units: kmeans=DIR holding kmeans.npz and kmeans.json); repeatable",
    )
    parser.add_argument("--log-level", default="INFO", help="Python logging level")
    return parser


def _extras(values: list[str]) -> dict[str, str]:
    extras = {}
    for value in values:
        name, sep, path = value.partition("=")
        if not sep or not name or not path:
            raise ValueError(f"--extra {value!r}: expected NAME=PATH")
        extras[name] = path
    return extras


def main(cmd: list[str] | None = None) -> None:
    args = get_parser().parse_args(cmd)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(message)s")
    cascade = args.asr_exp is not None or args.mt_exp is not None
    if cascade == (args.exp_dir is not None) or (cascade and not (args.asr_exp and args.mt_exp)):
        sys.exit("pack: give --exp-dir, or --asr-exp and --mt-exp (a cascade)")
    try:
        if cascade:
            from espnet_ext.translate.adapters.exporter import make_cascade_pack

            meta = make_cascade_pack(
                args.asr_exp,
                args.mt_exp,
                args.out,
                system=args.system or "cascade",
                inference_config=args.inference_config,
                self_contained=args.self_contained,
                root=args.root,
                **_given_langs(args),
            )
        else:
            meta = _pack(args)
    except (OSError, ValueError, yaml.YAMLError) as e:  # PackError is a ValueError
        sys.exit(f"pack: {e}")
    print(f"{args.out}: {meta['system']} ({meta['task']}, {meta['src_lang']}->{meta['tgt_lang']})")


def _given_langs(args) -> dict:
    langs = {"src_lang": args.src_lang, "tgt_lang": args.tgt_lang}
    return {k: v for k, v in langs.items() if v}  # else the MT training data's


def _pack(args) -> dict:
    return make_pack(
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
        extras=_extras(args.extra),
    )


if __name__ == "__main__":
    main()
