"""`python -m espnet_ext.bin.pipeline <step>`: the Python steps of the shared stage script
(egs2/TEMPLATE/st1/st.sh). Each step is a thin wrapper around ``espnet_ext.pipeline``."""

from __future__ import annotations

import argparse
import logging
import sys


def _systems(args) -> None:
    from espnet_ext.pipeline.systems import load_systems, select

    for system in select(load_systems(args.file), args.select):
        if args.stage is None or system.train_stage == args.stage:
            print(system.name)


def _system_field(args) -> None:
    from espnet_ext.pipeline.systems import load_systems

    system = load_systems(args.file)[args.system]
    value = getattr(system, args.field)
    print(" ".join(value) if isinstance(value, tuple) else ("" if value is None else value))


def _speed_perturb(args) -> None:
    from espnet_ext.pipeline.speed_perturb import speed_perturb_dir

    n = speed_perturb_dir(args.src, args.dst, [float(f) for f in args.factors.split()])
    logging.info("%s: %d utterances", args.dst, n)


def _dump_audio(args) -> None:
    from espnet_ext.pipeline.audio_dump import dump_job

    report = dump_job(args.data_dir, args.out_dir, args.job, args.nj, args.fs, args.format, args.allow_pipes)
    logging.info("job %d: %s", args.job, report)


def _merge_dump(args) -> None:
    from espnet_ext.pipeline.audio_dump import merge_jobs

    report = merge_jobs(args.data_dir, args.out_dir, args.nj, args.fs)
    logging.info("%s: %s", args.out_dir, report)
    if report["skipped"]:
        logging.warning("%s: skipped %s (see the dump logs)", args.out_dir, report["skipped"])


def _filter(args) -> None:
    from espnet_ext.pipeline.filtering import filter_dir

    filter_dir(args.src, args.dst, args.min_seconds, args.max_seconds, args.max_text_chars)


def _train_tokenizer(args) -> None:
    from espnet_ext.pipeline.tokenizer import train_sentencepiece

    train_sentencepiece(args.text, args.out_dir, args.vocab_size, args.model_type)


def _split_keys(args) -> None:
    from espnet_ext.pipeline.datadir import split_keys

    print(split_keys(args.scp, args.nj, args.out_dir))


def _merge_text(args) -> None:
    from espnet_ext.pipeline.decode_outputs import merge_texts

    merge_texts(args.parts, args.out, args.expected_keys)


def _rtf(args) -> None:
    from espnet_ext.pipeline.decode_outputs import write_rtf

    write_rtf(args.data_dir, args.seconds, args.out)


def get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="step", required=True)

    p = sub.add_parser("systems", help="list the selected systems (optionally of one training stage)")
    p.add_argument("--file", required=True, help="the recipe's conf/systems.yaml")
    p.add_argument("--select", default="", help="system names, space separated; empty = all")
    p.add_argument("--stage", type=int, default=None, help="only systems trained in this stage")
    p.set_defaults(func=_systems)

    p = sub.add_parser("system-field", help="print one field of a system")
    p.add_argument("--file", required=True)
    p.add_argument("--system", required=True)
    p.add_argument("--field", required=True, choices=["task", "config", "inference_config", "init_from", "init_param", "train_stage"])
    p.set_defaults(func=_system_field)

    p = sub.add_parser("speed-perturb", help="stage 2: speed-perturbed copy of a data dir")
    p.add_argument("--src", required=True)
    p.add_argument("--dst", required=True)
    p.add_argument("--factors", required=True, help='e.g. "0.9 1.0 1.1"')
    p.set_defaults(func=_speed_perturb)

    p = sub.add_parser("dump-audio", help="stage 3: one job of the segment dump")
    p.add_argument("--data-dir", required=True)
    p.add_argument("--out-dir", required=True)
    p.add_argument("--job", type=int, required=True)
    p.add_argument("--nj", type=int, required=True)
    p.add_argument("--fs", type=int, default=16000)
    p.add_argument("--format", default="wav", choices=["wav", "flac"])
    p.add_argument("--allow-pipes", action="store_true", help="run wav.scp entries that are shell commands (untrusted input!)")
    p.set_defaults(func=_dump_audio)

    p = sub.add_parser("merge-dump", help="stage 3: merge the dump jobs")
    p.add_argument("--data-dir", required=True)
    p.add_argument("--out-dir", required=True)
    p.add_argument("--nj", type=int, required=True)
    p.add_argument("--fs", type=int, default=16000)
    p.set_defaults(func=_merge_dump)

    p = sub.add_parser("filter", help="stage 4: length and empty-text filtering")
    p.add_argument("--src", required=True)
    p.add_argument("--dst", required=True)
    p.add_argument("--min-seconds", type=float, default=0.1)
    p.add_argument("--max-seconds", type=float, default=20.0)
    p.add_argument("--max-text-chars", type=int, default=1000)
    p.set_defaults(func=_filter)

    p = sub.add_parser("train-tokenizer", help="stage 5: SentencePiece model + ESPnet token list")
    p.add_argument("--text", nargs="+", required=True, help="Kaldi text files")
    p.add_argument("--out-dir", required=True)
    p.add_argument("--vocab-size", type=int, required=True)
    p.add_argument("--model-type", default="unigram", choices=["unigram", "bpe", "char", "word"])
    p.set_defaults(func=_train_tokenizer)

    p = sub.add_parser("split-keys", help="split a scp's keys into nj key files; prints how many")
    p.add_argument("--scp", required=True)
    p.add_argument("--nj", type=int, required=True)
    p.add_argument("--out-dir", required=True)
    p.set_defaults(func=_split_keys)

    p = sub.add_parser("merge-text", help="merge per-job Kaldi text outputs")
    p.add_argument("--parts", nargs="+", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--expected-keys", default=None)
    p.set_defaults(func=_merge_text)

    p = sub.add_parser("rtf", help="write rtf.json for a decoded set")
    p.add_argument("--data-dir", required=True)
    p.add_argument("--seconds", type=float, required=True)
    p.add_argument("--out", required=True)
    p.set_defaults(func=_rtf)
    return parser


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    from espnet_ext.corpus.kaldi import CorpusError

    args = get_parser().parse_args(argv)
    try:
        args.func(args)
    except (CorpusError, ValueError, FileNotFoundError, KeyError) as e:
        print(f"pipeline {args.step}: error: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
