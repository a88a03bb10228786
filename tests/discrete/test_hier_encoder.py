"""The hierarchical encoder of the discrete models: a lower encoder trained with a CTC loss toward
the source transcript (``src_ctc``), an upper encoder (``hier_encoder``) feeding the target losses.

The lower encoder (output size 32) and the upper one (output size 24) differ in width, so every
check also tells which of the two outputs a loss or the decoder read."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import yaml

from espnet_ext.discrete.vocab import JointVocab, upsample
from espnet_ext.pipeline.datadir import read_map
from tests.discrete.conftest import task_args
from tests.discrete.test_models import ENCODER, FAMILIES, batch_of, pair

RECIPE = Path(__file__).parents[2] / "egs2/mustc_discrete/st1"
UPPER = {**ENCODER, "output_size": 24, "num_blocks": 1}
SRC_CTC_WEIGHT = 0.3

pytestmark = pytest.mark.usefixtures("one_thread")


def hier_conf(family: str, src_ctc_weight: float = SRC_CTC_WEIGHT, hier: bool = True) -> dict:
    conf = {
        "frontend": "embed",
        "frontend_conf": {"embed_dim": 32, "positional_dropout_rate": 0.0},
        "encoder": "transformer",
        "encoder_conf": ENCODER,
        **FAMILIES[family],
    }
    if hier:
        conf.update(hier_encoder="transformer", hier_encoder_conf=UPPER)
    conf["model_conf"] = {**conf["model_conf"], "src_ctc_weight": src_ctc_weight}
    return conf


def build(task, toy_corpus, tmp_path, family="ctc", **kwargs):
    torch.manual_seed(0)
    args = task_args(task, toy_corpus, tmp_path, hier_conf(family, **kwargs))
    return args, task.build_model(args)


def transcript_ids(toy_corpus, utt="spk-0000007") -> list[int]:
    """The source text's joint-vocabulary ids, not repeated (mtdata's src_transcript)."""
    vocab = JointVocab(toy_corpus.joint)
    text = read_map(toy_corpus.data / "text.lc.rm.en")[utt]
    return vocab.to_ids(vocab.encode_text(text, upsample_text=False))


def hier_batch(toy_corpus, with_transcript=True) -> dict:
    st_ids, mt_ids, tgt_ids, _ = pair(toy_corpus)
    batch = batch_of([st_ids, mt_ids], tgt_ids)
    if with_transcript:
        tr = transcript_ids(toy_corpus)
        # padded with -1 as the collator does; both examples have the utterance's transcript
        batch["src_transcript"] = torch.tensor([tr + [-1, -1], tr + [-1, -1]])
        batch["src_transcript_lengths"] = torch.tensor([len(tr), len(tr)])
    return batch


def lower_and_upper(model, batch):
    """The two encoders run one after the other, outside the model's own encode."""
    feats, lens = model.frontend(batch["src_text"].clamp(min=0), batch["src_text_lengths"])
    low, low_lens, _ = model.encoder(feats, lens)
    up, up_lens, _ = model.hier_encoder(low, low_lens)
    return low, low_lens, up, up_lens


