"""`python -m espnet_ext.bin.exporter_inference`: speech translation with a trained exporter.

ASR greedy-CTC 1-best -> exporter vectors in place of the MT source embeddings -> MT beam search.
Writes OUT/asr_text, OUT/text, OUT/rtf.json (see espnet_ext.exporter.inference).
"""

from __future__ import annotations

import argparse

from espnet_ext.bin import quiet_espnet_import, setup_logging
from espnet_ext.device import device_for


def get_parser() -> argparse.ArgumentParser:
    from espnet_ext.exporter.cli import add_decoding_arguments

    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0].split(": ", 1)[1],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--exporter_train_config",
        required=True,
        help="the exporter's config.yaml (names the ASR and MT experiment dirs)",
    )
    parser.add_argument("--exporter_model_file", required=True, help="the exporter's .pth")
    parser.add_argument(
        "--mt_input",
        default="exporter",
        choices=["exporter", "embeddings", "cascade"],
        help="exporter: its vectors; embeddings / cascade: the MT embeddings / "
        "token ids of the 1-best instead (the cascade of the exporter's models)",
    )
    add_decoding_arguments(parser)
    return parser


def main(argv=None) -> None:
    from espnet_ext.exporter.cli import parse_with_config

    args = parse_with_config(get_parser(), argv)
    setup_logging(args.log_level)
    quiet_espnet_import()
    from espnet_ext.exporter.cli import run_decoding
    from espnet_ext.exporter.inference import load_exporter

    translator, asr_args = load_exporter(
        args.exporter_train_config,
        args.exporter_model_file,
        device=device_for(args.ngpu, args.device),
        mt_input=args.mt_input,
        beam_size=args.beam_size,
        penalty=args.penalty,
        maxlenratio=args.maxlenratio,
        minlenratio=args.minlenratio,
        normalize_length=args.normalize_length,
        encoder_mode=args.encoder_mode,
    )
    run_decoding(args, translator, asr_args)


if __name__ == "__main__":
    main()
