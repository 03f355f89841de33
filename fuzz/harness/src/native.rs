//! Native memory as a well-behaved native caller lays it out, with fuzzed contents.
//!
//! - [`ForeignBstr`]: a BSTR image that did not come from the process's allocator (a string another module
//!   built): length prefix, payload, terminator, in an exactly sized block so that AddressSanitizer sees any read
//!   past it.
//! - [`c_bytes`] / [`c_units`]: exactly sized NUL-terminated strings.
//! - [`Arena`] and [`variant`]: VARIANTs of any VARTYPE (valid or not), every pointer in them null or live:
//!   BSTRs, fake interfaces and records ([`crate::com`]), SAFEARRAYs, BYREF targets (nested VARIANTs included).
//!   What a VARIANT owns is returned as [`Owned`] values: the harness releases them itself unless the engine took
//!   ownership. What BYREF pointers point at belongs to the [`Arena`] and lives until the end of the input.

use core::ffi::c_void;

use arbitrary::Unstructured;
use marshal_core::bstr::Bstr;
use marshal_core::safearray::{Bound, SafeArray};
use marshal_core::{VarType, VARIANT};

use crate::com::{self, DispValue};
use crate::{byte, bytes, short_bytes, short_units, u16_le};

/// A BSTR image in memory the BSTR allocator does not own: 4-byte byte length, payload, two zero bytes (three
/// after an odd payload), in a block of exactly that size (plus the alignment the pointer needs).
pub struct ForeignBstr {
    block: Box<[u16]>,
}

impl ForeignBstr {
    /// A BSTR holding `payload` (any length, odd included).
    pub fn new(payload: &[u8]) -> ForeignBstr {
        // Units: 2 for the prefix, then the payload rounded up to whole units, then the terminator unit.
        let units = 2 + payload.len().div_ceil(2) + 1;
        let mut block = vec![0u16; units].into_boxed_slice();
        let len = (payload.len() as u32).to_ne_bytes();
        block[0] = u16::from_ne_bytes([len[0], len[1]]);
        block[1] = u16::from_ne_bytes([len[2], len[3]]);
        for (i, pair) in payload.chunks(2).enumerate() {
            block[2 + i] = u16::from_ne_bytes([pair[0], *pair.get(1).unwrap_or(&0)]);
        }
        ForeignBstr { block }
    }

    /// The BSTR pointer (to the first payload byte).
    pub fn as_ptr(&self) -> *const u16 {
        self.block[2..].as_ptr()
    }
}

/// `bytes` followed by one NUL, in an exactly sized block.
pub fn c_bytes(bytes: &[u8]) -> Box<[u8]> {
    let mut v = Vec::with_capacity(bytes.len() + 1);
    v.extend_from_slice(bytes);
    v.push(0);
    v.into_boxed_slice()
}

/// `units` followed by one NUL unit, in an exactly sized block.
pub fn c_units(units: &[u16]) -> Box<[u16]> {
    let mut v = Vec::with_capacity(units.len() + 1);
    v.extend_from_slice(units);
    v.push(0);
    v.into_boxed_slice()
}

/// Little-endian units of a byte string (a trailing odd byte is dropped).
pub fn units_of(bytes: &[u8]) -> Vec<u16> {
    bytes.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect()
}

/// A resource a native VARIANT (or array element) owns. Dropping it releases it, as the native owner would
/// after the engine refused to take it.
pub enum Owned {
    /// A BSTR of the process allocator.
    Bstr(Bstr),
    /// One reference on a fake COM object.
    Ref(Reference),
    /// A SAFEARRAY made by the engine.
    Array(SafeArray),
    /// A record (task-allocator memory) with a reference on its IRecordInfo.
    Record(Reference, TaskMem),
}

/// One reference on a COM object, released on drop.
pub struct Reference(pub *mut c_void);

/// A block of the task allocator, freed on drop.
pub struct TaskMem(pub *mut u8);

impl Drop for TaskMem {
    fn drop(&mut self) {
        // SAFETY: the block came from the task allocator and is freed once.
        unsafe { marshal_core::alloc::CoTaskMem::free(self.0) };
    }
}

