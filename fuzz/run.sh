#!/usr/bin/env bash
# Runs fuzz targets for a fixed time each and prints libFuzzer's final figures.
#
#   fuzz/run.sh [SECONDS] [TARGET...]      (default: 10 s, every target in fuzz_targets/)
#
# Each target starts from its checked-in corpus (fuzz/corpus/<target>, read only) and keeps what it finds in
# $FUZZ_WORK/<target> (default: a fresh temporary directory). Crashes, leaks and timeouts are written to
# $FUZZ_WORK/artifacts/ and printed as hex, so that a CI log is enough to reproduce one (see fuzz/README.md).
# Environment: FUZZ_JOBS=N runs N targets at a time (default 1); FUZZ_BIN=dir skips the build; FUZZ_SEED=N fixes
# libFuzzer's random seed (CI does, so that a red run can be replayed with the same seed; unset: a new seed each run).
# Exit status: non-zero if any target found a problem.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-10}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    for f in fuzz_targets/*.rs; do targets+=("$(basename "$f" .rs)"); done
fi
bin=${FUZZ_BIN:-$(./build.sh | tail -n 1)}
work=${FUZZ_WORK:-$(mktemp -d)}
jobs=${FUZZ_JOBS:-1}
seed_flag=()
if [ -n "${FUZZ_SEED:-}" ]; then seed_flag=(-seed="$FUZZ_SEED"); fi
mkdir -p "$work/artifacts" "$work/logs"

run_one() {
    local t=$1
    mkdir -p "$work/$t" "corpus/$t"
    # -rss_limit_mb / -malloc_limit_mb: an allocation sized by an unchecked count is a finding.
    # OANOCACHE: no BSTR cache, so that ASan sees every freed BSTR (a cache would reuse it first).
    OANOCACHE=1 ASAN_OPTIONS="detect_odr_violation=0:detect_leaks=1" "$bin/$t" \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 -print_final_stats=1 "${seed_flag[@]}" \
        -artifact_prefix="$work/artifacts/$t-" "$work/$t" "corpus/$t" >"$work/logs/$t.log" 2>&1
}

failed=()
running=0
for t in "${targets[@]}"; do
    (run_one "$t") &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then
        wait -n || true
        running=$((running - 1))
    fi
done
wait || true

printf '%-22s %8s %12s %10s %8s %8s %8s\n' target seconds executions exec/s cov ft corpus
for t in "${targets[@]}"; do
    log="$work/logs/$t.log"
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    time=$(sed -n 's/.*Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n 1)
    last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$last")
    printf '%-22s %8s %12s %10s %8s %8s %8s\n' "$t" "${time:-?}" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}"
    if grep -qE '^==[0-9]+==ERROR|^SUMMARY: |panicked at|deadly signal|ERROR: libFuzzer' "$log" || [ -z "$execs" ]; then
        failed+=("$t")
    fi
done

for t in "${failed[@]}"; do
    echo
    echo "==== $t: FAILED (log $work/logs/$t.log) ===="
    grep -E -m 20 -A 12 'panicked at|^==[0-9]+==ERROR|ERROR: libFuzzer|SUMMARY' "$work/logs/$t.log" | head -60
    for a in "$work/artifacts/$t-"*; do
        [ -f "$a" ] || continue
        echo "-- input $a ($(wc -c <"$a") bytes), hex:"
        od -An -tx1 -v "$a" | tr -d ' \n' | fold -w 128
        echo
    done
done
echo "work directory: $work"
[ ${#failed[@]} -eq 0 ]
