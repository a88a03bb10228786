"""Encoding padded batches: each utterance gets the encoder output it gets alone."""

from __future__ import annotations

import math

import pytest
import torch

from espnet_ext.decoding.beam_search import BatchBeamSearch
from espnet_ext.decoding.encode import (
    MASK_STAGES,
    encode_batch,
    exact_lengths,
    padding_stages,
    sliced_mask_count,
)
from espnet_ext.decoding.inference import build_search
from tests.decoding.conftest import encode_each
from tests.fixtures import decoding as toy


@pytest.mark.parametrize("name", sorted(MASK_STAGES))
def test_sliced_mask_count_equals_tensor_slicing(name):
    stages = MASK_STAGES[name]
    for total in range(0, 40):
        for valid in range(0, total + 1):
            mask = torch.arange(total) < valid
            for drop, step in stages:
                mask = mask[:-drop:step]
            assert sliced_mask_count(valid, total, stages) == int(mask.sum()), (valid, total)
    lengths = [37, 12, 30, 5, 2, 36]
    fixed = exact_lengths(lengths, stages)
    assert fixed[0] == 37  # the longest keeps its length (ESPnet cuts the batch to the max)
    for n, m in zip(lengths, fixed):
        assert m <= n and sliced_mask_count(m, 37, stages) == sliced_mask_count(n, n, stages)


def assert_same_encoding(model, waves, mode):
    enc, lens = encode_batch(model, list(waves), mode=mode)
    for b, e in enumerate(encode_each(model, waves)):
        assert int(lens[b]) == len(e)
        torch.testing.assert_close(enc[b, : lens[b]], e, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("input_layer", ["conv2d", "conv2d6", "linear"])
def test_padded_transformer_encoder_equals_batch1(toy_model, waves, input_layer):
    if input_layer == "conv2d":
        model, _ = toy_model
    else:
        config = toy.model_config()
        config["encoder_conf"]["input_layer"] = input_layer
        model, _ = toy.build_model(config)
        model.eval()
    assert padding_stages(model) is not None
    assert_same_encoding(model, waves, "padded")
    assert_same_encoding(model, waves, "auto")
    assert_same_encoding(model, waves, "per_utterance")


def test_uncorrected_padding_changes_the_encoding(toy_model, waves):
    """Why the lengths are corrected: with the true feature lengths ESPnet's mask is too long."""
    model, _ = toy_model
    with torch.no_grad():
        x = torch.nn.utils.rnn.pad_sequence(list(waves), batch_first=True)
        _, lens = model.encode(x, torch.tensor([len(w) for w in waves]))
    alone = [len(e) for e in encode_each(model, waves)]
    longest = max(range(len(waves)), key=lambda b: len(waves[b]))
    assert int(lens[longest]) == alone[longest]
    assert any(int(n) > a for n, a in zip(lens, alone))


def test_conformer_falls_back_to_per_utterance(waves):
    model, _ = toy.build_model(toy.model_config(encoder="conformer"))
    model.eval()
    assert padding_stages(model) is None
    assert_same_encoding(model, waves, "auto")
    with pytest.raises(ValueError, match="'batched'"):
        encode_batch(model, list(waves), mode="batched")


@pytest.mark.parametrize("mode", ["padded", "per_utterance"])
def test_too_short_utterance_gets_no_hypothesis(toy_model, waves, mode):
    model, _ = toy_model
    tiny = torch.zeros(300)  # 3 feature frames: too short for the 4x subsampling
    enc, lens = encode_batch(model, [waves[0], tiny], mode=mode)
    assert int(lens[1]) == 0
    found = build_search(model, beam_size=2)(enc, lens)
    assert found[1] == [] and found[0] and not math.isnan(found[0][0].score)
    assert isinstance(build_search(model, beam_size=2), BatchBeamSearch)


def test_auto_encodes_per_utterance_on_cpu(toy_model, waves, monkeypatch):
    """On a CPU the padded call costs more than the per-utterance calls (module docstring)."""
    from espnet_ext.decoding import encode

    model, _ = toy_model

    def refuse(*args, **kwargs):
        raise AssertionError("auto chose the padded encoder call on a CPU")

    monkeypatch.setattr(encode, "_padded", refuse)
    assert padding_stages(model) is not None
    assert_same_encoding(model, waves, "auto")
    with pytest.raises(AssertionError, match="padded encoder call"):
        encode_batch(model, list(waves), mode="padded")


def test_batched_features_equal_one_by_one(toy_model, waves):
    """One frontend call for the batch gives each utterance its own features."""
    from espnet_ext.decoding import encode

    model, _ = toy_model
    speech = list(waves)
    pad = encode._stft_pad(model, speech)
    assert pad == 128  # n_fft 256
    with torch.no_grad():
        batched = encode._batched_features(model, speech, pad)
        alone = encode._features_one_by_one(model, speech, ["frontend", "normalize"])
        alone_stft = encode._features_one_by_one(model, speech, ["frontend"])
        plain, _ = model.frontend(
            torch.nn.utils.rnn.pad_sequence(speech, batch_first=True),
            torch.tensor([len(s) for s in speech]),
        )
    for x, y in zip(batched, alone):
        assert x.shape == y.shape
        torch.testing.assert_close(x, y, atol=1e-5, rtol=1e-5)
    # why each signal gets its own end reflection: zero padding changes the last frames
    longest = max(len(s) for s in speech)
    assert any(
        not torch.allclose(plain[b, : len(f)], f, atol=1e-3)
        for b, f in enumerate(alone_stft)
        if len(speech[b]) < longest
    )


def test_signals_shorter_than_the_stft_padding_are_featurised_one_by_one(toy_model, waves):
    from espnet_ext.decoding import encode

    model, _ = toy_model
    assert encode._stft_pad(model, [waves[0], torch.zeros(128)]) is None
    assert encode._stft_pad(model, [waves[0], torch.zeros(129)]) == 128
