"""The connector ST model: ECD/ECED with tiny Whisper/ESPnet ASR and Marian/T5, frozen parts."""

from __future__ import annotations

import pytest
import torch

from espnet_ext.connectors.espnet_model import FROZEN_PREFIXES, ESPnetConnectorSTModel
from espnet_ext.connectors.mt import embed_like_encoder, load_mt_model, load_mt_tokenizer
from espnet_ext.connectors.speech_encoder import WhisperSpeechEncoder
from tests.connectors.tiny_models import PROMPTS, batch, make_connector, make_model


@pytest.fixture(scope="module")
def mt_dirs(marian_dir, t5_dir):
    return {"marian": marian_dir, "t5": t5_dir}


@pytest.fixture(scope="module")
def whisper(whisper_dir):
    return WhisperSpeechEncoder(str(whisper_dir))


@pytest.mark.parametrize("connector", ["qformer", "ste"])
@pytest.mark.parametrize("layout", ["ecd", "eced"])
@pytest.mark.parametrize("mt", ["marian", "t5"])
def test_forward_backward_and_generate(whisper, mt_dirs, mt, layout, connector):
    prompt = PROMPTS[mt] if layout == "eced" else ""
    model = make_model(whisper, mt_dirs[mt], connector, layout, prompt).train()
    speech, lengths, text, text_lengths = batch(model.tokenizer)
    loss, stats, weight = model(speech, lengths, text, text_lengths)
    assert torch.isfinite(loss) and loss > 0
    assert set(stats) == {"loss", "acc"} and 0 <= stats["acc"] <= 1 and weight == 3
    loss.backward()
    with_grad = {n.split(".")[0] for n, p in model.named_parameters() if p.grad is not None}
    assert with_grad == {"connector"}
    hyps = model.eval().translate(speech, lengths, num_beams=2, max_new_tokens=4)
    assert len(hyps) == 3 and all(isinstance(h, str) for h in hyps)


def test_training_steps_change_only_the_connector(whisper, marian_dir):
    model = make_model(whisper, marian_dir, "qformer", "eced", PROMPTS["marian"])
    before = {k: v.clone() for k, v in model.state_dict().items()}
    trainable = [p for p in model.parameters() if p.requires_grad]
    optim = torch.optim.AdamW(trainable, lr=1e-2, weight_decay=0.0)
    model.train()
    assert not model.speech_encoder.training and not model.mt_model.training
    assert model.connector.training
    speech, lengths, text, text_lengths = batch(model.tokenizer)
    for _ in range(3):
        optim.zero_grad()
        model(speech, lengths, text, text_lengths)[0].backward()
        optim.step()
    after = model.state_dict()
    changed = {k for k in before if not torch.equal(before[k], after[k])}
    frozen = {k for k in before if k.startswith(tuple(p + "." for p in FROZEN_PREFIXES))}
    assert frozen and not (changed & frozen)
    connector = {n for n, _ in model.named_parameters() if n.startswith("connector.")}
    assert changed == connector
    assert all(not p.requires_grad for k, p in model.named_parameters() if k in frozen)


def test_frozen_parts_run_without_dropout_in_train_mode(whisper, marian_dir):
    # the tiny models have dropout 0.3: in train mode they would differ between calls
    model = make_model(whisper, marian_dir, "ste", "eced")
    model.connector.eval()
    speech, lengths, text, text_lengths = batch(model.tokenizer)
    first = model(speech, lengths, text, text_lengths)[0]
    model.train()
    model.connector.eval()
    assert torch.equal(first, model(speech, lengths, text, text_lengths)[0])


def test_eced_input_holds_prompt_frames_and_eos(whisper, mt_dirs):
    for mt, prompt in PROMPTS.items():
        model = make_model(whisper, mt_dirs[mt], "ste", "eced", prompt).eval()
        prompt_ids = model.tokenizer(prompt, add_special_tokens=False).input_ids
        n_prompt = len(prompt_ids)
        assert n_prompt >= 1 and model.prompt_ids.tolist() == prompt_ids
        speech, lengths, _, _ = batch(model.tokenizer)
        with torch.no_grad():
            ys, ys_lengths = model.encode(speech, lengths)
            embeds, emb_lengths = model.eced_encoder_input(ys, ys_lengths)
        assert emb_lengths.tolist() == (ys_lengths + n_prompt + 1).tolist()
        assert embeds.shape[1] == n_prompt + ys.shape[1] + 1
        prompt_emb = embed_like_encoder(model.mt_model, torch.tensor(prompt_ids))
        eos_emb = embed_like_encoder(model.mt_model, torch.tensor([model.tokenizer.eos_token_id]))
        for b, n in enumerate(ys_lengths.tolist()):
            torch.testing.assert_close(embeds[b, :n_prompt], prompt_emb)
            torch.testing.assert_close(embeds[b, n_prompt : n_prompt + n], ys[b, :n])
            torch.testing.assert_close(embeds[b, n_prompt + n], eos_emb[0])
            assert torch.all(embeds[b, n_prompt + n + 1 :] == 0)
        no_prompt = make_model(whisper, mt_dirs[mt], "ste", "eced", "", append_eos=False)
        _, plain_lengths = no_prompt.eced_encoder_input(ys, ys_lengths)
        assert plain_lengths.tolist() == ys_lengths.tolist()


