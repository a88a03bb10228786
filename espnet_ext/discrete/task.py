"""``DiscreteSTTask``: ESPnet's MT task with the hard-sharing model and its output layers.

The data layout is MT's: ``src_text`` holds joint-vocabulary pieces (read with
``--src_token_type word --src_token_list <joint>/tokens.txt``), ``text`` the target, tokenised
with the target SentencePiece model. On top of MT's choices the task adds ``decoder: transducer``
(ESPnet's ``TransducerDecoder``) with ``joint_net_conf`` (ESPnet's ``JointNetwork``),
``decoder: none`` (pure CTC), ``frontend: none`` (the encoder embeds the ids itself), and builds
:class:`ESPnetDiscreteSTModel`. The registry adds ``encoder: hf_seq2seq`` / ``decoder: hf_seq2seq``
(:mod:`espnet_ext.discrete.hf_seq2seq`, a pretrained text model's stacks), which also receive the
source / target token list to map the vocabularies onto the pretrained one.

Hierarchical encoder: ``hier_encoder`` (any of MT's encoders; ``hf_seq2seq`` embeds ids and cannot
be stacked) with ``hier_encoder_conf`` runs on the encoder's output; ``model_conf:
src_ctc_weight > 0`` adds a CTC over the joint source vocabulary on the lower encoder's output
(``src_ctc``, built with ``ctc_conf``), trained toward the optional data ``src_transcript``:
joint-vocabulary pieces of the source text, tokenised like ``src_text`` (the source tokenizer
and token list).
"""

from __future__ import annotations

import argparse
import logging

from espnet2.asr.ctc import CTC
from espnet2.asr.decoder.abs_decoder import AbsDecoder
from espnet2.asr.decoder.transducer_decoder import TransducerDecoder
from espnet2.asr.encoder.abs_encoder import AbsEncoder
from espnet2.asr.frontend.abs_frontend import AbsFrontend
from espnet2.asr_transducer.joint_network import JointNetwork
from espnet2.tasks import mt
from espnet2.tasks.mt import MTTask
from espnet2.torch_utils.initialize import initialize
from espnet2.train.abs_espnet_model import AbsESPnetModel
from espnet2.train.class_choices import ClassChoices
from espnet2.train.preprocessor import MutliTokenizerCommonPreprocessor
from espnet2.utils.nested_dict_action import NestedDictAction

from espnet_ext.discrete.model import ESPnetDiscreteSTModel

log = logging.getLogger(__name__)

SRC_TRANSCRIPT = "src_transcript"

# MT's frontends, plus ``frontend: none`` for encoders that embed the ids themselves (hf_seq2seq)
frontend_choices = ClassChoices(
    "frontend",
    classes=dict(mt.frontend_choices.classes),
    type_check=AbsFrontend,
    default="embed",
    optional=True,
)
# MT's encoders; the registry adds this package's to this copy (espnet_ext/registry.py)
encoder_choices = ClassChoices(
    "encoder",
    classes=dict(mt.encoder_choices.classes),
    type_check=AbsEncoder,
    default="transformer",
)
# the upper encoder of a hierarchical encoder: MT's encoders, which take (B, T, D) features
hier_encoder_choices = ClassChoices(
    "hier_encoder",
    classes=dict(mt.encoder_choices.classes),
    type_check=AbsEncoder,
    default=None,
    optional=True,
)
# MT's decoders (including those the registry added before this module was imported) + transducer
decoder_choices = ClassChoices(
    "decoder",
    classes=dict(mt.decoder_choices.classes, transducer=TransducerDecoder),
    type_check=AbsDecoder,
    default="transformer",
    optional=True,
)
model_choices = ClassChoices(
    "model",
    classes=dict(discrete_st=ESPnetDiscreteSTModel),
    type_check=AbsESPnetModel,
    default="discrete_st",
)


def _token_list(value, what: str) -> list[str]:
    if isinstance(value, str):
        with open(value, encoding="utf-8") as f:
            return [line.rstrip("\n") for line in f]
    if isinstance(value, (list, tuple)):
        return list(value)
    raise RuntimeError(f"{what} must be a file or a list, got {type(value).__name__}")


def _build(cls: type, token_list: list[str], **kwargs):
    """``cls(**kwargs)``, plus the vocabulary's pieces for modules that map them to pretrained
    rows (``needs_token_list``, e.g. :mod:`espnet_ext.discrete.hf_seq2seq`)."""
    if getattr(cls, "needs_token_list", False):
        kwargs["token_list"] = token_list
    return cls(**kwargs)


