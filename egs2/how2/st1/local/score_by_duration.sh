#!/usr/bin/env bash
# Stage-13 hook of the How2 recipe: scores of every decoded test set split by input duration
# (< 10 s, 10-20 s, > 20 s), then the results tables again, now with a "By duration" section and
# bleu_by_duration.png / wer_by_duration.png next to exp/RESULTS.md.
# Durations: ${dumpdir}/raw/<set>/utt2dur (seconds of each dumped segment), made here from
# utt2num_samples and the dump's sample rate when the pipeline did not write it.
set -euo pipefail
. ./path.sh

# --- options ---
expdir=exp          # experiments
dumpdir=dump        # dumped data
test_sets=          # decoded sets
systems=            # systems of this run
buckets=10,20       # duration bucket edges in seconds
src_lang=en         # language of the transcripts (WER)
tgt_lang=pt         # language of the translations (BLEU)
# --- end options ---
. scripts/options.sh
parse_options "$0" "$@"

for dset in ${test_sets}; do
    data=${dumpdir}/raw/${dset}
    if [ ! -f "${data}/utt2dur" ]; then
        [ -f "${data}/utt2num_samples" ] || { echo "score_by_duration.sh: missing ${data}/utt2num_samples (stage 3)" >&2; exit 1; }
        awk -v fs="$(cat "${data}/fs")" '{ printf "%s %.3f\n", $1, $2 / fs }' \
            "${data}/utt2num_samples" > "${data}/utt2dur.tmp"
        mv "${data}/utt2dur.tmp" "${data}/utt2dur"
    fi
    for system in ${systems}; do
        for dir in "${expdir}/${system}"/decode_*/"${dset}"; do
            [ -f "${dir}/score.json" ] || continue
            metric=$(python -c 'import json, sys; print(json.load(open(sys.argv[1]))["metric"])' "${dir}/score.json")
            lang=${tgt_lang}; [ "${metric}" = wer ] && lang=${src_lang}
            python -m espnet_ext.bin.score --metric "${metric}" --hyp "${dir}/text" --ref "${dir}/ref" \
                --out-dir "${dir}" --lang "${lang}" --utt2dur "${data}/utt2dur" --buckets "${buckets}" \
                --log-level WARNING
        done
    done
done
python -m espnet_ext.bin.show_results "${expdir}" --out "${expdir}/RESULTS.md"
