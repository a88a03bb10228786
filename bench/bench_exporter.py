"""Exporter benchmark (issue 7): cascade vs exporter with fixed MT vs exporter with trained MT.

Collects from finished experiment dirs (this script trains and decodes nothing):

* per system, the scores of ``EXP/<system>/<decode dir>/<test set>/score.json`` (BLEU, chrF,
  TER; WER for the ASR system) and the decoding real-time factor (``rtf.json``);
* for the cascade, the WER of its greedy-CTC 1-best (``asr_text``) against ``--src-ref``;
* for each exporter system, the L2 loss and the mean L2 distance between its vectors and the MT
  embeddings after every epoch, train and valid, parsed from ``EXP/<system>/train.log`` (ESPnet's
  ``<n>epoch results: [train] ... l2=..., l2_dist=..., [valid] ...`` lines).

    python bench/bench_exporter.py --exp-dir egs2/mustc_baseline/st1/exp \\
        --test-set tst-COMMON.en-de --src-ref dump/raw/tst-COMMON.en-de/text.lc.rm.en \\
        --cascade cascade --exporters exporter_fixed exporter_incremental

Writes ``bench/results/exporter.json`` (``--out``).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from espnet_ext.fileio import write_text_atomic  # noqa: E402

EPOCH_RE = re.compile(r"(\d+)epoch results: (.*)$")
STAT_RE = re.compile(r"([A-Za-z_][\w]*)=([-+0-9.eE]+|nan|inf)")
KEPT = {
    "bleu": ("bleu", "chrf", "ter", "n_sentences", "missing_hyps"),
    "wer": ("wer", "cer", "ref_words", "n_sentences", "missing_hyps"),
}


def decode_dir(exp: Path, system: str, test_set: str, tag: str | None) -> Path:
    """``EXP/<system>/<tag>/<test_set>``; without a tag, the one ``decode_*`` dir that has it."""
    if tag is not None:
        path = exp / system / tag / test_set
        if not (path / "score.json").is_file():
            raise FileNotFoundError(f"{path}/score.json: not scored (pipeline stage 12)")
        return path
    found = sorted(p.parent for p in (exp / system).glob(f"decode_*/{test_set}/score.json"))
    if len(found) != 1:
        raise FileNotFoundError(
            f"{exp / system}: expected one decode_*/{test_set}/score.json, found "
            f"{[str(p) for p in found]}; pass --decode-tag"
        )
    return found[0]


def read_scores(path: Path) -> dict:
    """The headline numbers of a decode dir (score.json + rtf.json when present)."""
    score = json.loads((path / "score.json").read_text(encoding="utf-8"))
    metric = score.get("metric", "bleu")
    out = {"metric": metric, "decode_dir": str(path)}
    out.update({k: score[k] for k in KEPT.get(metric, ()) if k in score})
    if "signatures" in score:
        out["signature"] = score["signatures"].get(metric)
    rtf = path / "rtf.json"
    if rtf.is_file():
        out["rtf"] = json.loads(rtf.read_text(encoding="utf-8")).get("rtf")
    return out


def parse_epochs(log: Path) -> list[dict]:
    """Per epoch, the ``l2``/``l2_dist``/``ce``/``acc`` of the train and valid splits."""
    if not log.is_file():
        raise FileNotFoundError(f"{log}: no training log")
    epochs: dict[int, dict] = {}
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        match = EPOCH_RE.search(line)
        if not match:
            continue
        row: dict = {"epoch": int(match.group(1))}
        for split, body in re.findall(r"\[(train|valid)\]([^\[]*)", match.group(2)):
            for key, value in STAT_RE.findall(body):
                if key in ("l2", "l2_dist", "ce", "acc", "loss"):
                    row[f"{split}_{key}"] = float(value)
        epochs[row["epoch"]] = row  # a resumed run logs an epoch again: keep the last
    if not epochs:
        raise ValueError(f"{log}: no '<n>epoch results:' lines")
    if not any("train_l2" in r for r in epochs.values()):
        raise ValueError(f"{log}: no l2 statistics (not an exporter training log?)")
    return [epochs[k] for k in sorted(epochs)]


def collect(args: argparse.Namespace) -> dict:
    exp = Path(args.exp_dir)
    result: dict = {
        "benchmark": "exporter: cascade vs exporter (fixed MT) vs exporter "
        "(incrementally trained MT)",
        "exp_dir": str(exp.resolve()),
        "test_set": args.test_set,
        "systems": {},
        "l2_over_training": {},
    }
    for role, system in (("asr", args.asr), ("mt", args.mt), ("cascade", args.cascade)):
        if system:
            scores = read_scores(decode_dir(exp, system, args.test_set, args.decode_tag))
            result["systems"][system] = {"role": role, **scores}
    if args.cascade and args.src_ref:
        from espnet_ext.scoring.score import score_files

        path = Path(result["systems"][args.cascade]["decode_dir"]) / "asr_text"
        wer = score_files("wer", path, args.src_ref)
        result["systems"][args.cascade]["ctc_greedy_wer"] = wer["wer"]
    for system in args.exporters:
        scores = read_scores(decode_dir(exp, system, args.test_set, args.decode_tag))
        result["systems"][system] = {"role": "exporter", **scores}
        result["l2_over_training"][system] = parse_epochs(exp / system / "train.log")
    return result


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument("--exp-dir", required=True, help="the recipe's exp/ dir")
    parser.add_argument("--test-set", required=True, help="e.g. tst-COMMON.en-de")
    parser.add_argument("--decode-tag", default=None, help="decode dir name (default: the one)")
    parser.add_argument("--asr", default="asr", help="ASR system ('' to skip)")
    parser.add_argument(
        "--mt", default="mt", help="MT system on reference transcripts ('' to skip)"
    )
    parser.add_argument("--cascade", default="cascade", help="cascade system ('' to skip)")
    parser.add_argument(
        "--exporters",
        nargs="*",
        default=["exporter_fixed", "exporter_incremental"],
        help="exporter systems",
    )
    parser.add_argument(
        "--src-ref",
        default=None,
        help="source reference (Kaldi text) for the cascade's 1-best WER",
    )
    parser.add_argument(
        "--out", default=str(ROOT / "bench" / "results" / "exporter.json"), help="output JSON"
    )
    args = parser.parse_args(argv)
    result = collect(args)
    write_text_atomic(args.out, json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
