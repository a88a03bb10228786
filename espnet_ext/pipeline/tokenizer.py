"""Stage 5: SentencePiece models and ESPnet token lists.

``tokens.txt`` follows ESPnet's convention: ``<blank>`` (id 0, CTC), ``<unk>`` (id 1), the pieces
in SentencePiece's order, ``<sos/eos>`` last. ``bpe.model`` is what ESPnet's ``--bpemodel`` reads.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import sentencepiece as spm

from espnet_ext.fileio import atomic_open
from espnet_ext.pipeline.datadir import read_map

log = logging.getLogger(__name__)


def train_sentencepiece(
    text_files: list[str | Path],
    out_dir: str | Path,
    vocab_size: int,
    model_type: str = "unigram",
    character_coverage: float = 1.0,
    input_sentence_size: int = 10_000_000,
    extra_options: dict | None = None,
) -> Path:
    """Train on the text column of Kaldi text files; write ``bpe.model`` and ``tokens.txt``.

    ``vocab_size`` is lowered to what the data supports when SentencePiece says it is too large
    (tiny corpora), and the value used is logged. ``extra_options`` go to the SentencePiece
    trainer as they are (e.g. ``add_dummy_prefix=False`` for unit strings).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "train.txt"
        with open(corpus, "w", encoding="utf-8") as f:
            for path in text_files:
                for text in read_map(path).values():
                    if text.strip():
                        f.write(text.strip() + "\n")
        prefix = Path(tmp) / "bpe"
        size = vocab_size
        while True:
            try:
                spm.SentencePieceTrainer.train(
                    input=str(corpus),
                    model_prefix=str(prefix),
                    vocab_size=size,
                    model_type=model_type,
                    character_coverage=character_coverage,
                    input_sentence_size=input_sentence_size,
                    shuffle_input_sentence=True,
                    unk_id=0,
                    bos_id=-1,
                    eos_id=-1,
                    pad_id=-1,
                    num_threads=2,
                    minloglevel=2,
                    **(extra_options or {}),
                )
                break
            except RuntimeError as e:
                # "Vocabulary size is too high ... Please set it to a value <= N."
                msg = str(e)
                if "value <=" not in msg:
                    raise
                new = int(msg.rsplit("<=", 1)[1].strip(" .\n"))
                if new >= size:
                    raise
                log.warning(
                    "%s: vocab_size %d too large for this text; using %d", out_dir, size, new
                )
                size = new
        with atomic_open(out_dir / "bpe.model", "wb") as f:
            f.write((Path(tmp) / "bpe.model").read_bytes())
    sp = spm.SentencePieceProcessor(model_file=str(out_dir / "bpe.model"))
    pieces = [sp.id_to_piece(i) for i in range(sp.get_piece_size()) if not sp.is_unknown(i)]
    with atomic_open(out_dir / "tokens.txt") as f:
        f.writelines(f"{tok}\n" for tok in ["<blank>", "<unk>", *pieces, "<sos/eos>"])
    return out_dir
