#!/usr/bin/env bash
# MuST-C v1 baselines: ASR, MT, ST Transformer from scratch, ST with the ASR-pretrained encoder,
# ST Conformer with CTC/attention (conf/systems.yaml). Every pair through --tgt_lang de|es|fr;
# --mini_size, --conf_dir: see scripts/run_mustc.sh; all other options: ./st.sh --help.
set -euo pipefail
exec scripts/run_mustc.sh --systems_file conf/systems.yaml "$@"
