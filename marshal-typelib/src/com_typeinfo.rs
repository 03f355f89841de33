//! `ITypeLib` and `ITypeInfo` on the COM ABI, over the model: what `LoadTypeLib` hands a native client, served from
//! a [`TypeLib`] read by this crate (or described in Rust).
//!
//! [`TypeLibObject`] wraps a library (and the [`Resolver`] of the libraries it imports); its
//! [`type_lib`](TypeLibObject::type_lib) and [`type_info`](TypeLibObject::type_info) are marshal-com CCWs
//! implementing the interfaces in their Windows vtable order. Every value they report is the loader's view
//! ([`TypeInfoView`]): dispinterfaces list their inherited functions in Invoke form, a dual interface leads to its
//! vtable side through `GetRefTypeOfImplType(-1)`, references into imported libraries (stdole2) open those libraries
//! through the resolver.
//!
//! `GetTypeAttr`, `GetFuncDesc`, `GetVarDesc` and `ITypeLib::GetLibAttr` allocate the native structures of
//! [`crate::oaidl`] (type trees, parameter arrays, default-value VARIANTs with their BSTRs) in one owner per call,
//! which the matching `Release*` frees. An object frees only what it handed out: a pointer it does not know (foreign,
//! or already released) is ignored. What a client never releases stays allocated, as with oleaut32.
//!
//! Hreftypes are this module's own handles: `4·i` is type `i` of the library, `4·i + 1` the vtable side of dual
//! interface `i`, `4·k + 2` entry `k` of a per-library table of other references (types of imported libraries, or
//! of a library an inherited interface lives in), `3` the `IDispatch` of stdole2 for a dispinterface that names no
//! reference to it.
//!
//! Not provided: `ITypeComp` (`GetTypeComp` returns `E_NOTIMPL`), `ITypeInfo2` / `ITypeLib2`, `Invoke` on a
//! vtable interface (a dispinterface's `Invoke` goes to the instance's `IDispatch::Invoke`), `AddressOfMember` and
//! `CreateInstance` (no DLL is loaded and no class registry is consulted).
//!
//! ```
//! use std::sync::Arc;
//! use marshal_typelib::com_typeinfo::TypeLibObject;
//! use marshal_typelib::oaidl::TYPEATTR;
//! # fn demo(lib: marshal_typelib::TypeLib) {
//! let object = TypeLibObject::new(lib, Arc::new(()));
//! let info = object.type_info(0).unwrap();
//! let mut attr: *mut TYPEATTR = core::ptr::null_mut();
//! // SAFETY: a live ITypeInfo; `attr` is writable and released below.
//! unsafe {
//!     assert!(info.get_type_attr(&mut attr).is_ok());
//!     println!("{} functions", (*attr).c_funcs);
//!     info.release_type_attr(attr);
//! }
//! # }
//! ```

use core::ffi::c_void;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use marshal_com::{com_interface, ComClass, ComError, ComObject, ComPtr, ComResult, IUnknown};
use marshal_core::variant::VARIANT;
use marshal_core::{Bstr, Guid, Hresult, VarType, BSTR};

use crate::api::TypeInfoView;
use crate::model::*;
use crate::oaidl::*;
use crate::resolve::{RefTarget, Resolver};
use crate::std_dispatch::{DispParams, ExcepInfo, IDispatch};
use crate::value::Value;
use crate::Format;

com_interface! {
    /// `ITypeInfo`: a type's description (the slots in the order of `oaidl.h`).
    pub interface ITypeInfo: IUnknown {
        iid = 0x00020401_0000_0000_c000_000000000046;
        vtable = ITypeInfoVtbl;
        impl = ITypeInfoImpl;
        /// `GetTypeAttr(TYPEATTR **ppTypeAttr)`.
        fn get_type_attr(&self, attr: *mut *mut TYPEATTR) -> Hresult;
        /// `GetTypeComp(ITypeComp **ppTComp)`.
        fn get_type_comp(&self, comp: *mut *mut c_void) -> Hresult;
        /// `GetFuncDesc(UINT index, FUNCDESC **ppFuncDesc)`.
        fn get_func_desc(&self, index: u32, desc: *mut *mut FUNCDESC) -> Hresult;
        /// `GetVarDesc(UINT index, VARDESC **ppVarDesc)`.
        fn get_var_desc(&self, index: u32, desc: *mut *mut VARDESC) -> Hresult;
        /// `GetNames(MEMBERID memid, BSTR *rgBstrNames, UINT cMaxNames, UINT *pcNames)`.
        fn get_names(&self, memid: i32, names: *mut BSTR, max: u32, count: *mut u32) -> Hresult;
        /// `GetRefTypeOfImplType(UINT index, HREFTYPE *pRefType)`.
        fn get_ref_type_of_impl_type(&self, index: u32, href: *mut u32) -> Hresult;
        /// `GetImplTypeFlags(UINT index, INT *pImplTypeFlags)`.
        fn get_impl_type_flags(&self, index: u32, flags: *mut i32) -> Hresult;
        /// `GetIDsOfNames(LPOLESTR *rgszNames, UINT cNames, MEMBERID *pMemId)`.
        fn get_ids_of_names(&self, names: *const *const u16, count: u32, memids: *mut i32) -> Hresult;
        /// `Invoke(PVOID pvInstance, MEMBERID memid, WORD wFlags, DISPPARAMS*, VARIANT *pVarResult, EXCEPINFO*, UINT *puArgErr)`.
        fn invoke(&self, instance: *mut c_void, memid: i32, flags: u16, params: *mut DispParams, result: *mut VARIANT, excepinfo: *mut ExcepInfo, arg_err: *mut u32) -> Hresult;
        /// `GetDocumentation(MEMBERID memid, BSTR *pBstrName, BSTR *pBstrDocString, DWORD *pdwHelpContext, BSTR *pBstrHelpFile)`.
        fn get_documentation(&self, memid: i32, name: *mut BSTR, doc: *mut BSTR, help_context: *mut u32, help_file: *mut BSTR) -> Hresult;
        /// `GetDllEntry(MEMBERID memid, INVOKEKIND invKind, BSTR *pBstrDllName, BSTR *pBstrName, WORD *pwOrdinal)`.
        fn get_dll_entry(&self, memid: i32, invkind: u32, dll: *mut BSTR, name: *mut BSTR, ordinal: *mut u16) -> Hresult;
        /// `GetRefTypeInfo(HREFTYPE hRefType, ITypeInfo **ppTInfo)`.
        fn get_ref_type_info(&self, href: u32, info: *mut *mut c_void) -> Hresult;
        /// `AddressOfMember(MEMBERID memid, INVOKEKIND invKind, PVOID *ppv)`.
        fn address_of_member(&self, memid: i32, invkind: u32, address: *mut *mut c_void) -> Hresult;
        /// `CreateInstance(IUnknown *pUnkOuter, REFIID riid, PVOID *ppvObj)`.
        fn create_instance(&self, outer: *mut c_void, iid: *const Guid, object: *mut *mut c_void) -> Hresult;
        /// `GetMops(MEMBERID memid, BSTR *pBstrMops)`.
        fn get_mops(&self, memid: i32, mops: *mut BSTR) -> Hresult;
        /// `GetContainingTypeLib(ITypeLib **ppTLib, UINT *pIndex)`.
        fn get_containing_type_lib(&self, lib: *mut *mut c_void, index: *mut u32) -> Hresult;
        /// `ReleaseTypeAttr(TYPEATTR *pTypeAttr)`.
        fn release_type_attr(&self, attr: *mut TYPEATTR) -> ();
        /// `ReleaseFuncDesc(FUNCDESC *pFuncDesc)`.
        fn release_func_desc(&self, desc: *mut FUNCDESC) -> ();
        /// `ReleaseVarDesc(VARDESC *pVarDesc)`.
        fn release_var_desc(&self, desc: *mut VARDESC) -> ();
    }
}

