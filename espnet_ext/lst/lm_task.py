"""The tiny LLaMA LM of LST on the mini corpus as a stage-pipeline task (``lst_lm``).

The stage pipeline (``egs2/TEMPLATE/st1/st.sh``) calls every task's training entrypoint with
ESPnet's options. This module gives :func:`espnet_ext.lst.pretrain_lm.pretrain_lm` that interface:

- ``--collect_stats true`` (stage 7): writes the shape files ESPnet's ``aggregate_stats_dirs``
  merges (``<name>_shape``: characters per line of each data file, for the keys of
  ``--train_shape_file``/``--valid_shape_file``). The LM batches whole sequences, so nothing reads
  them beyond the record.
- training: reads ``--config`` (below), trains the LM and its tokenizer into ``OUT/hf_model`` (a
  Hugging Face directory the LST configs load by path), writes ``OUT/config.yaml`` (the resolved
  settings, ``task: lst_lm``) and the exported weights under ESPnet's names
  ``OUT/valid.acc.best.pth`` and ``OUT/valid.acc.ave_1best.pth`` (the average of the one best
  epoch, which the pipeline's ``--inference_model valid.acc.ave_<n>best.pth`` falls back to).

Config (YAML)::

    lm_conf: {...}               # PretrainConfig fields except the text files: vocab_size,
                                 # hidden_size, num_layers, epochs, batch_size, lr, ...
    prompt_from: lst_stage_a.yaml  # an LST config (relative to this file) whose prompt_conf the
                                 # LM learns; or prompt_template / placeholder in lm_conf
    text: [data/text_only.{src_lang}-{tgt_lang}/train.{tgt_lang}]           # target-language text
    parallel:                    # (source, target) file pairs for translation prompts
      - [data/text_only.{src_lang}-{tgt_lang}/train.{src_lang}, data/text_only.{src_lang}-{tgt_lang}/train.{tgt_lang}]
    use_train_data: true         # also the pipeline's training pairs (src_text, text data files)

``{src_lang}``/``{tgt_lang}`` are the languages of the training data files (the pipeline names
them ``text.<case>.<lang>``). ESPnet options that map onto the LM: ``--max_epoch`` (epochs),
``--num_iters_per_epoch`` (steps per epoch at most), ``--batch_size``, ``--seed``, ``--ngpu``
(0: CPU, else the first GPU). A re-run resumes an interrupted training (``pretrain_lm``).
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
from dataclasses import asdict, fields
from pathlib import Path

import yaml

from espnet_ext.cli_types import data_triple as _triple
from espnet_ext.cli_types import str2bool as _str2bool
from espnet_ext.device import device_for
from espnet_ext.fileio import atomic_open, write_text_atomic
from espnet_ext.lst.pretrain_lm import PretrainConfig, read_lines

HF_DIR = "hf_model"
MODEL_NAMES = ("valid.acc.best.pth", "valid.acc.ave_1best.pth")
_DATA_NAMES = ("src_text", "text")


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description="Pretrain LST's tiny LLaMA LM (pipeline task lst_lm)")
    p.add_argument("--config", required=True, help="the LM's YAML config (see module doc)")
    p.add_argument("--output_dir", required=True, help="experiment (or statistics) dir")
    for split in ("train", "valid"):
        p.add_argument(
            f"--{split}_data_path_and_name_and_type",
            type=_triple,
            action="append",
            default=[],
            help="PATH,NAME,TYPE of the source (src_text) and target (text) text",
        )
        p.add_argument(
            f"--{split}_shape_file",
            action="append",
            default=[],
            help="stats: key file of this job; training: shape files (recorded only)",
        )
    p.add_argument("--collect_stats", type=_str2bool, default=False, help="write shape files")
    p.add_argument(
        "--use_preprocessor",
        type=_str2bool,
        default=True,
        help="must be true (accepted for st.sh)",
    )
    p.add_argument("--resume", type=_str2bool, default=True, help="continue an interrupted run")
    p.add_argument("--ngpu", type=int, default=0, help="0: CPU; else the first GPU")
    p.add_argument(
        "--multiprocessing_distributed",
        type=_str2bool,
        default=False,
        help="not supported: the tiny LM trains on one device",
    )
    p.add_argument("--max_epoch", type=int, default=None, help="overrides lm_conf.epochs")
    p.add_argument(
        "--num_iters_per_epoch",
        type=int,
        default=None,
        help="overrides lm_conf.max_steps_per_epoch",
    )
    p.add_argument("--batch_size", type=int, default=None, help="overrides lm_conf.batch_size")
    p.add_argument("--seed", type=int, default=None, help="overrides lm_conf.seed")
    p.add_argument("--num_threads", type=int, default=None, help="torch CPU threads")
    p.add_argument("--log_level", default="INFO", help="logging level")
    return p


def _data_files(triples: list[tuple[str, str, str]]) -> dict[str, str]:
    files = {name: path for path, name, _ in triples}
    missing = [n for n in _DATA_NAMES if n not in files]
    if missing:
        raise ValueError(f"missing data {missing}: give PATH,{missing[0]},text")
    return files


def _lang(path: str) -> str:
    """``dump/raw/train/text.tc.de`` -> ``de`` (the pipeline's text.<case>.<lang> names)."""
    return Path(path).suffix.lstrip(".")


def collect_shapes(args: argparse.Namespace) -> None:
    """ESPnet-style statistics dir: ``{train,valid}/{batch_keys,stats_keys,<name>_shape}``."""
    out = Path(args.output_dir)
    for split in ("train", "valid"):
        triples = getattr(args, f"{split}_data_path_and_name_and_type")
        key_files = getattr(args, f"{split}_shape_file")
        keys = None
        if key_files:
            keys = [line.split(maxsplit=1)[0] for line in read_lines(key_files[0]) if line.strip()]
        (out / split).mkdir(parents=True, exist_ok=True)
        names = []
        for path, name, _ in triples:
            lines = {}
            for line in read_lines(path):
                key, _, text = line.partition(" ")
                if key:
                    lines[key] = text
            with atomic_open(out / split / f"{name}_shape") as f:
                for key in keys if keys is not None else sorted(lines):
                    if key not in lines:
                        raise ValueError(f"{path}: no line for utterance {key}")
                    f.write(f"{key} {len(lines[key])}\n")
            names.append(name)
        write_text_atomic(out / split / "batch_keys", "".join(f"{n}\n" for n in names))
        write_text_atomic(out / split / "stats_keys", "")
    logging.info(f"shape files of {names} in {out}")


def _kaldi_to_plain(path: str, out: Path) -> str:
    """Write the text of a Kaldi text file (``<key> <text>``) one sentence a line."""
    lines = [line.partition(" ")[2] for line in read_lines(path)]
    write_text_atomic(out, "".join(f"{line}\n" for line in lines))
    return str(out)


def resolve_config(
    config_path: str | Path, train_files: dict[str, str], work_dir: Path
) -> tuple[PretrainConfig, dict]:
    """The :class:`PretrainConfig` of ``config_path`` for the pipeline's training files, and the
    resolved settings recorded in ``config.yaml``."""
    config_path = Path(config_path)
    with open(config_path, encoding="utf-8") as f:
        raw = yaml.safe_load(f) or {}
    known = {"lm_conf", "prompt_from", "text", "parallel", "use_train_data"}
    unknown = set(raw) - known
    if unknown:
        raise ValueError(f"{config_path}: unknown keys {sorted(unknown)}; known: {sorted(known)}")
    values = dict(raw.get("lm_conf") or {})
    allowed = {f.name for f in fields(PretrainConfig)} - {"text", "src_text", "tgt_text"}
    bad = set(values) - allowed
    if bad:
        raise ValueError(
            f"{config_path}: lm_conf keys {sorted(bad)} are not PretrainConfig fields"
        )
    if raw.get("prompt_from"):
        lst_config = config_path.parent / raw["prompt_from"]
        with open(lst_config, encoding="utf-8") as f:
            prompt_conf = (yaml.safe_load(f) or {}).get("prompt_conf") or {}
        if "template" not in prompt_conf:
            raise ValueError(f"{lst_config}: no prompt_conf.template for the LM to learn")
        values["prompt_template"] = prompt_conf["template"]
        values["placeholder"] = prompt_conf.get("placeholder", "<speech>")
    langs = {"src_lang": _lang(train_files["src_text"]), "tgt_lang": _lang(train_files["text"])}
    text = [t.format(**langs) for t in raw.get("text") or []]
    parallel = [[p.format(**langs) for p in pair] for pair in raw.get("parallel") or []]
    for pair in parallel:
        if len(pair) != 2:
            raise ValueError(f"{config_path}: each parallel entry is [source file, target file]")
    for path in text + [p for pair in parallel for p in pair]:
        if not Path(path).is_file():
            raise FileNotFoundError(f"{config_path}: text file {path} does not exist")
    if raw.get("use_train_data", True):
        # the pipeline's Kaldi text files, as plain line-aligned text
        work_dir.mkdir(parents=True, exist_ok=True)
        parallel.append(
            [
                _kaldi_to_plain(train_files["src_text"], work_dir / "train_src.txt"),
                _kaldi_to_plain(train_files["text"], work_dir / "train_tgt.txt"),
            ]
        )
    config = PretrainConfig(
        text=text,
        src_text=[pair[0] for pair in parallel],
        tgt_text=[pair[1] for pair in parallel],
        **values,
    )
    resolved = {"task": "lst_lm", **langs, "lm_conf": asdict(config)}
    return config, resolved


def train(args: argparse.Namespace) -> dict:
    import torch

    from espnet_ext.lst.pretrain_lm import pretrain_lm

    if not args.use_preprocessor:
        raise ValueError("--use_preprocessor false: the LM tokenizes its text itself")
    if args.multiprocessing_distributed:
        logging.warning("lst_lm trains on one device; --multiprocessing_distributed is ignored")
    out = Path(args.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    train_files = _data_files(args.train_data_path_and_name_and_type)
    config, resolved = resolve_config(args.config, train_files, out / "text")
    overrides = {
        "epochs": args.max_epoch,
        "max_steps_per_epoch": args.num_iters_per_epoch,
        "batch_size": args.batch_size,
        "seed": args.seed,
    }
    for name, value in overrides.items():
        if value is not None:
            setattr(config, name, value)
    resolved["lm_conf"] = asdict(config)
    if not args.resume and (out / HF_DIR).exists():
        shutil.rmtree(out / HF_DIR)
    if args.ngpu > 1:  # the pipeline hands every training job the recipe's --ngpu
        logging.warning(f"--ngpu {args.ngpu}: LM pretraining runs on one GPU")
    device = device_for(min(args.ngpu, 1))
    info = pretrain_lm(out / HF_DIR, config, device=device)
    write_text_atomic(out / "config.yaml", yaml.safe_dump(resolved, allow_unicode=True))
    # the exported weights under ESPnet's checkpoint names, for the pipeline's decoding,
    # train_info and packing
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(out / HF_DIR)
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    for name in MODEL_NAMES:
        with atomic_open(out / name, "wb") as f:
            torch.save(state, f)
    write_text_atomic(out / "pretrain_info.json", json.dumps(info, indent=2) + "\n")
    return info


def main(cmd=None) -> None:
    args = get_parser().parse_args(cmd)
    from espnet_ext.bin import setup_logging

    setup_logging(args.log_level)
    if args.num_threads:
        import torch

        torch.set_num_threads(args.num_threads)
    if args.collect_stats:
        collect_shapes(args)
        return
    info = train(args)
    last = info["history"][-1] if info["history"] else {}
    logging.info(f"LM with {info['parameters']} parameters in {args.output_dir}/{HF_DIR}: {last}")
