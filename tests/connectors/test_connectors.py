"""Q-Former and STE connectors: output lengths, masking, batch invariance, bad input."""

from __future__ import annotations

import math

import pytest
import torch

from espnet_ext.connectors.qformer import QFormerConnector
from espnet_ext.connectors.ste import STEConnector, subsampled_lengths

D_IN, D_OUT = 12, 20


def qformer(num_queries=7, **kw) -> QFormerConnector:
    torch.manual_seed(0)
    conf = dict(num_blocks=2, hidden_size=16, attention_heads=2, linear_units=32)
    conf.update(kw)
    return QFormerConnector(D_IN, D_OUT, num_queries=num_queries, **conf).eval()


def ste(**kw) -> STEConnector:
    torch.manual_seed(0)
    conf = dict(conv_channels=24, hidden_size=16, num_blocks=2, attention_heads=2, linear_units=32)
    conf.update(kw)
    return STEConnector(D_IN, D_OUT, **conf).eval()


@pytest.mark.parametrize("num_queries", [1, 5, 80])
@pytest.mark.parametrize("frames", [1, 9, 40])
def test_qformer_output_length_is_number_of_queries(num_queries, frames):
    xs = torch.randn(3, frames, D_IN)
    lengths = torch.tensor([frames, max(1, frames // 2), 1])
    ys, ys_lengths = qformer(num_queries)(xs, lengths)
    assert ys.shape == (3, num_queries, D_OUT)
    assert ys_lengths.tolist() == [num_queries] * 3


def test_ste_output_length_is_ceil_t_over_4():
    model = ste()
    for frames in [1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 16, 17, 37, 100, 101]:
        lengths = torch.tensor([frames, max(1, frames - 3), 1])
        ys, ys_lengths = model(torch.randn(3, frames, D_IN), lengths)
        assert ys.shape == (3, math.ceil(frames / 4), D_OUT), frames
        expected = [math.ceil(n / 4) for n in lengths.tolist()]
        assert ys_lengths.tolist() == expected, frames
        assert subsampled_lengths(lengths).tolist() == expected


@pytest.mark.parametrize("make", [qformer, ste], ids=["qformer", "ste"])
def test_padded_batch_gives_the_same_output_as_single_utterances(make):
    model = make()
    lengths = torch.tensor([23, 9, 14])
    xs = torch.randn(3, 23, D_IN)
    xs[1, 9:] = 100.0  # garbage in the padding must not leak into valid frames
    ys, ys_lengths = model(xs, lengths)
    for b, n in enumerate(lengths.tolist()):
        single, single_len = model(xs[b : b + 1, :n], lengths[b : b + 1])
        m = int(single_len)
        assert ys_lengths[b] == m
        torch.testing.assert_close(ys[b, :m], single[0, :m], atol=1e-5, rtol=1e-5)
        assert torch.all(ys[b, m:] == 0)


@pytest.mark.parametrize("make", [qformer, ste], ids=["qformer", "ste"])
def test_sdpa_and_plain_attention_agree(make):
    plain, fast = make(use_sdpa=False), make(use_sdpa=True)
    fast.load_state_dict(plain.state_dict())
    xs, lengths = torch.randn(2, 17, D_IN), torch.tensor([17, 6])
    torch.testing.assert_close(plain(xs, lengths)[0], fast(xs, lengths)[0], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("make", [qformer, ste], ids=["qformer", "ste"])
def test_every_parameter_gets_a_gradient(make):
    model = make().train()
    ys, _ = model(torch.randn(2, 11, D_IN), torch.tensor([11, 5]))
    ys.square().sum().backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None or not p.grad.any()]
    assert missing == []


def test_paper_sizes_defaults():
    q = QFormerConnector(768, 1024)
    assert q.num_queries == 80 and len(q.blocks) == 6 and q.queries.shape == (80, 256)
    s = STEConnector(768, 1024)
    assert [c.out_channels for c in s.convs] == [2048, 512]  # GLU -> 1024, 256
    assert [c.kernel_size[0] for c in s.convs] == [5, 5] and len(s.blocks) == 6


@pytest.mark.parametrize(
    "xs, lengths, message",
    [
        (torch.randn(2, 5, D_IN + 1), torch.tensor([5, 5]), "expected xs of shape"),
        (torch.randn(2, 5, D_IN), torch.tensor([5, 0]), "lengths must lie in"),
        (torch.randn(2, 5, D_IN), torch.tensor([6, 5]), "lengths must lie in"),
        (torch.randn(2, 5, D_IN), torch.tensor([5]), "expected lengths of shape"),
    ],
)
@pytest.mark.parametrize("make", [qformer, ste], ids=["qformer", "ste"])
def test_bad_input_is_rejected(make, xs, lengths, message):
    with pytest.raises(ValueError, match=message):
        make()(xs, lengths)


def test_bad_configs_are_rejected():
    with pytest.raises(ValueError, match="odd"):
        STEConnector(D_IN, D_OUT, conv_kernel_size=4)
    with pytest.raises(ValueError, match="divisible"):
        QFormerConnector(D_IN, D_OUT, hidden_size=10, attention_heads=4)
