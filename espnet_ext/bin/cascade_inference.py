"""`python -m espnet_ext.bin.cascade_inference`: ASR greedy-CTC 1-best -> MT beam search, batched.

The two systems come from their experiment dirs (--asr_exp, --mt_exp), or from a cascade
experiment dir that the pipeline assembled (--cascade_config EXP/config.yaml --cascade_model_file
EXP/<checkpoint>; see espnet_ext.exporter.cascade). Writes OUT/asr_text (1-best transcripts),
OUT/text (translations), OUT/rtf.json (see espnet_ext.exporter.inference).
"""

from __future__ import annotations

import argparse
from functools import partial

from espnet_ext.bin import quiet_espnet_import, setup_logging
from espnet_ext.device import device_for


def get_parser() -> argparse.ArgumentParser:
    from espnet_ext.cli_types import str2bool
    from espnet_ext.exporter.cli import add_decoding_arguments

    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0].split(": ", 1)[1],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--asr_exp", default=None, help="ASR experiment dir (config.yaml, CTC)")
    parser.add_argument("--mt_exp", default=None, help="MT experiment dir (config.yaml)")
    parser.add_argument(
        "--cascade_config",
        default=None,
        help="an assembled cascade's config.yaml (instead of --asr_exp/--mt_exp)",
    )
    parser.add_argument(
        "--cascade_model_file",
        default=None,
        help="its checkpoint (ASR and MT weights; with --cascade_config)",
    )
    parser.add_argument(
        "--asr_model_file",
        default="valid.acc.ave.pth",
        help="ASR checkpoint, relative to --asr_exp unless absolute",
    )
    parser.add_argument(
        "--mt_model_file",
        default="valid.acc.ave.pth",
        help="MT checkpoint, relative to --mt_exp unless absolute",
    )
    parser.add_argument(
        "--mt_input",
        default="cascade",
        choices=["cascade", "embeddings"],
        help="cascade: 1-best ids through mt.encode; embeddings: their MT "
        "embeddings injected after the lookup (same result, a check)",
    )
    parser.add_argument(
        "--retokenize",
        type=str2bool,
        default=False,
        help="re-encode the 1-best text with the MT source tokenizer",
    )
    add_decoding_arguments(parser)
    return parser


def main(argv=None) -> None:
    from espnet_ext.exporter.cli import parse_with_config

    parser = get_parser()
    args = parse_with_config(parser, argv)
    if args.cascade_config is not None:
        if args.asr_exp or args.mt_exp or not args.cascade_model_file:
            parser.error("--cascade_config takes --cascade_model_file, not --asr_exp/--mt_exp")
    elif not (args.asr_exp and args.mt_exp):
        parser.error("give --asr_exp and --mt_exp, or --cascade_config and --cascade_model_file")
    setup_logging(args.log_level)
    quiet_espnet_import()
    from espnet_ext.exporter.cli import run_decoding
    from espnet_ext.exporter.inference import load_cascade

    device = device_for(args.ngpu, args.device)
    if args.cascade_config is not None:
        from espnet_ext.exporter.cascade import load_cascade_system

        load = partial(load_cascade_system, args.cascade_config, args.cascade_model_file)
    else:
        load = partial(
            load_cascade, args.asr_exp, args.mt_exp, args.asr_model_file, args.mt_model_file
        )
    translator, asr_args = load(
        device=device,
        mt_input=args.mt_input,
        beam_size=args.beam_size,
        penalty=args.penalty,
        maxlenratio=args.maxlenratio,
        minlenratio=args.minlenratio,
        normalize_length=args.normalize_length,
        encoder_mode=args.encoder_mode,
        retokenize=args.retokenize,
    )
    run_decoding(args, translator, asr_args)


if __name__ == "__main__":
    main()
