"""WeRC decoder: the weighted residual, equivalence with ESPnet's decoder, decoding, training."""

from __future__ import annotations

import pytest
import torch
from espnet.nets.batch_beam_search import BatchBeamSearch
from espnet.nets.beam_search import BeamSearch
from espnet.nets.pytorch_backend.transformer.mask import subsequent_mask
from espnet.nets.scorers.ctc import CTCPrefixScorer

# isort: split
from espnet2.asr.ctc import CTC
from espnet2.asr.decoder.transformer_decoder import TransformerDecoder

from espnet_ext.werc.decoder import WeRCDecoderLayer, WeRCTransformerDecoder

VOCAB, DIM = 12, 16
SMALL = dict(
    vocab_size=VOCAB, encoder_output_size=DIM, attention_heads=2, linear_units=32, num_blocks=3
)


def _inputs(seed: int = 1):
    g = torch.Generator().manual_seed(seed)
    memory = torch.randn(2, 9, DIM, generator=g)
    memory_lens = torch.tensor([9, 6])
    ys = torch.randint(0, VOCAB - 1, (2, 6), generator=g)
    ys_lens = torch.tensor([6, 4])
    return memory, memory_lens, ys, ys_lens


@pytest.mark.parametrize("affine", [False, True])
def test_cross_attention_block_is_weighted_sum_of_normalised_branches(affine):
    torch.manual_seed(0)
    lam = 0.65
    decoder = WeRCTransformerDecoder(**SMALL, werc_weight=lam, werc_norm_affine=affine).eval()
    if affine:  # move away from the identity init so that the affine params matter
        for name, p in decoder.named_parameters():
            if "werc_norm" in name:
                p.data.uniform_(0.5, 1.5)
    captured = {}

    def keep(name):
        def hook(module, args, output):
            captured.setdefault(name, []).append(output)

        return hook

    def keep_ffn_input(module, args):
        captured.setdefault("mix", []).append(args[0])

    for layer in decoder.decoders:
        layer.werc_norm_res.register_forward_hook(keep("res"))
        layer.werc_norm_src.register_forward_hook(keep("src"))
        layer.norm3.register_forward_pre_hook(keep_ffn_input)  # pre-LN: input = block output
    memory, memory_lens, ys, ys_lens = _inputs()
    decoder(memory, memory_lens, ys, ys_lens)
    assert len(captured["mix"]) == SMALL["num_blocks"]
    for res, src, mix in zip(captured["res"], captured["src"], captured["mix"]):
        torch.testing.assert_close(mix, (1 - lam) * res + lam * src, rtol=0, atol=1e-6)
        if not affine:
            # Both branches have (up to the norms' eps) the same norm after LN, so they enter
            # the sum in the ratio λ : 1-λ.
            ratio = (lam * src).norm(dim=-1) / ((1 - lam) * res).norm(dim=-1)
            torch.testing.assert_close(
                ratio, torch.full_like(ratio, lam / (1 - lam)), rtol=1e-2, atol=0
            )


def test_block_direct_call_post_ln():
    torch.manual_seed(0)
    decoder = WeRCTransformerDecoder(**SMALL, normalize_before=False, werc_weight=0.3).eval()
    layer: WeRCDecoderLayer = decoder.decoders[0]
    x, memory = torch.randn(2, 5, DIM), torch.randn(2, 7, DIM)
    att = layer.src_attn(x, memory, memory, None)
    expected = layer.norm2(0.7 * layer.werc_norm_res(x) + 0.3 * layer.werc_norm_src(att))
    torch.testing.assert_close(layer.src_attn_block(x, memory, None), expected)