impl Drop for Reference {
    fn drop(&mut self) {
        // SAFETY: the reference was AddRef'd for this value and is released once.
        unsafe { marshal_core::iunknown::release(self.0) };
    }
}

impl Owned {
    /// The engine took ownership: forget the resource without releasing it.
    pub fn give_up(self) {
        match self {
            Owned::Bstr(b) => {
                let _ = b.into_raw();
            }
            Owned::Ref(r) => core::mem::forget(r),
            Owned::Record(r, m) => {
                core::mem::forget(r);
                core::mem::forget(m);
            }
            Owned::Array(a) => {
                let _ = a.into_raw();
            }
        }
    }
}

/// Gives up a list of resources (the engine took them all).
pub fn give_up_all(owned: Vec<Owned>) {
    for o in owned {
        o.give_up();
    }
}

/// Memory that BYREF pointers point at, and what it holds: alive until the end of the input.
#[derive(Default)]
// Boxed: native pointers point into these, so they must not move when the vectors grow.
#[allow(clippy::vec_box)]
pub struct Arena {
    cells: Vec<Box<[u64; 4]>>,
    variants: Vec<Box<VARIANT>>,
    records: Vec<Box<[u64; 8]>>,
    held: Vec<Owned>,
}

impl Arena {
    /// An empty arena.
    pub fn new() -> Arena {
        Arena::default()
    }

    /// Keeps a resource alive until the arena is dropped.
    pub fn hold(&mut self, o: Owned) {
        self.held.push(o);
    }

    fn cell(&mut self, init: [u8; 16]) -> *mut c_void {
        let mut c = Box::new([0u64; 4]);
        c[0] = u64::from_le_bytes(init[..8].try_into().unwrap());
        c[1] = u64::from_le_bytes(init[8..].try_into().unwrap());
        let p = c.as_mut_ptr() as *mut c_void;
        self.cells.push(c);
        p
    }

    fn record(&mut self, init: &[u8]) -> *mut c_void {
        let mut r = Box::new([0u64; 8]);
        for (i, b) in init.iter().take(64).enumerate() {
            r[i / 8] |= (*b as u64) << (8 * (i % 8));
        }
        let p = r.as_mut_ptr() as *mut c_void;
        self.records.push(r);
        p
    }
}

impl Drop for Arena {
    fn drop(&mut self) {
        // Resources first (they may be pointed at by cells), then the memory.
        self.held.clear();
    }
}

/// The VARTYPEs a VARIANT may hold, as oleaut32's `VARIANT_ValidateType` states them: written here from the
/// rule in Wine's `variant.c` / the SDK, independently of the engine, to cross-check its validation.
pub fn vartype_valid(vt: u16) -> bool {
    let extra = vt & 0xF000;
    let base = vt & 0x0FFF;
    let vector_or_reserved = extra & (0x1000 | 0x8000) != 0;
    if vector_or_reserved {
        return false;
    }
    let base_ok = base < 24 || base == 36 || base == 72; // below VT_VOID, VT_RECORD, VT_CLSID
    if !base_ok || base == 15 {
        return false;
    }
    !(extra & (0x4000 | 0x2000) != 0 && base <= 1)
}

/// A fake IDispatch value chosen by one input byte (and what follows it).
pub fn disp_value(u: &mut Unstructured<'_>) -> DispValue {
    match byte(u) % 5 {
        0 => DispValue::Fail,
        1 => DispValue::Itself,
        2 => DispValue::Text(short_units(u)),
        _ => {
            // A VARIANT with no owned payload: a scalar, or any other VARTYPE with a null pointer.
            let vt = u16_le(u);
            let mut v = VARIANT::with_vt(VarType(vt));
            let base = vt & 0x0FFF;
            let pointer_payload = vt & 0x6000 != 0 || matches!(base, 8 | 9 | 13 | 36);
            if !pointer_payload {
                let p = bytes(u, 8);
                let mut b = [0u8; 8];
                b[..p.len()].copy_from_slice(p);
                v.data.i64_ = i64::from_le_bytes(b);
            }
            DispValue::Plain(v)
        }
    }
}

