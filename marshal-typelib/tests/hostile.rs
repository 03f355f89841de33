//! Hostile input: truncated and corrupted type libraries give errors, never panics (the reader runs under the
//! test harness's panic detection; an out-of-bounds slice or an overflow would panic in debug builds).

mod common;

use marshal_typelib::{pe, TypeLib, TypeLibError};

/// The MSFT image inside Wine's stdole2.tlb (a PE file), if wine64 is installed.
fn stdole2_msft() -> Option<Vec<u8>> {
    let dir = common::wine_dir()?;
    let pe_bytes = std::fs::read(dir.join("stdole2.tlb")).unwrap();
    Some(pe::typelib_resource(&pe_bytes, 1).unwrap().to_vec())
}

#[test]
fn every_truncation_is_an_error() {
    let Some(image) = stdole2_msft() else { return };
    TypeLib::from_bytes(&image).unwrap();
    for len in 0..image.len() {
        // The member blocks sit at the end of the image: every strict prefix cuts something that is referenced.
        assert!(TypeLib::from_bytes(&image[..len]).is_err(), "prefix of {len} bytes was accepted");
    }
}

#[test]
fn corrupted_bytes_never_panic() {
    let Some(image) = stdole2_msft() else { return };
    // A fixed xorshift sequence: the same mutations on every run.
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut errors = 0;
    for _ in 0..3000 {
        let mut bytes = image.clone();
        for _ in 0..1 + next() % 8 {
            let at = (next() % bytes.len() as u64) as usize;
            bytes[at] = match next() % 4 {
                0 => 0xFF,
                1 => 0,
                2 => bytes[at] ^ (1 << (next() % 8)),
                _ => next() as u8,
            };
        }
        if TypeLib::from_bytes(&bytes).is_err() {
            errors += 1;
        }
    }
    assert!(errors > 0);
}

#[test]
fn pe_without_resource_and_garbage() {
    assert!(matches!(TypeLib::from_bytes(b""), Err(TypeLibError::Truncated { .. })));
    assert!(matches!(TypeLib::from_bytes(b"XYZW1234"), Err(TypeLibError::UnknownFormat { .. })));
    assert!(matches!(TypeLib::from_bytes(b"MZ"), Err(TypeLibError::BadPe(_))));
    let mut msft = b"MSFT".to_vec();
    msft.resize(0x54, 0);
    assert!(TypeLib::from_bytes(&msft).is_err());
    let Some(dir) = common::wine_dir() else { return };
    let pe_bytes = std::fs::read(dir.join("stdole2.tlb")).unwrap();
    assert!(matches!(TypeLib::from_pe_resource(&pe_bytes, 2), Err(TypeLibError::NoTypeLibResource { index: 2 })));
    for len in (0..pe_bytes.len()).step_by(97) {
        let _ = TypeLib::from_bytes(&pe_bytes[..len]);
    }
}
