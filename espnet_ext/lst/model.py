"""ESPnet model for LST: speech frontend -> length adapter -> modality adapter -> causal LLM.

Checkpoints: by default (``save_frozen_pretrained: false``) the model's ``state_dict`` leaves out
the frozen parameters of the frontend and the LLM, which the model loads from their pretrained
paths when it is built; loading a state dict fills those keys back from the freshly loaded
weights. A stage-A checkpoint of LLaMA-2 7B + wav2vec 2.0 large then holds ~10 M adapter weights
instead of 7 G, and a LoRA stage-B checkpoint only adds the LoRA weights. The price: a checkpoint
is only complete together with the same pretrained frontend and LLM it was trained on.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from espnet2.asr.frontend.abs_frontend import AbsFrontend
from espnet2.torch_utils.device_funcs import force_gatherable
from espnet2.train.abs_espnet_model import AbsESPnetModel

from espnet_ext.lst.adapters import LengthAdapter, ModalityAdapter
from espnet_ext.lst.llm import LLMBackend
from espnet_ext.lst.prompt import IGNORE_ID, PromptTemplate, assemble_inputs
from espnet_ext.lst.search import beam_search, greedy_search

# Sub-modules whose weights come from a pretrained checkpoint at build time.
PRETRAINED_MODULES = ("frontend", "llm")


class ESPnetLSTModel(AbsESPnetModel):
    """LST (arXiv 2310.02050) as an ``AbsESPnetModel``.

    Args:
        frontend: speech encoder, raw waveform -> frames.
        length_adapter: shortens the frames.
        modality_adapter: maps them to the LLM's embedding width.
        llm: the causal LM and its tokenizer.
        prompt: template that places the speech inside the text prompt.
        padding_side: ``left`` (default) or ``right`` padding of the training batches; the loss is
            the same either way. With left padding every target ends at the last position, so
            logits are computed only over the last ``max target length + 1`` positions.
        save_frozen_pretrained: keep frozen pretrained weights in ``state_dict`` (see module doc).
        extract_feats_in_collect_stats: ESPnet's collect-stats flag; LST needs no feature
            statistics, so ``false`` skips the model there.
    """

    def __init__(
        self,
        frontend: AbsFrontend,
        length_adapter: LengthAdapter,
        modality_adapter: ModalityAdapter,
        llm: LLMBackend,
        prompt: PromptTemplate,
        padding_side: str = "left",
        save_frozen_pretrained: bool = False,
        extract_feats_in_collect_stats: bool = False,
    ):
        super().__init__()
        if padding_side not in ("left", "right"):
            raise ValueError(f"padding_side must be 'left' or 'right', got {padding_side!r}")
        if modality_adapter.output_size() != llm.hidden_size:
            raise ValueError(
                f"modality adapter outputs {modality_adapter.output_size()} but the LLM's "
                f"embeddings are {llm.hidden_size} wide"
            )
        self.frontend = frontend
        self.length_adapter = length_adapter
        self.modality_adapter = modality_adapter
        self.llm = llm
        self.prompt = prompt
        self.padding_side = padding_side
        self.save_frozen_pretrained = save_frozen_pretrained
        self.extract_feats_in_collect_stats = extract_feats_in_collect_stats
        tokenizer = llm.tokenizer
        self.eos_id = tokenizer.eos_token_id
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else self.eos_id
        prefix_ids, suffix_ids = prompt.token_ids(tokenizer)
        self.register_buffer("prefix_ids", torch.tensor(prefix_ids, dtype=torch.long), False)
        self.register_buffer("suffix_ids", torch.tensor(suffix_ids, dtype=torch.long), False)
        self.register_state_dict_post_hook(_drop_frozen_pretrained)
        self.register_load_state_dict_pre_hook(_fill_frozen_pretrained)

    # ---------------------------------------------------------------- dtype / checkpoint handling
    def to(self, *args, **kwargs):
        """Like ``Module.to``, but sub-modules with a ``pinned_dtype`` (the LLM, an HF frontend)
        only change device: ESPnet's trainer casts the whole model to ``--train_dtype``, which
        must not turn a bfloat16 LLM into float32."""
        device, dtype, non_blocking, _ = torch._C._nn._parse_to(*args, **kwargs)
        if dtype is None:
            return super().to(*args, **kwargs)
        for child in self.children():
            if getattr(child, "pinned_dtype", None) is not None:
                child.to(device=device, non_blocking=non_blocking)
            else:
                child.to(device=device, dtype=dtype, non_blocking=non_blocking)
        for name, buf in self.named_buffers(recurse=False):
            setattr(self, name, buf.to(device=device, non_blocking=non_blocking))
        return self

    def frozen_pretrained_keys(self) -> list[str]:
        """State-dict keys (without prefix) of frozen frontend / LLM parameters."""
        keys = []
        for module_name in PRETRAINED_MODULES:
            for name, param in getattr(self, module_name).named_parameters(remove_duplicate=False):
                if not param.requires_grad:
                    keys.append(f"{module_name}.{name}")
        return keys

    # ------------------------------------------------------------------------------- the network
    def encode_speech(
        self, speech: torch.Tensor, speech_lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(batch, samples) float, (batch,) long -> (batch, S, llm hidden) in the LLM's dtype,
        (batch,) long."""
        feats, feat_lengths = self.frontend(speech, speech_lengths)
        adapter_dtype = next(self.modality_adapter.parameters()).dtype
        xs, lengths = self.length_adapter(feats.to(adapter_dtype), feat_lengths)
        return self.modality_adapter(xs).to(self.llm.dtype), lengths

    def _prompt_embeds(self) -> tuple[torch.Tensor, torch.Tensor]:
        return self.llm.embed(self.prefix_ids), self.llm.embed(self.suffix_ids)

    def forward(
        self,
        speech: torch.Tensor,
        speech_lengths: torch.Tensor,
        text: torch.Tensor,
        text_lengths: torch.Tensor,
        **kwargs,
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor], torch.Tensor]:
        """Cross-entropy over target tokens only.

        Args:
            speech: (batch, samples) float waveforms.
            speech_lengths: (batch,) long.
            text: (batch, T) long target ids from the LLM's tokenizer, eos included, padded with
                -1 (ESPnet's collate).
            text_lengths: (batch,) long.
        Returns:
            loss (token-averaged), stats {loss, acc, ntokens}, weight (= batch size).
        """
        assert text.dim() == 2 and text_lengths.dim() == 1, (text.shape, text_lengths.shape)
        batch_size = speech.size(0)
        text = text[:, : int(text_lengths.max())]
        pad = torch.arange(text.size(1), device=text.device)[None, :] >= text_lengths[:, None]
        target_ids = text.masked_fill(pad, self.pad_id)
        speech_embeds, speech_lens = self.encode_speech(speech, speech_lengths)
        prefix, suffix = self._prompt_embeds()
        inputs = assemble_inputs(
            prefix,
            speech_embeds,
            speech_lens,
            suffix,
            target=self.llm.embed(target_ids),
            target_ids=target_ids,
            target_lengths=text_lengths,
            padding_side=self.padding_side,
        )
        labels = inputs.pop("labels")
        total = labels.size(1)
        # Logits only from the position before the earliest target token onwards: the LM head
        # over a 32k vocabulary dominates memory when computed for every prompt/speech position.
        first_target = int((labels != IGNORE_ID).long().argmax(1).min())
        keep = total - max(first_target, 1) + 1
        logits = self.llm(**inputs, use_cache=False, logits_to_keep=keep).logits
        logits = logits[:, :-1].float()  # (B, keep - 1, V): predictions for the next position
        labels = labels[:, total - keep + 1 :]
        valid = labels != IGNORE_ID
        ntokens = valid.sum()
        loss = F.cross_entropy(
            logits.reshape(-1, logits.size(-1)),
            labels.reshape(-1),
            ignore_index=IGNORE_ID,
            reduction="sum",
        ) / ntokens.clamp(min=1)
        with torch.no_grad():
            acc = ((logits.argmax(-1) == labels) & valid).sum().float() / ntokens.clamp(min=1)
        stats = {"loss": loss.detach(), "acc": acc, "ntokens": ntokens.detach().float()}
        return force_gatherable((loss, stats, batch_size), loss.device)

    def collect_feats(self, speech, speech_lengths, **kwargs) -> dict[str, torch.Tensor]:
        # No feature normalisation statistics: the frontend normalises each waveform itself.
        return {}

    @torch.no_grad()
    def generate(
        self,
        speech: torch.Tensor,
        speech_lengths: torch.Tensor,
        max_new_tokens: int = 256,
        num_beams: int = 1,
        use_cache: bool = True,
        length_penalty: float = 1.0,
        backend: str = "own",
        logits_processor=None,
    ) -> list[list[int]]:
        """Batched greedy (``num_beams=1``) or beam search from speech.

        The prompts are left-padded, so every sequence continues from the last position and one
        KV cache serves the whole batch. ``backend``: ``own`` (:mod:`espnet_ext.lst.search`,
        honours ``use_cache``) or ``hf`` (``generate(inputs_embeds=...)`` of transformers, which
        always uses the cache with embeddings as input). ``logits_processor``: a Hugging Face
        ``LogitsProcessorList``. Returns each utterance's token ids up to (without) eos.
        """
        speech_embeds, speech_lens = self.encode_speech(speech, speech_lengths)
        prefix, suffix = self._prompt_embeds()
        inputs = assemble_inputs(prefix, speech_embeds, speech_lens, suffix, padding_side="left")
        embeds, mask = inputs["inputs_embeds"], inputs["attention_mask"]
        if backend == "own":
            common = dict(
                max_new_tokens=max_new_tokens,
                eos_id=self.eos_id,
                pad_id=self.pad_id,
                use_cache=use_cache,
                logits_processor=logits_processor,
            )
            if num_beams == 1:
                return greedy_search(self.llm.model, embeds, mask, **common)
            return beam_search(
                self.llm.model, embeds, mask, num_beams, length_penalty=length_penalty, **common
            )
        if backend != "hf":
            raise ValueError(f"generation backend must be 'own' or 'hf', got {backend!r}")
        if not use_cache:
            raise ValueError(
                "transformers' generate always uses the KV cache with inputs_embeds; "
                "use backend='own' for use_cache=False"
            )
        from transformers import GenerationConfig

        config = GenerationConfig(
            max_new_tokens=max_new_tokens,
            num_beams=num_beams,
            do_sample=False,
            use_cache=True,
            length_penalty=length_penalty,
            eos_token_id=self.eos_id,
            pad_token_id=self.pad_id,
        )
        out = self.llm.generate(
            inputs_embeds=embeds,
            attention_mask=mask,
            generation_config=config,
            logits_processor=logits_processor,
        )
        hyps = []
        for row in out.tolist():
            hyps.append(row[: row.index(self.eos_id)] if self.eos_id in row else row)
        return hyps


def _drop_frozen_pretrained(module: ESPnetLSTModel, state_dict, prefix, local_metadata) -> None:
    if module.save_frozen_pretrained:
        return
    for key in module.frozen_pretrained_keys():
        state_dict.pop(prefix + key, None)


def _fill_frozen_pretrained(
    module: ESPnetLSTModel,
    state_dict,
    prefix,
    local_metadata,
    strict,
    missing_keys,
    unexpected_keys,
    error_msgs,
) -> None:
    # Keys left out by _drop_frozen_pretrained keep the weights loaded from the pretrained path.
    current = None
    for key in module.frozen_pretrained_keys():
        if prefix + key not in state_dict:
            if current is None:
                current = dict(module.named_parameters(remove_duplicate=False))
            state_dict[prefix + key] = current[key].detach()