com_interface! {
    /// `ITypeLib`: a library of type descriptions (the slots in the order of `oaidl.h`).
    pub interface ITypeLib: IUnknown {
        iid = 0x00020402_0000_0000_c000_000000000046;
        vtable = ITypeLibVtbl;
        impl = ITypeLibImpl;
        /// `UINT GetTypeInfoCount()`.
        fn get_type_info_count(&self) -> u32;
        /// `GetTypeInfo(UINT index, ITypeInfo **ppTInfo)`.
        fn get_type_info(&self, index: u32, info: *mut *mut c_void) -> Hresult;
        /// `GetTypeInfoType(UINT index, TYPEKIND *pTKind)`.
        fn get_type_info_type(&self, index: u32, kind: *mut u32) -> Hresult;
        /// `GetTypeInfoOfGuid(REFGUID guid, ITypeInfo **ppTinfo)`.
        fn get_type_info_of_guid(&self, guid: *const Guid, info: *mut *mut c_void) -> Hresult;
        /// `GetLibAttr(TLIBATTR **ppTLibAttr)`.
        fn get_lib_attr(&self, attr: *mut *mut TLIBATTR) -> Hresult;
        /// `GetTypeComp(ITypeComp **ppTComp)`.
        fn get_type_comp(&self, comp: *mut *mut c_void) -> Hresult;
        /// `GetDocumentation(INT index, BSTR *pBstrName, BSTR *pBstrDocString, DWORD *pdwHelpContext, BSTR *pBstrHelpFile)`.
        fn get_documentation(&self, index: i32, name: *mut BSTR, doc: *mut BSTR, help_context: *mut u32, help_file: *mut BSTR) -> Hresult;
        /// `IsName(LPOLESTR szNameBuf, ULONG lHashVal, BOOL *pfName)`.
        fn is_name(&self, name: *mut u16, hash: u32, found: *mut i32) -> Hresult;
        /// `FindName(LPOLESTR szNameBuf, ULONG lHashVal, ITypeInfo **ppTInfo, MEMBERID *rgMemId, USHORT *pcFound)`.
        fn find_name(&self, name: *mut u16, hash: u32, infos: *mut *mut c_void, memids: *mut i32, found: *mut u16) -> Hresult;
        /// `ReleaseTLibAttr(TLIBATTR *pTLibAttr)`.
        fn release_tlib_attr(&self, attr: *mut TLIBATTR) -> ();
    }
}

/// `MEMBERID_NIL`.
pub const MEMBERID_NIL: i32 = -1;

/// Hreftype tags (the low two bits).
const HREF_LOCAL: u32 = 0;
const HREF_DUAL: u32 = 1;
const HREF_TABLE: u32 = 2;
/// The `IDispatch` of stdole2, for a dispinterface whose library names no reference to it.
const HREF_IDISPATCH: u32 = 3;

/// The longest name a caller's string is read to (a missing terminator cannot run on).
const MAX_NAME_UNITS: usize = 4096;

/// A library served as `ITypeLib` / `ITypeInfo` objects.
///
/// Cheap to clone (shared); the objects it makes keep the library alive.
#[derive(Clone)]
pub struct TypeLibObject {
    shared: Arc<LibShared>,
}

struct LibShared {
    lib: Arc<TypeLib>,
    resolver: Arc<dyn Resolver + Send + Sync>,
    format: Format,
    hrefs: Mutex<Hrefs>,
    /// Shared by every object made from one [`TypeLibObject`] (and the libraries reached from it).
    counters: Arc<Counters>,
}

/// What a served library has out in callers' hands: objects alive and structures not released.
#[derive(Default)]
struct Counters {
    objects: AtomicUsize,
    handouts: AtomicUsize,
}

/// References that are not a type of the library itself: `(library they are relative to, reference)`.
#[derive(Default)]
struct Hrefs {
    entries: Vec<(Option<Arc<TypeLib>>, TypeRef)>,
    by_key: HashMap<(usize, TypeRef), u32>,
}

impl TypeLibObject {
    /// Serves `lib`; `resolver` supplies the libraries it imports (`Arc::new(())` for none). The loader's view is
    /// MSFT's (see [`TypeLibObject::loaded_from`]).
    pub fn new(lib: impl Into<Arc<TypeLib>>, resolver: Arc<dyn Resolver + Send + Sync>) -> TypeLibObject {
        TypeLibObject {
            shared: Arc::new(LibShared {
                lib: lib.into(),
                resolver,
                format: Format::Msft,
                hrefs: Mutex::new(Hrefs::default()),
                counters: Arc::default(),
            }),
        }
    }

    /// Reports the library as a loader of `format` does (`TypeInfoView::loaded_from`; an MSFT library also reports
    /// `LIBFLAG_FHASDISKIMAGE`).
    pub fn loaded_from(self, format: Format) -> TypeLibObject {
        TypeLibObject {
            shared: Arc::new(LibShared {
                lib: self.shared.lib.clone(),
                resolver: self.shared.resolver.clone(),
                format,
                hrefs: Mutex::new(Hrefs::default()),
                counters: self.shared.counters.clone(),
            }),
        }
    }

    /// The library.
    pub fn lib(&self) -> &Arc<TypeLib> {
        &self.shared.lib
    }

    /// The resolver of the libraries it imports.
    pub fn resolver(&self) -> &(dyn Resolver + Send + Sync) {
        &*self.shared.resolver
    }

    /// A new `ITypeLib` object (one reference, the caller's).
    pub fn type_lib(&self) -> ComPtr<ITypeLib> {
        TypeLibCcw::create(self.shared.clone())
    }

    /// How many `ITypeLib` / `ITypeInfo` objects made from this one (and from the libraries its references
    /// reach) are alive: a client that released every reference leaves 0.
    pub fn live_objects(&self) -> usize {
        self.shared.counters.objects.load(Ordering::SeqCst)
    }

