//! The native allocators the interop ABI names, and a leak-tracking hook for tests.
//!
//! The CLR frees what native code hands it with the allocator the ABI names:
//! `CoTaskMemFree` for LPStr / LPWStr / LPUTF8Str strings and LPArrays, `SysFreeString`
//! for BSTR (see [`crate::bstr`]). [`CoTaskMem`] is the first of these: the OS's
//! `CoTaskMemAlloc` family on Windows, and on every other OS `malloc` / `realloc` /
//! `free` from the C library — exactly what CoreCLR's PAL does on Unix, so native code
//! that allocates with `malloc` and hands the block over is freed correctly, and
//! blocks handed to native code can be released with `free`.
//!
//! [`tracking`] counts live allocations per thread (CoTaskMem blocks and the default
//! BSTR allocator's strings) once a test turns it on, so tests prove zero leaks.
//!
//! ```
//! use marshal_core::alloc::CoTaskMem;
//!
//! let p = CoTaskMem::alloc(16);
//! assert!(!p.is_null());
//! // SAFETY: `p` came from CoTaskMem::alloc and is freed once.
//! unsafe { CoTaskMem::free(p) };
//! ```

use core::ffi::c_void;
use core::ptr::NonNull;

/// The COM task allocator: `CoTaskMemAlloc` / `CoTaskMemRealloc` / `CoTaskMemFree`.
///
/// On Windows these are the OS functions (ole32); elsewhere the C library's
/// `malloc` / `realloc` / `free` (as CoreCLR on Unix). Every block is aligned for any
/// fundamental type (16 bytes on x86_64). `alloc(0)` returns a unique non-null block,
/// as `CoTaskMemAlloc(0)` does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CoTaskMem;

impl CoTaskMem {
    /// Allocates `size` bytes (uninitialised). Returns null when out of memory.
    #[inline]
    pub fn alloc(size: usize) -> *mut u8 {
        let p = sys::alloc(size.max(1));
        if !p.is_null() {
            tracking::note_alloc(tracking::Kind::CoTaskMem);
        }
        p
    }

    /// Allocates `size` zeroed bytes. Returns null when out of memory.
    #[inline]
    pub fn alloc_zeroed(size: usize) -> *mut u8 {
        let p = CoTaskMem::alloc(size);
        if !p.is_null() {
            // SAFETY: `p` is a fresh block of at least `size` bytes.
            unsafe { core::ptr::write_bytes(p, 0, size) };
        }
        p
    }

    /// Resizes a block (`CoTaskMemRealloc`): contents are kept up to the smaller size.
    /// A null `ptr` allocates; on failure null is returned and `ptr` stays valid.
    ///
    /// # Safety
    /// `ptr` is null or a live block from this allocator (or from native code using the
    /// same allocator: `CoTaskMemAlloc`, or `malloc` on Unix). On success the old pointer
    /// must no longer be used.
    #[inline]
    pub unsafe fn realloc(ptr: *mut u8, size: usize) -> *mut u8 {
        if ptr.is_null() {
            return CoTaskMem::alloc(size);
        }
        // SAFETY: forwarded contract: `ptr` is a live block of this allocator.
        unsafe { sys::realloc(ptr, size.max(1)) }
    }

    /// Frees a block (`CoTaskMemFree`). Null is ignored.
    ///
    /// # Safety
    /// `ptr` is null or a live block from this allocator (or from native code using the
    /// same allocator); it is not used afterwards.
    #[inline]
    pub unsafe fn free(ptr: *mut u8) {
        if !ptr.is_null() {
            tracking::note_free(tracking::Kind::CoTaskMem);
            // SAFETY: forwarded contract.
            unsafe { sys::free(ptr) }
        }
    }

