"""The exporter layer: one vector per 1-best token, padding-independent, finite gradients."""

from __future__ import annotations

import pytest
import torch

from espnet_ext.exporter.alignment import ctc_greedy_align
from espnet_ext.exporter.exporter import CTCPoolExporter

VOCAB, D_ASR, D_MT = 12, 8, 6


def make_batch(seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    lengths = torch.tensor([15, 9, 12, 4])
    ids = torch.randint(0, VOCAB, (4, 15), generator=gen)
    ids[torch.rand(4, 15, generator=gen) < 0.3] = 0
    ids[3] = 0  # an utterance whose 1-best is empty
    enc = torch.randn(4, 15, D_ASR, generator=gen)
    return enc, lengths, ctc_greedy_align(ids, lengths), ids


CONFIGS = [
    dict(num_blocks=2, cross_attention=True),
    dict(num_blocks=1, cross_attention=False),
    dict(num_blocks=0, use_token_embedding=False),
    dict(num_blocks=1, include_blanks=True),
]


def build(**conf) -> CTCPoolExporter:
    torch.manual_seed(0)
    return CTCPoolExporter(
        D_ASR,
        D_MT,
        VOCAB,
        hidden_size=8,
        attention_heads=2,
        linear_units=16,
        dropout_rate=0.0,
        **conf,
    ).eval()


@pytest.mark.parametrize("conf", CONFIGS)
def test_one_vector_per_token_and_zero_padding(conf):
    enc, lengths, al, _ = make_batch()
    assert al.token_lens[:3].min() > 0 and al.token_lens[3] == 0
    out = build(**conf)(enc, lengths, al)
    assert out.shape == (4, int(al.token_lens.max()), D_MT)
    for b, n in enumerate(al.token_lens.tolist()):
        assert out[b, :n].abs().sum(-1).gt(0).all()
        assert out[b, n:].eq(0).all()


@pytest.mark.parametrize("conf", CONFIGS)
def test_output_does_not_depend_on_batch_padding(conf):
    enc, lengths, al, ids = make_batch()
    exporter = build(**conf)
    batched = exporter(enc, lengths, al)
    for b in range(3):
        n_frames = int(lengths[b])
        alone = ctc_greedy_align(ids[b : b + 1, :n_frames], lengths[b : b + 1])
        single = exporter(enc[b : b + 1, :n_frames], lengths[b : b + 1], alone)
        n = int(al.token_lens[b])
        torch.testing.assert_close(single[0, :n], batched[b, :n], atol=1e-5, rtol=1e-5)


def test_gradients_are_finite_with_an_empty_utterance():
    enc, lengths, al, _ = make_batch()
    enc.requires_grad_(True)
    exporter = build(num_blocks=2).train()
    exporter(enc, lengths, al).pow(2).sum().backward()
    assert torch.isfinite(enc.grad).all()
    for name, p in exporter.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name


def test_all_empty_batch_gives_no_vectors():
    enc = torch.randn(2, 5, D_ASR)
    al = ctc_greedy_align(torch.zeros(2, 5, dtype=torch.long), torch.tensor([5, 3]))
    assert build(num_blocks=1)(enc, torch.tensor([5, 3]), al).shape == (2, 0, D_MT)


def test_bad_sizes_are_rejected():
    with pytest.raises(ValueError, match="multiple of attention_heads"):
        CTCPoolExporter(D_ASR, D_MT, VOCAB, hidden_size=10, attention_heads=4)
