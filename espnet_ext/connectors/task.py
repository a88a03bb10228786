"""ESPnet task for connector training: ``python -m espnet_ext.bin.connector_train --config ...``.

Data (ESPnet's ``--train_data_path_and_name_and_type``): ``wav.scp,speech,sound`` (16 kHz mono)
and the target text ``text.tc.pt,text,text``; the target is tokenized with the MT model's own
tokenizer (``--mt_name_or_path``), so no ESPnet token list or BPE model is involved. Everything
else (``--init_param``, ``--use_amp``, ``--accum_grad``, batch types, ``--resume``, multi-GPU) is
ESPnet's trainer. A config looks like::

    speech_encoder: whisper            # or espnet_asr
    speech_encoder_conf:
        name_or_path: openai/whisper-small.en
    mt_name_or_path: Helsinki-NLP/opus-mt-tc-big-en-pt
    connector: ste                     # or qformer
    connector_conf: {hidden_size: 256, num_blocks: 6}
    model_conf: {layout: eced, prompt: ">>por<< ", label_smoothing: 0.1}

``connector_conf`` needs no ``input_size``/``output_size``: they are taken from the speech encoder
and the MT model. ``build_model`` adds the frozen prefixes (``speech_encoder``, ``mt_model``) to
``freeze_param``, so ``config.yaml`` records what is frozen (``espnet_ext.bin.train_info`` reads
it).
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable

import numpy as np
from espnet2.tasks.abs_task import AbsTask
from espnet2.train.class_choices import ClassChoices
from espnet2.train.collate_fn import CommonCollateFn
from espnet2.train.preprocessor import AbsPreprocessor
from espnet2.train.trainer import Trainer
from espnet2.utils.get_default_kwargs import get_default_kwargs
from espnet2.utils.nested_dict_action import NestedDictAction
from espnet2.utils.types import str2bool, str_or_none

from espnet_ext.connectors.abs_connector import AbsConnector
from espnet_ext.connectors.espnet_model import FROZEN_PREFIXES, ESPnetConnectorSTModel
from espnet_ext.connectors.mt import load_mt_model, load_mt_tokenizer
from espnet_ext.connectors.qformer import QFormerConnector
from espnet_ext.connectors.speech_encoder import (
    AbsSpeechEncoder,
    ESPnetASRSpeechEncoder,
    WhisperSpeechEncoder,
)
from espnet_ext.connectors.ste import STEConnector

speech_encoder_choices = ClassChoices(
    "speech_encoder",
    classes=dict(whisper=WhisperSpeechEncoder, espnet_asr=ESPnetASRSpeechEncoder),
    type_check=AbsSpeechEncoder,
    default="whisper",
)
connector_choices = ClassChoices(
    "connector",
    classes=dict(qformer=QFormerConnector, ste=STEConnector),
    type_check=AbsConnector,
    default="ste",
)
# The frozen speech encoders normalise their own input (Whisper's log-mel scaling, the ESPnet ASR
# model's own normaliser), so "none" is the only choice. The option exists because the stage
# pipeline gives ESPnet's normalisation options (--normalize, --normalize_conf) to every task
# that reads audio; like ESPnet's own tasks with `normalize: none`, normalize_conf is then unused.
normalize_choices = ClassChoices("normalize", classes=dict(), optional=True, default=None)


class MTTokenizerPreprocessor(AbsPreprocessor):
    """Tokenizes the target text with the MT tokenizer (``text_target=``, EOS appended).

    Raises ``ValueError`` naming the utterance for an empty target or non-mono audio.
    """

    def __init__(self, train: bool, mt_name_or_path: str):
        super().__init__(train)
        self.tokenizer = load_mt_tokenizer(mt_name_or_path)

    def __call__(self, uid: str, data: dict) -> dict:
        data = dict(data)
        speech = data.get("speech")
        if speech is not None and np.ndim(speech) != 1:
            raise ValueError(f"utterance {uid}: expected mono audio, got shape {np.shape(speech)}")
        text = data.get("text")
        if isinstance(text, str):
            if not text.strip():
                raise ValueError(f"utterance {uid}: empty target text")
            ids = self.tokenizer(text_target=text).input_ids
            data["text"] = np.asarray(ids, dtype=np.int64)
        return data


class ConnectorSTTask(AbsTask):
    """Frozen speech encoder + trainable connector + frozen Hugging Face MT model."""

    num_optimizers: int = 1
    class_choices_list = [speech_encoder_choices, connector_choices, normalize_choices]
    trainer = Trainer

    @classmethod
    def add_task_arguments(cls, parser: argparse.ArgumentParser) -> None:
        group = parser.add_argument_group(description="Task related")
        required = parser.get_default("required")
        required += ["mt_name_or_path"]
        group.add_argument(
            "--mt_name_or_path",
            type=str_or_none,
            default=None,
            help="Hugging Face seq2seq MT model (hub name or local directory); its tokenizer "
            "tokenizes the target text",
        )
        group.add_argument(
            "--use_preprocessor",
            type=str2bool,
            default=True,
            help="tokenize the target text with the MT tokenizer (required for training)",
        )
        group.add_argument(
            "--model_conf",
            action=NestedDictAction,
            default=get_default_kwargs(ESPnetConnectorSTModel),
            help="The keyword arguments for the model class (layout, prompt, ...)",
        )
        for class_choices in cls.class_choices_list:
            class_choices.add_arguments(group)

    @classmethod
    def build_collate_fn(cls, args: argparse.Namespace, train: bool) -> Callable:
        return CommonCollateFn(float_pad_value=0.0, int_pad_value=-1)

    @classmethod
    def build_preprocess_fn(cls, args: argparse.Namespace, train: bool) -> Callable:
        # decoding configs written before this option existed have no use_preprocessor
        if not getattr(args, "use_preprocessor", True):
            raise ValueError("--use_preprocessor false: the targets must be MT-tokenized")
        return MTTokenizerPreprocessor(train, args.mt_name_or_path)

    @classmethod
    def required_data_names(cls, train: bool = True, inference: bool = False) -> tuple[str, ...]:
        return ("speech",) if inference else ("speech", "text")

    @classmethod
    def optional_data_names(cls, train: bool = True, inference: bool = False) -> tuple[str, ...]:
        return ()

    @classmethod
    def build_model(cls, args: argparse.Namespace) -> ESPnetConnectorSTModel:
        speech_encoder_class = speech_encoder_choices.get_class(args.speech_encoder)
        speech_encoder = speech_encoder_class(**args.speech_encoder_conf)
        mt_model = load_mt_model(args.mt_name_or_path)
        tokenizer = load_mt_tokenizer(args.mt_name_or_path)

        connector_conf = dict(args.connector_conf)
        derived = {
            "input_size": speech_encoder.output_size(),
            "output_size": mt_model.config.d_model,
        }
        for key, value in derived.items():
            if connector_conf.setdefault(key, value) != value:
                raise ValueError(
                    f"connector_conf.{key}={connector_conf[key]} contradicts the models ({value})"
                )
        connector = connector_choices.get_class(args.connector)(**connector_conf)

        model = ESPnetConnectorSTModel(
            speech_encoder, connector, mt_model, tokenizer, **(args.model_conf or {})
        )
        freeze = list(getattr(args, "freeze_param", None) or [])
        args.freeze_param = freeze + [p for p in FROZEN_PREFIXES if p not in freeze]
        # normalize is always none here: statistics the pipeline names in --normalize_conf are never
        # read, so config.yaml (written after build_model) does not refer to them
        if getattr(args, "normalize_conf", None):
            args.normalize_conf = {}
        counts = model.param_counts()
        logging.info(
            "connector model: %d trainable of %d parameters (%.2f%%); frozen: %s",
            counts["trainable"],
            counts["total"],
            100.0 * counts["trainable"] / counts["total"],
            ", ".join(FROZEN_PREFIXES),
        )
        return model
