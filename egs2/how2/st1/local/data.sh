#!/usr/bin/env bash
# How2 300h (text part of the release + one audio file per video) -> data/{train,val,dev5}.en-pt/.
# Without HOW2 in db.sh, the mini corpus (How2 layout) is generated under MINI_CORPUS_ROOT.
set -euo pipefail
. ./path.sh
. ./db.sh

# --- options ---
mini_size=tiny                 # mini corpus size when HOW2 is empty: tiny | mini
mini_seed=0                    # mini corpus seed
splits="train val dev5"        # How2 splits to prepare
# --- end options ---
. scripts/options.sh
parse_options "$0" "$@"

how2=${HOW2}
audio=${HOW2_AUDIO}
if [ -z "${how2}" ]; then
    mini=${MINI_CORPUS_ROOT}/${mini_size}_seed${mini_seed}
    echo "local/data.sh: HOW2 is not set in db.sh; using the ${mini_size} mini corpus in ${mini}"
    python -m espnet_ext.bin.make_mini_corpus --out "${mini}" --size "${mini_size}" \
        --pairs en-de,en-es,en-fr,en-pt --seed "${mini_seed}"
    how2=${mini}/how2
    audio=${mini}/how2/audio
fi
[ -n "${audio}" ] || { echo "local/data.sh: set HOW2_AUDIO in db.sh (one <video_id>.wav per video)" >&2; exit 1; }
python -m espnet_ext.bin.prepare_how2 --corpus-dir "${how2}" --audio-dir "${audio}" \
    --out-dir data --splits "${splits// /,}"
