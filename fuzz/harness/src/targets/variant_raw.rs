//! `variant_raw`: a VARIANT read from native memory — every VARTYPE, BYREF, ARRAY — then borrowed, taken over,
//! read, copied (`VariantCopy`, `VariantCopyInd`) and cleared.
//!
//! The input is one VARIANT as [`crate::native::variant`] reads it (VARTYPE, reserved words, payload, and what
//! its pointers point at), then one byte of operations.
//!
//! Invariants:
//! - validation refuses exactly what oleaut32 refuses: an invalid VARTYPE (cross-checked against an independent
//!   statement of `VARIANT_ValidateType`), a null BYREF pointer, a bad DECIMAL, a record without IRecordInfo —
//!   and the refusal's HRESULT is the documented one;
//! - a refused VARIANT is left alone: its BSTR, references and array are still the caller's (released by the
//!   harness, which then finds every count balanced);
//! - an accepted one reads back as what was stored (BSTR units, DECIMAL fields, scalars), copies deeply
//!   (a second BSTR with the same bytes, one more reference) and clears completely (no leak, no over-release).

use arbitrary::Unstructured;
use marshal_core::hresult::Hresult;
use marshal_core::variant::{validate, Variant, VariantError, VariantRef, VariantValue};
use marshal_core::{VarType, VARIANT};

use crate::native::{self, give_up_all, vartype_valid, Arena};
use crate::{byte, Guard};

/// Runs one input.
pub fn run(data: &[u8]) {
    let guard = Guard::start();
    {
        let mut u = Unstructured::new(data);
        let mut arena = Arena::new();
        let (raw, owned) = native::variant(&mut u, &mut arena, 0);
        let ops = byte(&mut u);
        let before = raw.to_bytes();
        let checked = validate(&raw);
        // The SAFEARRAY of a VT_ARRAY is checked where it is dereferenced (from_raw / VariantRef::new); the
        // harness's arrays are valid and of the VARIANT's element type, so the verdicts agree.
        assert_eq!(raw.to_bytes(), before, "validation wrote to the VARIANT");
        cross_check(&raw, checked);

        // Borrowing: the same verdict, nothing taken.
        // SAFETY: every pointer in `raw` is null or live (harness-built), for as long as `arena` and `owned` live.
        let borrowed = unsafe { VariantRef::new(&raw) };
        assert_eq!(borrowed.is_ok(), checked.is_ok());
        if let Ok(r) = borrowed {
            check_value(&raw, r.value());
            if ops & 1 != 0 {
                let copy = r.to_owned();
                check_copy(&raw, copy);
            }
        }

        // Taking over: on success the Variant owns the payload; on refusal the caller still does.
        // SAFETY: as above; the owned resources are handed over only on success.
        match unsafe { Variant::from_raw(raw) } {
            Ok(v) => {
                give_up_all(owned);
                check_value(&raw, v.value());
                if ops & 2 != 0 {
                    check_copy(&raw, v.try_clone());
                }
                if ops & 4 != 0 {
                    match v.copy_ind() {
                        Ok(c) => check_copy_ind(&raw, &c),
                        Err(hr) => assert!(hr.is_err()),
                    }
                }
                let _ = format!("{v:?}");
                drop(v);
            }
            Err(e) => {
                assert_eq!(Err(e), checked);
                drop(owned);
            }
        }
        drop(arena);
    }
    guard.finish();
}

/// The verdict agrees with the rules of oleaut32 stated independently.
fn cross_check(raw: &VARIANT, verdict: Result<(), VariantError>) {
    let vt = raw.vt.0;
    if !vartype_valid(vt) {
        assert_eq!(verdict, Err(VariantError::BadVarType(raw.vt)), "vt {vt:#06x}");
        assert_eq!(VariantError::BadVarType(raw.vt).hresult(), Hresult::DISP_E_BADVARTYPE);
        return;
    }
    // SAFETY: reading plain union members.
    let ptr = unsafe { raw.data.ptr };
    if vt & VarType::BYREF_FLAG != 0 {
        if ptr.is_null() {
            assert_eq!(verdict, Err(VariantError::NullByRef(raw.vt)));
        } else {
            assert_eq!(verdict, Ok(()));
        }
        return;
    }
    match verdict {
        Err(VariantError::BadDecimal) => {
            let d = raw.decimal();
            assert!(vt == VarType::DECIMAL.0 && (d.scale > 28 || (d.sign != 0 && d.sign != 0x80)));
        }
        Err(VariantError::RecordWithoutInfo) => {
            // SAFETY: reading plain union members.
            let r = unsafe { raw.data.record };
            assert!(vt == VarType::RECORD.0 && r.rec_info.is_null() && !r.record.is_null());
        }
        Err(e) => panic!("vt {vt:#06x} is valid, refused with {e:?}"),
        Ok(()) => {
            if vt == VarType::DECIMAL.0 {
                let d = raw.decimal();
                assert!(d.scale <= 28 && (d.sign == 0 || d.sign == 0x80), "bad DECIMAL accepted: {d:?}");
            }
        }
    }
}

