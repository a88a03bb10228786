"""Paper-scale parameter counts and training memory of LST, on the meta device (no weights).

The frontend and the LLM are instantiated from their published ``config.json`` files under
``torch.device("meta")``; LoRA is applied with ``peft`` to that meta model, so every count comes
from the same classes that train. Memory covers model states only (weights, gradients, AdamW's two
moments); activations depend on batch and sequence length and are left out, except for the
gradient-checkpointing figure ``checkpointed_activations_per_token_bytes`` (one bf16 hidden state
per LLM layer and token, the minimum that checkpointing keeps).

Precision regimes (bytes per parameter; frozen parameters always sit in bf16, 2 B):

- ``mixed_fp32_master``: trainable weights in bf16 (2) + bf16 gradients (2) + fp32 master
  weights (4) + fp32 AdamW moments (8) = 16 B (the ZeRO paper's mixed-precision accounting).
- ``pure_bf16``: bf16 weights (2) + bf16 gradients (2) + fp32 AdamW moments (8) = 12 B.
- ``toolkit``: what this toolkit allocates with ``torch_dtype: bfloat16`` (frontend and LLM) and
  ESPnet's default ``--train_dtype float32``: each trainable parameter in its own dtype with a
  gradient and ``torch.optim.AdamW`` moments of the same dtype (4x its size): adapters and peft's
  LoRA weights are fp32 (16 B), fully fine-tuned LLM weights bf16 (8 B, bf16 moments).
"""

from __future__ import annotations

import torch

GIB = 1024**3
REGIME_BYTES = {"mixed_fp32_master": 16, "pure_bf16": 12}
FROZEN_BYTES = 2


def meta_models(llm_config: str, frontend_config: str, dtype: torch.dtype = torch.bfloat16):
    """LLM (``AutoModelForCausalLM``) and frontend (``AutoModel``) from config files, on meta."""
    from transformers import AutoConfig, AutoModel, AutoModelForCausalLM

    with torch.device("meta"):
        llm = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(llm_config), dtype=dtype)
        frontend = AutoModel.from_config(AutoConfig.from_pretrained(frontend_config), dtype=dtype)
    return llm, frontend


def meta_adapters(frontend_size: int, llm_size: int, length_conf: dict, modality_conf: dict):
    from espnet_ext.lst.adapters import LengthAdapter, ModalityAdapter

    with torch.device("meta"):
        length = LengthAdapter(frontend_size, **length_conf)
        modality = ModalityAdapter(length.output_size(), llm_size, **modality_conf)
    return length, modality


def meta_lora(llm, r: int, alpha: int, target_modules: list[str]):
    """``peft`` LoRA around a meta LLM; returns the peft model."""
    from peft import LoraConfig, get_peft_model

    config = LoraConfig(
        r=r, lora_alpha=alpha, target_modules=target_modules, task_type="CAUSAL_LM"
    )
    with torch.device("meta"):
        return get_peft_model(llm, config)


def count(module: torch.nn.Module, trainable: bool | None = None) -> int:
    return sum(
        p.numel() for p in module.parameters() if trainable is None or p.requires_grad == trainable
    )


def _gib(n_bytes: float) -> float:
    return round(n_bytes / GIB, 2)


def regime_memory(n_frozen: int, n_trainable: int, regime: str) -> dict[str, float]:
    """GiB of weights, gradients and optimizer state under one of :data:`REGIME_BYTES`."""
    if regime == "mixed_fp32_master":
        weights = 2 * n_trainable + 4 * n_trainable  # bf16 working copy + fp32 master
    elif regime == "pure_bf16":
        weights = 2 * n_trainable
    else:
        raise ValueError(f"unknown regime {regime!r}; choose one of {sorted(REGIME_BYTES)}")
    weights += FROZEN_BYTES * n_frozen
    grads, optim = 2 * n_trainable, 8 * n_trainable
    return {
        "weights_gib": _gib(weights),
        "gradients_gib": _gib(grads),
        "optimizer_gib": _gib(optim),
        "total_gib": _gib(weights + grads + optim),
    }


def toolkit_memory(modules: list[torch.nn.Module]) -> dict[str, float]:
    """GiB that the toolkit allocates for ``modules`` as they are (dtypes, requires_grad)."""
    weights = grads = optim = 0
    seen = set()
    for module in modules:
        for p in module.parameters():
            if id(p) in seen:
                continue
            seen.add(id(p))
            size = p.numel() * p.element_size()
            weights += size
            if p.requires_grad:
                grads += size
                optim += 2 * size
    return {
        "weights_gib": _gib(weights),
        "gradients_gib": _gib(grads),
        "optimizer_gib": _gib(optim),
        "total_gib": _gib(weights + grads + optim),
    }


def lst_params_memory(
    llm_config: str,
    frontend_config: str,
    length_conf: dict | None = None,
    modality_conf: dict | None = None,
    lora_r: int = 16,
    lora_alpha: int = 32,
    lora_target_modules: list[str] | None = None,
) -> dict:
    """Parameter counts and stage A / stage B (full, LoRA) memory for one LLM + frontend."""
    length_conf = length_conf or {}
    modality_conf = modality_conf or {}
    targets = lora_target_modules or ["q_proj", "k_proj", "v_proj", "o_proj"]
    llm, frontend = meta_models(llm_config, frontend_config)
    length, modality = meta_adapters(
        frontend.config.hidden_size, llm.config.hidden_size, length_conf, modality_conf
    )
    frontend.requires_grad_(False)
    n_frontend, n_llm = count(frontend), count(llm)
    n_adapters = count(length) + count(modality)

    def stage(n_frozen: int, n_trainable: int, modules: list[torch.nn.Module]) -> dict:
        out = {"frozen_params": n_frozen, "trainable_params": n_trainable}
        for regime in REGIME_BYTES:
            out[regime] = regime_memory(n_frozen, n_trainable, regime)
        out["toolkit"] = toolkit_memory(modules)
        return out

    # Each stage is measured before the next one changes requires_grad (peft edits llm in place).
    memory = {}
    llm.requires_grad_(False)
    memory["A"] = stage(n_frontend + n_llm, n_adapters, [frontend, llm, length, modality])
    llm.requires_grad_(True)
    memory["B_full"] = stage(n_frontend, n_adapters + n_llm, [frontend, llm, length, modality])
    cfg = llm.config
    lora = meta_lora(llm, lora_r, lora_alpha, targets)  # freezes the base weights itself
    n_lora = count(lora, trainable=True)
    memory["B_lora"] = stage(
        n_frontend + n_llm, n_adapters + n_lora, [frontend, lora, length, modality]
    )
    return {
        "params": {
            "frontend": n_frontend,
            "length_adapter": count(length),
            "modality_adapter": count(modality),
            "adapters": n_adapters,
            "llm": n_llm,
            f"lora_r{lora_r}": n_lora,
            "total": n_frontend + n_adapters + n_llm,
        },
        "lora": {"r": lora_r, "alpha": lora_alpha, "target_modules": targets},
        "length_adapter_conf": length_conf,
        "modality_adapter_conf": modality_conf,
        "memory": memory,
        "checkpointed_activations_per_token_bytes": 2 * cfg.num_hidden_layers * cfg.hidden_size,
    }
