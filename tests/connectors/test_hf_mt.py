"""The recipe's Marian MT task (hf_mt): tokenizer from stage-5 SentencePiece models, loss, and
training -> export -> decoding through the CLIs the stage pipeline runs."""

from __future__ import annotations

import json

import pytest
import torch
import yaml

from espnet_ext.bin import hf_mt_export, hf_mt_inference, hf_mt_train
from espnet_ext.connectors.hf_mt import (
    ESPnetHFMTModel,
    build_marian,
    build_tokenizer,
    marian_vocab,
)
from espnet_ext.connectors.hf_mt_inference import load_model
from espnet_ext.connectors.mt import load_mt_model, load_mt_tokenizer
from espnet_ext.pipeline.tokenizer import train_sentencepiece

SOURCES = [
    "you will need three cups of milk",
    "the woman will go to the quiet restaurant",
    "he thinks that they will live in italy",
    "add two spoons of butter",
    "the cat sat on the mat",
    "i like speech translation",
]
TARGETS = [
    "Você vai precisar de três xícaras de leite.",
    "A mulher vai para o restaurante tranquilo.",
    "Ele acha que eles vão morar na Itália.",
    "Adicione duas colheres de manteiga.",
    "O gato sentou no tapete.",
    "Eu gosto de tradução de fala.",
]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """A dumped text data dir (Kaldi text, source and target) and stage-5 token dirs."""
    root = tmp_path_factory.mktemp("hf_mt")
    keys = [f"spk1-utt{i}" for i in range(len(SOURCES))]
    for name, texts in (("text.lc.rm.en", SOURCES), ("text.tc.pt", TARGETS)):
        lines = "".join(f"{k} {t}\n" for k, t in zip(keys, texts))
        (root / name).write_text(lines, encoding="utf-8")
    train_sentencepiece([root / "text.lc.rm.en"], root / "src", 40)
    train_sentencepiece([root / "text.tc.pt"], root / "tgt", 40)
    return root


def tokenizer_of(data):
    src, tgt = data / "src", data / "tgt"
    return build_tokenizer(
        src / "tokens.txt", src / "bpe.model", tgt / "tokens.txt", tgt / "bpe.model"
    )


def test_vocab_is_specials_then_token_list_pieces(data):
    vocab = marian_vocab(data / "tgt" / "tokens.txt", data / "tgt" / "bpe.model")
    tokens = (data / "tgt" / "tokens.txt").read_text(encoding="utf-8").splitlines()
    assert tokens[:2] == ["<blank>", "<unk>"] and tokens[-1] == "<sos/eos>"
    assert list(vocab) == ["</s>", "<unk>", "<pad>", *tokens[2:-1]]
    assert list(vocab.values()) == list(range(len(vocab)))
    # a token list of another SentencePiece model is refused, naming both files
    with pytest.raises(ValueError, match=r"src/tokens.txt .* does not match .*tgt/bpe.model"):
        marian_vocab(data / "src" / "tokens.txt", data / "tgt" / "bpe.model")


def test_tokenizer_encodes_each_side_with_its_model_and_survives_save_reload(data, tmp_path):
    tok = tokenizer_of(data)
    assert (tok.eos_token_id, tok.unk_token_id, tok.pad_token_id) == (0, 1, 2)
    src_ids = tok(SOURCES[0]).input_ids
    inverse = {i: t for t, i in tok.encoder.items()}
    assert "".join(inverse[i] for i in src_ids[:-1]).replace("▁", " ").strip() == SOURCES[0]
    tgt_ids = tok(text_target=TARGETS[0]).input_ids
    assert src_ids[-1] == tgt_ids[-1] == 0 and 1 not in tgt_ids
    assert tok.decode(tgt_ids, skip_special_tokens=True) == TARGETS[0]

    tok.save_pretrained(tmp_path)
    reloaded = load_mt_tokenizer(str(tmp_path))
    assert type(reloaded) is type(tok)
    assert reloaded(SOURCES[1]).input_ids == tok(SOURCES[1]).input_ids
    assert reloaded(text_target=TARGETS[1]).input_ids == tok(text_target=TARGETS[1]).input_ids


