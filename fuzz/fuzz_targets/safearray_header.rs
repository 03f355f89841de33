//! See `marshal_fuzz_harness::targets::safearray_header` for the input format and the invariants checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| marshal_fuzz_harness::targets::safearray_header::run(data));
