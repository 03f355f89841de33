//! COM across the C boundary: a COM object written in C consumed through `ComPtr`, Rust COM
//! objects consumed by C through raw vtables, reference counts checked on both sides, error
//! information both ways.

mod common;

use core::ffi::c_void;
use std::sync::atomic::Ordering;

use common::*;
use marshal_com::errorinfo::take_error_info;
use marshal_com::{ComError, ComObject, ComPtr, ErrorKind, Guid, Hresult, ISupportErrorInfo, IUnknown, Interface};

fn calc(fx: &CalcFixture) -> ComPtr<ICalc> {
    // SAFETY: the fixture's creation reference is handed to the ComPtr.
    unsafe { ComPtr::from_raw(fx.identity) }.unwrap()
}

#[test]
fn rust_calls_a_c_object_and_counts_its_references() {
    let fx = CalcFixture::new(7);
    {
        let c = calc(&fx);
        assert_eq!(fx.refs(), 1);
        // SAFETY: ICalc::Add writes an i32 to the out-pointer.
        let sum: i32 = unsafe { c.retval(|i, out| i.add(2, 3, out)) }.unwrap();
        assert_eq!(sum, 5);

        let c2 = c.clone();
        assert_eq!(fx.refs(), 2, "clone AddRefs");
        drop(c2);
        assert_eq!(fx.refs(), 1, "drop Releases");

        let named: ComPtr<INamed> = c.cast().unwrap();
        assert_eq!(fx.refs(), 2, "cast holds its own reference");
        // SAFETY: GetId writes an i32.
        assert_eq!(unsafe { named.retval(|n, out| n.get_id(out)) }.unwrap(), 7);
        assert!(named.same_object(&c));
        assert_ne!(named.as_raw(), c.as_raw(), "a different interface pointer of the same object");
        assert_eq!(named.identity().unwrap().as_raw(), fx.identity, "identity is the IUnknown pointer");

        let missing = c.cast::<ICounter>().unwrap_err();
        assert_eq!((missing.kind(), missing.hresult()), (ErrorKind::InvalidCast, Hresult::E_NOINTERFACE));
        assert_eq!(fx.refs(), 2, "a failed cast takes no reference");

        let raw = named.into_raw();
        assert_eq!(fx.refs(), 2, "into_raw keeps the reference");
        // SAFETY: `raw` carries the reference into_raw kept.
        let named = unsafe { ComPtr::<INamed>::from_raw(raw) }.unwrap();
        drop(named);
        assert_eq!(fx.destroyed(), 0);
    }
    assert_eq!(fx.destroyed(), 1, "the last Release destroys the C object once");
    assert_eq!(fx.misuse(), 0, "no call on a destroyed object");
}

#[test]
fn c_failures_map_to_error_kinds_with_the_c_objects_error_info() {
    let fx = CalcFixture::new(1);
    let c = calc(&fx);
    // SAFETY: Divide writes an i32 on success; it fails here.
    let err = unsafe { c.retval(|i, out| i.divide(1, 0, out)) }.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DivideByZero);
    assert_eq!(err.hresult(), Hresult::DISP_E_DIVBYZERO);
    let d = err.details().expect("ISupportErrorInfo covers ICalc, so the error object is read");
    assert_eq!(d.description.as_deref(), Some("division by zero"));
    assert_eq!(d.source.as_deref(), Some("Fixture.Calc"));
    assert_eq!(d.guid, ICalc::IID);
    assert!(take_error_info().is_none(), "reading the error took it off the thread");

    for (hr, kind) in [
        (Hresult::E_INVALIDARG, ErrorKind::Argument),
        (Hresult::E_POINTER, ErrorKind::NullReference),
        (Hresult::E_OUTOFMEMORY, ErrorKind::OutOfMemory),
        (Hresult::E_NOTIMPL, ErrorKind::NotImplemented),
        (Hresult::COR_E_INVALIDOPERATION, ErrorKind::InvalidOperation),
        (Hresult::COR_E_SAFEARRAYTYPEMISMATCH, ErrorKind::SafeArrayTypeMismatch),
        (Hresult::E_FAIL, ErrorKind::Com),
        (Hresult(0x8004_0200u32 as i32), ErrorKind::Com),
    ] {
        let text = wide("failed on purpose");
        // SAFETY: Fail reads a NUL-terminated UTF-16 string.
        let err: ComError = c.check(unsafe { c.fail(hr, text.as_ptr()) }).unwrap_err();
        assert_eq!((err.kind(), err.hresult()), (kind, hr));
        assert_eq!(err.message(), "failed on purpose");
    }

    // Success codes are dropped under PreserveSig = false.
    // SAFETY: no description.
    assert!(c.check(unsafe { c.fail(Hresult::S_FALSE, core::ptr::null()) }).is_ok());
}

