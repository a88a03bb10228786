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

    report = dump_job(
        args.data_dir, args.out_dir, args.job, args.nj, args.fs, args.format, args.allow_pipes
    )
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

    write_rtf(args.data_dir, args.seconds, args.out, device=args.device, jobs=args.jobs)


def _langs(args) -> dict[str, str]:
    return {
        "src_lang": args.src_lang,
        "tgt_lang": args.tgt_lang,
        "src_case": args.src_case,
        "tgt_case": args.tgt_case,
    }


def _task(args) -> None:
    from espnet_ext.pipeline.tasks import get_task

    task = get_task(args.task)
    if args.field == "reference":
        print(task.reference(**_langs(args)))
    elif args.field == "first_input":
        print(task.files(**_langs(args))[0][0])
    else:
        print(getattr(task, args.field))


def _task_data(args) -> None:
    """ESPnet data options: all files for training splits, the inputs only for decoding."""
    from espnet_ext.pipeline.tasks import get_task

    task = get_task(args.task)
    files = task.inputs(**_langs(args)) if args.inputs_only else task.files(**_langs(args))
    option = (
        f"--{args.split}_data_path_and_name_and_type"
        if args.split
        else "--data_path_and_name_and_type"
    )
    optional = [] if args.inputs_only else task.optional_files(args.dir, **_langs(args))
    print(
        " ".join(
            f"{option} {args.dir}/{f},{name},{loader}" for f, name, loader in files + optional
        )
    )
    if args.shapes:
        print(
            " ".join(
                f"--{split}_shape_file {args.shapes}/{split}/{name}_shape"
                for _, name, _ in files
                for split in ("train", "valid")
            )
        )


def _task_tokens(args) -> None:
    from espnet_ext.pipeline.tasks import get_task

    def opts(prefix: str, d: str) -> str:
        return f"--{prefix}token_type bpe --{prefix}token_list {d}/tokens.txt --{prefix}bpemodel {d}/bpe.model"

    task = get_task(args.task)
    if task.tokens == "tgt+joint":
        src_list = f"{args.dumpdir}/{task.src_token_list.format(units_tag=args.units_tag)}"
        print(f"{opts('', args.tgt_dir)} --src_token_type word --src_token_list {src_list}")
        return
    print(
        {
            "src": opts("", args.src_dir),
            "tgt+src": f"{opts('', args.tgt_dir)} {opts('src_', args.src_dir)}",
            "none": "",
        }[task.tokens]
    )


def _task_dir(args) -> None:
    """The data dir a task reads for one set (training: the system's data variant)."""
    from espnet_ext.pipeline.tasks import get_task

    rel = get_task(args.task).data_dir(args.split, args.set, args.variant, args.units_tag)
    print(f"{args.dumpdir}/{rel}")


def _task_pack_extras(args) -> None:
    from espnet_ext.pipeline.tasks import get_task

    extras = get_task(args.task).formatted_pack_extras(args.dumpdir, args.units_tag)
    print(" ".join(f"--extra {e}" for e in extras))


def _add_lang_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--task", required=True)
    p.add_argument("--src-lang", default="en")
    p.add_argument("--tgt-lang", default="de")
    p.add_argument("--src-case", default="lc.rm")
    p.add_argument("--tgt-case", default="tc")


def _resolve_model(args) -> None:
    from espnet_ext.pipeline.decode_outputs import resolve_model_file

    print(resolve_model_file(args.exp_dir, args.name))


def _import_system(args) -> None:
    from espnet_ext.pipeline.import_system import import_system

    train_args = args.train_args[1:] if args.train_args[:1] == ["--"] else args.train_args
    record = import_system(args.src, args.dst, args.task, args.config, args.model_name, train_args)
    for line in record["checks"]:
        logging.info("%s: %s", args.dst, line)
    for line in record["training_differences"]:
        logging.info("%s: trained with another option (allowed): %s", args.dst, line)
    logging.info("%s: imported %s from %s", args.dst, record["model_file"], record["source"])


