"""Speech translation by a trainable connector between a frozen speech encoder and MT model.

Layouts (Chen et al., "Aligning Pre-trained Models for Spoken Language Translation", 2411.18294):

- ``ecd`` (encoder-connector-decoder): the connector output (already at the MT width) *is* the MT
  encoder output; the MT decoder cross-attends to it and the MT encoder is not run.
- ``eced`` (encoder-connector-encoder-decoder): the connector output enters the MT encoder as
  input embeddings, after an optional embedded text prompt (``"translate English to Portuguese: "``
  for T5, a target-language token such as ``">>por<<"`` for multilingual OPUS Marian models) and
  before the MT model's end-of-sequence embedding (``append_eos``), so the encoder sees the shape
  of input it was trained on: ``[prompt] [connector frames] </s>``. The prompt and EOS embeddings
  are computed exactly as the MT encoder embeds ``input_ids`` (Marian's ``sqrt(d_model)`` scale
  included, see :func:`espnet_ext.connectors.mt.embed_like_encoder`); the connector output is not
  scaled: it is learned directly in the space of those scaled embeddings.

Only the connector trains. The speech encoder and the MT model have ``requires_grad=False`` and
stay in eval mode (no dropout) even under ``model.train()``; gradients still flow *through* the MT
model to the connector. Their parameter names start with :data:`FROZEN_PREFIXES`, which the task
also writes into the training config's ``freeze_param``. With ``save_frozen: false`` the state dict
(and so every checkpoint) holds only the connector; the frozen parts are re-loaded from their own
files when the model is built, and loading a connector-only state dict stays strict for the rest.

Loss: the MT model's label-smoothed cross-entropy over the target tokens, averaged over tokens.
"""

from __future__ import annotations

import torch
from espnet2.torch_utils.device_funcs import force_gatherable
from espnet2.train.abs_espnet_model import AbsESPnetModel
from transformers.modeling_outputs import BaseModelOutput
from typeguard import typechecked

from espnet_ext.connectors.abs_connector import AbsConnector, valid_mask
from espnet_ext.connectors.mt import decoder_start_token_id, embed_like_encoder, shift_right
from espnet_ext.connectors.speech_encoder import AbsSpeechEncoder

LAYOUTS = ("ecd", "eced")
FROZEN_PREFIXES = ("speech_encoder", "mt_model")