def tiny_marian(tok, **kwargs):
    torch.manual_seed(0)
    conf = dict(
        d_model=16,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=32,
        decoder_ffn_dim=32,
        max_position_embeddings=64,
    )
    conf.update(kwargs)
    return build_marian(len(tok.encoder), len(tok.target_encoder), 2, 0, **conf)


def batch_of(tok, n=3):
    """ESPnet-style batch: -1-padded ids and lengths."""
    src = [tok(s).input_ids for s in SOURCES[:n]]
    tgt = [tok(text_target=t).input_ids for t in TARGETS[:n]]

    def pad(seqs):
        out = torch.full((len(seqs), max(map(len, seqs))), -1, dtype=torch.long)
        for i, s in enumerate(seqs):
            out[i, : len(s)] = torch.tensor(s)
        return out, torch.tensor([len(s) for s in seqs])

    (xs, xl), (ys, yl) = pad(src), pad(tgt)
    return dict(src_text=xs, src_text_lengths=xl, text=ys, text_lengths=yl)


def test_loss_equals_marians_own_loss_and_the_smoothing_formula(data):
    tok = tokenizer_of(data)
    marian = tiny_marian(tok, dropout=0.0).eval()
    batch = batch_of(tok)
    plain = ESPnetHFMTModel(marian, tok, label_smoothing=0.0)
    loss, stats, weight = plain(**batch)
    mask = batch["src_text"] != -1
    labels = batch["text"].masked_fill(batch["text"] == -1, -100)
    reference = marian(
        input_ids=batch["src_text"].masked_fill(~mask, 2),
        attention_mask=mask.long(),
        labels=labels,
    )
    assert torch.allclose(loss, reference.loss, atol=1e-6) and int(weight) == 3
    assert 0.0 <= float(stats["acc"]) <= 1.0

    smoothed, _, _ = ESPnetHFMTModel(marian, tok, label_smoothing=0.1)(**batch)
    logp = reference.logits.log_softmax(-1)
    scored = labels != -100
    nll = -logp.gather(-1, labels.clamp(min=0)[..., None])[..., 0][scored]
    uniform = -logp.mean(-1)[scored]
    assert torch.allclose(smoothed, (0.9 * nll + 0.1 * uniform).mean(), atol=1e-5)
    with pytest.raises(ValueError, match="label_smoothing must be in"):
        ESPnetHFMTModel(marian, tok, label_smoothing=1.0)