/// A fake interface pointer (or null) chosen by one byte, carrying only the harness's own reference.
fn interface(u: &mut Unstructured<'_>, dispatch: bool) -> *mut c_void {
    let sel = byte(u);
    if sel % 4 == 0 {
        return core::ptr::null_mut();
    }
    if dispatch || sel % 4 == 3 {
        com::new_dispatch(disp_value(u))
    } else {
        com::new_unknown()
    }
}

/// An engine-made SAFEARRAY of `vt` elements (dimension count and counts from the input), or `None`.
pub fn small_array(u: &mut Unstructured<'_>, vt: VarType) -> Option<SafeArray> {
    let dims = (byte(u) % 3 + 1) as usize;
    let mut bounds = Vec::with_capacity(dims);
    for _ in 0..dims {
        let b = byte(u);
        bounds.push(Bound::new((b >> 4) as i32 - 8, (b & 3) as u32));
    }
    SafeArray::new(vt, &bounds).ok()
}

/// Reads a VARIANT: its VARTYPE (any `u16`), the reserved words and the payload from the input, then every
/// pointer member the VARTYPE implies replaced by null or a live object of the right kind. Returns the VARIANT
/// and what it owns. BYREF targets go to `arena`.
pub fn variant(u: &mut Unstructured<'_>, arena: &mut Arena, depth: u32) -> (VARIANT, Vec<Owned>) {
    let vt = u16_le(u);
    let sel = byte(u);
    let mut raw_bytes = [0u8; 24];
    raw_bytes[..2].copy_from_slice(&vt.to_ne_bytes());
    let tail = bytes(u, 22);
    raw_bytes[2..2 + tail.len()].copy_from_slice(tail);
    let mut v = VARIANT::from_bytes(&raw_bytes);
    let mut payload = [0u8; 16];
    payload.copy_from_slice(&raw_bytes[8..24]);
    let mut owned = Vec::new();
    let base = VarType(vt & 0x0FFF);
    let null = sel % 8 == 0;

    if vt & VarType::BYREF_FLAG != 0 {
        if null {
            v.data.ptr = core::ptr::null_mut();
            return (v, owned);
        }
        if base == VarType::RECORD && vt & VarType::ARRAY_FLAG == 0 {
            // VT_RECORD | VT_BYREF still stores a BRECORD (oleaut32 copies it as by-value).
            let _ = set_record(u, arena, &mut v, sel, false);
            return (v, owned);
        }
        let target: *mut c_void = if vt & VarType::ARRAY_FLAG != 0 {
            let cell = arena.cell([0; 16]);
            if sel & 0x10 != 0 {
                if let Some(a) = small_array(u, base) {
                    // SAFETY: the cell is 32 writable bytes.
                    unsafe { *(cell as *mut *mut c_void) = a.as_ptr().cast() };
                    arena.hold(Owned::Array(a));
                }
            }
            cell
        } else {
            match base {
                VarType::BSTR => {
                    let cell = arena.cell([0; 16]);
                    if sel & 0x10 != 0 {
                        let b = Bstr::from_bytes(short_bytes(u)).unwrap();
                        // SAFETY: the cell is 32 writable bytes.
                        unsafe { *(cell as *mut *mut u16) = b.as_ptr() };
                        arena.hold(Owned::Bstr(b));
                    }
                    cell
                }
                VarType::UNKNOWN | VarType::DISPATCH => {
                    let cell = arena.cell([0; 16]);
                    // The harness keeps the object's first reference: the cell borrows it.
                    let p = interface(u, base == VarType::DISPATCH);
                    // SAFETY: the cell is 32 writable bytes.
                    unsafe { *(cell as *mut *mut c_void) = p };
                    cell
                }
                VarType::VARIANT => {
                    let inner = if depth < 3 {
                        let (inner, inner_owned) = variant(u, arena, depth + 1);
                        for o in inner_owned {
                            arena.hold(o);
                        }
                        inner
                    } else {
                        VARIANT::EMPTY
                    };
                    let mut b = Box::new(inner);
                    let p = &mut *b as *mut VARIANT as *mut c_void;
                    arena.variants.push(b);
                    p
                }
                // Scalars, DECIMAL, and VARTYPEs without a pointer meaning: the payload bytes themselves.
                _ => arena.cell(payload),
            }
        };
        v.data.ptr = target;
        return (v, owned);
    }

    if vt & VarType::ARRAY_FLAG != 0 || vt == 27 {
        v.data.ptr = core::ptr::null_mut();
        if !null {
            if let Some(a) = small_array(u, base) {
                v.data.ptr = a.as_ptr().cast();
                owned.push(Owned::Array(a));
            }
        }
        return (v, owned);
    }

    match base {
        VarType::BSTR => {
            v.data.ptr = core::ptr::null_mut();
            if !null {
                let b = Bstr::from_bytes(short_bytes(u)).unwrap();
                v.data.ptr = b.as_ptr().cast();
                owned.push(Owned::Bstr(b));
            }
        }
        VarType::UNKNOWN | VarType::DISPATCH => {
            v.data.ptr = core::ptr::null_mut();
            if !null {
                let p = interface(u, base == VarType::DISPATCH);
                if !p.is_null() {
                    // SAFETY: a live fake object; this reference belongs to the VARIANT.
                    unsafe { marshal_core::iunknown::add_ref(p) };
                    owned.push(Owned::Ref(Reference(p)));
                }
                v.data.ptr = p;
            }
        }
        VarType::RECORD => owned.extend(set_record(u, arena, &mut v, sel, true)),
        // VT_CLSID holds a pointer to a GUID.
        VarType::CLSID => v.data.ptr = if null { core::ptr::null_mut() } else { arena.cell(payload) },
        // Every other VARTYPE (valid or not) holds plain bytes; any pointer-sized payload stays as fuzzed,
        // since nothing may dereference it.
        _ => {}
    }
    // VT_VECTOR / VT_RESERVED flagged BSTRs and interfaces are invalid, but still hold live objects above, so
    // that an engine that wrongly accepted them would misbehave detectably (a leak or a count) and not crash.
    (v, owned)
}

