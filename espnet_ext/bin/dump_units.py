"""`python -m espnet_ext.bin.dump_units <step>`: cluster ids for every utterance of a set.

job    --data-dir D --kmeans-dir K --out-dir O --job J --nj N [--device cuda]
merge  --data-dir D --kmeans-dir K --out-dir O --nj N      -> O/units, O/unit_report.json
"""

from __future__ import annotations

import argparse
import logging
import sys


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m espnet_ext.bin.dump_units",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="step", required=True)
    for name, what in (
        ("job", "units of one job of nj (skipped when done)"),
        ("merge", "merge the jobs"),
    ):
        s = sub.add_parser(name, help=what)
        s.add_argument("--data-dir", required=True, help="dumped data dir (wav.scp)")
        s.add_argument("--kmeans-dir", required=True, help="k-means dir (kmeans.npz, kmeans.json)")
        s.add_argument("--out-dir", required=True, help="where parts/ and units go")
        s.add_argument("--nj", type=int, required=True)
        if name == "job":
            s.add_argument("--job", type=int, required=True)
            s.add_argument("--fs", type=int, default=16000)
            s.add_argument("--device", default=None, help="override the s3prl device (cpu, cuda)")
    return p


def main(argv=None) -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s (%(module)s) %(levelname)s: %(message)s"
    )
    args = get_parser().parse_args(argv)
    from espnet_ext.discrete import dump

    if args.step == "job":
        dump.dump_job(
            args.data_dir, args.kmeans_dir, args.out_dir, args.job, args.nj, args.fs, args.device
        )
    else:
        logging.info(
            "%s: %s",
            args.out_dir,
            dump.merge(args.data_dir, args.kmeans_dir, args.out_dir, args.nj),
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
