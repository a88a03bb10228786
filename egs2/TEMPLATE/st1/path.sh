# Environment of every recipe: the toolkit's venv first on PATH. Sourced by run.sh and st.sh.
ESPNET_EXT_ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../../.." && pwd)
export ESPNET_EXT_ROOT
if [ ! -x "${ESPNET_EXT_ROOT}/.venv/bin/python" ]; then
    echo "path.sh: ${ESPNET_EXT_ROOT}/.venv is missing; run 'make install' in ${ESPNET_EXT_ROOT}" >&2
    return 1
fi
export PATH=${ESPNET_EXT_ROOT}/.venv/bin:${PATH}
export PYTHONUNBUFFERED=1 PYTHONIOENCODING=UTF-8 LC_ALL=C.UTF-8 TOKENIZERS_PARALLELISM=false
# one BLAS thread per job: parallelism comes from the job launcher
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
# no model hub on the cluster nodes; Hugging Face models are loaded from local paths
export HF_HUB_OFFLINE=${HF_HUB_OFFLINE:-1}
