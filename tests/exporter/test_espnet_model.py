"""ESPnetExporterModel on the tiny ASR/MT experiments: counts, injection, frozen/trained MT."""

from __future__ import annotations

import argparse
import itertools

import pytest
import soundfile
import torch

from espnet_ext.exporter.mt_input import embed_tokens, encode_embeddings, encode_tokens
from espnet_ext.exporter.pretrained import check_vocabularies
from tests.exporter.conftest import build_args


def read_kaldi(path) -> dict[str, str]:
    lines = path.read_text().splitlines()
    return dict((line.split(maxsplit=1) + [""])[:2] for line in lines)


def padded(rows: list[torch.Tensor], value) -> tuple[torch.Tensor, torch.Tensor]:
    lens = torch.tensor([len(r) for r in rows])
    out = torch.full((len(rows), int(lens.max())), value, dtype=rows[0].dtype)
    for b, r in enumerate(rows):
        out[b, : len(r)] = r
    return out, lens


def make_batch(setup, n: int = 5) -> dict[str, torch.Tensor]:
    """The first ``n`` utterances as a training batch (text ids padded with -1)."""
    wavs = read_kaldi(setup.data / "wav.scp")
    keys = sorted(wavs)[:n]
    speech, speech_lens = padded(
        [torch.tensor(soundfile.read(wavs[k], dtype="float32")[0]) for k in keys], 0.0
    )
    batch = {"speech": speech, "speech_lengths": speech_lens}
    for name, file, tokens in (
        ("text", "text.tgt", "tokens.tgt"),
        ("src_text", "text.src", "tokens.src"),
    ):
        vocab = (setup.root / tokens).read_text().split()
        texts = read_kaldi(setup.data / file)
        ids = [torch.tensor([vocab.index(w) for w in texts[k].split()]) for k in keys]
        batch[name], batch[f"{name}_lengths"] = padded(ids, -1)
    return batch


def build(setup, **model_conf):
    from espnet_ext.exporter.task import build_exporter_model

    torch.manual_seed(0)
    args = build_args(setup, **model_conf)
    model, _, _ = build_exporter_model(args)
    return model, args


def snapshot(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def adam_steps(model, batch, n: int = 2) -> None:
    """ESPnet's way: one optimizer over all parameters (frozen ones included), weight decay on."""
    optim = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=0.01)
    model.train()
    for _ in range(n):
        optim.zero_grad()
        loss, _, _ = model(**batch)
        loss.backward()
        optim.step()


def test_one_vector_per_1best_token_in_a_padded_batch(tiny_setup):
    model, _ = build(tiny_setup)
    model.eval()
    batch = make_batch(tiny_setup, n=6)
    with torch.no_grad():
        enc, enc_lens = model.asr_encode(batch["speech"], batch["speech_lengths"])
        al = model.align(enc, enc_lens)
        vectors = model.export(enc, enc_lens, al)
        frame_ids = model.asr.ctc.argmax(enc)
    assert len(set(enc_lens.tolist())) > 1, "the batch should need padding"
    assert al.token_lens.min() >= 2 and len(set(al.token_lens.tolist())) > 1
    assert vectors.shape == (6, int(al.token_lens.max()), model.mt.frontend.output_size())
    for b in range(6):
        labels = frame_ids[b, : int(enc_lens[b])].tolist()
        best = [k for k, _ in itertools.groupby(labels) if k != model.asr.blank_id]
        n = len(best)
        assert al.to_lists()[b] == best
        assert vectors[b, :n].abs().sum(-1).gt(0).all() and vectors[b, n:].eq(0).all()


def test_injected_embeddings_reproduce_mt_encode(tiny_models):
    _, _, mt, _ = tiny_models
    gen = torch.Generator().manual_seed(0)
    lens = torch.tensor([5, 2, 0, 4])
    tokens = torch.randint(2, mt.src_vocab_size - 1, (4, 5), generator=gen)
    with torch.no_grad():
        ref, ref_lens = encode_tokens(mt, tokens, lens)
        got, got_lens = encode_embeddings(mt, embed_tokens(mt, tokens), lens)
    assert got_lens.tolist() == ref_lens.tolist() == (lens + 1).tolist()
    for b, n in enumerate(ref_lens.tolist()):
        torch.testing.assert_close(got[b, :n], ref[b, :n], rtol=0, atol=1e-6)


def test_oracle_export_is_the_mt_embedding_lookup(tiny_setup):
    model, _ = build(tiny_setup)
    model.eval()
    batch = make_batch(tiny_setup, n=3)
    with torch.no_grad():
        enc, enc_lens = model.asr_encode(batch["speech"], batch["speech_lengths"])
        al = model.align(enc, enc_lens)
        oracle = model.export(enc, enc_lens, al, oracle=True)
    table = model.mt.frontend.embed[0].weight
    for b, ids in enumerate(al.to_lists()):
        assert torch.equal(oracle[b, : len(ids)], table[ids])


