"""Tiny, locally saved stand-ins for the pretrained models the connectors align.

Each builder creates a model with the same classes as the real one (WhisperModel, MarianMTModel,
T5ForConditionalGeneration, an ESPnet E-Branchformer ASR model), with random weights and tiny
sizes, and saves it the way the real ones are distributed, so that the code under test loads it
through its normal ``from_pretrained`` / ``build_model_from_file`` path.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import sentencepiece as spm
import torch

from espnet_ext.connectors.espnet_model import ESPnetConnectorSTModel
from espnet_ext.connectors.mt import load_mt_model, load_mt_tokenizer
from espnet_ext.connectors.qformer import QFormerConnector
from espnet_ext.connectors.ste import STEConnector

SENTENCES = [
    "hello world this is a test",
    "the cat sat on the mat",
    "i like speech translation very much",
    "translate English to Portuguese: how are you",
    "olá mundo isto é um teste",
    "o gato sentou no tapete",
    "eu gosto muito de tradução de fala",
    "como você está hoje",
]
MARIAN_LANG_TOKEN = ">>por<<"


def make_spm(out_dir: Path) -> Path:
    """A unigram SentencePiece model with ids pad=0, </s>=1, <unk>=2 (T5's layout)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    corpus = out_dir / "corpus.txt"
    corpus.write_text("\n".join(SENTENCES * 4) + "\n", encoding="utf-8")
    spm.SentencePieceTrainer.train(
        input=str(corpus),
        model_prefix=str(out_dir / "sp"),
        vocab_size=64,
        hard_vocab_limit=False,
        model_type="unigram",
        character_coverage=1.0,
        pad_id=0,
        eos_id=1,
        unk_id=2,
        bos_id=-1,
        user_defined_symbols=[MARIAN_LANG_TOKEN],
        minloglevel=2,
    )
    return out_dir / "sp.model"


def make_marian(out_dir: Path, spm_model: Path, d_model: int = 16) -> Path:
    """MarianMTModel + MarianTokenizer (source.spm, target.spm, vocab.json) in ``out_dir``."""
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    src = out_dir / "src"
    src.mkdir(parents=True, exist_ok=True)
    shutil.copy(spm_model, src / "source.spm")
    shutil.copy(spm_model, src / "target.spm")
    sp = spm.SentencePieceProcessor(model_file=str(spm_model))
    vocab = {sp.id_to_piece(i): i for i in range(sp.get_piece_size())}
    (src / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    tokenizer = MarianTokenizer(
        source_spm=str(src / "source.spm"),
        target_spm=str(src / "target.spm"),
        vocab=str(src / "vocab.json"),
    )
    config = MarianConfig(
        vocab_size=len(vocab),
        decoder_vocab_size=len(vocab),
        d_model=d_model,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=32,
        decoder_ffn_dim=32,
        max_position_embeddings=128,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.pad_token_id,
        forced_eos_token_id=None,
        dropout=0.3,
        scale_embedding=True,
    )
    torch.manual_seed(0)
    MarianMTModel(config).save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    return out_dir


def make_t5(out_dir: Path, spm_model: Path, d_model: int = 16) -> Path:
    """T5ForConditionalGeneration + T5Tokenizer converted from ``spiece.model``."""
    from transformers import T5Config, T5ForConditionalGeneration, T5Tokenizer

    src = out_dir / "src"
    src.mkdir(parents=True, exist_ok=True)
    shutil.copy(spm_model, src / "spiece.model")
    # transformers 5 ignores T5Tokenizer(vocab_file=...); from_pretrained converts the spm file
    tokenizer = T5Tokenizer.from_pretrained(str(src), extra_ids=0)
    config = T5Config(
        vocab_size=len(tokenizer),
        d_model=d_model,
        d_kv=8,
        d_ff=32,
        num_layers=1,
        num_decoder_layers=1,
        num_heads=2,
        relative_attention_num_buckets=8,
        pad_token_id=0,
        eos_token_id=1,
        decoder_start_token_id=0,
        dropout_rate=0.3,
    )
    torch.manual_seed(0)
    T5ForConditionalGeneration(config).save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    return out_dir


WHISPER_WINDOW_SECONDS = 1


def make_whisper(out_dir: Path, d_model: int = 16) -> Path:
    """WhisperModel with 1 s input windows (100 mel frames -> 50 encoder frames)."""
    from transformers import WhisperConfig, WhisperFeatureExtractor, WhisperModel

    frames = WHISPER_WINDOW_SECONDS * 100
    config = WhisperConfig(
        vocab_size=64,
        num_mel_bins=80,
        d_model=d_model,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=32,
        decoder_ffn_dim=32,
        max_source_positions=frames // 2,
        max_target_positions=32,
        pad_token_id=0,
        bos_token_id=1,
        eos_token_id=1,
        decoder_start_token_id=1,
        begin_suppress_tokens=None,
        dropout=0.3,
    )
    torch.manual_seed(0)
    WhisperModel(config).save_pretrained(out_dir)
    WhisperFeatureExtractor(feature_size=80, chunk_length=WHISPER_WINDOW_SECONDS).save_pretrained(
        out_dir
    )
    return out_dir


def make_espnet_asr(out_dir: Path) -> tuple[Path, Path]:
    """A tiny ESPnet ASR model (E-Branchformer encoder) -> ``config.yaml`` + ``model.pth``."""
    from espnet2.tasks.asr import ASRTask
    from espnet2.utils.yaml_no_alias_safe_dump import yaml_no_alias_safe_dump

    out_dir.mkdir(parents=True, exist_ok=True)
    tokens = out_dir / "tokens.txt"
    tokens.write_text("\n".join(["<blank>", "<unk>", "a", "b", "c", "<sos/eos>"]) + "\n")
    args = ASRTask.get_parser().parse_args(
        [
            "--output_dir", str(out_dir),
            "--token_list", str(tokens),
            "--token_type", "char",
            "--frontend_conf", "n_fft=128",
            "--frontend_conf", "hop_length=64",
            "--frontend_conf", "n_mels=20",
            "--normalize", "utterance_mvn",
            "--encoder", "e_branchformer",
            "--encoder_conf", "output_size=16",
            "--encoder_conf", "attention_heads=2",
            "--encoder_conf", "cgmlp_linear_units=32",
            "--encoder_conf", "linear_units=32",
            "--encoder_conf", "num_blocks=1",
            "--encoder_conf", "input_layer=conv2d",
            "--decoder", "transformer",
            "--decoder_conf", "num_blocks=1",
            "--decoder_conf", "linear_units=32",
            "--decoder_conf", "attention_heads=2",
        ]
    )  # fmt: skip
    torch.manual_seed(0)
    model = ASRTask.build_model(args)
    config = out_dir / "config.yaml"
    with config.open("w", encoding="utf-8") as f:
        yaml_no_alias_safe_dump(vars(args), f)
    model_file = out_dir / "model.pth"
    torch.save(model.state_dict(), model_file)
    return config, model_file


# ---- models and batches for the connector model tests ----

PROMPTS = {"marian": MARIAN_LANG_TOKEN + " ", "t5": "translate English to Portuguese: "}
TARGETS = ["o gato sentou no tapete", "olá mundo", "como você está hoje"]


def make_connector(kind: str, input_size: int, output_size: int):
    """A one-layer Q-Former (6 queries) or STE connector of width 16."""
    torch.manual_seed(0)
    small = dict(num_blocks=1, hidden_size=16, attention_heads=2, linear_units=32)
    if kind == "qformer":
        return QFormerConnector(input_size, output_size, num_queries=6, **small)
    return STEConnector(input_size, output_size, conv_channels=16, **small)


def make_model(speech_encoder, mt_dir, connector="ste", layout="ecd", prompt="", **kw):
    """An ``ESPnetConnectorSTModel`` around the MT model saved in ``mt_dir``."""
    mt = load_mt_model(str(mt_dir))
    tokenizer = load_mt_tokenizer(str(mt_dir))
    conn = make_connector(connector, speech_encoder.output_size(), mt.config.d_model)
    return ESPnetConnectorSTModel(
        speech_encoder, conn, mt, tokenizer, layout=layout, prompt=prompt, **kw
    )


def batch(tokenizer, n=3):
    """(speech, speech_lengths, text, text_lengths) as ESPnet's collate_fn gives them."""
    torch.manual_seed(1)
    lengths = torch.tensor([24000, 9000, 4000][:n])
    speech = torch.randn(n, int(lengths.max())) * 0.1
    ids = [tokenizer(text_target=t).input_ids for t in TARGETS[:n]]
    width = max(map(len, ids))
    text = torch.tensor([t + [-1] * (width - len(t)) for t in ids])
    return speech, lengths, text, torch.tensor([len(t) for t in ids])
