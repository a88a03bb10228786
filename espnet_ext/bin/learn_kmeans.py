"""`python -m espnet_ext.bin.learn_kmeans <step>`: the k-means codebook for discrete units.

subset  --data-dir D --kmeans-dir K [--max-utts N | --max-hours H] [--seed S]
feats   --data-dir D --kmeans-dir K --job J --nj N --feature-type mfcc|s3prl [feature options]
fit     --kmeans-dir K --nj N [--n-clusters 2000] [--seed S] [--max-frames F]
        [--backend sklearn|faiss] -> kmeans.npz,.json
"""

from __future__ import annotations

import argparse
import logging
import sys


def feature_conf(args) -> dict:
    if args.feature_type == "mfcc":
        return {"feature_type": "mfcc", "fs": args.fs, "num_ceps": args.num_ceps}
    return {
        "feature_type": "s3prl",
        "upstream": args.upstream,
        "layer": args.layer,
        "path_or_url": args.path_or_url or None,
        "device": args.device,
        "download_dir": args.download_dir or None,
    }


def add_feature_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--feature-type", choices=["mfcc", "s3prl"], default="mfcc", help="frame features"
    )
    p.add_argument("--num-ceps", type=int, default=13, help="mfcc: cepstra (x3 with deltas)")
    p.add_argument(
        "--upstream",
        default="wavlm_large",
        help="s3prl: upstream name, e.g. wavlm_large, wavlm_local",
    )
    p.add_argument(
        "--layer", type=int, default=21, help="s3prl: hidden-state index (0 = before layer 1)"
    )
    p.add_argument("--path-or-url", default="", help="s3prl: checkpoint of a *_local upstream")
    p.add_argument("--device", default="cpu", help="s3prl: torch device (cpu, cuda)")
    p.add_argument("--download-dir", default="", help="s3prl: where named checkpoints are cached")


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m espnet_ext.bin.learn_kmeans",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="step", required=True)
    s = sub.add_parser("subset", help="choose the utterances k-means learns from")
    s.add_argument("--data-dir", required=True, help="dumped data dir (wav.scp, utt2num_samples)")
    s.add_argument("--kmeans-dir", required=True)
    s.add_argument("--max-utts", type=int, default=None, help="at most this many utterances")
    s.add_argument("--max-hours", type=float, default=None, help="at most this much audio")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--fs", type=int, default=16000)
    f = sub.add_parser("feats", help="extract the subset's features, one job of nj")
    f.add_argument("--data-dir", required=True)
    f.add_argument("--kmeans-dir", required=True)
    f.add_argument("--job", type=int, required=True)
    f.add_argument("--nj", type=int, required=True)
    f.add_argument("--fs", type=int, default=16000)
    add_feature_args(f)
    k = sub.add_parser("fit", help="fit MiniBatchKMeans on the extracted features")
    k.add_argument("--kmeans-dir", required=True)
    k.add_argument("--nj", type=int, required=True, help="number of feature jobs")
    k.add_argument("--n-clusters", type=int, default=2000)
    k.add_argument("--seed", type=int, default=0)
    k.add_argument(
        "--max-frames", type=int, default=None, help="cluster at most this many frames (random)"
    )
    k.add_argument(
        "--backend",
        choices=["sklearn", "faiss"],
        default="sklearn",
        help="sklearn: MiniBatchKMeans; faiss: full-batch k-means (needs faiss-cpu)",
    )
    k.add_argument(
        "--batch-size", type=int, default=None, help="sklearn: MiniBatchKMeans batch (10000)"
    )
    k.add_argument(
        "--max-points-per-centroid",
        type=int,
        default=None,
        help="faiss: cluster a seeded sample of at most this many frames per cluster (256)",
    )
    k.add_argument("--max-iter", type=int, default=100)
    k.add_argument("--n-init", type=int, default=20, help="initialisations; the best is kept")
    return p


def main(argv=None) -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s (%(module)s) %(levelname)s: %(message)s"
    )
    args = get_parser().parse_args(argv)
    from espnet_ext.discrete import kmeans

    if args.step == "subset":
        kmeans.write_subset(
            args.data_dir, args.kmeans_dir, args.fs, args.max_utts, args.max_hours, args.seed
        )
    elif args.step == "feats":
        kmeans.extract_job(
            args.data_dir, args.kmeans_dir, args.job, args.nj, feature_conf(args), args.fs
        )
    else:
        backend_only = {
            "batch_size": args.batch_size,
            "max_points_per_centroid": args.max_points_per_centroid,
        }
        try:
            kmeans.learn(
                args.kmeans_dir,
                args.nj,
                n_clusters=args.n_clusters,
                seed=args.seed,
                max_frames=args.max_frames,
                backend=args.backend,
                max_iter=args.max_iter,
                n_init=args.n_init,
                **{k: v for k, v in backend_only.items() if v is not None},
            )
        except (ImportError, ValueError) as e:
            logging.error("k-means fit in %s failed: %s", args.kmeans_dir, e)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
