"""ESPnet task ``hf_mt``: train a Marian MT model (``espnet_ext.connectors.hf_mt``) on text.

``python -m espnet_ext.bin.hf_mt_train`` takes ESPnet's MT data and token options, as the stage
pipeline passes them::

    --train_data_path_and_name_and_type dump/raw/train/text.lc.rm.en,src_text,text
    --train_data_path_and_name_and_type dump/raw/train/text.tc.pt,text,text
    --src_token_list SRC/tokens.txt --src_bpemodel SRC/bpe.model     (source SentencePiece)
    --token_list TGT/tokens.txt --bpemodel TGT/bpe.model             (target SentencePiece)

and a config::

    marian_conf: {d_model: 256, encoder_layers: 6, decoder_layers: 6, ...}   # MarianConfig
    model_conf: {label_smoothing: 0.1, extract_feats_in_collect_stats: false}

Everything else (optimiser, scheduler, batching, ``--resume``, checkpoint averaging, multi-GPU)
is ESPnet's trainer. The weights keep Hugging Face's own initialisation (the task has no
``init`` option).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import numpy as np
from espnet2.tasks.abs_task import AbsTask
from espnet2.train.collate_fn import CommonCollateFn
from espnet2.train.preprocessor import AbsPreprocessor
from espnet2.train.trainer import Trainer
from espnet2.utils.get_default_kwargs import get_default_kwargs
from espnet2.utils.nested_dict_action import NestedDictAction
from espnet2.utils.types import str2bool, str_or_none

from espnet_ext.connectors.hf_mt import ESPnetHFMTModel, build_marian, build_tokenizer


class MarianPreprocessor(AbsPreprocessor):
    """Tokenizes ``src_text`` (source side) and ``text`` (``text_target=``); EOS appended.

    Raises ``ValueError`` naming the utterance for an empty text.
    """

    def __init__(self, train: bool, tokenizer):
        super().__init__(train)
        self.tokenizer = tokenizer

    def __call__(self, uid: str, data: dict) -> dict:
        data = dict(data)
        for name, kwarg in (("src_text", "text"), ("text", "text_target")):
            value = data.get(name)
            if not isinstance(value, str):
                continue
            if not value.strip():
                raise ValueError(f"utterance {uid}: empty {name}")
            ids = self.tokenizer(**{kwarg: value}).input_ids
            data[name] = np.asarray(ids, dtype=np.int64)
        return data


def tokenizer_from_args(args: argparse.Namespace):
    for option in ("token_type", "src_token_type"):
        if getattr(args, option) != "bpe":
            raise ValueError(
                f"--{option} {getattr(args, option)}: the Marian tokenizer needs SentencePiece "
                "models (bpe)"
            )
    return build_tokenizer(args.src_token_list, args.src_bpemodel, args.token_list, args.bpemodel)


class HFMTTask(AbsTask):
    """Text-to-text translation with a Hugging Face Marian model."""

    num_optimizers: int = 1
    class_choices_list = []
    trainer = Trainer

    @classmethod
    def add_task_arguments(cls, parser: argparse.ArgumentParser) -> None:
        group = parser.add_argument_group(description="Task related")
        required = parser.get_default("required")
        required += ["token_list", "src_token_list", "bpemodel", "src_bpemodel"]
        for prefix, side in (("", "target"), ("src_", "source")):
            group.add_argument(
                f"--{prefix}token_list",
                type=str_or_none,
                default=None,
                help=f"ESPnet token list of the {side} SentencePiece model (tokens.txt)",
            )
            group.add_argument(
                f"--{prefix}bpemodel",
                type=str_or_none,
                default=None,
                help=f"{side} SentencePiece model (bpe.model)",
            )
            group.add_argument(
                f"--{prefix}token_type",
                type=str,
                default="bpe",
                choices=["bpe"],
                help=f"{side} token type (SentencePiece only)",
            )
        group.add_argument(
            "--use_preprocessor",
            type=str2bool,
            default=True,
            help="tokenize the text (required: the model reads token ids)",
        )
        group.add_argument(
            "--marian_conf",
            action=NestedDictAction,
            default=get_default_kwargs(build_marian),
            help="MarianConfig fields (d_model, encoder_layers, ...); vocabulary sizes and "
            "special ids come from the tokenizer",
        )
        group.add_argument(
            "--model_conf",
            action=NestedDictAction,
            default=get_default_kwargs(ESPnetHFMTModel),
            help="The keyword arguments for the model class (label_smoothing, ...)",
        )

    @classmethod
    def build_collate_fn(cls, args: argparse.Namespace, train: bool) -> Callable:
        return CommonCollateFn(float_pad_value=0.0, int_pad_value=-1)

    @classmethod
    def build_preprocess_fn(cls, args: argparse.Namespace, train: bool) -> Callable:
        if not args.use_preprocessor:
            raise ValueError("--use_preprocessor false: the Marian model needs tokenized text")
        return MarianPreprocessor(train, tokenizer_from_args(args))

    @classmethod
    def required_data_names(cls, train: bool = True, inference: bool = False) -> tuple[str, ...]:
        return ("src_text",) if inference else ("src_text", "text")

    @classmethod
    def optional_data_names(cls, train: bool = True, inference: bool = False) -> tuple[str, ...]:
        return ()

    @classmethod
    def build_model(cls, args: argparse.Namespace) -> ESPnetHFMTModel:
        tokenizer = tokenizer_from_args(args)
        marian = build_marian(
            src_vocab_size=len(tokenizer.encoder),
            tgt_vocab_size=len(tokenizer.target_encoder),
            pad_token_id=int(tokenizer.pad_token_id),
            eos_token_id=int(tokenizer.eos_token_id),
            **(args.marian_conf or {}),
        )
        return ESPnetHFMTModel(marian, tokenizer, **(args.model_conf or {}))