    /// How many structures (`TYPEATTR`, `FUNCDESC`, `VARDESC`, `TLIBATTR`) those objects handed out and were not
    /// given back with the matching `Release*`: a client that released everything leaves 0.
    pub fn outstanding_structures(&self) -> usize {
        self.shared.counters.handouts.load(Ordering::SeqCst)
    }

    /// A new `ITypeInfo` object for type `index` (one reference, the caller's); `None` past the last type.
    pub fn type_info(&self, index: usize) -> Option<ComPtr<ITypeInfo>> {
        (index < self.shared.lib.types.len()).then(|| TypeInfoCcw::create(self.shared.clone(), index, false))
    }

    /// The `ITypeInfo` of type `index` seen as `IDispatch::GetTypeInfo` reports it for an object described by that
    /// type: the type itself (a dispinterface, or the dispatch side of a dual interface).
    pub fn dispatch_type_info(&self, index: usize) -> Option<ComPtr<ITypeInfo>> {
        self.type_info(index)
    }
}

fn fail<T>(hr: Hresult) -> ComResult<T> {
    // oleaut32's ITypeInfo / ITypeLib methods report failures by HRESULT only.
    Err(ComError::from_hresult(hr).without_error_info())
}

/// Writes `value` through a caller's out pointer when it is not null.
///
/// # Safety
/// `p` must be null or valid for a write of `T`.
unsafe fn put<T>(p: *mut T, value: T) {
    if !p.is_null() {
        // SAFETY: the caller's contract.
        unsafe { p.write(value) };
    }
}

fn alloc_bstr(s: &str) -> BSTR {
    let units: Vec<u16> = s.encode_utf16().collect();
    Bstr::from_wide(&units).map(Bstr::into_raw).unwrap_or(core::ptr::null_mut())
}

/// Writes a new BSTR (or null for `None`) through `p` when `p` is not null.
///
/// # Safety
/// `p` must be null or valid for a write of a `BSTR`.
unsafe fn put_bstr(p: *mut BSTR, s: Option<&str>) {
    if !p.is_null() {
        // SAFETY: the caller's contract.
        unsafe { p.write(s.map(alloc_bstr).unwrap_or(core::ptr::null_mut())) };
    }
}

/// A NUL-terminated UTF-16 string from a caller, bounded by [`MAX_NAME_UNITS`]; `None` for null.
///
/// # Safety
/// `p` must be null or readable up to its terminator (or the bound).
unsafe fn read_wide<'a>(p: *const u16) -> Option<&'a [u16]> {
    if p.is_null() {
        return None;
    }
    let mut n = 0;
    // SAFETY: the caller's contract: readable up to the terminator.
    while n < MAX_NAME_UNITS && unsafe { *p.add(n) } != 0 {
        n += 1;
    }
    // SAFETY: the `n` units just read.
    Some(unsafe { core::slice::from_raw_parts(p, n) })
}

/// Names compare as `ITypeLib::IsName` and `ITypeInfo::GetIDsOfNames` do: without regard to case.
fn same_name(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        a.eq_ignore_ascii_case(b)
    } else {
        a.to_lowercase() == b.to_lowercase()
    }
}

/// A VARIANT for a stored value, its BSTR owned by `arena`. Values a library cannot carry (`Unsupported`) load as
/// their VARTYPE with a zero payload, as the loader does.
fn raw_variant(arena: &mut Arena, v: &Value) -> VARIANT {
    let mut r = VARIANT::with_vt(v.vt());
    match v {
        Value::Empty | Value::Null | Value::Unsupported(_) => {}
        Value::I1(x) => r.data.i8_ = *x,
        Value::U1(x) => r.data.i8_ = *x as i8,
        Value::I2(x) | Value::Bool(x) => r.data.i16_ = *x,
        Value::U2(x) => r.data.i16_ = *x as i16,
        Value::I4(x) | Value::Int(x) | Value::Error(x) | Value::Hresult(x) => r.data.i32_ = *x,
        Value::U4(x) | Value::UInt(x) => r.data.i32_ = *x as i32,
        Value::I8(x) | Value::Cy(x) => r.data.i64_ = *x,
        Value::U8(x) => r.data.i64_ = *x as i64,
        Value::R4(x) => r.data.f32_ = *x,
        Value::R8(x) | Value::Date(x) => r.data.f64_ = *x,
        Value::Bstr(s) => {
            let b = s.as_deref().map(alloc_bstr).unwrap_or(core::ptr::null_mut());
            arena.own_bstr(b);
            r.data.ptr = b as *mut c_void;
        }
        Value::Decimal(d) => {
            // A DECIMAL overlays the whole VARIANT; its first word is the VARIANT's vt.
            let mut bytes = r.to_bytes();
            bytes[..16].copy_from_slice(d);
            bytes[..2].copy_from_slice(&VarType::DECIMAL.0.to_le_bytes());
            r = VARIANT::from_bytes(&bytes);
        }
    }
    r
}

/// The handouts of one object: each `Get*` result's arena, by the address the caller received. It also counts
/// the object itself among the library's live objects.
struct Handouts {
    map: Mutex<HashMap<usize, Arena>>,
    counters: Arc<Counters>,
}

impl Handouts {
    fn new(counters: &Arc<Counters>) -> Handouts {
        counters.objects.fetch_add(1, Ordering::SeqCst);
        Handouts { map: Mutex::default(), counters: counters.clone() }
    }
    fn give<T>(&self, p: *mut T, arena: Arena) -> *mut T {
        self.map.lock().unwrap_or_else(|e| e.into_inner()).insert(p as usize, arena);
        self.counters.handouts.fetch_add(1, Ordering::SeqCst);
        p
    }
    fn take<T>(&self, p: *mut T) {
        if p.is_null() {
            return;
        }
        let arena = self.map.lock().unwrap_or_else(|e| e.into_inner()).remove(&(p as usize));
        if arena.is_some() {
            self.counters.handouts.fetch_sub(1, Ordering::SeqCst);
        }
        drop(arena);
    }
}

impl Drop for Handouts {
    fn drop(&mut self) {
        self.counters.objects.fetch_sub(1, Ordering::SeqCst);
        // Structures a client still holds stay valid (and allocated, and counted) after the object is gone.
        let map = core::mem::take(self.map.get_mut().unwrap_or_else(|e| e.into_inner()));
        for (_, arena) in map {
            core::mem::forget(arena);
        }
    }
}

impl LibShared {
    /// The hreftype of reference `r`, relative to `context` (`None`: this library).
    fn href(&self, context: Option<&Arc<TypeLib>>, r: &TypeRef) -> u32 {
        if let (None, TypeRef::Local(i)) = (context, r) {
            if *i < (1 << 29) {
                return (*i << 2) | HREF_LOCAL;
            }
        }
        let key = (context.map_or(0, |c| Arc::as_ptr(c) as usize), r.clone());
        let mut table = self.hrefs.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(k) = table.by_key.get(&key) {
            return (*k << 2) | HREF_TABLE;
        }
        let k = table.entries.len() as u32;
        table.entries.push((context.cloned(), r.clone()));
        table.by_key.insert(key, k);
        (k << 2) | HREF_TABLE
    }

