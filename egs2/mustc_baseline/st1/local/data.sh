#!/usr/bin/env bash
# MuST-C v1 -> data/<split>.en-<tgt>/ (Kaldi-style dirs). Without MUSTC in db.sh, the mini corpus
# (all four pairs, MuST-C v1 layout) is generated under MINI_CORPUS_ROOT and used instead.
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

mustc=${MUSTC}
if [ -z "${mustc}" ]; then
    mini=${MINI_CORPUS_ROOT}/${mini_size}_seed${mini_seed}
    echo "local/data.sh: MUSTC is not set in db.sh; using the ${mini_size} mini corpus in ${mini}"
    python -m espnet_ext.bin.make_mini_corpus --out "${mini}" --size "${mini_size}" \
        --pairs en-de,en-es,en-fr,en-pt --seed "${mini_seed}"
    mustc=${mini}/mustc
fi
python -m espnet_ext.bin.prepare_mustc --corpus-dir "${mustc}" --pair "en-${tgt_lang}" \
    --out-dir data --splits "${splits// /,}" --nj "${nj}"
