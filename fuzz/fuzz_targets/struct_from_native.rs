//! See `marshal_fuzz_harness::targets::struct_from_native` for the input format and the invariants checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| marshal_fuzz_harness::targets::struct_from_native::run(data));
