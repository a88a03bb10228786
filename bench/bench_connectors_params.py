"""Connector share of the paper-scale systems (Whisper small.en / 12-layer E-Branchformer x
opus-mt-tc-big-en-pt / T5-base x Q-Former / STE), counted on the meta device.

    .venv/bin/python bench/bench_connectors_params.py [--out bench/results/connectors_params.json]

No weights are downloaded or allocated: the models are built from ``conf/hf_configs/*.json``.
Prints a Markdown table and writes the rows as JSON.
"""

from __future__ import annotations

import argparse
import json
import platform
from pathlib import Path

from espnet_ext.bin import quiet_espnet_import
from espnet_ext.fileio import write_text_atomic


def markdown(rows: list[dict]) -> str:
    head = (
        "| ASR | MT | connector | connector | ASR enc. | ASR full | MT | share of system | "
        "share of aligned |\n|---|---|---|---:|---:|---:|---:|---:|---:|\n"
    )
    body = "".join(
        f"| {r['asr']} | {r['mt']} | {r['connector']} | {r['connector_params'] / 1e6:.1f}M | "
        f"{r['asr_encoder_params'] / 1e6:.1f}M | {r['asr_model_params'] / 1e6:.1f}M | "
        f"{r['mt_model_params'] / 1e6:.1f}M | {r['share_of_system_pct']:.2f} % | "
        f"{r['share_of_aligned_pct']:.2f} % |\n"
        for r in rows
    )
    return head + body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="bench/results/connectors_params.json", help="JSON file")
    args = parser.parse_args()
    quiet_espnet_import()
    import torch
    import transformers

    from espnet_ext.connectors import paper_scale

    rows = paper_scale.connector_share()
    result = {
        "description": "connector parameters vs the frozen models, paper sizes, meta device",
        "definitions": {
            "system_params": "connector + ASR encoder + whole MT model (what the model holds)",
            "aligned_params": "connector + full ASR model (encoder+decoder) + whole MT model",
        },
        "configs": {
            **{k: f"conf/hf_configs/{v}" for k, v in paper_scale.ASR_MODELS.items()},
            **{k: f"conf/hf_configs/{v}" for k, v in paper_scale.MT_MODELS.items()},
        },
        "connector_sizes": {
            "qformer": "80 queries, 6 layers, width 256, 4 heads, FFN 2048",
            "ste": "2 conv1d k5 s2 GLU (1024, 256 ch.), 6 layers, width 256, 4 heads, FFN 2048",
        },
        "versions": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "transformers": transformers.__version__,
        },
        "rows": rows,
    }
    write_text_atomic(Path(args.out), json.dumps(result, indent=1) + "\n")
    print(markdown(rows))


if __name__ == "__main__":
    main()