    /// A shared state for another library, with the same resolver.
    fn for_library(&self, lib: Arc<TypeLib>) -> Arc<LibShared> {
        Arc::new(LibShared {
            lib,
            resolver: self.resolver.clone(),
            format: Format::Msft,
            hrefs: Mutex::new(Hrefs::default()),
            counters: self.counters.clone(),
        })
    }

    /// The type an hreftype names: `(library state, index, vtable side of a dual interface)`.
    fn resolve_href(self: &Arc<Self>, href: u32) -> Result<(Arc<LibShared>, usize, bool), Hresult> {
        let n = (href >> 2) as usize;
        match href & 3 {
            HREF_LOCAL | HREF_DUAL if n < self.lib.types.len() => Ok((self.clone(), n, href & 3 == HREF_DUAL)),
            HREF_TABLE => {
                let (context, r) = {
                    let table = self.hrefs.lock().unwrap_or_else(|e| e.into_inner());
                    table.entries.get(n).cloned().ok_or(Hresult::TYPE_E_ELEMENTNOTFOUND)?
                };
                let base: &TypeLib = context.as_deref().unwrap_or(&self.lib);
                let (target, index) = base.resolve_ref(&r, &*self.resolver).map_err(|e| match e {
                    crate::TypeLibError::Unresolved { .. } => Hresult::TYPE_E_CANTLOADLIBRARY,
                    _ => Hresult::TYPE_E_ELEMENTNOTFOUND,
                })?;
                let shared = match (target, &context) {
                    (RefTarget::This(_), None) => self.clone(),
                    (RefTarget::This(_), Some(c)) => self.for_library(c.clone()),
                    (RefTarget::Other(l), _) => self.for_library(l),
                };
                Ok((shared, index as usize, false))
            }
            HREF_IDISPATCH if href == HREF_IDISPATCH => {
                let stdole = ImportLib {
                    guid: Guid::from_u128(0x00020430_0000_0000_c000_000000000046),
                    major: 2,
                    minor: 0,
                    lcid: 0,
                    name: "stdole2.tlb".into(),
                };
                let lib = self.resolver.resolve(&stdole).ok_or(Hresult::TYPE_E_CANTLOADLIBRARY)?;
                let index =
                    lib.find_guid(&marshal_core::iunknown::IID_IDISPATCH).ok_or(Hresult::TYPE_E_ELEMENTNOTFOUND)?;
                Ok((self.for_library(lib), index, false))
            }
            _ => Err(Hresult::TYPE_E_ELEMENTNOTFOUND),
        }
    }
}

/// A function as the object reports it, with the library its references are relative to (`None`: this one).
struct OwnedFunc {
    func: FuncDesc,
    context: Option<Arc<TypeLib>>,
}

/// The `ITypeInfo` object.
struct TypeInfoCcw {
    shared: Arc<LibShared>,
    index: usize,
    /// The vtable side of a dual interface.
    interface_side: bool,
    /// `GetFuncDesc`'s list, computed on first use (a dispinterface collects inherited functions).
    funcs: OnceLock<Vec<OwnedFunc>>,
    handouts: Handouts,
}

impl ComClass for TypeInfoCcw {
    type Interfaces = (ITypeInfo,);
}

impl TypeInfoCcw {
    fn create(shared: Arc<LibShared>, index: usize, interface_side: bool) -> ComPtr<ITypeInfo> {
        let handouts = Handouts::new(&shared.counters);
        let ccw = TypeInfoCcw { shared, index, interface_side, funcs: OnceLock::new(), handouts };
        ComObject::create_as::<ITypeInfo>(ccw).expect("TypeInfoCcw implements ITypeInfo")
    }

    fn view(&self) -> TypeInfoView<'_> {
        let view =
            TypeInfoView::new(&self.shared.lib, self.index, &*self.shared.resolver).loaded_from(self.shared.format);
        match (self.interface_side, view.dual_interface()) {
            (true, Some(dual)) => dual,
            _ => view,
        }
    }

    fn info(&self) -> &TypeInfo {
        &self.shared.lib.types[self.index]
    }

    fn kind(&self) -> TypeKind {
        if self.interface_side {
            TypeKind::Interface
        } else {
            self.info().kind
        }
    }

    fn funcs(&self) -> &[OwnedFunc] {
        self.funcs.get_or_init(|| {
            self.view()
                .funcs()
                .into_iter()
                .map(|f| OwnedFunc { context: f.imported().cloned(), func: f.func })
                .collect()
        })
    }

    /// The native type tree of `t`, its nodes in `arena`.
    fn tdesc(
        &self,
        arena: &mut Arena,
        context: Option<&Arc<TypeLib>>,
        t: &ElemType,
        depth: u32,
    ) -> ComResult<TYPEDESC> {
        if depth > crate::MAX_TYPE_DEPTH {
            return fail(Hresult::TYPE_E_INVDATAREAD);
        }
        let vt = t.vt().0;
        let u = match t {
            ElemType::Base(_) => TypeDescUnion { hreftype: 0 },
            ElemType::Ptr(inner) | ElemType::SafeArray(inner) => {
                let child = self.tdesc(arena, context, inner, depth + 1)?;
                TypeDescUnion { lptdesc: arena.alloc(child) }
            }
            ElemType::UserDefined(r) => TypeDescUnion { hreftype: self.shared.href(context, r) },
            ElemType::CArray { elem, bounds } => {
                let Ok(dims) = u16::try_from(bounds.len()) else { return fail(Hresult::TYPE_E_INVDATAREAD) };
                let elem = self.tdesc(arena, context, elem, depth + 1)?;
                let a = arena.alloc_arraydesc(bounds.len());
                // SAFETY: `a` has room for the header and `dims` bounds (alloc_arraydesc); the bounds are written
                // through a pointer derived from the whole block, not from the one-element field.
                unsafe {
                    (*a).tdesc_elem = elem;
                    (*a).c_dims = dims;
                    let first = (a as *mut u8).add(core::mem::offset_of!(ARRAYDESC, rgbounds)) as *mut SAFEARRAYBOUND;
                    for (i, (count, lbound)) in bounds.iter().enumerate() {
                        first.add(i).write(SAFEARRAYBOUND { c_elements: *count, l_lbound: *lbound });
                    }
                }
                TypeDescUnion { lpadesc: a }
            }
        };
        Ok(TYPEDESC { u, vt })
    }

    fn elemdesc(&self, tdesc: TYPEDESC, flags: u16, default: *mut PARAMDESCEX) -> ELEMDESC {
        ELEMDESC { tdesc, u: ElemDescUnion { paramdesc: PARAMDESC { pparamdescex: default, w_param_flags: flags } } }
    }

    /// The first function, else variable, with member id `memid`: `(name, doc, help context, help file)`; then the
    /// interface this one derives from.
    fn member_doc(&self, memid: i32) -> Option<(String, Option<String>, u32, Option<String>)> {
        let lib = &self.shared.lib;
        if let Some(f) = self.funcs().iter().find(|f| f.func.memid == memid) {
            return Some((f.func.name.clone(), f.func.doc.clone(), f.func.help_context, lib.help_file.clone()));
        }
        if let Some(v) = self.info().vars.iter().find(|v| v.memid == memid) {
            return Some((v.name.clone(), v.doc.clone(), v.help_context, lib.help_file.clone()));
        }
        if self.kind() == TypeKind::Interface {
            let base = self.info().impl_types.first()?;
            let (l, i) = lib.resolve_ref(&base.target, &*self.shared.resolver).ok()?;
            return base_member_doc(&l, i as usize, &*self.shared.resolver, memid, 1);
        }
        None
    }
}

