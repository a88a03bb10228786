#!/usr/bin/env bash
# The one stage pipeline shared by every recipe of this toolkit (speech translation and the ASR /
# MT systems it builds on). A recipe's run.sh sets corpus and experiment options and calls it;
# `./run.sh --help` lists every option below with its default.
#
#  1 data prep        local/data.sh -> data/<set>/ (validated)
#  2 speed perturb    data/<train_set> -> data/<train_set>_sp (when speed_perturb_factors is set)
#  3 audio dump       data/<set> -> dump/org/<set> (segments cut, mono, resampled to fs)
#  4 filtering        dump/org/<set> -> dump/raw/<set> (train/valid: length, empty text; tests kept)
#  5 tokenizers       SentencePiece models + token lists -> data/token_list/<train_set>/{src,tgt}_*
#  6 extra features   discrete speech units etc. (no-op unless extra_feats is set)
#  7 statistics       shape files + feature normalisation stats per task -> exp/stats_<task>
#  8 ASR training     systems with task asr      -> exp/<system>
#  9 MT training      systems with task mt       -> exp/<system>
# 10 ST training      all other systems          -> exp/<system>
# 11 decoding         exp/<system>/<inference_tag>/<test_set>/text (+ rtf.json)
# 12 scoring          .../score.json, score.txt (sacreBLEU BLEU/chrF/TER, WER for ASR)
# 13 results          exp/RESULTS.md (+ per-system RESULTS.md, plots), packed models
set -euo pipefail

log() { echo -e "$(date '+%Y-%m-%dT%H:%M:%S') (st.sh:${BASH_LINENO[0]}) $*"; }
die() { log "ERROR: $*"; exit 1; }
SECONDS=0
# begin_stage N "what": logs the stage; the next begin_stage (or the end) records its wall time in
# ${expdir}/stage_seconds.tsv (stage, seconds, date), which bench/ reads.
_stage_no=""
_stage_start=0
end_stage() {
    if [ -n "${_stage_no}" ]; then
        mkdir -p "${expdir}"
        printf '%s\t%s\t%s\n' "${_stage_no}" $(( SECONDS - _stage_start )) "$(date '+%Y-%m-%dT%H:%M:%S')" >> "${expdir}/stage_seconds.tsv"
    fi
    _stage_no=""
}
begin_stage() {
    end_stage
    _stage_no=$1
    _stage_start=${SECONDS}
    shift
    echo -e "$(date '+%Y-%m-%dT%H:%M:%S') (st.sh:${BASH_LINENO[0]}) Stage ${_stage_no}: $*"
}

# --- options ---
stage=1                    # first stage to run
stop_stage=13              # last stage to run
nj=4                       # parallel jobs for audio dump and statistics
inference_nj=4             # parallel jobs for decoding
ngpu=0                     # GPUs per training job (0: CPU)
num_nodes=1                # nodes per training job (>1: DDP through espnet2.bin.launch)
python=python3             # Python of the toolkit's venv (path.sh puts it first on PATH)
dumpdir=dump               # dumped audio and filtered data dirs
expdir=exp                 # experiment dirs, results tables
src_lang=en                # source language
tgt_lang=de                # target language
train_set=                 # training data dir name under data/, e.g. train.en-de
valid_set=                 # validation data dir name, e.g. dev.en-de
test_sets=                 # evaluation data dir names, e.g. "tst-COMMON.en-de tst-HE.en-de"
local_data_opts=           # options passed to local/data.sh
speed_perturb_factors=     # e.g. "0.9 1.0 1.1"; empty: no speed perturbation
fs=16000                   # sample rate of the dumped audio
audio_format=wav           # wav | flac for the dumped segments
allow_pipes=false          # run wav.scp entries that are shell pipelines (only for trusted data)
min_wav_duration=0.1       # stage 4: shortest training utterance, seconds
max_wav_duration=20        # stage 4: longest training utterance, seconds
src_case=lc.rm             # source text variant: tc | lc | lc.rm
tgt_case=tc                # target text variant
src_nbpe=1000              # source SentencePiece vocabulary size
tgt_nbpe=1000              # target SentencePiece vocabulary size
bpemode=unigram            # SentencePiece model type: unigram | bpe
extra_feats=none           # stage 6: none | units (discrete speech units, scripts/units.sh)
units_opts=                # stage 6: further scripts/units.sh options, e.g. "--feature_type s3prl --layer 21"
units_tag=units            # name of the unit setup: stage 6 writes, unit-reading tasks read ${dumpdir}/units/<units_tag>
systems_file=conf/systems.yaml  # the systems this recipe can train (see espnet_ext/pipeline/systems.py)
systems=                   # systems to run, space separated; empty: every system in systems_file
conf_dir=conf/tuning       # config family: conf/tuning (paper scale, GPU) or conf/mini (CPU)
train_args=                # extra arguments for every training job
inference_args=            # extra arguments for every decoding job
import_systems=            # stages 8-10: systems taken from another recipe's finished experiments instead of
                           # trained, e.g. "asr=../../mustc_baseline/st1/exp/asr"; refused unless its
                           # tokenizers, statistics and model config match this recipe's (README)
