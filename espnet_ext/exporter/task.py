"""ESPnet task for exporter training: ``python -m espnet_ext.bin.exporter_train --config ...``.

A subclass of ESPnet's ``STTask``: same data (``wav.scp,speech,sound``, target ``text``, optional
source ``src_text``), preprocessing, batching and trainer; its own arguments and model. The ASR
and MT systems come from their experiment dirs (``asr_exp``, ``mt_exp``; ``config.yaml`` +
``*_model_file``), which ``build_model`` loads. A config looks like::

    asr_exp: exp/asr
    mt_exp: exp/mt
    exporter: ctc_pool                 # the only exporter so far
    exporter_conf: {hidden_size: 256, num_blocks: 2}
    model_conf: {mt_mode: fixed, l2_weight: 1.0, ce_weight: 1.0, train_asr_encoder: false}

The token settings (``token_list``/``bpemodel``/``token_type`` of the target and the ``src_``
ones of the source) default to the MT model's; given explicitly, they must agree with it. The
frozen prefixes go into ``freeze_param``, so ``config.yaml`` records what was frozen
(``espnet_ext.bin.train_info`` reads them).
"""

from __future__ import annotations

import argparse
import logging

from espnet2.tasks.st import STTask
from espnet2.torch_utils.initialize import initialize
from espnet2.train.class_choices import ClassChoices
from espnet2.utils.get_default_kwargs import get_default_kwargs
from espnet2.utils.nested_dict_action import NestedDictAction
from espnet2.utils.types import float_or_none, str2bool, str_or_none

from espnet_ext.exporter.espnet_model import ESPnetExporterModel
from espnet_ext.exporter.exporter import CTCPoolExporter
from espnet_ext.exporter.pretrained import (
    DEFAULT_MODEL_FILE,
    check_vocabularies,
    load_system,
    read_config,
)

exporter_choices = ClassChoices(
    "exporter", classes=dict(ctc_pool=CTCPoolExporter), type_check=None, default="ctc_pool"
)
# The frozen ASR model normalises its own features (its global_mvn statistics are in its
# checkpoint), so "none" is the only choice. The option exists because the stage pipeline gives
# ESPnet's normalisation options (--normalize none, --normalize_conf) to every task that reads
# audio; normalize_conf is then unused and dropped from config.yaml.
normalize_choices = ClassChoices("normalize", classes=dict(), optional=True, default=None)

# token settings taken from the MT config when not given
_TOKEN_ARGS = (
    "token_list",
    "token_type",
    "bpemodel",
    "src_token_list",
    "src_token_type",
    "src_bpemodel",
)


def _read_token_list(value) -> list[str]:
    if isinstance(value, str):
        with open(value, encoding="utf-8") as f:
            return [line.rstrip("\n") for line in f]
    return list(value)


def complete_token_args(args: argparse.Namespace) -> None:
    """Fill the token settings from the MT config; check the given ones against it."""
    if not getattr(args, "mt_exp", None):
        raise ValueError("--mt_exp is required (the MT experiment dir with config.yaml)")
    mt_config = read_config(args.mt_exp)
    for name in _TOKEN_ARGS:
        mine, theirs = getattr(args, name, None), mt_config.get(name)
        if mine is None:
            setattr(args, name, theirs)
        elif name.endswith("token_list") and theirs is not None:
            if _read_token_list(mine) != _read_token_list(theirs):
                raise ValueError(
                    f"--{name} {mine if isinstance(mine, str) else '(list)'} differs from the "
                    f"MT model's {name} in {args.mt_exp}/config.yaml"
                )
    for name in ("token_list", "src_token_list"):
        if isinstance(getattr(args, name), str):
            setattr(args, name, _read_token_list(getattr(args, name)))  # portable config.yaml


