"""The batched beam search against ESPnet's BeamSearch / BatchBeamSearch on tiny ST models."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.nn.utils.rnn import pad_sequence

from espnet_ext.decoding.beam_search import BatchBeamSearch
from espnet_ext.decoding.ctc_prefix import CTCPrefixSession
from espnet_ext.decoding.encode import encode_batch, padding_stages
from espnet_ext.decoding.hypothesis import EndDetector
from espnet_ext.decoding.inference import build_search
from espnet_ext.decoding.step import resolve_mode, start_session
from tests.decoding.conftest import encode_each, espnet_nbest, espnet_search
from tests.fixtures import decoding as toy


def pad(encs):
    return pad_sequence(encs, batch_first=True), torch.tensor([len(e) for e in encs])


def ours_nbest(search, encs, maxlenratio=0.0, minlenratio=0.0):
    enc, lens = pad(encs)
    found = search(enc, lens, maxlenratio, minlenratio)
    return [[(h.yseq, h.score) for h in hyps] for hyps in found]


def assert_same_nbest(ours, ref, n=None, atol=2e-4):
    assert len(ours) == len(ref)
    for b, (o, r) in enumerate(zip(ours, ref)):
        o, r = o[:n], r[:n]
        assert [y for y, _ in o] == [y for y, _ in r], f"utterance {b}: {o} != {r}"
        np.testing.assert_allclose([s for _, s in o], [s for _, s in r], atol=atol)


def test_toy_model_outputs_are_not_degenerate(toy_model, waves):
    model, _ = toy_model
    search = build_search(model, beam_size=1)
    found = ours_nbest(search, encode_each(model, waves))
    best = [hyps[0][0] for hyps in found]
    assert all(seq[-1] == model.eos for seq in best)  # ended by eos, not by the length limit
    assert all(len(seq) > 2 for seq in best)
    assert len({tuple(seq) for seq in best}) >= 4
    assert len(set(t for seq in best for t in seq[1:-1])) >= 4


@pytest.mark.parametrize("mode", ["cached", "one_step", "batch_score"])
def test_greedy_batched_equals_batch1_and_espnet(toy_model, waves, mode):
    model, _ = toy_model
    encs = encode_each(model, waves)
    search = build_search(model, beam_size=1, decoder_mode=mode)
    batched = ours_nbest(search, encs)
    single = [ours_nbest(search, [e])[0] for e in encs]
    assert_same_nbest(batched, single, atol=1e-5)
    assert_same_nbest(batched, espnet_nbest(espnet_search(model, beam=1), encs))


@pytest.mark.parametrize(
    "beam,penalty,maxlenratio,minlenratio",
    [
        (4, 0.0, 0.0, 0.0),  # end detection
        (4, 0.5, 0.0, 0.0),  # length bonus
        (3, 0.0, 0.3, 0.0),  # maxlen from the encoder length: hypotheses get cut
        (5, 0.0, -3.0, 0.0),  # constant maxlen 3
        (4, 0.0, 0.0, 0.4),  # minlen: short hypotheses are dropped (or the search is retried)
    ],
)
def test_beam_nbest_equals_espnet_beam_search(
    toy_model, waves, beam, penalty, maxlenratio, minlenratio
):
    model, _ = toy_model
    encs = encode_each(model, waves)
    search = build_search(model, beam_size=beam, penalty=penalty)
    ours = ours_nbest(search, encs, maxlenratio, minlenratio)
    ref = espnet_nbest(espnet_search(model, beam, penalty=penalty), encs, maxlenratio, minlenratio)
    assert_same_nbest(ours, ref)


def test_normalize_length_ranks_like_espnet(toy_model, waves):
    model, _ = toy_model
    encs = encode_each(model, waves)
    ours = ours_nbest(build_search(model, beam_size=4, normalize_length=True), encs)
    ref = espnet_nbest(espnet_search(model, 4, normalize_length=True), encs)
    assert_same_nbest(ours, ref)
    plain = ours_nbest(build_search(model, beam_size=4), encs)
    assert any([y for y, _ in o] != [y for y, _ in p] for o, p in zip(ours, plain))


@pytest.mark.parametrize("pre_beam_ratio", [1.5, 10.0])  # pre-beam, and all 23 tokens
def test_ctc_joint_equals_espnet_batch_beam_search(toy_model, waves, pre_beam_ratio):
    model, _ = toy_model
    encs = encode_each(model, waves)
    if pre_beam_ratio > 5:  # full-vocabulary CTC scoring is slow in ESPnet: fewer utterances
        encs = encs[:4]
    search = build_search(model, beam_size=4, ctc_weight=0.3, pre_beam_ratio=pre_beam_ratio)
    ours = ours_nbest(search, encs)
    ref_search = espnet_search(model, 4, ctc_weight=0.3, batch=True, pre_beam_ratio=pre_beam_ratio)
    assert_same_nbest(ours, espnet_nbest(ref_search, encs), n=1, atol=1e-3)


@pytest.mark.parametrize("ctc_weight", [0.0, 0.3])
@pytest.mark.parametrize("mode", ["cached", "one_step", "batch_score"])
def test_padding_invariance(toy_model, waves, mode, ctc_weight):
    """A one-word utterance gets the same hypotheses alone and padded next to long ones."""
    model, _ = toy_model
    encs = encode_each(model, waves)
    short, long1, long2 = 6, 1, 5
    assert len(encs[short]) * 4 < len(encs[long1])
    search = build_search(model, beam_size=4, ctc_weight=ctc_weight, decoder_mode=mode)
    alone = {i: ours_nbest(search, [encs[i]])[0] for i in (short, long1, long2)}
    for order in ([long1, short, long2], [short, long1], [long2, long1, short]):
        found = ours_nbest(search, [encs[i] for i in order])
        assert_same_nbest(found, [alone[i] for i in order], atol=1e-4)


@pytest.mark.parametrize("mode", ["cached", "one_step", "batch_score"])
def test_decoder_sessions_mask_the_padding(toy_model, waves, mode):
    """One step of each adapter equals ESPnet's per-utterance ``decoder.score``."""
    model, _ = toy_model
    dec = model.decoder
    encs = encode_each(model, waves)
    picked = [encs[6], encs[1], encs[0]]
    enc, lens = pad(picked)
    beam = 2
    ys = torch.tensor([[model.sos, 5, 7]] * beam * len(picked))
    session = start_session(dec, enc, lens, beam, mode)
    with torch.no_grad():
        got = session.step(ys[:, :1])
        session.reorder(torch.arange(ys.size(0)))
        got = session.step(ys[:, :2])
        for b, e in enumerate(picked):
            ref, _ = dec.score(ys[0, :2], None, e)
            for k in range(beam):
                torch.testing.assert_close(got[b * beam + k], ref, atol=1e-5, rtol=1e-5)
        # the padding does matter: ESPnet's batch_score sees it for the short utterance
        unmasked, _ = dec.batch_score(ys[:1, :2], [None], enc[:1])
    assert (unmasked[0] - dec.score(ys[0, :2], None, picked[0])[0]).abs().max() > 1e-3


