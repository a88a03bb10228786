#!/usr/bin/env bash
# Installs everything the toolkit needs on a fresh Debian machine (root) into ./.venv.
# Idempotent: re-running skips the steps whose inputs (setup.cfg, package list) did not change.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "${top}"
log() { echo "$(date '+%H:%M:%S') [install] $*"; }

apt_packages="espeak-ng sox libsndfile1 slurmctld slurmd slurm-client munge"
missing=""
for p in ${apt_packages}; do
    dpkg-query -W -f='${Status}' "${p}" 2>/dev/null | grep -q "install ok installed" || missing+=" ${p}"
done
if [ -n "${missing}" ]; then
    log "apt-get install${missing}"
    sudo_=""; [ "$(id -u)" -eq 0 ] || sudo_="sudo"
    ${sudo_} apt-get update -qq
    DEBIAN_FRONTEND=noninteractive ${sudo_} apt-get install -y -qq ${missing} >/dev/null
fi

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    log "creating .venv with $(${python} --version)"
    "${python}" -m venv .venv
fi
stamp=.venv/.espnet_ext_installed
want=$(cat setup.cfg pyproject.toml tools/install.sh | sha1sum | cut -d' ' -f1)
if [ ! -f "${stamp}" ] || [ "$(cat "${stamp}")" != "${want}" ]; then
    # pip >= 25 refuses espnet's dependency ci_sdr (a direct-URL requirement in one of its extras)
    .venv/bin/python -m pip install -q --disable-pip-version-check "pip==24.2" 2>&1 | grep -v '^WARNING: Location' || true
    log "pip install -e .[dev] (first time: about 3 minutes, 5.5 GB)"
    .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[dev]" 2>&1 \
        | grep -v '^WARNING: Location' || true
    .venv/bin/python -c "import espnet2, torch, torchaudio, transformers, s3prl, espnet_ext" \
        || { log "the Python stack does not import; see the pip output above"; exit 1; }
    echo "${want}" > "${stamp}"
fi
log "ready: $(.venv/bin/python -c 'import torch, espnet; print(f"torch {torch.__version__}, espnet {espnet.__version__}")')"
