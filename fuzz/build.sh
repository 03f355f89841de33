#!/usr/bin/env bash
# Builds every fuzz target exactly as `cargo +nightly fuzz build` (cargo-fuzz 0.13) does — libFuzzer, SanitizerCoverage,
# AddressSanitizer, debug assertions — without needing cargo-fuzz installed. The binaries land in
# $CARGO_TARGET_DIR/x86_64-unknown-linux-gnu/release/<target> (the same place cargo-fuzz puts them, with the same
# flags, so the two share one build). Prints that directory on the last line.
set -euo pipefail
cd "$(dirname "$0")"
triple=x86_64-unknown-linux-gnu
target_dir=${CARGO_TARGET_DIR:-$PWD/target}
flags=(
    -Cpasses=sancov-module
    -Cllvm-args=-sanitizer-coverage-level=4
    -Cllvm-args=-sanitizer-coverage-inline-8bit-counters
    -Cllvm-args=-sanitizer-coverage-pc-table
    -Cllvm-args=-sanitizer-coverage-trace-compares
    --cfg fuzzing
    -Cllvm-args=-simplifycfg-branch-fold-threshold=0
    -Zsanitizer=address
    -Cllvm-args=-sanitizer-coverage-stack-depth
    -Cdebug-assertions
    -Ccodegen-units=1
)
RUSTFLAGS="${flags[*]}" ASAN_OPTIONS="detect_odr_violation=0" CARGO_TARGET_DIR="$target_dir" \
    cargo +nightly build --manifest-path Cargo.toml --target "$triple" --release \
    --config 'profile.release.debug="line-tables-only"' --bins >&2
echo "$target_dir/$triple/release"
