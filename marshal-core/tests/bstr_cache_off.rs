//! `OANOCACHE` in the environment turns the BSTR cache off, as it does for oleaut32. Its own
//! binary: the setting is read once per process, before the first BSTR is freed.
#![cfg(all(target_os = "linux", target_pointer_width = "64"))]

use marshal_core::bstr::{thread_cache_len, Bstr};

#[test]
fn with_oanocache_set_no_block_is_kept() {
    std::env::set_var("OANOCACHE", "1");
    let many: Vec<Bstr> = (0..20).map(|_| Bstr::from_wide(&[0x61; 9]).unwrap()).collect();
    drop(many);
    assert_eq!(thread_cache_len(), 0);
}
