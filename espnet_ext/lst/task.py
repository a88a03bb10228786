"""ESPnet task for LST, so that ESPnet's trainer (``AbsTask.main``) trains it.

YAML keys (each ``*_conf`` maps 1:1 to the keyword arguments of one class):

- ``frontend: hf | s3prl | espnet_asr | fbank`` + ``frontend_conf`` (:mod:`espnet_ext.lst.frontend`)
- ``length_adapter_conf`` (:class:`~espnet_ext.lst.adapters.LengthAdapter`)
- ``modality_adapter_conf`` (:class:`~espnet_ext.lst.adapters.ModalityAdapter`)
- ``llm_conf`` (:class:`~espnet_ext.lst.llm.LLMBackend`; ``finetune: none`` = stage A,
  ``full`` / ``lora`` = stage B, started with ``--init_param <stage A model>``)
- ``prompt_conf`` (:class:`~espnet_ext.lst.prompt.PromptTemplate`)
- ``model_conf`` (:class:`~espnet_ext.lst.model.ESPnetLSTModel`)

Data: ``speech`` (``sound``) and ``text`` (``text``: raw target text, tokenized here with the
LLM's tokenizer + eos).
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

import numpy as np
import torch
from espnet2.asr.frontend.abs_frontend import AbsFrontend
from espnet2.tasks.abs_task import AbsTask
from espnet2.train.abs_espnet_model import AbsESPnetModel
from espnet2.train.class_choices import ClassChoices
from espnet2.train.collate_fn import CommonCollateFn
from espnet2.train.preprocessor import AbsPreprocessor
from espnet2.train.trainer import Trainer
from espnet2.utils.get_default_kwargs import get_default_kwargs
from espnet2.utils.nested_dict_action import NestedDictAction
from espnet2.utils.types import str2bool

from espnet_ext.fileio import write_text_atomic
from espnet_ext.lst.adapters import LengthAdapter, ModalityAdapter
from espnet_ext.lst.frontend import (
    ESPnetASRFrontend,
    FbankSpeechFrontend,
    HFSpeechFrontend,
    S3prlSpeechFrontend,
)
from espnet_ext.lst.llm import LLMBackend, load_tokenizer
from espnet_ext.lst.model import ESPnetLSTModel
from espnet_ext.lst.prompt import PromptTemplate, encode_target

frontend_choices = ClassChoices(
    name="frontend",
    classes=dict(
        hf=HFSpeechFrontend,
        s3prl=S3prlSpeechFrontend,
        fbank=FbankSpeechFrontend,
        espnet_asr=ESPnetASRFrontend,
    ),
    type_check=AbsFrontend,
    default="hf",
)


def _conf_defaults(cls, *exclude: str) -> dict:
    defaults = get_default_kwargs(cls)
    for name in exclude:
        defaults.pop(name, None)
    return defaults


# The frontends normalise each waveform themselves, so "none" is the only choice. The option exists
# because the stage pipeline gives ESPnet's normalisation options (--normalize, --normalize_conf)
# to every task that reads audio.
normalize_choices = ClassChoices("normalize", classes=dict(), optional=True, default=None)


class LSTPreprocessor(AbsPreprocessor):
    """Checks the waveform and tokenizes the raw target text with the LLM's tokenizer (+ eos).

    Args:
        tokenizer_name_or_path: the LLM's tokenizer.
        speech_name, text_name: data names.
    """

    def __init__(
        self,
        train: bool,
        tokenizer_name_or_path: str,
        speech_name: str = "speech",
        text_name: str = "text",
    ):
        super().__init__(train)
        self.tokenizer = load_tokenizer(tokenizer_name_or_path)
        self.speech_name = speech_name
        self.text_name = text_name

    def __call__(self, uid: str, data: dict) -> dict[str, np.ndarray]:
        data = dict(data)
        if self.speech_name in data:
            speech = data[self.speech_name]
            if speech.ndim != 1:
                raise ValueError(
                    f"utterance {uid}: expected mono audio (samples,), got shape {speech.shape}"
                )
        if self.text_name in data:
            ids = encode_target(self.tokenizer, data[self.text_name].strip())
            data[self.text_name] = np.asarray(ids, dtype=np.int64)
        return data


class LSTTask(AbsTask):
    """Speech translation with a speech encoder, adapters and a decoder-only LLM."""

    num_optimizers: int = 1
    class_choices_list = [frontend_choices, normalize_choices]
    trainer = Trainer

    @classmethod
    def add_task_arguments(cls, parser: argparse.ArgumentParser):
        group = parser.add_argument_group(description="LST model")
        confs = {
            "length_adapter_conf": (_conf_defaults(LengthAdapter, "input_size"), "LengthAdapter"),
            "modality_adapter_conf": (
                _conf_defaults(ModalityAdapter, "input_size", "output_size"),
                "ModalityAdapter",
            ),
            "llm_conf": (_conf_defaults(LLMBackend), "LLMBackend (finetune: none|full|lora)"),
            "prompt_conf": (_conf_defaults(PromptTemplate), "PromptTemplate"),
            "model_conf": (
                _conf_defaults(
                    ESPnetLSTModel,
                    "frontend",
                    "length_adapter",
                    "modality_adapter",
                    "llm",
                    "prompt",
                ),
                "ESPnetLSTModel",
            ),
        }
        for name, (default, target) in confs.items():
            group.add_argument(
                f"--{name}",
                action=NestedDictAction,
                default=default,
                help=f"Keyword arguments of espnet_ext.lst {target}",
            )
        group = parser.add_argument_group(description="Preprocess related")
        group.add_argument(
            "--use_preprocessor",
            type=str2bool,
            default=True,
            help="Tokenize the raw target text with the LLM's tokenizer (needed for training)",
        )
        for class_choices in cls.class_choices_list:
            class_choices.add_arguments(group)

    @classmethod
    def build_collate_fn(cls, args: argparse.Namespace, train: bool):
        # -1 pads token ids; the model replaces it using text_lengths.
        return CommonCollateFn(float_pad_value=0.0, int_pad_value=-1)

    @classmethod
    def build_preprocess_fn(cls, args: argparse.Namespace, train: bool):
        if not args.use_preprocessor:
            return None
        llm_conf = args.llm_conf
        name = llm_conf.get("tokenizer_name_or_path") or llm_conf.get("name_or_path")
        if name is None:
            raise ValueError("llm_conf.name_or_path is required (a causal LM name or directory)")
        return LSTPreprocessor(train=train, tokenizer_name_or_path=name)

    @classmethod
    def required_data_names(cls, train: bool = True, inference: bool = False) -> tuple[str, ...]:
        return ("speech",) if inference else ("speech", "text")

    @classmethod
    def optional_data_names(cls, train: bool = True, inference: bool = False) -> tuple[str, ...]:
        return ()

    @classmethod
    def build_model(cls, args: argparse.Namespace) -> ESPnetLSTModel:
        frontend_class = frontend_choices.get_class(args.frontend)
        frontend = frontend_class(**args.frontend_conf)
        length_adapter = LengthAdapter(
            input_size=frontend.output_size(), **args.length_adapter_conf
        )
        llm = LLMBackend(**args.llm_conf)
        modality_adapter = ModalityAdapter(
            length_adapter.output_size(), llm.hidden_size, **args.modality_adapter_conf
        )
        model = ESPnetLSTModel(
            frontend=frontend,
            length_adapter=length_adapter,
            modality_adapter=modality_adapter,
            llm=llm,
            prompt=PromptTemplate(**args.prompt_conf),
            **args.model_conf,
        )
        # statistics the pipeline names in --normalize_conf are never read, so config.yaml (written
        # after build_model) does not refer to them
        if getattr(args, "normalize_conf", None):
            args.normalize_conf = {}
        output_dir = getattr(args, "output_dir", None)
        if model.save_frozen_pretrained and output_dir and not getattr(args, "collect_stats", 0):
            # checkpoints then hold the frozen frontend/LLM weights too; this file tells
            # espnet_ext.scoring.train_info which of them did not train
            Path(output_dir).mkdir(parents=True, exist_ok=True)
            write_text_atomic(
                Path(output_dir) / "frozen_params.json",
                json.dumps(model.frozen_pretrained_keys(), indent=1) + "\n",
            )
        for name in ("frontend", "length_adapter", "modality_adapter", "llm"):
            params = list(getattr(model, name).parameters())
            trainable = sum(p.numel() for p in params if p.requires_grad)
            logging.info(
                f"LST {name}: {sum(p.numel() for p in params)} parameters, {trainable} trainable"
            )
        return model

    @classmethod
    def build_model_from_file(
        cls,
        config_file: str | Path | None = None,
        model_file: str | Path | None = None,
        device: str = "cpu",
    ) -> tuple[AbsESPnetModel, argparse.Namespace]:
        """Build from ``config.yaml`` and load ``model_file`` strictly.

        ESPnet's version loads with ``strict=False``, which would hide a checkpoint that lacks
        trained weights; here only frozen pretrained weights may be absent (they are refilled).
        """
        if config_file is None and model_file is not None:
            config_file = Path(model_file).parent / "config.yaml"
        model, args = super().build_model_from_file(config_file, None, device)
        if model_file is not None:
            state = torch.load(model_file, map_location=device, weights_only=True)
            model.load_state_dict(state.get("module", state), strict=True)
        return model, args
