//! `safearray_header`: SAFEARRAY descriptors from fuzz bytes (a native array's header, bounds and
//! hidden VARTYPE are all attacker-controlled): `validate` never panics or reads
//! past the header, bounds and hidden area; whatever it accepts is
//! self-consistent, and every element of an accepted plain array inside the
//! given data buffer can be addressed and read through the oleaut32 functions.

use core::ffi::c_void;

use marshal_core::safearray::raw::{self, HEADER_SIZE, HIDDEN_SIZE, SAFEARRAY, SAFEARRAYBOUND};
use marshal_core::safearray::{validate, MAX_RANK};

const MAX_BOUNDS: usize = 6;

/// The target's body: one input, panicking on a broken invariant.
pub fn run(data: &[u8]) {
    if data.len() < 8 + 4 + 8 * MAX_BOUNDS {
        return;
    }
    let (head, rest) = data.split_at(8 + 4 + 8 * MAX_BOUNDS);
    // An 8-aligned block: hidden area, header, MAX_BOUNDS bounds.
    let mut block = vec![0u64; (HIDDEN_SIZE + HEADER_SIZE + 8 * MAX_BOUNDS) / 8];
    let base = block.as_mut_ptr() as *mut u8;
    let elements: Vec<u8> = rest.to_vec();
    // SAFETY: every write stays inside `block`; the descriptor's cDims is clamped to the
    // bounds actually present, as `validate` requires of its caller.
    unsafe {
        let psa = base.add(HIDDEN_SIZE) as *mut SAFEARRAY;
        (base.add(HIDDEN_SIZE - 4) as *mut u32).write_unaligned(u32::from_le_bytes(head[8..12].try_into().unwrap()));
        (*psa).cDims = u16::from_le_bytes([head[0], head[1]]) % (MAX_BOUNDS as u16 + 1);
        // FADF_RECORD needs a live IRecordInfo at -8; the fuzzer does not provide one.
        (*psa).fFeatures = u16::from_le_bytes([head[2], head[3]]) & !raw::FADF_RECORD;
        (*psa).cbElements = u32::from_le_bytes(head[4..8].try_into().unwrap());
        (*psa).cLocks = 0;
        (*psa).pvData = if elements.is_empty() { core::ptr::null_mut() } else { elements.as_ptr() as *mut c_void };
        for i in 0..MAX_BOUNDS {
            let b = &head[12 + 8 * i..20 + 8 * i];
            *(core::ptr::addr_of_mut!((*psa).rgsabound) as *mut SAFEARRAYBOUND).add(i) = SAFEARRAYBOUND {
                cElements: u32::from_le_bytes(b[0..4].try_into().unwrap()),
                lLbound: i32::from_le_bytes(b[4..8].try_into().unwrap()),
            };
        }
        let Ok(info) = validate(psa) else { return };
        assert!(info.dims() >= 1 && info.dims() <= MAX_RANK);
        assert_eq!(info.byte_len, info.len * info.element_size as usize);
        assert!(info.len == 0 || !(*psa).pvData.is_null());
        // Only plain element arrays whose data really fits in the buffer are read.
        let plain = info.features & (raw::FADF_BSTR | raw::FADF_VARIANT | raw::FADF_UNKNOWN | raw::FADF_DISPATCH) == 0;
        if !plain || info.byte_len > elements.len() || info.element_size as usize > 64 {
            return;
        }
        let mut idx: Vec<i32> = info.bounds.iter().map(|b| b.lower).collect();
        let mut out = [0u8; 64];
        for cell in 0..info.len.min(256) {
            let mut p = core::ptr::null_mut();
            assert_eq!(raw::safe_array_ptr_of_index(psa, idx.as_ptr(), &mut p), marshal_core::Hresult::S_OK);
            assert_eq!(p as usize - elements.as_ptr() as usize, cell * info.element_size as usize);
            assert!(raw::safe_array_get_element(psa, idx.as_ptr(), out.as_mut_ptr() as *mut c_void).is_ok());
            // Next index, dimension 1 fastest.
            for (d, b) in info.bounds.iter().enumerate() {
                // i64: the last index of a dimension may be i32::MAX.
                let next = idx[d] as i64 + 1;
                if next < b.lower as i64 + b.count as i64 {
                    idx[d] = next as i32;
                    break;
                }
                idx[d] = b.lower;
            }
        }
    }
}
