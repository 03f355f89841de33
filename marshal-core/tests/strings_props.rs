//! Property tests: every string form round-trips arbitrary `String`s and arbitrary
//! (ill-formed included) UTF-16, with expectations computed by std independently of
//! the engine, and without leaking a single native allocation.

use marshal_core::alloc::tracking::LeakCheck;
use marshal_core::bstr::Bstr;
use marshal_core::strings::transcode::{self, InvalidUtf8};
use marshal_core::strings::*;
use proptest::prelude::*;

const UTF8: StringOptions = StringOptions::CORECLR_UNIX;

const ALL_KINDS: [NativeStringKind; 5] = [
    NativeStringKind::LPWStr,
    NativeStringKind::LPUTF8Str,
    NativeStringKind::LPStr,
    NativeStringKind::BStr,
    NativeStringKind::AnsiBStr,
];

/// UTF-16 with plenty of surrogates (paired, lone, reversed), NULs and ASCII, long enough
/// to take the SIMD paths too.
fn utf16() -> impl Strategy<Value = Vec<u16>> {
    prop::collection::vec(
        prop_oneof![4 => 0x20u16..0x7F, 2 => any::<u16>(), 2 => 0xD800u16..0xE000, 1 => Just(0u16)],
        0..300,
    )
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), "[a-zA-Z0-9 éü€中😀\u{0}]{0,300}"]
}

fn until_nul(units: &[u16]) -> &[u16] {
    &units[..units.iter().position(|&u| u == 0).unwrap_or(units.len())]
}

