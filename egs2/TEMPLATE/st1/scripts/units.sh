#!/usr/bin/env bash
# Discrete speech units (pipeline stage 6 with extra_feats=units), as in "Cross-Modal Multi-Tasking
# for Speech-to-Text Translation via Hard Parameter Sharing" (arXiv 2309.15826):
#
#  a  k-means subset     ${dumpdir}/raw/<train_set> -> <unit_dir>/kmeans/subset (seeded)
#  b  k-means features   nj jobs -> <unit_dir>/kmeans/feats/ (MFCC or an s3prl layer)
#  c  k-means fit        MiniBatchKMeans or faiss -> <unit_dir>/kmeans/kmeans.{npz,json} (centres)
#  d  units              nj jobs per set -> <unit_dir>/<set>/units (frame-level ids, Kaldi text)
#  e  unit BPE           repeat-free unit strings of the train set -> <unit_dir>/unit_<mode><n>/
#  f  joint vocabulary   source-text BPE (stage 5) + unit BPE -> <unit_dir>/joint/tokens.txt
#  g  training data      <unit_dir>/data/<train_set>.{st,st_mt[,st_mt_ext]}, <set>.{st,mt}
#
# Jobs run through ${train_cmd} (${cuda_cmd} with --ngpu > 0) from cmd.sh. Every job writes its
# result atomically and is skipped on a re-run when done with the same settings; the single steps
# (a, c, e, f, g) are skipped when their marker records the same command and inputs. Steps e-g
# need --src_bpe_dir (stage 5's source SentencePiece dir).
set -euo pipefail

log() { echo -e "$(date '+%Y-%m-%dT%H:%M:%S') (units.sh:${BASH_LINENO[0]}) $*"; }
die() { log "ERROR: $*"; exit 1; }

# --- options ---
train_set=                 # training set under ${dumpdir}/raw (k-means and unit BPE learn from it)
sets=                      # every set to dump units for, space separated (train, valid, tests)
dumpdir=dump               # dumped data dirs (${dumpdir}/raw/<set>/wav.scp, utt2num_samples, text.*)
nj=4                       # parallel jobs for features and units
ngpu=0                     # GPUs per feature/unit job (>0: ${cuda_cmd} and device cuda)
python=python3             # Python of the toolkit's venv
fs=16000                   # sample rate of the dumped audio
feature_type=mfcc          # mfcc (39-dim MFCC+deltas, 10 ms) | s3prl (an SSL layer)
s3prl_upstream=wavlm_large # s3prl upstream name; wavlm_local/hubert_local load --s3prl_path
s3prl_path=                # local checkpoint for *_local upstreams
s3prl_download_dir=        # cache dir for named s3prl checkpoints
layer=21                   # s3prl hidden-state index (21: WavLM Large layer 21, as the paper)
n_clusters=2000            # k-means clusters (unit vocabulary)
kmeans_max_utts=           # k-means subset: at most this many utterances (empty: no limit)
kmeans_max_hours=          # k-means subset: at most this many hours (empty: no limit)
kmeans_max_frames=         # cluster at most this many frames, drawn at random (empty: all)
kmeans_seed=0              # seed of the subset, the frame draw and the k-means fit
kmeans_n_init=20           # k-means initialisations (the best is kept)
kmeans_backend=sklearn     # sklearn (MiniBatchKMeans) | faiss (full-batch; pip install faiss-cpu)
unit_nbpe=4000             # SentencePiece vocabulary on unit strings
unit_bpemode=bpe           # bpe | unigram
unit_char_offset=0x4E00    # code point of unit 0 (0x4E00 CJK; 0xF0000 private use for mBART)
units_tag=                 # name of this unit setup; default <features>_k<n_clusters>
unit_dir=                  # output root; default ${dumpdir}/units/<units_tag>
src_bpe_dir=               # source-text SentencePiece dir (bpe.model, tokens.txt); empty: stop after units
text_repeat=4              # K: each source-text piece repeated K times in MT examples
src_text=text.lc.rm.en     # source text file of the data dirs
tgt_text=text.tc.de        # target text file of the data dirs
ext_mt_dir=                # external MT: dir with train.<src> and train.<tgt> (line aligned)
ext_mt_ratio=1.0           # external MT pairs per ST example in <train_set>.st_mt_ext
# --- end options ---

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=options.sh
. "${script_dir}/options.sh"
parse_options "${BASH_SOURCE[0]}" "$@"

