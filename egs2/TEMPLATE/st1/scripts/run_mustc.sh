#!/usr/bin/env bash
# The body of every MuST-C recipe's run.sh: picks the language pair's data sets, the config family
# and vocabulary sizes, then calls the shared pipeline. A recipe's run.sh passes its own options
# (systems file, hooks) and the user's; anything not listed below goes on to st.sh.
set -euo pipefail
. ./path.sh
. ./db.sh

# --- options ---
tgt_lang=de        # MuST-C target language: de | es | fr
mini_size=tiny     # mini corpus used when MUSTC in db.sh is empty: tiny (CI) | mini (demo)
conf_dir=          # config family; default conf/tuning with MUSTC set, conf/mini without
# --- end options ---
. scripts/options.sh
parse_options --partial "$0" "$@"
if [ -z "${conf_dir}" ]; then
    if [ -n "${MUSTC}" ]; then conf_dir=conf/tuning; else conf_dir=conf/mini; fi
fi
# vocabulary sizes and the n of the n-best checkpoint average used for decoding, per family
case ${conf_dir} in
    conf/tuning) nbpe=8000; nbest=10 ;;
    *) nbpe=$([ "${mini_size}" = tiny ] && echo 200 || echo 1000); nbest=3 ;;
esac
pair=en-${tgt_lang}

exec ./st.sh \
    --src_lang en --tgt_lang "${tgt_lang}" \
    --train_set "train.${pair}" --valid_set "dev.${pair}" \
    --test_sets "tst-COMMON.${pair} tst-HE.${pair}" \
    --local_data_opts "--tgt_lang ${tgt_lang} --mini_size ${mini_size}" \
    --src_nbpe "${nbpe}" --tgt_nbpe "${nbpe}" --conf_dir "${conf_dir}" \
    --inference_model "valid.acc.ave_${nbest}best.pth" \
    "${remaining_args[@]}"
