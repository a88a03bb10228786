import pytest
import torch
import torch.nn.functional as F

from espnet_ext.lst.prompt import assemble_inputs
from tests.fixtures.lst import (
    build_model,
    speech_batch,
    text_batch,
)

TEXTS = ["der hund", "die katze sieht das haus", "rot", "blau grün baum"]
LENGTHS = [3000, 4400, 2100, 3600]


def _batch(model, n=3):
    speech, speech_lengths = speech_batch(LENGTHS[:n])
    text, text_lengths = text_batch(model.llm.tokenizer, TEXTS[:n])
    return speech, speech_lengths, text, text_lengths


def _snapshot(module):
    return {n: p.detach().clone() for n, p in module.named_parameters()}


def _train_steps(model, steps=3):
    torch.manual_seed(0)
    # Like ESPnet's build_optimizers: every parameter goes to the optimizer, frozen ones too.
    optim = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.01)
    batch = _batch(model)
    for _ in range(steps):
        loss, _, _ = model(*batch)
        optim.zero_grad()
        loss.sum().backward()
        optim.step()


def _changed(before, module):
    return {n for n, p in module.named_parameters() if not torch.equal(before[n], p)}


def test_stage_a_trains_adapters_and_keeps_llm_bit_identical(tiny_lst_models):
    model = build_model(tiny_lst_models)
    parts = ("frontend", "llm", "length_adapter", "modality_adapter")
    before = {name: _snapshot(getattr(model, name)) for name in parts}
    _train_steps(model)
    assert _changed(before["llm"], model.llm) == set()
    assert _changed(before["frontend"], model.frontend) == set()
    for name in ("length_adapter", "modality_adapter"):
        assert _changed(before[name], getattr(model, name)) == set(before[name])


def test_stage_b_full_trains_every_llm_weight(tiny_lst_models):
    model = build_model(tiny_lst_models, llm_conf={"finetune": "full"})
    llm_before, frontend_before = _snapshot(model.llm), _snapshot(model.frontend)
    _train_steps(model)
    assert _changed(llm_before, model.llm) == set(llm_before)
    assert _changed(frontend_before, model.frontend) == set()


def test_stage_b_lora_trains_only_lora_weights(tiny_lst_models):
    model = build_model(
        tiny_lst_models, llm_conf={"finetune": "lora", "lora_r": 4, "lora_alpha": 8}
    )
    before = _snapshot(model.llm)
    lora_names = {n for n in before if "lora_" in n}
    assert lora_names and all(
        ("lora_" in n) == p.requires_grad for n, p in model.llm.named_parameters()
    )
    _train_steps(model)
    assert _changed(before, model.llm) == lora_names


def _manual_target_ce(model, speech, speech_lengths, text, text_lengths):
    """Cross-entropy over target tokens, computed position by position from full logits."""
    embeds, embed_lengths = model.encode_speech(speech, speech_lengths)
    prefix, suffix = model.llm.embed(model.prefix_ids), model.llm.embed(model.suffix_ids)
    losses = []
    for i in range(speech.size(0)):
        s, t = int(embed_lengths[i]), int(text_lengths[i])
        target = text[i, :t]
        seq = torch.cat([prefix, embeds[i, :s], suffix, model.llm.embed(target)])[None]
        logits = model.llm(inputs_embeds=seq, use_cache=False).logits[0]
        first = seq.size(1) - t  # position of the first target token
        for j in range(t):
            losses.append(F.cross_entropy(logits[first + j - 1].float(), target[j]))
    return torch.stack(losses).mean()


@pytest.mark.parametrize("side", ["left", "right"])
def test_loss_is_cross_entropy_over_target_tokens_only(tiny_lst_models, side):
    model = build_model(tiny_lst_models, model_conf={"padding_side": side})
    batch = _batch(model)
    loss, stats, weight = model(*batch)
    torch.testing.assert_close(loss[0], _manual_target_ce(model, *batch))
    assert int(stats["ntokens"]) == int(batch[3].sum())
    assert int(weight) == 3


def test_loss_unchanged_by_labels_at_prompt_and_speech_positions(tiny_lst_models, monkeypatch):
    """Filling the ignored label positions with real token ids (as if the prompt and speech were
    supervised) must not change the loss: only target positions count."""
    import espnet_ext.lst.model as lst_model

    model = build_model(tiny_lst_models)
    batch = _batch(model)
    reference = model(*batch)[0]

    def supervised_prompt(*args, **kwargs):
        out = assemble_inputs(*args, **kwargs)
        out["labels"] = torch.where(out["labels"] == -100, 5, out["labels"])
        return out

    monkeypatch.setattr(lst_model, "assemble_inputs", supervised_prompt)
    monkeypatch.setattr(lst_model, "IGNORE_ID", 5)  # still only the real target ids count
    changed = model(*batch)[0]
    torch.testing.assert_close(changed, reference)


def test_loss_ignores_prompt_text_changes(tiny_lst_models):
    """The prompt is context, never a target: a different prompt changes the loss value only
    through the context, and the number of scored tokens stays the number of target tokens."""
    model = build_model(tiny_lst_models, prompt_conf={"template": "<speech> Translation:"})
    batch = _batch(model)
    _, stats, _ = model(*batch)
    assert int(stats["ntokens"]) == int(batch[3].sum())