[ -n "${train_set}" ] || die "--train_set is required"
[ -n "${sets}" ] || die "--sets is required"
: "${train_cmd:?train_cmd is not set: source cmd.sh}"
case ${feature_type} in
    mfcc) _feat_tag=mfcc; _feat_args="--feature-type mfcc" ;;
    s3prl)
        _feat_tag=${s3prl_upstream}_l${layer}
        _feat_args="--feature-type s3prl --upstream ${s3prl_upstream} --layer ${layer}"
        [ -n "${s3prl_path}" ] && _feat_args+=" --path-or-url ${s3prl_path}"
        [ -n "${s3prl_download_dir}" ] && _feat_args+=" --download-dir ${s3prl_download_dir}"
        ;;
    *) die "unknown feature_type '${feature_type}' (mfcc | s3prl)" ;;
esac
units_tag=${units_tag:-${_feat_tag}_k${n_clusters}}
unit_dir=${unit_dir:-${dumpdir}/units/${units_tag}}
kdir=${unit_dir}/kmeans
if [ "${ngpu}" -gt 0 ]; then
    _cmd="${cuda_cmd:?cuda_cmd is not set} --gpu ${ngpu}"; _device=cuda
else
    _cmd=${train_cmd}; _device=cpu
fi
# shellcheck disable=SC2206
_sets=(${sets})
need() { [ -e "$1" ] || die "missing $1 ($2)"; }
n_lines() { wc -l < "$1" | tr -d ' '; }
min() { echo $(( $1 < $2 ? $1 : $2 )); }

# run_once <marker> <what> <input files (quoted, space separated)> <cmd...>: run cmd unless the
# marker records the same command and the same input contents.
run_once() {
    local marker=$1 what=$2 inputs=$3 sig
    shift 3
    sig="$* | inputs: $(for f in ${inputs}; do md5sum < "${f}" | cut -c1-16; done | tr '\n' ' ')"
    if [ -f "${marker}" ] && [ "$(cat "${marker}")" = "${sig}" ]; then
        log "  ${what}: done before with the same settings (${marker}), skipping"
        return 0
    fi
    log "  ${what}"
    "$@"
    mkdir -p "$(dirname "${marker}")"
    printf '%s\n' "${sig}" > "${marker}.tmp" && mv "${marker}.tmp" "${marker}"
}

log "units ${units_tag} -> ${unit_dir} (${feature_type}, ${n_clusters} clusters, ${nj} jobs, ngpu ${ngpu})"
train_dir=${dumpdir}/raw/${train_set}
need "${train_dir}/utt2num_samples" "run the audio dump stages first"

# a. k-means subset
_subset_args=""
[ -n "${kmeans_max_utts}" ] && _subset_args+=" --max-utts ${kmeans_max_utts}"
[ -n "${kmeans_max_hours}" ] && _subset_args+=" --max-hours ${kmeans_max_hours}"
# shellcheck disable=SC2086
run_once "${kdir}/.subset.done" "k-means subset of ${train_set}" "${train_dir}/utt2num_samples" \
    ${python} -m espnet_ext.bin.learn_kmeans subset --data-dir "${train_dir}" --kmeans-dir "${kdir}" \
    --seed "${kmeans_seed}" --fs "${fs}" ${_subset_args}

# b. features of the subset (each job skips itself when done with the same features)
_knj=$(min "${nj}" "$(n_lines "${kdir}/subset")")
log "  k-means features: ${_knj} jobs, logs ${kdir}/logs/feats.*.log"
# shellcheck disable=SC2086
${_cmd} JOB=1:"${_knj}" "${kdir}/logs/feats.JOB.log" \
    ${python} -m espnet_ext.bin.learn_kmeans feats --data-dir "${train_dir}" --kmeans-dir "${kdir}" \
    --job JOB --nj "${_knj}" --fs "${fs}" ${_feat_args} --device "${_device}"

# c. fit
_fit_args="--n-clusters ${n_clusters} --seed ${kmeans_seed} --n-init ${kmeans_n_init} --backend ${kmeans_backend}"
[ -n "${kmeans_max_frames}" ] && _fit_args+=" --max-frames ${kmeans_max_frames}"
_feat_done=""
for j in $(seq "${_knj}"); do _feat_done+=" ${kdir}/feats/done.${j}.json"; done
# no kmeans.npz (e.g. a k-means dir of an earlier version, whose model was the pickle
# kmeans.joblib, no longer read): fit again even when the marker matches
[ -f "${kdir}/kmeans.npz" ] || rm -f "${kdir}/.fit.done"
# shellcheck disable=SC2086
run_once "${kdir}/.fit.done" "k-means fit (${kmeans_backend}, ${n_clusters} clusters), log ${kdir}/logs/fit.log" "${kdir}/subset ${_feat_done}" \
    ${train_cmd} "${kdir}/logs/fit.log" ${python} -m espnet_ext.bin.learn_kmeans fit --kmeans-dir "${kdir}" \
    --nj "${_knj}" ${_fit_args}

