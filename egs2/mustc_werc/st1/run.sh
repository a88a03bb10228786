#!/usr/bin/env bash
# WeRC (weighted residual cross-attention) on MuST-C v1: baseline and WeRC decoders, from scratch and
# with the ASR-pretrained encoder (conf/systems.yaml), plus the ALTI+ source-contribution curves of
# every epoch (exp/source_contribution/). Every pair through --tgt_lang de|es|fr;
# --mini_size, --conf_dir: see scripts/run_mustc.sh; all other options: ./st.sh --help.
set -euo pipefail
exec scripts/run_mustc.sh --systems_file conf/systems.yaml --results_hook local/source_contribution.sh "$@"