def test_forward_stats_and_l2_definition(tiny_setup):
    model, _ = build(tiny_setup, l2_weight=1.0, ce_weight=0.5)
    model.eval()
    batch = make_batch(tiny_setup, n=4)
    with torch.no_grad():
        loss, stats, weight = model(**batch)
        enc, enc_lens = model.asr_encode(batch["speech"], batch["speech_lengths"])
        al = model.align(enc, enc_lens)
        vec = model.export(enc, enc_lens, al)
    assert int(weight) == 4
    diffs = [
        ((vec[b, : len(ids)] - embed_tokens(model.mt, torch.tensor(ids))) ** 2).sum(-1)
        for b, ids in enumerate(al.to_lists())
    ]
    sq = torch.cat(diffs)
    assert float(stats["l2"]) == pytest.approx(float(sq.mean()), rel=1e-5)
    assert float(stats["l2_dist"]) == pytest.approx(float(sq.sqrt().mean()), rel=1e-5)
    assert float(loss) == pytest.approx(float(stats["l2"] + 0.5 * stats["ce"]), rel=1e-6)
    assert 0.0 <= float(stats["acc"]) <= 1.0


def test_fixed_mt_stays_bit_identical_and_ce_reaches_the_exporter(tiny_setup):
    # l2_weight 0: the exporter's only gradient is the MT cross-entropy through the frozen MT
    model, args = build(tiny_setup, mt_mode="fixed", l2_weight=0.0, ce_weight=1.0)
    assert args.freeze_param == ["asr.frontend", "asr.encoder", "asr.decoder", "asr.ctc", "mt"]
    batch = make_batch(tiny_setup)
    mt_before, asr_before, exp_before = (
        snapshot(model.mt),
        snapshot(model.asr),
        snapshot(model.exporter),
    )
    model.train()
    assert not model.mt.training and not model.asr.training and model.exporter.training
    loss, _, _ = model(**batch)
    loss.backward()
    assert all(p.grad is None for p in model.mt.parameters())
    assert all(p.grad is None for p in model.asr.parameters())
    grads = [p.grad for p in model.exporter.parameters()]
    assert all(g is not None for g in grads) and sum(g.abs().sum() for g in grads) > 0
    adam_steps(model, batch)
    for name, value in snapshot(model.mt).items():
        assert torch.equal(value, mt_before[name]), name
    for name, value in snapshot(model.asr).items():
        assert torch.equal(value, asr_before[name]), name
    changed = [n for n, v in snapshot(model.exporter).items() if not torch.equal(v, exp_before[n])]
    assert changed


def test_fixed_mt_with_trained_asr_encoder(tiny_setup):
    model, args = build(tiny_setup, mt_mode="fixed", l2_weight=0.0, train_asr_encoder=True)
    assert args.freeze_param == ["asr.frontend", "asr.decoder", "asr.ctc", "mt"]
    batch = make_batch(tiny_setup)
    model.train()
    assert model.asr.encoder.training and not model.asr.ctc.training and not model.mt.training
    loss, _, _ = model(**batch)
    loss.backward()
    enc_grads = [p.grad for p in model.asr.encoder.parameters()]
    assert all(g is not None for g in enc_grads) and sum(g.abs().sum() for g in enc_grads) > 0
    assert all(p.grad is None for p in model.asr.ctc.parameters())
    mt_before, enc_before = snapshot(model.mt), snapshot(model.asr.encoder)
    adam_steps(model, batch)
    assert all(torch.equal(v, mt_before[k]) for k, v in snapshot(model.mt).items())
    assert any(not torch.equal(v, enc_before[k]) for k, v in snapshot(model.asr.encoder).items())


def test_incremental_mode_trains_the_mt(tiny_setup):
    model, args = build(tiny_setup, mt_mode="incremental", text_mt_weight=0.5)
    assert "mt" not in args.freeze_param
    batch = make_batch(tiny_setup)
    model.train()
    assert model.mt.training
    _, stats, _ = model(**batch)
    assert "text_mt" in stats
    mt_before = snapshot(model.mt)
    adam_steps(model, batch)
    changed = [k for k, v in snapshot(model.mt).items() if not torch.equal(v, mt_before[k])]
    assert any(k.startswith("decoder.") for k in changed)
    assert any(k.startswith("encoder.") for k in changed)


def test_frozen_flags_follow_freeze_param(tiny_setup):
    model, args = build(tiny_setup, train_asr_encoder=True)
    for name, p in model.named_parameters():
        frozen = any(name == f or name.startswith(f + ".") for f in args.freeze_param)
        assert p.requires_grad == (not frozen), name


@pytest.mark.parametrize(
    "conf, message",
    [
        (dict(mt_mode="frozen"), "unknown mt_mode 'frozen'"),
        (dict(asr_ctc_weight=0.3), "asr_ctc_weight > 0 needs train_asr_encoder"),
        (dict(text_mt_weight=0.3), "text_mt_weight > 0 needs mt_mode: incremental"),
        (dict(l2_weight=-1.0), "l2_weight must be >= 0"),
    ],
)
def test_bad_model_conf(tiny_setup, conf, message):
    with pytest.raises(ValueError, match=message):
        build(tiny_setup, **conf)


def test_vocabulary_mismatch_is_reported():
    asr = argparse.Namespace(token_list=["<blank>", "<unk>", "a", "b", "<sos/eos>"])
    mt = argparse.Namespace(src_token_list=["<blank>", "<unk>", "a", "c", "<sos/eos>"])
    with pytest.raises(ValueError, match=r"first at id 3: 'b' vs 'c'"):
        check_vocabularies(asr, mt)
    check_vocabularies(asr, argparse.Namespace(src_token_list=list(asr.token_list)))
