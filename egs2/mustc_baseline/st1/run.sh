#!/usr/bin/env bash
# MuST-C v1 baselines: ASR, MT, ST Transformer from scratch, ST with the ASR-pretrained encoder,
# ST Conformer with CTC/attention. Every language pair through --tgt_lang de|es|fr.
# Other options go to the shared pipeline (./st.sh --help), e.g. --stage, --systems, --ngpu.
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
case ${conf_dir} in
    conf/tuning) nbpe=8000 ;;
    *) nbpe=$([ "${mini_size}" = tiny ] && echo 200 || echo 1000) ;;
esac
pair=en-${tgt_lang}

./st.sh \
    --src_lang en --tgt_lang "${tgt_lang}" \
    --train_set "train.${pair}" --valid_set "dev.${pair}" \
    --test_sets "tst-COMMON.${pair} tst-HE.${pair}" \
    --local_data_opts "--tgt_lang ${tgt_lang} --mini_size ${mini_size}" \
    --src_nbpe "${nbpe}" --tgt_nbpe "${nbpe}" \
    --conf_dir "${conf_dir}" --systems_file conf/systems.yaml \
    "${remaining_args[@]}"
