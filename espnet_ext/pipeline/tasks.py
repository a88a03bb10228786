"""What the stage pipeline needs to know about each training task, in one place.

A system in a recipe's ``conf/systems.yaml`` names a task; st.sh asks this registry (through
``python -m espnet_ext.bin.pipeline task ...``) which data files the task reads, which token lists
it takes, which entrypoints train and decode it and how its output is scored. A method that adds a
task (connectors, LST, ...) adds one :class:`PipelineTask` here.

Data file templates may use ``{src_case}``, ``{src_lang}``, ``{tgt_case}`` and ``{tgt_lang}``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path


@dataclass(frozen=True)
class PipelineTask:
    name: str
    train_stage: int
    # (file template, ESPnet data name, ESPnet loader type) read in training
    data: tuple[tuple[str, str, str], ...]
    # the data names a decoder reads (the rest are training targets)
    inference_inputs: tuple[str, ...]
    # which SentencePiece models the task's --token_list/--bpemodel (and --src_*) options name
    tokens: (
        str  # "src": token_list = source; "tgt+src": token_list = target, src_* = source; "none"
    )
    metric: str  # "bleu" | "wer"
    train_module: str
    inference_module: str
    # the names of the decoding entrypoint's model options (ESPnet: --<task>_train_config ...)
    config_option: str
    model_option: str
    # where each decoding job writes its Kaldi text, relative to its output dir
    inference_text: str = "1best_recog/text"
    target_name: str = "text"
    # options the pipeline always passes to the decoding entrypoint; ``{batch_bins}`` becomes
    # st.sh's --inference_batch_bins (the batched speech decoders' batch size)
    inference_args: str = "--batch_size 1"
    # ESPnet's own one-utterance-at-a-time decoder, used instead of a batched inference_module
    # when st.sh runs with --espnet_decoder true; empty: the task has no alternative
    espnet_inference_module: str = ""
    # run as `python -m <module> --exp-dir EXP --model-file FILE` after training (e.g. to export a
    # Hugging Face model that later systems load by path); empty: nothing to run
    post_train_module: str = ""
    # ESPnet's --collect_stats builds the model; when the task's model loads other systems'
    # trained models (its systems list them under ``needs``), stage 7 cannot, so the statistics
    # are collected right before the first of its systems trains. True: every system of the task;
    # False: only systems with ``needs`` (espnet_ext.pipeline.systems.System.stats_at_training)
    stats_at_training: bool = False
    # nothing trains: the system is assembled from the trained systems it ``needs`` (e.g. a
    # cascade of ASR and MT). No statistics; training runs `python -m <train_module> --config CONF
    # --output_dir EXP --model_name <st.sh's inference_model>`, which writes EXP/config.yaml and
    # EXP/<model_name>, the checkpoint that decoding, train_info and packing read
    assembled: bool = False
    # where the task's data dirs live, relative to st.sh's dump dir ({units_tag}: st.sh's
    # --units_tag), and how a set name maps to a dir name there: ``train_dir`` for the training
    # set (``{variant}``: the system's data variant), ``eval_dir`` for the valid and test sets
    data_root: str = "raw"
    train_dir: str = "{set}"
    eval_dir: str = "{set}"
    # the training data variants a system of this task may choose (systems.yaml ``data_variant``);
    # the first is the default. Empty: one data set, no choice
    data_variants: tuple[str, ...] = ()
    # "tgt+src" etc. above; "tgt+joint": token_list = target BPE, source = a word-level token list
    # at src_token_list (relative to the dump dir, may use {units_tag})
    src_token_list: str = ""
    # ``NAME=PATH`` templates (relative to the dump dir, may use {units_tag}) that stage 13 passes
    # to ``espnet_ext.bin.pack --extra`` (files the system's translate adapter needs)
    pack_extras: tuple[str, ...] = ()
    # training data read only where the data dir has the file (data dirs made by an older version
    # may lack it); no shape files are passed for it, so batching does not depend on it
    optional_data: tuple[tuple[str, str, str], ...] = ()
    # "module:Class" of the ESPnet task that trains it: its parser reads a config with defaults
    # (espnet_ext.pipeline.import_system compares model options). Empty: not an ESPnet task, its
    # systems cannot be imported from another recipe
    task_class: str = ""

    def data_dir(self, split: str, set_name: str, variant: str = "", units_tag: str = "") -> str:
        """A data dir of this task relative to the dump dir; split: train | valid | test."""
        if split not in ("train", "valid", "test"):
            raise ValueError(f"split must be train, valid or test, not {split!r}")
        if split == "train":
            variant = self.check_variant(variant)
        template = self.train_dir if split == "train" else self.eval_dir
        name = template.format(set=set_name, variant=variant)
        return f"{self.data_root.format(units_tag=units_tag)}/{name}"

    def check_variant(self, variant: str | None) -> str:
        """The data variant a system uses (the default when empty); refuses unknown ones."""
        if not self.data_variants:
            if variant:
                raise ValueError(f"task {self.name!r} has no data variants (got {variant!r})")
            return ""
        if not variant:
            return self.data_variants[0]
        if variant not in self.data_variants:
            raise ValueError(
                f"task {self.name!r}: unknown data variant {variant!r}; "
                f"choose from {list(self.data_variants)}"
            )
        return variant

    def formatted_pack_extras(self, dumpdir: str, units_tag: str = "") -> list[str]:
        out = []
        for item in self.pack_extras:
            name, path = item.split("=", 1)
            out.append(f"{name}={dumpdir}/{path.format(units_tag=units_tag)}")
        return out

    @property
    def speech_input(self) -> bool:
        return any(loader == "sound" for _, _, loader in self.data)

    def files(self, **langs: str) -> list[tuple[str, str, str]]:
        return [(template.format(**langs), name, loader) for template, name, loader in self.data]

    def optional_files(self, data_dir: str, **langs: str) -> list[tuple[str, str, str]]:
        """The optional training data that ``data_dir`` has."""
        return [
            (template.format(**langs), name, loader)
            for template, name, loader in self.optional_data
            if (Path(data_dir) / template.format(**langs)).is_file()
        ]

    def inputs(self, **langs: str) -> list[tuple[str, str, str]]:
        """The data a decoder reads."""
        return [f for f in self.files(**langs) if f[1] in self.inference_inputs]

    def reference(self, **langs: str) -> str:
        return next(f for f, name, _ in self.files(**langs) if name == self.target_name)


def _espnet(name: str, stage: int, data, inputs: tuple[str, ...], tokens: str, metric: str):
    return PipelineTask(
        name=name,
        train_stage=stage,
        data=data,
        inference_inputs=inputs,
        tokens=tokens,
        metric=metric,
        train_module=f"espnet_ext.bin.{name}_train",
        inference_module=f"espnet_ext.bin.{name}_inference",
        config_option=f"--{name}_train_config",
        model_option=f"--{name}_model_file",
        task_class=f"espnet2.tasks.{name}:{name.upper()}Task",
    )


SPEECH = ("wav.scp", "speech", "sound")
SRC_TEXT = ("text.{src_case}.{src_lang}", "src_text", "text")
SRC_AS_TARGET = ("text.{src_case}.{src_lang}", "text", "text")
TGT_TEXT = ("text.{tgt_case}.{tgt_lang}", "text", "text")
BATCH_BINS = "--batch_bins {batch_bins}"

TASKS: dict[str, PipelineTask] = {
    t.name: t
    for t in (
        _espnet("asr", 8, (SPEECH, SRC_AS_TARGET), ("speech",), "src", "wer"),
        _espnet("mt", 9, (SRC_TEXT, TGT_TEXT), ("src_text",), "tgt+src", "bleu"),
    )
}
# ST decodes with the batched beam search (espnet_ext.decoding); src_text is the ST model's
# auxiliary (ASR/MT multi-task) target, not a decoding input
TASKS["st"] = replace(
    _espnet("st", 10, (SPEECH, SRC_TEXT, TGT_TEXT), ("speech",), "tgt+src", "bleu"),
    inference_module="espnet_ext.bin.st_decode",
    inference_args=BATCH_BINS,
    espnet_inference_module="espnet_ext.bin.st_inference",
)
# the exporter (espnet_ext/exporter): ASR encoder -> exporter -> MT model named in its config
TASKS["exporter"] = PipelineTask(
    name="exporter",
    train_stage=10,
    data=(SPEECH, SRC_TEXT, TGT_TEXT),
    inference_inputs=("speech",),
    tokens="tgt+src",
    metric="bleu",
    task_class="espnet_ext.exporter.task:ExporterTask",
    train_module="espnet_ext.bin.exporter_train",
    inference_module="espnet_ext.bin.exporter_inference",
    config_option="--exporter_train_config",
    model_option="--exporter_model_file",
    inference_text="text",
    inference_args=BATCH_BINS,
    # its model loads the trained ASR and MT systems (the systems' `needs`)
    stats_at_training=True,
)


# Connectors (issue 6). hf_mt: the recipe's own Marian MT model on the corpus text, exported after
# training to EXP/hf_model, which connector configs load by path like any Hugging Face MT model.
# connector: frozen speech encoder + trained connector + frozen MT model; the target text is
# tokenized by the MT model's own tokenizer, so it takes no token lists.
TASKS["hf_mt"] = PipelineTask(
    name="hf_mt",
    train_stage=9,
    data=(SRC_TEXT, TGT_TEXT),
    inference_inputs=("src_text",),
    tokens="tgt+src",
    metric="bleu",
    task_class="espnet_ext.connectors.hf_mt_task:HFMTTask",
    train_module="espnet_ext.bin.hf_mt_train",
    inference_module="espnet_ext.bin.hf_mt_inference",
    config_option="--train_config",
    model_option="--model_file",
    inference_text="text",
    post_train_module="espnet_ext.bin.hf_mt_export",
    inference_args="",  # batched: the decoding config's batch_size applies
)
TASKS["connector"] = PipelineTask(
    name="connector",
    train_stage=10,
    data=(SPEECH, TGT_TEXT),
    inference_inputs=("speech",),
    tokens="none",
    metric="bleu",
    task_class="espnet_ext.connectors.task:ConnectorSTTask",
    train_module="espnet_ext.bin.connector_train",
    inference_module="espnet_ext.bin.connector_inference",
    config_option="--train_config",
    model_option="--model_file",
    inference_text="text",
    inference_args="",  # batched: the decoding config's batch_size applies
    stats_at_training=True,
)


def get_task(name: str) -> PipelineTask:
    try:
        return TASKS[name]
    except KeyError:
        raise ValueError(f"unknown task {name!r}; the pipeline knows {sorted(TASKS)}") from None


# The 1-best cascade of the exporter recipe (issue 7): ASR greedy-CTC 1-best -> MT. Nothing trains:
# espnet_ext.bin.cascade_assemble writes EXP/config.yaml (the ASR and MT experiment dirs it needs)
# and one checkpoint holding both models' weights; cascade_inference decodes it (batched).
TASKS["cascade"] = PipelineTask(
    name="cascade",
    train_stage=10,
    data=(SPEECH, SRC_TEXT, TGT_TEXT),
    inference_inputs=("speech",),
    tokens="none",
    metric="bleu",
    train_module="espnet_ext.bin.cascade_assemble",
    inference_module="espnet_ext.bin.cascade_inference",
    config_option="--cascade_config",
    model_option="--cascade_model_file",
    inference_text="text",
    inference_args=BATCH_BINS,
    assembled=True,
)


# LST (issue 8). lst_lm: the tiny LLaMA-architecture LM of the mini corpus (espnet_ext.lst.lm_task),
# pretrained on target-language text and translation prompts (source text in place of the speech),
# written to EXP/hf_model, which the LST configs load by path; it decodes reference transcripts
# through the same prompt (the text-MT ceiling of the frozen LLM). lst: speech frontend + adapters +
# that LLM (or LLaMA-2 by path); its model loads the LLM, so statistics wait for it.
TASKS["lst_lm"] = PipelineTask(
    name="lst_lm",
    train_stage=9,
    data=(("text.tc.{src_lang}", "src_text", "text"), TGT_TEXT),
    inference_inputs=("src_text",),
    tokens="none",
    metric="bleu",
    train_module="espnet_ext.bin.lst_lm_train",
    inference_module="espnet_ext.bin.lst_lm_inference",
    config_option="--train_config",
    model_option="--model_file",
    inference_text="text",
    inference_args="--batch_size 16",
)
TASKS["lst"] = PipelineTask(
    name="lst",
    train_stage=10,
    data=(SPEECH, TGT_TEXT),
    inference_inputs=("speech",),
    tokens="none",
    metric="bleu",
    task_class="espnet_ext.lst.task:LSTTask",
    train_module="espnet_ext.bin.lst_train",
    inference_module="espnet_ext.bin.lst_inference",
    config_option="--train_config",
    model_option="--model_file",
    inference_text="text",
    inference_args="--batch_size 16",
    stats_at_training=True,
)


# Discrete speech units with ST/MT hard parameter sharing (issue 5, espnet_ext.discrete). Stage 6
# (scripts/units.sh) writes the data dirs under <dumpdir>/units/<units_tag>/data: the training set
# in three variants (st: units -> target; st_mt: + source text -> target; st_mt_ext: + external MT
# text), the valid and test sets as <set>.st. The source side is the joint vocabulary (word-level
# list of text and unit pieces), the target stage 5's target BPE.
TASKS["discrete"] = PipelineTask(
    name="discrete",
    train_stage=10,
    data=(("src", "src_text", "text"), TGT_TEXT),
    inference_inputs=("src_text",),
    tokens="tgt+joint",
    metric="bleu",
    task_class="espnet_ext.discrete.task:DiscreteSTTask",
    train_module="espnet_ext.bin.discrete_train",
    inference_module="espnet_ext.bin.discrete_inference",
    config_option="--discrete_train_config",
    model_option="--discrete_model_file",
    data_root="units/{units_tag}/data",
    train_dir="{set}.{variant}",
    eval_dir="{set}.st",
    data_variants=("st", "st_mt", "st_mt_ext"),
    src_token_list="units/{units_tag}/joint/tokens.txt",
    pack_extras=("kmeans=units/{units_tag}/kmeans", "joint=units/{units_tag}/joint"),
    # the source text's joint-vocabulary pieces (not repeated): the source CTC of a hierarchical
    # encoder (model_conf src_ctc_weight); other models ignore it
    optional_data=(("src_transcript", "src_transcript", "text"),),
)