/// A BRECORD: nulls, a record without its IRecordInfo (invalid), or a fake IRecordInfo with a record.
/// With `owns` (by-value VT_RECORD) the VARIANT owns the record — task-allocator memory, as `RecordCreate`
/// and `VariantCopy` allocate it — and a reference on its IRecordInfo, returned as [`Owned`]. Otherwise (BYREF,
/// or no IRecordInfo) the record is arena memory the VARIANT only points at.
fn set_record(u: &mut Unstructured<'_>, arena: &mut Arena, v: &mut VARIANT, sel: u8, owns: bool) -> Option<Owned> {
    let size = (byte(u) % 65) as u32;
    let init = bytes(u, size as usize);
    let info = if sel & 0x40 != 0 { com::new_record_info(size, sel & 0x80 != 0) } else { core::ptr::null_mut() };
    let mut owned = None;
    let record = if sel & 0x20 == 0 {
        core::ptr::null_mut()
    } else if owns && !info.is_null() {
        let mem = marshal_core::alloc::CoTaskMem::alloc_zeroed(size as usize);
        // SAFETY: a fresh block of `size` bytes; `init` holds at most `size`.
        unsafe { core::ptr::copy_nonoverlapping(init.as_ptr(), mem, init.len()) };
        // SAFETY: a live fake object; this reference belongs to the VARIANT.
        unsafe { marshal_core::iunknown::add_ref(info) };
        owned = Some(Owned::Record(Reference(info), TaskMem(mem)));
        mem.cast()
    } else {
        arena.record(init)
    };
    v.data.record = marshal_core::variant::raw::BRecord { record, rec_info: info };
    if owned.is_none() && owns && !info.is_null() {
        // A null record with its IRecordInfo: the VARIANT still owns the reference.
        // SAFETY: as above.
        unsafe { marshal_core::iunknown::add_ref(info) };
        owned = Some(Owned::Ref(Reference(info)));
    }
    owned
}
