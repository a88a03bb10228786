import pytest
import torch

from espnet_ext.lst.frontend import HFSpeechFrontend, S3prlSpeechFrontend, parse_dtype
from tests.fixtures.lst import (
    speech_batch,
)

LENGTHS = [4000, 2500, 1601]


def _normalized(wav: torch.Tensor) -> torch.Tensor:
    return (wav - wav.mean()) / torch.sqrt(wav.var(unbiased=False) + 1e-7)


def test_hf_frontend_reloads_saved_wav2vec2_and_matches_it(tiny_lst_models):
    from transformers import Wav2Vec2Model

    frontend = HFSpeechFrontend(name_or_path=str(tiny_lst_models.w2v_dir)).eval()
    reference = Wav2Vec2Model.from_pretrained(tiny_lst_models.w2v_dir).eval()
    assert frontend.output_size() == 32
    speech, lengths = speech_batch(LENGTHS)
    feats, feat_lengths = frontend(speech, lengths)
    for i, n in enumerate(LENGTHS):
        with torch.no_grad():
            single = reference(_normalized(speech[i : i + 1, :n])).last_hidden_state[0]
        # The formula's frame count is the encoder's real output length for that utterance.
        assert int(feat_lengths[i]) == single.size(0)
        torch.testing.assert_close(feats[i, : single.size(0)], single, atol=1e-4, rtol=1e-4)


def test_hf_frontend_frozen_vs_trained(tiny_lst_models):
    frozen = HFSpeechFrontend(name_or_path=str(tiny_lst_models.w2v_dir), freeze=True)
    frozen.train()
    assert not frozen.model.training and not any(p.requires_grad for p in frozen.parameters())
    speech, lengths = speech_batch(LENGTHS[:2])
    assert not frozen(speech, lengths)[0].requires_grad

    trained = HFSpeechFrontend(name_or_path=str(tiny_lst_models.w2v_dir), freeze=False)
    trained.train()
    assert trained.model.training and all(p.requires_grad for p in trained.parameters())
    feats, _ = trained(speech, lengths)
    feats.sum().backward()
    assert trained.model.encoder.layers[0].attention.q_proj.weight.grad is not None


def test_hf_frontend_layer_selection(tiny_lst_models):
    speech, lengths = speech_batch(LENGTHS[:1])
    first = HFSpeechFrontend(name_or_path=str(tiny_lst_models.w2v_dir), layer=1).eval()
    last = HFSpeechFrontend(name_or_path=str(tiny_lst_models.w2v_dir)).eval()
    out = first.model(_normalized(speech), output_hidden_states=True)
    torch.testing.assert_close(first(speech, lengths)[0], out.hidden_states[1])
    assert not torch.allclose(first(speech, lengths)[0], last(speech, lengths)[0])


def test_hf_frontend_errors(tmp_path):
    with pytest.raises(ValueError, match="16 kHz audio, got fs=8000"):
        HFSpeechFrontend(name_or_path=str(tmp_path), fs=8000)
    with pytest.raises(ValueError, match="floating torch dtype, got 'int8'"):
        parse_dtype("int8")


def test_s3prl_frontend_loads_a_local_wavlm_checkpoint(tmp_path):
    from s3prl.upstream.wavlm.WavLM import WavLM, WavLMConfig

    cfg = dict(
        encoder_layers=2,
        encoder_embed_dim=32,
        encoder_ffn_embed_dim=64,
        encoder_attention_heads=2,
        # total stride 320, which s3prl's WavLM wrapper assumes
        conv_feature_layers="[(32, 10, 5)] + [(32, 3, 2)] * 4 + [(32, 2, 2)] * 2",
        conv_pos=16,
        conv_pos_groups=2,
        encoder_layerdrop=0.0,
    )
    torch.manual_seed(0)
    torch.save({"cfg": cfg, "model": WavLM(WavLMConfig(cfg)).state_dict()}, tmp_path / "w.pt")
    frontend = S3prlSpeechFrontend(upstream="wavlm_local", path_or_url=str(tmp_path / "w.pt"))
    frontend.train()
    assert not frontend.s3prl.upstream.training
    assert not any(p.requires_grad for p in frontend.s3prl.upstream.parameters())
    speech, lengths = speech_batch([4000, 2500])
    feats, feat_lengths = frontend(speech, lengths)
    assert feats.shape == (2, 13, 32) and frontend.output_size() == 32
    assert feat_lengths.tolist() == [13, 8]
