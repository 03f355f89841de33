//! The COM client reader (`com_reader::read_type_info`, `LateBound::from_dispatch`) against an `ITypeInfo` that
//! answers nonsense through the COM ABI: null pointers with S_OK, absurd counts, a type tree that points to itself,
//! an endless or cyclic `GetRefTypeInfo` chain, a panicking method. Each gives a typed error (or, for a cycle, a
//! finite model) after bounded work, with every structure given back through `Release*` and every object released.

use core::ffi::c_void;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use marshal_com::{ComClass, ComError, ComObject, ComPtr, ComResult};
use marshal_core::variant::VARIANT;
use marshal_core::{Bstr, Guid, Hresult, VarType, BSTR};
use marshal_typelib::com_reader::{read_type_info, MAX_PARAMS, MAX_TYPES};
use marshal_typelib::com_typeinfo::{ITypeInfo, ITypeInfoImpl};
use marshal_typelib::oaidl::*;
use marshal_typelib::std_dispatch::{DispParams, ExcepInfo, IDispatch, IDispatchImpl, LateBound};
use marshal_typelib::{ElemType, TypeLibError, TypeRef};

/// What the hostile object gets wrong.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Lie {
    NullTypeAttr,
    FailingTypeAttr,
    UnknownTypeKind,
    ParamCount(i16),
    NullParamArray,
    SelfPointingTypeDesc,
    HugeArrayRank,
    /// Every `GetRefTypeInfo` hands out a type never seen before.
    EndlessRefs,
    /// `GetRefTypeInfo` hands out (a new object for) the same type again.
    CyclicRefs,
    NamesOverflow,
    PanicInGetFuncDesc,
}

/// Counters shared by a hostile object and every object it hands out.
#[derive(Default)]
struct Stats {
    live: AtomicUsize,
    outstanding: AtomicUsize,
    calls: AtomicUsize,
    ref_infos: AtomicUsize,
}

struct Hostile {
    lie: Lie,
    /// Which type this object describes (EndlessRefs: a new one each time).
    serial: u32,
    stats: Arc<Stats>,
    native: Native,
}

/// The native memory the object hands out pointers into.
struct Native {
    /// Parameter arrays of handed-out FUNCDESCs, freed with the object.
    keep: Mutex<Vec<Box<[ELEMDESC]>>>,
    self_pointing: Box<TYPEDESC>,
    carray: Box<ARRAYDESC>,
}

// SAFETY: the raw pointers inside point into the blocks this value owns (or are null); they are only read.
unsafe impl Send for Native {}
// SAFETY: as above; the mutable list is behind a Mutex.
unsafe impl Sync for Native {}

impl ComClass for Hostile {
    type Interfaces = (ITypeInfo,);
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.stats.live.fetch_sub(1, Ordering::SeqCst);
    }
}

fn make(lie: Lie, serial: u32, stats: &Arc<Stats>) -> ComPtr<ITypeInfo> {
    stats.live.fetch_add(1, Ordering::SeqCst);
    let mut self_pointing = Box::new(TYPEDESC { u: TypeDescUnion { hreftype: 0 }, vt: VarType::PTR.0 });
    let p: *mut TYPEDESC = &mut *self_pointing;
    self_pointing.u.lptdesc = p;
    let carray = Box::new(ARRAYDESC {
        tdesc_elem: TYPEDESC { u: TypeDescUnion { hreftype: 0 }, vt: VarType::I4.0 },
        c_dims: u16::MAX,
        rgbounds: [SAFEARRAYBOUND { c_elements: 1, l_lbound: 0 }],
    });
    let native = Native { keep: Mutex::default(), self_pointing, carray };
    let object = Hostile { lie, serial, stats: stats.clone(), native };
    ComObject::create_as::<ITypeInfo>(object).unwrap()
}

fn bstr(s: &str) -> BSTR {
    Bstr::from_wide(&s.encode_utf16().collect::<Vec<_>>()).unwrap().into_raw()
}

fn base(vt: VarType) -> TYPEDESC {
    TYPEDESC { u: TypeDescUnion { hreftype: 0 }, vt: vt.0 }
}

fn elem(tdesc: TYPEDESC) -> ELEMDESC {
    ELEMDESC {
        tdesc,
        u: ElemDescUnion { paramdesc: PARAMDESC { pparamdescex: core::ptr::null_mut(), w_param_flags: 1 } },
    }
}

