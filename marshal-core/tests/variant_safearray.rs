//! VARIANT ↔ SAFEARRAY ↔ BSTR: arrays inside VARIANTs (VariantClear destroys, VariantCopy
//! deep-copies, VariantCopyInd dereferences, VariantChangeType coerces), BSTR and VARIANT
//! elements owned by their arrays — each expectation from oleaut32's documented behaviour
//! (Wine's variant.c / safearray.c semantics), every test balanced under the leak tracker.

use core::ffi::c_void;
use core::ptr;

use marshal_core::alloc::tracking::LeakCheck;
use marshal_core::bstr::{self, Bstr, BSTR};
use marshal_core::safearray::{raw, variant_array as vector, SAFEARRAY, SAFEARRAYBOUND};
use marshal_core::variant::{
    change_type_ex, change_type_raw, clear_raw, copy_into, Variant, VariantError, VariantValue, VARIANT,
};
use marshal_core::{Hresult, VarType};
use proptest::prelude::*;

/// A zero-based VT_I4 vector holding `values`.
fn i4_vector(values: &[i32]) -> *mut SAFEARRAY {
    let psa = raw::safe_array_create_vector(VarType::I4, 0, values.len() as u32);
    assert!(!psa.is_null());
    for (i, v) in values.iter().enumerate() {
        let idx = i as i32;
        // SAFETY: a live vector with room for index `idx`; `v` is a 4-byte element.
        let hr = unsafe { raw::safe_array_put_element(psa, &idx, v as *const i32 as *const c_void) };
        assert_eq!(hr, Hresult::S_OK);
    }
    psa
}

fn i4_elements(psa: *mut SAFEARRAY) -> Vec<i32> {
    // SAFETY: a live one-dimensional VT_I4 array.
    unsafe {
        let n = (*ptr::addr_of!((*psa).rgsabound).cast::<SAFEARRAYBOUND>()).cElements as usize;
        core::slice::from_raw_parts((*psa).pvData as *const i32, n).to_vec()
    }
}

fn array_variant(vt: VarType, psa: *mut SAFEARRAY) -> VARIANT {
    let mut v = VARIANT::with_vt(vt.array());
    v.data.ptr = psa as *mut c_void;
    v
}

#[test]
fn a_variant_owns_its_array_copy_is_deep_and_drop_destroys() {
    let check = LeakCheck::start();
    let psa = i4_vector(&[1, 2, 3]);
    // SAFETY: the VARIANT owns a valid array, handed over.
    let v = unsafe { Variant::from_raw(array_variant(VarType::I4, psa)) }.unwrap();
    let copy = v.try_clone().unwrap();
    let VariantValue::Array(VarType::I4, copied) = copy.value() else { panic!("{:?}", copy.value()) };
    assert_ne!(copied, psa as *mut c_void, "VariantCopy makes a new array (SafeArrayCopy)");
    assert_eq!(i4_elements(copied as *mut SAFEARRAY), [1, 2, 3]);
    drop(copy);
    drop(v);
    check.assert_no_leaks();
}

#[test]
fn clear_raw_destroys_and_a_locked_array_gives_disp_e_arrayislocked() {
    let check = LeakCheck::start();
    let mut v = array_variant(VarType::I4, i4_vector(&[7]));
    // SAFETY: `v` owns its array.
    assert_eq!(unsafe { clear_raw(&mut v) }, Hresult::S_OK);
    assert_eq!(v.vt, VarType::EMPTY);

    let psa = i4_vector(&[7]);
    // SAFETY: a live array.
    unsafe { assert_eq!(raw::safe_array_lock(psa), Hresult::S_OK) };
    let mut v = array_variant(VarType::I4, psa);
    // SAFETY: as above. oleaut32: SafeArrayDestroy's HRESULT, and the VARIANT is VT_EMPTY anyway.
    assert_eq!(unsafe { clear_raw(&mut v) }, Hresult::DISP_E_ARRAYISLOCKED);
    assert_eq!(v.vt, VarType::EMPTY);
    // SAFETY: the array survived (it was locked); unlock and destroy it.
    unsafe {
        assert_eq!(raw::safe_array_unlock(psa), Hresult::S_OK);
        assert_eq!(raw::safe_array_destroy(psa), Hresult::S_OK);
    }
    // An invalid VARTYPE is refused and the VARIANT left as it was.
    let mut bad = VARIANT::with_vt(VarType(0x7FFF));
    // SAFETY: nothing is read for an invalid type.
    assert_eq!(unsafe { clear_raw(&mut bad) }, Hresult::DISP_E_BADVARTYPE);
    assert_eq!(bad.vt, VarType(0x7FFF));
    check.assert_no_leaks();
}

