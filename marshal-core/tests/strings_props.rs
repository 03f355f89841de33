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

/// UTF-16 of lengths around the transcoders' thresholds ([`transcode::SIMD_THRESHOLD`], [`transcode::SIMD_THRESHOLD_STR`],
/// [`transcode::SIMD_THRESHOLD_UTF16`]), SIMD block sizes and a few KiB, from ASCII to
/// 3-byte text and pairs, with lone surrogates absent, rare or frequent (so the one-pass
/// converter's resume-after-a-lone-surrogate step runs at every position), and possibly
/// cut in the middle of a pair.
fn utf16_near_thresholds() -> impl Strategy<Value = Vec<u16>> {
    let len = prop_oneof![0usize..40, 56usize..72, 120usize..136, 250usize..262, 1020usize..1030, 4090usize..4100];
    (len, 0usize..3).prop_flat_map(|(len, lone)| {
        let piece = prop_oneof![
            60 => (0x20u16..0x7F).prop_map(|u| vec![u]),
            10 => (0x80u16..0x800).prop_map(|u| vec![u]),
            10 => (0x800u16..0xD800).prop_map(|u| vec![u]),
            5 => (0xD800u16..0xDC00, 0xDC00u16..0xE000).prop_map(|(h, l)| vec![h, l]),
            [1, 1, 40][lone] => (0xD800u16..0xE000).prop_map(move |u| vec![if lone == 0 { 0x41 } else { u }]),
        ];
        prop::collection::vec(piece, len).prop_map(move |pieces| {
            let mut units = pieces.concat();
            units.truncate(len);
            units
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// The one-pass UTF-16 → UTF-8 converter against std's lossy conversion and against
    /// the previous engine (encoding_rs into an exactly measured buffer), and it never
    /// writes past the capacity it asks for.
    #[test]
    fn one_pass_utf16_to_utf8_agrees_with_std_and_the_old_path(units in utf16_near_thresholds()) {
        let lossy = String::from_utf16_lossy(&units);
        let mut old = vec![0u8; units.len() * 3];
        let old_len = encoding_rs::mem::convert_utf16_to_utf8(&units, &mut old);
        prop_assert_eq!(&old[..old_len], lossy.as_bytes());

        let cap = transcode::utf8_capacity(units.len());
        let mut buf = vec![0xA5u8; cap + 64];
        // SAFETY: `buf` holds `utf8_capacity(units.len())` bytes and more.
        let n = unsafe { transcode::utf16_to_utf8_raw(&units, buf.as_mut_ptr()) };
        prop_assert_eq!(&buf[..n], lossy.as_bytes());
        prop_assert!(buf[cap..].iter().all(|&b| b == 0xA5), "wrote past the capacity");

        prop_assert_eq!(transcode::utf16_to_string(&units), lossy.clone());
        prop_assert_eq!(transcode::utf8_len_lossy(&units), lossy.len());
        let mut with_nul = lossy.clone().into_bytes();
        with_nul.push(0);
        prop_assert_eq!(transcode::utf16_to_utf8_vec(&units, 1), with_nul.clone());
        let native = NativeString::from_wide(NativeStringKind::LPUTF8Str, &units, &UTF8.ansi).unwrap();
        prop_assert_eq!(native.bytes_with_terminator(), &with_nul[..]);
        let ansi = NativeString::from_wide(NativeStringKind::LPStr, &units, &UTF8.ansi).unwrap();
        prop_assert_eq!(ansi.bytes_with_terminator(), &with_nul[..]);
    }

    /// UTF-8 → UTF-16 and `str` → BSTR (worst-case allocation, then shrunk) around the
    /// thresholds, against std.
    #[test]
    fn one_pass_utf8_paths_agree_with_std(units in utf16_near_thresholds(), cut in any::<prop::sample::Index>()) {
        let s = String::from_utf16_lossy(&units);
        let expect: Vec<u16> = s.encode_utf16().collect();
        prop_assert_eq!(transcode::utf8_to_utf16(s.as_bytes(), InvalidUtf8::Error).unwrap(), expect.clone());
        prop_assert_eq!(transcode::utf8_to_utf16(s.as_bytes(), InvalidUtf8::Replace).unwrap(), expect.clone());
        // An ASCII start sends str_to_bstr down its one-pass path (worst-case BSTR, then
        // shrunk), any other start down its measure-first path.
        for ascii_start in ["", &"a".repeat(transcode::ASCII_PROBE)] {
            let s = format!("{ascii_start}{s}");
            let expect: Vec<u16> = s.encode_utf16().collect();
            let b = transcode::str_to_bstr(&s).unwrap();
            prop_assert_eq!(b.as_wide(), &expect[..]);
            prop_assert_eq!(b.byte_len(), expect.len() * 2);
            let raw = b.into_raw();
            // SAFETY: a live BSTR: the prefix before it and the terminator after its payload.
            let (prefix, terminator) = unsafe {
                (raw.cast::<u8>().sub(4).cast::<u32>().read_unaligned(), raw.add(expect.len()).read())
            };
            prop_assert_eq!((prefix as usize, terminator), (expect.len() * 2, 0));
            // SAFETY: `raw` came from into_raw and is owned again once.
            drop(unsafe { Bstr::from_raw(raw) });
        }
        // Cut anywhere (possibly inside a character): invalid UTF-8 of every length.
        let bytes = &s.as_bytes()[..cut.index(s.len() + 1)];
        let lossy: Vec<u16> = String::from_utf8_lossy(bytes).encode_utf16().collect();
        prop_assert_eq!(transcode::utf8_to_utf16(bytes, InvalidUtf8::Replace).unwrap(), lossy);
    }
}
