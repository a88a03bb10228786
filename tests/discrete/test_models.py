"""Each model family trains on both input types and decodes both.

One ST example (units) and one MT example (4x up-sampled text) with the same target form the
batch. AED and CTC/attention learn it by heart and must decode both inputs to the target through
the saved config and checkpoint. CTC and RNN-T memorise far more slowly (hundreds of steps), so
they must halve their loss, and their search must match a step-by-step reference (best path for
CTC, one-symbol-per-frame greedy search for RNN-T)."""

from __future__ import annotations

import pytest
import torch
import yaml

from espnet_ext.discrete.vocab import JointVocab
from espnet_ext.pipeline.datadir import read_map
from tests.discrete.conftest import task_args

ENCODER = {
    "output_size": 32,
    "attention_heads": 2,
    "linear_units": 64,
    "num_blocks": 2,
    "input_layer": None,
    "dropout_rate": 0.0,
    "positional_dropout_rate": 0.0,
    "attention_dropout_rate": 0.0,
}
ATT_DECODER = {
    "attention_heads": 2,
    "linear_units": 64,
    "num_blocks": 1,
    "dropout_rate": 0.0,
    "positional_dropout_rate": 0.0,
    "self_attention_dropout_rate": 0.0,
    "src_attention_dropout_rate": 0.0,
}
FAMILIES = {
    "aed": {
        "decoder": "transformer",
        "decoder_conf": ATT_DECODER,
        "model_conf": {"ctc_weight": 0.0},
    },
    "ctc": {"decoder": "none", "model_conf": {"ctc_weight": 1.0, "ctc_upsample_ratio": 2}},
    "ctc_att": {
        "decoder": "transformer",
        "decoder_conf": ATT_DECODER,
        "model_conf": {"ctc_weight": 0.3, "ctc_upsample_ratio": 2},
    },
    "rnnt": {
        "decoder": "transducer",
        "decoder_conf": {"rnn_type": "lstm", "num_layers": 1, "hidden_size": 32},
        "joint_net_conf": {"joint_space_size": 32},
        "model_conf": {"ctc_weight": 0.0},
    },
}


# tiny models: threads only add overhead, and CI machines are shared
pytestmark = pytest.mark.usefixtures("one_thread")


def build_args(task, toy_corpus, tmp_path, family: str):
    conf = {
        "frontend": "embed",
        "frontend_conf": {"embed_dim": 32, "positional_dropout_rate": 0.0},
        "encoder": "transformer",
        "encoder_conf": ENCODER,
        **FAMILIES[family],
    }
    return task_args(task, toy_corpus, tmp_path, conf)


def pair(toy_corpus, utt="spk-0000007"):
    """The ST and MT inputs of one utterance (joint ids) and its target ids."""
    import sentencepiece as spm

    vocab = JointVocab(toy_corpus.joint)
    units = [int(x) for x in read_map(toy_corpus.data / "units")[utt].split()]
    text = read_map(toy_corpus.data / "text.lc.rm.en")[utt]
    target = read_map(toy_corpus.data / "text.tc.de")[utt]
    sp = spm.SentencePieceProcessor(model_file=str(toy_corpus.tgt_bpe / "bpe.model"))
    tgt_tokens = [
        t.rstrip("\n") for t in open(toy_corpus.tgt_bpe / "tokens.txt", encoding="utf-8")
    ]
    tgt_ids = [tgt_tokens.index(p) for p in sp.encode(target, out_type=str)]
    return (
        vocab.to_ids(vocab.encode_units(units)),
        vocab.to_ids(vocab.encode_text(text)),
        tgt_ids,
        target,
    )


def batch_of(srcs, tgt):
    def pad(seqs):
        return torch.nn.utils.rnn.pad_sequence([torch.tensor(x) for x in seqs], True, -1)

    return {
        "src_text": pad(srcs),
        "src_text_lengths": torch.tensor([len(s) for s in srcs]),
        "text": pad([tgt] * len(srcs)),
        "text_lengths": torch.tensor([len(tgt)] * len(srcs)),
    }