inference_model=valid.acc.ave.pth  # checkpoint for decoding, packing, init_param (an n-best average falls back to fewer epochs)
espnet_decoder=false       # stage 11: decode ST with ESPnet's st_inference (one utterance at a time) instead of the batched decoder
gpu_inference=false        # stage 11: decode on a GPU (each of the inference_nj jobs gets one, through cuda_cmd)
inference_jobs_per_gpu=1   # stage 11 with gpu_inference: decoding jobs that may share one GPU (local backend)
inference_batch_bins=4000000  # stage 11: samples per batch of the batched decoder (padding included)
inference_tag=             # decode dir name; default decode_<inference config name without decode_>
pack_models=true           # stage 13: pack each system (python -m espnet_ext.bin.pack)
results_hook=              # stage 13: a recipe's extra analysis, run as <hook> --expdir E --dumpdir D --test_sets "..." --systems "..."
# --- end options ---

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/options.sh
. "${script_dir}/scripts/options.sh"
parse_options "${BASH_SOURCE[0]}" "$@"
. ./path.sh
. ./cmd.sh

[ -n "${train_set}" ] || die "--train_set is required"
[ -n "${valid_set}" ] || die "--valid_set is required"
[ -n "${test_sets}" ] || die "--test_sets is required"
[ -f "${systems_file}" ] || die "no systems file ${systems_file}"
case ${gpu_inference} in
    # decoding jobs: where they run and the --ngpu they pass to the inference module
    true) inference_cmd="${cuda_cmd} --gpu 1 --jobs-per-gpu ${inference_jobs_per_gpu}" inference_ngpu=1 inference_device=GPU ;;
    false) inference_cmd=${decode_cmd} inference_ngpu=0 inference_device=CPU ;;
    *) die "--gpu_inference must be true or false, not '${gpu_inference}'" ;;
esac

pipe() { ${python} -m espnet_ext.bin.pipeline "$@"; }
selected_systems() { pipe systems --file "${systems_file}" --select "${systems}" "$@"; }
field() { pipe system-field --file "${systems_file}" --system "$1" --field "$2"; }
# system_conf <system>: the system's training config. A config may name a system this pipeline
# trains by its path under the experiment dir, written {expdir} (e.g. a model exported to
# "{expdir}/mt_text/hf_model"); it is trained from a copy with this run's --expdir filled in,
# ${expdir}/rendered_conf/<config name>, so every --expdir works
system_conf() {
    local src dst
    src=${conf_dir}/$(field "$1" config)
    if [ -f "${src}" ] && grep -q '{expdir}' "${src}"; then
        dst=${expdir}/rendered_conf/$(basename "${src}")
        mkdir -p "${expdir}/rendered_conf"
        sed "s|{expdir}|${expdir}|g" "${src}" > "${dst}.tmp" && mv "${dst}.tmp" "${dst}"
        echo "${dst}"
    else
        echo "${src}"
    fi
}
# the first stage that makes a file, for "missing input" errors
need() { [ -e "$1" ] || die "missing $1: run stage $2 first (--stage $2)"; }

if [ -n "${speed_perturb_factors}" ]; then
    train_dump_set="${train_set}_sp"
else
    train_dump_set="${train_set}"