def get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="step", required=True)

    p = sub.add_parser(
        "systems", help="list the selected systems (optionally of one training stage)"
    )
    p.add_argument("--file", required=True, help="the recipe's conf/systems.yaml")
    p.add_argument("--select", default="", help="system names, space separated; empty = all")
    p.add_argument("--stage", type=int, default=None, help="only systems trained in this stage")
    p.set_defaults(func=_systems)

    p = sub.add_parser("system-field", help="print one field of a system")
    p.add_argument("--file", required=True)
    p.add_argument("--system", required=True)
    p.add_argument(
        "--field",
        required=True,
        choices=[
            "task",
            "config",
            "inference_config",
            "init_from",
            "init_param",
            "needs",
            "data_variant",
            "inference_model",
            "train_stage",
            "stats_at_training",
        ],
    )
    p.set_defaults(func=_system_field)

    p = sub.add_parser("task", help="one property of a pipeline task (espnet_ext.pipeline.tasks)")
    _add_lang_args(p)
    p.add_argument("--field", required=True, choices=[
        "train_stage", "metric", "tokens", "train_module", "inference_module", "config_option",
        "model_option", "inference_text", "speech_input", "reference", "first_input",
        "post_train_module", "inference_args", "espnet_inference_module",
        "stats_at_training", "assembled"])  # fmt: skip
    p.set_defaults(func=_task)

    p = sub.add_parser("task-data", help="ESPnet data options of a task for one data dir")
    _add_lang_args(p)
    p.add_argument("--dir", required=True, help="data dir the files are in")
    p.add_argument("--split", default="", help="train | valid; empty: decoding options")
    p.add_argument("--inputs-only", action="store_true", help="leave out the target (decoding)")
    p.add_argument(
        "--shapes", default="", help="stats dir: also print its train/valid shape files"
    )
    p.set_defaults(func=_task_data)

    p = sub.add_parser("task-tokens", help="ESPnet token options of a task")
    p.add_argument("--task", required=True)
    p.add_argument("--src-dir", required=True)
    p.add_argument("--tgt-dir", required=True)
    p.add_argument("--dumpdir", default="dump", help="st.sh's dump dir (joint token lists)")
    p.add_argument("--units-tag", default="", help="st.sh's --units_tag")
    p.set_defaults(func=_task_tokens)

    p = sub.add_parser("task-dir", help="the data dir of a task for one set")
    p.add_argument("--task", required=True)
    p.add_argument("--split", required=True, choices=["train", "valid", "test"])
    p.add_argument("--set", required=True, help="set name, e.g. train.en-de")
    p.add_argument("--variant", default="", help="the system's data_variant (training)")
    p.add_argument("--dumpdir", default="dump")
    p.add_argument("--units-tag", default="")
    p.set_defaults(func=_task_dir)

    p = sub.add_parser("task-pack-extras", help="--extra options of a task's packs")
    p.add_argument("--task", required=True)
    p.add_argument("--dumpdir", default="dump")
    p.add_argument("--units-tag", default="")
    p.set_defaults(func=_task_pack_extras)

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
    p.add_argument(
        "--allow-pipes",
        action="store_true",
        help="run wav.scp entries that are shell commands (untrusted input!)",
    )
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

    p = sub.add_parser("resolve-model", help="path of an experiment's checkpoint for decoding")
    p.add_argument("--exp-dir", required=True)
    p.add_argument("--name", required=True, help="e.g. valid.acc.ave_3best.pth")
    p.set_defaults(func=_resolve_model)

    p = sub.add_parser("rtf", help="write rtf.json for a decoded set")
    p.add_argument("--data-dir", required=True)
    p.add_argument("--seconds", type=float, required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--device", choices=("cpu", "gpu"), default="cpu", help="where it decoded")
    p.add_argument("--jobs", type=int, default=1, help="parallel decoding jobs")
    p.set_defaults(func=_rtf)

    p = sub.add_parser(
        "import-system",
        help="stages 8-10: take a system from another recipe's finished experiment, after checking "
        "that it matches what this recipe would train (espnet_ext.pipeline.import_system)",
    )
    p.add_argument("--src", required=True, help="the finished experiment, e.g. ../x/exp/asr")
    p.add_argument("--dst", required=True, help="this recipe's experiment dir for the system")
    p.add_argument("--task", required=True, help="the system's pipeline task")
    p.add_argument("--config", required=True, help="the system's training config in this recipe")
    p.add_argument("--model-name", required=True, help="the checkpoint to import")
    p.add_argument(
        "train_args",
        nargs=argparse.REMAINDER,
        help="after --: the token, data and normalisation options this recipe would train with",
    )
    p.set_defaults(func=_import_system)
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
