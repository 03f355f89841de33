//! `variant_change_type`: `VariantChangeTypeEx` on arbitrary (source VARIANT, target VARTYPE, flags, LCID).
//!
//! Input: one VARIANT as [`crate::native::variant`] reads it (any VARTYPE, BYREF and ARRAY included; a
//! VT_DISPATCH source's value property may fail, return text, an invalid VARIANT, or the object itself), then the
//! target VARTYPE (u16), the flags (u16) and an LCID selector (en-US, invariant, German, Japanese, the defaults,
//! or any 32-bit value).
//!
//! Invariants:
//! - the source is not modified (its bytes, and the BSTR it holds);
//! - success gives a VARIANT of exactly the target type that passes validation and owns its payload (taking it
//!   over and dropping it leaks nothing);
//! - failure is an error HRESULT, and nothing is leaked or over-released;
//! - a conversion to the source's own type is a copy (the same value);
//! - integers, VARIANT_BOOL, CY and DECIMAL converted to BSTR and back under the same LCID and flags give the
//!   value back (VarBstrFrom* prints them exactly).

use arbitrary::Unstructured;
use marshal_core::variant::{change_type_raw, Variant, VariantRef, VariantValue};
use marshal_core::{VarType, VARIANT};

use crate::native::{self, Arena};
use crate::{byte, u16_le, u32_le, Guard};

/// The LCIDs of the selector byte (the last one reads a raw u32).
pub const LCIDS: [u32; 7] = [0x0409, 0x007F, 0x0407, 0x0411, 0, 0x0400, 0x0800];

/// Runs one input.
pub fn run(data: &[u8]) {
    let guard = Guard::start();
    {
        let mut u = Unstructured::new(data);
        let mut arena = Arena::new();
        let (src, owned) = native::variant(&mut u, &mut arena, 0);
        let target = VarType(u16_le(&mut u));
        let flags = u16_le(&mut u);
        let sel = byte(&mut u) as usize;
        let lcid = LCIDS.get(sel % 8).copied().unwrap_or_else(|| u32_le(&mut u));
        let before = src.to_bytes();
        let text_before = bstr_units(&src);
        // SAFETY: every pointer in `src` is null or live (harness-built).
        let result = unsafe { change_type_raw(&src, lcid, flags, target) };
        assert_eq!(src.to_bytes(), before, "VariantChangeType wrote to its source");
        assert_eq!(bstr_units(&src), text_before, "VariantChangeType changed its source's BSTR");
        match result {
            Ok(out) => {
                assert_eq!(out.vt, target, "converted to {:?}, asked for {target:?}", out.vt);
                // SAFETY: the result owns its payload.
                let out = unsafe { Variant::from_raw(out) }
                    .unwrap_or_else(|e| panic!("VariantChangeType made an invalid VARIANT: {e:?}"));
                check_same_type(&src, target, &out);
                round_trip(&src, &out, lcid, flags);
            }
            Err(hr) => assert!(hr.is_err(), "failure with a success code {hr:?}"),
        }
        // The source stays the caller's: released by the harness.
        drop(owned);
        drop(arena);
    }
    guard.finish();
}

fn bstr_units(v: &VARIANT) -> Option<Vec<u16>> {
    if v.vt != VarType::BSTR {
        return None;
    }
    // SAFETY: a harness-built BSTR VARIANT holds null or a live BSTR.
    unsafe {
        let p = v.data.ptr as *mut u16;
        if p.is_null() {
            return None;
        }
        let n = marshal_core::bstr::sys_string_len(p) as usize;
        Some(core::slice::from_raw_parts(p, n).to_vec())
    }
}

/// Numbers compared by their bits (NaN payloads included).
fn same_value(a: VariantValue<'_>, b: VariantValue<'_>) -> bool {
    match (a, b) {
        (VariantValue::R4(x), VariantValue::R4(y)) => x.to_bits() == y.to_bits(),
        (VariantValue::R8(x), VariantValue::R8(y)) => x.to_bits() == y.to_bits(),
        (VariantValue::Date(x), VariantValue::Date(y)) => x.0.to_bits() == y.0.to_bits(),
        (VariantValue::Decimal(x), VariantValue::Decimal(y)) => {
            (x.scale, x.sign, x.hi32, x.lo64) == (y.scale, y.sign, y.hi32, y.lo64)
        }
        (VariantValue::Array(x, _), VariantValue::Array(y, _)) => x == y,
        (VariantValue::Record(_), VariantValue::Record(_)) => true,
        (x, y) => x == y,
    }
}

fn check_same_type(src: &VARIANT, target: VarType, out: &Variant) {
    if src.vt != target || src.vt.is_byref() {
        return;
    }
    // SAFETY: the conversion succeeded, so the source was valid; its pointers are live.
    let Ok(s) = (unsafe { VariantRef::new(src) }) else { return };
    assert!(same_value(s.value(), out.value()), "{target:?} → {target:?} changed the value");
}

/// Integers, VARIANT_BOOL, CY and DECIMAL → BSTR → back.
fn round_trip(src: &VARIANT, out: &Variant, lcid: u32, flags: u16) {
    let vt = src.vt;
    let exact = matches!(
        vt,
        VarType::I1
            | VarType::I2
            | VarType::I4
            | VarType::I8
            | VarType::UI1
            | VarType::UI2
            | VarType::UI4
            | VarType::UI8
            | VarType::INT
            | VarType::UINT
            | VarType::BOOL
            | VarType::CY
            | VarType::DECIMAL
    );
    if !exact || out.vt() != VarType::BSTR {
        return;
    }
    // CY text is parsed through a double (see variant_text): exact only well inside 53 bits.
    // SAFETY: reading the i64 member of a by-value VT_CY.
    if vt == VarType::CY && unsafe { src.data.i64_ }.unsigned_abs() > 1 << 50 {
        return;
    }
    // SAFETY: `out` is a valid VARIANT the harness owns.
    let back = unsafe { change_type_raw(out.as_raw(), lcid, flags, vt) };
    let text = String::try_from(out).unwrap_or_default();
    let back = back.unwrap_or_else(|hr| panic!("{vt:?} → BSTR {text:?} → {vt:?} failed: {hr:?}"));
    // SAFETY: the result owns its payload.
    let back = unsafe { Variant::from_raw(back) }.unwrap();
    // SAFETY: `src` was converted, so it is valid.
    let original = unsafe { VariantRef::new(src) }.unwrap().value();
    let ok = match (original, back.value()) {
        (VariantValue::Bool(a), VariantValue::Bool(b)) => a == b,
        (VariantValue::Decimal(a), VariantValue::Decimal(b)) => a.cmp_value(&b) == core::cmp::Ordering::Equal,
        (a, b) => a == b,
    };
    assert!(ok, "{vt:?} → BSTR {text:?} → {vt:?} gave {:?}, not {original:?}", back.value());
}

/// A seed: a source VARIANT seed (see [`crate::targets::variant_raw::seed`], without its ops byte), the target,
/// the flags and the LCID selector.
pub fn seed(source: &[u8], target: u16, flags: u16, lcid_sel: u8) -> Vec<u8> {
    let mut s = source.to_vec();
    s.extend_from_slice(&target.to_le_bytes());
    s.extend_from_slice(&flags.to_le_bytes());
    s.push(lcid_sel);
    s
}