fi
token_dir=data/token_list/${train_set}
src_token_dir=${token_dir}/src_${bpemode}${src_nbpe}
tgt_token_dir=${token_dir}/tgt_${bpemode}${tgt_nbpe}
all_systems=$(selected_systems)
[ -n "${all_systems}" ] || die "no system selected from ${systems_file} (systems='${systems}')"
log "systems: $(echo ${all_systems})"
# import_source <system>: the experiment --import_systems names for it, empty if it trains here
import_source() {
    local pair
    for pair in ${import_systems}; do
        [ "${pair%%=*}" = "$1" ] && echo "${pair#*=}"
    done
    return 0
}
for _pair in ${import_systems}; do
    [[ ${_pair} == ?*=?* ]] || die "--import_systems: '${_pair}' is not <system>=<experiment dir>"
    field "${_pair%%=*}" task > /dev/null || die "--import_systems: no system ${_pair%%=*} in ${systems_file}"
    [ -d "${_pair#*=}" ] || die "--import_systems: no experiment dir ${_pair#*=} (for ${_pair%%=*})"
done

# What a task reads, which tokens and entrypoints it uses and how it is scored comes from the
# task registry (espnet_ext/pipeline/tasks.py); these wrappers pass the languages and text cases.
_langs() { echo "--src-lang ${src_lang} --tgt-lang ${tgt_lang} --src-case ${src_case} --tgt-case ${tgt_case}"; }
# shellcheck disable=SC2046
task_field() { pipe task --task "$1" --field "$2" $(_langs); }
# data_args <task> <train|valid|""> <dir> [extra options of task-data]
# shellcheck disable=SC2046
data_args() { pipe task-data --task "$1" --split "$2" --dir "$3" "${@:4}" $(_langs); }
# model_file <exp>: the checkpoint of a system (its systems.yaml inference_model, else --inference_model)
model_file() {
    local name
    name=$(field "$(basename "$1")" inference_model)
    pipe resolve-model --exp-dir "$1" --name "${name:-${inference_model}}"
}
task_tokens() { pipe task-tokens --task "$1" --src-dir "${src_token_dir}" --tgt-dir "${tgt_token_dir}" --dumpdir "${dumpdir}" --units-tag "${units_tag}"; }
# system_data_dir <system> <train|valid|test> <set>: the data dir a system reads for a set (its
# task's data root, e.g. ${dumpdir}/raw or the units' data dirs; training: its data_variant)
system_data_dir() {
    pipe task-dir --task "$(field "$1" task)" --split "$2" --set "$3" --variant "$(field "$1" data_variant)" \
        --dumpdir "${dumpdir}" --units-tag "${units_tag}"
}
# the stage that makes a data dir (the audio filter for ${dumpdir}/raw, else stage 6's extra features)
data_stage() { case $1 in "${dumpdir}/raw/"*) echo 4 ;; *) echo 6 ;; esac; }
# stats_dir <system>: statistics are per task and training data variant
stats_dir() {
    local variant
    variant=$(field "$1" data_variant)
    echo "${expdir}/stats_$(field "$1" task)${variant:+_${variant}}_${train_dump_set}"
}

if [ ${stage} -le 1 ] && [ ${stop_stage} -ge 1 ]; then
    begin_stage 1 "data preparation: local/data.sh ${local_data_opts} -> data/"
    local/data.sh ${local_data_opts}
    for dset in ${train_set} ${valid_set} ${test_sets}; do
        ${python} -m espnet_ext.bin.validate_data_dir "data/${dset}"
    done
fi

if [ ${stage} -le 2 ] && [ ${stop_stage} -ge 2 ]; then
    if [ -n "${speed_perturb_factors}" ]; then
        begin_stage 2 "speed perturbation (${speed_perturb_factors}): data/${train_set} -> data/${train_dump_set}"
        need "data/${train_set}/segments" 1
        pipe speed-perturb --src "data/${train_set}" --dst "data/${train_dump_set}" --factors "${speed_perturb_factors}"
    else
        begin_stage 2 "speed perturbation: skipped (speed_perturb_factors is empty)"
    fi
fi