def build_exporter_model(
    args: argparse.Namespace, load_pretrained: bool = True, device: str = "cpu"
) -> tuple[ESPnetExporterModel, argparse.Namespace, argparse.Namespace]:
    """Build the model of an exporter config; ``load_pretrained``: load the ASR and MT weights
    from their experiment dirs (training), else leave them to a full checkpoint.

    Returns:
        the model, the ASR training args and the MT training args (token lists, BPE models).
    """
    for name in ("asr_exp", "mt_exp"):
        if not getattr(args, name, None):
            raise ValueError(f"--{name} is required (an experiment dir with config.yaml)")
    complete_token_args(args)
    asr, asr_args = load_system(
        "asr", args.asr_exp, args.asr_model_file, load_weights=load_pretrained, device=device
    )
    mt, mt_args = load_system(
        "mt", args.mt_exp, args.mt_model_file, load_weights=load_pretrained, device=device
    )
    check_vocabularies(asr_args, mt_args)
    top = asr.postencoder if asr.postencoder is not None else asr.encoder
    asr_dim = top.output_size()
    exporter = exporter_choices.get_class(getattr(args, "exporter", "ctc_pool"))(
        input_size=asr_dim,
        output_size=mt.frontend.output_size(),
        vocab_size=len(asr_args.token_list),
        **(getattr(args, "exporter_conf", None) or {}),
    )
    if getattr(args, "init", None) is not None:
        initialize(exporter, args.init)  # only the new layer: ASR and MT keep their weights
    model = ESPnetExporterModel(asr=asr, mt=mt, exporter=exporter, **args.model_conf)
    freeze = list(getattr(args, "freeze_param", None) or [])
    args.freeze_param = freeze + [p for p in model.frozen_prefixes() if p not in freeze]
    return model, asr_args, mt_args


class ExporterTask(STTask):
    """ST data and trainer, :class:`ESPnetExporterModel` model (see the module docstring)."""

    num_optimizers: int = 1
    # --exporter ctc_pool --exporter_conf {...}; --normalize none (the pipeline's option)
    class_choices_list = [exporter_choices, normalize_choices]

    @classmethod
    def add_task_arguments(cls, parser: argparse.ArgumentParser):
        group = parser.add_argument_group(description="Exporter")
        group.add_argument(
            "--asr_exp",
            type=str_or_none,
            default=None,
            help="ASR experiment dir (config.yaml + checkpoint; CTC needed)",
        )
        group.add_argument(
            "--asr_model_file",
            type=str,
            default=DEFAULT_MODEL_FILE,
            help="ASR checkpoint, relative to --asr_exp unless absolute",
        )
        group.add_argument(
            "--mt_exp",
            type=str_or_none,
            default=None,
            help="MT experiment dir (config.yaml + checkpoint; embed frontend)",
        )
        group.add_argument(
            "--mt_model_file",
            type=str,
            default=DEFAULT_MODEL_FILE,
            help="MT checkpoint, relative to --mt_exp unless absolute",
        )
        group.add_argument(
            "--model_conf",
            action=NestedDictAction,
            default=get_default_kwargs(ESPnetExporterModel),
            help="keyword arguments of ESPnetExporterModel (mt_mode, weights, ...)",
        )
        group.add_argument(
            "--init",
            type=lambda x: str_or_none(x.lower()),
            default=None,
            choices=[
                "chainer",
                "xavier_uniform",
                "xavier_normal",
                "kaiming_uniform",
                "kaiming_normal",
                None,
            ],
            help="initialisation of the exporter layer (ASR/MT keep theirs)",
        )
        group = parser.add_argument_group(description="Preprocess (defaults: the MT model's)")
        group.add_argument(
            "--use_preprocessor", type=str2bool, default=True, help="tokenize the text inputs"
        )
        for side, what in (("", "target"), ("src_", "source")):
            group.add_argument(
                f"--{side}token_list",
                type=str_or_none,
                default=None,
                help=f"{what} token list (default: the MT model's)",
            )
            group.add_argument(
                f"--{side}token_type",
                type=str_or_none,
                default=None,
                help=f"{what} token type (default: the MT model's)",
            )
            group.add_argument(
                f"--{side}bpemodel",
                type=str_or_none,
                default=None,
                help=f"{what} SentencePiece model (default: the MT model's)",
            )
            group.add_argument(
                f"--{side}g2p",
                type=str_or_none,
                default=None,
                help=f"{what} g2p (token_type phn only)",
            )
        group.add_argument(
            "--non_linguistic_symbols",
            type=str_or_none,
            default=None,
            help="non-linguistic symbols file",
        )
        group.add_argument("--cleaner", type=str_or_none, default=None, help="text cleaner")
        group.add_argument(
            "--speech_volume_normalize",
            type=float_or_none,
            default=None,
            help="scale the maximum amplitude of the speech to this value",
        )
        for class_choices in cls.class_choices_list:
            class_choices.add_arguments(group)  # --exporter, --exporter_conf

    @classmethod
    def build_preprocess_fn(cls, args: argparse.Namespace, train: bool):
        complete_token_args(args)
        return super().build_preprocess_fn(args, train)

    @classmethod
    def build_model(cls, args: argparse.Namespace) -> ESPnetExporterModel:
        model, _, _ = build_exporter_model(args, load_pretrained=True)
        if getattr(args, "normalize_conf", None):
            args.normalize_conf = {}  # statistics the pipeline names, never read (see above)
        logging.info(f"exporter: frozen {args.freeze_param}")
        return model