/// [`TypeInfoCcw::member_doc`] in an inherited interface (its stored functions), depth-bounded against cyclic
/// inheritance.
fn base_member_doc(
    lib: &TypeLib,
    index: usize,
    resolver: &dyn Resolver,
    memid: i32,
    depth: u32,
) -> Option<(String, Option<String>, u32, Option<String>)> {
    let ti = lib.types.get(index)?;
    if let Some(f) = ti.funcs.iter().find(|f| f.memid == memid) {
        return Some((f.name.clone(), f.doc.clone(), f.help_context, lib.help_file.clone()));
    }
    if let Some(v) = ti.vars.iter().find(|v| v.memid == memid) {
        return Some((v.name.clone(), v.doc.clone(), v.help_context, lib.help_file.clone()));
    }
    if depth >= crate::MAX_TYPE_DEPTH || !matches!(ti.kind, TypeKind::Interface | TypeKind::Dispatch) {
        return None;
    }
    let base = ti.impl_types.first()?;
    let (l, i) = lib.resolve_ref(&base.target, resolver).ok()?;
    base_member_doc(&l, i as usize, resolver, memid, depth + 1)
}

/// `GetIDsOfNames` over a list of functions and variables: the member's id, then each parameter name's position.
fn ids_of_names<'f>(
    funcs: impl Iterator<Item = &'f FuncDesc>,
    vars: &[VarDesc],
    names: &[String],
) -> Option<(Vec<i32>, bool)> {
    let first = names.first()?;
    let mut funcs = funcs;
    if let Some(f) = funcs.find(|f| same_name(&f.name, first)) {
        let mut ids = vec![f.memid];
        let mut all = true;
        for n in &names[1..] {
            match f.params.iter().position(|p| p.name.as_deref().is_some_and(|pn| same_name(pn, n))) {
                Some(i) => ids.push(i as i32),
                None => {
                    ids.push(MEMBERID_NIL);
                    all = false;
                }
            }
        }
        return Some((ids, all));
    }
    let v = vars.iter().find(|v| same_name(&v.name, first))?;
    let mut ids = vec![v.memid];
    ids.resize(names.len(), MEMBERID_NIL);
    Some((ids, names.len() == 1))
}

impl ITypeInfoImpl for TypeInfoCcw {
    unsafe fn get_type_attr(&self, out: *mut *mut TYPEATTR) -> ComResult<()> {
        if out.is_null() {
            return fail(Hresult::E_INVALIDARG);
        }
        let view = self.view();
        let a = view.type_attr();
        let mut arena = Arena::default();
        let alias = match (&self.info().alias, a.kind) {
            (Some(t), TypeKind::Alias) => self.tdesc(&mut arena, None, t, 0)?,
            _ => TYPEDESC { u: TypeDescUnion { hreftype: 0 }, vt: VarType::EMPTY.0 },
        };
        let attr = TYPEATTR {
            guid: a.guid,
            lcid: a.lcid,
            dw_reserved: 0,
            memid_constructor: MEMBERID_NIL,
            memid_destructor: MEMBERID_NIL,
            lpstr_schema: core::ptr::null_mut(),
            cb_size_instance: a.size,
            typekind: a.kind.raw(),
            c_funcs: a.func_count,
            c_vars: a.var_count,
            c_impl_types: a.impl_count,
            cb_size_vft: a.vft_size,
            cb_alignment: a.align,
            w_type_flags: a.flags,
            w_major_ver_num: a.major,
            w_minor_ver_num: a.minor,
            tdesc_alias: alias,
            idldesc_type: IDLDESC::default(),
        };
        let p = arena.alloc(attr);
        // SAFETY: checked non-null; the caller passes a writable pointer.
        unsafe { out.write(self.handouts.give(p, arena)) };
        Ok(())
    }

    unsafe fn get_type_comp(&self, out: *mut *mut c_void) -> ComResult<()> {
        // SAFETY: the caller passes null or a writable pointer.
        unsafe { put(out, NULL) };
        fail(Hresult::E_NOTIMPL)
    }

    unsafe fn get_func_desc(&self, index: u32, out: *mut *mut FUNCDESC) -> ComResult<()> {
        if out.is_null() {
            return fail(Hresult::E_INVALIDARG);
        }
        let Some(owned) = self.funcs().get(index as usize) else { return fail(Hresult::TYPE_E_ELEMENTNOTFOUND) };
        let (f, context) = (&owned.func, owned.context.as_ref());
        let Ok(c_params) = i16::try_from(f.params.len()) else { return fail(Hresult::TYPE_E_INVDATAREAD) };
        let mut arena = Arena::default();
        let params = arena.alloc_zeroed::<ELEMDESC>(f.params.len());
        for (i, p) in f.params.iter().enumerate() {
            let tdesc = self.tdesc(&mut arena, context, &p.ty, 0)?;
            let default = match &p.default {
                Some(v) => {
                    let var = raw_variant(&mut arena, v);
                    arena.alloc(PARAMDESCEX {
                        c_bytes: core::mem::size_of::<PARAMDESCEX>() as u32,
                        var_default_value: var,
                    })
                }
                None => core::ptr::null_mut(),
            };
            let e = self.elemdesc(tdesc, p.flags, default);
            // SAFETY: `params` has room for `f.params.len()` ELEMDESCs.
            unsafe { params.add(i).write(e) };
        }
        let ret = self.tdesc(&mut arena, context, &f.ret, 0)?;
        let desc = FUNCDESC {
            memid: f.memid,
            lprgscode: core::ptr::null_mut(),
            lprgelemdesc_param: if f.params.is_empty() { core::ptr::null_mut() } else { params },
            funckind: f.kind.raw(),
            invkind: f.invkind.raw(),
            callconv: f.callconv.0 as u32,
            c_params,
            c_params_opt: f.opt_params,
            o_vft: f.vtable_offset as i16,
            c_scodes: 0,
            elemdesc_func: self.elemdesc(ret, 0, core::ptr::null_mut()),
            w_func_flags: f.flags,
        };
        let p = arena.alloc(desc);
        // SAFETY: checked non-null; the caller passes a writable pointer.
        unsafe { out.write(self.handouts.give(p, arena)) };
        Ok(())
    }