def test_conformer_exact_with_per_utterance_encoder(waves):
    """An (untrained) Conformer ST model: batched decoding equals ESPnet's, per utterance."""
    torch.manual_seed(0)
    model, _ = toy.build_model(toy.model_config(encoder="conformer"), seed=1)
    model.eval()
    assert padding_stages(model) is None  # its convolution module sees the padding
    enc, lens = encode_batch(model, list(waves), mode="auto")
    encs = encode_each(model, waves)
    for b, e in enumerate(encs):
        torch.testing.assert_close(enc[b, : lens[b]], e)
    search = build_search(model, beam_size=3, ctc_weight=0.3)
    assert search.decoder_mode == "cached"
    found = search(enc, lens, maxlenratio=-4)
    ours = [[(h.yseq, h.score) for h in hyps] for hyps in found]
    ref = espnet_nbest(espnet_search(model, 3, ctc_weight=0.3, batch=True), encs, -4)
    assert_same_nbest(ours, ref, n=1, atol=1e-3)


def test_werc_decoder_uses_one_step_and_equals_espnet(toy_model, waves):
    """Another project decoder (WeRC) through ``forward_one_step`` with the memory mask."""
    werc = pytest.importorskip("espnet_ext.werc.decoder")
    model, _ = toy_model
    torch.manual_seed(0)
    decoder = werc.WeRCTransformerDecoder(
        len(model.token_list),
        32,
        attention_heads=2,
        linear_units=64,
        num_blocks=2,
        dropout_rate=0.0,
    ).eval()
    assert resolve_mode(decoder) == "one_step"
    encs = encode_each(model, waves)
    ours = BatchBeamSearch(decoder, model.sos, model.eos, len(model.token_list), beam_size=3)
    original = model.decoder
    try:
        model.decoder = decoder
        ref = espnet_nbest(espnet_search(model, 3), encs, maxlenratio=-5)
    finally:
        model.decoder = original
    assert_same_nbest(ours_nbest(ours, encs, maxlenratio=-5), ref, atol=1e-4)


