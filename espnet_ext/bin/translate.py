"""`python -m espnet_ext.bin.translate`: translate audio files or folders with a packed model.

python -m espnet_ext.bin.translate --model st.zip talk.flac lectures/ --output-format jsonl \\
    --output out.jsonl --device cuda

Exit status: 0 every file translated, 1 some file failed (each is reported on stderr and the
others are still translated), 2 usage error or a model that cannot be loaded.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import sys
import warnings
from pathlib import Path

from espnet_ext.fileio import atomic_open, write_text_atomic
from espnet_ext.translate.outputs import EXTENSIONS, FORMATS, format_result
from espnet_ext.translate.vad import VADConfig

logger = logging.getLogger("espnet_ext.bin.translate")
USAGE_ERROR = 2


def get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Translate audio files (any format soundfile reads, any rate; directories "
        "are walked for audio files) with a model packed by espnet_ext.bin.pack. Long "
        "recordings are split at pauses by an energy-based voice activity detector.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("inputs", nargs="+", metavar="FILE_OR_DIR", help="audio files or dirs")
    parser.add_argument("--model", required=True, help="packed model (.zip)")
    parser.add_argument("--output-format", choices=FORMATS, default="text", help="output format")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--output", default=None, help="output file (default: stdout)")
    where.add_argument(
        "--output-dir", default=None, help="one output file per input (<name>.txt/.jsonl/.srt)"
    )
    parser.add_argument(
        "--per-file", action="store_true", help="text format: one line per file, not per segment"
    )
    parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    parser.add_argument("--batch-size", type=int, default=8, help="segments per model call")
    parser.add_argument("--beam-size", type=int, default=None, help="default: the pack's")
    parser.add_argument(
        "--no-vad", action="store_true", help="translate each file whole (no segmentation)"
    )
    defaults = VADConfig()
    parser.add_argument(
        "--max-segment-seconds",
        type=float,
        default=defaults.max_segment_seconds,
        help="VAD: longer speech is split at its quietest point",
    )
    parser.add_argument(
        "--min-silence-seconds",
        type=float,
        default=defaults.min_silence_seconds,
        help="VAD: shorter pauses do not end a segment",
    )
    parser.add_argument(
        "--chunk-seconds",
        type=float,
        default=1800.0,
        help="audio held in memory and batched together before translating",
    )
    parser.add_argument("--cache-dir", default=None, help="where packs are extracted")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--log-level", default="INFO", help="logging level of this toolkit")
    return parser


def main(cmd: list[str] | None = None) -> int:
    parser = get_parser()
    args = parser.parse_args(cmd)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("espnet_ext").setLevel(args.log_level.upper())
    warnings.filterwarnings("ignore", category=FutureWarning, module=r"espnet2?\.")
    if args.batch_size < 1:
        parser.error(f"--batch-size must be >= 1, got {args.batch_size}")

    from espnet_ext.translate.files import FileResult, ResultStore, discover, translate_files

    files = discover(args.inputs)
    if args.output_format == "srt" and len(files) > 1 and args.output_dir is None:
        parser.error(f"srt output of {len(files)} files needs --output-dir (one .srt per file)")
    if args.output_dir is not None:
        names = [str(Path(f.name).with_suffix(EXTENSIONS[args.output_format])) for f in files]
        clash = sorted({n for n in names if names.count(n) > 1})
        if clash:
            parser.error(f"--output-dir: several inputs would write {clash}; translate them apart")
    try:
        vad = (
            None
            if args.no_vad
            else VADConfig(
                max_segment_seconds=args.max_segment_seconds,
                min_silence_seconds=args.min_silence_seconds,
            )
        )
    except ValueError as e:
        parser.error(str(e))

    # ESPnet prints to stdout at import ("Failed to import Flash Attention, ..."); stdout is
    # where translations go, so what loading the model prints goes to stderr
    with contextlib.redirect_stdout(sys.stderr):
        translator = _load(args, vad)
    if translator is None:
        return USAGE_ERROR
    settings = {
        "pack_sha256": translator.pack_sha256,
        "beam_size": args.beam_size,
        "vad": vad.to_dict() if vad else None,
    }
    name_lines = len(files) > 1 and args.output_dir is None  # own file: no need to name it

    def render(result) -> str:
        return format_result(
            args.output_format, result.path, result.segments, name_lines, args.per_file
        )

    results = {}
    if args.output_dir is not None:
        out_dir = Path(args.output_dir)
        settings_file = out_dir / ".translate_settings.json"
        # outputs are already rendered here, so the text layout is a setting too
        dir_settings = {**settings, "per_file": args.per_file}
        same = settings_file.exists() and json.loads(settings_file.read_text()) == dir_settings
        outputs = {
            f.path: out_dir / Path(f.name).with_suffix(EXTENSIONS[args.output_format])
            for f in files
        }
        todo = [f for f in files if not (same and outputs[f.path].exists())]
        results.update((f.path, FileResult(f.path)) for f in files if f not in todo)
        if len(todo) < len(files):
            logger.info("%d files already translated in %s", len(files) - len(todo), out_dir)
        write_text_atomic(settings_file, json.dumps(dir_settings, indent=1) + "\n")
        for result in translate_files(translator, todo, args.chunk_seconds, not args.no_progress):
            results[result.path] = result
            if result.error is None:
                write_text_atomic(outputs[result.path], render(result))
    elif args.output is not None:
        store = ResultStore(f"{args.output}.partial.jsonl", settings)
        todo = [f for f in files if f.path not in store.done]
        results.update(store.done)
        for result in translate_files(translator, todo, args.chunk_seconds, not args.no_progress):
            results[result.path] = result
            store.add(result)
        with atomic_open(args.output) as out:
            for f in files:
                if results[f.path].error is None:
                    out.write(render(results[f.path]))
        store.remove()
    else:
        for result in translate_files(translator, files, args.chunk_seconds, not args.no_progress):
            results[result.path] = result
            if result.error is None:
                sys.stdout.write(render(result))
                sys.stdout.flush()
    return _summary(files, results)


def _load(args, vad):
    from espnet_ext.translate.translator import Translator

    try:
        return Translator.from_pack(
            args.model,
            device=args.device,
            beam_size=args.beam_size,
            vad=vad,
            batch_size=args.batch_size,
            cache_dir=args.cache_dir,
        )
    except Exception as e:  # missing, not a pack, refused weights, a model that does not build
        logger.debug("loading %s failed", args.model, exc_info=True)
        print(f"translate: cannot load model {args.model}: {e}", file=sys.stderr)
        return None


def _summary(files, results) -> int:
    failed = [results[f.path] for f in files if results[f.path].error is not None]
    ok = [results[f.path] for f in files if results[f.path].error is None]
    n_seg = sum(len(r.segments) for r in ok)
    audio = sum(r.duration for r in ok)
    print(
        f"translate: {len(ok)} of {len(files)} files translated "
        f"({n_seg} segments, {audio:.1f} s of audio); {len(failed)} failed",
        file=sys.stderr,
    )
    for r in failed:
        print(f"translate: FAILED {r.error}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