# d. units of every set
for dset in "${_sets[@]}"; do
    _data=${dumpdir}/raw/${dset}
    _out=${unit_dir}/${dset}
    need "${_data}/wav.scp" "dumped data dir of ${dset}"
    _snj=$(min "${nj}" "$(n_lines "${_data}/wav.scp")")
    log "  units of ${dset}: ${_snj} jobs, logs ${_out}/logs/units.*.log"
    ${_cmd} JOB=1:"${_snj}" "${_out}/logs/units.JOB.log" \
        ${python} -m espnet_ext.bin.dump_units job --data-dir "${_data}" --kmeans-dir "${kdir}" \
        --out-dir "${_out}" --job JOB --nj "${_snj}" --fs "${fs}" --device "${_device}"
    ${python} -m espnet_ext.bin.dump_units merge --data-dir "${_data}" --kmeans-dir "${kdir}" \
        --out-dir "${_out}" --nj "${_snj}" 2> "${_out}/logs/merge.log" \
        || die "merging the units of ${dset} failed; see ${_out}/logs/merge.log"
    log "    $(tr -d '\n' < "${_out}/unit_report.json" | tr -s ' ')"
done

if [ -z "${src_bpe_dir}" ]; then
    log "no --src_bpe_dir: units dumped; unit BPE, joint vocabulary and training data not made"
    exit 0
fi
need "${src_bpe_dir}/tokens.txt" "stage 5's source SentencePiece dir"

# e. unit BPE on the training set's units
unit_bpe_dir=${unit_dir}/unit_${unit_bpemode}${unit_nbpe}
run_once "${unit_bpe_dir}/.done" "unit BPE (${unit_bpemode} ${unit_nbpe}) -> ${unit_bpe_dir}" "${unit_dir}/${train_set}/units" \
    ${python} -m espnet_ext.bin.discrete_data unit-bpe --units "${unit_dir}/${train_set}/units" \
    --out-dir "${unit_bpe_dir}" --n-units "${n_clusters}" --vocab-size "${unit_nbpe}" \
    --model-type "${unit_bpemode}" --unit-char-offset "${unit_char_offset}"

# f. joint vocabulary
joint_dir=${unit_dir}/joint
run_once "${joint_dir}/.done" "joint vocabulary -> ${joint_dir}/tokens.txt" \
    "${src_bpe_dir}/tokens.txt ${unit_bpe_dir}/tokens.txt ${unit_bpe_dir}/bpe.model" \
    ${python} -m espnet_ext.bin.discrete_data joint-vocab --text-bpe-dir "${src_bpe_dir}" \
    --unit-bpe-dir "${unit_bpe_dir}" --out-dir "${joint_dir}" --text-repeat "${text_repeat}"

# g. training and evaluation data dirs
make_data() {  # make_data <set> <variant> <kinds> [extra args]
    local dset=$1 variant=$2 kinds=$3 out
    shift 3
    out=${unit_dir}/data/${dset}.${variant}
    # a data dir made before src_transcript existed (the hierarchical encoder's source CTC) is remade
    [ -f "${out}/src_transcript" ] || rm -f "${out}/.done"
    run_once "${out}/.done" "data ${out} (${kinds}$([ $# -gt 0 ] && echo ", external MT"))" \
        "${joint_dir}/tokens.txt ${unit_dir}/${dset}/units ${dumpdir}/raw/${dset}/${tgt_text}" \
        ${python} -m espnet_ext.bin.discrete_data make-data --data-dir "${dumpdir}/raw/${dset}" \
        --joint-dir "${joint_dir}" --out-dir "${out}" --units "${unit_dir}/${dset}/units" --kinds "${kinds}" \
        --src-text "${src_text}" --tgt-text "${tgt_text}" "$@"
}
make_data "${train_set}" st st
make_data "${train_set}" st_mt st,mt
if [ -n "${ext_mt_dir}" ]; then
    make_data "${train_set}" st_mt_ext st,mt --ext-dir "${ext_mt_dir}" --ext-ratio "${ext_mt_ratio}" --seed "${kmeans_seed}"
fi
for dset in "${_sets[@]}"; do
    [ "${dset}" = "${train_set}" ] && continue
    make_data "${dset}" st st
    make_data "${dset}" mt mt
done
log "units done: joint vocabulary ${joint_dir}/tokens.txt, data dirs ${unit_dir}/data/"
