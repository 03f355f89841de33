//! `bstr_raw`: BSTRs read from raw memory and the oleaut32 BSTR functions.
//!
//! The input is a list of operations (one selector byte each, then its arguments):
//!
//! | selector % 8 | operation | invariant |
//! |---|---|---|
//! | 0 | `BstrRef::from_raw` over a foreign BSTR image (any byte length, odd included) | length, bytes, units, text as an independent decoding; an owned copy has the same bytes; `ptr_to_string_bstr` and `read_native(BStr)` give the units |
//! | 1 | `SysAllocStringByteLen` (copy or zeroed) | byte length, contents, zero terminator (three bytes after an odd length) |
//! | 2 | `SysAllocStringLen` | as 1, in units |
//! | 3 | `SysAllocString` from a NUL-terminated string | stops at the first NUL |
//! | 4 | `SysReAllocStringLen` from outside or from inside the string itself (overlap) | contents are the source as it was before the call |
//! | 5 | `SysReAllocString` from inside the string itself | as 4, up to the NUL |
//! | 6 | `Bstr::from_bytes` / `try_clone` / `take_native(BStr / AnsiBStr)` | round trip; AnsiBStr reads up to its first NUL |
//! | 7 | `SysFreeString` of one live string | — |
//!
//! At the end every live string is freed; the allocator must balance.

use arbitrary::Unstructured;
use marshal_core::bstr::{self, Bstr, BstrRef, BSTR};
use marshal_core::strings::{self, NativeStringKind, StringOptions};

use crate::native::{c_units, units_of, ForeignBstr};
use crate::{byte, put_short_bytes, short_bytes, Guard};

/// Live strings kept at once.
const MAX_LIVE: usize = 8;

/// Runs one input.
pub fn run(data: &[u8]) {
    let guard = Guard::start();
    let mut u = Unstructured::new(data);
    let mut live: Vec<(BSTR, Vec<u8>)> = Vec::new();
    for _ in 0..64 {
        if u.is_empty() {
            break;
        }
        let op = byte(&mut u);
        match op % 8 {
            0 => foreign(short_bytes(&mut u)),
            1 => {
                let payload = short_bytes(&mut u);
                let zeroed = op & 0x80 != 0;
                let src = if zeroed { core::ptr::null() } else { payload.as_ptr() };
                // SAFETY: `src` is null or readable for `payload.len()` bytes.
                let b = unsafe { bstr::sys_alloc_string_byte_len(src, payload.len() as u32) };
                let expect = if zeroed { vec![0; payload.len()] } else { payload.to_vec() };
                keep(&mut live, b, expect);
            }
            2 => {
                let units = units_of(short_bytes(&mut u));
                let zeroed = op & 0x80 != 0;
                let src = if zeroed { core::ptr::null() } else { units.as_ptr() };
                // SAFETY: `src` is null or readable for `units.len()` units.
                let b = unsafe { bstr::sys_alloc_string_len(src, units.len() as u32) };
                let expect = if zeroed { vec![0; units.len() * 2] } else { bytes_of(&units) };
                keep(&mut live, b, expect);
            }
            3 => {
                let units = units_of(short_bytes(&mut u));
                let text = c_units(&units);
                // SAFETY: `text` is NUL-terminated.
                let b = unsafe { bstr::sys_alloc_string(text.as_ptr()) };
                let end = units.iter().position(|&c| c == 0).unwrap_or(units.len());
                keep(&mut live, b, bytes_of(&units[..end]));
            }
            4 | 5 if !live.is_empty() => {
                let i = byte(&mut u) as usize % live.len();
                let inside = op & 0x80 != 0;
                let (old, _) = live[i];
                // SAFETY: `old` is a live BSTR of the allocator.
                let old_bytes = unsafe { bstr::sys_string_byte_len(old) } as usize;
                // The readable units of the old block: payload and terminator.
                let readable = old_bytes.div_ceil(2) + 1;
                let outside = units_of(short_bytes(&mut u));
                let (src, avail): (*const u16, usize) = if inside {
                    let at = byte(&mut u) as usize % readable;
                    // SAFETY: `at` is within the old block.
                    (unsafe { old.add(at) }, readable - at)
                } else {
                    (outside.as_ptr(), outside.len())
                };
                let mut slot = old;
                if op % 8 == 4 {
                    let len = (byte(&mut u) as usize).min(avail);
                    // SAFETY: reading `len` units the source holds.
                    let expect = bytes_of(unsafe { core::slice::from_raw_parts(src, len) });
                    // SAFETY: `slot` holds a live BSTR; `src` is readable for `len` units.
                    let ok = unsafe { bstr::sys_re_alloc_string_len(&mut slot, src, len as u32) };
                    assert_eq!(ok, 1, "SysReAllocStringLen failed");
                    live[i] = (slot, expect);
                } else {
                    // The source must be NUL-terminated within what it can read.
                    // SAFETY: reading at most `avail` units the source holds.
                    let view = unsafe { core::slice::from_raw_parts(src, avail) };
                    let Some(end) = view.iter().position(|&c| c == 0) else { continue };
                    let expect = bytes_of(&view[..end]);
                    // SAFETY: `slot` holds a live BSTR; `src` is NUL-terminated.
                    let ok = unsafe { bstr::sys_re_alloc_string(&mut slot, src) };
                    assert_eq!(ok, 1, "SysReAllocString failed");
                    live[i] = (slot, expect);
                }
                check(live[i].0, &live[i].1);
            }
            6 => {
                let payload = short_bytes(&mut u);
                let b = Bstr::from_bytes(payload).unwrap();
                assert_eq!(b.as_bytes(), payload);
                let c = b.try_clone().unwrap();
                assert_eq!(c.as_bytes(), payload);
                assert_ne!(c.as_ptr(), b.as_ptr(), "a clone is a second string");
                let opts = StringOptions::CORECLR_UNIX;
                let kind = if op & 0x80 != 0 { NativeStringKind::AnsiBStr } else { NativeStringKind::BStr };
                // SAFETY: `c` is a live BSTR given up to take_native, which frees it.
                let back = unsafe { strings::take_native(kind, c.into_raw().cast(), &opts) }.unwrap().unwrap();
                let expect: Vec<u16> = if kind == NativeStringKind::BStr {
                    units_of(payload)
                } else {
                    let end = payload.iter().position(|&c| c == 0).unwrap_or(payload.len());
                    String::from_utf8_lossy(&payload[..end]).encode_utf16().collect()
                };
                assert_eq!(back.as_slice(), &expect[..]);
            }
            7 if !live.is_empty() => {
                let i = byte(&mut u) as usize % live.len();
                let (b, _) = live.swap_remove(i);
                // SAFETY: a live BSTR of the allocator, freed once.
                unsafe { bstr::sys_free_string(b) };
            }
            _ => {}
        }
    }
    for (b, expect) in live {
        check(b, &expect);
        // SAFETY: a live BSTR of the allocator, freed once.
        unsafe { bstr::sys_free_string(b) };
    }
    guard.finish();
}

