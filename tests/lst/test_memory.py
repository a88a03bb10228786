import json
from pathlib import Path

import pytest
import torch

from espnet_ext.lst.memory import lst_params_memory, meta_models, regime_memory

CONFIGS = Path(__file__).resolve().parents[2] / "conf" / "hf_configs"


def test_published_configs_give_the_published_parameter_counts():
    frontend = CONFIGS / "wav2vec2-large-960h-lv60-self.json"
    for name, expected in [("llama-2-7b", 6_738_415_616), ("llama-2-13b", 13_015_864_320)]:
        llm, w2v = meta_models(str(CONFIGS / f"{name}.json"), str(frontend))
        assert next(llm.parameters()).device.type == "meta"
        assert sum(p.numel() for p in llm.parameters()) == expected
    assert type(w2v).__name__ == "Wav2Vec2Model" and w2v.config.num_hidden_layers == 24


@pytest.fixture
def tiny_configs(tmp_path):
    from transformers import LlamaConfig, Wav2Vec2Config

    llm = LlamaConfig(
        vocab_size=50,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
    )
    w2v = Wav2Vec2Config(
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        conv_dim=(8, 8),
        conv_kernel=(10, 3),
        conv_stride=(5, 2),
        num_conv_pos_embeddings=4,
        num_conv_pos_embedding_groups=2,
    )
    paths = tmp_path / "llm.json", tmp_path / "w2v.json"
    for config, path in zip((llm, w2v), paths):
        path.write_text(json.dumps(config.to_dict()))
    return paths


def test_meta_counts_equal_materialised_models(tiny_configs):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoConfig, AutoModel, AutoModelForCausalLM

    from espnet_ext.lst.adapters import LengthAdapter, ModalityAdapter

    llm_path, w2v_path = map(str, tiny_configs)
    length_conf = {"channels": 12, "num_layers": 2}
    result = lst_params_memory(llm_path, w2v_path, length_conf=length_conf, lora_r=4)
    llm = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(llm_path))
    w2v = AutoModel.from_config(AutoConfig.from_pretrained(w2v_path))
    length = LengthAdapter(16, **length_conf)
    modality = ModalityAdapter(12, 32)
    n_llm = sum(p.numel() for p in llm.parameters())
    n_adapters = sum(p.numel() for m in (length, modality) for p in m.parameters())
    lora = get_peft_model(
        llm, LoraConfig(r=4, target_modules=["q_proj", "k_proj", "v_proj", "o_proj"])
    )
    n_lora = sum(p.numel() for p in lora.parameters() if p.requires_grad)
    # q,o: 32 -> 32; k,v: 32 -> 16 (2 kv heads of 8): r * (in + out) per module, 2 layers
    assert n_lora == 2 * 4 * ((32 + 32) * 2 + (32 + 16) * 2)
    assert result["params"] == {
        "frontend": sum(p.numel() for p in w2v.parameters()),
        "length_adapter": sum(p.numel() for p in length.parameters()),
        "modality_adapter": sum(p.numel() for p in modality.parameters()),
        "adapters": n_adapters,
        "llm": n_llm,
        "lora_r4": n_lora,
        "total": sum(p.numel() for p in w2v.parameters()) + n_adapters + n_llm,
    }
    memory = result["memory"]
    assert memory["A"]["trainable_params"] == n_adapters
    assert memory["B_full"]["trainable_params"] == n_adapters + n_llm
    assert memory["B_lora"]["trainable_params"] == n_adapters + n_lora
    gib = 2**30
    frozen = memory["A"]["frozen_params"]
    assert memory["A"]["mixed_fp32_master"]["total_gib"] == round(
        (2 * frozen + 16 * n_adapters) / gib, 2
    )
    # toolkit: frontend + LLM in bf16 on meta, adapters fp32; full FT trains the bf16 LLM
    toolkit = memory["B_full"]["toolkit"]
    expected = 2 * result["params"]["frontend"] + 4 * 2 * n_llm + 4 * 4 * n_adapters
    assert toolkit["total_gib"] == round(expected / gib, 2)


def test_regime_memory_bytes_per_parameter():
    gib = 2**30
    assert regime_memory(gib, 0, "pure_bf16")["total_gib"] == 2.0
    assert regime_memory(0, gib, "pure_bf16") == {
        "weights_gib": 2.0,
        "gradients_gib": 2.0,
        "optimizer_gib": 8.0,
        "total_gib": 12.0,
    }
    assert regime_memory(0, gib, "mixed_fp32_master")["total_gib"] == 16.0
    with pytest.raises(ValueError, match="unknown regime 'fp8'"):
        regime_memory(0, 1, "fp8")


def test_toolkit_lora_weights_are_fp32_on_a_bf16_llm(tiny_configs):
    from espnet_ext.lst.memory import meta_lora

    llm, _ = meta_models(str(tiny_configs[0]), str(tiny_configs[1]))
    lora = meta_lora(llm, 4, 8, ["q_proj", "v_proj"])
    dtypes = {p.dtype for n, p in lora.named_parameters() if "lora_" in n}
    assert dtypes == {torch.float32}
    assert {p.dtype for n, p in lora.named_parameters() if "lora_" not in n} == {torch.bfloat16}
