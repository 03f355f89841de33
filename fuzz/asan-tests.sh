#!/usr/bin/env bash
# The workspace's test suite under AddressSanitizer, with LeakSanitizer at the exit of every test binary.
#
#   fuzz/asan-tests.sh [extra cargo test arguments]
#
# Library, integration and binary tests of every crate except the benchmarks (doctests are not instrumented).
# Built for the explicit target triple so that build scripts and proc-macros stay uninstrumented. Any ASan or
# LSan report makes the test binary, and so this script, fail.
set -euo pipefail
cd "$(dirname "$0")/.."
export RUSTFLAGS="-Zsanitizer=address -Cdebug-assertions"
# allocator_may_return_null: tests that ask for absurd sizes expect E_OUTOFMEMORY, not an abort.
export ASAN_OPTIONS="detect_leaks=1:detect_odr_violation=0:halt_on_error=1:allocator_may_return_null=1"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target/asan}
cargo +nightly test --target x86_64-unknown-linux-gnu --workspace --exclude marshal-benches \
    --lib --bins --tests "$@"