    unsafe fn get_var_desc(&self, index: u32, out: *mut *mut VARDESC) -> ComResult<()> {
        if out.is_null() {
            return fail(Hresult::E_INVALIDARG);
        }
        let Some(v) = self.info().vars.get(index as usize) else { return fail(Hresult::TYPE_E_ELEMENTNOTFOUND) };
        let mut arena = Arena::default();
        let tdesc = self.tdesc(&mut arena, None, &v.ty, 0)?;
        let u = match &v.value {
            VarValue::Offset(o) => VarDescUnion { o_inst: *o },
            VarValue::Const(c) => {
                let var = raw_variant(&mut arena, c);
                VarDescUnion { lpvar_value: arena.alloc(var) }
            }
        };
        let desc = VARDESC {
            memid: v.memid,
            lpstr_schema: core::ptr::null_mut(),
            u,
            elemdesc_var: self.elemdesc(tdesc, 0, core::ptr::null_mut()),
            w_var_flags: v.flags,
            varkind: v.kind.raw(),
        };
        let p = arena.alloc(desc);
        // SAFETY: checked non-null; the caller passes a writable pointer.
        unsafe { out.write(self.handouts.give(p, arena)) };
        Ok(())
    }

    unsafe fn get_names(&self, memid: i32, names: *mut BSTR, max: u32, count: *mut u32) -> ComResult<()> {
        if count.is_null() || (names.is_null() && max > 0) {
            return fail(Hresult::E_INVALIDARG);
        }
        let found = self.view().names(memid);
        if found.is_empty() {
            // SAFETY: checked non-null; the caller passes a writable UINT.
            unsafe { count.write(0) };
            return fail(Hresult::TYPE_E_ELEMENTNOTFOUND);
        }
        let n = found.len().min(max as usize);
        for (i, name) in found.iter().take(n).enumerate() {
            // SAFETY: the caller passes room for `max` BSTRs, and i < max.
            unsafe { names.add(i).write(alloc_bstr(name)) };
        }
        // SAFETY: checked non-null.
        unsafe { count.write(n as u32) };
        Ok(())
    }

    unsafe fn get_ref_type_of_impl_type(&self, index: u32, out: *mut u32) -> ComResult<()> {
        if out.is_null() {
            return fail(Hresult::E_INVALIDARG);
        }
        let view = self.view();
        let href = if index == u32::MAX {
            // The other side of a dual interface.
            match (self.interface_side, view.dual_interface().is_some()) {
                (true, _) => (self.index as u32) << 2 | HREF_LOCAL,
                (false, true) => (self.index as u32) << 2 | HREF_DUAL,
                (false, false) => return fail(Hresult::TYPE_E_ELEMENTNOTFOUND),
            }
        } else {
            let impls = view.impl_types();
            match impls.get(index as usize) {
                Some(it) => self.shared.href(None, &it.target),
                // An MSFT dispinterface implements IDispatch even when its library has no reference to it.
                None if index < view.type_attr().impl_count as u32 && self.kind() == TypeKind::Dispatch => {
                    HREF_IDISPATCH
                }
                None => return fail(Hresult::TYPE_E_ELEMENTNOTFOUND),
            }
        };
        // SAFETY: checked non-null; the caller passes a writable HREFTYPE.
        unsafe { out.write(href) };
        Ok(())
    }

    unsafe fn get_impl_type_flags(&self, index: u32, out: *mut i32) -> ComResult<()> {
        if out.is_null() {
            return fail(Hresult::E_INVALIDARG);
        }
        let view = self.view();
        let flags = match view.impl_types().get(index as usize) {
            Some(it) => it.flags,
            None if index < view.type_attr().impl_count as u32 => 0,
            None => return fail(Hresult::TYPE_E_ELEMENTNOTFOUND),
        };
        // SAFETY: checked non-null; the caller passes a writable INT.
        unsafe { out.write(flags) };
        Ok(())
    }

    unsafe fn get_ids_of_names(&self, names: *const *const u16, count: u32, memids: *mut i32) -> ComResult<()> {
        if names.is_null() || memids.is_null() || count == 0 {
            return fail(Hresult::E_INVALIDARG);
        }
        let mut list = Vec::with_capacity((count as usize).min(64));
        for i in 0..count as usize {
            // SAFETY: the caller passes `count` string pointers.
            let Some(units) = (unsafe { read_wide(*names.add(i)) }) else { return fail(Hresult::E_INVALIDARG) };
            list.push(String::from_utf16_lossy(units));
        }
        let found = ids_of_names(self.funcs().iter().map(|f| &f.func), &self.info().vars, &list).or_else(|| {
            // Not a member here: the interface this one derives from (its stored functions).
            if self.kind() != TypeKind::Interface {
                return None;
            }
            let base = self.info().impl_types.first()?;
            let (l, i) = self.shared.lib.resolve_ref(&base.target, &*self.shared.resolver).ok()?;
            base_ids(&l, i as usize, &*self.shared.resolver, &list, 1)
        });
        let (ids, all) = found.unwrap_or_else(|| (vec![MEMBERID_NIL; list.len()], false));
        for (i, id) in ids.iter().enumerate() {
            // SAFETY: the caller passes room for `count` MEMBERIDs.
            unsafe { memids.add(i).write(*id) };
        }
        if all {
            Ok(())
        } else {
            fail(Hresult::DISP_E_UNKNOWNNAME)
        }
    }

    unsafe fn invoke(
        &self,
        instance: *mut c_void,
        memid: i32,
        flags: u16,
        params: *mut DispParams,
        result: *mut VARIANT,
        excepinfo: *mut ExcepInfo,
        arg_err: *mut u32,
    ) -> ComResult<()> {
        // A dispinterface's members are reached through the instance's own IDispatch::Invoke; calling a vtable
        // method from VARIANTs needs a dynamic call, which this crate does not make.
        if self.kind() != TypeKind::Dispatch || self.info().flags & typeflags::DUAL != 0 {
            return fail(Hresult::E_NOTIMPL);
        }
        if instance.is_null() {
            return fail(Hresult::E_INVALIDARG);
        }
        // SAFETY: for a dispinterface, `pvInstance` is the object's IDispatch (the ITypeInfo::Invoke contract).
        let disp = unsafe { &*(instance as *const IDispatch) };
        // SAFETY: the caller's pointers are passed on as they came, under the same contract.
        let hr = unsafe { disp.invoke(memid, &Guid::NULL, 0, flags, params, result, excepinfo, arg_err) };
        if hr.is_ok() {
            Ok(())
        } else {
            fail(hr)
        }
    }

