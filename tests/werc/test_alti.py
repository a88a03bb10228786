"""ALTI+ decomposition of Transformer/WeRC decoders."""

from __future__ import annotations

import pytest
import torch

from espnet_ext.werc.alti import (
    alti_contributions,
    decoder_contributions,
    linearized_layer_norm,
)
from espnet_ext.werc.decoder import WeRCTransformerDecoder

# isort: split
from espnet2.asr.decoder.transformer_decoder import (
    LightweightConvolutionTransformerDecoder,
    TransformerDecoder,
)

VOCAB, DIM, S = 12, 16, 9
SMALL = dict(
    vocab_size=VOCAB, encoder_output_size=DIM, attention_heads=2, linear_units=32, num_blocks=3
)
VARIANTS = {
    "espnet_pre_ln": (TransformerDecoder, {}),
    "espnet_post_ln": (TransformerDecoder, dict(normalize_before=False)),
    "espnet_concat_after": (TransformerDecoder, dict(concat_after=True)),
    "werc_pre_ln": (WeRCTransformerDecoder, {}),
    "werc_post_ln": (WeRCTransformerDecoder, dict(normalize_before=False)),
    "werc_concat_after": (WeRCTransformerDecoder, dict(concat_after=True)),
    "werc_no_affine_layer1": (
        WeRCTransformerDecoder,
        dict(werc_layers=[1], werc_norm_affine=False, normalize_before=False, concat_after=True),
    ),
}


def _decoder(variant: str, seed: int = 0):
    cls, conf = VARIANTS[variant]
    torch.manual_seed(seed)
    decoder = cls(**SMALL, **conf).eval()
    with torch.no_grad():  # non-trivial norms and biases so that every term is exercised
        for name, p in decoder.named_parameters():
            if "norm" in name:
                p.add_(0.3 * torch.randn_like(p))
    return decoder


def _inputs(seed: int = 1):
    g = torch.Generator().manual_seed(seed)
    memory = torch.randn(2, S, DIM, generator=g)
    ys = torch.randint(0, VOCAB - 1, (2, 6), generator=g)
    return memory, torch.tensor([S, 5]), ys, torch.tensor([6, 4])


def test_alti_contributions_formula():
    vectors = torch.tensor([[1.0, 0.0], [0.0, 1.0], [2.0, 2.0], [-1.0, 0.0]])
    output = torch.tensor([1.0, 1.0])
    # ||y||_1 = 2; distances 1, 1, 2, 3 -> scores 1, 1, 0, 0 (clamped) -> 0.5, 0.5, 0, 0
    got, degenerate = alti_contributions(vectors, output)
    torch.testing.assert_close(got, torch.tensor([0.5, 0.5, 0.0, 0.0]))
    assert not degenerate


def test_alti_contributions_degenerate_row_falls_back_to_l1_norms():
    vectors = torch.tensor([[[3.0, -1.0], [0.0, 0.0], [-1.0, 0.0]]])
    output = torch.tensor([[1.0, 1.0]])
    # distances 4, 2, 3 >= ||y||_1 = 2: every score is 0; L1 norms 4, 0, 1
    got, degenerate = alti_contributions(vectors, output)
    torch.testing.assert_close(got, torch.tensor([[0.8, 0.0, 0.2]]))
    assert degenerate.tolist() == [True]


