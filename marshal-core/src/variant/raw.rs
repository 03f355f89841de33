//! The native `VARIANT` layout: `vt: u16`, three reserved `u16`, then a 16-byte (64-bit) or
//! 8-byte (32-bit) union at offset 8. A DECIMAL overlays bytes 0..16, its `wReserved` being `vt`.

use core::ffi::c_void;

use super::Decimal;
use crate::vartype::VarType;

/// `BRECORD`: the record pointer and its `IRecordInfo`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BRecord {
    /// `pvRecord`.
    pub record: *mut c_void,
    /// `pRecInfo` (an `IRecordInfo*`).
    pub rec_info: *mut c_void,
}

/// The value union of a VARIANT.
#[repr(C)]
#[derive(Clone, Copy)]
pub union VariantData {
    /// VT_I8 / VT_UI8 / VT_CY payload.
    pub i64_: i64,
    /// VT_I4 / VT_INT / VT_ERROR / VT_UI4 / VT_UINT payload.
    pub i32_: i32,
    /// VT_I2 / VT_UI2 / VT_BOOL payload.
    pub i16_: i16,
    /// VT_I1 / VT_UI1 payload.
    pub i8_: i8,
    /// VT_R4 payload.
    pub f32_: f32,
    /// VT_R8 / VT_DATE payload.
    pub f64_: f64,
    /// Any pointer payload: BSTR, IUnknown*, IDispatch*, SAFEARRAY*, BYREF pointee.
    pub ptr: *mut c_void,
    /// VT_RECORD payload.
    pub record: BRecord,
}

/// A `VARIANT` / `VARIANTARG` exactly as native code lays it out. Plain data: it owns
/// nothing; see [`super::Variant`] for the owning wrapper.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct VARIANT {
    /// The type tag.
    pub vt: VarType,
    /// `wReserved1` (a DECIMAL's scale and sign bytes).
    pub reserved1: u16,
    /// `wReserved2` (low half of a DECIMAL's Hi32).
    pub reserved2: u16,
    /// `wReserved3` (high half of a DECIMAL's Hi32).
    pub reserved3: u16,
    /// The value.
    pub data: VariantData,
}

#[cfg(target_pointer_width = "64")]
const _: () = assert!(core::mem::size_of::<VARIANT>() == 24);
#[cfg(target_pointer_width = "32")]
const _: () = assert!(core::mem::size_of::<VARIANT>() == 16);
const _: () = assert!(core::mem::offset_of!(VARIANT, data) == 8);
const _: () = assert!(core::mem::offset_of!(VARIANT, reserved1) == 2);

impl Default for VARIANT {
    fn default() -> Self {
        VARIANT::EMPTY
    }
}

impl VARIANT {
    /// `VariantInit`: all bytes zero, VT_EMPTY.
    pub const EMPTY: VARIANT = VARIANT {
        vt: VarType::EMPTY,
        reserved1: 0,
        reserved2: 0,
        reserved3: 0,
        data: VariantData { record: BRecord { record: core::ptr::null_mut(), rec_info: core::ptr::null_mut() } },
    };

    /// A VARIANT of type `vt` with a zeroed payload.
    #[inline]
    pub const fn with_vt(vt: VarType) -> VARIANT {
        VARIANT::scalar(vt, 0)
    }

    /// A VARIANT of type `vt` whose first eight payload bytes are `payload` (native byte
    /// order; the rest of the VARIANT is zero).
    ///
    /// Built as whole 8-byte words: a VARIANT written field by field (2-, 4- and 8-byte
    /// stores) and then copied with wider loads, as returning it through a `Result` does,
    /// defeats the CPU's store-to-load forwarding and costs a stall on every conversion.
    #[inline]
    pub const fn scalar(vt: VarType, payload: u64) -> VARIANT {
        let t = vt.0.to_ne_bytes();
        let header = u64::from_ne_bytes([t[0], t[1], 0, 0, 0, 0, 0, 0]);
        #[cfg(target_pointer_width = "64")]
        let words = [header, payload, 0u64];
        #[cfg(target_pointer_width = "32")]
        let words = [header, payload];
        // SAFETY: VARIANT is repr(C) plain data of exactly this size without padding (2+2+2+2
        // bytes, then an 8-aligned union of 16 / 8 bytes), and every bit pattern is a valid
        // VARIANT value (integers, floats and raw pointers).
        unsafe { core::mem::transmute::<_, VARIANT>(words) }
    }

