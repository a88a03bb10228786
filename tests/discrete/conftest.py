"""Shared fixtures of the discrete-unit tests: token models for a toy corpus (no audio)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch

from tests.fixtures.discrete import sentences, translate

N_UNITS = 50


@dataclass
class ToyCorpus:
    root: Path
    data: Path  # dumped-style data dir: text.lc.rm.en, text.tc.de, units
    src_bpe: Path
    tgt_bpe: Path
    unit_bpe: Path
    joint: Path


def toy_units(text: str, rng: random.Random) -> list[int]:
    """Frame-level ids like k-means output: each word has a fixed unit "pronunciation", each unit
    lasts 1-3 frames."""
    out: list[int] = []
    for word in text.split():
        word_rng = random.Random(word)
        for _ in range(6 + len(word) % 4):
            out += [word_rng.randrange(N_UNITS)] * rng.randint(1, 3)
    return out


@pytest.fixture(scope="session")
def toy_corpus(tmp_path_factory) -> ToyCorpus:
    from espnet_ext.discrete.vocab import JointVocab, train_unit_bpe
    from espnet_ext.pipeline.tokenizer import train_sentencepiece

    root = tmp_path_factory.mktemp("discrete_toy")
    data = root / "data"
    data.mkdir()
    rng = random.Random(0)
    texts = sentences(40, seed=3)
    utts = [f"spk-{i:07d}" for i in range(len(texts))]
    with open(data / "text.lc.rm.en", "w") as f_src, open(data / "text.tc.de", "w") as f_tgt, \
            open(data / "units", "w") as f_units:  # fmt: skip
        for utt, text in zip(utts, texts):
            f_src.write(f"{utt} {text}\n")
            f_tgt.write(f"{utt} {translate(text)}\n")
            f_units.write(f"{utt} {' '.join(map(str, toy_units(text, rng)))}\n")
    train_sentencepiece([data / "text.lc.rm.en"], root / "src_bpe", 40, "bpe")
    train_sentencepiece([data / "text.tc.de"], root / "tgt_bpe", 100, "bpe")
    train_unit_bpe([data / "units"], root / "unit_bpe", N_UNITS, vocab_size=70)
    JointVocab.create(root / "src_bpe", root / "unit_bpe", root / "joint", text_repeat=4)
    return ToyCorpus(
        root, data, root / "src_bpe", root / "tgt_bpe", root / "unit_bpe", root / "joint"
    )


@pytest.fixture(scope="module")
def one_thread():
    """One torch thread for a module (tiny models: threads only add overhead, and CI machines are
    shared)."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="module")
def task():
    """``DiscreteSTTask`` with this package's classes registered."""
    from espnet_ext.bin import quiet_espnet_import
    from espnet_ext.registry import register

    quiet_espnet_import()
    register()
    from espnet_ext.discrete.task import DiscreteSTTask

    return DiscreteSTTask


def task_args(task, toy_corpus: ToyCorpus, tmp_path: Path, conf: dict):
    """The task's parsed arguments for a model config on the toy corpus's vocabularies."""
    import yaml

    (tmp_path / "conf.yaml").write_text(yaml.safe_dump(conf))
    return task.get_parser().parse_args(
        ["--config", str(tmp_path / "conf.yaml"), "--output_dir", str(tmp_path / "exp"),
         "--token_type", "bpe", "--token_list", str(toy_corpus.tgt_bpe / "tokens.txt"),
         "--bpemodel", str(toy_corpus.tgt_bpe / "bpe.model"),
         "--src_token_type", "word", "--src_token_list", str(toy_corpus.joint / "tokens.txt")]
    )  # fmt: skip
