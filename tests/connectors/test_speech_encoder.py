"""Frozen speech encoders: Whisper (features, windows, lengths) and an ESPnet ASR model."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from espnet_ext.connectors.speech_encoder import (
    ESPnetASRSpeechEncoder,
    WhisperSpeechEncoder,
    whisper_log_mel,
)
from tests.connectors.tiny_models import PROMPTS, WHISPER_WINDOW_SECONDS, batch, make_model

FS = 16000
WINDOW = WHISPER_WINDOW_SECONDS * FS


def test_log_mel_matches_the_feature_extractor(whisper_dir):
    from transformers import WhisperFeatureExtractor

    fe = WhisperFeatureExtractor.from_pretrained(whisper_dir)
    rng = np.random.default_rng(0)
    waves = [rng.standard_normal(n).astype(np.float32) * 0.1 for n in (WINDOW, 7000, 1234)]
    expected = fe(waves, sampling_rate=FS, return_tensors="pt").input_features
    padded = torch.zeros(3, WINDOW)
    for i, w in enumerate(waves):
        padded[i, : len(w)] = torch.from_numpy(w)
    mel = torch.as_tensor(fe.mel_filters, dtype=torch.float32)
    got = whisper_log_mel(padded, mel, fe.n_fft, fe.hop_length)
    assert got.shape == expected.shape == (3, 80, 100)
    torch.testing.assert_close(got, expected, atol=1e-4, rtol=1e-4)


def test_whisper_windows_lengths_and_batch_invariance(whisper_dir):
    enc = WhisperSpeechEncoder(str(whisper_dir)).eval()
    assert enc.output_size() == 16
    torch.manual_seed(0)
    # 2.5 windows -> 50 + 50 + ceil(ceil(8000/160)/2) = 125 frames; 0.3 window -> 15 frames
    lengths = torch.tensor([WINDOW * 5 // 2, WINDOW * 3 // 10, 1])
    speech = torch.randn(3, int(lengths.max())) * 0.1
    with torch.no_grad():
        xs, xs_lengths = enc(speech, lengths)
        assert xs_lengths.tolist() == [125, 15, 1]
        assert xs.shape == (3, 125, 16)
        for b, n in enumerate(lengths.tolist()):
            single, single_len = enc(speech[b : b + 1, :n], lengths[b : b + 1])
            m = int(single_len)
            torch.testing.assert_close(xs[b, :m], single[0], atol=1e-5, rtol=1e-5)
        # a long utterance is the concatenation of its windows, each encoded on its own
        parts = [
            enc(speech[:1, s : s + WINDOW], torch.tensor([WINDOW]))[0][0] for s in (0, WINDOW)
        ]
        torch.testing.assert_close(xs[0, :100], torch.cat(parts), atol=1e-5, rtol=1e-5)


def test_whisper_rejects_other_rates_and_empty_input(whisper_dir):
    with pytest.raises(ValueError, match="expects 16000 Hz"):
        WhisperSpeechEncoder(str(whisper_dir), fs=8000)
    enc = WhisperSpeechEncoder(str(whisper_dir))
    with pytest.raises(ValueError, match="utterance 1 of the batch has 0 samples"):
        enc(torch.zeros(2, 100), torch.tensor([100, 0]))


def test_espnet_asr_encoder_matches_the_model_encode(espnet_asr_files):
    from espnet2.tasks.asr import ASRTask

    config, model_file = espnet_asr_files
    enc = ESPnetASRSpeechEncoder(str(config), str(model_file)).eval()
    assert enc.output_size() == 16
    assert enc.asr_model.decoder is None and enc.asr_model.ctc is None
    reference, _ = ASRTask.build_model_from_file(config, model_file, "cpu")
    reference.eval()
    torch.manual_seed(0)
    speech, lengths = torch.randn(2, 8000), torch.tensor([8000, 5000])
    with torch.no_grad():
        xs, xs_lengths = enc(speech, lengths)
        ref, ref_lengths = reference.encode(speech, lengths)
    torch.testing.assert_close(xs, ref)
    assert xs_lengths.tolist() == ref_lengths.tolist()


def test_espnet_asr_checkpoint_is_loaded_strictly(espnet_asr_files, tmp_path):
    config, model_file = espnet_asr_files
    state = torch.load(model_file, weights_only=True)
    state.pop(next(k for k in state if k.startswith("encoder.")))
    broken = tmp_path / "broken.pth"
    torch.save(state, broken)
    with pytest.raises(RuntimeError, match="Missing key"):
        ESPnetASRSpeechEncoder(str(config), str(broken))
    with pytest.raises(FileNotFoundError, match="nothere.pth"):
        ESPnetASRSpeechEncoder(str(config), str(tmp_path / "nothere.pth"))


def test_espnet_asr_encoder_with_t5_eced(espnet_asr_files, t5_dir):
    config, model_file = espnet_asr_files
    asr = ESPnetASRSpeechEncoder(str(config), str(model_file))
    model = make_model(asr, t5_dir, "ste", "eced", PROMPTS["t5"]).train()
    speech, lengths, text, text_lengths = batch(model.tokenizer)
    loss, _, _ = model(speech, lengths, text, text_lengths)
    loss.backward()
    assert torch.isfinite(loss)
    assert all(p.grad is None for p in model.speech_encoder.parameters())
    hyps = model.eval().translate(speech, lengths, num_beams=2, max_new_tokens=4)
    assert len(hyps) == 3
