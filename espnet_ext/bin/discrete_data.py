"""`python -m espnet_ext.bin.discrete_data <step>`: token models and training data for discrete ST.

unit-bpe    --units U [U ...] --out-dir O --n-units 2000 [--vocab-size 4000] [--model-type bpe]
            [--unit-char-offset 0x4E00]
joint-vocab --text-bpe-dir T --unit-bpe-dir B --out-dir O [--text-repeat 4]
make-data   --data-dir D --joint-dir J --out-dir O [--units U] --kinds st,mt
            --src-text text.lc.rm.en --tgt-text text.tc.de [--ext-dir E --ext-ratio R --seed S]
"""

from __future__ import annotations

import argparse
import logging
import sys


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m espnet_ext.bin.discrete_data",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="step", required=True)
    u = sub.add_parser("unit-bpe", help="SentencePiece on repeat-free unit strings")
    u.add_argument("--units", nargs="+", required=True, help="Kaldi units files (frame-level ids)")
    u.add_argument("--out-dir", required=True)
    u.add_argument("--n-units", type=int, required=True, help="k-means clusters")
    u.add_argument("--vocab-size", type=int, default=4000)
    u.add_argument("--model-type", default="bpe", choices=["bpe", "unigram"])
    u.add_argument(
        "--unit-char-offset",
        type=lambda x: int(x, 0),
        default=0x4E00,
        help="code point of unit 0 (0x4E00 CJK, 0xE000 or 0xF0000 private use)",
    )
    j = sub.add_parser("joint-vocab", help="one token list for text and unit pieces")
    j.add_argument("--text-bpe-dir", required=True, help="source-text SentencePiece dir (stage 5)")
    j.add_argument("--unit-bpe-dir", required=True)
    j.add_argument("--out-dir", required=True)
    j.add_argument(
        "--text-repeat", type=int, default=4, help="K: each text piece repeated K times"
    )
    m = sub.add_parser("make-data", help="ST/MT(/external MT) examples in one data dir")
    m.add_argument("--data-dir", required=True, help="dumped data dir (text files)")
    m.add_argument("--joint-dir", required=True)
    m.add_argument("--out-dir", required=True)
    m.add_argument("--units", default=None, help="units file of the set (for st examples)")
    m.add_argument("--kinds", default="st,mt", help="st, mt or st,mt")
    m.add_argument("--src-text", default="text.lc.rm.en", help="source text file name")
    m.add_argument("--tgt-text", default="text.tc.de", help="target text file name")
    m.add_argument(
        "--ext-dir", default=None, help="dir with train.<src> and train.<tgt> (external MT)"
    )
    m.add_argument("--ext-ratio", type=float, default=0.0, help="external pairs per ST example")
    m.add_argument("--seed", type=int, default=0)
    return p


def main(argv=None) -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s (%(module)s) %(levelname)s: %(message)s"
    )
    args = get_parser().parse_args(argv)
    if args.step == "unit-bpe":
        from espnet_ext.discrete.vocab import train_unit_bpe

        train_unit_bpe(
            args.units,
            args.out_dir,
            args.n_units,
            args.vocab_size,
            args.model_type,
            args.unit_char_offset,
        )
    elif args.step == "joint-vocab":
        from espnet_ext.discrete.vocab import JointVocab

        JointVocab.create(args.text_bpe_dir, args.unit_bpe_dir, args.out_dir, args.text_repeat)
    else:
        from espnet_ext.discrete.mtdata import make_data

        make_data(
            args.data_dir,
            args.joint_dir,
            args.out_dir,
            args.units,
            tuple(k for k in args.kinds.split(",") if k),
            args.src_text,
            args.tgt_text,
            args.ext_dir,
            args.ext_ratio,
            args.seed,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