    /// Allocates `len` bytes and copies `bytes` into them, then `zeros` zero bytes
    /// after (a terminator). Returns `None` when out of memory or on size overflow.
    pub fn alloc_copy(bytes: &[u8], zeros: usize) -> Option<NonNull<u8>> {
        let total = bytes.len().checked_add(zeros)?;
        let p = NonNull::new(CoTaskMem::alloc(total))?;
        // SAFETY: `p` has room for `total` bytes; `bytes` cannot overlap a fresh block.
        unsafe {
            core::ptr::copy_nonoverlapping(bytes.as_ptr(), p.as_ptr(), bytes.len());
            core::ptr::write_bytes(p.as_ptr().add(bytes.len()), 0, zeros);
        }
        Some(p)
    }
}

/// A raw `CoTaskMemFree` that can be handed to code expecting a C function pointer.
///
/// # Safety
/// As [`CoTaskMem::free`].
pub unsafe extern "C" fn co_task_mem_free(ptr: *mut c_void) {
    // SAFETY: forwarded contract; `free` never unwinds.
    unsafe { CoTaskMem::free(ptr.cast()) }
}

#[cfg(not(windows))]
mod sys {
    #[inline]
    pub(super) fn alloc(size: usize) -> *mut u8 {
        // SAFETY: malloc has no preconditions.
        unsafe { libc::malloc(size).cast() }
    }
    #[inline]
    pub(super) unsafe fn realloc(ptr: *mut u8, size: usize) -> *mut u8 {
        // SAFETY: the caller passes a live malloc block.
        unsafe { libc::realloc(ptr.cast(), size).cast() }
    }
    #[inline]
    pub(super) unsafe fn free(ptr: *mut u8) {
        // SAFETY: the caller passes a live malloc block.
        unsafe { libc::free(ptr.cast()) }
    }
}

#[cfg(windows)]
mod sys {
    use core::ffi::c_void;

    #[link(name = "ole32")]
    extern "system" {
        fn CoTaskMemAlloc(cb: usize) -> *mut c_void;
        fn CoTaskMemRealloc(pv: *mut c_void, cb: usize) -> *mut c_void;
        fn CoTaskMemFree(pv: *mut c_void);
    }

    #[inline]
    pub(super) fn alloc(size: usize) -> *mut u8 {
        // SAFETY: CoTaskMemAlloc has no preconditions.
        unsafe { CoTaskMemAlloc(size).cast() }
    }
    #[inline]
    pub(super) unsafe fn realloc(ptr: *mut u8, size: usize) -> *mut u8 {
        // SAFETY: the caller passes a live task-allocator block.
        unsafe { CoTaskMemRealloc(ptr.cast(), size).cast() }
    }
    #[inline]
    pub(super) unsafe fn free(ptr: *mut u8) {
        // SAFETY: the caller passes a live task-allocator block.
        unsafe { CoTaskMemFree(ptr.cast()) }
    }
}

pub mod tracking {
    //! Per-thread counts of live native allocations, for leak tests.
    //!
    //! Off by default (one relaxed atomic load per allocation). [`LeakCheck::start`]
    //! turns it on for the whole process; from then on every [`CoTaskMem`](super::CoTaskMem)
    //! block and every BSTR of the default allocator
    //! ([`SystemBstrAllocator`](crate::bstr::SystemBstrAllocator)) allocated or freed on a
    //! thread moves that thread's counters. Tests run one per thread, so a check at the end
    //! of a test sees exactly what the test leaked.
    //!
    //! ```
    //! use marshal_core::alloc::tracking::LeakCheck;
    //! use marshal_core::bstr::Bstr;
    //!
    //! let check = LeakCheck::start();
    //! let b = Bstr::from_wide(&[0x61, 0x62]).unwrap();
    //! assert_eq!(check.live(), (0, 1));
    //! drop(b);
    //! check.assert_no_leaks();
    //! ```
    //!
    //! A block that native code allocated and Rust frees counts as -1: a test that frees
    //! what C returned expects a negative balance of exactly that many blocks.

    use core::cell::Cell;
    use core::sync::atomic::{AtomicBool, Ordering};

    static ENABLED: AtomicBool = AtomicBool::new(false);

    thread_local! {
        static CO_TASK_MEM: Cell<isize> = const { Cell::new(0) };
        static BSTR: Cell<isize> = const { Cell::new(0) };
    }