#[test]
fn a_corrupt_descriptor_in_a_variant_is_e_invalidarg() {
    let psa = i4_vector(&[1, 2]);
    // SAFETY: corrupting a live descriptor we own (cbElements no longer matches VT_I4).
    unsafe { (*psa).cbElements = 3 };
    // SAFETY: from_raw validates before reading anything through the descriptor.
    let r = unsafe { Variant::from_raw(array_variant(VarType::I4, psa)) };
    assert_eq!(r.err(), Some(VariantError::BadArray(VarType::I4.array())));
    assert_eq!(VariantError::BadArray(VarType::I4).hresult(), Hresult::E_INVALIDARG);
    // SAFETY: restore and destroy.
    unsafe {
        (*psa).cbElements = 4;
        raw::safe_array_destroy(psa);
    }
}

#[test]
fn copy_ind_dereferences_an_array_reference() {
    let check = LeakCheck::start();
    let mut psa = i4_vector(&[4, 5]);
    // SAFETY: `psa` outlives the BYREF VARIANT.
    let byref =
        unsafe { Variant::by_ref(VarType::I4.array(), &mut psa as *mut *mut SAFEARRAY as *mut c_void) }.unwrap();
    let deref = byref.copy_ind().unwrap();
    assert_eq!(deref.vt(), VarType::I4.array());
    let VariantValue::Array(_, copied) = deref.value() else { panic!() };
    assert_ne!(copied, psa as *mut c_void);
    assert_eq!(i4_elements(copied as *mut SAFEARRAY), [4, 5]);
    drop(deref);
    drop(byref);
    // SAFETY: the referenced array is still ours.
    unsafe { raw::safe_array_destroy(psa) };
    check.assert_no_leaks();
}

#[test]
fn change_type_coerces_arrays_as_variant_coerce_array() {
    let check = LeakCheck::start();
    // VT_ARRAY|VT_UI1 → BSTR: the bytes become the BSTR's bytes (byte length = element count).
    let psa = raw::safe_array_create_vector(VarType::UI1, 0, 3);
    // SAFETY: a live 3-byte vector.
    unsafe { ptr::copy_nonoverlapping(b"a\0b".as_ptr(), (*psa).pvData as *mut u8, 3) };
    // SAFETY: the VARIANT owns the array.
    let bytes = unsafe { Variant::from_raw(array_variant(VarType::UI1, psa)) }.unwrap();
    let s = change_type_ex(&bytes, 0x0409, 0, VarType::BSTR).unwrap();
    let VariantValue::Bstr(_) = s.value() else { panic!() };
    // SAFETY: a BSTR payload.
    let b = unsafe { s.as_raw().data.ptr } as BSTR;
    // SAFETY: a live BSTR.
    assert_eq!(unsafe { bstr::sys_string_byte_len(b) }, 3, "an odd byte length survives");
    // SAFETY: as above.
    assert_eq!(unsafe { core::slice::from_raw_parts(b as *const u8, 3) }, b"a\0b");

    // BSTR → VT_ARRAY|VT_UI1: back to the same 3 bytes.
    let back = change_type_ex(&s, 0x0409, 0, VarType::UI1.array()).unwrap();
    let VariantValue::Array(VarType::UI1, p) = back.value() else { panic!("{:?}", back.value()) };
    // SAFETY: a live 3-element UI1 vector.
    assert_eq!(unsafe { core::slice::from_raw_parts((*(p as *mut SAFEARRAY)).pvData as *const u8, 3) }, b"a\0b");

    // Same array type → a copy; another array type or a scalar → DISP_E_TYPEMISMATCH.
    // SAFETY: the VARIANT owns its array.
    let ints = unsafe { Variant::from_raw(array_variant(VarType::I4, i4_vector(&[9]))) }.unwrap();
    let same = change_type_ex(&ints, 0x0409, 0, VarType::I4.array()).unwrap();
    let VariantValue::Array(_, q) = same.value() else { panic!() };
    assert_eq!(i4_elements(q as *mut SAFEARRAY), [9]);
    assert_eq!(change_type_ex(&ints, 0x0409, 0, VarType::I2.array()).err(), Some(Hresult::DISP_E_TYPEMISMATCH));
    assert_eq!(change_type_ex(&ints, 0x0409, 0, VarType::I4).err(), Some(Hresult::DISP_E_TYPEMISMATCH));
    assert_eq!(
        change_type_ex(&Variant::from(5i32), 0x0409, 0, VarType::I4.array()).err(),
        Some(Hresult::DISP_E_TYPEMISMATCH)
    );
    // SAFETY: a valid source; the result (none) owns nothing.
    assert!(unsafe { change_type_raw(ints.as_raw(), 0x0409, 0, VarType::UI1.array()) }.is_err());
    drop((bytes, s, back, ints, same));
    check.assert_no_leaks();
}

