//! See `marshal_fuzz_harness::targets::dispatch_invoke` for the input format and the invariants checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| marshal_fuzz_harness::targets::dispatch_invoke::run(data));
