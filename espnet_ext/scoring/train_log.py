"""Per-epoch statistics from ESPnet training logs.

ESPnet's trainer ends every epoch with one line::

    ... INFO: 3epoch results: [train] loss=31.2, acc=0.42, ..., time=1 minute and 50.66 seconds,
    total_count=909, [valid] loss=32.7, acc=0.42, ..., time=3.7 seconds, total_count=108

:func:`epoch_stats` turns those lines into one record per epoch, across the logs of resumed runs
(``train.log`` and the earlier ``train.log.<n>`` kept beside it), for the benchmarks' learning
curves and epoch times.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

EPOCH_RE = re.compile(r"(\d+)epoch results: (.*)$")
SPLIT_RE = re.compile(r"\[(train|valid|att_plot)\]([^\[]*)")
NUMBER_RE = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|nan|inf")
DURATION_RE = re.compile(r"([0-9.]+) (hour|minute|second)s?")
UNIT_SECONDS = {"hour": 3600.0, "minute": 60.0, "second": 1.0}


class NoEpochs(ValueError):
    """A training log (and its earlier runs' logs) without a finished epoch."""


def parse_duration(text: str) -> float:
    """Seconds of ESPnet's humanised durations: ``2 minutes and 8.92 seconds`` -> 128.92."""
    parts = DURATION_RE.findall(text)
    if not parts:
        raise ValueError(f"not a duration: {text!r}")
    return sum(float(n) * UNIT_SECONDS[unit] for n, unit in parts)


def _split_stats(body: str, where: str) -> dict[str, float]:
    stats: dict[str, float] = {}
    for item in body.strip().strip(",").split(", "):
        key, sep, value = item.partition("=")
        if not sep:
            continue
        key = key.strip()
        if key == "time":
            stats["seconds"] = parse_duration(value)
        elif NUMBER_RE.fullmatch(value.strip()):
            stats[key] = float(value)
        else:
            raise ValueError(f"{where}: cannot read {item!r}")
    return stats


def parse_epoch_lines(lines, where: str = "log") -> list[dict]:
    """One record per epoch, ``{"epoch": n, "train": {...}, "valid": {...}}``, sorted by epoch.

    An epoch logged twice (a run resumed from an earlier checkpoint repeats it) keeps its last
    line. ``seconds`` is the split's wall time, from ESPnet's ``time=``."""
    epochs: dict[int, dict] = {}
    for number, line in enumerate(lines, 1):
        match = EPOCH_RE.search(line)
        if not match:
            continue
        row: dict = {"epoch": int(match.group(1))}
        for split, body in SPLIT_RE.findall(match.group(2)):
            if split != "att_plot":
                row[split] = _split_stats(body, f"{where}:{number}")
        epochs[row["epoch"]] = row
    return [epochs[k] for k in sorted(epochs)]


def epoch_stats(log: Path) -> list[dict]:
    """:func:`parse_epoch_lines` over ``log`` and the earlier runs' logs kept beside it."""
    from espnet_ext.launch.logs import earlier_logs

    logs = earlier_logs(Path(log))
    if not logs:
        raise FileNotFoundError(f"{log}: no training log")
    rows: dict[int, dict] = {}
    for path in logs:  # oldest first, so a repeated epoch keeps the newest run's line
        text = path.read_text(encoding="utf-8", errors="replace").splitlines()
        for row in parse_epoch_lines(text, str(path)):
            rows[row["epoch"]] = row
    if not rows:
        raise NoEpochs(f"{log}: no '<n>epoch results:' lines")
    return [rows[k] for k in sorted(rows)]


def best_epoch(rows: list[dict], key: str, mode: str = "min") -> dict | None:
    """The record whose ``valid[key]`` is lowest (``min``) or highest (``max``); ``None`` when no
    epoch reports it."""
    if mode not in ("min", "max"):
        raise ValueError(f"mode must be min or max, not {mode!r}")
    scored = [r for r in rows if not math.isnan(r.get("valid", {}).get(key, math.nan))]
    if not scored:
        return None
    pick = min if mode == "min" else max
    return pick(scored, key=lambda r: r["valid"][key])
