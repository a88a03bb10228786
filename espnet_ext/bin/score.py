"""`python -m espnet_ext.bin.score`: score a decoded set into DIR/score.json and DIR/score.txt.

    python -m espnet_ext.bin.score --metric bleu --hyp exp/st/decode/tst-COMMON/text \\
        --ref exp/st/decode/tst-COMMON/ref --out-dir exp/st/decode/tst-COMMON --lang de
"""

from __future__ import annotations

import argparse
import logging
import sys

from espnet_ext.scoring.score import METRICS, format_summary, score_files, write_score


def get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Score Kaldi-text hypotheses against references with sacreBLEU (BLEU, chrF, "
        "TER, lc.rm BLEU) or jiwer (WER, CER).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--metric", choices=METRICS, required=True, help="bleu for ST/MT, wer for ASR"
    )
    parser.add_argument("--hyp", required=True, help="hypotheses, Kaldi text '<utt_id> <text>'")
    parser.add_argument("--ref", required=True, help="references, Kaldi text '<utt_id> <text>'")
    parser.add_argument("--out-dir", required=True, help="where score.json and score.txt go")
    parser.add_argument(
        "--lang",
        default=None,
        help="target language code; picks sacreBLEU's tokenizer for zh/ja/ko",
    )
    parser.add_argument(
        "--utt2dur",
        default=None,
        help="Kaldi '<utt_id> <seconds>'; adds scores per duration bucket",
    )
    parser.add_argument(
        "--buckets", default="10,20", help="duration bucket edges in seconds (with --utt2dur)"
    )
    parser.add_argument("--log-level", default="INFO", help="Python logging level")
    return parser


def main(cmd: list[str] | None = None) -> None:
    args = get_parser().parse_args(cmd)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(message)s")
    try:
        result = score_files(
            args.metric, args.hyp, args.ref, args.lang, args.utt2dur, args.buckets
        )
    except (OSError, ValueError) as e:
        sys.exit(f"score: {e}")
    json_path, _ = write_score(result, args.out_dir)
    sys.stdout.write(format_summary(result))
    logging.info("wrote %s", json_path)


if __name__ == "__main__":
    main()
