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

/// Every prefix and 3000 corruptions of the SLTG and MSFT images of the Rust-described library (no Wine needed).
#[test]
fn written_images_truncated_and_corrupted() {
    let lib = common::rust_described_lib();
    for image in [lib.to_sltg(&()).unwrap(), lib.to_msft().unwrap()] {
        assert_eq!(TypeLib::from_bytes(&image).unwrap(), lib);
        for len in 0..image.len() {
            assert!(TypeLib::from_bytes(&image[..len]).is_err(), "prefix of {len} bytes was accepted");
        }
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..3000 {
            let mut bytes = image.clone();
            for _ in 0..1 + next() % 6 {
                let at = (next() % bytes.len() as u64) as usize;
                bytes[at] = next() as u8;
            }
            if let Ok(lib) = TypeLib::from_bytes(&bytes) {
                // Whatever is accepted can be walked through the API view and written again.
                for i in 0..lib.types.len() {
                    let view = marshal_typelib::api::TypeInfoView::new(&lib, i, &());
                    let _ = view.type_attr();
                    let _ = view.funcs();
                }
                let _ = lib.to_msft();
                let _ = lib.to_sltg(&());
            }
        }
    }
}

#[test]
fn cyclic_type_descriptions_are_bounded() {
    // An MSFT type description table entry that points to itself: VT_PTR to entry 0.
    let lib = common::rust_described_lib();
    let mut image = lib.to_msft().unwrap();
    let (dir, seg) = (0x54 + lib.types.len() * 4, 9); // the type description segment
    let at = |b: &[u8], o: usize| i32::from_le_bytes(b[o..o + 4].try_into().unwrap());
    let off = at(&image, dir + seg * 16);
    let len = at(&image, dir + seg * 16 + 4);
    assert!(off > 0 && len >= 8, "the Rust library has type descriptions");
    let off = off as usize;
    image[off..off + 2].copy_from_slice(&26u16.to_le_bytes()); // VT_PTR
    image[off + 4..off + 8].copy_from_slice(&0i32.to_le_bytes()); // → entry 0, itself
    match TypeLib::from_bytes(&image) {
        Err(TypeLibError::TooDeep { .. }) => {}
        other => panic!("expected TooDeep, got {other:?}"),
    }
}
