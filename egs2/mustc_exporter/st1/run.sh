#!/usr/bin/env bash
# Exporter (issue 7, arXiv 2407.17605) on MuST-C v1: an ASR model (CTC/attention) and a text MT
# model, their 1-best cascade, and an exporter between the ASR encoder and the MT model trained
# with the MT fixed and with the MT trained along (conf/systems.yaml), in one results table.
# Every pair through --tgt_lang de|es|fr; --mini_size, --conf_dir: see scripts/run_mustc.sh; all
# other options: ./st.sh --help.
set -euo pipefail
exec scripts/run_mustc.sh --systems_file conf/systems.yaml "$@"