def write_config(path):
    config = {
        "marian_conf": {
            "d_model": 16,
            "encoder_layers": 1,
            "decoder_layers": 1,
            "encoder_attention_heads": 2,
            "decoder_attention_heads": 2,
            "encoder_ffn_dim": 32,
            "decoder_ffn_dim": 32,
            "max_position_embeddings": 64,
            "num_beams": 2,
        },
        "model_conf": {"label_smoothing": 0.1, "extract_feats_in_collect_stats": False},
        "optim": "adam",
        "optim_conf": {"lr": 0.01},
        # a 3-best average, as the recipe decodes and exports
        "max_epoch": 3,
        "batch_type": "numel",
        "batch_bins": 60,
        "best_model_criterion": [["valid", "acc", "max"]],
        "keep_nbest_models": 3,
        "num_workers": 0,
        "num_att_plot": 0,
        "use_matplotlib": False,
        "use_tensorboard": False,
        "seed": 0,
    }
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def test_stats_train_export_decode_as_the_pipeline_runs_them(data, tmp_path):
    src, tgt = data / "src", data / "tgt"
    tokens = [
        "--token_type", "bpe", "--token_list", f"{tgt}/tokens.txt",
        "--bpemodel", f"{tgt}/bpe.model", "--src_token_type", "bpe", "--src_token_list", f"{src}/tokens.txt",
        "--src_bpemodel", f"{src}/bpe.model",
    ]  # fmt: skip
    files = [f"{data}/text.lc.rm.en,src_text,text", f"{data}/text.tc.pt,text,text"]
    data_args = []
    for split in ("train", "valid"):
        for f in files:
            data_args += [f"--{split}_data_path_and_name_and_type", f]
    keys = tmp_path / "keys"
    keys.write_text("".join(f"spk1-utt{i}\n" for i in range(len(SOURCES))), encoding="utf-8")
    config = write_config(tmp_path / "mt.yaml")
    stats = tmp_path / "stats"
    hf_mt_train.main(
        ["--collect_stats", "true", "--use_preprocessor", "true", *tokens, *data_args,
         "--train_shape_file", str(keys), "--valid_shape_file", str(keys),
         "--output_dir", str(stats), "--config", str(config)]
    )  # fmt: skip
    shapes = dict(
        line.split() for line in (stats / "train" / "text_shape").read_text().splitlines()
    )
    tok = tokenizer_of(data)
    assert shapes["spk1-utt2"] == str(len(tok(text_target=TARGETS[2]).input_ids))

    exp = tmp_path / "exp"
    shape_args = []
    for split in ("train", "valid"):
        for name in ("src_text", "text"):
            shape_args += [f"--{split}_shape_file", f"{stats}/train/{name}_shape"]
    hf_mt_train.main(
        ["--use_preprocessor", "true", *tokens, *data_args, *shape_args, "--resume", "true",
         "--output_dir", str(exp), "--config", str(config), "--ngpu", "0"]
    )  # fmt: skip
    model_file = exp / "valid.acc.ave_3best.pth"
    assert model_file.exists()

    hf_mt_export.main(["--exp-dir", str(exp), "--model-file", str(model_file)])
    hf = exp / "hf_model"
    assert json.loads((hf / "export.json").read_text())["model_file"] == str(model_file.resolve())
    model, _ = load_model(exp / "config.yaml", model_file)
    exported = load_mt_model(str(hf)).eval()
    state = exported.state_dict()
    for name, value in model.mt_model.state_dict().items():
        assert torch.equal(state[name], value), name

    decode_conf = tmp_path / "decode.yaml"
    decode_conf.write_text("beam_size: 3\nmax_new_tokens: 7\nbatch_size: 4\n", encoding="utf-8")
    out = tmp_path / "decode"
    (tmp_path / "some_keys").write_text("spk1-utt1\nspk1-utt4\n", encoding="utf-8")
    hf_mt_inference.main(
        ["--ngpu", "0", "--batch_size", "1", "--data_path_and_name_and_type", files[0],
         "--key_file", str(tmp_path / "some_keys"), "--train_config", str(exp / "config.yaml"),
         "--model_file", str(model_file), "--output_dir", str(out), "--config", str(decode_conf)]
    )  # fmt: skip
    hyps = dict(
        (line.split(" ", 1) + [""])[:2] for line in (out / "text").read_text().splitlines()
    )
    assert list(hyps) == ["spk1-utt1", "spk1-utt4"]
    rtf = json.loads((out / "rtf.json").read_text())
    # the command line's --batch_size wins over the config file, the file's beam size is used
    assert (rtf["n_utts"], rtf["beam_size"], rtf["batch_size"]) == (2, 3, 1)
    # decoding the ESPnet checkpoint == decoding the exported model loaded by path
    hf_tok = load_mt_tokenizer(str(hf))
    for key, i in (("spk1-utt1", 1), ("spk1-utt4", 4)):
        ids = exported.generate(
            **hf_tok([SOURCES[i]], return_tensors="pt"), num_beams=3, max_new_tokens=7
        )
        assert hyps[key] == hf_tok.decode(ids[0], skip_special_tokens=True).strip()


def test_loading_restores_the_exact_sinusoidal_position_tables(data):
    # ESPnet's n-best averaging computes (a + a + a) / 3 for these constants, which rounds
    tok = tokenizer_of(data)
    model = ESPnetHFMTModel(tiny_marian(tok), tok)
    key = "mt_model.model.encoder.embed_positions.weight"
    exact = model.state_dict()[key].clone()
    state = {k: v.clone() for k, v in model.state_dict().items()}
    state[key] = (state[key] + state[key] + state[key]) / 3
    assert not torch.equal(state[key], exact)
    model.load_state_dict(state)
    assert torch.equal(model.state_dict()[key], exact)