@pytest.mark.parametrize("normalize_before", [True, False])
@pytest.mark.parametrize("concat_after", [False, True])
def test_switched_off_equals_espnet_transformer_decoder(normalize_before, concat_after):
    conf = dict(SMALL, normalize_before=normalize_before, concat_after=concat_after)
    torch.manual_seed(3)
    reference = TransformerDecoder(**conf).eval()
    torch.manual_seed(4)  # different init: equality must come from the loaded weights
    ours = WeRCTransformerDecoder(**conf, werc_layers=[]).eval()
    ours.load_state_dict(reference.state_dict(), strict=True)
    memory, memory_lens, ys, ys_lens = _inputs()

    expected, expected_lens = reference(memory, memory_lens, ys, ys_lens)
    got, got_lens = ours(memory, memory_lens, ys, ys_lens)
    torch.testing.assert_close(got, expected, rtol=1e-6, atol=1e-6)
    assert torch.equal(got_lens, expected_lens)

    # Incremental decoding with cache, as beam search runs it.
    mask = subsequent_mask(ys.size(1)).unsqueeze(0)
    cache_ref = cache_ours = None
    for t in range(1, ys.size(1) + 1):
        step_mask = mask[:, :t, :t]
        lp_ref, cache_ref = reference.forward_one_step(
            ys[:, :t], step_mask, memory, cache=cache_ref
        )
        lp_ours, cache_ours = ours.forward_one_step(ys[:, :t], step_mask, memory, cache=cache_ours)
        torch.testing.assert_close(lp_ours, lp_ref, rtol=1e-6, atol=1e-6)
    states = [None, None]
    ref_scores, _ = reference.batch_score(ys[:, :3], states, memory)
    our_scores, _ = ours.batch_score(ys[:, :3], states, memory)
    torch.testing.assert_close(our_scores, ref_scores, rtol=1e-6, atol=1e-6)


def test_espnet_state_dict_loads_into_werc_decoder_except_werc_norms():
    reference = TransformerDecoder(**SMALL)
    ours = WeRCTransformerDecoder(**SMALL, werc_layers=[0, 2])
    result = ours.load_state_dict(reference.state_dict(), strict=False)
    assert result.unexpected_keys == []
    assert sorted(result.missing_keys) == sorted(
        f"decoders.{i}.werc_norm_{b}.{p}"
        for i in (0, 2)
        for b in ("res", "src")
        for p in ("weight", "bias")
    )
    no_affine = WeRCTransformerDecoder(**SMALL, werc_norm_affine=False)
    no_affine.load_state_dict(reference.state_dict(), strict=True)


def test_werc_on_changes_output_and_layers_are_selected():
    torch.manual_seed(0)
    off = WeRCTransformerDecoder(**SMALL, werc_layers=[]).eval()
    on = WeRCTransformerDecoder(**SMALL, werc_layers=[1]).eval()
    on.load_state_dict(off.state_dict(), strict=False)
    assert [layer.werc for layer in on.decoders] == [False, True, False]
    memory, memory_lens, ys, ys_lens = _inputs()
    assert not torch.allclose(
        on(memory, memory_lens, ys, ys_lens)[0], off(memory, memory_lens, ys, ys_lens)[0]
    )


@pytest.mark.parametrize("normalize_before", [True, False])
def test_werc_incremental_decoding_matches_full_forward(normalize_before):
    torch.manual_seed(0)
    decoder = WeRCTransformerDecoder(**SMALL, normalize_before=normalize_before).eval()
    memory = torch.randn(1, 9, DIM)
    ys = torch.randint(0, VOCAB - 1, (1, 5))
    logits, _ = decoder(memory, torch.tensor([9]), ys, torch.tensor([5]))
    full = torch.log_softmax(logits, dim=-1)
    state = None
    for t in range(1, 6):
        logp, state = decoder.score(ys[0, :t], state, memory[0])
        torch.testing.assert_close(logp, full[0, t - 1], rtol=1e-5, atol=1e-5)