def test_linearized_layer_norm_sums_to_layer_norm_output():
    norm = torch.nn.LayerNorm(DIM)
    torch.nn.init.normal_(norm.weight)
    torch.nn.init.normal_(norm.bias)
    parts = torch.randn(3, 5, DIM)
    bias = torch.randn(DIM)
    total = parts.sum(1) + bias
    linear = linearized_layer_norm(parts, norm, total)
    # LN(total) = sum of the parts' shares + (share of the bias) + beta
    bias_share = linearized_layer_norm(bias.expand(3, 1, DIM), norm, total)[:, 0]
    torch.testing.assert_close(linear.sum(1) + bias_share + norm.bias, norm(total))


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_decomposition_reproduces_decoder_and_rows_sum_to_one(variant):
    decoder = _decoder(variant)
    memory, memory_lens, ys, ys_lens = _inputs()
    (_, hidden_states), _ = decoder(memory, memory_lens, ys, ys_lens, return_all_hs=True)
    result = decoder_contributions(decoder, memory, memory_lens, ys, ys_lens)
    for b, length in enumerate(ys_lens.tolist()):
        torch.testing.assert_close(
            result.hidden[b, :length], hidden_states[-1][b, :length], rtol=1e-4, atol=1e-5
        )
        rows = result.rollout[b, :length]
        assert (rows >= 0).all()
        torch.testing.assert_close(rows.sum(-1), torch.ones(length), rtol=0, atol=1e-5)
        # No contribution from padded frames or from future target positions.
        assert (rows[:, memory_lens[b] : S] == 0).all()
        target = rows[:, S : S + length]
        assert (target.triu(1) == 0).all()
        share = result.source_share[b, :length]
        assert (share >= 0).all() and (share <= 1 + 1e-5).all()
    assert decoder.training is False


def test_batch_with_padding_equals_single_sequences():
    decoder = _decoder("werc_pre_ln")
    memory, memory_lens, ys, ys_lens = _inputs()
    batch = decoder_contributions(decoder, memory, memory_lens, ys, ys_lens).mean_source_share()
    for b in range(2):
        single = decoder_contributions(
            decoder,
            memory[b : b + 1, : memory_lens[b]],
            memory_lens[b : b + 1],
            ys[b : b + 1, : ys_lens[b]],
            ys_lens[b : b + 1],
        )
        torch.testing.assert_close(single.mean_source_share()[0], batch[b], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_zero_cross_attention_output_gives_zero_source_contribution(variant):
    decoder = _decoder(variant)
    with torch.no_grad():
        for layer in decoder.decoders:
            layer.src_attn.linear_out.weight.zero_()
            layer.src_attn.linear_out.bias.zero_()
            if layer.concat_after:  # the attention half of concat_linear2 sees the zero output
                layer.concat_linear2.weight[:, DIM:].zero_()
    memory, memory_lens, ys, ys_lens = _inputs()
    result = decoder_contributions(decoder, memory, memory_lens, ys, ys_lens)
    assert torch.count_nonzero(result.rollout[..., :S]) == 0
    assert (result.mean_source_share() == 0).all()
    torch.testing.assert_close(
        result.rollout[0].sum(-1), torch.ones(ys.size(1)), rtol=0, atol=1e-5
    )


@pytest.mark.parametrize("normalize_before", [True, False])
def test_larger_werc_weight_gives_larger_source_share(normalize_before):
    conf = dict(SMALL, normalize_before=normalize_before)
    torch.manual_seed(0)
    high = WeRCTransformerDecoder(**conf, werc_weight=0.95).eval()
    low = WeRCTransformerDecoder(**conf, werc_weight=0.05).eval()
    low.load_state_dict(high.state_dict(), strict=True)  # same weights, only λ differs
    memory, memory_lens, ys, ys_lens = _inputs()
    share_high = decoder_contributions(high, memory, memory_lens, ys, ys_lens).mean_source_share()
    share_low = decoder_contributions(low, memory, memory_lens, ys, ys_lens).mean_source_share()
    assert (share_high > share_low + 0.2).all(), (share_high, share_low)


def test_unsupported_decoder_is_rejected():
    decoder = LightweightConvolutionTransformerDecoder(
        **dict(SMALL, num_blocks=2), conv_kernel_length=[3, 3]
    )
    memory, memory_lens, ys, ys_lens = _inputs()
    with pytest.raises(TypeError, match="decoder layer 0: ALTI\\+ supports ESPnet"):
        decoder_contributions(decoder, memory, memory_lens, ys, ys_lens)
