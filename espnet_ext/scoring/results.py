"""Results across experiments: ``exp/*/`` -> rows -> Markdown tables and ``results.json``.

An experiment is a directory ``EXP_ROOT/<system>/`` holding ``train_info.json``, a
``decode_<tag>/`` directory, or a ``config.yaml`` next to ``*.pth`` checkpoints (training started);
other directories (collect-stats output, tokenizers) are skipped. Each decoded set
``decode_<tag>/<set>/`` (holding ``text``, ``score.json`` or ``rtf.json``) gives one row; an
experiment with no decoded set gives one row with no test set. What is missing is ``None`` in the
row (``-`` in the table) and explained in its ``notes``.

Rows are sorted by test set, then system name, then decode tag; rows without a test set come last.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from espnet_ext.fileio import write_text_atomic

logger = logging.getLogger(__name__)

SORT_ORDER = "test set, then system, then decode tag; rows without a test set last"
_SCORE_KEYS = ("bleu", "chrf", "ter", "bleu_lc_rm", "wer", "cer", "n_sentences", "missing_hyps")
_INFO_KEYS = ("trainable_params", "total_params", "train_wall_s", "device_hours", "device", "ngpu")
_SET_FILES = ("text", "score.json", "rtf.json")


def _read_json(path: Path, notes: list[str]) -> dict | None:
    """The JSON object in ``path``, or ``None`` with a note when it is absent or unreadable."""
    if not path.is_file():
        return None
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        logger.warning("%s: unreadable, left out of the table (%s)", path, e)
        notes.append(f"unreadable {path.name}")
        return None
    if not isinstance(obj, dict):
        notes.append(f"unreadable {path.name}")
        return None
    return obj


def _is_experiment(exp_dir: Path) -> bool:
    if (exp_dir / "train_info.json").is_file() or any(exp_dir.glob("decode_*/")):
        return True
    return (exp_dir / "config.yaml").is_file() and any(exp_dir.glob("*.pth"))


def _decoded_sets(exp_dir: Path) -> list[Path]:
    sets = []
    for decode_dir in sorted(p for p in exp_dir.glob("decode_*") if p.is_dir()):
        for set_dir in sorted(p for p in decode_dir.iterdir() if p.is_dir()):
            if any((set_dir / f).is_file() for f in _SET_FILES):
                sets.append(set_dir)
    return sets


def _sort_key(row: dict) -> tuple:
    return (row["test_set"] is None, row["test_set"] or "", row["system"], row["decode_tag"] or "")


def load_experiment(exp_dir: str | os.PathLike) -> list[dict]:
    """The rows of one experiment directory (unsorted; empty if it is not an experiment)."""
    exp_dir = Path(exp_dir)
    if not _is_experiment(exp_dir):
        return []
    exp_notes: list[str] = []
    info = _read_json(exp_dir / "train_info.json", exp_notes)
    if info is None and not exp_notes:
        exp_notes.append("no train_info.json (training not finished?)")
    if (info or {}).get("imported_from"):
        exp_notes.append(f"imported from {info['imported_from']}")
    base = {
        "system": exp_dir.name,
        "exp_dir": str(exp_dir.resolve()),
        "task": (info or {}).get("task"),
        **{k: (info or {}).get(k) for k in _INFO_KEYS},
    }
    sets = _decoded_sets(exp_dir)
    if not sets:
        return [_row(base, None, None, None, None, [*exp_notes, "no decode yet"])]
    rows = []
    for set_dir in sets:
        notes = list(exp_notes)
        score = _read_json(set_dir / "score.json", notes)
        if score is None and not any(n.endswith("score.json") for n in notes):
            notes.append("not scored (no score.json)")
        rtf = _read_json(set_dir / "rtf.json", notes)
        if rtf is None and not any(n.endswith("rtf.json") for n in notes):
            notes.append("no rtf.json")
        tag = set_dir.parent.name[len("decode_") :]
        rows.append(_row(base, tag, set_dir, score, rtf, notes))
    return rows


def _row(
    base: dict,
    tag: str | None,
    set_dir: Path | None,
    score: dict | None,
    rtf: dict | None,
    notes: list[str],
) -> dict:
    score = score or {}
    if score.get("missing_hyps"):
        notes.append(f"{score['missing_hyps']} missing hyps")
    row = {
        **base,
        "decode_tag": tag,
        "test_set": None if set_dir is None else set_dir.name,
        "metric": score.get("metric"),
        **{k: score.get(k) for k in _SCORE_KEYS},
        "signatures": score.get("signatures"),
        "by_duration": score.get("by_duration"),
        "rtf": (rtf or {}).get("rtf"),
        # rtf.json files written before the device was recorded come from CPU decoding
        "rtf_device": rtf.get("device", "cpu") if rtf else None,
        "decode_dir": None if set_dir is None else str(set_dir.resolve()),
        "notes": notes,
    }
    if row["task"] is None and row["metric"] == "wer":
        row["task"] = "asr"
    return row


def load_results(exp_root: str | os.PathLike) -> list[dict]:
    """Rows of every experiment under ``exp_root``, in the documented sort order."""
    exp_root = Path(exp_root)
    if not exp_root.is_dir():
        raise FileNotFoundError(f"{exp_root}: no such experiment root directory")
    rows = []
    for exp_dir in sorted(p for p in exp_root.iterdir() if p.is_dir()):
        rows += load_experiment(exp_dir)
    return sorted(rows, key=_sort_key)


# ----------------------------------------------------------------------------- formatting


def human_count(n: int | None) -> str:
    """``12345678`` -> ``"12.3M"``; ``None`` -> ``"-"``."""
    if n is None:
        return "-"
    for div, unit in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(n) >= div:
            return f"{n / div:.1f}{unit}"
    return str(n)


def human_duration(seconds: float | None) -> str:
    """``4523`` -> ``"1h15m23s"``, ``125`` -> ``"2m05s"``, ``42.4`` -> ``"42s"``."""
    if seconds is None:
        return "-"
    s = round(seconds)
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    if h:
        return f"{h}h{m:02d}m{s:02d}s"
    return f"{m}m{s:02d}s" if m else f"{s}s"


def _num(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _device_hours(row: dict) -> str:
    if row["device_hours"] is None:
        return "-"
    return f"{row['device_hours']:.3g} {(row['device'] or 'device').upper()}-h"


def _params(row: dict) -> str:
    if row["total_params"] is None:
        return "-"
    return f"{human_count(row['trainable_params'])} / {human_count(row['total_params'])}"


# (header, cell formatter)
COLUMNS = (
    ("System", lambda r: r["system"]),
    ("Decode", lambda r: r["decode_tag"] or "-"),
    ("Test set", lambda r: r["test_set"] or "-"),
    ("BLEU", lambda r: _num(r["bleu"])),
    ("chrF", lambda r: _num(r["chrf"])),
    ("TER", lambda r: _num(r["ter"])),
    ("BLEU lc.rm", lambda r: _num(r["bleu_lc_rm"])),
    ("WER", lambda r: _num(r["wer"])),
    ("Params (trainable / total)", _params),
    ("Train time", lambda r: human_duration(r["train_wall_s"])),
    ("Device-hours", _device_hours),
    ("RTF", lambda r: _num(r["rtf"], 3) + (" (GPU)" if r.get("rtf_device") == "gpu" else "")),
    ("Notes", lambda r: "; ".join(r["notes"]) or ""),
)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


# Per-experiment tables leave out what is the same on every row of one experiment.
_EXPERIMENT_WIDE = ("System", "Params (trainable / total)", "Train time", "Device-hours")


def markdown_table(rows: list[dict], per_experiment: bool = False) -> str:
    """A GitHub Markdown table of ``rows`` (one line per row, in the given order)."""
    columns = [c for c in COLUMNS if not (per_experiment and c[0] in _EXPERIMENT_WIDE)]
    lines = [
        "| " + " | ".join(h for h, _ in columns) + " |",
        "|" + "|".join("---" for _ in columns) + "|",
    ]
    for row in rows:
        lines.append("| " + " | ".join(_cell(fmt(row)) for _, fmt in columns) + " |")
    return "\n".join(lines) + "\n"


def parse_markdown_table(text: str) -> list[dict[str, str]]:
    """The first Markdown table in ``text`` as ``[{header: cell}]`` (inverse of the writer)."""
    lines = [ln.strip() for ln in text.splitlines()]
    start = next((i for i, ln in enumerate(lines) if ln.startswith("|")), None)
    if start is None or start + 1 >= len(lines) or not lines[start + 1].startswith("|-"):
        raise ValueError("no Markdown table found")

    def split(line: str) -> list[str]:
        cells, cur, i = [], "", 1
        while i < len(line) - 1:
            if line[i] == "\\" and line[i + 1] == "|":
                cur, i = cur + "|", i + 2
                continue
            if line[i] == "|":
                cells.append(cur.strip())
                cur = ""
            else:
                cur += line[i]
            i += 1
        return [*cells, cur.strip()]

    header = split(lines[start])
    out = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = split(line)
        if len(cells) != len(header):
            raise ValueError(f"table row has {len(cells)} cells, header {len(header)}: {line!r}")
        out.append(dict(zip(header, cells)))
    return out


def _signature_lines(rows: list[dict]) -> list[str]:
    seen: dict[str, set[str]] = {}
    for row in rows:
        for metric, sig in (row["signatures"] or {}).items():
            seen.setdefault(metric, set()).add(sig)
    return [f"- {m}: `{s}`" for m in sorted(seen) for s in sorted(seen[m])]


def _duration_lines(rows: list[dict]) -> list[str]:
    lines = []
    for row in rows:
        bd = row["by_duration"]
        if not bd:
            continue
        m = bd["metric"]
        lines += [
            f"\n{m.upper()} by utterance duration, {row['system']} `{row['decode_tag']}` "
            f"{row['test_set']}:\n",
            "| Duration | Sentences | " + m.upper() + " |",
            "|---|---|---|",
            *(f"| {b['label']} | {b['n_sentences']} | {_num(b[m])} |" for b in bd["buckets"]),
        ]
    return lines


def results_markdown(rows: list[dict], plots: list[str] = ()) -> str:
    """The cross-experiment ``RESULTS.md``."""
    parts = [
        "# Results\n\n",
        f"Generated by `python -m espnet_ext.bin.show_results`. Sorted by {SORT_ORDER}. Scores in "
        "percent (sacreBLEU BLEU/chrF/TER on detokenised, cased output; `BLEU lc.rm` and WER "
        "after lower-casing and removing punctuation). RTF = decoding seconds / audio "
        "seconds.\n\n",
        markdown_table(rows),
    ]
    sigs = _signature_lines(rows)
    if sigs:
        parts += ["\n## Signatures\n", "\n".join(sigs) + "\n"]
    dur = _duration_lines(rows)
    if dur:
        parts += ["\n## By duration\n", "\n".join(dur) + "\n"]
    if plots:
        parts += ["\n## Plots\n", "\n".join(f"![{Path(p).stem}]({p})" for p in plots) + "\n"]
    return "".join(parts)


def experiment_markdown(system: str, rows: list[dict]) -> str:
    """``EXP_ROOT/<system>/RESULTS.md``: training facts, then the rows of that experiment."""
    r = rows[0]
    parts = [
        f"# {system}\n\n",
        f"- task: {r['task'] or '-'}\n",
        f"- parameters (trainable / total): {_params(r)}\n",
        f"- training wall time: {human_duration(r['train_wall_s'])}"
        + (f" on {r['ngpu']} GPU(s)" if r["ngpu"] else "")
        + f", {_device_hours(r)}\n\n",
        markdown_table(rows, per_experiment=True),
    ]
    sigs = _signature_lines(rows)
    if sigs:
        parts += ["\n## Signatures\n", "\n".join(sigs) + "\n"]
    dur = _duration_lines(rows)
    if dur:
        parts += ["\n## By duration\n", "\n".join(dur) + "\n"]
    return "".join(parts)


def write_results(exp_root: str | os.PathLike, out: str | os.PathLike | None = None) -> dict:
    """Write the table (``out``, default ``EXP_ROOT/RESULTS.md``), ``results.json`` and PNG plots
    next to it, and ``EXP_ROOT/<system>/RESULTS.md`` per experiment.

    Returns ``{"rows", "markdown", "table", "results_json", "plots", "experiments"}``.
    """
    from espnet_ext.scoring.plots import plot_results

    exp_root = Path(exp_root)
    rows = load_results(exp_root)
    out = Path(out) if out is not None else exp_root / "RESULTS.md"
    out_dir = out.parent
    plots = plot_results(rows, out_dir)
    plot_refs = [os.path.relpath(p, out_dir) for p in plots]
    markdown = results_markdown(rows, plot_refs)
    write_text_atomic(out, markdown)
    results_json = out_dir / "results.json"
    payload = {"exp_root": str(exp_root.resolve()), "sort_order": SORT_ORDER, "rows": rows}
    payload["plots"] = [str(p) for p in plots]
    write_text_atomic(results_json, json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    experiments = []
    for system in sorted({r["system"] for r in rows}):
        exp_rows = [r for r in rows if r["system"] == system]
        path = exp_root / system / "RESULTS.md"
        write_text_atomic(path, experiment_markdown(system, exp_rows))
        experiments.append(str(path))
    return {
        "rows": rows,
        "markdown": markdown,
        "table": markdown_table(rows),
        "results_json": str(results_json),
        "plots": [str(p) for p in plots],
        "experiments": experiments,
    }


def read_results_json(path: str | os.PathLike) -> list[dict]:
    """The rows of a ``results.json`` written by :func:`write_results`."""
    payload = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(payload, dict) or not isinstance(payload.get("rows"), list):
        raise ValueError(f"{path}: not a results.json (no 'rows' list)")
    return payload["rows"]
