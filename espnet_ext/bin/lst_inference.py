"""`python -m espnet_ext.bin.lst_inference`: batched LST decoding (KV cache, greedy or beam) of a
data dir into ``OUT/text`` (Kaldi text) and ``OUT/rtf.json``. Options may also come from a YAML
file (``--config decode.yaml``, as the stage pipeline passes its inference config; the command
line wins)."""

from __future__ import annotations

import argparse
import logging

from espnet_ext.cli_types import data_triple as _data_triplet
from espnet_ext.cli_types import str2bool as _str2bool


def get_parser() -> argparse.ArgumentParser:
    from espnet2.utils import config_argparse

    parser = config_argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--train_config", required=True, help="config.yaml of the LST experiment")
    parser.add_argument(
        "--model_file", required=True, help="checkpoint (*.pth) of that experiment"
    )
    parser.add_argument(
        "--data_path_and_name_and_type",
        type=_data_triplet,
        action="append",
        required=True,
        help="input data, e.g. dump/raw/tst-COMMON/wav.scp,speech,sound",
    )
    parser.add_argument("--key_file", default=None, help="decode only these utterance ids")
    parser.add_argument("--output_dir", required=True, help="writes text and rtf.json here")
    parser.add_argument("--batch_size", type=int, default=1, help="utterances per generate call")
    parser.add_argument("--beam_size", type=int, default=1, help="1 = greedy search")
    parser.add_argument(
        "--max_new_tokens", type=int, default=256, help="tokens per utterance at most"
    )
    parser.add_argument(
        "--length_penalty", type=float, default=1.0, help="beam search length penalty"
    )
    parser.add_argument("--use_cache", type=_str2bool, default=True, help="use the KV cache")
    parser.add_argument(
        "--backend",
        choices=["own", "hf"],
        default="own",
        help="search: own (honours --use_cache) or transformers' generate (always cached)",
    )
    parser.add_argument("--ngpu", type=int, default=0, help="0 = CPU, 1 = one GPU")
    parser.add_argument("--num_workers", type=int, default=0, help="data loader workers")
    parser.add_argument("--fs", type=int, default=16000, help="sampling rate of the audio")
    parser.add_argument("--log_level", default="INFO", help="logging level")
    return parser


def main(cmd=None) -> None:
    args = get_parser().parse_args(cmd)
    logging.basicConfig(
        level=args.log_level,
        format="%(asctime)s (%(module)s:%(lineno)d) %(levelname)s: %(message)s",
    )
    from espnet_ext.bin import quiet_espnet_import

    quiet_espnet_import()
    from espnet_ext.registry import register

    register()
    from espnet_ext.lst.inference import inference

    rtf = inference(
        output_dir=args.output_dir,
        data_path_and_name_and_type=args.data_path_and_name_and_type,
        train_config=args.train_config,
        model_file=args.model_file,
        batch_size=args.batch_size,
        beam_size=args.beam_size,
        max_new_tokens=args.max_new_tokens,
        use_cache=args.use_cache,
        length_penalty=args.length_penalty,
        backend=args.backend,
        ngpu=args.ngpu,
        key_file=args.key_file,
        num_workers=args.num_workers,
        fs=args.fs,
    )
    logging.info(f"RTF {rtf['rtf']:.3f} over {rtf['n_utts']} utterances -> {args.output_dir}")


if __name__ == "__main__":
    main()