if [ ${stage} -le 3 ] && [ ${stop_stage} -ge 3 ]; then
    begin_stage 3 "audio dump (${fs} Hz ${audio_format}): data/ -> ${dumpdir}/org/"
    _pipes=""; [ "${allow_pipes}" = true ] && _pipes="--allow-pipes"
    for dset in ${train_dump_set} ${valid_set} ${test_sets}; do
        _out=${dumpdir}/org/${dset}
        if [ -f "${_out}/.done" ]; then
            log "  ${dset}: already dumped (${_out}/.done), skipping"
            continue
        fi
        need "data/${dset}/segments" "$([ "${dset}" = "${train_dump_set}" ] && [ -n "${speed_perturb_factors}" ] && echo 2 || echo 1)"
        _nj=$(( $(wc -l < "data/${dset}/wav.scp") < nj ? $(wc -l < "data/${dset}/wav.scp") : nj ))
        ${train_cmd} JOB=1:"${_nj}" "${_out}/logs/dump.JOB.log" \
            ${python} -m espnet_ext.bin.pipeline dump-audio --data-dir "data/${dset}" --out-dir "${_out}" \
            --job JOB --nj "${_nj}" --fs "${fs}" --format "${audio_format}" ${_pipes}
        pipe merge-dump --data-dir "data/${dset}" --out-dir "${_out}" --nj "${_nj}" --fs "${fs}"
        touch "${_out}/.done"
    done
fi

if [ ${stage} -le 4 ] && [ ${stop_stage} -ge 4 ]; then
    begin_stage 4 "filtering (${min_wav_duration}-${max_wav_duration} s, non-empty text): ${dumpdir}/org -> ${dumpdir}/raw"
    for dset in ${train_dump_set} ${valid_set}; do
        need "${dumpdir}/org/${dset}/.done" 3
        pipe filter --src "${dumpdir}/org/${dset}" --dst "${dumpdir}/raw/${dset}" \
            --min-seconds "${min_wav_duration}" --max-seconds "${max_wav_duration}"
    done
    for dset in ${test_sets}; do
        need "${dumpdir}/org/${dset}/.done" 3
        # test sets are scored on every segment, so they are copied unfiltered
        rm -rf "${dumpdir}/raw/${dset}.tmp"
        cp -r "${dumpdir}/org/${dset}" "${dumpdir}/raw/${dset}.tmp"
        rm -rf "${dumpdir}/raw/${dset}"
        mv "${dumpdir}/raw/${dset}.tmp" "${dumpdir}/raw/${dset}"
    done
fi

if [ ${stage} -le 5 ] && [ ${stop_stage} -ge 5 ]; then
    begin_stage 5 "tokenizers: data/${train_set}/text.* -> ${token_dir}"
    need "data/${train_set}/text.${src_case}.${src_lang}" 1
    pipe train-tokenizer --text "data/${train_set}/text.${src_case}.${src_lang}" \
        --out-dir "${src_token_dir}" --vocab-size "${src_nbpe}" --model-type "${bpemode}"
    pipe train-tokenizer --text "data/${train_set}/text.${tgt_case}.${tgt_lang}" \
        --out-dir "${tgt_token_dir}" --vocab-size "${tgt_nbpe}" --model-type "${bpemode}"
fi

if [ ${stage} -le 6 ] && [ ${stop_stage} -ge 6 ]; then
    case ${extra_feats} in
        none) begin_stage 6 "extra features: none for this recipe (extra_feats=none)" ;;
        units)
            begin_stage 6 "discrete speech units (scripts/units.sh ${units_opts}) -> ${dumpdir}/units/"
            need "${dumpdir}/raw/${train_dump_set}/wav.scp" 4
            need "${src_token_dir}/bpe.model" 5
            # shellcheck disable=SC2086
            scripts/units.sh --train_set "${train_dump_set}" --sets "${train_dump_set} ${valid_set} ${test_sets}" \
                --dumpdir "${dumpdir}" --nj "${nj}" --ngpu "${ngpu}" --python "${python}" --fs "${fs}" \
                --src_bpe_dir "${src_token_dir}" --src_text "text.${src_case}.${src_lang}" \
                --tgt_text "text.${tgt_case}.${tgt_lang}" ${units_opts} --units_tag "${units_tag}"
            ;;
        *) die "unknown extra_feats '${extra_feats}'; this pipeline knows: none, units" ;;
    esac
fi

