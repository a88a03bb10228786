"""Data-dir operations the pipeline stages share: subsets, job splits, copies."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from espnet_ext.corpus.kaldi import read_kaldi_file, write_kaldi_file
from espnet_ext.fileio import atomic_open

# files keyed by utterance id that follow an utterance subset
UTT_KEYED_PREFIXES = ("text", "utt2", "segments")


def read_map(path: str | Path, missing_ok: bool = False) -> dict[str, str]:
    """Read a Kaldi ``key value`` file in any key order; errors name the file and line."""
    path = Path(path)
    if missing_ok and not path.exists():
        return {}
    return read_kaldi_file(path, check_sorted=False, allow_empty=True)


def write_map(path: str | Path, mapping: dict[str, str]) -> None:
    write_kaldi_file(path, mapping)


def utt_keyed_files(data_dir: Path) -> list[Path]:
    return sorted(
        p
        for p in data_dir.iterdir()
        if p.is_file() and p.name.startswith(UTT_KEYED_PREFIXES) and not p.name.endswith(".json")
    )


def subset_files(
    src: str | Path, dst: str | Path, utts: set[str], names: Iterable[str] | None = None
) -> None:
    """Copy the utterance-keyed files of ``src`` (or only ``names``) to ``dst`` keeping ``utts``;
    rebuild ``spk2utt`` from the kept ``utt2spk``. ``wav.scp`` and ``segments`` are left to the
    caller, which knows whether they refer to recordings or to utterances."""
    src, dst = Path(src), Path(dst)
    dst.mkdir(parents=True, exist_ok=True)
    paths = [src / n for n in names] if names is not None else utt_keyed_files(src)
    for path in paths:
        if path.name in ("segments", "wav.scp"):
            continue
        mapping = read_map(path)
        write_map(dst / path.name, {k: v for k, v in mapping.items() if k in utts})
    utt2spk = read_map(dst / "utt2spk", missing_ok=True)
    if utt2spk:
        spk2utt: dict[str, list[str]] = {}
        for utt in sorted(utt2spk):
            spk2utt.setdefault(utt2spk[utt], []).append(utt)
        write_map(dst / "spk2utt", {s: " ".join(u) for s, u in spk2utt.items()})


def split_keys(scp: str | Path, nj: int, out_dir: str | Path) -> int:
    """Write ``out_dir/keys.1..nj``: contiguous, nearly equal shares of ``scp``'s lines.

    The lines keep their value column because ESPnet's key-file readers expect two columns.
    Returns the number of splits (fewer than ``nj`` when there are fewer keys); the pipeline
    launches that many jobs.
    """
    mapping = read_map(scp)
    keys = sorted(mapping)
    if not keys:
        raise ValueError(f"{scp} is empty")
    nj = max(1, min(nj, len(keys)))
    out_dir = Path(out_dir)
    bounds = [round(i * len(keys) / nj) for i in range(nj + 1)]
    for j in range(nj):
        with atomic_open(out_dir / f"keys.{j + 1}") as f:
            f.writelines(f"{k} {mapping[k]}\n" for k in keys[bounds[j] : bounds[j + 1]])
    return nj