@pytest.mark.parametrize("family", list(FAMILIES))
def test_loss_is_the_weighted_sum_of_target_loss_and_source_ctc(
    task, toy_corpus, tmp_path, family
):
    _, model = build(task, toy_corpus, tmp_path, family)
    assert model.architecture == family and model.src_ctc_weight == SRC_CTC_WEIGHT
    # the source CTC predicts the joint vocabulary from the lower encoder's 32-dim output
    assert model.src_ctc.ctc_lo.in_features == 32
    assert model.src_ctc.ctc_lo.out_features == len(JointVocab(toy_corpus.joint).tokens)
    batch = hier_batch(toy_corpus)
    assert int(batch["src_transcript_lengths"][0]) * 4 == len(pair(toy_corpus)[1])  # K = 4
    model.train()  # dropout 0: deterministic
    loss, stats, _ = model(**batch)

    # the parts, computed apart: source CTC on the lower encoder, target loss on the upper one
    low, low_lens, up, up_lens = lower_and_upper(model, batch)
    enc, enc_lens = model.encode(batch["src_text"], batch["src_text_lengths"])
    assert enc.shape == up.shape == (2, int(batch["src_text_lengths"].max()), 24)
    assert torch.allclose(enc, up) and torch.equal(enc_lens, up_lens)
    src_part = model.src_ctc(
        low, low_lens, batch["src_transcript"], batch["src_transcript_lengths"]
    )
    src_ctc, model.src_ctc = model.src_ctc, None  # what the model computed before this change
    target_part, target_stats, _ = model(**batch)
    model.src_ctc = src_ctc
    if family == "ctc":
        frames, lens = model.alignment_frames(up, up_lens)
        assert torch.allclose(
            target_part, model.ctc(frames, lens, batch["text"], batch["text_lengths"])
        )
    assert "loss_src_ctc" not in target_stats
    expected = (1 - SRC_CTC_WEIGHT) * target_part + SRC_CTC_WEIGHT * src_part
    assert float(src_part) > 0 and float(target_part) > 0
    assert torch.allclose(loss, expected), (float(loss), float(expected))
    assert torch.allclose(stats["loss_src_ctc"], src_part) and torch.allclose(stats["loss"], loss)

    # one training step on both inputs: the source CTC's gradient reaches the lower encoder only
    model.zero_grad()
    src_part.backward()
    assert model.encoder.encoders[0].feed_forward.w_1.weight.grad.abs().sum() > 0
    assert all(p.grad is None or not p.grad.any() for p in model.hier_encoder.parameters())
    model.zero_grad()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss, _, _ = model(**batch)
    loss.backward()
    for part in (model.encoder, model.hier_encoder, model.src_ctc):
        grads = [p.grad for p in part.parameters() if p.grad is not None]
        assert grads and all(torch.isfinite(g).all() for g in grads)
        assert any(g.any() for g in grads), type(part).__name__
    opt.step()
    assert torch.isfinite(model(**batch)[0])


def test_missing_transcript(task, toy_corpus, tmp_path):
    """Training without the transcript data names it; outside training (validation or decoding
    data) the source term is skipped and the loss is the target loss."""
    _, model = build(task, toy_corpus, tmp_path, "ctc_att")
    batch = hier_batch(toy_corpus, with_transcript=False)
    model.train()
    with pytest.raises(ValueError, match=r"src_ctc_weight=0.3: the training data has no "
                       r"'src_transcript'.*src_transcript,src_transcript,text"):  # fmt: skip
        model(**batch)
    model.eval()
    with torch.no_grad():
        loss, stats, _ = model(**batch)
        assert stats["loss_src_ctc"] is None
        src_ctc, model.src_ctc = model.src_ctc, None
        target_loss, _, _ = model(**batch)
        model.src_ctc = src_ctc
    assert torch.allclose(loss, target_loss)


def test_inconsistent_hierarchical_configs_fail(task, toy_corpus, tmp_path):
    with pytest.raises(ValueError, match=r"src_ctc_weight=0.3 needs a hier_encoder"):
        build(task, toy_corpus, tmp_path, "ctc", hier=False)
    with pytest.raises(ValueError, match=r"src_ctc_weight must be in \[0, 1\)"):
        build(task, toy_corpus, tmp_path, "ctc", src_ctc_weight=1.0)


def test_hier_encoder_without_source_ctc_is_a_deeper_encoder(task, toy_corpus, tmp_path):
    _, model = build(task, toy_corpus, tmp_path, "ctc", src_ctc_weight=0.0)
    assert model.src_ctc is None and model.hier_encoder is not None
    batch = hier_batch(toy_corpus)  # the transcript is ignored
    loss, stats, _ = model(**batch)
    _, _, up, up_lens = lower_and_upper(model, batch)
    frames, lens = model.alignment_frames(up, up_lens)
    assert torch.allclose(loss, model.ctc(frames, lens, batch["text"], batch["text_lengths"]))
    assert "loss_src_ctc" not in stats