# the first selected system of each (task, data variant), in training order, among those whose
# statistics stage 7 can collect: statistics are collected once per pair and follow that system's
# frontend. A system whose model loads trained systems (stats_at_training: its task's flag or its
# needs) is left out; when no other system shares its statistics dir, it collects them itself
# right before it trains (train_system)
stats_systems() {
    local s d seen=" "
    for s in ${all_systems}; do
        [ "$(field "${s}" stats_at_training)" = True ] && continue
        d=$(stats_dir "${s}")
        case "${seen}" in *" ${d} "*) ;; *) seen+="${d} "; echo "${s}" ;; esac
    done
}

# collect_stats <system>: ESPnet's shape and normalisation statistics of the system's task and
# data variant, once
collect_stats() {
    local _sys=$1 task _stats _conf _first _norm_off _logdir _nj _vnj _inputs _train _valid j
    task=$(field "${_sys}" task)
    _stats=$(stats_dir "${_sys}")
    if [ -f "${_stats}/.done" ]; then
        log "  ${task}: statistics exist (${_stats}/.done), skipping"
        return 0
    fi
    _conf=$(system_conf "${_sys}")
    [ -f "${_conf}" ] || die "${_sys}: no config ${_conf}"
    _first=$(task_field "${task}" first_input)
    _train=$(system_data_dir "${_sys}" train "${train_dump_set}")
    _valid=$(system_data_dir "${_sys}" valid "${valid_set}")
    need "${_train}/${_first}" "$(data_stage "${_train}")"
    need "${_valid}/${_first}" "$(data_stage "${_valid}")"
    need "${src_token_dir}/tokens.txt" 5
    # the normaliser is what these statistics are for, so it cannot be built yet
    _norm_off=""; [ "$(task_field "${task}" speech_input)" = True ] && _norm_off="--normalize none"
    _logdir=${_stats}/logs
    mkdir -p "${_logdir}"
    _nj=$(pipe split-keys --scp "${_train}/${_first}" --nj "${nj}" --out-dir "${_logdir}/train")
    _vnj=$(pipe split-keys --scp "${_valid}/${_first}" --nj "${_nj}" --out-dir "${_logdir}/valid")
    [ "${_vnj}" -eq "${_nj}" ] || _nj=$(pipe split-keys --scp "${_train}/${_first}" --nj "${_vnj}" --out-dir "${_logdir}/train")
    log "  ${task}: collecting statistics with ${_nj} jobs (config ${_conf}, data ${_train}) -> ${_stats}"
    # shellcheck disable=SC2046
    ${train_cmd} --skip-finished JOB=1:"${_nj}" "${_logdir}/stats.JOB.log" \
        ${python} -m "$(task_field "${task}" train_module)" --collect_stats true --use_preprocessor true ${_norm_off} \
        $(task_tokens "${task}") \
        $(data_args "${task}" train "${_train}") \
        $(data_args "${task}" valid "${_valid}") \
        --train_shape_file "${_logdir}/train/keys.JOB" --valid_shape_file "${_logdir}/valid/keys.JOB" \
        --output_dir "${_logdir}/stats.JOB" --config "${_conf}" ${train_args}
    _inputs=""
    for j in $(seq "${_nj}"); do _inputs+=" --input_dir ${_logdir}/stats.${j}"; done
    # shellcheck disable=SC2086
    ${python} -m espnet2.bin.aggregate_stats_dirs ${_inputs} --output_dir "${_stats}"
    touch "${_stats}/.done"
}

if [ ${stage} -le 7 ] && [ ${stop_stage} -ge 7 ]; then
    begin_stage 7 "shape and normalisation statistics -> ${expdir}/stats_<task>[_<data variant>]_${train_dump_set}"
    _said=" "
    for system in ${all_systems}; do
        [ "$(field "${system}" stats_at_training)" = True ] || continue
        task=$(field "${system}" task)
        if [ "$(task_field "${task}" stats_at_training)" = True ]; then
            # one line per task whose every model loads trained systems
            case "${_said}" in *" ${task} "*) continue ;; esac
            _said+="${task} "
            log "  ${task}: statistics are collected when its first system trains (its model loads trained systems)"
        else
            log "  ${system}: statistics are collected when it trains, unless another system collects them here (its model loads $(echo $(field "${system}" needs)))"
        fi
    done
    for system in $(stats_systems); do
        task=$(field "${system}" task)
        if [ "$(task_field "${task}" assembled)" = True ]; then
            log "  ${task}: no statistics (its systems are assembled from trained systems)"
            continue
        fi
        collect_stats "${system}"
    done