def test_werc_partially_autoregressive_matches_full_forward():
    torch.manual_seed(0)
    decoder = WeRCTransformerDecoder(**SMALL).eval()
    memory = torch.randn(1, 9, DIM)
    ys = torch.randint(0, VOCAB - 1, (3, 6))
    lengths = torch.tensor([6, 4, 5])
    logits, _ = decoder(memory.expand(3, -1, -1), torch.tensor([9, 9, 9]), ys, lengths)
    full = torch.log_softmax(logits, dim=-1)
    expected = full[torch.arange(3), lengths - 1]
    logp, _ = decoder.batch_score_partially_AR(ys, [None], memory, lengths)
    torch.testing.assert_close(logp, expected, rtol=1e-5, atol=1e-5)
    # Cached: states of the prefix of length L-1, then one new position per row.
    _, states = decoder.batch_score_partially_AR(ys[:, :-1], [None], memory, lengths - 1)
    logp_cached, _ = decoder.batch_score_partially_AR(ys, states, memory, lengths)
    torch.testing.assert_close(logp_cached, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("with_ctc", [False, True])
def test_beam_search_and_batch_beam_search_agree(with_ctc):
    torch.manual_seed(0)
    eos = VOCAB - 1
    decoder = WeRCTransformerDecoder(**SMALL).eval()
    with torch.no_grad():  # keep hypotheses from ending at once on random weights
        decoder.output_layer.bias[eos] -= 2.0
    scorers, weights = {"decoder": decoder}, {"decoder": 1.0}
    if with_ctc:
        ctc = CTC(odim=VOCAB, encoder_output_size=DIM).eval()
        scorers["ctc"] = CTCPrefixScorer(ctc=ctc, eos=eos)
        weights = {"decoder": 0.7, "ctc": 0.3}
    x = torch.randn(20, DIM)
    results = []
    for cls in (BeamSearch, BatchBeamSearch):
        search = cls(
            scorers=scorers,
            weights=weights,
            beam_size=3,
            vocab_size=VOCAB,
            sos=eos,
            eos=eos,
            pre_beam_score_key="full",
        ).eval()
        with torch.no_grad():
            results.append(search(x, maxlenratio=0.4, minlenratio=0.0)[0])
    single, batch = results
    assert len(single.yseq) > 3, single.yseq
    assert single.yseq.tolist() == batch.yseq.tolist()
    torch.testing.assert_close(single.score, batch.score, rtol=1e-4, atol=1e-4)


def test_gradients_reach_encoder_and_decoder(tiny_st_config, build_st_model):
    torch.manual_seed(0)
    model = build_st_model(tiny_st_config(decoder_conf={"werc_layers": None}))
    assert isinstance(model.decoder, WeRCTransformerDecoder)
    speech = torch.randn(2, 4000)
    text = torch.tensor([[2, 3, 4, 7, 5], [6, 2, 2, -1, -1]])
    loss, _, _ = model(speech, torch.tensor([4000, 3200]), text, torch.tensor([5, 3]))
    loss.backward()
    for prefix in (
        "encoder.",
        "decoder.embed",
        "decoder.decoders.0.src_attn",
        "decoder.decoders.1.werc_norm_src",
        "decoder.decoders.0.werc_norm_res",
    ):
        grads = [p.grad for n, p in model.named_parameters() if n.startswith(prefix)]
        assert grads, prefix
        assert all(g is not None and g.abs().sum() > 0 for g in grads), prefix


def test_build_through_registry_from_config(tiny_st_config, build_st_model, st_task, tmp_path):
    import yaml

    cfg = tiny_st_config(
        decoder_conf={"werc_weight": 0.8, "werc_layers": [1], "werc_norm_affine": False}
    )
    model = build_st_model(cfg)
    decoder = model.decoder
    assert isinstance(decoder, WeRCTransformerDecoder)
    assert decoder.werc_weight == 0.8 and decoder.werc_layers == [1]
    assert [layer.werc for layer in decoder.decoders] == [False, True]
    assert decoder.decoders[1].werc_norm_src.weight is None
    # The YAML round trip ESPnet's inference and our tools take.
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    torch.save(model.state_dict(), tmp_path / "1epoch.pth")
    rebuilt, _ = st_task.build_model_from_file(config, tmp_path / "1epoch.pth")
    for (name, a), (_, b) in zip(model.state_dict().items(), rebuilt.state_dict().items()):
        assert torch.equal(a, b), name


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(werc_weight=1.5), "werc_weight must be in [0, 1], got 1.5"),
        (dict(werc_layers=[0, 3]), "werc_layers [0, 3] has indices [3] outside [0, 2]"),
    ],
)
def test_bad_config_is_rejected(kwargs, message):
    with pytest.raises(ValueError) as err:
        WeRCTransformerDecoder(**SMALL, **kwargs)
    assert message in str(err.value)