def test_greedy_ctc_decoding_reads_the_upper_encoder(task, toy_corpus, tmp_path):
    from espnet_ext.discrete.inference import Discrete2Text

    args, model = build(task, toy_corpus, tmp_path, "ctc")
    batch = hier_batch(toy_corpus)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(5):  # a few steps, so the best path is not all blanks
        loss, _, _ = model(**batch)
        opt.zero_grad()
        loss.backward()
        opt.step()
    exp = tmp_path / "exp"
    exp.mkdir()
    (exp / "config.yaml").write_text(yaml.safe_dump(vars(args)))
    torch.save(model.state_dict(), exp / "model.pth")
    decoder = Discrete2Text(exp / "config.yaml", exp / "model.pth", beam_size=1)
    assert decoder.model.hier_encoder is not None and decoder.model.src_ctc is not None
    model.eval()
    st_ids, mt_ids, _, _ = pair(toy_corpus)
    for src in (st_ids, mt_ids):
        best = decoder(src)[0]
        # best path over the target CTC on the up-sampled upper encoder output, step by step
        one = {"src_text": torch.tensor([src]), "src_text_lengths": torch.tensor([len(src)])}
        with torch.no_grad():
            _, _, up, up_lens = lower_and_upper(model, one)
            frames, _ = model.alignment_frames(up, up_lens)
            ids = model.ctc.log_softmax(frames)[0].argmax(-1).tolist()
        expected = [k for i, k in enumerate(ids) if k != 0 and (i == 0 or ids[i - 1] != k)]
        assert best.token_ids == expected and best.token_ids


def test_preprocessor_tokenises_the_transcript_with_the_joint_list(task, toy_corpus, tmp_path):
    args, _ = build(task, toy_corpus, tmp_path, "ctc")
    vocab = JointVocab(toy_corpus.joint)
    pieces = vocab.encode_text("the red bird sings", upsample_text=False)
    pre = task.build_preprocess_fn(args, True)
    out = pre("k", {"src_text": " ".join(upsample(pieces, 4)), "src_transcript": " ".join(pieces)})
    assert out["src_transcript"].tolist() == vocab.to_ids(pieces)
    assert out["src_text"].tolist() == vocab.to_ids(upsample(pieces, 4))
    assert task.optional_data_names(True, False) == ("src_transcript",)
    assert task.optional_data_names(False, True) == ()


def test_stats_training_and_decoding_read_the_transcript_file(task, toy_corpus, tmp_path):
    """mtdata's data dir through ESPnet: statistics (with the extra key), a few training steps of
    the hierarchical CTC model, decoding the speech-only dir."""
    from espnet_ext.bin import discrete_train
    from espnet_ext.discrete.inference import Discrete2Text, decode_dir
    from espnet_ext.discrete.mtdata import make_data

    data = tmp_path / "train.st_mt"
    make_data(toy_corpus.data, toy_corpus.joint, data, toy_corpus.data / "units", ("st", "mt"))
    conf = hier_conf("ctc")
    conf.update(
        max_epoch=1, num_iters_per_epoch=3, batch_type="numel", batch_bins=400, num_workers=0,
        num_att_plot=0, use_tensorboard=False, use_matplotlib=False, seed=0,
        best_model_criterion=[["valid", "loss", "min"]], keep_nbest_models=1,
    )  # fmt: skip
    config = tmp_path / "hier.yaml"
    config.write_text(yaml.safe_dump(conf))
    tokens = [
        "--token_type", "bpe", "--token_list", f"{toy_corpus.tgt_bpe}/tokens.txt",
        "--bpemodel", f"{toy_corpus.tgt_bpe}/bpe.model", "--src_token_type", "word",
        "--src_token_list", f"{toy_corpus.joint}/tokens.txt",
    ]  # fmt: skip
    files = (("src", "src_text"), ("text.tc.de", "text"), ("src_transcript", "src_transcript"))
    data_args = [
        arg
        for split in ("train", "valid")
        for f, name in files
        for arg in (f"--{split}_data_path_and_name_and_type", f"{data}/{f},{name},text")
    ]
    keys = tmp_path / "keys"
    keys.write_text("".join(f"{k}\n" for k in read_map(data / "src")))
    stats = tmp_path / "stats"
    discrete_train.main(
        ["--collect_stats", "true", "--use_preprocessor", "true", *tokens, *data_args,
         "--train_shape_file", str(keys), "--valid_shape_file", str(keys),
         "--output_dir", str(stats), "--config", str(config)]
    )  # fmt: skip
    shapes = read_map(stats / "train" / "src_transcript_shape")
    transcripts = read_map(data / "src_transcript")
    assert shapes.keys() == transcripts.keys()
    assert all(int(shapes[k]) == len(v.split()) for k, v in transcripts.items())

    exp = tmp_path / "exp"
    shape_args = [
        arg
        for split in ("train", "valid")
        for name in ("src_text", "text")
        for arg in (f"--{split}_shape_file", f"{stats}/train/{name}_shape")
    ]
    discrete_train.main(
        ["--use_preprocessor", "true", *tokens, *data_args, *shape_args,
         "--output_dir", str(exp), "--config", str(config), "--ngpu", "0"]
    )  # fmt: skip
    # both losses were reported in training and validation (the valid dir has transcripts too),
    # and the epoch's loss is their weighted sum
    checkpoint = torch.load(exp / "checkpoint.pth", map_location="cpu", weights_only=False)
    for split in ("train", "valid"):
        reported = checkpoint["reporter"]["stats"][1][split]
        expected = (1 - SRC_CTC_WEIGHT) * reported["loss_ctc"]
        expected += SRC_CTC_WEIGHT * reported["loss_src_ctc"]
        assert reported["loss"] == pytest.approx(expected, rel=1e-5), (split, reported)

    test = tmp_path / "test.st"
    make_data(toy_corpus.data, toy_corpus.joint, test, toy_corpus.data / "units", ("st",))
    decoder = Discrete2Text(exp / "config.yaml", exp / "1epoch.pth", beam_size=1)
    out = decode_dir(decoder, [(str(test / "src"), "src_text", "text")], tmp_path / "decode")
    assert out["utterances"] == len(read_map(test / "src"))


