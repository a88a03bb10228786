"""Unit BPE and the joint source vocabulary shared by speech (units) and text inputs.

The joint token list is an ESPnet token list::

    <blank> <unk> [source-text pieces] [unit pieces] <sos/eos>

Text pieces come from the source-text SentencePiece model (Latin letters and ``▁``), unit pieces
from a SentencePiece model trained on unit strings (characters of the unit block only, see
:mod:`espnet_ext.discrete.units`). :func:`build_joint_tokens` checks that the two sets are
disjoint and raises otherwise. The data files hold the pieces as space-separated strings, so
ESPnet reads them with ``--src_token_type word --src_token_list <joint>/tokens.txt``.

Source text is up-sampled: each text piece is repeated ``text_repeat`` (K) times so that text
and unit sequences have similar lengths (K=4 in the paper).
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Sequence
from pathlib import Path

import sentencepiece as spm

from espnet_ext.discrete.units import DEFAULT_OFFSET, UnitCharMap, remove_repeats
from espnet_ext.fileio import atomic_open, write_text_atomic
from espnet_ext.pipeline.datadir import read_map
from espnet_ext.pipeline.tokenizer import train_sentencepiece

log = logging.getLogger(__name__)

SPECIALS = ("<blank>", "<unk>", "<sos/eos>")
# SentencePiece's word-boundary marker; unit strings have no spaces, so unit models never use it
WORD_MARK = "\u2581"


def upsample(tokens: Sequence[str], k: int) -> list[str]:
    """Repeat every token ``k`` times: ``[a, b], 2 -> [a, a, b, b]``."""
    if k < 1:
        raise ValueError(f"text_repeat must be >= 1, got {k}")
    return [t for t in tokens for _ in range(k)]


def downsample(tokens: Sequence[str], k: int) -> list[str]:
    """Inverse of :func:`upsample`; raises if ``tokens`` is not made of runs of ``k`` equal tokens."""
    if len(tokens) % k:
        raise ValueError(f"{len(tokens)} tokens are not a multiple of text_repeat={k}")
    out = []
    for i in range(0, len(tokens), k):
        group = tokens[i : i + k]
        if any(t != group[0] for t in group):
            raise ValueError(
                f"tokens {i}..{i + k - 1} {list(group)} are not one token repeated {k} times"
            )
        out.append(group[0])
    return out


def unit_strings(units_files: Sequence[str | Path], char_map: UnitCharMap) -> dict[str, str]:
    """``<utt> 12 12 7`` lines -> ``{utt: chars}`` with repeats removed."""
    out = {}
    for path in units_files:
        for utt, value in read_map(path).items():
            try:
                ids = [int(x) for x in value.split()]
                out[utt] = char_map.to_chars(remove_repeats(ids))
            except ValueError as e:
                raise ValueError(f"{path}: utterance {utt}: {e}") from e
    return out


def train_unit_bpe(
    units_files: Sequence[str | Path],
    out_dir: str | Path,
    n_units: int,
    vocab_size: int = 4000,
    model_type: str = "bpe",
    offset: int = DEFAULT_OFFSET,
) -> Path:
    """SentencePiece on the repeat-free unit strings of ``units_files``.

    Writes ``out_dir/bpe.model``, ``tokens.txt`` (ESPnet layout) and ``unit_bpe.json``. Unit
    strings have no word boundaries: no dummy ``▁`` prefix, identity normalisation (no NFKC),
    and sentences as long as an utterance gets.
    """
    char_map = UnitCharMap(n_units, offset)
    strings = unit_strings(units_files, char_map)
    if not strings:
        raise ValueError(f"no units in {list(map(str, units_files))}")
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "units.txt"
        with open(corpus, "w", encoding="utf-8") as f:
            f.writelines(f"{utt} {s}\n" for utt, s in sorted(strings.items()))
        longest = max(len(s.encode("utf-8")) for s in strings.values())
        train_sentencepiece(
            [corpus],
            out_dir,
            vocab_size,
            model_type=model_type,
            extra_options=dict(
                add_dummy_prefix=False,
                normalization_rule_name="identity",
                split_by_unicode_script=False,
                max_sentence_length=max(4192, longest + 1),
            ),
        )
    meta = {
        "n_units": n_units,
        "unit_char_offset": offset,
        "model_type": model_type,
        "vocab_size": vocab_size,
        "utts": len(strings),
    }
    write_text_atomic(Path(out_dir) / "unit_bpe.json", json.dumps(meta, indent=1) + "\n")
    return Path(out_dir)


def read_token_list(path: str | Path) -> list[str]:
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f if line.strip()]


def build_joint_tokens(
    text_tokens: Sequence[str], unit_tokens: Sequence[str], char_map: UnitCharMap
) -> list[str]:
    """Joint ESPnet token list from the text and unit token lists (each in ESPnet's layout).

    Raises ``ValueError`` naming the first offending piece if a text piece contains a unit
    character, a unit piece contains anything else, or a piece occurs twice.
    """
    text = [t for t in text_tokens if t not in SPECIALS]
    units = [t for t in unit_tokens if t not in SPECIALS and t != WORD_MARK]
    for i, piece in enumerate(text):
        bad = [ch for ch in piece if char_map.is_unit_char(ch)]
        if bad:
            raise ValueError(
                f"text piece #{i} {piece!r} contains unit character U+{ord(bad[0]):04X}: text and unit "
                f"pieces would collide; dump units with another unit_char_offset (e.g. 0xF0000)"
            )
    for i, piece in enumerate(units):
        if not all(char_map.is_unit_char(ch) for ch in piece):
            raise ValueError(
                f"unit piece #{i} {piece!r} has characters outside the unit block "
                f"U+{char_map.offset:04X}..U+{char_map.offset + char_map.n_units - 1:04X}"
            )
    tokens = ["<blank>", "<unk>", *text, *units, "<sos/eos>"]
    seen: set[str] = set()
    for t in tokens:
        if t in seen:
            raise ValueError(f"token {t!r} occurs twice in the joint vocabulary")
        seen.add(t)
    return tokens


class JointVocab:
    """Encoding of both input types into joint-vocabulary pieces, and decoding back.

    A joint dir (made by :meth:`create`) holds ``tokens.txt``, ``text_bpe.model``,
    ``unit_bpe.model`` and ``joint_vocab.json`` (unit block, unit count, text repeat K).
    """

    def __init__(self, joint_dir: str | Path):
        joint_dir = Path(joint_dir)
        self.dir = joint_dir
        meta = json.loads((joint_dir / "joint_vocab.json").read_text())
        self.meta = meta
        self.text_repeat = int(meta["text_repeat"])
        self.char_map = UnitCharMap(int(meta["n_units"]), int(meta["unit_char_offset"]))
        self.tokens = read_token_list(joint_dir / "tokens.txt")
        self.token2id = {t: i for i, t in enumerate(self.tokens)}
        self.text_sp = spm.SentencePieceProcessor(model_file=str(joint_dir / "text_bpe.model"))
        self.unit_sp = spm.SentencePieceProcessor(model_file=str(joint_dir / "unit_bpe.model"))

    @classmethod
    def create(
        cls,
        text_bpe_dir: str | Path,
        unit_bpe_dir: str | Path,
        out_dir: str | Path,
        text_repeat: int = 4,
    ) -> JointVocab:
        """Joint dir from a source-text SentencePiece dir and a unit BPE dir (``bpe.model`` +
        ``tokens.txt`` each); the models are copied so the dir is self-contained."""
        text_bpe_dir, unit_bpe_dir, out_dir = Path(text_bpe_dir), Path(unit_bpe_dir), Path(out_dir)
        unit_meta = json.loads((unit_bpe_dir / "unit_bpe.json").read_text())
        char_map = UnitCharMap(int(unit_meta["n_units"]), int(unit_meta["unit_char_offset"]))
        text_tokens = read_token_list(text_bpe_dir / "tokens.txt")
        unit_tokens = read_token_list(unit_bpe_dir / "tokens.txt")
        try:
            tokens = build_joint_tokens(text_tokens, unit_tokens, char_map)
        except ValueError as e:
            raise ValueError(f"{text_bpe_dir}/tokens.txt + {unit_bpe_dir}/tokens.txt: {e}") from e
        out_dir.mkdir(parents=True, exist_ok=True)
        for src, dst in (
            (text_bpe_dir / "bpe.model", "text_bpe.model"),
            (unit_bpe_dir / "bpe.model", "unit_bpe.model"),
        ):
            with atomic_open(out_dir / dst, "wb") as f:
                f.write(src.read_bytes())
        with atomic_open(out_dir / "tokens.txt") as f:
            f.writelines(f"{t}\n" for t in tokens)
        n_text = sum(1 for t in text_tokens if t not in SPECIALS)
        meta = {
            "text_repeat": text_repeat,
            "n_units": char_map.n_units,
            "unit_char_offset": char_map.offset,
            "n_text_pieces": n_text,
            "n_unit_pieces": len(tokens) - 3 - n_text,
            "size": len(tokens),
            "text_bpe_dir": str(text_bpe_dir),
            "unit_bpe_dir": str(unit_bpe_dir),
        }
        write_text_atomic(out_dir / "joint_vocab.json", json.dumps(meta, indent=1) + "\n")
        log.info(
            "joint vocabulary %s: %d text + %d unit pieces", out_dir, n_text, meta["n_unit_pieces"]
        )
        return cls(out_dir)

    # encoding -----------------------------------------------------------------------------
    def encode_units(self, ids: Sequence[int]) -> list[str]:
        """Frame-level unit ids -> unit pieces (repeats removed, characters, unit BPE)."""
        return self.unit_sp.encode(self.char_map.to_chars(remove_repeats(ids)), out_type=str)

    def encode_text(self, text: str, upsample_text: bool = True) -> list[str]:
        """Source text -> text pieces, each repeated K times (unless ``upsample_text`` is False)."""
        pieces = self.text_sp.encode(text, out_type=str)
        return upsample(pieces, self.text_repeat) if upsample_text else pieces

    def to_ids(self, pieces: Sequence[str]) -> list[int]:
        unk = self.token2id["<unk>"]
        return [self.token2id.get(p, unk) for p in pieces]

    # decoding -----------------------------------------------------------------------------
    def modality(self, piece: str) -> str:
        """``unit``, ``text`` or ``special`` for one joint-vocabulary piece."""
        if piece in SPECIALS:
            return "special"
        return "unit" if all(self.char_map.is_unit_char(ch) for ch in piece) else "text"

    def decode(self, pieces: Sequence[str]) -> tuple[str, str | list[int]]:
        """Pieces of one input -> ``("text", source text)`` (after undoing the K-fold repeat) or
        ``("units", repeat-free unit ids)``; mixed or special pieces raise ``ValueError``."""
        kinds = {self.modality(p) for p in pieces}
        if kinds == {"unit"}:
            return "units", self.char_map.to_ids("".join(pieces))
        if kinds == {"text"}:
            return "text", self.text_sp.decode_pieces(downsample(list(pieces), self.text_repeat))
        raise ValueError(
            f"cannot decode a sequence of {sorted(kinds) or 'no'} pieces: {list(pieces)[:10]}"
        )
