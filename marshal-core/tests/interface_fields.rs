//! Interface pointers in struct fields, VARIANT fields and SAFEARRAY fields hold
//! references exactly as the CLR's interface marshaler does: to native
//! `QueryInterface`s (one reference the native struct owns), from native `AddRef`s
//! (the value's own reference), destroy `Release`s. A minimal COM object written
//! here counts them.

use core::ffi::c_void;
use std::sync::Arc;

use marshal_core::iunknown::{ComRef, IUnknownVtbl, IID_IDISPATCH, IID_IUNKNOWN};
use marshal_core::marshal::Marshal;
use marshal_core::plan::Plan;
use marshal_core::value::Value;
use marshal_core::{Guid, Hresult, InterfaceKind, StructBuilder, Target, TypeDesc, VarType};

const IID_IFOO: Guid = Guid::from_u128(0x1234_5678_9abc_def0_1234_5678_9abc_def0);

/// A COM object with a reference count, answering IUnknown (and IDispatch when `dispatch`).
#[repr(C)]
struct Obj {
    vtbl: *const IUnknownVtbl,
    refs: u32,
    dispatch: bool,
}

unsafe extern "system" fn qi(this: *mut c_void, iid: *const Guid, out: *mut *mut c_void) -> Hresult {
    // SAFETY: `this` is an Obj; the out-pointer is valid (COM contract).
    unsafe {
        let obj = &mut *(this as *mut Obj);
        if *iid == IID_IUNKNOWN || (*iid == IID_IDISPATCH && obj.dispatch) {
            obj.refs += 1;
            *out = this;
            Hresult::S_OK
        } else {
            *out = core::ptr::null_mut();
            Hresult::E_NOINTERFACE
        }
    }
}

unsafe extern "system" fn add_ref(this: *mut c_void) -> u32 {
    // SAFETY: `this` is an Obj.
    unsafe {
        (*(this as *mut Obj)).refs += 1;
        (*(this as *mut Obj)).refs
    }
}

unsafe extern "system" fn release(this: *mut c_void) -> u32 {
    // SAFETY: `this` is an Obj (kept alive by the test, never freed here).
    unsafe {
        (*(this as *mut Obj)).refs -= 1;
        (*(this as *mut Obj)).refs
    }
}

static VTBL: IUnknownVtbl = IUnknownVtbl { query_interface: qi, add_ref, release };

fn object(dispatch: bool) -> Box<Obj> {
    Box::new(Obj { vtbl: &VTBL, refs: 1, dispatch })
}

/// The test's own reference, as a value.
fn handle(o: &mut Obj) -> ComRef {
    // SAFETY: a live object; the new reference belongs to the ComRef.
    unsafe { ComRef::from_borrowed(o as *mut Obj as *mut c_void) }.unwrap()
}

fn one_field(name: &str, ty: TypeDesc) -> std::sync::Arc<Plan> {
    Plan::for_type(&StructBuilder::sequential(name).field("f", ty).build().unwrap(), Target::host()).unwrap()
}

fn st(v: Value) -> Value {
    Value::Struct(vec![(Arc::from("f"), v)])
}

#[test]
fn interface_fields_add_ref_on_the_way_in_and_release_in_destroy() {
    let mut o = object(false);
    let r = handle(&mut o);
    assert_eq!(o.refs, 2);
    let plan = one_field("I", TypeDesc::Interface(InterfaceKind::IUnknown));
    let mut native = vec![0u8; plan.size()];
    plan.to_native(&st(Value::Interface(r.clone())), &mut native).unwrap();
    assert_eq!(o.refs, 3, "the struct owns one reference");
    // SAFETY: the field holds a live interface pointer.
    let back = unsafe { plan.from_native(&native) }.unwrap();
    assert_eq!(o.refs, 4, "the value read back owns its own");
    assert_eq!(back, st(Value::Interface(r.clone())));
    drop(back);
    // SAFETY: written by to_native.
    unsafe { plan.destroy(&mut native) };
    assert_eq!(o.refs, 2);
    assert_eq!(native, vec![0u8; plan.size()], "the field was nulled");
    drop(r);
    assert_eq!(o.refs, 1);
}