/// The value read is what the VARIANT stores.
fn check_value(raw: &VARIANT, value: VariantValue<'_>) {
    let vt = raw.vt;
    // SAFETY: reading plain union members of a harness-built VARIANT.
    unsafe {
        match value {
            VariantValue::Bstr(units) => {
                let p = raw.data.ptr as *const u16;
                let n = marshal_core::bstr::sys_string_len(p as *mut u16) as usize;
                assert_eq!(units, core::slice::from_raw_parts(p, n));
            }
            VariantValue::NullBstr => assert!(vt == VarType::BSTR && raw.data.ptr.is_null()),
            VariantValue::I4(x) | VariantValue::Int(x) => assert_eq!(x, raw.data.i32_),
            VariantValue::I8(x) => assert_eq!(x, raw.data.i64_),
            VariantValue::R8(x) => assert_eq!(x.to_bits(), raw.data.f64_.to_bits()),
            VariantValue::Decimal(d) => assert_eq!((d.scale, d.sign, d.hi32, d.lo64), {
                let e = raw.decimal();
                (e.scale, e.sign, e.hi32, e.lo64)
            }),
            VariantValue::ByRef(base, p) => assert!(base == vt.base() && p == raw.data.ptr && vt.is_byref()),
            VariantValue::Unknown(p) | VariantValue::Dispatch(p) => assert_eq!(p, raw.data.ptr),
            _ => {}
        }
    }
}

/// A `VariantCopy` of `raw`: the same value, its own BSTR.
fn check_copy(raw: &VARIANT, copy: Result<Variant, Hresult>) {
    let c = match copy {
        Ok(c) => c,
        Err(hr) => {
            // Only CLSID (not copyable) and failing record copies may refuse a valid VARIANT.
            assert!(raw.vt.base() == VarType::CLSID || raw.vt == VarType::RECORD, "{:?}: {hr:?}", raw.vt);
            return;
        }
    };
    assert_eq!(c.vt(), raw.vt);
    if raw.vt == VarType::BSTR {
        // SAFETY: reading the pointer member.
        let p = unsafe { raw.data.ptr };
        // SAFETY: as above.
        let q = unsafe { c.as_raw().data.ptr };
        if !p.is_null() {
            assert_ne!(p, q, "VariantCopy shares the BSTR");
            // SAFETY: both are live BSTRs.
            let (a, b) = unsafe {
                (
                    marshal_core::bstr::BstrRef::from_raw(p as *const u16),
                    marshal_core::bstr::BstrRef::from_raw(q as *const u16),
                )
            };
            assert_eq!(a.as_bytes(), b.as_bytes(), "VariantCopy changed the BSTR's bytes");
        }
    }
    match (c.value(), {
        // SAFETY: `raw` was validated (the copy succeeded) and its pointers are live.
        unsafe { VariantRef::new(raw) }.unwrap().value()
    }) {
        (VariantValue::R4(a), VariantValue::R4(b)) => assert_eq!(a.to_bits(), b.to_bits()),
        (VariantValue::R8(a), VariantValue::R8(b)) => assert_eq!(a.to_bits(), b.to_bits()),
        (VariantValue::Date(a), VariantValue::Date(b)) => assert_eq!(a.0.to_bits(), b.0.to_bits()),
        (VariantValue::Record(_), VariantValue::Record(_)) => {}
        // A SAFEARRAY is copied deeply (a new descriptor).
        (VariantValue::Array(a, _), VariantValue::Array(b, _)) => assert_eq!(a, b),
        (a, b) => assert_eq!(a, b),
    }
}

/// A `VariantCopyInd` of `raw`: by value, and for a BYREF scalar the pointed-to value.
fn check_copy_ind(raw: &VARIANT, c: &Variant) {
    assert!(!c.vt().is_byref(), "VariantCopyInd left a BYREF");
    if !raw.vt.is_byref() {
        assert_eq!(c.vt(), raw.vt);
        return;
    }
    let base = raw.vt.base();
    if raw.vt.is_array() {
        // A BYREF SAFEARRAY: the copy holds a copy of the array.
        assert_eq!(c.vt(), base.array());
        return;
    }
    // SAFETY: the BYREF pointer points at a harness cell of the base type.
    unsafe {
        let p = raw.data.ptr;
        match base {
            VarType::I4 | VarType::INT | VarType::UI4 | VarType::UINT | VarType::ERROR => {
                assert_eq!(c.as_raw().data.i32_, (p as *const i32).read())
            }
            VarType::I8 | VarType::UI8 | VarType::CY | VarType::DATE | VarType::R8 => {
                assert_eq!(c.as_raw().data.i64_, (p as *const i64).read())
            }
            VarType::I2 | VarType::UI2 | VarType::BOOL => assert_eq!(c.as_raw().data.i16_, (p as *const i16).read()),
            VarType::BSTR => {
                let b = *(p as *const *mut u16);
                let q = c.as_raw().data.ptr as *mut u16;
                assert_eq!(b.is_null(), q.is_null());
                if !b.is_null() {
                    assert_ne!(b, q);
                    let n = marshal_core::bstr::sys_string_byte_len(b) as usize;
                    assert_eq!(marshal_core::bstr::sys_string_byte_len(q) as usize, n);
                }
            }
            _ => {}
        }
    }
}

/// A seed VARIANT: VARTYPE, selector, 22 bytes of reserved words and payload, then what its pointers need.
pub fn seed(vt: u16, sel: u8, reserved_and_payload: &[u8], extra: &[u8], ops: u8) -> Vec<u8> {
    let mut s = vt.to_le_bytes().to_vec();
    s.push(sel);
    let mut body = [0u8; 22];
    let n = reserved_and_payload.len().min(22);
    body[..n].copy_from_slice(&reserved_and_payload[..n]);
    s.extend_from_slice(&body);
    s.extend_from_slice(extra);
    s.push(ops);
    s
}
