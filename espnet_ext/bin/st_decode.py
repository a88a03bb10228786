"""`python -m espnet_ext.bin.st_decode`: batched beam-search decoding of an ESPnet ST model.

Takes the options of ``espnet2.bin.st_inference`` where they overlap (so a pipeline can switch
between the two) and writes the same ``OUT/1best_recog/{text,token,token_int,score}`` files,
plus ``OUT/rtf.json``. See :mod:`espnet_ext.decoding` for the search.
"""

from __future__ import annotations

import argparse
import logging
import sys

from espnet_ext.bin import quiet_espnet_import, setup_logging
from espnet_ext.cli_types import data_triple, str2bool
from espnet_ext.device import device_for
from espnet_ext.registry import register


def get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0].split(": ", 1)[1],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--output_dir", required=True, help="where {n}best_recog/ goes")
    parser.add_argument("--log_level", type=str.upper, default="INFO", help="logging level")
    parser.add_argument("--ngpu", type=int, default=0, help="as st_inference: >= 1 means cuda")
    parser.add_argument("--device", default=None, help="cpu, cuda or cuda:N (overrides --ngpu)")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument(
        "--dtype", default="float32", choices=["float16", "float32", "float64"], help="data type"
    )
    parser.add_argument(
        "--num_workers", type=int, default=1, help="threads reading the next batch's audio"
    )
    group = parser.add_argument_group("input data")
    group.add_argument(
        "--data_path_and_name_and_type",
        type=data_triple,
        action="append",
        required=True,
        help="PATH,speech,sound (a wav.scp)",
    )
    group.add_argument("--key_file", default=None, help="decode only the keys listed here")
    group = parser.add_argument_group("model")
    group.add_argument("--st_train_config", required=True, help="the model's config.yaml")
    group.add_argument("--st_model_file", required=True, help="the model's .pth")
    group = parser.add_argument_group("beam search")
    group.add_argument(
        "--config", default=None, help="YAML file of decoding options (ESPnet's decode configs)"
    )
    group.add_argument("--beam_size", type=int, default=20, help="hypotheses per utterance")
    group.add_argument("--nbest", type=int, default=1, help="hypotheses written per utterance")
    group.add_argument("--penalty", type=float, default=0.0, help="bonus per output token")
    group.add_argument(
        "--maxlenratio",
        type=float,
        default=0.0,
        help="maxlen = ratio * encoder length; 0: encoder length with end detection; "
        "< 0: the constant -ratio",
    )
    group.add_argument(
        "--minlenratio", type=float, default=0.0, help="minlen = ratio * encoder length"
    )
    group.add_argument("--ctc_weight", type=float, default=0.0, help="weight of the ST CTC score")
    group.add_argument(
        "--pre_beam_ratio",
        type=float,
        default=1.5,
        help="with CTC, score only the int(ratio * beam_size) best tokens per hypothesis",
    )
    group.add_argument(
        "--normalize_length",
        type=str2bool,
        default=False,
        help="rank finished hypotheses by score per token",
    )
    group = parser.add_argument_group("batching")
    group.add_argument(
        "--batch_bins",
        type=int,
        default=16000 * 600,
        help="max samples in a padded batch (utterances x longest length)",
    )
    group.add_argument(
        "--batch_size",
        type=int,
        default=None,
        help="max utterances in a batch (no limit if unset)",
    )
    group.add_argument(
        "--encoder_mode",
        default="auto",
        choices=["auto", "padded", "per_utterance"],
        help="padded: one encoder call per batch; per_utterance: one per utterance (exactly "
        "st_inference's encoder output); auto: padded where that is exact (Transformer "
        "encoders), else per_utterance. Decoding is batched in every mode",
    )
    group.add_argument(
        "--decoder_mode",
        default="auto",
        choices=["auto", "cached", "one_step", "batch_score"],
        help="decoder adapter (see espnet_ext.decoding.step)",
    )
    group = parser.add_argument_group("text")
    group.add_argument("--token_type", default=None, help="default: the model's token_type")
    group.add_argument("--bpemodel", default=None, help="default: the model's bpemodel")
    return parser


def _parse(parser: argparse.ArgumentParser, argv) -> argparse.Namespace:
    """Options from ``--config`` (a YAML decoding config, as ESPnet's inference takes) are
    defaults that the command line overrides."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--config", default=None)
    known, _ = pre.parse_known_args(argv)
    if known.config:
        import yaml

        with open(known.config, encoding="utf-8") as f:
            config = yaml.safe_load(f) or {}
        valid = {a.dest for a in parser._actions}
        unknown = sorted(set(config) - valid)
        if unknown:
            parser.error(f"{known.config}: unknown decoding options {unknown}")
        parser.set_defaults(**config)
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = _parse(get_parser(), argv)
    setup_logging(args.log_level)
    logging.info(" ".join([sys.executable, "-m", "espnet_ext.bin.st_decode", *sys.argv[1:]]))
    speech = [t for t in args.data_path_and_name_and_type if t[1] == "speech"]
    others = [t for t in args.data_path_and_name_and_type if t[1] != "speech"]
    if len(speech) != 1 or others or speech[0][2] != "sound":
        raise SystemExit(
            "st_decode reads exactly one input, PATH,speech,sound; got "
            f"{args.data_path_and_name_and_type}"
        )
    device = device_for(args.ngpu, args.device)

    quiet_espnet_import()
    register()
    import torch
    from espnet2.tasks.st import STTask

    from espnet_ext.decoding.batching import read_utterances
    from espnet_ext.decoding.decode_scp import decode_utterances, write_outputs
    from espnet_ext.decoding.inference import BatchSpeech2Text

    torch.manual_seed(args.seed)
    speech2text = BatchSpeech2Text(
        args.st_train_config,
        args.st_model_file,
        device=device,
        dtype=args.dtype,
        beam_size=args.beam_size,
        ctc_weight=args.ctc_weight,
        penalty=args.penalty,
        maxlenratio=args.maxlenratio,
        minlenratio=args.minlenratio,
        nbest=args.nbest,
        normalize_length=args.normalize_length,
        token_type=args.token_type,
        bpemodel=args.bpemodel,
        pre_beam_ratio=args.pre_beam_ratio,
        encoder_mode=args.encoder_mode,
        decoder_mode=args.decoder_mode,
    )
    utts = read_utterances(speech[0][0], args.key_file)
    if not utts:
        raise SystemExit(f"no utterances in {speech[0][0]}")
    preprocess = STTask.build_preprocess_fn(speech2text.train_args, False)
    results, stats = decode_utterances(
        speech2text,
        utts,
        batch_bins=args.batch_bins,
        batch_size=args.batch_size,
        num_workers=args.num_workers,
        preprocess=preprocess,
    )
    write_outputs(args.output_dir, [u.key for u in utts], results, args.nbest, stats)
    logging.info(
        f"decoded {stats['n_utts']} utterances ({stats['audio_seconds']:.1f} s of audio) in "
        f"{stats['decode_seconds']:.1f} s, RTF {stats['rtf']}; wrote {args.output_dir}"
    )


if __name__ == "__main__":
    main()
