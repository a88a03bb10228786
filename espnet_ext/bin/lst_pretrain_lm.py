"""`python -m espnet_ext.bin.lst_pretrain_lm`: train a tiny LLaMA-architecture LM and its
SentencePiece tokenizer on target-language text and translation prompts (for LST on the mini
corpus); the output directory loads with ``from_pretrained``."""

from __future__ import annotations

import argparse
import logging
from dataclasses import fields

from espnet_ext.cli_types import str2bool as _str2bool
from espnet_ext.lst.pretrain_lm import PretrainConfig

_HELP = {
    "text": "target-language text file, one sentence a line (repeatable)",
    "src_text": "source side of a parallel file pair for translation prompts (repeatable)",
    "tgt_text": "target side, line aligned with the --src_text of the same position (repeatable)",
    "prompt_template": "LST prompt; the source text goes where the placeholder is "
    "(a literal \\n in the argument means a newline)",
    "placeholder": "speech placeholder in the template",
    "vocab_size": "SentencePiece vocabulary size (includes 256 byte-fallback pieces)",
    "spm_model_type": "SentencePiece model type (bpe or unigram)",
    "hidden_size": "LLaMA hidden size",
    "intermediate_size": "LLaMA MLP size",
    "num_layers": "LLaMA layers",
    "num_heads": "attention heads",
    "max_position_embeddings": "LLaMA max_position_embeddings (prompt + speech + target in LST)",
    "max_length": "training sequences are cut to this many tokens",
    "epochs": "passes over the training sequences",
    "batch_size": "sequences per step",
    "lr": "peak AdamW learning rate",
    "warmup_steps": "linear warm-up steps (then square-root decay to 0)",
    "weight_decay": "AdamW weight decay",
    "n_valid": "held-out sequences for the validation loss (at most a tenth of all)",
    "seed": "random seed",
    "max_steps_per_epoch": "at most this many steps an epoch (0: all batches)",
    "select_best": "export the epoch with the best validation accuracy (true|false)",
}


def get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out_dir", required=True, help="output directory (from_pretrained-able)")
    parser.add_argument("--device", default="cpu", help="torch device, e.g. cpu or cuda")
    parser.add_argument("--num_threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--log_level", default="INFO", help="logging level")
    parser.add_argument(
        "--lst_config",
        default=None,
        help="LST training YAML; its prompt_conf (template, placeholder) replaces "
        "--prompt_template/--placeholder so the LM sees exactly the LST prompt",
    )
    for f in fields(PretrainConfig):
        if f.name in ("text", "src_text", "tgt_text"):
            parser.add_argument(f"--{f.name}", action="append", default=[], help=_HELP[f.name])
        else:
            kind = _str2bool if isinstance(f.default, bool) else type(f.default)
            parser.add_argument(f"--{f.name}", type=kind, default=f.default, help=_HELP[f.name])
    return parser


def main(cmd=None) -> None:
    args = get_parser().parse_args(cmd)
    from espnet_ext.bin import setup_logging

    setup_logging(args.log_level)
    import torch

    from espnet_ext.lst.pretrain_lm import pretrain_lm

    if args.num_threads:
        torch.set_num_threads(args.num_threads)
    values = {f.name: getattr(args, f.name) for f in fields(PretrainConfig)}
    values["prompt_template"] = values["prompt_template"].replace("\\n", "\n")
    if args.lst_config:
        import yaml

        with open(args.lst_config, encoding="utf-8") as f:
            prompt_conf = (yaml.safe_load(f) or {}).get("prompt_conf") or {}
        for key, name in (("template", "prompt_template"), ("placeholder", "placeholder")):
            if key in prompt_conf:
                values[name] = prompt_conf[key]
    config = PretrainConfig(**values)
    info = pretrain_lm(args.out_dir, config, device=args.device)
    last = info["history"][-1] if info["history"] else {}
    logging.info(f"LM with {info['parameters']} parameters in {args.out_dir}: {last}")


if __name__ == "__main__":
    main()
