"""Decoding-test fixtures: a briefly trained toy ST model, test waveforms, ESPnet's search."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from espnet_ext.bin import quiet_espnet_import
from tests.fixtures import decoding as toy

quiet_espnet_import()

# words per test utterance: varied lengths, from one word (0.14 s) to twelve (1.3 s)
TEST_WORDS = [
    [3],
    [1, 5, 9, 2, 7, 7, 0, 4, 11, 6, 18, 2],
    [4, 4],
    [13, 2, 8, 17, 1],
    [19, 0, 6],
    [5, 12, 12, 3, 9, 15, 14, 10],
    [16],
    [2, 11, 8, 6, 0, 1, 9],
]


@pytest.fixture(scope="session")
def toy_model():
    """(model, train args): the toy Transformer ST model after 100 training steps."""
    torch.set_num_threads(1)
    model, args = toy.build_model(toy.model_config())
    toy.train(model, steps=100, batch=8, lr=5e-3)
    return model, args


@pytest.fixture(scope="session")
def toy_exp(toy_model, tmp_path_factory):
    """(config.yaml, model.pth) of the toy model, saved as ESPnet's trainer does."""
    model, args = toy_model
    return toy.save_exp(model, args, tmp_path_factory.mktemp("toy_exp"))


@pytest.fixture(scope="session")
def waves() -> list[torch.Tensor]:
    rng = np.random.default_rng(123)
    return [torch.from_numpy(toy.synth(w, rng)) for w in TEST_WORDS]


def encode_each(model, waves):
    """Batch-1 encoder outputs, as st_inference computes them: list of (T_b, D)."""
    with torch.no_grad():
        return [model.encode(w[None], torch.tensor([len(w)]))[0][0] for w in waves]


def espnet_search(
    model,
    beam,
    ctc_weight=0.0,
    penalty=0.0,
    batch=False,
    pre_beam_ratio=1.5,
    normalize_length=False,
):
    """ESPnet's search configured as espnet2.bin.st_inference configures it."""
    from espnet.nets.batch_beam_search import BatchBeamSearch
    from espnet.nets.beam_search import BeamSearch
    from espnet.nets.scorers.ctc import CTCPrefixScorer
    from espnet.nets.scorers.length_bonus import LengthBonus

    scorers = {"decoder": model.decoder, "length_bonus": LengthBonus(len(model.token_list))}
    if ctc_weight > 0:
        scorers["ctc"] = CTCPrefixScorer(ctc=model.st_ctc, eos=model.eos)
    weights = {"decoder": 1.0 - ctc_weight, "ctc": ctc_weight, "length_bonus": penalty}
    cls = BatchBeamSearch if batch else BeamSearch
    return cls(
        scorers=scorers,
        weights=weights,
        beam_size=beam,
        vocab_size=len(model.token_list),
        sos=model.sos,
        eos=model.eos,
        token_list=model.token_list,
        pre_beam_ratio=pre_beam_ratio,
        pre_beam_score_key="full",
        normalize_length=normalize_length,
    ).eval()


def espnet_nbest(search, encs, maxlenratio=0.0, minlenratio=0.0):
    """Per utterance: list of (yseq list, float score) of ESPnet's finished hypotheses."""
    out = []
    with torch.no_grad():
        for x in encs:
            hyps = search(x=x, maxlenratio=maxlenratio, minlenratio=minlenratio)
            out.append([(h.yseq.tolist(), float(h.score)) for h in hyps])
    return out
