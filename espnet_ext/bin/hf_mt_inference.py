"""`python -m espnet_ext.bin.hf_mt_inference`: batched beam search with a trained ``hf_mt`` model.

Writes ``OUTPUT_DIR/text`` (Kaldi text) and ``OUTPUT_DIR/rtf.json``; options may also come from a
YAML file (``--config decode.yaml``; the command line wins). See
``espnet_ext.connectors.hf_mt_inference``.
"""

from __future__ import annotations

from espnet_ext.bin import quiet_espnet_import


def get_parser():
    from espnet_ext.connectors.decode_cli import generate_parser

    return generate_parser(
        __doc__.split("\n\n")[0],
        "dump/raw/dev5/text.lc.rm.en,src_text,text",
        batch_size=16,
        num_workers=0,
    )


def main(cmd=None) -> None:
    quiet_espnet_import()
    args = get_parser().parse_args(cmd)
    from espnet_ext.connectors.decode_cli import search_options, start

    device = start(args)
    from espnet_ext.connectors.hf_mt_inference import decode_text

    decode_text(**search_options(args), device=device)


if __name__ == "__main__":
    main()
