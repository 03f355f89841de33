//! `strings_decode`: every native string form in every code page the engine carries, read from native memory
//! and written back.
//!
//! Input: `[form, code page, flags, mode, payload…]`. Forms: LPStr, LPWStr, LPUTF8Str, BStr, AnsiBStr. Code
//! pages: UTF-8 and the 14 Windows ones. Flags: invalid UTF-8 → error (bit 0), BestFitMapping (bit 1),
//! ThrowOnUnmappableChar (bit 2). Modes:
//!
//! | mode % 5 | what | invariant |
//! |---|---|---|
//! | 0 | `read_native` of the payload as a NUL-terminated string / BSTR | UTF-8 decodes as Rust's `from_utf8_lossy` (maximal subparts → U+FFFD) or fails at `valid_up_to`; UTF-16 is the units up to the NUL; single-byte code pages give one unit per byte |
//! | 1 | `read_native_bounded` / `read_native_len` of an exactly sized buffer without terminator | never reads past it (ASan); up to the first NUL / everything |
//! | 2 | `read_by_val_tstr`, then `write_by_val_tstr` of the result into the same buffer | the round trip gives the string back (cut to `SizeConst - 1`) |
//! | 3 | `NativeString::from_wide` and `InString::new` of the payload's units | both produce the same native string; reading it back gives the units (lone surrogates → U+FFFD for 8-bit forms; unmappable only when not throwing) |
//! | 4 | a StringBuilder buffer filled by the "callee" with no terminator | read back never past its end |

use arbitrary::Unstructured;
use marshal_core::strings::{
    self, decode_ansi, decode_ansi_char, read_by_val_tstr, write_by_val_tstr, AnsiOptions, CodePage, InString,
    InvalidUtf8, NativeString, NativeStringKind, StringBuffer, StringError, StringOptions,
};

use crate::native::{c_bytes, c_units, units_of, ForeignBstr};
use crate::{byte, bytes, Guard};

/// The forms, in the order of the first input byte.
pub const FORMS: [NativeStringKind; 5] = [
    NativeStringKind::LPStr,
    NativeStringKind::LPWStr,
    NativeStringKind::LPUTF8Str,
    NativeStringKind::BStr,
    NativeStringKind::AnsiBStr,
];

/// The code pages, in the order of the second input byte.
pub const CODE_PAGES: [u32; 15] =
    [65001, 874, 932, 936, 949, 950, 1250, 1251, 1252, 1253, 1254, 1255, 1256, 1257, 1258];

/// Runs one input.
pub fn run(data: &[u8]) {
    let guard = Guard::start();
    let mut u = Unstructured::new(data);
    let kind = FORMS[byte(&mut u) as usize % FORMS.len()];
    let cp_number = CODE_PAGES[byte(&mut u) as usize % CODE_PAGES.len()];
    let flags = byte(&mut u);
    let mode = byte(&mut u);
    let payload = bytes(&mut u, 4096);
    let ansi = AnsiOptions {
        code_page: CodePage::from_number(cp_number).unwrap(),
        best_fit: flags & 2 != 0,
        throw_on_unmappable: flags & 4 != 0,
    };
    let opts =
        StringOptions { ansi, invalid_utf8: if flags & 1 != 0 { InvalidUtf8::Error } else { InvalidUtf8::Replace } };
    match mode % 5 {
        0 => decode(kind, payload, &opts),
        1 => bounded(kind, payload, &opts),
        2 => by_val_tstr(kind, payload, &opts),
        3 => encode(kind, payload, &opts),
        _ => buffer(kind, payload, &opts),
    }
    guard.finish();
}

/// The code page a narrow form's bytes are in.
fn narrow_code_page(kind: NativeStringKind, opts: &StringOptions) -> CodePage {
    if kind == NativeStringKind::LPUTF8Str {
        CodePage::Utf8
    } else {
        opts.ansi.code_page
    }
}

/// What a narrow string's bytes decode to, or the error, computed independently where an independent
/// decoder exists (UTF-8: the standard library).
fn expect_narrow(bytes: &[u8], cp: CodePage, opts: &StringOptions) -> Result<Vec<u16>, StringError> {
    match cp {
        CodePage::Utf8 => match (opts.invalid_utf8, std::str::from_utf8(bytes)) {
            (_, Ok(s)) => Ok(s.encode_utf16().collect()),
            (InvalidUtf8::Replace, Err(_)) => Ok(String::from_utf8_lossy(bytes).encode_utf16().collect()),
            (InvalidUtf8::Error, Err(e)) => Err(StringError::InvalidUtf8 { valid_up_to: e.valid_up_to() }),
        },
        CodePage::Windows { .. } => {
            let out = decode_ansi(bytes, cp, opts.invalid_utf8).expect("Windows code pages replace, never fail");
            if cp.max_bytes_per_unit() == 1 {
                assert_eq!(out.len(), bytes.len(), "a single-byte code page gives one unit per byte");
                for (b, c) in bytes.iter().zip(&out) {
                    assert_eq!(decode_ansi_char(*b, cp), *c);
                }
            } else {
                assert!(out.len() <= bytes.len());
            }
            Ok(out)
        }
    }
}

