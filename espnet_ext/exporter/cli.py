"""Command-line plumbing shared by ``cascade_inference`` and ``exporter_inference``: options,
``--config`` YAML defaults, reading the input and running :func:`decode_to_dir`."""

from __future__ import annotations

import logging
from pathlib import Path

from espnet_ext.cli_types import data_triple, str2bool
from espnet_ext.decoding.encode import ENCODER_MODES
from espnet_ext.exporter.inference import SpeechTranslator, decode_to_dir

logger = logging.getLogger(__name__)


def add_decoding_arguments(parser) -> None:
    """Options shared by ``cascade_inference`` and ``exporter_inference``."""
    parser.add_argument("--output_dir", required=True, help="where text, asr_text, rtf.json go")
    parser.add_argument(
        "--config", default=None, help="YAML with any of these options (e.g. conf/decode_mt.yaml)"
    )
    parser.add_argument("--ngpu", type=int, default=0, help=">= 1: decode on cuda")
    parser.add_argument("--device", default=None, help="cpu, cuda or cuda:N (overrides --ngpu)")
    parser.add_argument("--log_level", type=str.upper, default="INFO", help="logging level")
    parser.add_argument("--data_dir", default=None, help="a dumped data dir (reads its wav.scp)")
    parser.add_argument(
        "--data_path_and_name_and_type",
        type=data_triple,
        action="append",
        default=[],
        help="PATH,speech,sound (instead of --data_dir)",
    )
    parser.add_argument("--key_file", default=None, help="decode only the keys listed here")
    parser.add_argument("--beam_size", type=int, default=5, help="MT beam size")
    parser.add_argument("--penalty", type=float, default=0.0, help="MT bonus per output token")
    parser.add_argument(
        "--maxlenratio",
        type=float,
        default=0.0,
        help="MT maxlen = ratio * (source tokens + 1); 0: end detection",
    )
    parser.add_argument("--minlenratio", type=float, default=0.0, help="MT minlen ratio")
    parser.add_argument(
        "--normalize_length",
        type=str2bool,
        default=False,
        help="rank MT hypotheses by score per token",
    )
    parser.add_argument(
        "--batch_bins",
        type=int,
        default=16000 * 300,
        help="max samples in a padded batch (utterances x longest length)",
    )
    parser.add_argument("--batch_size", type=int, default=None, help="max utterances per batch")
    parser.add_argument(
        "--encoder_mode",
        default="auto",
        choices=list(ENCODER_MODES),
        help="ASR encoding of a batch (see espnet_ext.decoding.encode)",
    )


def parse_with_config(parser, argv=None):
    """Parse ``argv``; values of a ``--config`` YAML act as defaults that the command line
    overrides (ESPnet's convention). Unknown keys in the YAML are an error."""
    import yaml

    args = parser.parse_args(argv)
    if args.config is None:
        return args
    with open(args.config, encoding="utf-8") as f:
        values = yaml.safe_load(f) or {}
    known = {a.dest for a in parser._actions}
    unknown = sorted(set(values) - known)
    if unknown:
        parser.error(f"{args.config}: unknown option(s) {unknown}")
    parser.set_defaults(**values)
    return parser.parse_args(argv)


def run_decoding(args, translator: SpeechTranslator, asr_args) -> dict:
    """Read the utterances named by ``args``, translate them into ``args.output_dir``."""
    from espnet2.tasks.asr import ASRTask

    from espnet_ext.decoding.batching import read_utterances

    speech = [t for t in args.data_path_and_name_and_type if t[1] == "speech"]
    if args.data_dir is not None:
        speech.append((str(Path(args.data_dir) / "wav.scp"), "speech", "sound"))
    if len(speech) != 1 or speech[0][2] != "sound":
        raise ValueError(
            f"give exactly one input: --data_dir or --data_path_and_name_and_type PATH,speech,"
            f"sound; got data_dir={args.data_dir}, {args.data_path_and_name_and_type}"
        )
    utts = read_utterances(speech[0][0], args.key_file)
    if not utts:
        raise ValueError(f"no utterances in {speech[0][0]}")
    preprocess = ASRTask.build_preprocess_fn(asr_args, False)
    stats = decode_to_dir(
        translator, utts, args.output_dir, args.batch_bins, args.batch_size, preprocess
    )
    logger.info(
        f"translated {stats['n_utts']} utterances ({stats['audio_seconds']:.1f} s of "
        f"audio) in {stats['decode_seconds']:.1f} s, RTF {stats['rtf']}; wrote "
        f"{args.output_dir}"
    )
    return stats