class ESPnetConnectorSTModel(AbsESPnetModel):
    """Frozen speech encoder -> connector -> frozen MT model (ECD or ECED).

    Args:
        speech_encoder: frozen speech encoder (waveforms -> states).
        connector: the trainable part; its ``output_size()`` must equal the MT ``d_model``.
        mt_model: a Hugging Face encoder-decoder model (``AutoModelForSeq2SeqLM``).
        tokenizer: the MT model's tokenizer.
        layout: ``ecd`` or ``eced``.
        prompt: text embedded in front of the connector output (``eced`` only; "" for none).
        append_eos: end the MT encoder input with the tokenizer's EOS embedding (``eced`` only).
        label_smoothing: label smoothing of the cross-entropy.
        save_frozen: keep the frozen parts' weights in the state dict (checkpoints).
        extract_feats_in_collect_stats: read by ESPnet's collect-stats stage; nothing to collect.
    """

    @typechecked
    def __init__(
        self,
        speech_encoder: AbsSpeechEncoder,
        connector: AbsConnector,
        mt_model: torch.nn.Module,
        tokenizer: object,
        layout: str = "ecd",
        prompt: str = "",
        append_eos: bool = True,
        label_smoothing: float = 0.1,
        save_frozen: bool = True,
        extract_feats_in_collect_stats: bool = False,
    ):
        super().__init__()
        if layout not in LAYOUTS:
            raise ValueError(f"unknown layout {layout!r}; choose one of {list(LAYOUTS)}")
        if layout == "ecd" and prompt:
            raise ValueError(f"a prompt ({prompt!r}) needs the MT encoder: use layout 'eced'")
        d_model = mt_model.config.d_model
        if connector.output_size() != d_model:
            raise ValueError(
                f"connector output_size {connector.output_size()} != MT d_model {d_model}"
            )
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1), got {label_smoothing}")
        self.speech_encoder = speech_encoder
        self.connector = connector
        self.mt_model = mt_model
        self.tokenizer = tokenizer
        self.layout = layout
        self.prompt = prompt
        self.append_eos = append_eos and layout == "eced"
        self.label_smoothing = label_smoothing
        self.save_frozen = save_frozen
        self.extract_feats_in_collect_stats = extract_feats_in_collect_stats
        self.pad_token_id = int(tokenizer.pad_token_id)
        self.start_token_id = decoder_start_token_id(mt_model)
        prompt_ids = tokenizer(prompt, add_special_tokens=False).input_ids if prompt else []
        self.register_buffer("prompt_ids", torch.tensor(prompt_ids, dtype=torch.long), False)
        if self.append_eos and tokenizer.eos_token_id is None:
            raise ValueError(f"append_eos: the tokenizer {type(tokenizer).__name__} has no EOS")
        eos = [tokenizer.eos_token_id] if self.append_eos else []
        self.register_buffer("eos_ids", torch.tensor(eos, dtype=torch.long), False)

        for frozen in (speech_encoder, mt_model):
            frozen.requires_grad_(False)
            frozen.eval()
        if not save_frozen:
            self.register_state_dict_post_hook(_drop_frozen_from_state_dict)
            self.register_load_state_dict_post_hook(_ignore_missing_frozen)

    # ---- training ---------------------------------------------------------------------------

    def train(self, mode: bool = True) -> ESPnetConnectorSTModel:
        """Switch the connector's mode; the frozen parts stay in eval mode (dropout off)."""
        super().train(mode)
        self.speech_encoder.eval()
        self.mt_model.eval()
        return self

    def forward(
        self,
        speech: torch.Tensor,
        speech_lengths: torch.Tensor,
        text: torch.Tensor,
        text_lengths: torch.Tensor,
        **kwargs,
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor], torch.Tensor]:
        """Label-smoothed cross-entropy of the target tokens.

        Args:
            speech: (B, S) float 16 kHz waveforms; speech_lengths: (B,) long.
            text: (B, L) long MT-tokenizer ids ending in EOS, padded with -1; text_lengths: (B,).

        Returns:
            loss (scalar), stats {"loss", "acc"}, weight (batch size).
        """
        ys, ys_lengths = self.encode(speech, speech_lengths)
        text = text[:, : int(text_lengths.max())]
        labels = text.masked_fill(~valid_mask(text_lengths, text.size(1)), -100)
        decoder_input_ids = shift_right(labels, self.start_token_id, self.pad_token_id)
        logits = self.mt_model(
            **self.mt_inputs(ys, ys_lengths),
            decoder_input_ids=decoder_input_ids,
            use_cache=False,
        ).logits  # (B, L, V)
        loss = torch.nn.functional.cross_entropy(
            logits.float().flatten(0, 1),
            labels.flatten(),
            ignore_index=-100,
            label_smoothing=self.label_smoothing,
        )
        scored = labels != -100
        correct = (logits.argmax(-1) == labels) & scored
        acc = correct.sum().float() / scored.sum().clamp(min=1)
        stats = dict(loss=loss.detach(), acc=acc.detach())
        loss, stats, weight = force_gatherable((loss, stats, speech.size(0)), loss.device)
        return loss, stats, weight

    def collect_feats(self, **batch: torch.Tensor) -> dict[str, torch.Tensor]:
        """No feature statistics: the frozen encoders normalise their own inputs."""
        return {}

    # ---- shared by training and decoding ----------------------------------------------------

    def encode(
        self, speech: torch.Tensor, speech_lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, S), (B,) -> connector output (B, T', d_model), (B,)."""
        with torch.no_grad():
            xs, xs_lengths = self.speech_encoder(speech, speech_lengths)
        return self.connector(xs, xs_lengths)

    def mt_inputs(self, ys: torch.Tensor, ys_lengths: torch.Tensor) -> dict:
        """Keyword arguments that feed the connector output to the MT model (forward/generate)."""
        if self.layout == "ecd":
            mask = valid_mask(ys_lengths, ys.size(1))
            return {
                "encoder_outputs": BaseModelOutput(last_hidden_state=ys),
                "attention_mask": mask.long(),
            }
        embeds, lengths = self.eced_encoder_input(ys, ys_lengths)
        return {
            "inputs_embeds": embeds,
            "attention_mask": valid_mask(lengths, embeds.size(1)).long(),
        }

    def eced_encoder_input(
        self, ys: torch.Tensor, ys_lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``[prompt] [connector frames] [</s>]`` per utterance, right-padded with zeros.

        Args:
            ys: (B, T', D) connector output; ys_lengths: (B,).

        Returns:
            (B, P + T' + E, D) input embeddings and (B,) lengths ``P + ys_lengths + E`` (P prompt
            tokens, E = 1 with ``append_eos``).
        """
        batch, frames, dim = ys.shape
        n_prompt, n_eos = self.prompt_ids.numel(), self.eos_ids.numel()
        embeds = ys.new_zeros(batch, n_prompt + frames + n_eos, dim)
        if n_prompt:
            prompt = embed_like_encoder(self.mt_model, self.prompt_ids)  # (P, D)
            embeds[:, :n_prompt] = prompt.to(ys.dtype)
        embeds[:, n_prompt : n_prompt + frames] = ys
        if n_eos:
            eos = embed_like_encoder(self.mt_model, self.eos_ids)[0]  # (D,)
            rows = torch.arange(batch, device=ys.device)
            # the EOS slot of a shorter utterance is a padding frame of the connector output
            embeds[rows, n_prompt + ys_lengths] = eos.to(ys.dtype)
        lengths = ys_lengths + n_prompt + n_eos
        embeds = embeds.masked_fill(~valid_mask(lengths, embeds.size(1))[:, :, None], 0.0)
        return embeds, lengths

    @torch.no_grad()
    def translate(
        self, speech: torch.Tensor, speech_lengths: torch.Tensor, **generate_kwargs
    ) -> list[str]:
        """Batched decoding with the MT model's own ``generate`` (beam search, greedy, ...).

        Args:
            speech: (B, S) float; speech_lengths: (B,) long.
            generate_kwargs: passed to ``generate`` (``num_beams``, ``max_new_tokens``, ...).

        Returns:
            B detokenized translations.
        """
        ys, ys_lengths = self.encode(speech, speech_lengths)
        tokens = self.mt_model.generate(**self.mt_inputs(ys, ys_lengths), **generate_kwargs)
        return [t.strip() for t in self.tokenizer.batch_decode(tokens, skip_special_tokens=True)]

    def param_counts(self) -> dict[str, int]:
        """``trainable``, ``frozen`` and ``total`` parameter counts."""
        total = sum(p.numel() for p in self.parameters())
        trainable = sum(p.numel() for p in self.parameters() if p.requires_grad)
        return {"trainable": trainable, "frozen": total - trainable, "total": total}


def _is_frozen_name(name: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in FROZEN_PREFIXES)


def _drop_frozen_from_state_dict(module, state_dict, prefix, local_metadata) -> None:
    for key in [k for k in state_dict if k.startswith(prefix)]:
        if _is_frozen_name(key[len(prefix) :]):
            del state_dict[key]


def _ignore_missing_frozen(module, incompatible_keys) -> None:
    # keys are relative to the module load_state_dict was called on: this model, or a wrapper
    # (DistributedDataParallel) that adds "module."
    missing = incompatible_keys.missing_keys
    missing[:] = [
        k
        for k in missing
        if not _is_frozen_name(k[len("module.") :] if k.startswith("module.") else k)
    ]
