//! Property: any sequence of AddRef / Release / QueryInterface / clone / drop, made from Rust
//! (`ComPtr`) and from C (raw vtables), on a Rust COM object and on a C COM object, keeps the
//! reference count equal to the number of references held, destroys each object exactly once
//! when the last one goes, and never calls a destroyed object.

mod common;

use core::ffi::c_void;
use std::sync::atomic::Ordering;

use common::*;
use marshal_com::{ComObject, ComPtr, Guid, Hresult, ISupportErrorInfo, IUnknown, Interface};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    /// `ComPtr::clone` of holding i.
    Clone(usize),
    /// Drop (Rust) or Release (C) holding i, whichever kind it is.
    Drop(usize),
    /// `ComPtr::cast` to interface k of the object's list.
    Cast(usize, usize),
    /// C `AddRef` on holding i: a new C-held reference.
    CAddRef(usize),
    /// C `QueryInterface` for interface k from holding i.
    CQi(usize, usize),
    /// Hand a C-held reference to Rust (`ComPtr::from_raw`) or a Rust one to C (`into_raw`).
    Transfer(usize),
}

enum Holding {
    Rust(ComPtr<IUnknown>),
    C(*mut c_void),
}

impl Holding {
    fn raw(&self) -> *mut c_void {
        match self {
            Holding::Rust(p) => p.as_raw(),
            Holding::C(p) => *p,
        }
    }
}

fn op() -> impl Strategy<Value = (bool, Op)> {
    let op = prop_oneof![
        any::<usize>().prop_map(Op::Clone),
        any::<usize>().prop_map(Op::Drop),
        (any::<usize>(), 0..6usize).prop_map(|(i, k)| Op::Cast(i, k)),
        any::<usize>().prop_map(Op::CAddRef),
        (any::<usize>(), 0..6usize).prop_map(|(i, k)| Op::CQi(i, k)),
        any::<usize>().prop_map(Op::Transfer),
    ];
    (any::<bool>(), op)
}

struct Subject {
    holdings: Vec<Holding>,
    iids: Vec<Guid>,
    implemented: usize, // iids[..implemented] are implemented, the rest absent
}

impl Subject {
    /// Applies one op; returns the reference count the object reported when the op observes one.
    fn apply(&mut self, op: &Op) -> Option<u32> {
        if self.holdings.is_empty() {
            return None; // destroyed: nothing may touch it any more
        }
        let n = self.holdings.len();
        match *op {
            Op::Clone(i) => {
                if let Holding::Rust(p) = &self.holdings[i % n] {
                    let c = p.clone();
                    self.holdings.push(Holding::Rust(c));
                }
                None
            }
            Op::Drop(i) => match self.holdings.swap_remove(i % n) {
                Holding::Rust(p) => {
                    drop(p);
                    None
                }
                // SAFETY: a C-held reference, given up once.
                Holding::C(p) => Some(unsafe { fx_release(p) }),
            },
            Op::Cast(i, k) => {
                let iid = self.iids[k % self.iids.len()];
                let src = self.holdings[i % n].raw();
                // SAFETY: `src` is live (held); the result, if any, is an owned pointer.
                let p = unsafe { ComPtr::<IUnknown>::from_raw_borrowed(src) }.unwrap();
                match p.query_raw(&iid) {
                    Ok(raw) => {
                        assert!(k % self.iids.len() < self.implemented, "QI succeeded for an absent IID");
                        // SAFETY: QueryInterface handed over one reference.
                        self.holdings.push(Holding::Rust(unsafe { ComPtr::from_raw(raw) }.unwrap()));
                    }
                    Err(e) => {
                        assert!(k % self.iids.len() >= self.implemented, "QI failed for an implemented IID");
                        assert_eq!(e.hresult(), Hresult::E_NOINTERFACE);
                    }
                }
                None
            }
            Op::CAddRef(i) => {
                let p = self.holdings[i % n].raw();
                // SAFETY: live; the new reference becomes a C holding.
                let count = unsafe { fx_addref(p) };
                self.holdings.push(Holding::C(p));
                Some(count)
            }
            Op::CQi(i, k) => {
                let iid = self.iids[k % self.iids.len()];
                let mut out: *mut c_void = core::ptr::null_mut();
                // SAFETY: live pointer, valid out-pointer.
                let hr = unsafe { fx_qi(self.holdings[i % n].raw(), &iid, &mut out) };
                if k % self.iids.len() < self.implemented {
                    assert_eq!(hr, Hresult::S_OK);
                    self.holdings.push(Holding::C(out));
                } else {
                    assert_eq!((hr, out), (Hresult::E_NOINTERFACE, core::ptr::null_mut()));
                }
                None
            }
            Op::Transfer(i) => {
                let h = self.holdings.swap_remove(i % n);
                self.holdings.push(match h {
                    Holding::Rust(p) => Holding::C(p.into_raw()),
                    // SAFETY: the C-held reference moves into the ComPtr.
                    Holding::C(p) => Holding::Rust(unsafe { ComPtr::from_raw(p) }.unwrap()),
                });
                None
            }
        }
    }

    fn release_all(&mut self) {
        while let Some(h) = self.holdings.pop() {
            match h {
                Holding::Rust(p) => drop(p),
                // SAFETY: a C-held reference, given up once.
                Holding::C(p) => unsafe {
                    fx_release(p);
                },
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn reference_counts_never_leak_or_double_free(ops in proptest::collection::vec(op(), 0..80)) {
        let (counter, drops) = Counter::new(1);
        let mut rust = Subject {
            holdings: vec![Holding::Rust(ComObject::create(counter))],
            iids: vec![IUnknown::IID, IResettable::IID, ICounter::IID, IIdentified::IID, ISupportErrorInfo::IID, IID_ABSENT],
            implemented: 5,
        };
        let fx = CalcFixture::new(2);
        let mut c = Subject {
            // SAFETY: the creation reference becomes the first holding.
            holdings: vec![Holding::Rust(unsafe { ComPtr::from_raw(fx.identity) }.unwrap())],
            iids: vec![IUnknown::IID, ICalc::IID, INamed::IID, ISupportErrorInfo::IID, IID_ABSENT],
            implemented: 4,
        };

        for (on_rust, op) in &ops {
            let subject = if *on_rust { &mut rust } else { &mut c };
            let reported = subject.apply(op);
            let held = subject.holdings.len() as u32;
            if let Some(count) = reported {
                prop_assert_eq!(count, held, "AddRef/Release result vs references held after {:?}", op);
            }
            if !c.holdings.is_empty() {
                prop_assert_eq!(fx.refs() as u32, c.holdings.len() as u32);
            }
            prop_assert_eq!(drops.load(Ordering::SeqCst), usize::from(rust.holdings.is_empty()));
            prop_assert_eq!(fx.destroyed(), i32::from(c.holdings.is_empty()));
        }
        rust.release_all();
        c.release_all();
        prop_assert_eq!(drops.load(Ordering::SeqCst), 1, "Rust object dropped exactly once");
        prop_assert_eq!(fx.destroyed(), 1, "C object destroyed exactly once");
        prop_assert_eq!(fx.misuse(), 0, "no call reached the C object after its destruction");
    }
}