fn until_nul<T: Copy + Default + PartialEq>(s: &[T]) -> &[T] {
    let end = s.iter().position(|c| *c == T::default()).unwrap_or(s.len());
    &s[..end]
}

fn decode(kind: NativeStringKind, payload: &[u8], opts: &StringOptions) {
    let got = match kind {
        NativeStringKind::LPWStr => {
            let units = units_of(payload);
            let s = c_units(&units);
            // SAFETY: a NUL-terminated UTF-16 string.
            let got = unsafe { strings::read_native(kind, s.as_ptr().cast(), opts) };
            assert_eq!(got.unwrap().unwrap().as_slice(), until_nul(&units));
            return;
        }
        NativeStringKind::BStr => {
            let image = ForeignBstr::new(payload);
            // SAFETY: a valid BSTR image.
            let got = unsafe { strings::read_native(kind, image.as_ptr().cast(), opts) };
            assert_eq!(got.unwrap().unwrap().as_slice(), &units_of(payload)[..]);
            return;
        }
        NativeStringKind::AnsiBStr => {
            let image = ForeignBstr::new(payload);
            // SAFETY: a valid BSTR image, NUL-terminated after its payload.
            unsafe { strings::read_native(kind, image.as_ptr().cast(), opts) }
        }
        NativeStringKind::LPStr | NativeStringKind::LPUTF8Str => {
            let s = c_bytes(payload);
            // SAFETY: a NUL-terminated byte string.
            unsafe { strings::read_native(kind, s.as_ptr().cast(), opts) }
        }
    };
    let expect = expect_narrow(until_nul(payload), narrow_code_page(kind, opts), opts);
    assert_eq!(got.map(|s| s.unwrap().into_vec()), expect);
    // SAFETY: null is a valid argument.
    assert_eq!(unsafe { strings::read_native(kind, core::ptr::null(), opts) }, Ok(None));
}

fn bounded(kind: NativeStringKind, payload: &[u8], opts: &StringOptions) {
    if kind.is_wide() {
        let units: Box<[u16]> = units_of(payload).into_boxed_slice();
        // SAFETY: `units` is readable for its length.
        let got = unsafe { strings::read_native_bounded(kind, units.as_ptr().cast(), units.len(), opts) };
        assert_eq!(got.unwrap().unwrap().as_slice(), until_nul(&units));
        // SAFETY: as above.
        let all = unsafe { strings::read_native_len(kind, units.as_ptr().cast(), units.len(), opts) };
        assert_eq!(all.unwrap().as_slice(), &units[..]);
    } else {
        let exact: Box<[u8]> = payload.into();
        let cp = narrow_code_page(kind, opts);
        let kind = if kind == NativeStringKind::AnsiBStr { NativeStringKind::LPStr } else { kind };
        // SAFETY: `exact` is readable for its length.
        let got = unsafe { strings::read_native_bounded(kind, exact.as_ptr().cast(), exact.len(), opts) };
        assert_eq!(got.map(|s| s.unwrap().into_vec()), expect_narrow(until_nul(&exact), cp, opts));
        // SAFETY: as above.
        let all = unsafe { strings::read_native_len(kind, exact.as_ptr().cast(), exact.len(), opts) };
        assert_eq!(all.map(|s| s.into_vec()), expect_narrow(&exact, cp, opts));
    }
    // SAFETY: null is a valid argument.
    unsafe {
        assert_eq!(strings::read_native_bounded(kind, core::ptr::null(), 4, opts), Ok(None));
        assert_eq!(strings::read_native_len(kind, core::ptr::null(), 4, opts), Err(StringError::NullPointer));
    }
}

fn by_val_tstr(kind: NativeStringKind, payload: &[u8], opts: &StringOptions) {
    let wide = kind.is_wide();
    let field: Box<[u8]> = payload.into();
    let read = read_by_val_tstr(&field, wide, opts);
    if wide {
        let units = units_of(&field);
        let s = read.unwrap();
        assert_eq!(s.as_slice(), until_nul(&units));
        let mut dst = field.clone();
        match write_by_val_tstr(&mut dst, Some(s.as_slice()), true, &opts.ansi) {
            Ok(()) => {
                let n = s.len().min(field.len() / 2 - 1);
                let back = read_by_val_tstr(&dst, true, opts).unwrap();
                assert_eq!(back.as_slice(), &s.as_slice()[..n]);
            }
            Err(e) => assert_eq!((e, field.len() / 2), (StringError::ZeroSizeConst, 0)),
        }
        return;
    }
    let expect = expect_narrow(until_nul(&field), opts.ansi.code_page, opts);
    assert_eq!(read.clone().map(|s| s.into_vec()), expect);
    let Ok(s) = read else { return };
    let mut dst = field.clone();
    match write_by_val_tstr(&mut dst, Some(s.as_slice()), false, &opts.ansi) {
        Ok(()) => {
            assert!(dst.contains(&0), "an ANSI ByValTStr is always terminated");
            let n = s.len().min(field.len().saturating_sub(1));
            if s.as_slice()[..n].iter().all(|&c| c < 0x80) {
                let back = read_by_val_tstr(&dst, false, opts).unwrap();
                assert_eq!(back.as_slice(), &s.as_slice()[..n]);
            }
        }
        Err(StringError::ZeroSizeConst) => assert!(field.is_empty()),
        Err(StringError::ByValTStrOverflow { needed, capacity }) => assert!(needed > capacity),
        Err(StringError::Unmappable { index, .. }) => {
            assert!(opts.ansi.throw_on_unmappable && index < s.len())
        }
        Err(e) => panic!("unexpected ByValTStr error {e:?}"),
    }
}

