#!/usr/bin/env bash
# How2 (300h) English -> Portuguese: E-Branchformer ASR, the recipe's own Marian MT model, an ESPnet
# ST baseline, and connectors (Q-Former / STE x ECD / ECED) between the frozen ASR encoder and the
# frozen MT model (conf/systems.yaml). Stage 13 adds BLEU by input duration (< 10 s, 10-20 s,
# > 20 s) with a plot (local/score_by_duration.sh). Other options go to the shared pipeline
# (./st.sh --help), e.g. --stage, --systems, --ngpu.
set -euo pipefail
. ./path.sh
. ./db.sh

# --- options ---
mini_size=tiny     # mini corpus used when HOW2 in db.sh is empty: tiny (CI) | mini (demo)
conf_dir=          # config family; default conf/tuning with HOW2 set, conf/mini without
# --- end options ---
. scripts/options.sh
parse_options --partial "$0" "$@"
if [ -z "${conf_dir}" ]; then
    if [ -n "${HOW2}" ]; then conf_dir=conf/tuning; else conf_dir=conf/mini; fi
fi
# vocabulary sizes and the n of the n-best checkpoint average used for decoding, per family
case ${conf_dir} in
    conf/tuning) nbpe=8000; nbest=10 ;;
    *) nbpe=$([ "${mini_size}" = tiny ] && echo 200 || echo 1000); nbest=3 ;;
esac

exec ./st.sh \
    --src_lang en --tgt_lang pt \
    --train_set train.en-pt --valid_set val.en-pt --test_sets dev5.en-pt \
    --local_data_opts "--mini_size ${mini_size}" \
    --src_nbpe "${nbpe}" --tgt_nbpe "${nbpe}" \
    --conf_dir "${conf_dir}" --systems_file conf/systems.yaml \
    --inference_model "valid.acc.ave_${nbest}best.pth" \
    --results_hook local/score_by_duration.sh \
    "${remaining_args[@]}"
