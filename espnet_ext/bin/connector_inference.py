"""`python -m espnet_ext.bin.connector_inference`: batched beam search with a connector model.

Writes ``OUTPUT_DIR/text`` (Kaldi text) and ``OUTPUT_DIR/rtf.json``; see
``espnet_ext.connectors.inference``.
"""

from __future__ import annotations

import argparse
import logging

from espnet_ext.bin import quiet_espnet_import
from espnet_ext.registry import register


def get_parser() -> argparse.ArgumentParser:
    from espnet2.utils.types import str2triple_str

    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--train_config", required=True, help="the experiment's config.yaml")
    p.add_argument("--model_file", required=True, help="checkpoint, e.g. valid.acc.ave.pth")
    p.add_argument(
        "--data_path_and_name_and_type",
        type=str2triple_str,
        action="append",
        required=True,
        help="e.g. dump/raw/dev5/wav.scp,speech,sound (16 kHz mono)",
    )
    p.add_argument("--key_file", default=None, help="decode only these utterance ids")
    p.add_argument("--output_dir", required=True, help="writes text and rtf.json here")
    p.add_argument("--beam_size", type=int, default=4, help="beams of the MT model's generate")
    p.add_argument("--batch_size", type=int, default=8, help="utterances decoded together")
    p.add_argument("--max_new_tokens", type=int, default=256, help="longest hypothesis in tokens")
    p.add_argument(
        "--length_penalty",
        type=float,
        default=None,
        help="beam-search length penalty (default: the MT model's generation config)",
    )
    p.add_argument("--ngpu", type=int, default=0, help="0: CPU, 1: the first visible GPU")
    p.add_argument(
        "--dtype",
        default="float32",
        choices=["float32", "float16", "bfloat16"],
        help="autocast precision of the forward passes",
    )
    p.add_argument("--fs", type=int, default=16000, help="sampling rate of the audio")
    p.add_argument("--num_workers", type=int, default=1, help="data loader workers")
    p.add_argument("--log_level", default="INFO", help="logging level")
    return p


def main(cmd=None) -> None:
    quiet_espnet_import()
    args = get_parser().parse_args(cmd)
    logging.basicConfig(
        level=args.log_level,
        format="%(asctime)s (%(module)s:%(lineno)d) %(levelname)s: %(message)s",
    )
    if args.ngpu > 1:
        raise ValueError(f"--ngpu {args.ngpu}: decoding uses one device; split the data into jobs")
    register()
    from espnet_ext.connectors.inference import decode_dataset

    decode_dataset(
        train_config=args.train_config,
        model_file=args.model_file,
        data_path_and_name_and_type=args.data_path_and_name_and_type,
        output_dir=args.output_dir,
        key_file=args.key_file,
        beam_size=args.beam_size,
        batch_size=args.batch_size,
        max_new_tokens=args.max_new_tokens,
        length_penalty=args.length_penalty,
        device="cuda" if args.ngpu > 0 else "cpu",
        dtype=args.dtype,
        fs=args.fs,
        num_workers=args.num_workers,
    )


if __name__ == "__main__":
    main()
