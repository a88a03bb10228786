#!/usr/bin/env bash
# Stage-13 hook of the WeRC recipe: ALTI+ source contribution of every kept epoch checkpoint of the
# ST systems on the first test set -> exp/source_contribution/{source_contribution.csv,.png}.
set -euo pipefail
. ./path.sh

# --- options ---
expdir=exp          # experiments
dumpdir=dump        # dumped data
test_sets=          # the first one is analysed
systems=            # systems of this run; the ST ones (not asr) are analysed
max_utts=100        # test utterances per checkpoint (teacher forcing on the references)
# --- end options ---
. scripts/options.sh
parse_options "$0" "$@"

exp_args=()
for s in ${systems}; do
    [ "${s}" = asr ] && continue
    exp_args+=(--exp-dir "${expdir}/${s}")
done
[ ${#exp_args[@]} -gt 0 ] || { echo "source_contribution.sh: no ST system among '${systems}'"; exit 0; }
set -- ${test_sets}
python -m espnet_ext.bin.source_contribution "${exp_args[@]}" --data-dir "${dumpdir}/raw/$1" \
    --max-utts "${max_utts}" --out-dir "${expdir}/source_contribution"
