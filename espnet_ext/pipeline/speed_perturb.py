"""Stage 2: speed-perturbed copies of a training data dir (the audio is changed in stage 3).

Each factor f != 1 adds a copy of every utterance with id and speaker prefixed ``sp<f>-`` (so
speaker-prefixed ids stay sorted consistently) and ``utt2speed`` = f; its segment times stay those
of the original recording, and the dump stage plays that segment at f times the speed.
"""

from __future__ import annotations

from pathlib import Path

from espnet_ext.fileio import atomic_dir
from espnet_ext.pipeline.datadir import read_map, utt_keyed_files, write_map


def _prefix(factor: float) -> str:
    return f"sp{factor:g}-"


def speed_perturb_dir(src: str | Path, dst: str | Path, factors: list[float]) -> int:
    """Write the perturbed data dir; returns its number of utterances."""
    src, dst = Path(src), Path(dst)
    if not factors or any(f <= 0 for f in factors):
        raise ValueError(f"speed factors must be positive, got {factors}")
    segments = read_map(src / "segments")
    utt2spk = read_map(src / "utt2spk")
    out_segments, out_utt2spk, out_speed = {}, {}, {}
    keyed = {
        p.name: read_map(p)
        for p in utt_keyed_files(src)
        if p.name not in ("segments", "utt2spk", "utt2speed")
    }
    out_keyed: dict[str, dict[str, str]] = {name: {} for name in keyed}
    for factor in factors:
        pre = "" if factor == 1.0 else _prefix(factor)
        for utt, value in segments.items():
            new = pre + utt
            out_segments[new] = value
            out_utt2spk[new] = pre + utt2spk[utt]
            out_speed[new] = f"{factor:g}"
            for name, mapping in keyed.items():
                if utt in mapping:
                    out_keyed[name][new] = mapping[utt]
    # utt2num_samples and durations no longer hold for the perturbed copies
    out_keyed = {n: m for n, m in out_keyed.items() if n not in ("utt2num_samples", "utt2dur")}
    spk2utt: dict[str, list[str]] = {}
    for utt in sorted(out_utt2spk):
        spk2utt.setdefault(out_utt2spk[utt], []).append(utt)
    # built beside dst and renamed over it: an interrupted run leaves the previous dst (or none)
    with atomic_dir(dst) as out:
        for name, mapping in out_keyed.items():
            write_map(out / name, mapping)
        write_map(out / "segments", out_segments)
        write_map(out / "utt2spk", out_utt2spk)
        write_map(out / "utt2speed", out_speed)
        write_map(out / "spk2utt", {s: " ".join(u) for s, u in spk2utt.items()})
        write_map(out / "wav.scp", read_map(src / "wav.scp"))
    return len(out_segments)
