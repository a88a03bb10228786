#!/usr/bin/env bash
# LST (arXiv 2310.02050) on MuST-C v1: speech encoder -> length + modality adapters -> decoder-only
# LLM, trained in two stages (conf/systems*.yaml): stage A trains the adapters with the LLM frozen,
# stage B fine-tunes the LLM too (full, or LoRA), starting from stage A. On the mini corpus the LLM
# is the recipe's own tiny LLaMA-architecture LM (system llm, pretrained on the text-only part);
# with MUSTC set the configs load LLaMA-2 by path. Every pair through --tgt_lang de|es|fr (the
# prompt in the configs names the target language: edit prompt_conf for another pair);
# --mini_size, --conf_dir: see scripts/run_mustc.sh; all other options: ./st.sh --help.
set -euo pipefail
. ./path.sh
. ./db.sh

# --- options ---
systems_file=      # default: conf/systems.yaml (mini corpus, tiny LM) or conf/systems_llama2.yaml when MUSTC is set
# --- end options ---
. scripts/options.sh
parse_options --partial "$0" "$@"
if [ -z "${systems_file}" ]; then
    if [ -n "${MUSTC}" ]; then systems_file=conf/systems_llama2.yaml; else systems_file=conf/systems.yaml; fi
fi
exec scripts/run_mustc.sh --systems_file "${systems_file}" "${remaining_args[@]}"