def test_left_and_right_padding_give_the_same_loss(tiny_lst_models):
    left = build_model(tiny_lst_models, model_conf={"padding_side": "left"})
    right = build_model(tiny_lst_models, model_conf={"padding_side": "right"})
    right.load_state_dict(left.state_dict())
    batch = _batch(left)
    torch.testing.assert_close(left(*batch)[0], right(*batch)[0])


def test_hf_generate_ignores_use_cache_false_with_inputs_embeds(tiny_lst_models):
    """Why the own search exists: transformers 5 decodes with the cache even when asked not to
    (one new position per forward), so its use_cache=False cannot serve as the no-cache run."""
    from transformers import GenerationConfig

    model = build_model(tiny_lst_models).eval()
    widths = []
    layer = model.llm.model.model.layers[0]
    hook = layer.register_forward_pre_hook(
        lambda mod, args, kwargs: widths.append(
            (args[0] if args else kwargs["hidden_states"]).size(1)
        ),
        with_kwargs=True,
    )
    config = GenerationConfig(max_new_tokens=3, use_cache=False, do_sample=False, eos_token_id=-1)
    model.llm.generate(inputs_embeds=torch.randn(1, 5, 32), generation_config=config)
    hook.remove()
    assert widths == [5, 1, 1]


@pytest.mark.parametrize("num_beams", [1, 3])
def test_generation_same_with_and_without_kv_cache(tiny_lst_models, num_beams):
    model = build_model(tiny_lst_models).eval()
    speech, speech_lengths = speech_batch(LENGTHS)
    kwargs = dict(max_new_tokens=10, num_beams=num_beams)
    cached = model.generate(speech, speech_lengths, use_cache=True, **kwargs)
    uncached = model.generate(speech, speech_lengths, use_cache=False, **kwargs)
    assert cached == uncached
    assert len({tuple(h) for h in cached}) == len(LENGTHS), "outputs should differ by input"
    # Cross-check with transformers' own generate (KV cache, same search rules).
    assert model.generate(speech, speech_lengths, backend="hf", **kwargs) == cached
    for i, n in enumerate(LENGTHS):
        single = model.generate(speech[i : i + 1, :n], speech_lengths[i : i + 1], **kwargs)
        assert single == [cached[i]], f"utterance {i}: batched and single decoding differ"


def test_state_dict_leaves_out_frozen_pretrained_weights(tiny_lst_models):
    stage_a = build_model(tiny_lst_models)
    keys = set(stage_a.state_dict())
    assert keys and all(k.startswith(("length_adapter.", "modality_adapter.")) for k in keys)
    kept = build_model(tiny_lst_models, model_conf={"save_frozen_pretrained": True})
    assert any(k.startswith("llm.") for k in kept.state_dict())
    lora = build_model(tiny_lst_models, llm_conf={"finetune": "lora", "lora_r": 2})
    llm_keys = [k for k in lora.state_dict() if k.startswith("llm.")]
    assert llm_keys and all("lora_" in k for k in llm_keys)
    full = build_model(tiny_lst_models, llm_conf={"finetune": "full"})
    assert {k for k in full.state_dict() if k.startswith("llm.")} == {
        f"llm.{k}" for k in full.llm.state_dict()
    }


def test_checkpoint_round_trip_restores_outputs(tiny_lst_models, tmp_path):
    model = build_model(tiny_lst_models, llm_conf={"finetune": "lora", "lora_r": 2})
    _train_steps(model, steps=1)
    model.eval()
    torch.save(model.state_dict(), tmp_path / "model.pth")
    fresh = build_model(tiny_lst_models, llm_conf={"finetune": "lora", "lora_r": 2}).eval()
    fresh.load_state_dict(torch.load(tmp_path / "model.pth"), strict=True)
    batch = _batch(model)
    torch.testing.assert_close(fresh(*batch)[0], model(*batch)[0])
    state = torch.load(tmp_path / "model.pth")
    del state["modality_adapter.net.weight"]
    with pytest.raises(RuntimeError, match="modality_adapter.net.weight"):
        fresh.load_state_dict(state, strict=True)


def test_bf16_llm_keeps_its_dtype_under_trainer_cast(tiny_lst_models):
    model = build_model(tiny_lst_models, llm_conf={"torch_dtype": "bfloat16"})
    model = model.to(dtype=torch.float32, device="cpu")  # what ESPnet's trainer does
    assert model.llm.dtype == torch.bfloat16
    assert model.modality_adapter.net.weight.dtype == torch.float32
    loss, _, _ = model(*_batch(model))
    loss.sum().backward()
    assert torch.isfinite(loss).all() and model.modality_adapter.net.weight.grad is not None


def test_gradient_checkpointing_gives_the_same_adapter_gradients(tiny_lst_models):
    grads, reference = [], None
    for checkpointing in (False, True):
        model = build_model(tiny_lst_models, llm_conf={"gradient_checkpointing": checkpointing})
        if reference is None:
            reference = model.state_dict()
        model.load_state_dict(reference)
        model.train()
        calls = []
        layer = model.llm.model.model.layers[0]
        if checkpointing:
            inner = layer._gradient_checkpointing_func

            def counting(*args, _inner=inner, _calls=calls, **kwargs):
                _calls.append(1)
                return _inner(*args, **kwargs)

            layer._gradient_checkpointing_func = counting
        loss, _, _ = model(*_batch(model))
        loss.sum().backward()
        assert len(calls) == int(checkpointing), "stage A must checkpoint the frozen LLM's layers"
        grads.append(model.modality_adapter.net.weight.grad)
    torch.testing.assert_close(grads[0], grads[1])