class DiscreteSTTask(MTTask):
    class_choices_list = [
        frontend_choices,
        encoder_choices,
        hier_encoder_choices,
        mt.postencoder_choices,
        decoder_choices,
        model_choices,
    ]

    @classmethod
    def add_task_arguments(cls, parser: argparse.ArgumentParser):
        super().add_task_arguments(parser)
        group = parser.add_argument_group(description="Discrete ST related")
        group.add_argument(
            "--joint_net_conf",
            action=NestedDictAction,
            default={},
            help="keyword arguments of the transducer JointNetwork (joint_space_size, "
            "joint_activation_type)",
        )

    @classmethod
    def optional_data_names(cls, train: bool = True, inference: bool = False) -> tuple[str, ...]:
        # the source transcript (joint-vocabulary pieces) for the hierarchical encoder's source CTC
        return () if inference else (SRC_TRANSCRIPT,)

    @classmethod
    def build_preprocess_fn(cls, args: argparse.Namespace, train: bool):
        """MT's preprocessor, which also tokenises ``src_transcript`` with the source tokenizer
        and token list (those of ``src_text``)."""
        pre = super().build_preprocess_fn(args, train)
        if pre is None:
            return None
        if not isinstance(pre, MutliTokenizerCommonPreprocessor) or pre.text_name[1] != "src_text":
            raise TypeError(
                f"MTTask's preprocessor is {type(pre).__name__} with text names "
                f"{getattr(pre, 'text_name', None)}; expected MutliTokenizerCommonPreprocessor "
                "with [text, src_text]"
            )
        pre.text_name = [*pre.text_name, SRC_TRANSCRIPT]
        pre.tokenizer = [*pre.tokenizer, pre.tokenizer[1]]
        pre.token_id_converter = [*pre.token_id_converter, pre.token_id_converter[1]]
        pre.num_tokenizer = len(pre.text_name)
        return pre

    @classmethod
    def build_model(cls, args: argparse.Namespace) -> ESPnetDiscreteSTModel:
        token_list = _token_list(args.token_list, "token_list")
        src_token_list = _token_list(args.src_token_list, "src_token_list")
        # keep the lists in config.yaml, so the model is portable
        args.token_list, args.src_token_list = token_list, src_token_list
        vocab_size, src_vocab_size = len(token_list), len(src_token_list)
        log.info("target vocabulary %d, joint source vocabulary %d", vocab_size, src_vocab_size)

        frontend, feat_size = None, src_vocab_size
        if getattr(args, "frontend", None) is not None:
            frontend = frontend_choices.get_class(args.frontend)(
                input_size=src_vocab_size, **args.frontend_conf
            )
            feat_size = frontend.output_size()
        encoder = _build(
            encoder_choices.get_class(args.encoder),
            src_token_list,
            input_size=feat_size,
            **args.encoder_conf,
        )
        enc_size = low_size = encoder.output_size()
        hier_encoder = None
        if getattr(args, "hier_encoder", None) is not None:
            hier_encoder = hier_encoder_choices.get_class(args.hier_encoder)(
                input_size=low_size, **args.hier_encoder_conf
            )
            enc_size = hier_encoder.output_size()
        postencoder = None
        if getattr(args, "postencoder", None) is not None:
            postencoder = mt.postencoder_choices.get_class(args.postencoder)(
                input_size=enc_size, **args.postencoder_conf
            )
            enc_size = postencoder.output_size()

        decoder, joint_network = None, None
        if args.decoder == "transducer":
            decoder = TransducerDecoder(vocab_size, embed_pad=0, **args.decoder_conf)
            joint_network = JointNetwork(
                vocab_size, enc_size, decoder.dunits, **args.joint_net_conf
            )
        elif args.decoder is not None:
            decoder = _build(
                decoder_choices.get_class(args.decoder),
                token_list,
                vocab_size=vocab_size,
                encoder_output_size=enc_size,
                **args.decoder_conf,
            )
        ctc = CTC(odim=vocab_size, encoder_output_size=enc_size, **args.ctc_conf)
        src_ctc = None
        if float(args.model_conf.get("src_ctc_weight", 0.0)) > 0:
            # over the joint source vocabulary, on the lower encoder's output
            src_ctc = CTC(odim=src_vocab_size, encoder_output_size=low_size, **args.ctc_conf)

        model = model_choices.get_class(getattr(args, "model", None) or "discrete_st")(
            vocab_size=vocab_size,
            token_list=token_list,
            src_vocab_size=src_vocab_size,
            src_token_list=src_token_list,
            frontend=frontend,
            encoder=encoder,
            postencoder=postencoder,
            decoder=decoder,
            ctc=ctc,
            joint_network=joint_network,
            hier_encoder=hier_encoder,
            src_ctc=src_ctc,
            **args.model_conf,
        )
        if args.init is not None:
            initialize(model, args.init)
            # initialize() restores pretrained modules itself for every init but "chainer"
            modules = (model.frontend, model.encoder, model.hier_encoder)
            for module in (*modules, model.postencoder, model.decoder):
                if hasattr(module, "reload_pretrained_parameters"):
                    module.reload_pretrained_parameters()
        for module in (model.encoder, model.decoder):
            # the pretrained stacks' copy of their initial state is no longer needed
            if hasattr(module, "release_initial_state"):
                module.release_initial_state()
        return model