fi

# train_system <system>: trains one system into ${expdir}/<system>, skipping a finished one
train_system() {
    local system=$1 task conf exp stats init_from init_args="" item dist_args=() cmd
    task=$(field "${system}" task)
    conf=$(system_conf "${system}")
    exp=${expdir}/${system}
    stats=$(stats_dir "${system}")
    if [ -f "${exp}/.done" ]; then
        log "  ${system}: already trained (${exp}/.done), skipping"
        return 0
    fi
    [ -f "${conf}" ] || die "${system}: no config ${conf}"
    for item in $(field "${system}" needs); do
        need "${expdir}/${item}/.done" "$(field "${item}" train_stage)"
    done
    if [ "$(task_field "${task}" assembled)" = True ]; then
        # nothing trains: the task's module puts the system together from the trained systems it
        # needs, writing ${exp}/config.yaml and ${exp}/${inference_model}
        mkdir -p "${exp}"
        log "  ${system}: assembling (${task}, ${conf}) from $(echo $(field "${system}" needs)) -> ${exp}, log ${exp}/train.log"
        local start=${SECONDS}
        ${train_cmd} "${exp}/train.log" ${python} -m "$(task_field "${task}" train_module)" \
            --config "${conf}" --output_dir "${exp}" --model_name "${inference_model}"
        echo $(( SECONDS - start )) >> "${exp}/train_wall_seconds.txt"
        finish_system "${system}" "${task}" "${exp}"
        return 0
    fi
    if [ "$(field "${system}" stats_at_training)" = True ]; then collect_stats "${system}"; fi
    need "${stats}/.done" 7
    local norm_args=""
    if [ "$(task_field "${task}" speech_input)" = True ]; then
        norm_args="--normalize_conf stats_file=${stats}/train/feats_stats.npz"
    fi
    local import_dir
    import_dir=$(import_source "${system}")
    if [ -n "${import_dir}" ]; then
        local name
        name=$(field "${system}" inference_model)
        log "  ${system}: importing ${import_dir} (checked against ${conf} and this recipe's tokenizers and statistics) -> ${exp}"
        # shellcheck disable=SC2046
        pipe import-system --src "${import_dir}" --dst "${exp}" --task "${task}" --config "${conf}" \
            --model-name "${name:-${inference_model}}" -- $(task_tokens "${task}") \
            $(data_args "${task}" train "$(system_data_dir "${system}" train "${train_dump_set}")") ${norm_args} \
            || die "${system}: cannot import ${import_dir} (see above)"
        finish_system "${system}" "${task}" "${exp}"
        return 0
    fi
    init_from=$(field "${system}" init_from)
    if [ -n "${init_from}" ]; then
        need "${expdir}/${init_from}/.done" "$(field "${init_from}" train_stage)"
        for item in $(field "${system}" init_param); do
            init_args+=" --init_param $(model_file "${expdir}/${init_from}"):${item}"
        done
    fi
    mkdir -p "${exp}"
    cmd="${python} -m $(task_field "${task}" train_module) --use_preprocessor true $(task_tokens "${task}") \
$(data_args "${task}" train "$(system_data_dir "${system}" train "${train_dump_set}")" --shapes "${stats}") \
$(data_args "${task}" valid "$(system_data_dir "${system}" valid "${valid_set}")") ${norm_args} ${init_args} \
--resume true --output_dir ${exp} --config ${conf} ${train_args}"
    cmd=${cmd//$'\n'/ }  # the helpers print several lines; run_train.sh must be one command
    # a script that re-runs exactly this training, for the record and for debugging
    printf '#!/usr/bin/env bash\n# made by st.sh on %s\ncd %q\n. ./path.sh\n%s --ngpu %s "$@"\n' \
        "$(date)" "$(pwd)" "${cmd}" "${ngpu}" > "${exp}/run_train.sh"
    chmod +x "${exp}/run_train.sh"
    log "  ${system}: training (${task}, ${conf}${init_from:+, init from ${init_from}}) -> ${exp}, log ${exp}/train.log"
    local start=${SECONDS}
    if [ "${num_nodes}" -gt 1 ]; then
        # shellcheck disable=SC2086
        # espnet2.bin.launch starts one srun task per node only through a command named slurm.pl
        [ "${cmd_backend}" = slurm ] || die "--num_nodes ${num_nodes} needs the slurm backend (cmd.sh)"
        ${python} -m espnet2.bin.launch --log "${exp}/train.log" \
            --cmd "${script_dir}/scripts/slurm.pl --config ${ESPNET_EXT_ROOT}/conf/slurm.yaml --mem 16G --name ${system}" \
            --ngpu "${ngpu}" --num_nodes "${num_nodes}" --init_file_prefix "${exp}/.dist_init_" \
            --multiprocessing_distributed true -- ${cmd}
    else
        [ "${ngpu}" -gt 1 ] && dist_args=(--multiprocessing_distributed true)
        # shellcheck disable=SC2086
        # --keep-old-logs: a resumed training keeps the logs of its earlier runs (train.log.<n>)
        ${cuda_cmd} --keep-old-logs --gpu "${ngpu}" "${exp}/train.log" ${cmd} --ngpu "${ngpu}" "${dist_args[@]}"
    fi
    echo $(( SECONDS - start )) >> "${exp}/train_wall_seconds.txt"
    finish_system "${system}" "${task}" "${exp}"
}

# finish_system <system> <task> <exp>: checks the model file, runs the task's post-training step,
# records train_info.json and marks the system trained
finish_system() {
    local system=$1 task=$2 exp=$3 post model
    model=$(model_file "${exp}") || die "${system}: training ended without its inference model (see above)"
    post=$(task_field "${task}" post_train_module)
    if [ -n "${post}" ]; then
        log "  ${system}: ${post}"
        ${python} -m "${post}" --exp-dir "${exp}" --model-file "${model}"
    fi
    ${python} -m espnet_ext.bin.train_info --exp-dir "${exp}" --checkpoint "${model}" --ngpu "${ngpu}" --system "${system}" --task "${task}" \
        --wall-seconds "$(awk '{s+=$1} END {print s}' "${exp}/train_wall_seconds.txt")"
    touch "${exp}/.done"
}

for train_stage in 8 9 10; do
    if [ ${stage} -le ${train_stage} ] && [ ${stop_stage} -ge ${train_stage} ]; then
        _systems=$(selected_systems --stage "${train_stage}")
        case ${train_stage} in 8) _what="ASR" ;; 9) _what="MT" ;; 10) _what="ST" ;; esac
        if [ -z "${_systems}" ]; then
            begin_stage "${train_stage}" "${_what} training: no selected system trains in this stage"
            continue
        fi
        begin_stage "${train_stage}" "${_what} training: $(echo ${_systems})"
        for system in ${_systems}; do train_system "${system}"; done
    fi
