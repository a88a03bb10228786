#!/usr/bin/env bash
# MuST-C v1 -> data/<split>.en-<tgt>/ (Kaldi-style dirs). Without MUSTC in db.sh, the mini corpus
# (all four pairs, MuST-C v1 layout) is generated under MINI_CORPUS_ROOT and used instead.
# Text-only parallel data -> data/text_only.en-<tgt>/train.{en,<tgt>} (the LST recipe's tiny LM
# pretrains on it): the mini corpus's text-only part when MUSTC is empty, else MT_TEXT/en-<tgt>
# when MT_TEXT is set; none otherwise.
set -euo pipefail
. ./path.sh
. ./db.sh

# --- options ---
tgt_lang=de                             # target language of the pair
mini_size=tiny                          # mini corpus size when MUSTC is empty: tiny | mini
mini_seed=0                             # mini corpus seed
splits="train dev tst-COMMON tst-HE"    # MuST-C splits to prepare
nj=4                                    # parallel workers for data preparation
# --- end options ---
. scripts/options.sh
parse_options "$0" "$@"

pair=en-${tgt_lang}
mustc=${MUSTC}
text_only=
if [ -z "${mustc}" ]; then
    mini=${MINI_CORPUS_ROOT}/${mini_size}_seed${mini_seed}
    echo "local/data.sh: MUSTC is not set in db.sh; using the ${mini_size} mini corpus in ${mini}"
    python -m espnet_ext.bin.make_mini_corpus --out "${mini}" --size "${mini_size}" \
        --pairs en-de,en-es,en-fr,en-pt --seed "${mini_seed}"
    mustc=${mini}/mustc
    text_only=${mini}/text/${pair}
elif [ -n "${MT_TEXT}" ]; then
    text_only=${MT_TEXT}/${pair}
fi
python -m espnet_ext.bin.prepare_mustc --corpus-dir "${mustc}" --pair "${pair}" \
    --out-dir data --splits "${splits// /,}" --nj "${nj}"

if [ -n "${text_only}" ]; then
    for lang in en "${tgt_lang}"; do
        [ -s "${text_only}/train.${lang}" ] || { echo "local/data.sh: no ${text_only}/train.${lang}" >&2; exit 1; }
    done
    n_src=$(wc -l < "${text_only}/train.en")
    n_tgt=$(wc -l < "${text_only}/train.${tgt_lang}")
    [ "${n_src}" -eq "${n_tgt}" ] || {
        echo "local/data.sh: ${text_only}/train.en has ${n_src} lines, train.${tgt_lang} ${n_tgt}" >&2; exit 1; }
    mkdir -p "data/text_only.${pair}"
    cp "${text_only}/train.en" "${text_only}/train.${tgt_lang}" "data/text_only.${pair}/"
    echo "local/data.sh: ${n_src} text-only sentence pairs -> data/text_only.${pair}/"
fi