#[test]
fn a_missing_interface_is_refused_and_nothing_is_kept() {
    let mut o = object(false);
    let r = handle(&mut o);
    let plan = one_field("I", TypeDesc::Interface(InterfaceKind::Iid(IID_IFOO)));
    let mut native = vec![0u8; plan.size()];
    let e = plan.to_native(&st(Value::Interface(r.clone())), &mut native).unwrap_err();
    assert_eq!(e.clr_exception(), "System.InvalidCastException");
    assert_eq!(o.refs, 2);
    drop(r);
}

#[test]
fn objects_in_variants_are_dispatch_when_they_can_be() {
    for dispatch in [false, true] {
        let mut o = object(dispatch);
        let r = handle(&mut o);
        let plan = one_field("V", TypeDesc::Variant);
        let mut native = vec![0u8; plan.size()];
        plan.to_native(&st(Value::Interface(r.clone())), &mut native).unwrap();
        let vt = u16::from_le_bytes([native[0], native[1]]);
        assert_eq!(vt, if dispatch { VarType::DISPATCH.0 } else { VarType::UNKNOWN.0 });
        assert_eq!(o.refs, 3);
        // SAFETY: written by to_native.
        unsafe { plan.destroy(&mut native) };
        assert_eq!(o.refs, 2);
        drop(r);
        assert_eq!(o.refs, 1);
    }
}

#[test]
fn safearrays_of_interfaces_own_one_reference_per_element() {
    let mut o = object(false);
    let r = handle(&mut o);
    let plan = one_field("A", TypeDesc::SafeArray(VarType::UNKNOWN));
    let mut native = vec![0u8; plan.size()];
    let items = Value::Array(vec![Value::Interface(r.clone()), Value::Null, Value::Interface(r.clone())]);
    plan.to_native(&st(items.clone()), &mut native).unwrap();
    // Ours: the test's, `r`, the two in `items`; the array's: two.
    assert_eq!(o.refs, 6);
    // SAFETY: written by to_native.
    assert_eq!(unsafe { plan.from_native(&native) }.unwrap(), st(items));
    assert_eq!(o.refs, 4, "the values read back were dropped, and `items` with them");
    // SAFETY: as above.
    unsafe { plan.destroy(&mut native) };
    assert_eq!(o.refs, 2);
    drop(r);
}

/// The derive path: `Option<ComRef>` fields, by IUnknown and by IID.
#[derive(Marshal, Debug, Clone, PartialEq)]
struct Holder {
    id: i32,
    obj: Option<ComRef>,
    #[marshal(as = interface, iid = IID_IUNKNOWN)]
    again: Option<ComRef>,
}

#[test]
fn derived_interface_fields_balance_their_references() {
    let mut o = object(false);
    let r = handle(&mut o);
    let h = Holder { id: 1, obj: Some(r.clone()), again: None };
    let mut native = vec![0u8; Holder::NATIVE_SIZE];
    h.to_native(&mut native).unwrap();
    assert_eq!(o.refs, 4);
    // SAFETY: written by to_native.
    let back = unsafe { Holder::from_native(&native) }.unwrap();
    assert_eq!(back, h);
    assert_eq!(o.refs, 5);
    drop(back);
    // SAFETY: as above.
    unsafe { Holder::destroy_native(&mut native) };
    assert_eq!(o.refs, 3);
    drop(h);
    drop(r);
    assert_eq!(o.refs, 1);
    assert_eq!(
        Holder::type_desc().as_struct().unwrap().fields()[2].ty,
        TypeDesc::Interface(InterfaceKind::Iid(IID_IUNKNOWN))
    );
}