done

decode_dir() {
    local system=$1 conf
    if [ -n "${inference_tag}" ]; then echo "${expdir}/${system}/${inference_tag}"; return; fi
    conf=$(basename "$(field "${system}" inference_config)")
    conf=${conf%.*}
    echo "${expdir}/${system}/decode_${conf#decode_}"
}

if [ ${stage} -le 11 ] && [ ${stop_stage} -ge 11 ]; then
    begin_stage 11 "decoding: ${test_sets}"
    for system in ${all_systems}; do
        task=$(field "${system}" task)
        exp=${expdir}/${system}
        need "${exp}/.done" "$(field "${system}" train_stage)"
        _iconf=${conf_dir}/$(field "${system}" inference_config)
        for dset in ${test_sets}; do
            _dir=$(decode_dir "${system}")/${dset}
            if [ -f "${_dir}/text" ]; then
                log "  ${system} ${dset}: decoded already (${_dir}/text), skipping"
                continue
            fi
            _data=$(system_data_dir "${system}" test "${dset}")
            _first=$(task_field "${task}" first_input)
            need "${_data}/${_first}" "$(data_stage "${_data}")"
            need "${dumpdir}/raw/${dset}/utt2num_samples" 4
            _logdir=${_dir}/logs
            mkdir -p "${_logdir}"
            _nj=$(pipe split-keys --scp "${_data}/${_first}" --nj "${inference_nj}" --out-dir "${_logdir}")
            log "  ${system} ${dset}: ${_nj} ${inference_device} jobs, log ${_logdir}/decode.*.log"
            _module=$(task_field "${task}" inference_module)
            _iargs=$(task_field "${task}" inference_args)
            _iargs=${_iargs//"{batch_bins}"/${inference_batch_bins}}
            if [ "${espnet_decoder}" = true ] && [ -n "$(task_field "${task}" espnet_inference_module)" ]; then
                _module=$(task_field "${task}" espnet_inference_module)
                _iargs="--batch_size 1"
            fi
            _start=${SECONDS}
            # shellcheck disable=SC2086
            ${inference_cmd} --skip-finished JOB=1:"${_nj}" "${_logdir}/decode.JOB.log" \
                ${python} -m "${_module}" --ngpu "${inference_ngpu}" ${_iargs} \
                $(data_args "${task}" "" "${_data}" --inputs-only) --key_file "${_logdir}/keys.JOB" \
                "$(task_field "${task}" config_option)" "${exp}/config.yaml" \
                "$(task_field "${task}" model_option)" "$(model_file "${exp}")" \
                --output_dir "${_logdir}/output.JOB" --config "${_iconf}" ${inference_args}
            _parts=""
            _text=$(task_field "${task}" inference_text)
            for j in $(seq "${_nj}"); do _parts+=" ${_logdir}/output.${j}/${_text}"; done
            # shellcheck disable=SC2086
            pipe merge-text --parts ${_parts} --out "${_dir}/text" --expected-keys "${_data}/${_first}"
            cp "${_data}/$(task_field "${task}" reference)" "${_dir}/ref"
            pipe rtf --data-dir "${dumpdir}/raw/${dset}" --seconds $(( SECONDS - _start )) --out "${_dir}/rtf.json" \
                --device "${inference_device,,}" --jobs "${_nj}"
        done
    done
fi

if [ ${stage} -le 12 ] && [ ${stop_stage} -ge 12 ]; then
    begin_stage 12 "scoring"
    for system in ${all_systems}; do
        task=$(field "${system}" task)
        for dset in ${test_sets}; do
            _dir=$(decode_dir "${system}")/${dset}
            need "${_dir}/text" 11
            _metric=$(task_field "${task}" metric)
            # WER scores transcripts (source language), BLEU translations
            _lang=${tgt_lang}; [ "${_metric}" = wer ] && _lang=${src_lang}
            ${python} -m espnet_ext.bin.score --metric "${_metric}" --hyp "${_dir}/text" \
                --ref "${_dir}/ref" --out-dir "${_dir}" --lang "${_lang}"
            log "  ${system} ${dset}: $(head -n 1 "${_dir}/score.txt")"
        done
    done
fi

if [ ${stage} -le 13 ] && [ ${stop_stage} -ge 13 ]; then
    begin_stage 13 "results table -> ${expdir}/RESULTS.md"
    ${python} -m espnet_ext.bin.show_results "${expdir}" --out "${expdir}/RESULTS.md"
    if [ -n "${results_hook}" ]; then
        log "  results hook: ${results_hook}"
        ${results_hook} --expdir "${expdir}" --dumpdir "${dumpdir}" --test_sets "${test_sets}" --systems "$(echo ${all_systems})"
    fi
    if [ "${pack_models}" = true ]; then
        for system in ${all_systems}; do
            exp=${expdir}/${system}
            # shellcheck disable=SC2046
            ${python} -m espnet_ext.bin.pack --exp-dir "${exp}" --model-file "$(basename "$(model_file "${exp}")")" \
                --inference-config "${conf_dir}/$(field "${system}" inference_config)" \
                $(pipe task-pack-extras --task "$(field "${system}" task)" --dumpdir "${dumpdir}" --units-tag "${units_tag}") \
                --out "${exp}/packed/${system}.zip" > "${exp}/pack.log" 2>&1 \
                || die "packing ${system} failed; see ${exp}/pack.log"
            log "  packed ${exp}/packed/${system}.zip"
        done
    fi
fi

end_stage
log "Finished stages ${stage}-${stop_stage} in ${SECONDS} s"
