//! See `marshal_fuzz_harness::targets::variant_change_type` for the input format and the invariants checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| marshal_fuzz_harness::targets::variant_change_type::run(data));