    unsafe fn get_documentation(
        &self,
        memid: i32,
        name: *mut BSTR,
        doc: *mut BSTR,
        help_context: *mut u32,
        help_file: *mut BSTR,
    ) -> ComResult<()> {
        let (n, d, ctx, file) = if memid == MEMBERID_NIL {
            let ti = self.info();
            (ti.name.clone(), ti.doc.clone(), ti.help_context, self.shared.lib.help_file.clone())
        } else {
            match self.member_doc(memid) {
                Some(found) => found,
                None => return fail(Hresult::TYPE_E_ELEMENTNOTFOUND),
            }
        };
        // SAFETY: each out pointer is null or writable (the caller's contract).
        unsafe {
            put_bstr(name, Some(&n));
            put_bstr(doc, d.as_deref());
            put(help_context, ctx);
            put_bstr(help_file, file.as_deref());
        }
        Ok(())
    }

    unsafe fn get_dll_entry(
        &self,
        memid: i32,
        invkind: u32,
        dll: *mut BSTR,
        name: *mut BSTR,
        ordinal: *mut u16,
    ) -> ComResult<()> {
        // SAFETY: each out pointer is null or writable (the caller's contract).
        unsafe {
            put(dll, core::ptr::null_mut());
            put(name, core::ptr::null_mut());
            put(ordinal, 0);
        }
        if self.kind() != TypeKind::Module {
            return fail(Hresult::TYPE_E_BADMODULEKIND);
        }
        let ti = self.info();
        let Some(f) = ti.funcs.iter().find(|f| f.memid == memid && f.invkind.raw() == invkind) else {
            return fail(Hresult::TYPE_E_ELEMENTNOTFOUND);
        };
        // A named export reports ordinal 0xFFFF; an ordinal export no name.
        let (entry, ord) = match &f.entry {
            Some(DllEntry::Name(n)) => (Some(n.as_str()), 0xFFFF),
            Some(DllEntry::Ordinal(o)) => (None, *o),
            None => (None, 0),
        };
        // SAFETY: as above.
        unsafe {
            put_bstr(dll, ti.dll_name.as_deref());
            put_bstr(name, entry);
            put(ordinal, ord);
        }
        Ok(())
    }

    unsafe fn get_ref_type_info(&self, href: u32, out: *mut *mut c_void) -> ComResult<()> {
        if out.is_null() {
            return fail(Hresult::E_INVALIDARG);
        }
        // SAFETY: checked non-null; the caller passes a writable pointer.
        unsafe { out.write(NULL) };
        let (shared, index, interface_side) = match self.shared.resolve_href(href) {
            Ok(t) => t,
            Err(hr) => return fail(hr),
        };
        if interface_side {
            let dual = TypeInfoView::new(&shared.lib, index, &*shared.resolver).dual_interface().is_some();
            if !dual {
                return fail(Hresult::TYPE_E_ELEMENTNOTFOUND);
            }
        }
        let info = TypeInfoCcw::create(shared, index, interface_side);
        // SAFETY: checked non-null; the new reference goes to the caller.
        unsafe { out.write(info.into_raw()) };
        Ok(())
    }

    unsafe fn address_of_member(&self, _memid: i32, _invkind: u32, out: *mut *mut c_void) -> ComResult<()> {
        // SAFETY: null or writable (the caller's contract).
        unsafe { put(out, NULL) };
        if self.kind() != TypeKind::Module {
            return fail(Hresult::TYPE_E_BADMODULEKIND);
        }
        fail(Hresult::E_NOTIMPL)
    }

    unsafe fn create_instance(&self, _outer: *mut c_void, _iid: *const Guid, out: *mut *mut c_void) -> ComResult<()> {
        // SAFETY: null or writable (the caller's contract).
        unsafe { put(out, NULL) };
        if self.kind() != TypeKind::Coclass {
            return fail(Hresult::TYPE_E_WRONGTYPEKIND);
        }
        fail(Hresult::REGDB_E_CLASSNOTREG)
    }

    unsafe fn get_mops(&self, _memid: i32, mops: *mut BSTR) -> ComResult<()> {
        // SAFETY: null or writable (the caller's contract).
        unsafe { put(mops, core::ptr::null_mut()) };
        Ok(())
    }

    unsafe fn get_containing_type_lib(&self, lib: *mut *mut c_void, index: *mut u32) -> ComResult<()> {
        let object = TypeLibObject { shared: self.shared.clone() }.type_lib();
        // SAFETY: null or writable (the caller's contract); the new reference goes to the caller.
        unsafe {
            if !lib.is_null() {
                lib.write(object.into_raw());
            }
            put(index, self.index as u32);
        }
        Ok(())
    }

    unsafe fn release_type_attr(&self, attr: *mut TYPEATTR) {
        self.handouts.take(attr);
    }

    unsafe fn release_func_desc(&self, desc: *mut FUNCDESC) {
        self.handouts.take(desc);
    }

    unsafe fn release_var_desc(&self, desc: *mut VARDESC) {
        self.handouts.take(desc);
    }
}

/// `GetIDsOfNames` continued in an inherited interface (its stored functions), depth-bounded against cyclic
/// inheritance.
fn base_ids(
    lib: &TypeLib,
    index: usize,
    resolver: &dyn Resolver,
    names: &[String],
    depth: u32,
) -> Option<(Vec<i32>, bool)> {
    let ti = lib.types.get(index)?;
    if let Some(r) = ids_of_names(ti.funcs.iter(), &ti.vars, names) {
        return Some(r);
    }
    if depth >= crate::MAX_TYPE_DEPTH || !matches!(ti.kind, TypeKind::Interface | TypeKind::Dispatch) {
        return None;
    }
    let base = ti.impl_types.first()?;
    let (l, i) = lib.resolve_ref(&base.target, resolver).ok()?;
    base_ids(&l, i as usize, resolver, names, depth + 1)
}

/// The `ITypeLib` object.
struct TypeLibCcw {
    shared: Arc<LibShared>,
    handouts: Handouts,
}

impl ComClass for TypeLibCcw {
    type Interfaces = (ITypeLib,);
}

impl TypeLibCcw {
    fn create(shared: Arc<LibShared>) -> ComPtr<ITypeLib> {
        let handouts = Handouts::new(&shared.counters);
        ComObject::create_as::<ITypeLib>(TypeLibCcw { shared, handouts }).expect("TypeLibCcw implements ITypeLib")
    }

    fn lib(&self) -> &TypeLib {
        &self.shared.lib
    }

    fn new_info(&self, index: usize) -> *mut c_void {
        TypeInfoCcw::create(self.shared.clone(), index, false).into_raw()
    }
}

impl ITypeLibImpl for TypeLibCcw {
    unsafe fn get_type_info_count(&self) -> u32 {
        self.lib().types.len() as u32
    }

    unsafe fn get_type_info(&self, index: u32, out: *mut *mut c_void) -> ComResult<()> {
        if out.is_null() {
            return fail(Hresult::E_INVALIDARG);
        }
        if index as usize >= self.lib().types.len() {
            // SAFETY: checked non-null.
            unsafe { out.write(NULL) };
            return fail(Hresult::TYPE_E_ELEMENTNOTFOUND);
        }
        // SAFETY: checked non-null; the new reference goes to the caller.
        unsafe { out.write(self.new_info(index as usize)) };
        Ok(())
    }