@pytest.mark.parametrize("family", list(FAMILIES))
def test_family_trains_and_decodes_both_inputs(task, toy_corpus, tmp_path, family):
    from espnet_ext.discrete.inference import Discrete2Text

    torch.manual_seed(0)
    args = build_args(task, toy_corpus, tmp_path, family)
    model = task.build_model(args)
    assert model.architecture == family
    st_ids, mt_ids, tgt_ids, target = pair(toy_corpus)
    # one embedding for both input types: unit and text ids index the same table
    emb = model.frontend.embed[0]
    assert emb.num_embeddings == len(JointVocab(toy_corpus.joint).tokens)
    assert max(st_ids) > max(mt_ids)  # unit pieces follow the text pieces in the joint list

    batch = batch_of([st_ids, mt_ids], tgt_ids)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    model.train()
    memorise = family in ("aed", "ctc_att")
    first = None
    n_steps = 0
    while n_steps < (300 if memorise else 40):
        n_steps += 1
        loss, stats, _ = model(**batch)
        assert torch.isfinite(loss)
        first = first if first is not None else float(loss)
        # per-sequence attention loss below 0.3: the target has probability > 0.74 (checked
        # before the update, which at this learning rate can overshoot)
        att = float(stats["loss_att"]) if memorise else float("inf")
        if att < 0.3:
            break
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert att < 0.3 if memorise else float(loss) < 0.5 * first, (n_steps, first, float(loss))

    # decode through the saved config and checkpoint, as the inference CLI does
    exp = tmp_path / "exp"
    exp.mkdir()
    (exp / "config.yaml").write_text(yaml.safe_dump(vars(args)))
    torch.save(model.state_dict(), exp / "model.pth")
    decoder = Discrete2Text(
        exp / "config.yaml", exp / "model.pth", beam_size=1 if family == "rnnt" else 3
    )
    if family == "ctc_att":
        # joint decoding: the CTC prefix scorer at the training's CTC weight
        assert decoder.search.weights["ctc"] == 0.3 and "ctc" in decoder.search.part_scorers
        for src in (st_ids, mt_ids):
            assert decoder(src)[0].token_ids
        # the memorised attention branch alone gives the target (its CTC branch is still young)
        decoder = Discrete2Text(
            exp / "config.yaml", exp / "model.pth", beam_size=3, ctc_weight=0.0
        )
    for src in (st_ids, mt_ids):
        best = decoder(src)[0]
        if family == "rnnt":
            assert best.token_ids == greedy_transducer(decoder.model, src)
        elif family == "ctc":
            assert best.token_ids == best_path(decoder.model, src)
        else:
            assert best.token_ids == tgt_ids
            assert best.text == target
        assert 0 not in best.token_ids and decoder.model.eos not in best.token_ids


@torch.no_grad()
def best_path(model, src: list[int]) -> list[int]:
    enc, lens = model.encode(torch.tensor([src]), torch.tensor([len(src)]))
    frames, _ = model.alignment_frames(enc, lens)
    assert frames.size(1) == 2 * enc.size(1)  # ctc_upsample_ratio: 2
    ids = model.ctc.log_softmax(frames)[0].argmax(-1).tolist()
    return [k for i, k in enumerate(ids) if k != 0 and (i == 0 or ids[i - 1] != k)]


@torch.no_grad()
def greedy_transducer(model, src: list[int]) -> list[int]:
    """At most one symbol per frame: the prediction network advances on each non-blank."""
    enc, _ = model.encode(torch.tensor([src]), torch.tensor([len(src)]))
    dec = model.decoder
    out, state = dec.rnn_forward(dec.embed(torch.tensor([[0]])), dec.init_state(1))
    hyp = []
    for frame in enc[0]:
        k = int(model.joint_network(frame, out[0, 0]).argmax())
        if k != 0:
            hyp.append(k)
            out, state = dec.rnn_forward(dec.embed(torch.tensor([[k]])), state)
    return hyp


def test_inconsistent_configs_fail(task, toy_corpus, tmp_path):
    args = build_args(task, toy_corpus, tmp_path, "ctc")
    args.model_conf = {"ctc_weight": 0.5}
    with pytest.raises(ValueError, match="without a decoder the model is pure CTC"):
        task.build_model(args)
    args = build_args(task, toy_corpus, tmp_path, "aed")
    args.model_conf = {"ctc_weight": 1.0}
    with pytest.raises(ValueError, match="decoder: none for CTC"):
        task.build_model(args)