    /// [`VARIANT::scalar`] for results handed back by value: its first 16 bytes written
    /// with one 16-byte store on x86-64. The caller's move of the result (out of a `Result`,
    /// into a `Vec`) copies those 16 bytes with one 16-byte load, which the CPU forwards
    /// from a single store of the same size but not from two 8-byte ones: without this,
    /// each conversion waits for the stores to retire (measured: 4 ns of 33 on I4 → BSTR).
    #[inline]
    pub fn scalar_for_return(vt: VarType, payload: u64) -> VARIANT {
        #[cfg(all(target_arch = "x86_64", target_pointer_width = "64"))]
        {
            use core::arch::x86_64::{_mm_set_epi64x, _mm_storeu_si128};
            let mut v = core::mem::MaybeUninit::<VARIANT>::uninit();
            let header = vt.0 as u64;
            // SAFETY: SSE2 is part of x86-64; the 16-byte store covers bytes 0..16 of the
            // VARIANT (tag, reserved words, first payload word) and the last word is written
            // next, so every byte is initialised; every bit pattern is a valid VARIANT.
            unsafe {
                _mm_storeu_si128(v.as_mut_ptr().cast(), _mm_set_epi64x(payload as i64, header as i64));
                v.as_mut_ptr().cast::<u64>().add(2).write(0);
                v.assume_init()
            }
        }
        #[cfg(not(all(target_arch = "x86_64", target_pointer_width = "64")))]
        VARIANT::scalar(vt, payload)
    }

    /// The DECIMAL overlaying bytes 0..16 (its `reserved` field is this VARIANT's `vt`).
    #[inline]
    pub fn decimal(&self) -> Decimal {
        let r1 = self.reserved1.to_ne_bytes();
        let r2 = self.reserved2.to_ne_bytes();
        let r3 = self.reserved3.to_ne_bytes();
        Decimal {
            reserved: self.vt.0,
            scale: r1[0],
            sign: r1[1],
            hi32: u32::from_ne_bytes([r2[0], r2[1], r3[0], r3[1]]),
            // SAFETY: every bit pattern is a valid i64; the union is always fully initialised.
            lo64: unsafe { self.data.i64_ } as u64,
        }
    }

    /// Stores a DECIMAL and sets `vt` to VT_DECIMAL (the DECIMAL's own reserved word is dropped).
    #[inline]
    pub fn set_decimal(&mut self, d: &Decimal) {
        let hi = d.hi32.to_ne_bytes();
        self.vt = VarType::DECIMAL;
        self.reserved1 = u16::from_ne_bytes([d.scale, d.sign]);
        self.reserved2 = u16::from_ne_bytes([hi[0], hi[1]]);
        self.reserved3 = u16::from_ne_bytes([hi[2], hi[3]]);
        self.data = VariantData { record: BRecord { record: core::ptr::null_mut(), rec_info: core::ptr::null_mut() } };
        self.data.i64_ = d.lo64 as i64;
    }

    /// The native bytes (pointer payloads included as they are).
    pub fn to_bytes(&self) -> [u8; core::mem::size_of::<VARIANT>()] {
        // SAFETY: VARIANT is repr(C) plain data without padding (2+2+2+2 + union of 8-aligned
        // 16/8 bytes), so all its bytes are initialised.
        unsafe { core::mem::transmute_copy(self) }
    }

    /// Reads a VARIANT from native bytes (no validation; see [`super::Variant::from_raw`]).
    pub fn from_bytes(b: &[u8; core::mem::size_of::<VARIANT>()]) -> VARIANT {
        // SAFETY: every byte pattern is a valid VARIANT value (integers, floats and raw pointers).
        unsafe { core::ptr::read_unaligned(b.as_ptr() as *const VARIANT) }
    }
}

impl core::fmt::Debug for VARIANT {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // SAFETY: reading the widest integer member of a fully initialised union.
        let payload = unsafe { self.data.i64_ };
        write!(f, "VARIANT {{ vt: {:?}, payload: {:#018x} }}", self.vt, payload)
    }
}

/// The `IRecordInfo` vtable (all 21 slots, in the SDK's order). Only the slots this engine
/// calls are typed; the others are opaque pointers.
#[repr(C)]
pub struct IRecordInfoVtbl {
    /// IUnknown's three slots.
    pub base: crate::iunknown::IUnknownVtbl,
    /// `RecordInit(this, pvNew)`.
    pub record_init: unsafe extern "system" fn(*mut c_void, *mut c_void) -> crate::Hresult,
    /// `RecordClear(this, pvExisting)`.
    pub record_clear: unsafe extern "system" fn(*mut c_void, *mut c_void) -> crate::Hresult,
    /// `RecordCopy(this, pvExisting, pvNew)`.
    pub record_copy: unsafe extern "system" fn(*mut c_void, *mut c_void, *mut c_void) -> crate::Hresult,
    /// `GetGuid`.
    pub get_guid: *const c_void,
    /// `GetName`.
    pub get_name: *const c_void,
    /// `GetSize(this, pcbSize)`.
    pub get_size: unsafe extern "system" fn(*mut c_void, *mut u32) -> crate::Hresult,
    /// `GetTypeInfo`, `GetField`, `GetFieldNoCopy`, `PutField`, `PutFieldNoCopy`,
    /// `GetFieldNames`, `IsMatchingType`, `RecordCreate`, `RecordCreateCopy`, `RecordDestroy`.
    pub rest: [*const c_void; 10],
}
