//! A process-wide BSTR allocator installed with `set_allocator` before the first BSTR:
//! every BSTR the crate makes or frees (owned `Bstr`s, VARIANT payloads, coercions, the
//! `sys_*` functions) goes through it, and it cannot be replaced afterwards. One test in
//! its own binary, because the allocator is chosen once per process.

use core::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};

use marshal_core::bstr::{self, Bstr, BstrAllocator, BSTR};
use marshal_core::variant::{change_type, Variant};
use marshal_core::VarType;

/// A 4-byte-header layout (Mono's, not this crate's default 8-byte one), counting blocks.
struct Counting {
    live: AtomicIsize,
    made: AtomicUsize,
}

static COUNTING: Counting = Counting { live: AtomicIsize::new(0), made: AtomicUsize::new(0) };

// SAFETY: blocks are malloc'd with 4 prefix bytes, the payload and 3 zero bytes (enough
// for the odd-length terminator); the pointer is malloc's + 4, so 2-aligned.
unsafe impl BstrAllocator for Counting {
    fn alloc_byte_len(&self, byte_len: u32) -> BSTR {
        let size = 4 + byte_len as usize + 3;
        // SAFETY: malloc has no preconditions.
        let block = unsafe { libc::malloc(size) } as *mut u8;
        if block.is_null() {
            return core::ptr::null_mut();
        }
        // SAFETY: the block holds `size` bytes.
        unsafe {
            block.cast::<u32>().write_unaligned(byte_len);
            core::ptr::write_bytes(block.add(4 + byte_len as usize), 0, 3);
        }
        self.live.fetch_add(1, Ordering::Relaxed);
        self.made.fetch_add(1, Ordering::Relaxed);
        // SAFETY: inside the block.
        unsafe { block.add(4).cast() }
    }

    unsafe fn realloc_byte_len(&self, bstr: BSTR, byte_len: u32) -> BSTR {
        // SAFETY: `bstr` is one of this allocator's (contract): its block starts 4 bytes before.
        let block = unsafe { libc::realloc(bstr.cast::<u8>().sub(4).cast(), 4 + byte_len as usize + 3) } as *mut u8;
        if block.is_null() {
            return core::ptr::null_mut();
        }
        // SAFETY: the block holds prefix, payload and terminator.
        unsafe {
            block.cast::<u32>().write_unaligned(byte_len);
            core::ptr::write_bytes(block.add(4 + byte_len as usize), 0, 3);
            block.add(4).cast()
        }
    }

    unsafe fn free(&self, bstr: BSTR) {
        if !bstr.is_null() {
            self.live.fetch_sub(1, Ordering::Relaxed);
            // SAFETY: one of this allocator's BSTRs (contract).
            unsafe { libc::free(bstr.cast::<u8>().sub(4).cast()) }
        }
    }
}

#[test]
fn an_installed_allocator_makes_and_frees_every_bstr_and_stays() {
    bstr::set_allocator(&COUNTING).expect("no BSTR was made before");
    {
        let b = Bstr::from_wide(&[0x61, 0x62, 0x63]).unwrap();
        // The 4-byte header of this allocator, not the default's 8: the block is malloc + 4.
        assert_eq!(b.as_ptr() as usize % 16, 4);
        assert_eq!(b.len(), 3);
        let v = Variant::from("text");
        let s = change_type(&Variant::from(123456789i32), VarType::BSTR, 0).unwrap();
        assert_eq!(String::try_from(&s).unwrap(), "123456789");
        let copy = v.try_clone().unwrap();
        assert_eq!(String::try_from(&copy).unwrap(), "text");
        // SAFETY: a NUL-terminated string; the BSTR is freed below.
        let raw = unsafe { bstr::sys_alloc_string([0x78u16, 0x79, 0].as_ptr()) };
        assert_eq!(COUNTING.live.load(Ordering::Relaxed), 5);
        // SAFETY: a live BSTR of the process allocator, freed once.
        unsafe { bstr::sys_free_string(raw) };
    }
    assert_eq!(COUNTING.live.load(Ordering::Relaxed), 0, "every BSTR went back to the installed allocator");
    assert_eq!(COUNTING.made.load(Ordering::Relaxed), 5);
    assert!(bstr::set_allocator(&COUNTING).is_err(), "the allocator is chosen once");
}