    /// Which allocator an event concerns.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub(crate) enum Kind {
        CoTaskMem,
        Bstr,
    }

    #[inline]
    pub(crate) fn note_alloc(kind: Kind) {
        if ENABLED.load(Ordering::Relaxed) {
            bump(kind, 1);
        }
    }

    #[inline]
    pub(crate) fn note_free(kind: Kind) {
        if ENABLED.load(Ordering::Relaxed) {
            bump(kind, -1);
        }
    }

    #[cold]
    fn bump(kind: Kind, by: isize) {
        let cell = match kind {
            Kind::CoTaskMem => &CO_TASK_MEM,
            Kind::Bstr => &BSTR,
        };
        // A thread being torn down has no counters left: nothing to record.
        let _ = cell.try_with(|c| c.set(c.get() + by));
    }

    /// The current thread's live counts: (CoTaskMem blocks, BSTRs).
    pub fn live_on_this_thread() -> (isize, isize) {
        (CO_TASK_MEM.with(Cell::get), BSTR.with(Cell::get))
    }

    /// Turns tracking on (process-wide, for good).
    pub fn enable() {
        ENABLED.store(true, Ordering::Relaxed);
    }

    /// A snapshot of this thread's counters; compare later with [`LeakCheck::live`].
    #[derive(Debug)]
    #[must_use = "a LeakCheck does nothing unless it is checked"]
    pub struct LeakCheck {
        start: (isize, isize),
    }

    impl LeakCheck {
        /// Enables tracking and records this thread's counters.
        pub fn start() -> LeakCheck {
            enable();
            LeakCheck { start: live_on_this_thread() }
        }

        /// Allocations minus frees on this thread since [`LeakCheck::start`]:
        /// (CoTaskMem blocks, BSTRs).
        pub fn live(&self) -> (isize, isize) {
            let now = live_on_this_thread();
            (now.0 - self.start.0, now.1 - self.start.1)
        }

        /// Panics (a test failure) unless every allocation since the start was freed.
        #[track_caller]
        pub fn assert_no_leaks(&self) {
            let (co_task_mem, bstr) = self.live();
            assert!(
                co_task_mem == 0 && bstr == 0,
                "leak check: {co_task_mem} CoTaskMem block(s) and {bstr} BSTR(s) not balanced"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::tracking::LeakCheck;
    use super::*;

    #[test]
    fn alloc_zero_is_unique_and_freeable() {
        let check = LeakCheck::start();
        let a = CoTaskMem::alloc(0);
        let b = CoTaskMem::alloc(0);
        assert!(!a.is_null() && !b.is_null());
        assert_ne!(a, b);
        assert_eq!(check.live(), (2, 0));
        // SAFETY: both are live blocks freed once.
        unsafe {
            CoTaskMem::free(a);
            CoTaskMem::free(b);
            CoTaskMem::free(core::ptr::null_mut());
        }
        check.assert_no_leaks();
    }

    #[test]
    fn realloc_keeps_contents_and_alignment() {
        let check = LeakCheck::start();
        let p = CoTaskMem::alloc_copy(b"abcdef", 2).unwrap().as_ptr();
        assert_eq!(p as usize % 16, 0, "malloc blocks are 16-aligned on this ABI");
        // SAFETY: p is live; the realloc'd block is freed once.
        unsafe {
            let q = CoTaskMem::realloc(p, 4096);
            assert!(!q.is_null());
            assert_eq!(core::slice::from_raw_parts(q, 8), b"abcdef\0\0");
            CoTaskMem::free(q);
        }
        check.assert_no_leaks();
    }

    #[test]
    #[cfg(not(windows))]
    fn blocks_are_libc_malloc_blocks() {
        // Native code frees what we allocate with free(), and the other way round.
        // SAFETY: the blocks cross between CoTaskMem and libc, which are the same allocator here.
        unsafe {
            let p = CoTaskMem::alloc(10);
            libc::free(p.cast());
            let q: *mut u8 = libc::malloc(10).cast();
            co_task_mem_free(q.cast());
        }
    }
}