@pytest.mark.parametrize("mt", ["marian", "t5"])
def test_eced_on_token_embeddings_equals_text_translation(whisper, mt_dirs, mt):
    """Feeding ECED the MT encoder's own token embeddings reproduces translating the text."""
    model = make_model(whisper, mt_dirs[mt], "ste", "eced", PROMPTS[mt]).eval()
    tok = model.tokenizer
    sources = ["hello world", "the cat sat on the mat"]
    with_prompt = [model.prompt_ids.tolist() + tok(s).input_ids for s in sources]
    ids = [tok(s, add_special_tokens=False).input_ids for s in sources]
    width = max(map(len, ids))
    padded = torch.tensor([i + [tok.pad_token_id] * (width - len(i)) for i in ids])
    ys = embed_like_encoder(model.mt_model, padded)
    ys_lengths = torch.tensor([len(i) for i in ids])
    with torch.no_grad():
        inputs = model.mt_inputs(ys, ys_lengths)
        for b, reference_ids in enumerate(with_prompt):
            n = int(inputs["attention_mask"][b].sum())
            ref = model.mt_model.get_encoder()(input_ids=torch.tensor([reference_ids]))
            got = model.mt_model.get_encoder()(
                inputs_embeds=inputs["inputs_embeds"][b : b + 1, :n]
            )
            torch.testing.assert_close(got.last_hidden_state, ref.last_hidden_state)
            out = model.mt_model.generate(
                inputs_embeds=inputs["inputs_embeds"][b : b + 1, :n], num_beams=2, max_new_tokens=5
            )
            ref_out = model.mt_model.generate(
                input_ids=torch.tensor([reference_ids]), num_beams=2, max_new_tokens=5
            )
            assert out.tolist() == ref_out.tolist()


def test_ecd_skips_the_mt_encoder(whisper, marian_dir):
    model = make_model(whisper, marian_dir, "qformer", "ecd")

    def fail(*args, **kwargs):
        raise AssertionError("the MT encoder ran in the ECD layout")

    model.mt_model.get_encoder().forward = fail
    speech, lengths, text, text_lengths = batch(model.tokenizer)
    assert torch.isfinite(model(speech, lengths, text, text_lengths)[0])
    assert len(model.eval().translate(speech, lengths, num_beams=2, max_new_tokens=3)) == 3


@pytest.mark.parametrize("layout", ["ecd", "eced"])
def test_loss_is_the_mt_models_cross_entropy_with_label_smoothing(whisper, t5_dir, layout):
    for smoothing in (0.0, 0.1):
        model = make_model(whisper, t5_dir, "ste", layout, label_smoothing=smoothing).eval()
        speech, lengths, text, text_lengths = batch(model.tokenizer)
        loss, _, _ = model(speech, lengths, text, text_lengths)
        labels = text.masked_fill(text < 0, -100)
        with torch.no_grad():
            ys, ys_lengths = model.encode(speech, lengths)
            # the MT model builds its own decoder input from labels (shift right, start token)
            out = model.mt_model(**model.mt_inputs(ys, ys_lengths), labels=labels)
        if smoothing == 0.0:
            torch.testing.assert_close(loss.squeeze(), out.loss)
        logp = out.logits.log_softmax(-1)[labels != -100]  # (tokens, V)
        nll = -logp.gather(1, labels[labels != -100][:, None]).squeeze(1)
        expected = ((1 - smoothing) * nll - smoothing * logp.mean(-1)).mean()
        torch.testing.assert_close(loss.squeeze(), expected)


def test_batched_translation_equals_single_utterances(whisper, marian_dir):
    model = make_model(whisper, marian_dir, "ste", "eced", PROMPTS["marian"]).eval()
    speech, lengths, _, _ = batch(model.tokenizer)

    def beam_search(speech, lengths):
        with torch.no_grad():
            inputs = model.mt_inputs(*model.encode(speech, lengths))
            out = model.mt_model.generate(
                **inputs,
                num_beams=3,
                max_new_tokens=6,
                output_scores=True,
                return_dict_in_generate=True,
            )
        texts = model.tokenizer.batch_decode(out.sequences, skip_special_tokens=True)
        return texts, out.sequences_scores

    together, batched_scores = beam_search(speech, lengths)
    alone = [
        beam_search(speech[b : b + 1, :n], lengths[b : b + 1])
        for b, n in enumerate(lengths.tolist())
    ]
    assert together == [texts[0] for texts, _ in alone]
    # the beam scores depend on every input value, so they also show the padding is masked
    singles = torch.cat([scores for _, scores in alone])
    torch.testing.assert_close(batched_scores, singles, atol=1e-5, rtol=1e-5)
    assert len(set(batched_scores.tolist())) == 3


def test_connector_only_state_dict(whisper, marian_dir):
    model = make_model(whisper, marian_dir, "ste", "ecd", save_frozen=False)
    state = model.state_dict()
    assert state and all(k.startswith("connector.") for k in state)
    other = make_model(whisper, marian_dir, "ste", "ecd", save_frozen=False)
    torch.nn.init.zeros_(other.connector.output_proj.weight)
    other.load_state_dict(state, strict=True)
    assert torch.equal(other.connector.output_proj.weight, model.connector.output_proj.weight)
    state.pop("connector.output_proj.weight")
    with pytest.raises(RuntimeError, match="connector.output_proj.weight"):
        other.load_state_dict(state, strict=True)
    full = make_model(whisper, marian_dir, "ste", "ecd").state_dict()
    assert any(k.startswith("mt_model.") for k in full)


def test_bad_model_configs(whisper, marian_dir):
    with pytest.raises(ValueError, match="needs the MT encoder"):
        make_model(whisper, marian_dir, layout="ecd", prompt="hi")
    with pytest.raises(ValueError, match="unknown layout"):
        make_model(whisper, marian_dir, layout="ed")
    mt = load_mt_model(str(marian_dir))
    with pytest.raises(ValueError, match="connector output_size 8 != MT d_model 16"):
        ESPnetConnectorSTModel(
            whisper, make_connector("ste", 16, 8), mt, load_mt_tokenizer(str(marian_dir))
        )
