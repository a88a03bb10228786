"""`python -m espnet_ext.bin.cascade_inference`: ASR greedy-CTC 1-best -> MT beam search, batched.

Writes OUT/asr_text (1-best transcripts), OUT/text (translations), OUT/rtf.json
(see espnet_ext.exporter.inference).
"""

from __future__ import annotations

import argparse
import logging

from espnet_ext.bin import quiet_espnet_import


def get_parser() -> argparse.ArgumentParser:
    from espnet_ext.exporter.cli import add_decoding_arguments, str2bool

    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0].split(": ", 1)[1],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--asr_exp", required=True, help="ASR experiment dir (config.yaml, CTC)")
    parser.add_argument("--mt_exp", required=True, help="MT experiment dir (config.yaml)")
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

    args = parse_with_config(get_parser(), argv)
    logging.basicConfig(
        level=args.log_level,
        format="%(asctime)s (%(module)s:%(lineno)d) %(levelname)s: %(message)s",
    )
    quiet_espnet_import()
    from espnet_ext.exporter.cli import run_decoding
    from espnet_ext.exporter.inference import load_cascade

    translator, asr_args = load_cascade(
        args.asr_exp,
        args.mt_exp,
        args.asr_model_file,
        args.mt_model_file,
        device=args.device or ("cuda" if args.ngpu > 0 else "cpu"),
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
