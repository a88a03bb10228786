"""PNG bar charts of results rows (matplotlib's Agg canvas; no display, no global pyplot state).

- ``bleu_by_system.png``: BLEU per test set, one bar per system (and decode tag when a system
  has several); written when a row has BLEU.
- ``wer_by_system.png``: the same for WER (ASR rows).
- ``bleu_by_duration.png`` / ``wer_by_duration.png``: the score per utterance-duration bucket, one
  bar per decoded set that was scored with ``--utt2dur``.

A plot whose data is gone on a re-run is removed, so the directory never shows stale figures.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from espnet_ext.fileio import atomic_open

PLOT_NAMES = (
    "bleu_by_system.png",
    "wer_by_system.png",
    "bleu_by_duration.png",
    "wer_by_duration.png",
)


def bar_chart(
    path: Path,
    groups: list[str],
    series: dict[str, list[float | None]],
    ylabel: str,
    title: str,
    xlabel: str = "",
) -> Path:
    """Grouped bars: ``series[name][i]`` is the bar of ``name`` in ``groups[i]`` (None: no bar)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(max(6.0, 1.2 + 0.5 * len(groups) * max(len(series), 1)), 4.5))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    width = 0.8 / max(len(series), 1)
    for k, (name, values) in enumerate(series.items()):
        xs = [
            i + (k - (len(series) - 1) / 2) * width for i, v in enumerate(values) if v is not None
        ]
        ys = [v for v in values if v is not None]
        bars = ax.bar(xs, ys, width=width, label=name)
        ax.bar_label(bars, fmt="%.1f", fontsize=7)
    ax.set_xticks(range(len(groups)), groups)
    ax.set_ylabel(ylabel)
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.margins(y=0.15)
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    with atomic_open(path, "wb") as f:
        fig.savefig(f, format="png", dpi=100)
    return path


def _series_name(row: dict, multi_tag: set[str]) -> str:
    return f"{row['system']}/{row['decode_tag']}" if row["system"] in multi_tag else row["system"]


def _multi_tag_systems(rows: list[dict]) -> set[str]:
    tags: dict[str, set] = {}
    for r in rows:
        tags.setdefault(r["system"], set()).add(r["decode_tag"])
    return {s for s, t in tags.items() if len(t) > 1}


def _by_system(rows: list[dict], metric: str, out_dir: Path) -> Path | None:
    rows = [r for r in rows if r[metric] is not None]
    if not rows:
        return None
    multi = _multi_tag_systems(rows)
    sets = sorted({r["test_set"] for r in rows})
    series: dict[str, list] = {}
    for r in rows:
        values = series.setdefault(_series_name(r, multi), [None] * len(sets))
        values[sets.index(r["test_set"])] = r[metric]
    label = metric.upper()
    return bar_chart(
        out_dir / f"{metric}_by_system.png", sets, series, label, f"{label} per system", "test set"
    )


def _by_duration(rows: list[dict], metric: str, out_dir: Path) -> Path | None:
    rows = [r for r in rows if r["by_duration"] and r["by_duration"]["metric"] == metric]
    if not rows:
        return None
    labels: list[str] = []
    for r in rows:
        labels += [b["label"] for b in r["by_duration"]["buckets"] if b["label"] not in labels]
    multi = _multi_tag_systems(rows)
    series: dict[str, list] = {}
    for r in rows:
        values = [None] * len(labels)
        for b in r["by_duration"]["buckets"]:
            values[labels.index(b["label"])] = b[metric]
        series[f"{_series_name(r, multi)} {r['test_set']}"] = values
    label = metric.upper()
    return bar_chart(
        out_dir / f"{metric}_by_duration.png",
        labels,
        series,
        label,
        f"{label} by utterance duration",
        "duration",
    )


def plot_results(rows: list[dict], out_dir: str | Path) -> list[Path]:
    """Write the plots that ``rows`` have data for into ``out_dir``; returns their paths."""
    out_dir = Path(out_dir)
    written = [
        p
        for p in (
            _by_system(rows, "bleu", out_dir),
            _by_system(rows, "wer", out_dir),
            _by_duration(rows, "bleu", out_dir),
            _by_duration(rows, "wer", out_dir),
        )
        if p is not None
    ]
    for name in PLOT_NAMES:
        if out_dir / name not in written:
            with contextlib.suppress(FileNotFoundError):
                (out_dir / name).unlink()
    return written
