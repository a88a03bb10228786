"""The discrete AED started from a pretrained text model (``encoder/decoder: hf_seq2seq``).

A tiny MBart (and a tiny Marian) is saved with a tokenizer whose vocabulary holds some of the toy
corpus's target and source-text pieces, then the model is built the way training builds it
(``DiscreteSTTask.build_model`` from a YAML config, ``init: xavier_uniform``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch
import yaml

from espnet_ext.discrete.vocab import JointVocab, read_token_list
from tests.discrete.conftest import task_args
from tests.discrete.test_models import batch_of, pair

SPECIALS = ["<s>", "<pad>", "</s>", "<unk>"]
# the transformer stacks of every tiny pretrained model here (vocabularies differ)
TINY_STACKS = dict(
    d_model=16,
    encoder_layers=2,
    decoder_layers=1,
    encoder_attention_heads=2,
    decoder_attention_heads=2,
    encoder_ffn_dim=32,
    decoder_ffn_dim=32,
    max_position_embeddings=512,
)


pytestmark = pytest.mark.usefixtures("one_thread")


def pretrained_vocab(toy_corpus) -> list[str]:
    """Every other target piece, every third source-text piece, and pieces we never use."""
    target = read_token_list(toy_corpus.tgt_bpe / "tokens.txt")[2:-1]
    joint = JointVocab(toy_corpus.joint)
    text = [p for p in joint.tokens if joint.modality(p) == "text"]
    pieces = SPECIALS + target[::2] + text[::3] + [f"zz{i}" for i in range(5)]
    return list(dict.fromkeys(pieces))


def save_pretrained(kind: str, vocab: list[str], out_dir) -> torch.nn.Module:
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import (
        MarianConfig,
        MarianMTModel,
        MBartConfig,
        MBartForConditionalGeneration,
        PreTrainedTokenizerFast,
    )

    word_level = Tokenizer(models.WordLevel({p: i for i, p in enumerate(vocab)}, "<unk>"))
    word_level.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=word_level,
        bos_token="<s>",
        pad_token="<pad>",
        eos_token="</s>",
        unk_token="<unk>",
    )
    sizes = dict(
        vocab_size=len(vocab),
        **TINY_STACKS,
        scale_embedding=True,
        bos_token_id=0,
        pad_token_id=1,
        eos_token_id=2,
        decoder_start_token_id=2,
    )
    torch.manual_seed(1)
    if kind == "mbart":
        model = MBartForConditionalGeneration(MBartConfig(**sizes))
    else:
        model = MarianMTModel(MarianConfig(**sizes, decoder_vocab_size=len(vocab)))
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    return model.eval()


@dataclass
class Pretrained:
    path: Path
    model: torch.nn.Module  # the saved model, eval mode
    src: dict[str, int]  # our source piece -> pretrained encoder row
    tgt_in: dict[str, int]  # our target piece -> pretrained decoder embedding row
    tgt_out: dict[str, int]  # our target piece -> pretrained output row


def shared_vocab(kind: str, toy_corpus, out_dir) -> Pretrained:
    vocab = pretrained_vocab(toy_corpus)
    model = save_pretrained(kind, vocab, out_dir)
    index = {p: i for i, p in enumerate(vocab)}
    index["<sos/eos>"] = index["</s>"]  # eos, and the decoder start token of these configs
    return Pretrained(out_dir, model, index, index, index)


def recipe_marian(toy_corpus, out_dir) -> Pretrained:
    """The recipe's own MT model (task hf_mt): separate source and target vocabularies built from
    the source and target SentencePiece models, ``<pad>`` as the decoder start token."""
    from espnet_ext.connectors.hf_mt import build_marian, build_tokenizer

    tokenizer = build_tokenizer(
        toy_corpus.src_bpe / "tokens.txt",
        toy_corpus.src_bpe / "bpe.model",
        toy_corpus.tgt_bpe / "tokens.txt",
        toy_corpus.tgt_bpe / "bpe.model",
    )
    src, tgt = dict(tokenizer.encoder), dict(tokenizer.target_encoder)
    torch.manual_seed(2)
    model = build_marian(
        len(src),
        len(tgt),
        pad_token_id=src["<pad>"],
        eos_token_id=src["</s>"],
        **TINY_STACKS,
    )
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    src["<sos/eos>"] = src["</s>"]
    tgt_out = dict(tgt, **{"<sos/eos>": tgt["</s>"]})
    tgt_in = dict(tgt, **{"<sos/eos>": tgt["<pad>"]})
    return Pretrained(out_dir, model.eval(), src, tgt_in, tgt_out)


@pytest.fixture(scope="module", params=["mbart", "marian", "recipe_marian"])
def pretrained(request, toy_corpus, tmp_path_factory) -> Pretrained:
    out_dir = tmp_path_factory.mktemp(f"tiny_{request.param}")
    if request.param == "recipe_marian":
        return recipe_marian(toy_corpus, out_dir)
    return shared_vocab(request.param, toy_corpus, out_dir)


@pytest.fixture(scope="module")
def mbart(toy_corpus, tmp_path_factory) -> Pretrained:
    return shared_vocab("mbart", toy_corpus, tmp_path_factory.mktemp("tiny_mbart"))


def build_args(task, toy_corpus, tmp_path, name_or_path, init="xavier_uniform"):
    conf = {
        "frontend": "none",
        "encoder": "hf_seq2seq",
        "encoder_conf": {"name_or_path": str(name_or_path)},
        "decoder": "hf_seq2seq",
        "decoder_conf": {"name_or_path": str(name_or_path)},
        "model_conf": {"ctc_weight": 0.0},
        "init": init,
    }
    return task_args(task, toy_corpus, tmp_path, conf)


@pytest.mark.parametrize("init", ["xavier_uniform", "chainer"])
def test_pretrained_layers_survive_init(task, toy_corpus, tmp_path, mbart, init):
    saved = mbart.model
    model = task.build_model(build_args(task, toy_corpus, tmp_path, mbart.path, init))
    for ours, theirs in (
        (model.encoder.stack, saved.get_encoder()),
        (model.decoder.stack, saved.get_decoder()),
    ):
        want = {k: v for k, v in theirs.state_dict().items() if not k.startswith("embed_tokens")}
        got = ours.state_dict()
        assert sorted(got) == sorted(want)
        for key, value in want.items():
            assert torch.equal(got[key], value), key
    assert model.frontend is None
    # the copy that survived init is released once the model is built
    for module in (model.encoder, model.decoder):
        assert module._initial_state is None
        with pytest.raises(RuntimeError, match="pretrained state was released"):
            module.reload_pretrained_parameters()


def test_vocabulary_rows_transferred(task, toy_corpus, tmp_path, pretrained):
    saved = pretrained.model
    model = task.build_model(build_args(task, toy_corpus, tmp_path, pretrained.path))
    src_tokens = read_token_list(toy_corpus.joint / "tokens.txt")
    tgt_tokens = read_token_list(toy_corpus.tgt_bpe / "tokens.txt")
    enc, dec = model.encoder, model.decoder
    for tokens, rows, table, index, n in (
        (
            src_tokens,
            enc.embed.weight,
            saved.get_encoder().embed_tokens.weight,
            pretrained.src,
            enc.n_transferred,
        ),
        (
            tgt_tokens,
            dec.embed.weight,
            saved.get_decoder().embed_tokens.weight,
            pretrained.tgt_in,
            dec.n_transferred,
        ),
        (
            tgt_tokens,
            dec.output_layer.weight,
            saved.get_output_embeddings().weight,
            pretrained.tgt_out,
            dec.n_transferred_output,
        ),
    ):
        matched = [i for i, p in enumerate(tokens) if p in index]
        assert n == len(matched) and 0 < n < len(tokens), (n, len(matched), len(tokens))
        for i, piece in enumerate(tokens):
            if piece in index:
                assert torch.equal(rows[i], table[index[piece]]), piece
            else:
                assert torch.cdist(rows[i][None], table).min() > 1e-3, piece
    joint = JointVocab(toy_corpus.joint)
    assert not any(joint.modality(p) == "unit" for p in src_tokens if p in pretrained.src)


def test_trains_on_units_and_text(task, toy_corpus, tmp_path, pretrained):
    torch.manual_seed(0)
    model = task.build_model(build_args(task, toy_corpus, tmp_path, pretrained.path))
    st_ids, mt_ids, tgt_ids, _ = pair(toy_corpus)
    model.train()
    for src in (st_ids, mt_ids):
        model.zero_grad()
        loss, stats, _ = model(**batch_of([src], tgt_ids))
        assert torch.isfinite(loss), stats
        loss.backward()
        for name, param in (
            ("encoder embedding", model.encoder.embed.weight),
            ("encoder layer", model.encoder.stack.layers[0].fc1.weight),
            ("decoder layer", model.decoder.stack.layers[0].fc1.weight),
            ("cross attention", model.decoder.stack.layers[0].encoder_attn.k_proj.weight),
            ("output layer", model.decoder.output_layer.weight),
        ):
            assert param.grad is not None and param.grad.abs().sum() > 0, name
    # and it learns: a few steps on both inputs lower the loss
    batch = batch_of([st_ids, mt_ids], tgt_ids)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    first = float(model(**batch)[0])
    for _ in range(20):
        loss = model(**batch)[0]
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert float(model(**batch)[0]) < 0.7 * first


def test_beam_search_and_batch_beam_search_agree(task, toy_corpus, tmp_path, mbart):
    from espnet.nets.batch_beam_search import BatchBeamSearch
    from espnet.nets.beam_search import BeamSearch

    from espnet_ext.discrete.inference import Discrete2Text

    torch.manual_seed(0)
    args = build_args(task, toy_corpus, tmp_path, mbart.path)
    model = task.build_model(args).eval()
    st_ids, mt_ids, _, _ = pair(toy_corpus)
    kwargs = dict(
        beam_size=3,
        weights={"decoder": 1.0},
        scorers={"decoder": model.decoder},
        sos=model.sos,
        eos=model.eos,
        vocab_size=model.vocab_size,
        token_list=None,
        pre_beam_score_key="full",
    )
    exp = tmp_path / "exp"
    exp.mkdir()
    (exp / "config.yaml").write_text(yaml.safe_dump(vars(args)))
    torch.save(model.state_dict(), exp / "model.pth")
    from_file = Discrete2Text(exp / "config.yaml", exp / "model.pth", beam_size=3, maxlenratio=0.5)
    for src in (st_ids, mt_ids):
        with torch.no_grad():
            enc, _ = model.encode(torch.tensor([src]), torch.tensor([len(src)]))
            best = [
                search(x=enc[0], maxlenratio=0.5)[0]
                for search in (BeamSearch(**kwargs).eval(), BatchBeamSearch(**kwargs).eval())
            ]
        assert len(best[0].yseq) > 1
        assert best[0].yseq.tolist() == best[1].yseq.tolist()
        assert float(best[0].score) == pytest.approx(float(best[1].score), abs=1e-4)
        # the saved config and checkpoint give the same model (pretrained weights reloaded first)
        ids = [int(t) for t in best[1].yseq[1:] if int(t) not in (model.eos, model.blank_id)]
        assert from_file(src)[0].token_ids == ids


def test_bad_name_or_path(task, toy_corpus, tmp_path):
    missing = tmp_path / "no_such_model"
    args = build_args(task, toy_corpus, tmp_path, missing)
    with pytest.raises(ValueError, match=re.escape(repr(str(missing)))):
        task.build_model(args)


def test_feature_input_refused(tmp_path, mbart):
    from espnet_ext.discrete.hf_seq2seq import HFSeq2SeqEncoder

    encoder = HFSeq2SeqEncoder(input_size=10, name_or_path=str(mbart.path))
    with pytest.raises(ValueError, match="frontend: none"):
        encoder(torch.zeros(1, 4, 16), torch.tensor([4]))


def test_same_function_as_pretrained_on_shared_pieces(task, toy_corpus, tmp_path, pretrained):
    """On pieces both vocabularies have, the built model computes what the pretrained model
    computes from its own ids: embedding scale, learned positions and layernorm_embedding are
    applied once, as the pretrained layers expect."""
    saved = pretrained.model
    model = task.build_model(build_args(task, toy_corpus, tmp_path, pretrained.path)).eval()
    src_tokens = read_token_list(toy_corpus.joint / "tokens.txt")
    tgt_tokens = read_token_list(toy_corpus.tgt_bpe / "tokens.txt")
    src = [i for i, p in enumerate(src_tokens) if p in pretrained.src and p != "<unk>"][:7]
    tgt = [len(tgt_tokens) - 1] + [i for i, p in enumerate(tgt_tokens) if p in pretrained.tgt_in][
        2:8
    ]
    src_theirs = [pretrained.src[src_tokens[i]] for i in src]
    tgt_theirs = [pretrained.tgt_in[tgt_tokens[i]] for i in tgt]
    with torch.no_grad():
        enc, _, _ = model.encoder(torch.tensor([src]), torch.tensor([len(src)]))
        want_enc = saved.get_encoder()(input_ids=torch.tensor([src_theirs])).last_hidden_state
        torch.testing.assert_close(enc, want_enc)
        logits, _ = model.decoder(
            enc, torch.tensor([len(src)]), torch.tensor([tgt]), torch.tensor([len(tgt)])
        )
        want = saved(
            input_ids=torch.tensor([src_theirs]), decoder_input_ids=torch.tensor([tgt_theirs])
        ).logits
    matched = [i for i, p in enumerate(tgt_tokens) if p in pretrained.tgt_out]
    torch.testing.assert_close(
        logits[..., matched], want[..., [pretrained.tgt_out[tgt_tokens[i]] for i in matched]]
    )


def test_transfer_exclude(toy_corpus, mbart):
    """Pieces matching ``transfer_exclude`` keep a fresh row even when the pretrained vocabulary
    has them (unit pieces made of CJK ideographs against mBART's vocabulary)."""
    from espnet_ext.discrete.hf_seq2seq import HFSeq2SeqEncoder

    tokens = read_token_list(toy_corpus.joint / "tokens.txt")
    shared = [p for p in tokens if p in mbart.src and p.startswith("\u2581")]
    assert shared
    kwargs = dict(input_size=len(tokens), name_or_path=str(mbart.path), token_list=tokens)
    full = HFSeq2SeqEncoder(**kwargs)
    some = HFSeq2SeqEncoder(**kwargs, transfer_exclude="\u2581.*")
    assert some.n_transferred == full.n_transferred - len(shared) > 0
    table = mbart.model.get_encoder().embed_tokens.weight
    row = some.embed.weight[tokens.index(shared[0])]
    assert torch.cdist(row[None], table).min() > 1e-3