#[test]
fn error_info_is_not_read_for_interfaces_the_object_excludes() {
    let fx = CalcFixture::new(1);
    let named: ComPtr<INamed> = calc(&fx).cast().unwrap();
    // SAFETY: plain call.
    let err = named.check(unsafe { named.fail_with_stale_info(Hresult::E_FAIL) }).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Com);
    assert!(err.details().is_none(), "ISupportErrorInfo says INamed does not report through IErrorInfo");
    assert_eq!(err.message(), "Unspecified error.");
    // The stale object stays on the thread, as with the CLR.
    let stale = take_error_info().expect("left by the C object");
    assert_eq!(marshal_com::errorinfo::read_error_info(&stale).description.as_deref(), Some("stale"));
}

#[test]
fn c_checks_the_qi_identity_rules_on_a_rust_object() {
    let (counter, drops) = Counter::new(3);
    let unk = ComObject::create(counter);
    let resettable: ComPtr<IResettable> = unk.cast().unwrap();
    let identified: ComPtr<IIdentified> = unk.cast().unwrap();
    let counter_itf: ComPtr<ICounter> = unk.cast().unwrap();
    assert_eq!(counter_itf.as_raw(), resettable.as_raw(), "a base interface shares its derived one's slot");
    for p in [unk.as_raw(), resettable.as_raw(), identified.as_raw(), counter_itf.as_raw()] {
        // SAFETY: live interface pointers; GUIDs by reference.
        let rule = unsafe { fx_check_qi_rules(p, &IResettable::IID, &IIdentified::IID, &IID_ABSENT) };
        assert_eq!(rule, 0, "QueryInterface rule {rule} broken");
        // SAFETY: as above.
        let rule = unsafe { fx_check_qi_rules(p, &ICounter::IID, &ISupportErrorInfo::IID, &IID_ABSENT) };
        assert_eq!(rule, 0, "QueryInterface rule {rule} broken");
    }
    assert_eq!(unk.as_raw(), unk.identity().unwrap().as_raw(), "create returns the identity pointer");
    drop((resettable, identified, counter_itf));
    // The C checks left the count as they found it: one reference (ours).
    // SAFETY: live pointer; the AddRef is undone right away.
    unsafe {
        assert_eq!(fx_addref(unk.as_raw()), 2);
        assert_eq!(fx_release(unk.as_raw()), 1);
    }
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    drop(unk);
    assert_eq!(drops.load(Ordering::SeqCst), 1, "dropped exactly once, at zero");
}

