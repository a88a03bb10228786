"""`python -m espnet_ext.bin.discrete_inference`: decode joint-vocabulary inputs (units or
up-sampled text) with a model trained by `espnet_ext.bin.discrete_train`.

    python -m espnet_ext.bin.discrete_inference --discrete_train_config exp/x/config.yaml \\
        --discrete_model_file exp/x/valid.acc.ave.pth \\
        --data_path_and_name_and_type data/test.st/src,src_text,text --output_dir out [--config decode.yaml]

Writes ``out/1best_recog/{text,token,token_int,score}``. Options can also come from ``--config``
(YAML with the same names, e.g. ``beam_size: 10``).
"""

from __future__ import annotations

import logging
import sys

from espnet_ext.device import device_for


def get_parser():
    from espnet2.utils import config_argparse
    from espnet2.utils.types import str2triple_str, str_or_none

    p = config_argparse.ArgumentParser(description=__doc__)
    p.add_argument("--log_level", default="INFO", help="logging level")
    p.add_argument("--output_dir", required=True, help="where <n>best_recog/ goes")
    p.add_argument("--ngpu", type=int, default=0, help="0: CPU, 1: the first GPU")
    p.add_argument("--batch_size", type=int, default=1, help="must be 1 (one utterance at a time)")
    p.add_argument("--dtype", default="float32", choices=["float32"], help="model precision")
    p.add_argument("--num_workers", type=int, default=1, help="unused; accepted for ESPnet parity")
    p.add_argument(
        "--data_path_and_name_and_type",
        type=str2triple_str,
        action="append",
        required=True,
        help="e.g. data/test.st/src,src_text,text",
    )
    p.add_argument("--key_file", type=str_or_none, default=None, help="decode only these keys")
    p.add_argument("--discrete_train_config", required=True, help="config.yaml of the training")
    p.add_argument("--discrete_model_file", required=True, help="model checkpoint")
    p.add_argument("--beam_size", type=int, default=10, help="beam size (RNN-T: 1 = greedy)")
    p.add_argument(
        "--ctc_weight",
        type=float,
        default=None,
        help="CTC weight in joint decoding (default: the training's for CTC/attention)",
    )
    p.add_argument("--penalty", type=float, default=0.0, help="length bonus per token")
    p.add_argument(
        "--maxlenratio",
        type=float,
        default=0.0,
        help="max output length / input length (0: input length)",
    )
    p.add_argument(
        "--minlenratio", type=float, default=0.0, help="min output length / input length"
    )
    p.add_argument("--nbest", type=int, default=1, help="hypotheses written per utterance")
    p.add_argument(
        "--normalize_length",
        type=lambda x: x.lower() == "true",
        default=False,
        help="rank hypotheses by score per token",
    )
    p.add_argument(
        "--transducer_search_type",
        default="default",
        choices=["default", "tsd", "alsd", "nsc", "maes"],
        help="RNN-T search",
    )
    return p


def main(cmd=None) -> int:
    from espnet_ext.bin import quiet_espnet_import
    from espnet_ext.registry import register

    quiet_espnet_import()
    register()
    args = get_parser().parse_args(cmd)
    logging.basicConfig(
        level=args.log_level, format="%(asctime)s (%(module)s) %(levelname)s: %(message)s"
    )
    if args.batch_size != 1:
        raise SystemExit(f"--batch_size must be 1, got {args.batch_size}")
    from espnet_ext.discrete.inference import Discrete2Text, decode_dir
    from espnet_ext.discrete.task import DiscreteSTTask
    from espnet_ext.training import install

    install(DiscreteSTTask)  # weights-only, verified model loading
    decoder = Discrete2Text(
        args.discrete_train_config,
        args.discrete_model_file,
        device=device_for(args.ngpu),
        beam_size=args.beam_size,
        ctc_weight=args.ctc_weight,
        penalty=args.penalty,
        maxlenratio=args.maxlenratio,
        minlenratio=args.minlenratio,
        nbest=args.nbest,
        normalize_length=args.normalize_length,
        transducer_search_type=args.transducer_search_type,
    )
    decode_dir(decoder, args.data_path_and_name_and_type, args.output_dir, args.key_file)
    return 0


if __name__ == "__main__":
    sys.exit(main())