def test_ctc_prefix_scores_equal_espnet_numpy_reference():
    """Prefix scores of two utterances of different lengths, step by step, vs CTCPrefixScore."""
    from espnet.nets.ctc_prefix_score import CTCPrefixScore

    torch.manual_seed(0)
    vocab, eos, beam = 6, 5, 1
    lengths = [9, 5]
    logp = torch.randn(2, 9, vocab).log_softmax(-1)
    session = CTCPrefixSession(logp, torch.tensor(lengths), beam, blank=0, eos=eos)
    refs = [CTCPrefixScore(logp[b, : lengths[b]].numpy(), 0, eos, np) for b in range(2)]
    ref_states = [r.initial_state() for r in refs]
    ref_prev = [0.0, 0.0]
    prefix = [eos]  # sos == eos
    cs = np.arange(vocab)
    for step, token in enumerate([2, 2, 3]):
        got = session.score(torch.tensor([prefix[-1]] * 2), step, None)
        for b in range(2):
            psi, states = refs[b](prefix, cs, ref_states[b])
            expect = psi - ref_prev[b]
            np.testing.assert_allclose(got[b, 1:].numpy(), expect[1:], rtol=1e-4, atol=1e-3)
            ref_states[b], ref_prev[b] = states[token], psi[token]
        session.reorder(torch.arange(2), torch.tensor([token, token]))
        prefix.append(token)


def test_end_detector_equals_espnet_end_detect():
    from espnet.nets.e2e_asr_common import end_detect

    rng = np.random.default_rng(0)
    for _ in range(200):
        hyps = [
            {"yseq": [0] * int(rng.integers(2, 9)), "score": float(rng.normal(-10, 8))}
            for _ in range(int(rng.integers(0, 8)))
        ]
        detector = EndDetector()
        for h in hyps:
            detector.add(len(h["yseq"]), h["score"])
        for i in range(2, 11):
            assert detector(i) == end_detect(hyps, i), (hyps, i)


def test_bad_arguments_name_the_value(toy_model):
    model, _ = toy_model
    no_ctc, _ = toy.build_model(toy.model_config(st_ctc=False))
    with pytest.raises(ValueError, match="st_mtlalpha"):
        build_search(no_ctc, beam_size=2, ctc_weight=0.3)
    with pytest.raises(ValueError, match="1.0"):
        build_search(model, beam_size=2, ctc_weight=1.0)
    with pytest.raises(ValueError, match="'fast'"):
        build_search(model, beam_size=2, decoder_mode="fast")