/// What reading the native form back must give, computed with std only.
fn expected_back(kind: NativeStringKind, units: &[u16]) -> Vec<u16> {
    match kind {
        NativeStringKind::BStr => units.to_vec(),
        NativeStringKind::LPWStr => until_nul(units).to_vec(),
        // 8-bit forms: lone surrogates became U+FFFD, the first NUL ends the string.
        _ => {
            let lossy: Vec<u16> = String::from_utf16_lossy(units).encode_utf16().collect();
            until_nul(&lossy).to_vec()
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn native_string_round_trips_utf16(units in utf16()) {
        let check = LeakCheck::start();
        for kind in ALL_KINDS {
            let native = NativeString::from_wide(kind, &units, &UTF8.ansi).unwrap();
            let back = native.to_wide(&UTF8).unwrap().unwrap();
            prop_assert_eq!(back.as_slice(), &expected_back(kind, &units)[..], "{:?}", kind);
            // In arguments carry the same bytes.
            let arg = InString::new(kind, Some(&units), &UTF8.ansi).unwrap();
            // SAFETY: `arg` is alive and of form `kind`.
            let via_arg = unsafe { read_native(kind, arg.as_ptr(), &UTF8) }.unwrap().unwrap();
            prop_assert_eq!(via_arg.as_slice(), back.as_slice());
            // Out: ownership passes to the reader, which frees.
            let raw = native.into_raw();
            // SAFETY: `raw` is owned and of form `kind`.
            let taken = unsafe { take_native(kind, raw, &UTF8) }.unwrap().unwrap();
            prop_assert_eq!(taken.as_slice(), back.as_slice());
        }
        check.assert_no_leaks();
    }

    #[test]
    fn native_string_round_trips_str(s in text()) {
        let check = LeakCheck::start();
        let units: Vec<u16> = s.encode_utf16().collect();
        for kind in ALL_KINDS {
            let native = NativeString::from_str(kind, &s, &UTF8.ansi).unwrap();
            let back = native.to_wide(&UTF8).unwrap().unwrap();
            prop_assert_eq!(back.as_slice(), &expected_back(kind, &units)[..], "{:?}", kind);
            let arg = InString::from_str(kind, &s, &UTF8.ansi).unwrap();
            // SAFETY: `arg` is alive and of form `kind`.
            let via_arg = unsafe { read_native(kind, arg.as_ptr(), &UTF8) }.unwrap().unwrap();
            prop_assert_eq!(via_arg.as_slice(), back.as_slice());
        }
        let b: Bstr = s.parse().unwrap();
        prop_assert_eq!(b.to_string(), s.clone());
        drop(b);
        check.assert_no_leaks();
    }

    #[test]
    fn transcoders_agree_with_std(units in utf16(), bytes in prop::collection::vec(any::<u8>(), 0..300), s in text()) {
        prop_assert_eq!(transcode::utf16_to_string(&units), String::from_utf16_lossy(&units));
        prop_assert_eq!(transcode::utf8_len_lossy(&units), String::from_utf16_lossy(&units).len());
        let lossy: Vec<u16> = String::from_utf8_lossy(&bytes).encode_utf16().collect();
        prop_assert_eq!(transcode::utf8_to_utf16(&bytes, InvalidUtf8::Replace).unwrap(), lossy);
        match core::str::from_utf8(&bytes) {
            Ok(valid) => prop_assert_eq!(
                transcode::utf8_to_utf16(&bytes, InvalidUtf8::Error).unwrap(),
                valid.encode_utf16().collect::<Vec<_>>()
            ),
            Err(e) => prop_assert_eq!(
                transcode::utf8_to_utf16(&bytes, InvalidUtf8::Error).unwrap_err().valid_up_to,
                e.valid_up_to()
            ),
        }
        prop_assert_eq!(transcode::str_to_utf16_vec(&s, 0), s.encode_utf16().collect::<Vec<_>>());
    }

    #[test]
    fn by_val_tstr_follows_the_clr(units in utf16(), n in 1usize..40) {
        // Wide: min(len, n - 1) units, read back up to the first NUL.
        let mut wide = vec![0xCCu8; n * 2];
        write_by_val_tstr(&mut wide, Some(&units), true, &UTF8.ansi).unwrap();
        let keep = &units[..units.len().min(n - 1)];
        let back = read_by_val_tstr(&wide, true, &UTF8).unwrap();
        prop_assert_eq!(back.as_slice(), until_nul(keep));

        // ANSI (UTF-8): error past n bytes; exactly n bytes loses its last byte.
        let mut narrow = vec![0xCCu8; n];
        let encoded = String::from_utf16_lossy(keep).into_bytes();
        match write_by_val_tstr(&mut narrow, Some(&units), false, &UTF8.ansi) {
            Err(StringError::ByValTStrOverflow { needed, capacity }) => {
                prop_assert!(encoded.len() > n);
                prop_assert_eq!((needed, capacity), (encoded.len(), n));
            }
            Err(e) => prop_assert!(false, "unexpected {e}"),
            Ok(()) => {
                prop_assert!(encoded.len() <= n);
                let written = &encoded[..encoded.len().min(n - 1)];
                prop_assert_eq!(&narrow[..written.len()], written);
                prop_assert_eq!(narrow[written.len()], 0);
                let back = read_by_val_tstr(&narrow, false, &UTF8).unwrap();
                let expect: Vec<u16> = String::from_utf8_lossy(written).encode_utf16().collect();
                prop_assert_eq!(back.as_slice(), until_nul(&expect));
            }
        }
    }

    #[test]
    fn string_buffers_read_back_their_contents(units in utf16(), extra in 0usize..20) {
        let check = LeakCheck::start();
        let contents = until_nul(&units);
        for kind in [NativeStringKind::LPWStr, NativeStringKind::LPUTF8Str, NativeStringKind::LPStr] {
            let buf = StringBuffer::new(kind, contents.len() + extra, contents, &UTF8.ansi).unwrap();
            let back = buf.read(&UTF8).unwrap();
            prop_assert_eq!(back.as_slice(), &expected_back(kind, contents)[..], "{:?}", kind);
        }
        check.assert_no_leaks();
    }

    #[test]
    fn bstr_from_bytes_keeps_every_byte(bytes in prop::collection::vec(any::<u8>(), 0..100)) {
        let check = LeakCheck::start();
        let b = Bstr::from_bytes(&bytes).unwrap();
        prop_assert_eq!(b.as_bytes(), &bytes[..]);
        prop_assert_eq!((b.byte_len(), b.len()), (bytes.len(), bytes.len() / 2));
        let c = b.try_clone().unwrap();
        prop_assert_eq!(c.as_bytes(), &bytes[..]);
        drop((b, c));
        check.assert_no_leaks();
    }

    #[test]
    fn cp1252_round_trips_its_repertoire(s in "[ -~¡-ÿ€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ]{0,80}") {
        let opts = StringOptions { ansi: AnsiOptions::code_page(1252).unwrap(), ..UTF8 };
        let units: Vec<u16> = s.encode_utf16().collect();
        let native = NativeString::from_wide(NativeStringKind::LPStr, &units, &opts.ansi).unwrap();
        // One byte per character in a single-byte code page.
        prop_assert_eq!(native.bytes_with_terminator().len(), s.chars().count() + 1);
        let back = native.to_wide(&opts).unwrap().unwrap();
        prop_assert_eq!(back.as_slice(), &units[..]);
    }
}
