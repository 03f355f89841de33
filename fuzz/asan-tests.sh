#!/usr/bin/env bash
# The workspace's test suite under AddressSanitizer, with LeakSanitizer at the exit of every test binary.
#
#   fuzz/asan-tests.sh [extra cargo test arguments, e.g. --no-fail-fast]
#
# Library, integration and binary tests of every crate except the benchmarks (doctests are not instrumented).
# Built for the explicit target triple so that build scripts and proc-macros stay uninstrumented. Any ASan or
# LSan report makes the test binary, and so this script, fail.
set -euo pipefail
cd "$(dirname "$0")/.."
export RUSTFLAGS="-Zsanitizer=address -Cdebug-assertions"
# allocator_may_return_null: tests that ask for absurd sizes expect E_OUTOFMEMORY, not an abort.
export ASAN_OPTIONS="detect_leaks=1:detect_odr_violation=0:halt_on_error=1:allocator_may_return_null=1"
# fuzz/lsan.supp: leaks by design in native test fixtures (each entry says why).
export LSAN_OPTIONS="suppressions=$PWD/fuzz/lsan.supp:print_suppressions=0"
# The BSTR cache stays on here (OANOCACHE unset): every test runs on its own thread, so LeakSanitizer also
# checks that an exiting thread frees the blocks its cache kept. The fuzz targets run with OANOCACHE=1, where
# ASan sees each freed BSTR at once.
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target/asan}
# Tests left out here, each checked another way by the normal test run:
# - C programs linked against the instrumented cdylib/staticlib (marshal-capi's c_program tests, the conformance
#   runner's c_abi test that dlopens it): gcc's libasan and Rust's static ASan runtime do not mix; the normal run
#   executes those programs under valgrind memcheck instead.
# - trybuild's compile_fail and the typelib bindings' compile test: they run a nested cargo, which inherits the
#   sanitizer RUSTFLAGS without the explicit target (so its build scripts fail to link), and compare rustc's
#   messages, which differ between the nightly this needs and the stable compiler the expectations are from.
skip=(
    c_program_agrees_with_oleaut32_and_valgrind_finds_nothing
    the_readme_example_builds_runs_and_frees_everything
    c_program_links_the_static_library
    version_script_lists_the_header_and_versions_every_export
    the_shared_library_gives_the_rust_api_s_outputs_on_every_wine_line
    contradictory_attributes_do_not_compile
    generated_bindings_compile_and_agree
)
skip_args=()
for t in "${skip[@]}"; do skip_args+=(--skip "$t"); done
cargo +nightly test --target x86_64-unknown-linux-gnu --workspace --exclude marshal-benches \
    --lib --bins --tests "$@" -- "${skip_args[@]}"
