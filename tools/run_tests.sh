#!/usr/bin/env bash
# Runs the test suite in ./.venv; extra arguments go to pytest. Exit code 5 (no tests) counts as failure
# only if tests were expected, which they always are here, so it is reported explicitly.
set -uo pipefail
cd "$(dirname "$0")/.."
export PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false OMP_NUM_THREADS=1 HF_HUB_OFFLINE=1
.venv/bin/python -m pytest -q -n 2 --dist loadgroup --durations=15 "$@"
rc=$?
if [ ${rc} -eq 5 ]; then
    echo "pytest collected no tests; that is an error for this project" >&2
    exit 1
fi
exit ${rc}
