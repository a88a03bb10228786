#!/usr/bin/env bash
# The README's main job: the MuST-C baseline recipe, stages 1-13, on the built-in mini corpus, on CPU.
# Extra arguments go to run.sh (e.g. --tgt_lang fr, --systems "st_scratch", --stage 10).
set -euo pipefail
cd "$(dirname "$0")/../egs2/mustc_baseline/st1"
# the ST baseline from scratch; --systems "" runs every baseline system (about 5x longer)
./run.sh --mini_size "${MINI_SIZE:-mini}" --conf_dir conf/mini --nj 2 --inference_nj 2 \
    --systems "${DEMO_SYSTEMS-st_scratch}" "$@"
echo
cat exp/RESULTS.md