@pytest.mark.parametrize("family", ["mini", "tuning"])
def test_recipe_config_builds_a_hierarchical_ctc_model(task, toy_corpus, tmp_path, family):
    """conf/<family>/discrete_ctc_hier.yaml is discrete_ctc.yaml with its encoder split in two
    (same total depth and width) and the source CTC; the task builds it; systems.yaml's ctc_hier
    trains it on ST + MT and decodes it as the other CTC systems."""
    from espnet_ext.pipeline.systems import load_systems

    conf = yaml.safe_load((RECIPE / "conf" / family / "discrete_ctc_hier.yaml").read_text())
    flat = yaml.safe_load((RECIPE / "conf" / family / "discrete_ctc.yaml").read_text())
    lower, upper = conf["encoder_conf"], conf["hier_encoder_conf"]
    assert lower["num_blocks"] + upper["num_blocks"] == flat["encoder_conf"]["num_blocks"]
    assert lower["num_blocks"] >= upper["num_blocks"] > 0
    for part in (lower, upper):
        assert {k: v for k, v in part.items() if k != "num_blocks"} == {
            k: v for k, v in flat["encoder_conf"].items() if k != "num_blocks"
        }
    assert conf["model_conf"] == {**flat["model_conf"], "src_ctc_weight": 0.3}
    changed = ("encoder_conf", "hier_encoder", "hier_encoder_conf", "model_conf")
    assert {k: v for k, v in conf.items() if k not in changed} == {
        k: v for k, v in flat.items() if k not in changed
    }

    model = task.build_model(task_args(task, toy_corpus, tmp_path, conf))
    assert model.architecture == "ctc" and model.src_ctc_weight == 0.3
    assert len(model.encoder.encoders) == lower["num_blocks"]
    assert len(model.hier_encoder.encoders) == upper["num_blocks"]
    assert model.src_ctc.ctc_lo.out_features == len(JointVocab(toy_corpus.joint).tokens)

    systems = load_systems(RECIPE / "conf" / "systems.yaml")
    hier, flat_system = systems["ctc_hier"], systems["ctc_st_mt"]
    assert (hier.task, hier.config, hier.data_variant) == (
        "discrete",
        "discrete_ctc_hier.yaml",
        "st_mt",
    )
    assert (hier.inference_config, hier.inference_model) == (
        flat_system.inference_config,
        flat_system.inference_model,
    )
