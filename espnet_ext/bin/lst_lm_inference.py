"""`python -m espnet_ext.bin.lst_lm_inference`: translate source text with LST's pretrained LM
through the LST prompt (task ``lst_lm``), into ``OUT/text`` and ``OUT/rtf.json``. Options may also
come from a YAML file (``--config decode.yaml``; the command line wins)."""

from __future__ import annotations

import logging

from espnet_ext.lst.decode_cli import search_parser, start


def get_parser():
    return search_parser(__doc__, "sentences", "dump/raw/tst-COMMON/text.tc.en,src_text,text", 16)


def main(cmd=None) -> None:
    args = get_parser().parse_args(cmd)
    options = start(args)
    from espnet_ext.lst.lm_inference import inference

    rtf = inference(**options)
    logging.info(f"{rtf['n_utts']} sentences in {rtf['decode_seconds']} s -> {args.output_dir}")


if __name__ == "__main__":
    main()