#[test]
fn bstr_elements_are_copied_in_and_out_and_freed_with_the_array() {
    let check = LeakCheck::start();
    let b = SAFEARRAYBOUND { cElements: 2, lLbound: 0 };
    // SAFETY: one bound for one dimension.
    let psa = unsafe { raw::safe_array_create(VarType::BSTR, 1, &b) };
    let x = Bstr::from_wide(&[0x78]).unwrap();
    // SAFETY: a live BSTR array; PutElement takes the BSTR itself as pv and copies it.
    unsafe {
        assert_eq!(raw::safe_array_put_element(psa, &0, x.as_ptr() as *const c_void), Hresult::S_OK);
        let stored = *((*psa).pvData as *const BSTR);
        assert_ne!(stored, x.as_ptr(), "PutElement stores a copy");
        let mut out: BSTR = ptr::null_mut();
        assert_eq!(raw::safe_array_get_element(psa, &0, &mut out as *mut BSTR as *mut c_void), Hresult::S_OK);
        assert_eq!(Bstr::from_raw(out).as_wide(), [0x78]);
        // A null element reads back as null; a null pv stores an empty BSTR (not null).
        let mut out: BSTR = 1 as BSTR;
        assert_eq!(raw::safe_array_get_element(psa, &1, &mut out as *mut BSTR as *mut c_void), Hresult::S_OK);
        assert!(out.is_null());
        assert_eq!(raw::safe_array_put_element(psa, &1, ptr::null()), Hresult::S_OK);
        let stored = *((*psa).pvData as *const BSTR).add(1);
        assert!(!stored.is_null());
        assert_eq!(bstr::sys_string_len(stored), 0);
        // A copy of the array holds copies of the strings; both are freed by destroy.
        let mut copy = ptr::null_mut();
        assert_eq!(raw::safe_array_copy(psa, &mut copy), Hresult::S_OK);
        assert_eq!(raw::safe_array_destroy(copy), Hresult::S_OK);
        assert_eq!(raw::safe_array_destroy(psa), Hresult::S_OK);
    }
    drop(x);
    check.assert_no_leaks();
}

#[test]
fn variant_elements_holding_bstrs_are_deep_copied_and_cleared() {
    let check = LeakCheck::start();
    let b = SAFEARRAYBOUND { cElements: 2, lLbound: 0 };
    // SAFETY: one bound for one dimension.
    let psa = unsafe { raw::safe_array_create(VarType::VARIANT, 1, &b) };
    let s = Variant::from("héllo");
    // SAFETY: a live VARIANT array; pv is a VARIANT*.
    unsafe {
        assert_eq!(raw::safe_array_put_element(psa, &0, s.as_ptr() as *const c_void), Hresult::S_OK);
        // Overwriting clears the previous element (its BSTR is freed).
        assert_eq!(raw::safe_array_put_element(psa, &0, s.as_ptr() as *const c_void), Hresult::S_OK);
        let mut out = VARIANT::EMPTY;
        assert_eq!(raw::safe_array_get_element(psa, &0, &mut out as *mut VARIANT as *mut c_void), Hresult::S_OK);
        let out = Variant::from_raw(out).unwrap();
        assert_eq!(String::try_from(&out).unwrap(), "héllo");
        // An invalid VARIANT is refused by PutElement (VariantCopy's validation).
        let bad = VARIANT::with_vt(VarType(0x7FFF));
        assert_eq!(
            raw::safe_array_put_element(psa, &1, &bad as *const VARIANT as *const c_void),
            Hresult::DISP_E_BADVARTYPE
        );
        let mut copy = ptr::null_mut();
        assert_eq!(raw::safe_array_copy(psa, &mut copy), Hresult::S_OK);
        assert_eq!(raw::safe_array_destroy(copy), Hresult::S_OK);
        assert_eq!(raw::safe_array_destroy(psa), Hresult::S_OK);
    }
    drop(s);
    check.assert_no_leaks();
}