#[test]
fn c_reference_counting_on_a_rust_object() {
    let (counter, drops) = Counter::new(1);
    let raw = ComObject::create(counter).into_raw();
    // SAFETY: `raw` is a live object with one reference, which the final Release gives up.
    unsafe {
        assert_eq!(fx_addref(raw), 2);
        assert_eq!(fx_addref(raw), 3);
        let mut itf: *mut c_void = core::ptr::null_mut();
        assert_eq!(fx_qi(raw, &IIdentified::IID, &mut itf), Hresult::S_OK);
        assert_eq!(fx_release(itf), 3, "QI added one, its Release removes it");
        assert_eq!(fx_release(raw), 2);
        assert_eq!(fx_release(raw), 1);
        assert_eq!(drops.load(Ordering::SeqCst), 0);
        assert_eq!(fx_release(raw), 0);
    }
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

fn call_from_c(counter: &ComPtr<ICounter>, delta: i32) -> (Hresult, i32, String, Guid, bool) {
    let mut total = 0;
    let mut desc = [0u16; 128];
    let mut guid = Guid::NULL;
    let mut got = 0;
    // SAFETY: every pointer is valid for the fixture's writes; `desc` has 128 units.
    let hr = unsafe {
        fx_counter_add_and_read_error(
            counter.as_raw(),
            &ICounter::IID,
            delta,
            &mut total,
            desc.as_mut_ptr(),
            desc.len() as i32,
            &mut guid,
            &mut got,
        )
    };
    let len = desc.iter().position(|&u| u == 0).unwrap();
    (hr, total, String::from_utf16(&desc[..len]).unwrap(), guid, got == 1)
}

#[test]
fn rust_failures_reach_c_as_hresult_and_ierrorinfo() {
    let (counter, drops) = Counter::new(1);
    let c: ComPtr<ICounter> = ComObject::create_as(counter).unwrap();

    let (hr, total, _, _, got) = call_from_c(&c, 5);
    assert_eq!((hr, total, got), (Hresult::S_OK, 5, false));

    let (hr, _, desc, guid, got) = call_from_c(&c, -1);
    assert_eq!(hr, Hresult::COR_E_ARGUMENTOUTOFRANGE, "ArgumentOutOfRange goes out as 0x80131502");
    assert!(got, "C found the error object through ISupportErrorInfo + GetErrorInfo");
    assert_eq!(desc, "delta must not be negative");
    assert_eq!(guid, ICounter::IID);

    // A panic inside the Rust method: E_UNEXPECTED with the panic message, nothing unwinds into C.
    let (hr, _, desc, _, got) = call_from_c(&c, i32::MIN);
    assert_eq!(hr, Hresult::E_UNEXPECTED);
    assert!(got);
    assert!(desc.contains("delta i32::MIN is a bug"), "{desc}");

    // The object still works after the panic.
    let (hr, total, _, _, _) = call_from_c(&c, 1);
    assert_eq!((hr, total), (Hresult::S_OK, 6));
    drop(c);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn rust_failures_reach_a_rust_caller_with_kind_and_details() {
    let (counter, _drops) = Counter::new(1);
    let c: ComPtr<IResettable> = ComObject::create_as(counter).unwrap();
    // SAFETY: Add writes an i32 on success.
    let err = unsafe { c.retval(|i, out| i.add(-4, out)) }.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ArgumentOutOfRange);
    let d = err.details().unwrap();
    assert_eq!(d.description.as_deref(), Some("delta must not be negative"));
    assert_eq!(d.source.as_deref(), Some("Tests.Counter"));
    // SAFETY: null out-pointer: the Rust method reports NullReference (E_POINTER).
    let err = c.check(unsafe { c.get(core::ptr::null_mut()) }).unwrap_err();
    assert_eq!((err.kind(), err.hresult()), (ErrorKind::NullReference, Hresult::E_POINTER));
    // SAFETY: Reset takes no arguments; the inherited Get is reachable through Deref.
    unsafe {
        assert!(c.check(c.reset()).is_ok());
        assert_eq!(c.retval(|i, out| i.get(out)).unwrap(), 0);
    }
}

#[test]
fn rust_object_reference_count_is_thread_safe() {
    let (counter, drops) = Counter::new(1);
    let unk = ComObject::create(counter);
    let addr = unk.as_raw() as usize;
    let threads: Vec<_> = (0..4)
        .map(|_| {
            std::thread::spawn(move || {
                let p = addr as *mut c_void;
                for _ in 0..20_000 {
                    // SAFETY: the main thread holds a reference for the whole time.
                    unsafe {
                        fx_addref(p);
                        let mut q: *mut c_void = core::ptr::null_mut();
                        assert_eq!(fx_qi(p, &IIdentified::IID, &mut q), Hresult::S_OK);
                        fx_release(q);
                        fx_release(p);
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    // SAFETY: live; undone at once.
    unsafe {
        assert_eq!(fx_addref(unk.as_raw()), 2);
        assert_eq!(fx_release(unk.as_raw()), 1);
    }
    drop(unk);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn interface_parameters_follow_the_in_out_rules() {
    use marshal_com::param::{InArg, InOutArg, OutArg};
    let fx = CalcFixture::new(9);
    let c = calc(&fx);
    {
        let arg = InArg::new(Some(&c), &INamed::IID).unwrap();
        assert_eq!(fx.refs(), 2, "In: the marshaler's own reference for the declared IID");
        assert_ne!(arg.as_raw(), c.as_raw());
        let missing = InArg::new(Some(&c), &IID_ABSENT).err().unwrap();
        assert_eq!(missing.kind(), ErrorKind::InvalidCast);
    }
    assert_eq!(fx.refs(), 1, "In: released after the call");

    // Out: the callee stores an AddRef'd pointer; the caller takes it over without AddRef.
    let mut out = OutArg::<INamed>::new();
    // SAFETY: a QueryInterface into the out slot stands for the callee.
    unsafe { fx_qi(c.as_raw(), &INamed::IID, out.as_out_ptr()) };
    assert_eq!(fx.refs(), 2);
    // SAFETY: the slot holds an owned INamed pointer.
    let named = unsafe { out.finish() }.unwrap();
    assert_eq!(fx.refs(), 2);
    drop(named);

    // InOut: the callee releases what it got and stores something else.
    let mut io = InOutArg::<ICalc>::new(Some(&c)).unwrap();
    assert_eq!(fx.refs(), 2);
    // SAFETY: the slot holds an owned pointer the "callee" releases and replaces with null.
    unsafe {
        let slot = io.as_out_ptr();
        fx_release(*slot);
        *slot = core::ptr::null_mut();
    }
    assert_eq!(fx.refs(), 1);
    // SAFETY: the slot holds null.
    assert!(unsafe { io.finish() }.is_none());

    // An abandoned Out slot (the call failed) still releases what the callee left.
    let mut out = OutArg::<ICalc>::new();
    // SAFETY: as above.
    unsafe { fx_qi(c.as_raw(), &ICalc::IID, out.as_out_ptr()) };
    drop(out);
    assert_eq!(fx.refs(), 1);
    drop(c);
    assert_eq!((fx.destroyed(), fx.misuse()), (1, 0));
}

#[test]
fn unknown_interface_pointer_is_the_objects_identity() {
    let (counter, _d) = Counter::new(1);
    let unk: ComPtr<IUnknown> = ComObject::create(counter);
    let itf: ComPtr<IIdentified> = unk.cast().unwrap();
    assert_eq!(itf.clone().into_unknown().identity().unwrap(), unk);
}

#[test]
fn query_interface_accepts_an_unaligned_iid() {
    let (counter, drops) = Counter::new(1);
    let unk = ComObject::create(counter);
    let mut out: *mut c_void = core::ptr::null_mut();
    // SAFETY: live object; the fixture copies the IID to an odd address.
    unsafe {
        assert_eq!(fx_qi_unaligned(unk.as_raw(), &IIdentified::IID, &mut out), Hresult::S_OK);
        assert!(!out.is_null());
        fx_release(out);
        assert_eq!(fx_qi_unaligned(unk.as_raw(), &IID_ABSENT, &mut out), Hresult::E_NOINTERFACE);
        assert!(out.is_null());
    }
    drop(unk);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}