impl ITypeInfoImpl for Hostile {
    unsafe fn get_type_attr(&self, out: *mut *mut TYPEATTR) -> ComResult<()> {
        self.stats.calls.fetch_add(1, Ordering::SeqCst);
        match self.lie {
            Lie::NullTypeAttr => {
                // SAFETY: the caller's out pointer.
                unsafe { out.write(core::ptr::null_mut()) };
                return Ok(());
            }
            Lie::FailingTypeAttr => return Err(ComError::from_hresult(Hresult::E_FAIL)),
            _ => {}
        }
        let attr = TYPEATTR {
            guid: Guid::from_u128(0x1234_0000 + self.serial as u128),
            lcid: 0,
            dw_reserved: 0,
            memid_constructor: -1,
            memid_destructor: -1,
            lpstr_schema: core::ptr::null_mut(),
            cb_size_instance: 8,
            typekind: if self.lie == Lie::UnknownTypeKind { 99 } else { 3 },
            c_funcs: 1,
            c_vars: 0,
            c_impl_types: 0,
            cb_size_vft: 8,
            cb_alignment: 8,
            w_type_flags: 0,
            w_major_ver_num: 0,
            w_minor_ver_num: 0,
            tdesc_alias: base(VarType::EMPTY),
            idldesc_type: IDLDESC::default(),
        };
        self.stats.outstanding.fetch_add(1, Ordering::SeqCst);
        // SAFETY: the caller's out pointer.
        unsafe { out.write(Box::into_raw(Box::new(attr))) };
        Ok(())
    }
    unsafe fn get_type_comp(&self, _out: *mut *mut c_void) -> ComResult<()> {
        Err(ComError::from_hresult(Hresult::E_NOTIMPL))
    }
    unsafe fn get_func_desc(&self, _index: u32, out: *mut *mut FUNCDESC) -> ComResult<()> {
        self.stats.calls.fetch_add(1, Ordering::SeqCst);
        let mut params: Box<[ELEMDESC]> = vec![elem(base(VarType::I4)); 2].into_boxed_slice();
        let (mut c_params, mut array) = (2i16, params.as_mut_ptr());
        let mut ret = base(VarType::HRESULT);
        match self.lie {
            Lie::ParamCount(n) => {
                c_params = n;
                array = core::ptr::null_mut();
            }
            Lie::NullParamArray => array = core::ptr::null_mut(),
            Lie::SelfPointingTypeDesc => ret = *self.native.self_pointing,
            Lie::HugeArrayRank => {
                ret = TYPEDESC {
                    u: TypeDescUnion { lpadesc: &*self.native.carray as *const _ as *mut _ },
                    vt: VarType::CARRAY.0,
                }
            }
            Lie::EndlessRefs | Lie::CyclicRefs => {
                ret = TYPEDESC { u: TypeDescUnion { hreftype: 7 }, vt: VarType::USERDEFINED.0 }
            }
            Lie::PanicInGetFuncDesc => panic!("hostile GetFuncDesc"),
            _ => {}
        }
        self.native.keep.lock().unwrap().push(params);
        let desc = FUNCDESC {
            memid: 1,
            lprgscode: core::ptr::null_mut(),
            lprgelemdesc_param: array,
            funckind: 1,
            invkind: 1,
            callconv: 4,
            c_params,
            c_params_opt: 0,
            o_vft: 0,
            c_scodes: 0,
            elemdesc_func: elem(ret),
            w_func_flags: 0,
        };
        self.stats.outstanding.fetch_add(1, Ordering::SeqCst);
        // SAFETY: the caller's out pointer.
        unsafe { out.write(Box::into_raw(Box::new(desc))) };
        Ok(())
    }
    unsafe fn get_var_desc(&self, _index: u32, _out: *mut *mut VARDESC) -> ComResult<()> {
        Err(ComError::from_hresult(Hresult::TYPE_E_ELEMENTNOTFOUND))
    }
    unsafe fn get_names(&self, _memid: i32, names: *mut BSTR, max: u32, count: *mut u32) -> ComResult<()> {
        self.stats.calls.fetch_add(1, Ordering::SeqCst);
        for i in 0..max.min(3) as usize {
            // SAFETY: the caller's room for `max` names.
            unsafe { names.add(i).write(bstr(&format!("n{i}"))) };
        }
        let n = if self.lie == Lie::NamesOverflow { max + 1000 } else { max.min(3) };
        // SAFETY: the caller's out pointer.
        unsafe { count.write(n) };
        Ok(())
    }
    unsafe fn get_ref_type_of_impl_type(&self, _index: u32, _href: *mut u32) -> ComResult<()> {
        Err(ComError::from_hresult(Hresult::TYPE_E_ELEMENTNOTFOUND))
    }
    unsafe fn get_impl_type_flags(&self, _index: u32, _flags: *mut i32) -> ComResult<()> {
        Err(ComError::from_hresult(Hresult::TYPE_E_ELEMENTNOTFOUND))
    }
    unsafe fn get_ids_of_names(&self, _names: *const *const u16, _count: u32, _memids: *mut i32) -> ComResult<()> {
        Err(ComError::from_hresult(Hresult::E_NOTIMPL))
    }
    unsafe fn invoke(
        &self,
        _instance: *mut c_void,
        _memid: i32,
        _flags: u16,
        _params: *mut DispParams,
        _result: *mut VARIANT,
        _excepinfo: *mut ExcepInfo,
        _arg_err: *mut u32,
    ) -> ComResult<()> {
        Err(ComError::from_hresult(Hresult::E_NOTIMPL))
    }
    unsafe fn get_documentation(
        &self,
        _memid: i32,
        name: *mut BSTR,
        _doc: *mut BSTR,
        _help_context: *mut u32,
        _help_file: *mut BSTR,
    ) -> ComResult<()> {
        self.stats.calls.fetch_add(1, Ordering::SeqCst);
        if !name.is_null() {
            // SAFETY: the caller's out pointer.
            unsafe { name.write(bstr(&format!("T{}", self.serial))) };
        }
        Ok(())
    }
    unsafe fn get_dll_entry(&self, _m: i32, _k: u32, _d: *mut BSTR, _n: *mut BSTR, _o: *mut u16) -> ComResult<()> {
        Err(ComError::from_hresult(Hresult::TYPE_E_BADMODULEKIND))
    }
    unsafe fn get_ref_type_info(&self, _href: u32, out: *mut *mut c_void) -> ComResult<()> {
        self.stats.calls.fetch_add(1, Ordering::SeqCst);
        let n = self.stats.ref_infos.fetch_add(1, Ordering::SeqCst) as u32;
        let serial = if self.lie == Lie::EndlessRefs { n + 1 } else { self.serial };
        // SAFETY: the caller's out pointer; the new reference is the caller's.
        unsafe { out.write(make(self.lie, serial, &self.stats).into_raw()) };
        Ok(())
    }
    unsafe fn address_of_member(&self, _m: i32, _k: u32, _a: *mut *mut c_void) -> ComResult<()> {
        Err(ComError::from_hresult(Hresult::E_NOTIMPL))
    }
    unsafe fn create_instance(&self, _o: *mut c_void, _iid: *const Guid, _out: *mut *mut c_void) -> ComResult<()> {
        Err(ComError::from_hresult(Hresult::E_NOTIMPL))
    }
    unsafe fn get_mops(&self, _memid: i32, _mops: *mut BSTR) -> ComResult<()> {
        Err(ComError::from_hresult(Hresult::E_NOTIMPL))
    }
    unsafe fn get_containing_type_lib(&self, _lib: *mut *mut c_void, _index: *mut u32) -> ComResult<()> {
        Err(ComError::from_hresult(Hresult::E_NOTIMPL))
    }
    unsafe fn release_type_attr(&self, attr: *mut TYPEATTR) {
        self.stats.outstanding.fetch_sub(1, Ordering::SeqCst);
        // SAFETY: handed out by get_type_attr (Box::into_raw), released once.
        drop(unsafe { Box::from_raw(attr) });
    }
    unsafe fn release_func_desc(&self, desc: *mut FUNCDESC) {
        self.stats.outstanding.fetch_sub(1, Ordering::SeqCst);
        // SAFETY: handed out by get_func_desc (Box::into_raw), released once.
        drop(unsafe { Box::from_raw(desc) });
    }
    unsafe fn release_var_desc(&self, _desc: *mut VARDESC) {}
}