#[test]
fn copy_into_keeps_odd_byte_lengths_and_clears_the_target_first() {
    let check = LeakCheck::start();
    // SAFETY: 3 readable bytes.
    let odd = unsafe { bstr::sys_alloc_string_byte_len(b"abc".as_ptr(), 3) };
    let mut src = VARIANT::with_vt(VarType::BSTR);
    src.data.ptr = odd as *mut c_void;
    let mut dst = Variant::from("old").into_raw();
    // SAFETY: both valid; `dst` owns its BSTR (freed by the copy).
    unsafe {
        assert_eq!(copy_into(&mut dst, &src), Hresult::S_OK);
        assert_eq!(bstr::sys_string_byte_len(dst.data.ptr as BSTR), 3);
        assert_eq!(clear_raw(&mut dst), Hresult::S_OK);
        // An invalid target is not overwritten: its clear fails first.
        let mut bad = VARIANT::with_vt(VarType(0x7FFF));
        assert_eq!(copy_into(&mut bad, &src), Hresult::DISP_E_BADVARTYPE);
        assert_eq!(bad.vt, VarType(0x7FFF));
        bstr::sys_free_string(odd);
    }
    check.assert_no_leaks();
}

proptest! {
    /// BstrFromVector ∘ VectorFromBstr is the identity on bytes.
    #[test]
    fn vector_bstr_round_trip(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        // SAFETY: `bytes` is readable for its length.
        let b = unsafe { bstr::sys_alloc_string_byte_len(bytes.as_ptr(), bytes.len() as u32) };
        let mut psa = ptr::null_mut();
        let mut back: BSTR = ptr::null_mut();
        // SAFETY: live BSTR and array; out pointers writable.
        unsafe {
            prop_assert_eq!(vector::vector_from_bstr(b, &mut psa), Hresult::S_OK);
            prop_assert_eq!(vector::bstr_from_vector(psa, &mut back), Hresult::S_OK);
            prop_assert_eq!(core::slice::from_raw_parts(back as *const u8, bstr::sys_string_byte_len(back) as usize), &bytes[..]);
            bstr::sys_free_string(back);
            bstr::sys_free_string(b);
            raw::safe_array_destroy(psa);
        }
    }
}

#[test]
fn vector_functions_refuse_bad_arguments() {
    let mut out: BSTR = 1 as BSTR;
    // SAFETY: null arguments are refused before any dereference.
    unsafe {
        assert_eq!(vector::bstr_from_vector(ptr::null_mut(), &mut out), Hresult::E_INVALIDARG);
        assert!(out.is_null(), "the out BSTR is set to null first");
        assert_eq!(vector::bstr_from_vector(ptr::null_mut(), ptr::null_mut()), Hresult::E_INVALIDARG);
        assert_eq!(vector::vector_from_bstr(ptr::null_mut(), ptr::null_mut()), Hresult::E_INVALIDARG);
        let ints = i4_vector(&[1]);
        assert_eq!(vector::bstr_from_vector(ints, &mut out), Hresult::E_INVALIDARG, "4-byte elements");
        raw::safe_array_destroy(ints);
        let mut psa = ptr::null_mut();
        assert_eq!(vector::vector_from_bstr(ptr::null_mut(), &mut psa), Hresult::S_OK, "a null BSTR is empty");
        assert_eq!(raw::safe_array_get_dim(psa), 1);
        raw::safe_array_destroy(psa);
    }
}
