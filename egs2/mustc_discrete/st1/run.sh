#!/usr/bin/env bash
# Discrete speech units and ST/MT hard parameter sharing (issue 5, arXiv 2309.15826) on MuST-C v1:
# stage 6 turns the speech into discrete units (scripts/units.sh) and builds the joint
# units + source-text vocabulary and the training data variants; AED, CTC, CTC/attention and RNN-T
# models (task `discrete`) train on ST only (`st`), ST + MT (`st_mt`) or ST + MT + external MT text
# (`st_mt_ext`) (conf/systems.yaml) into one results table. Every pair through --tgt_lang de|es|fr;
# --mini_size, --conf_dir: see scripts/run_mustc.sh; all other options: ./st.sh --help.
#
# Units per config family: conf/tuning = the paper's (WavLM Large layer 21, 2000 clusters, unit BPE
# 4000, text BPE 4000/4000, K = 4); conf/mini = MFCC units (k-means on a CPU). --units_opts adds
# scripts/units.sh options after the family's (later ones win); the units tag (dump/units/<tag>)
# follows the final feature type, layer and cluster count, as scripts/units.sh names it.
set -euo pipefail
. ./path.sh
. ./db.sh

# --- options ---
tgt_lang=de        # MuST-C target language: de | es | fr (passed on to scripts/run_mustc.sh)
mini_size=tiny     # mini corpus used when MUSTC in db.sh is empty: tiny | mini (passed on)
conf_dir=          # config family; default conf/tuning with MUSTC set, conf/mini without (passed on)
units_opts=        # further scripts/units.sh options, after the family's, e.g. "--n_clusters 50 --unit_nbpe 100"
ext_mt_dir=        # external MT text (train.en, train.<tgt>); default ${MT_TEXT}/en-<tgt>, or the mini corpus's text/en-<tgt>
# --- end options ---
. scripts/options.sh
parse_options --partial "$0" "$@"
if [ -z "${conf_dir}" ]; then
    if [ -n "${MUSTC}" ]; then conf_dir=conf/tuning; else conf_dir=conf/mini; fi
fi
case ${conf_dir} in
    conf/tuning)
        family_opts="--feature_type s3prl --s3prl_upstream wavlm_large --layer 21 --n_clusters 2000"
        family_opts+=" --kmeans_max_hours 100 --kmeans_max_frames 2000000 --unit_nbpe 4000 --text_repeat 4"
        nbpe_args=(--src_nbpe 4000 --tgt_nbpe 4000)
        ;;
    *)
        if [ "${mini_size}" = tiny ]; then
            family_opts="--feature_type mfcc --n_clusters 100 --unit_nbpe 300 --kmeans_n_init 3 --text_repeat 4"
        else
            family_opts="--feature_type mfcc --n_clusters 500 --unit_nbpe 2000 --kmeans_n_init 3 --text_repeat 4"
        fi
        nbpe_args=()
        ;;
esac
if [ -z "${ext_mt_dir}" ]; then
    if [ -n "${MUSTC}" ]; then
        [ -n "${MT_TEXT}" ] && ext_mt_dir=${MT_TEXT}/en-${tgt_lang}
    else
        ext_mt_dir=${MINI_CORPUS_ROOT}/${mini_size}_seed0/text/en-${tgt_lang}  # local/data.sh's seed
    fi
fi
all_units_opts="${family_opts}${ext_mt_dir:+ --ext_mt_dir ${ext_mt_dir}} ${units_opts}"
# the units tag as scripts/units.sh names its default: <features>_k<n_clusters> (the last value wins)
_feat=mfcc _up=wavlm_large _layer=21 _k=2000
# shellcheck disable=SC2206
_w=(${all_units_opts})
for ((i = 0; i + 1 < ${#_w[@]}; i++)); do
    case ${_w[i]} in
        --feature_type) _feat=${_w[i + 1]} ;;
        --s3prl_upstream) _up=${_w[i + 1]} ;;
        --layer) _layer=${_w[i + 1]} ;;
        --n_clusters) _k=${_w[i + 1]} ;;
    esac
done
if [ "${_feat}" = s3prl ]; then units_tag=${_up}_l${_layer}_k${_k}; else units_tag=${_feat}_k${_k}; fi

exec scripts/run_mustc.sh --systems_file conf/systems.yaml --tgt_lang "${tgt_lang}" \
    --mini_size "${mini_size}" --conf_dir "${conf_dir}" "${nbpe_args[@]}" \
    --extra_feats units --units_tag "${units_tag}" --units_opts "${all_units_opts}" \
    "${remaining_args[@]}"