/// Reads the hostile object's type; checks that everything went back and that the work was bounded.
fn read(lie: Lie) -> Result<(marshal_typelib::TypeLib, usize), TypeLibError> {
    let stats = Arc::new(Stats::default());
    let info = make(lie, 0, &stats);
    let result = read_type_info(&info);
    drop(info);
    assert_eq!(stats.outstanding.load(Ordering::SeqCst), 0, "{lie:?}: structures not released");
    assert_eq!(stats.live.load(Ordering::SeqCst), 0, "{lie:?}: objects not released");
    let bound = 8 * (MAX_TYPES + 8);
    assert!(stats.calls.load(Ordering::SeqCst) <= bound, "{lie:?}: unbounded work");
    result
}

#[test]
fn null_and_failing_type_attributes_are_errors() {
    assert!(matches!(read(Lie::NullTypeAttr), Err(TypeLibError::BadValue { .. })));
    match read(Lie::FailingTypeAttr) {
        Err(TypeLibError::ComCall { hr, .. }) => assert_eq!(hr, Hresult::E_FAIL.0),
        other => panic!("{other:?}"),
    }
    assert!(matches!(read(Lie::UnknownTypeKind), Err(TypeLibError::BadValue { what: "TYPEATTR typekind", .. })));
}

#[test]
fn absurd_parameter_counts_are_errors() {
    for n in [i16::MAX, MAX_PARAMS as i16 + 1, -1, i16::MIN] {
        match read(Lie::ParamCount(n)) {
            Err(TypeLibError::BadIndex { what: "FUNCDESC cParams", index, .. }) => assert_eq!(index, n as i64),
            other => panic!("cParams {n}: {other:?}"),
        }
    }
    assert!(matches!(read(Lie::NullParamArray), Err(TypeLibError::BadValue { .. })));
}