fn encode(kind: NativeStringKind, payload: &[u8], opts: &StringOptions) {
    let units = units_of(payload);
    let native = NativeString::from_wide(kind, &units, &opts.ansi);
    let inarg = InString::new(kind, Some(&units), &opts.ansi);
    let (native, inarg) = match (native, inarg) {
        (Ok(n), Ok(i)) => (n, i),
        (Err(a), Err(b)) => {
            assert_eq!(a, b);
            match a {
                StringError::Unmappable { index, .. } => {
                    assert!(opts.ansi.throw_on_unmappable && index < units.len())
                }
                e => panic!("unexpected encoding error {e:?}"),
            }
            return;
        }
        (a, b) => panic!("NativeString and InString disagree: {a:?} / {b:?}"),
    };
    // The two to-native paths produce the same native string.
    // SAFETY: both are live strings of `kind`.
    let (a, b) = unsafe {
        (
            strings::read_native(kind, native.as_ptr(), &StringOptions::CORECLR_UNIX),
            strings::read_native(kind, inarg.as_ptr(), &StringOptions::CORECLR_UNIX),
        )
    };
    let lossless = opts.invalid_utf8 == InvalidUtf8::Replace || kind.is_wide();
    if lossless {
        assert_eq!(a, b, "NativeString and InString hold different strings");
    }
    let back = native.to_wide(&StringOptions { invalid_utf8: InvalidUtf8::Replace, ..*opts }).unwrap().unwrap();
    let back = back.as_slice();
    let cp = narrow_code_page(kind, opts);
    match kind {
        NativeStringKind::BStr => assert_eq!(back, &units[..]),
        NativeStringKind::LPWStr => assert_eq!(back, until_nul(&units)),
        _ if cp == CodePage::Utf8 => {
            let lossy: Vec<u16> = String::from_utf16_lossy(&units).encode_utf16().collect();
            assert_eq!(back, until_nul(&lossy));
        }
        _ => {
            assert!(back.len() <= units.len());
            if opts.ansi.throw_on_unmappable && round_trips(cp) {
                // Every character was mappable: the text comes back.
                assert_eq!(back, until_nul(&units));
            }
        }
    }
}

/// Code pages whose encoder and decoder are inverse on everything the encoder maps (Shift_JIS maps ¥ and ‾
/// to the ASCII bytes of `\` and `~`; Big5 and GBK have one-way mappings too).
fn round_trips(cp: CodePage) -> bool {
    cp.max_bytes_per_unit() == 1 || matches!(cp.number(), 949)
}

fn buffer(kind: NativeStringKind, payload: &[u8], opts: &StringOptions) {
    let kind = match kind {
        NativeStringKind::BStr => NativeStringKind::LPWStr,
        NativeStringKind::AnsiBStr => NativeStringKind::LPStr,
        k => k,
    };
    let (capacity, fill) = payload.split_first().map(|(c, f)| (*c as usize % 64, f)).unwrap_or((0, &[]));
    let contents = units_of(fill);
    let mut buf = match StringBuffer::new(kind, capacity, &contents, &opts.ansi) {
        Ok(b) => b,
        Err(StringError::Unmappable { .. }) if opts.ansi.throw_on_unmappable => return,
        Err(e) => panic!("StringBuffer::new failed: {e:?}"),
    };
    let size = buf.byte_size();
    // The callee fills every byte and writes no terminator.
    let filler: Vec<u8> = if fill.is_empty() { vec![0x41] } else { fill.iter().map(|&b| b | 1).collect() };
    let image: Vec<u8> = filler.iter().copied().cycle().take(size).collect();
    // SAFETY: the buffer holds `size` writable bytes.
    unsafe { core::ptr::copy_nonoverlapping(image.as_ptr(), buf.as_mut_ptr().cast::<u8>(), size) };
    let got = buf.read(opts).map(|s| s.into_vec());
    if kind.is_wide() {
        assert_eq!(got.unwrap(), units_of(&image));
    } else {
        assert_eq!(got, expect_narrow(&image, narrow_code_page(kind, opts), opts));
    }
}

/// A seed: form, code page, flags, mode, payload.
pub fn seed(form: usize, cp: usize, flags: u8, mode: u8, payload: &[u8]) -> Vec<u8> {
    let mut s = vec![form as u8, cp as u8, flags, mode];
    s.extend_from_slice(payload);
    s
}
