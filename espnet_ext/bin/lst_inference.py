"""`python -m espnet_ext.bin.lst_inference`: batched LST decoding (KV cache, greedy or beam) of a
data dir into ``OUT/text`` (Kaldi text) and ``OUT/rtf.json``. Options may also come from a YAML
file (``--config decode.yaml``, as the stage pipeline passes its inference config; the command
line wins)."""

from __future__ import annotations

import logging

from espnet_ext.lst.decode_cli import search_parser, start


def get_parser():
    p = search_parser(__doc__, "utterances", "dump/raw/tst-COMMON/wav.scp,speech,sound", 1)
    p.add_argument(
        "--backend",
        choices=["own", "hf"],
        default="own",
        help="search: own (honours --use_cache) or transformers' generate (always cached)",
    )
    p.add_argument("--num_workers", type=int, default=0, help="data loader workers")
    p.add_argument("--fs", type=int, default=16000, help="sampling rate of the audio")
    return p


def main(cmd=None) -> None:
    args = get_parser().parse_args(cmd)
    options = start(args)
    from espnet_ext.registry import register

    register()
    from espnet_ext.lst.inference import inference

    rtf = inference(**options, backend=args.backend, num_workers=args.num_workers, fs=args.fs)
    logging.info(f"RTF {rtf['rtf']:.3f} over {rtf['n_utts']} utterances -> {args.output_dir}")


if __name__ == "__main__":
    main()