    unsafe fn get_type_info_type(&self, index: u32, kind: *mut u32) -> ComResult<()> {
        if kind.is_null() {
            return fail(Hresult::E_INVALIDARG);
        }
        let Some(ti) = self.lib().types.get(index as usize) else { return fail(Hresult::TYPE_E_ELEMENTNOTFOUND) };
        // SAFETY: checked non-null; the caller passes a writable TYPEKIND.
        unsafe { kind.write(ti.kind.raw()) };
        Ok(())
    }

    unsafe fn get_type_info_of_guid(&self, guid: *const Guid, out: *mut *mut c_void) -> ComResult<()> {
        if out.is_null() || guid.is_null() {
            return fail(Hresult::E_INVALIDARG);
        }
        // SAFETY: checked non-null; a GUID per the contract (read unaligned: native callers are not trusted with
        // alignment).
        let guid = unsafe { guid.read_unaligned() };
        match self.lib().find_guid(&guid) {
            Some(i) => {
                // SAFETY: checked non-null; the new reference goes to the caller.
                unsafe { out.write(self.new_info(i)) };
                Ok(())
            }
            None => {
                // SAFETY: checked non-null.
                unsafe { out.write(NULL) };
                fail(Hresult::TYPE_E_ELEMENTNOTFOUND)
            }
        }
    }

    unsafe fn get_lib_attr(&self, out: *mut *mut TLIBATTR) -> ComResult<()> {
        if out.is_null() {
            return fail(Hresult::E_INVALIDARG);
        }
        let lib = self.lib();
        let mut flags = lib.attr.flags;
        if self.shared.format == Format::Msft {
            // The MSFT loader marks every library it reads as having a disk image.
            flags |= LIBFLAG_FHASDISKIMAGE;
        }
        let attr = TLIBATTR {
            guid: lib.attr.guid,
            // The locale the types report (MSFT's second LCID).
            lcid: lib.type_lcid,
            syskind: lib.attr.syskind.raw(),
            w_major_ver_num: lib.attr.major,
            w_minor_ver_num: lib.attr.minor,
            w_lib_flags: flags,
        };
        let mut arena = Arena::default();
        let p = arena.alloc(attr);
        // SAFETY: checked non-null; the caller passes a writable pointer.
        unsafe { out.write(self.handouts.give(p, arena)) };
        Ok(())
    }

    unsafe fn get_type_comp(&self, out: *mut *mut c_void) -> ComResult<()> {
        // SAFETY: null or writable (the caller's contract).
        unsafe { put(out, NULL) };
        fail(Hresult::E_NOTIMPL)
    }

    unsafe fn get_documentation(
        &self,
        index: i32,
        name: *mut BSTR,
        doc: *mut BSTR,
        help_context: *mut u32,
        help_file: *mut BSTR,
    ) -> ComResult<()> {
        let lib = self.lib();
        let (n, d, ctx) = if index == -1 {
            (lib.name.clone(), lib.doc.clone(), lib.help_context)
        } else {
            match usize::try_from(index).ok().and_then(|i| lib.types.get(i)) {
                Some(ti) => (ti.name.clone(), ti.doc.clone(), ti.help_context),
                None => return fail(Hresult::TYPE_E_ELEMENTNOTFOUND),
            }
        };
        // SAFETY: each out pointer is null or writable (the caller's contract).
        unsafe {
            put_bstr(name, Some(&n));
            put_bstr(doc, d.as_deref());
            put(help_context, ctx);
            put_bstr(help_file, lib.help_file.as_deref());
        }
        Ok(())
    }

    unsafe fn is_name(&self, name: *mut u16, _hash: u32, found: *mut i32) -> ComResult<()> {
        if found.is_null() {
            return fail(Hresult::E_INVALIDARG);
        }
        // SAFETY: the caller passes a NUL-terminated string.
        let Some(units) = (unsafe { read_wide(name) }) else { return fail(Hresult::E_INVALIDARG) };
        let wanted = String::from_utf16_lossy(units);
        let lib = self.lib();
        let hit = lib.types.iter().find_map(|ti| {
            let names = core::iter::once(ti.name.as_str())
                .chain(ti.funcs.iter().flat_map(|f| {
                    core::iter::once(f.name.as_str()).chain(f.params.iter().filter_map(|p| p.name.as_deref()))
                }))
                .chain(ti.vars.iter().map(|v| v.name.as_str()));
            let mut names = names;
            names.find(|n| same_name(n, &wanted))
        });
        if let Some(spelled) = hit {
            // The caller's buffer receives the library's spelling (same length: only the case differs).
            let units_out: Vec<u16> = spelled.encode_utf16().collect();
            if units_out.len() == units.len() {
                // SAFETY: the caller's buffer holds `units.len()` units (just read) before its terminator.
                unsafe { core::ptr::copy_nonoverlapping(units_out.as_ptr(), name, units_out.len()) };
            }
        }
        // SAFETY: checked non-null; the caller passes a writable BOOL.
        unsafe { found.write(hit.is_some() as i32) };
        Ok(())
    }

    unsafe fn find_name(
        &self,
        name: *mut u16,
        _hash: u32,
        infos: *mut *mut c_void,
        memids: *mut i32,
        found: *mut u16,
    ) -> ComResult<()> {
        if found.is_null() || infos.is_null() || memids.is_null() {
            return fail(Hresult::E_INVALIDARG);
        }
        // SAFETY: the caller passes a NUL-terminated string.
        let Some(units) = (unsafe { read_wide(name) }) else { return fail(Hresult::E_INVALIDARG) };
        let wanted = String::from_utf16_lossy(units);
        // SAFETY: checked non-null; the caller passes the room it has in `infos` / `memids`.
        let room = unsafe { found.read() } as usize;
        let mut count = 0usize;
        for (i, ti) in self.lib().types.iter().enumerate() {
            if count >= room {
                break;
            }
            // One hit per type: the type's name, else a function's, else a variable's.
            let memid = if same_name(&ti.name, &wanted) {
                Some(MEMBERID_NIL)
            } else if let Some(f) = ti.funcs.iter().find(|f| same_name(&f.name, &wanted)) {
                Some(f.memid)
            } else {
                ti.vars.iter().find(|v| same_name(&v.name, &wanted)).map(|v| v.memid)
            };
            if let Some(memid) = memid {
                // SAFETY: count < room: inside the caller's arrays; the new reference goes to the caller.
                unsafe {
                    infos.add(count).write(self.new_info(i));
                    memids.add(count).write(memid);
                }
                count += 1;
            }
        }
        // SAFETY: checked non-null.
        unsafe { found.write(count as u16) };
        Ok(())
    }

    unsafe fn release_tlib_attr(&self, attr: *mut TLIBATTR) {
        self.handouts.take(attr);
    }
}
