"""`python -m espnet_ext.bin.lst_lm_inference`: translate source text with LST's pretrained LM
through the LST prompt (task ``lst_lm``), into ``OUT/text`` and ``OUT/rtf.json``. Options may also
come from a YAML file (``--config decode.yaml``; the command line wins)."""

from __future__ import annotations

import logging


def get_parser():
    from espnet2.utils import config_argparse
    from espnet2.utils.types import str2bool, str2triple_str

    p = config_argparse.ArgumentParser(description=__doc__)
    p.add_argument("--train_config", required=True, help="config.yaml of the lst_lm experiment")
    p.add_argument("--model_file", required=True, help="its weights, e.g. valid.acc.ave_1best.pth")
    p.add_argument(
        "--data_path_and_name_and_type",
        type=str2triple_str,
        action="append",
        required=True,
        help="source text, e.g. dump/raw/tst-COMMON/text.tc.en,src_text,text",
    )
    p.add_argument("--key_file", default=None, help="translate only these utterance ids")
    p.add_argument("--output_dir", required=True, help="writes text and rtf.json here")
    p.add_argument("--batch_size", type=int, default=16, help="sentences decoded together")
    p.add_argument("--beam_size", type=int, default=1, help="1 = greedy search")
    p.add_argument("--max_new_tokens", type=int, default=256, help="tokens per sentence at most")
    p.add_argument("--length_penalty", type=float, default=1.0, help="beam search length penalty")
    p.add_argument("--use_cache", type=str2bool, default=True, help="use the KV cache")
    p.add_argument("--ngpu", type=int, default=0, help="0 = CPU, 1 = one GPU")
    p.add_argument("--log_level", default="INFO", help="logging level")
    return p


def main(cmd=None) -> None:
    from espnet_ext.bin import quiet_espnet_import

    quiet_espnet_import()
    args = get_parser().parse_args(cmd)
    logging.basicConfig(
        level=args.log_level,
        format="%(asctime)s (%(module)s:%(lineno)d) %(levelname)s: %(message)s",
    )
    from espnet_ext.lst.lm_inference import inference

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
        ngpu=args.ngpu,
        key_file=args.key_file,
    )
    logging.info(f"{rtf['n_utts']} sentences in {rtf['decode_seconds']} s -> {args.output_dir}")


if __name__ == "__main__":
    main()
