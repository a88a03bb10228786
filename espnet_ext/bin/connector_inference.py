"""`python -m espnet_ext.bin.connector_inference`: batched beam search with a connector model.

Writes ``OUTPUT_DIR/text`` (Kaldi text) and ``OUTPUT_DIR/rtf.json``; options may also come from a
YAML file (``--config decode.yaml``; the command line wins). See
``espnet_ext.connectors.inference``.
"""

from __future__ import annotations

from espnet_ext.bin import quiet_espnet_import
from espnet_ext.registry import register


def get_parser():
    from espnet_ext.connectors.decode_cli import generate_parser

    p = generate_parser(
        __doc__.split("\n\n")[0],
        "dump/raw/dev5/wav.scp,speech,sound (16 kHz mono)",
        batch_size=8,
        num_workers=1,
    )
    p.add_argument(
        "--dtype",
        default="float32",
        choices=["float32", "float16", "bfloat16"],
        help="autocast precision of the forward passes",
    )
    p.add_argument("--fs", type=int, default=16000, help="sampling rate of the audio")
    return p


def main(cmd=None) -> None:
    quiet_espnet_import()
    args = get_parser().parse_args(cmd)
    from espnet_ext.connectors.decode_cli import search_options, start

    device = start(args)
    register()
    from espnet_ext.connectors.inference import decode_dataset

    decode_dataset(**search_options(args), device=device, dtype=args.dtype, fs=args.fs)


if __name__ == "__main__":
    main()
