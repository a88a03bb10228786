"""LST with an ESPnet ASR experiment's encoder as the speech frontend (``frontend: espnet_asr``):
it computes the ASR model's own ``encode``, stays frozen (and out of checkpoints) or trains, by
config."""

import argparse

import pytest
import torch

from espnet_ext.lst.frontend import ESPnetASRFrontend
from tests.connectors.tiny_models import make_espnet_asr
from tests.fixtures.lst import lst_args, speech_batch, text_batch

LENGTHS = [4000, 2500, 1601]
TEXTS = ["der hund", "die katze sieht das haus", "rot"]


@pytest.fixture(scope="module")
def asr_files(tmp_path_factory):
    return make_espnet_asr(tmp_path_factory.mktemp("lst_asr"))


def build_lst(tiny_lst_models, asr_files, freeze=True, **overrides):
    from espnet_ext.lst.task import LSTTask

    config, model_file = asr_files
    args = lst_args(tiny_lst_models, **overrides)
    args["frontend"] = "espnet_asr"
    args["frontend_conf"] = {
        "asr_train_config": str(config),
        "asr_model_file": str(model_file),
        "freeze": freeze,
    }
    return LSTTask.build_model(argparse.Namespace(**args))


def test_frontend_equals_the_asr_models_encode(asr_files):
    from espnet2.tasks.asr import ASRTask

    config, model_file = asr_files
    asr, _ = ASRTask.build_model_from_file(str(config), str(model_file), "cpu")
    asr.eval()
    speech, lengths = speech_batch(LENGTHS)
    with torch.no_grad():
        ref, ref_lengths = asr.encode(speech, lengths)
    frontend = ESPnetASRFrontend(str(config), str(model_file))
    frontend.train()  # frozen: stays in eval mode (no dropout)
    out, out_lengths = frontend(speech, lengths)
    torch.testing.assert_close(out, ref)
    assert torch.equal(out_lengths, ref_lengths)
    assert frontend.output_size() == out.size(-1) == 16
    assert not out.requires_grad and not any(p.requires_grad for p in frontend.parameters())


def test_missing_asr_file_is_named(asr_files, tmp_path):
    config, _ = asr_files
    with pytest.raises(FileNotFoundError, match=f"not found: {tmp_path}/none.pth"):
        ESPnetASRFrontend(str(config), str(tmp_path / "none.pth"))


def _train_step(model, tokenizer):
    speech, speech_lengths = speech_batch(LENGTHS)
    text, text_lengths = text_batch(tokenizer, TEXTS)
    optim = torch.optim.AdamW(model.parameters(), lr=1e-2)
    loss, _, _ = model(speech, speech_lengths, text, text_lengths)
    optim.zero_grad()
    loss.backward()
    optim.step()
    return speech, speech_lengths, text, text_lengths


def test_frozen_asr_encoder_stays_identical_and_out_of_checkpoints(
    tiny_lst_models, asr_files, tmp_path
):
    model = build_lst(tiny_lst_models, asr_files)
    before = {n: p.detach().clone() for n, p in model.frontend.named_parameters()}
    batch = _train_step(model, model.llm.tokenizer)
    assert all(torch.equal(before[n], p) for n, p in model.frontend.named_parameters())
    params = {f"frontend.{n}" for n, _ in model.frontend.named_parameters()}
    assert params and not params & set(model.state_dict())

    # a fresh model refills the encoder from the ASR files and the adapters from the checkpoint
    torch.save(model.state_dict(), tmp_path / "model.pth")
    fresh = build_lst(tiny_lst_models, asr_files)
    fresh.load_state_dict(torch.load(tmp_path / "model.pth"), strict=True)
    model.eval()
    fresh.eval()
    torch.testing.assert_close(fresh(*batch)[0], model(*batch)[0])


def test_trained_asr_encoder_gets_gradients_and_is_checkpointed(tiny_lst_models, asr_files):
    model = build_lst(tiny_lst_models, asr_files, freeze=False)
    before = {n: p.detach().clone() for n, p in model.frontend.named_parameters()}
    _train_step(model, model.llm.tokenizer)
    changed = {n for n, p in model.frontend.named_parameters() if not torch.equal(before[n], p)}
    assert any(n.startswith("encoder.asr_model.encoder.") for n in changed)
    assert {f"frontend.{n}" for n in before} <= set(model.state_dict())
    # the LLM stays frozen in stage A whatever the frontend does
    assert not any(p.requires_grad for p in model.llm.parameters())