#[test]
fn hostile_type_trees_are_errors() {
    assert!(matches!(read(Lie::SelfPointingTypeDesc), Err(TypeLibError::TooDeep { .. })));
    assert!(matches!(read(Lie::HugeArrayRank), Err(TypeLibError::BadIndex { what: "ARRAYDESC cDims", .. })));
}

#[test]
fn an_endless_ref_type_info_chain_stops_at_the_type_limit() {
    match read(Lie::EndlessRefs) {
        Err(TypeLibError::BadIndex { what, limit, .. }) => {
            assert_eq!(what, "types reached through GetRefTypeInfo");
            assert_eq!(limit, MAX_TYPES as u64);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_cyclic_ref_type_info_chain_is_read_once() {
    let (lib, index) = read(Lie::CyclicRefs).unwrap();
    assert_eq!(lib.types.len(), 1, "the type refers to itself: one type");
    assert_eq!(lib.types[index].funcs[0].ret, ElemType::UserDefined(TypeRef::Local(index as u32)));
}

#[test]
fn a_names_count_beyond_the_room_given_is_an_error() {
    assert!(matches!(read(Lie::NamesOverflow), Err(TypeLibError::BadIndex { what: "GetNames count", .. })));
}

#[test]
fn a_panic_inside_the_object_is_an_error_not_an_unwind() {
    match read(Lie::PanicInGetFuncDesc) {
        Err(TypeLibError::ComCall { what, hr }) => {
            assert_eq!(what, "ITypeInfo::GetFuncDesc");
            assert_eq!(hr, Hresult::E_UNEXPECTED.0);
        }
        other => panic!("{other:?}"),
    }
}

/// An IDispatch whose `GetTypeInfo` succeeds without handing out anything, or hands out a hostile type.
struct LyingDispatch {
    hand_out: Option<(Lie, Arc<Stats>)>,
}

impl ComClass for LyingDispatch {
    type Interfaces = (IDispatch,);
}

impl IDispatchImpl for LyingDispatch {
    unsafe fn get_type_info_count(&self, count: *mut u32) -> ComResult<()> {
        // SAFETY: the caller's out pointer.
        unsafe { count.write(1) };
        Ok(())
    }
    unsafe fn get_type_info(&self, _index: u32, _lcid: u32, info: *mut *mut c_void) -> ComResult<()> {
        let object = match &self.hand_out {
            Some((lie, stats)) => make(*lie, 0, stats).into_raw(),
            None => core::ptr::null_mut(),
        };
        // SAFETY: the caller's out pointer; the reference is the caller's.
        unsafe { info.write(object) };
        Ok(())
    }
    unsafe fn get_ids_of_names(
        &self,
        _: *const Guid,
        _: *const *const u16,
        _: u32,
        _: u32,
        _: *mut i32,
    ) -> ComResult<()> {
        Err(ComError::from_hresult(Hresult::E_NOTIMPL))
    }
    unsafe fn invoke(
        &self,
        _: i32,
        _: *const Guid,
        _: u32,
        _: u16,
        _: *mut DispParams,
        _: *mut VARIANT,
        _: *mut ExcepInfo,
        _: *mut u32,
    ) -> ComResult<()> {
        Err(ComError::from_hresult(Hresult::E_NOTIMPL))
    }
}

#[test]
fn late_bound_client_refuses_an_object_with_lying_type_information() {
    let null = ComObject::create_as::<IDispatch>(LyingDispatch { hand_out: None }).unwrap();
    assert!(matches!(LateBound::from_dispatch(null, 0x409), Err(TypeLibError::BadValue { .. })));
    let stats = Arc::new(Stats::default());
    let object = LyingDispatch { hand_out: Some((Lie::SelfPointingTypeDesc, stats.clone())) };
    let disp = ComObject::create_as::<IDispatch>(object).unwrap();
    assert!(matches!(LateBound::from_dispatch(disp, 0x409), Err(TypeLibError::TooDeep { .. })));
    assert_eq!(stats.live.load(Ordering::SeqCst), 0);
    assert_eq!(stats.outstanding.load(Ordering::SeqCst), 0);
}
