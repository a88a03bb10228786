"""The CPU RNN-T loss (espnet_ext.discrete.transducer_loss) against a plain dynamic programme in
float64 and against torchaudio's rnnt_loss: losses and gradients, every reduction."""

from __future__ import annotations

import pytest
import torch
import torchaudio

from espnet_ext.discrete.transducer_loss import rnnt_loss_logspace, transducer_loss


def _reference_nll(logits, targets, logit_lengths, target_lengths, blank):
    """-log P(y | x) of each sequence by the textbook recursion over (t, u), in float64."""
    lp = logits.double().log_softmax(-1)
    out = []
    for b in range(logits.size(0)):
        t_len, u_len = int(logit_lengths[b]), int(target_lengths[b])
        alpha = {}
        for t in range(t_len):
            for u in range(u_len + 1):
                if t == 0 and u == 0:
                    alpha[t, u] = lp.new_zeros(())
                    continue
                terms = []
                if t > 0:
                    terms.append(alpha[t - 1, u] + lp[b, t - 1, u, blank])
                if u > 0:
                    terms.append(alpha[t, u - 1] + lp[b, t, u - 1, targets[b, u - 1]])
                alpha[t, u] = torch.logsumexp(torch.stack(terms), 0)
        out.append(-(alpha[t_len - 1, u_len] + lp[b, t_len - 1, u_len, blank]))
    return torch.stack(out)


def _batch(seed, batch=3, frames=7, targets=4, vocab=6, scale=2.0):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(batch, frames, targets + 1, vocab, generator=g) * scale
    ys = torch.randint(1, vocab, (batch, targets), generator=g, dtype=torch.int32)
    # the longest sequence fills the tensors; the others are padded in both directions
    t_lens = torch.tensor([frames] + [frames - 2 - i for i in range(batch - 1)], dtype=torch.int32)
    u_lens = torch.tensor([targets] + [targets - 1 - i % targets for i in range(batch - 1)],
                          dtype=torch.int32)  # fmt: skip
    ys[1, int(u_lens[1]) :] = -1  # the model's padding value where a target is shorter
    return logits, ys, t_lens, u_lens


@pytest.mark.parametrize("seed", [0, 1])
def test_equals_the_textbook_recursion_with_gradients(seed):
    logits, ys, t_lens, u_lens = _batch(seed)
    ours_in = logits.clone().requires_grad_()
    ours = rnnt_loss_logspace(ours_in, ys, t_lens, u_lens, blank=0, reduction="none")
    ref_in = logits.double().requires_grad_()
    ref = _reference_nll(ref_in, ys.clamp(min=0), t_lens, u_lens, blank=0)
    assert ours.dtype == torch.float32 and ours.shape == (3,)
    torch.testing.assert_close(ours.double(), ref.detach(), rtol=1e-5, atol=1e-5)
    weights = torch.tensor([1.0, -0.5, 2.0])  # a backward that is not all ones
    (ours * weights).sum().backward()
    (ref * weights.double()).sum().backward()
    torch.testing.assert_close(ours_in.grad.double(), ref_in.grad, rtol=1e-4, atol=1e-5)
    # nothing flows into the padding of the shorter sequences
    assert ours_in.grad[1, int(t_lens[1]) :].abs().max() == 0
    assert ours_in.grad[1, :, int(u_lens[1]) + 1 :].abs().max() == 0


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_equals_torchaudio(reduction):
    logits, ys, t_lens, u_lens = _batch(3, batch=4, frames=30, targets=9, vocab=50)
    blank = 2
    ys[ys == blank] = 1
    ours_in = logits.clone().requires_grad_()
    theirs_in = logits.clone().requires_grad_()
    ours = rnnt_loss_logspace(ours_in, ys, t_lens, u_lens, blank=blank, reduction=reduction)
    theirs = torchaudio.functional.rnnt_loss(
        theirs_in, ys.clamp(min=0), t_lens, u_lens, blank=blank, reduction=reduction
    )
    torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-4)
    ours.sum().backward()
    theirs.sum().backward()
    torch.testing.assert_close(ours_in.grad, theirs_in.grad, rtol=1e-4, atol=1e-5)


def test_without_gradients_and_through_the_dispatcher():
    logits, ys, t_lens, u_lens = _batch(4)
    with torch.no_grad():
        plain = rnnt_loss_logspace(logits, ys, t_lens, u_lens, reduction="none")
    tracked = rnnt_loss_logspace(
        logits.clone().requires_grad_(), ys, t_lens, u_lens, reduction="none"
    )
    torch.testing.assert_close(plain, tracked.detach())
    torch.testing.assert_close(transducer_loss(logits, ys, t_lens, u_lens), plain.mean())


def test_bad_arguments_are_named():
    logits, ys, t_lens, u_lens = _batch(5)
    with pytest.raises(ValueError, match="reduction must be mean, sum or none, not 'max'"):
        rnnt_loss_logspace(logits, ys, t_lens, u_lens, reduction="max")
    with pytest.raises(ValueError, match=r"targets \(3, 3\) do not fit logits \(3, 7, 5, 6\)"):
        rnnt_loss_logspace(logits, ys[:, :3], t_lens, u_lens)
