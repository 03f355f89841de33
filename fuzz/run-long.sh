#!/usr/bin/env bash
# The long local run: every target (or those named) for SECONDS_PER_TARGET (default 600 s = 10 minutes), two at a
# time (FUZZ_JOBS), keeping what the fuzzer finds in fuzz/work/<target> and the logs in fuzz/work/logs/.
# Afterwards, fold new coverage into the checked-in seeds (small): see fuzz/README.md, "Growing the corpus".
#
#   fuzz/run-long.sh [TARGET...]
set -euo pipefail
cd "$(dirname "$0")"
export FUZZ_WORK=${FUZZ_WORK:-$PWD/work}
export FUZZ_JOBS=${FUZZ_JOBS:-2}
exec ./run.sh "${SECONDS_PER_TARGET:-600}" "$@"