fn bytes_of(units: &[u16]) -> Vec<u8> {
    units.iter().flat_map(|u| u.to_le_bytes()).collect()
}

fn keep(live: &mut Vec<(BSTR, Vec<u8>)>, b: BSTR, expect: Vec<u8>) {
    assert!(!b.is_null(), "allocation of {} bytes failed", expect.len());
    check(b, &expect);
    if live.len() == MAX_LIVE {
        let (old, _) = live.swap_remove(0);
        // SAFETY: a live BSTR of the allocator, freed once.
        unsafe { bstr::sys_free_string(old) };
    }
    live.push((b, expect));
}

/// A live BSTR of the allocator holds `expect`: prefix, bytes, terminator, and oleaut32's alignment.
fn check(b: BSTR, expect: &[u8]) {
    // SAFETY: `b` is a live BSTR; its block covers the prefix, payload and terminator.
    unsafe {
        assert_eq!(bstr::sys_string_byte_len(b) as usize, expect.len());
        assert_eq!(bstr::sys_string_len(b) as usize, expect.len() / 2);
        let view = BstrRef::from_raw(b);
        assert_eq!(view.as_bytes(), expect);
        let end = expect.len().div_ceil(2) * 2 + 2;
        let tail = core::slice::from_raw_parts((b as *const u8).add(expect.len()), end - expect.len());
        assert!(tail.iter().all(|&z| z == 0), "terminator bytes {tail:02x?}");
    }
    assert_eq!(b as usize % 2, 0);
    #[cfg(all(not(windows), target_pointer_width = "64"))]
    assert_eq!(b as usize % 16, 8, "oleaut32's BSTRs are 8 mod 16");
}

/// Reading a BSTR another module built: every view agrees with an independent decoding of the bytes.
fn foreign(payload: &[u8]) {
    let image = ForeignBstr::new(payload);
    // SAFETY: the image is a valid BSTR that outlives the view.
    let view = unsafe { BstrRef::from_raw(image.as_ptr()) };
    let units = units_of(payload);
    assert!(!view.is_null());
    assert_eq!(view.byte_len(), payload.len());
    assert_eq!(view.len(), payload.len() / 2);
    assert_eq!(view.is_empty(), payload.is_empty());
    assert_eq!(view.as_bytes(), payload);
    assert_eq!(view.as_wide(), &units[..]);
    assert_eq!(view.to_string_lossy(), String::from_utf16_lossy(&units));
    assert_eq!(view.to_string(), String::from_utf16_lossy(&units));
    let _ = format!("{view:?}");
    let owned = view.to_owned_bstr().unwrap();
    assert_eq!(owned.as_bytes(), payload);
    assert_eq!(owned.as_bstr_ref(), view);
    // SAFETY: the image is a valid BSTR.
    let s = unsafe { strings::ptr_to_string_bstr(image.as_ptr()) }.unwrap();
    assert_eq!(s.as_slice(), &units[..]);
    let opts = StringOptions::CORECLR_UNIX;
    // SAFETY: as above.
    let r = unsafe { strings::read_native(NativeStringKind::BStr, image.as_ptr().cast(), &opts) }.unwrap().unwrap();
    assert_eq!(r.as_slice(), &units[..]);
    // The null BSTR reads as empty but stays null.
    let null = BstrRef::null();
    assert!(null.is_null() && null.is_empty() && null.as_bytes().is_empty());
}

/// Seeds: one of each operation over the given payloads.
pub fn seeds(payloads: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for p in payloads {
        let mut s = Vec::new();
        for op in [0u8, 1, 0x81, 2, 3, 6, 0x86] {
            s.push(op);
            put_short_bytes(&mut s, p);
        }
        // Reallocations of string 0 from inside itself, then a free.
        s.extend_from_slice(&[0x84, 0, 0, 1, 4, 0x85, 1, 0, 1, 7, 0]);
        out.push(s);
    }
    out
}
