"""Greedy CTC alignment and frame pooling against plain per-utterance reference computations."""

from __future__ import annotations

import itertools

import pytest
import torch

from espnet_ext.exporter.alignment import ctc_greedy_align, pool_frames


def reference_greedy(ids: list[int], blank: int = 0) -> tuple[list[int], list[list[int]]]:
    """Collapse runs, drop blanks; also the frame indices of each emitted token."""
    tokens, frames, t = [], [], 0
    for label, run in itertools.groupby(ids):
        n = len(list(run))
        if label != blank:
            tokens.append(label)
            frames.append(list(range(t, t + n)))
        t += n
    return tokens, frames


def random_batch(seed: int, bsz: int = 5, n_frames: int = 17, vocab: int = 5):
    gen = torch.Generator().manual_seed(seed)
    # many blanks and repeats, as in real CTC output
    ids = torch.randint(0, vocab, (bsz, n_frames), generator=gen)
    ids[torch.rand(bsz, n_frames, generator=gen) < 0.4] = 0
    lengths = torch.randint(0, n_frames + 1, (bsz,), generator=gen)
    lengths[0] = n_frames
    return ids, lengths


@pytest.mark.parametrize("seed", range(5))
def test_greedy_align_matches_reference(seed):
    ids, lengths = random_batch(seed)
    al = ctc_greedy_align(ids, lengths, pad_id=-7)
    assert al.tokens.size(1) == int(al.token_lens.max())
    for b in range(ids.size(0)):
        n_frames = int(lengths[b])
        tokens, frames = reference_greedy(ids[b, :n_frames].tolist())
        assert al.to_lists()[b] == tokens
        assert al.tokens[b, len(tokens) :].eq(-7).all()
        owner = al.frame_to_token[b]
        for i, fr in enumerate(frames):
            assert (owner == i).nonzero().flatten().tolist() == fr
        # frames of no token: blanks and padding
        owned = {t for fr in frames for t in fr}
        assert all(owner[t] == -1 for t in range(ids.size(1)) if t not in owned)


def test_repeat_separated_by_blank_gives_two_tokens():
    ids = torch.tensor([[0, 3, 3, 0, 3, 4, 4, 0, 0]])
    al = ctc_greedy_align(ids, torch.tensor([9]))
    assert al.to_lists() == [[3, 3, 4]]
    assert al.frame_to_token.tolist() == [[-1, 0, 0, -1, 1, 2, 2, -1, -1]]


def test_include_blanks_assigns_blanks_to_previous_token():
    ids = torch.tensor([[0, 3, 3, 0, 3, 4, 0, 0, 9]])
    al = ctc_greedy_align(ids, torch.tensor([8]), include_blanks=True)
    assert al.to_lists() == [[3, 3, 4]]
    # leading blank owns nothing; trailing blanks join token 2; frame 8 is padding
    assert al.frame_to_token.tolist() == [[-1, 0, 0, 0, 1, 2, 2, 2, -1]]


def test_all_blank_batch_has_no_tokens():
    al = ctc_greedy_align(torch.zeros(3, 6, dtype=torch.long), torch.tensor([6, 2, 0]))
    assert al.tokens.shape == (3, 0)
    assert al.token_lens.tolist() == [0, 0, 0]
    assert al.frame_to_token.eq(-1).all()


@pytest.mark.parametrize("seed", range(3))
def test_pool_frames_is_mean_of_owned_frames(seed):
    ids, lengths = random_batch(seed)
    enc = torch.randn(ids.size(0), ids.size(1), 4, generator=torch.Generator().manual_seed(seed))
    al = ctc_greedy_align(ids, lengths)
    pooled = pool_frames(enc, al.frame_to_token, al.tokens.size(1))
    assert pooled.shape == (ids.size(0), al.tokens.size(1), 4)
    for b in range(ids.size(0)):
        for i in range(al.tokens.size(1)):
            frames = (al.frame_to_token[b] == i).nonzero().flatten()
            expected = enc[b, frames].mean(0) if len(frames) else torch.zeros(4)
            torch.testing.assert_close(pooled[b, i], expected)
