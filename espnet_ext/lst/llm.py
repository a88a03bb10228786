"""The LLM back-end of LST: any Hugging Face causal LM, frozen, fully fine-tuned or with LoRA."""

from __future__ import annotations

import logging

import torch

from espnet_ext.lst.frontend import parse_dtype

FINETUNE_MODES = ("none", "full", "lora")


def load_tokenizer(name_or_path: str):
    """The LLM's tokenizer (``AutoTokenizer``); a missing eos token is an error."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(name_or_path)
    if tokenizer.eos_token_id is None:
        raise ValueError(f"tokenizer of {name_or_path!r} has no eos token; targets need one")
    return tokenizer


class LLMBackend(torch.nn.Module):
    """``AutoModelForCausalLM`` + its tokenizer, trained according to ``finetune``.

    Args:
        name_or_path: hub name or local directory of the causal LM (LLaMA-2 for real runs).
        tokenizer_name_or_path: defaults to ``name_or_path``.
        torch_dtype: dtype the LLM is loaded in and kept in (``bfloat16`` for real runs; ESPnet's
            ``--train_dtype`` applies to the adapters only). With ``finetune: full`` in bfloat16
            the optimizer updates bfloat16 weights (no fp32 master copy).
        finetune: ``none`` (frozen, eval mode: stage A), ``full`` (every LLM weight trains) or
            ``lora`` (``peft`` LoRA adapters on ``lora_target_modules``; the base weights stay
            frozen): stage B.
        lora_r, lora_alpha, lora_dropout: the LoRA settings.
        lora_target_modules: module names LoRA wraps; ``None`` means the attention projections
            ``q_proj, k_proj, v_proj, o_proj`` (LLaMA's names).
        gradient_checkpointing: recompute the LLM's activations in the backward pass (also with a
            frozen LLM, where gradients still flow through it to the adapters).
        attn_implementation: passed to ``from_pretrained`` (``sdpa``, ``eager``,
            ``flash_attention_2``); ``None`` keeps the library's default.
    """

    def __init__(
        self,
        name_or_path: str | None = None,
        tokenizer_name_or_path: str | None = None,
        torch_dtype: str = "float32",
        finetune: str = "none",
        lora_r: int = 16,
        lora_alpha: int = 32,
        lora_dropout: float = 0.05,
        lora_target_modules: list[str] | None = None,
        gradient_checkpointing: bool = False,
        attn_implementation: str | None = None,
    ):
        super().__init__()
        from transformers import AutoModelForCausalLM

        if name_or_path is None:
            raise ValueError("llm_conf.name_or_path is required (a causal LM name or directory)")
        if finetune not in FINETUNE_MODES:
            raise ValueError(f"llm_conf.finetune={finetune!r}; choose one of {FINETUNE_MODES}")
        self.finetune = finetune
        self.gradient_checkpointing = gradient_checkpointing
        self.pinned_dtype = parse_dtype(torch_dtype)
        kwargs = {"dtype": self.pinned_dtype}
        if attn_implementation is not None:
            kwargs["attn_implementation"] = attn_implementation
        model = AutoModelForCausalLM.from_pretrained(name_or_path, **kwargs)
        self.tokenizer = load_tokenizer(tokenizer_name_or_path or name_or_path)
        if len(self.tokenizer) > model.get_input_embeddings().num_embeddings:
            raise ValueError(
                f"tokenizer has {len(self.tokenizer)} tokens but the LLM's embedding table only "
                f"{model.get_input_embeddings().num_embeddings}"
            )
        if gradient_checkpointing:
            # Non-reentrant checkpointing propagates gradients to inputs_embeds even when every
            # LLM weight is frozen (stage A), which the reentrant variant does not.
            model.gradient_checkpointing_enable(
                gradient_checkpointing_kwargs={"use_reentrant": False}
            )
            model.config.use_cache = False
        model.requires_grad_(finetune == "full")
        if finetune == "lora":
            from peft import LoraConfig, get_peft_model

            if lora_target_modules is None:
                lora_target_modules = ["q_proj", "k_proj", "v_proj", "o_proj"]
            lora_config = LoraConfig(
                r=lora_r,
                lora_alpha=lora_alpha,
                lora_dropout=lora_dropout,
                target_modules=list(lora_target_modules),
                task_type="CAUSAL_LM",
            )
            model = get_peft_model(model, lora_config)
            trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
            if trainable == 0:
                raise ValueError(
                    f"LoRA target_modules {list(lora_target_modules)} matched no module of "
                    f"{name_or_path!r}"
                )
            logging.info(f"LoRA: {trainable} trainable LLM parameters")
        self.model = model
        self.train(True)

    @property
    def hidden_size(self) -> int:
        return self.model.get_input_embeddings().embedding_dim

    @property
    def dtype(self) -> torch.dtype:
        return self.model.get_input_embeddings().weight.dtype

    def train(self, mode: bool = True):
        # A frozen LLM runs like at inference (no dropout) while the adapters train.
        super().train(mode and self.finetune != "none")
        if mode and self.finetune == "none" and self.gradient_checkpointing:
            # Hugging Face checkpoints a decoder layer only when that layer is in training mode;
            # switch on just the layers' own flag, their attention/MLP sub-modules stay in eval.
            from transformers.modeling_layers import GradientCheckpointingLayer

            for module in self.model.modules():
                if isinstance(module, GradientCheckpointingLayer):
                    module.training = True
        return self

    def embed(self, ids: torch.Tensor) -> torch.Tensor:
        """(..., n) long -> (..., n, hidden) token embeddings."""
        return self.model.get_input_embeddings()(ids)

    def forward(self, **kwargs):
        return self.model(**kwargs)

    def generate(self, **kwargs) -> torch.Tensor:
        return self.model.generate(**kwargs)
