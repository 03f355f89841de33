//! `BSTR`: OLE Automation's length-prefixed UTF-16 string, ABI-exact on every OS.
//!
//! A BSTR is a pointer to UTF-16 code units. The 4 bytes just before it hold the
//! payload's length **in bytes** (not counting the terminator); two zero bytes follow
//! the payload (three when the byte length is odd: `SysAllocStringByteLen` zeroes the
//! byte after the data and the whole code unit after that). A null BSTR means `""` to
//! every consumer, but it is a distinct value: [`Bstr::is_null`] keeps the difference
//! observable.
//!
//! - [`Bstr`]: an owned BSTR, `#[repr(transparent)]` over the raw pointer, so it can sit
//!   inside `#[repr(C)]` VARIANT / SAFEARRAY storage; `Drop` frees it once.
//! - [`BstrRef`]: a borrowed view of a native BSTR, O(1) to make and to read.
//! - [`BstrAllocator`]: where BSTRs come from. [`SystemBstrAllocator`] is the default:
//!   on Windows the OS's `SysAllocString` family (so BSTRs interoperate with real COM),
//!   elsewhere this crate's own allocator with oleaut32's layout (see below). A process
//!   may install another one once, before the first BSTR is made ([`set_allocator`]).
//! - `sys_*` functions mirroring the oleaut32 entry points one for one, for the C-ABI
//!   library and for replaying oleaut32 call sequences.
//!
//! ## The layout of the default allocator off Windows
//!
//! As Wine's oleaut32 (and CoreCLR's PAL): one `malloc` block whose size is rounded up to
//! 16 bytes, holding a pointer-sized header whose last 4 bytes are the byte length, then
//! the payload. On 64-bit targets the BSTR pointer is therefore 8 mod 16, as oleaut32's.
//! Native code that builds a BSTR the same way can hand it to Rust, and the other way
//! round (`free(p - sizeof(void*))`). On 64-bit targets the header's first 4 bytes hold the
//! stamp of the cache of freed blocks ([`thread_cache_len`]); what native code leaves there
//! only means its block is freed rather than cached.
//!
//! ```
//! use marshal_core::bstr::{Bstr, BstrRef};
//!
//! let b: Bstr = "héllo".parse().unwrap();
//! assert_eq!(b.len(), 5);
//! assert_eq!(b.byte_len(), 10);
//! assert_eq!(b.to_string(), "héllo");
//!
//! // A native BSTR, borrowed without copying.
//! // SAFETY: `b` is a live BSTR and outlives the view.
//! let view = unsafe { BstrRef::from_raw(b.as_ptr()) };
//! assert_eq!(view.as_wide(), b.as_wide());
//!
//! // Null reads as "", but stays null.
//! let null = Bstr::null();
//! assert!(null.is_null() && null.is_empty() && null.to_string().is_empty());
//! ```

use core::fmt;
use core::hash::{Hash, Hasher};
use core::marker::PhantomData;
use core::ptr;
use core::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use widestring::U16String;

use crate::alloc::tracking;

/// The raw `BSTR` type of the Windows SDK: a pointer to the first code unit.
#[allow(clippy::upper_case_acronyms)]
pub type BSTR = *mut u16;

/// The largest byte length oleaut32 accepts (`SysAllocStringByteLen` fails from
/// `UINT_MAX - 6` on, so that header and terminator still fit in 32 bits).
pub const MAX_BYTE_LEN: u32 = u32::MAX - 7;

/// The largest length in code units oleaut32 accepts (`SysAllocStringLen` fails from
/// `(UINT_MAX - 6) / 2` on).
pub const MAX_LEN: u32 = (u32::MAX - 6) / 2 - 1;

/// Why a BSTR could not be made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BstrError {
    /// The payload does not fit a BSTR's 32-bit byte length (more than [`MAX_BYTE_LEN`]
    /// bytes).
    TooLong {
        /// The requested length in bytes.
        byte_len: usize,
    },
    /// The allocator returned null.
    OutOfMemory,
}

impl fmt::Display for BstrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BstrError::TooLong { byte_len } => {
                write!(f, "a BSTR holds at most {MAX_BYTE_LEN} bytes, {byte_len} requested")
            }
            BstrError::OutOfMemory => f.write_str("out of memory allocating a BSTR"),
        }
    }
}

impl std::error::Error for BstrError {}

/// Where BSTRs come from and go to. One allocator serves the whole process
/// ([`allocator`]), as oleaut32 does.
///
/// # Safety
///
/// Implementations must return, from [`alloc_byte_len`](Self::alloc_byte_len) and
/// [`realloc_byte_len`](Self::realloc_byte_len), either null or a pointer `p`, aligned to
/// at least 2, such that:
/// - the 4 bytes at `p - 4` hold the byte length as a native-endian `u32`;
/// - the `byte_len` payload bytes at `p` are writable (and, after a realloc, keep the old
///   contents up to the smaller length; bytes beyond are uninitialised);
/// - the bytes from `p + byte_len` up to `p + round_up_to_even(byte_len) + 2` are zero
///   (the terminator: 2 bytes, 3 when the length is odd);
/// - the block stays valid until passed to [`free`](Self::free) (or reallocated).
pub unsafe trait BstrAllocator: Send + Sync {
    /// Allocates a BSTR with `byte_len` uninitialised payload bytes, prefix and terminator
    /// written. `byte_len` is at most [`MAX_BYTE_LEN`]. Null when out of memory.
    fn alloc_byte_len(&self, byte_len: u32) -> BSTR;

    /// Resizes `bstr` to `byte_len` bytes, keeping the contents up to the smaller length
    /// and writing prefix and terminator. Null on failure, `bstr` then still valid.
    ///
    /// # Safety
    /// `bstr` is a live, non-null BSTR from this allocator; on success it is no longer used.
    unsafe fn realloc_byte_len(&self, bstr: BSTR, byte_len: u32) -> BSTR;

    /// Frees a BSTR. Null is ignored.
    ///
    /// # Safety
    /// `bstr` is null or a live BSTR from this allocator, not used afterwards.
    unsafe fn free(&self, bstr: BSTR);
}

/// The default BSTR allocator: the OS's `SysAllocString` family on Windows; elsewhere
/// `malloc`-based blocks with oleaut32's layout (see the [module docs](self)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SystemBstrAllocator;

static INSTALLED: OnceLock<&'static dyn BstrAllocator> = OnceLock::new();

/// Set once [`SystemBstrAllocator`] is the installed allocator (it can then never change):
/// the crate's own BSTRs then call it directly, inlined, rather than through the `dyn`
/// reference, which keeps making and freeing a short BSTR within a few dozen instructions.
static SYSTEM_INSTALLED: AtomicBool = AtomicBool::new(false);

/// The process's BSTR allocator (installs [`SystemBstrAllocator`] on first use if none
/// was set).
#[inline]
pub fn allocator() -> &'static dyn BstrAllocator {
    *INSTALLED.get_or_init(|| {
        SYSTEM_INSTALLED.store(true, Ordering::Relaxed);
        &SystemBstrAllocator
    })
}

/// `allocator().alloc_byte_len(byte_len)`, direct when the default allocator is installed.
#[inline]
fn alloc_with_installed(byte_len: u32) -> BSTR {
    if SYSTEM_INSTALLED.load(Ordering::Relaxed) {
        SystemBstrAllocator.alloc_byte_len(byte_len)
    } else {
        allocator().alloc_byte_len(byte_len)
    }
}

/// `allocator().free(bstr)`, direct when the default allocator is installed.
///
/// # Safety
/// As [`BstrAllocator::free`] for the installed allocator.
#[inline]
unsafe fn free_with_installed(bstr: BSTR) {
    if SYSTEM_INSTALLED.load(Ordering::Relaxed) {
        // SAFETY: forwarded contract; the installed allocator is the system one.
        unsafe { SystemBstrAllocator.free(bstr) }
    } else {
        // SAFETY: forwarded contract.
        unsafe { allocator().free(bstr) }
    }
}

/// How many freed BSTR blocks this thread keeps for reuse.
///
/// Off Windows, on 64-bit Linux, the default allocator keeps up to 8 freed blocks per
/// 16-byte size class up to 256 bytes, per thread, as oleaut32 keeps a cache of freed
/// BSTRs: most marshaled strings are short and made and freed at a high rate. The blocks
/// are freed when the thread exits. Setting `OANOCACHE` in the environment (any value,
/// before the first BSTR is freed) turns the cache off, as it does for oleaut32: memory
/// checkers then see every block. Always 0 elsewhere, and with another allocator.
///
/// ```
/// use marshal_core::bstr::{thread_cache_len, Bstr};
///
/// let before = thread_cache_len();
/// drop(Bstr::from_wide(&[0x61; 9]).unwrap());
/// assert!(thread_cache_len() <= before + 1);
/// ```
pub fn thread_cache_len() -> usize {
    #[cfg(not(windows))]
    {
        system::cache::len()
    }
    #[cfg(windows)]
    {
        0
    }
}

/// The error of [`set_allocator`]: an allocator is already in use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AllocatorAlreadySet;

impl fmt::Display for AllocatorAlreadySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a BSTR allocator is already installed (or a BSTR was already made)")
    }
}

impl std::error::Error for AllocatorAlreadySet {}

/// Installs the process's BSTR allocator. Works once, and only before the first BSTR
/// is made: BSTRs must be freed by the allocator that made them.
pub fn set_allocator(allocator: &'static dyn BstrAllocator) -> Result<(), AllocatorAlreadySet> {
    INSTALLED.set(allocator).map_err(|_| AllocatorAlreadySet)
}

/// Bytes from the payload's start to the end of the terminator oleaut32 writes.
#[inline]
const fn payload_and_terminator(byte_len: usize) -> usize {
    byte_len.div_ceil(2) * 2 + 2
}

/// Writes the zero terminator after a `byte_len`-byte payload.
///
/// # Safety
/// `p .. p + payload_and_terminator(byte_len)` is writable.
#[inline]
unsafe fn write_terminator(p: *mut u8, byte_len: usize) {
    // Two zero bytes, and a third after an odd payload (fixed-size stores rather than a
    // `memset` call of 2 or 3 bytes: this runs for every BSTR made).
    // SAFETY: `payload_and_terminator(byte_len)` bytes from `p` are writable per the
    // contract: byte_len + 2 for even lengths, byte_len + 3 for odd ones.
    unsafe {
        ptr::write_unaligned(p.add(byte_len).cast::<u16>(), 0);
        if byte_len % 2 != 0 {
            p.add(byte_len + 2).write(0);
        }
    }
}

#[cfg(not(windows))]
mod system {
    use super::*;

    /// Pointer-sized header before the payload; its last 4 bytes are the byte length.
    pub(super) const HEADER: usize = core::mem::size_of::<usize>();
    const BUCKET: usize = 16;

    #[inline]
    fn block_size(byte_len: u32) -> Option<usize> {
        let raw = HEADER.checked_add(byte_len as usize)?.checked_add(2 + BUCKET - 1)?;
        Some(raw & !(BUCKET - 1))
    }

    /// Prefix, terminator, and (64-bit) the cache's stamp in the header's first 4 bytes;
    /// returns the BSTR pointer of a block.
    ///
    /// # Safety
    /// `block` is a live malloc block of `size` = `block_size(byte_len)` bytes.
    #[inline]
    unsafe fn finish(block: *mut u8, size: usize, byte_len: u32) -> BSTR {
        // SAFETY: the block holds the header, the payload and the terminator.
        unsafe {
            let p = block.add(HEADER);
            ptr::write_unaligned(p.sub(4).cast::<u32>(), byte_len);
            if HEADER > 4 {
                ptr::write_unaligned(block.cast::<u32>(), cache::stamp(block, size));
            }
            write_terminator(p, byte_len as usize);
            p.cast()
        }
    }

    // SAFETY: blocks are malloc'd with room for header, payload and terminator
    // (block_size), prefix and terminator are written by `finish`; malloc alignment is
    // at least 8, so the pointer is 2-aligned.
    unsafe impl BstrAllocator for SystemBstrAllocator {
        #[inline]
        fn alloc_byte_len(&self, byte_len: u32) -> BSTR {
            let Some(size) = block_size(byte_len) else { return ptr::null_mut() };
            let block = cache::take(size);
            if block.is_null() {
                return ptr::null_mut();
            }
            tracking::note_alloc(tracking::Kind::Bstr);
            // SAFETY: `block` is a fresh block of `size` bytes.
            unsafe { finish(block, size, byte_len) }
        }

        unsafe fn realloc_byte_len(&self, bstr: BSTR, byte_len: u32) -> BSTR {
            let Some(size) = block_size(byte_len) else { return ptr::null_mut() };
            // SAFETY: `bstr` is a live BSTR of this allocator: its block starts HEADER
            // bytes before it.
            let block: *mut u8 = unsafe { libc::realloc(bstr.cast::<u8>().sub(HEADER).cast(), size) }.cast();
            if block.is_null() {
                return ptr::null_mut();
            }
            // SAFETY: `block` is a live block of `size` bytes.
            unsafe { finish(block, size, byte_len) }
        }

        unsafe fn free(&self, bstr: BSTR) {
            if bstr.is_null() {
                return;
            }
            tracking::note_free(tracking::Kind::Bstr);
            // SAFETY: `bstr` is a live BSTR of this allocator: its block starts HEADER
            // bytes before it, and is not used after this.
            unsafe { cache::give_back(bstr.cast::<u8>().sub(HEADER)) }
        }
    }

    /// A per-thread cache of freed BSTR blocks, as oleaut32 keeps one (process-wide there,
    /// under a lock): marshaling makes and frees short strings at a high rate, and a block
    /// taken back from a thread-local list costs a fraction of `malloc` + `free`.
    ///
    /// - Blocks up to 256 bytes are kept, at most [`DEPTH`] per 16-byte size class, so a
    ///   thread holds at most 17 KiB; larger blocks go straight to `free`.
    /// - A block's size class is stamped in the 4 unused header bytes before the length
    ///   prefix, mixed with the block's address. Only a block that carries its own stamp is
    ///   cached: a BSTR that native code allocated itself (the layout lets it, see the module
    ///   docs), or whose length prefix it rewrote, is freed, never reused for a size it may
    ///   not have. Every block stays a `malloc` block: native code may `free` what it gets.
    /// - The cache is emptied when the thread exits; BSTRs freed after that (by other
    ///   thread-local destructors) go to `free`.
    /// - `OANOCACHE` set in the environment (any value), as for oleaut32, turns it off: for
    ///   tools that track every block (AddressSanitizer, valgrind), which a cache blinds.
    /// - 64-bit Linux only: 32-bit headers have no spare bytes for the stamp.
    #[cfg(all(any(target_os = "linux", target_os = "android"), target_pointer_width = "64"))]
    pub(super) mod cache {
        use core::cell::UnsafeCell;
        use core::sync::atomic::{AtomicU8, Ordering};

        /// Size classes of 16 bytes: class `k` holds blocks of exactly `16 k` bytes
        /// (`block_size` rounds every request to a multiple of 16; class 0 is unused).
        const CLASSES: usize = 17;
        /// Blocks kept per class.
        const DEPTH: usize = 8;
        /// Mixed into every stamp with the block's address (any odd-looking constant).
        const STAMP_KEY: u32 = 0xB57A_C0DE;
        /// The class bits of a stamp.
        const CLASS_MASK: u32 = 0x1F;

        /// This thread's lists. No destructor of its own, so that reaching it costs no
        /// "alive?" check: [`Emptier`] empties it when the thread exits.
        struct Lists {
            blocks: [[*mut u8; DEPTH]; CLASSES],
            counts: [u8; CLASSES],
            /// [`UNSET`], [`ON`] or [`OFF`].
            state: u8,
        }

        /// The thread has not used the cache yet.
        const UNSET: u8 = 0;
        /// The cache is in use on this thread (its [`Emptier`] is registered).
        const ON: u8 = 1;
        /// No cache on this thread: `OANOCACHE`, or the thread is exiting.
        const OFF: u8 = 2;

        std::thread_local! {
            static LISTS: UnsafeCell<Lists> = const {
                UnsafeCell::new(Lists {
                    blocks: [[core::ptr::null_mut(); DEPTH]; CLASSES],
                    counts: [0; CLASSES],
                    state: UNSET,
                })
            };
            static EMPTIER: Emptier = const { Emptier };
        }

        /// Frees the cached blocks when the thread exits, and turns the cache off for
        /// whatever BSTRs later thread-local destructors free.
        struct Emptier;

        impl Drop for Emptier {
            fn drop(&mut self) {
                LISTS.with(|lists| {
                    // SAFETY: this thread's lists; no other reference to them is live (the
                    // cache's functions run no destructor while they hold one).
                    let lists = unsafe { &mut *lists.get() };
                    lists.state = OFF;
                    for (list, &count) in lists.blocks.iter().zip(&lists.counts) {
                        for &block in &list[..count as usize] {
                            // SAFETY: cached blocks are live malloc blocks owned by the cache.
                            unsafe { libc::free(block.cast()) }
                        }
                    }
                    lists.counts = [0; CLASSES];
                });
            }
        }

        /// The process-wide setting: 0 not yet read, 1 on, 2 off (`OANOCACHE`).
        static SETTING: AtomicU8 = AtomicU8::new(0);

        /// A thread's first use of the cache: on, with its [`Emptier`] registered, unless
        /// `OANOCACHE` is set or the thread is already exiting.
        #[cold]
        fn start(lists: &mut Lists) -> bool {
            let on = match SETTING.load(Ordering::Relaxed) {
                1 => true,
                2 => false,
                _ => {
                    let on = std::env::var_os("OANOCACHE").is_none();
                    SETTING.store(if on { 1 } else { 2 }, Ordering::Relaxed);
                    on
                }
            };
            let on = on && EMPTIER.try_with(|_| ()).is_ok();
            lists.state = if on { ON } else { OFF };
            on
        }

        /// The stamp of `block` in class `class`.
        #[inline]
        fn stamp_of(block: *mut u8, class: u32) -> u32 {
            ((block as usize >> 4) as u32 ^ STAMP_KEY) & !CLASS_MASK | class
        }

        /// The header stamp for a block of `size` bytes (a multiple of 16) at `block`.
        #[inline]
        pub(super) fn stamp(block: *mut u8, size: usize) -> u32 {
            let class = size / 16;
            // Blocks too large to cache get class 0, which is never cached.
            stamp_of(block, if class < CLASSES { class as u32 } else { 0 })
        }

        /// How many blocks this thread's lists hold.
        pub(in super::super) fn len() -> usize {
            // SAFETY: a read of this thread's lists, no reference kept.
            LISTS.with(|lists| unsafe { &*lists.get() }.counts.iter().map(|&c| c as usize).sum())
        }

        /// A block of `size` bytes (a multiple of 16): from the cache when it has one, else
        /// from `malloc`. Null when out of memory.
        #[inline]
        pub(super) fn take(size: usize) -> *mut u8 {
            let class = size / 16;
            if class < CLASSES {
                let cached = LISTS.with(|lists| {
                    // SAFETY: the lists are this thread's; no reference to them outlives this
                    // closure, and nothing in it re-enters the cache.
                    let lists = unsafe { &mut *lists.get() };
                    let count = lists.counts[class];
                    if count == 0 {
                        return core::ptr::null_mut();
                    }
                    lists.counts[class] = count - 1;
                    lists.blocks[class][count as usize - 1]
                });
                if !cached.is_null() {
                    return cached;
                }
            }
            // SAFETY: malloc has no preconditions.
            unsafe { libc::malloc(size) }.cast()
        }

        /// Keeps `block` for reuse when it carries its stamp and its class has room; else
        /// frees it.
        ///
        /// # Safety
        /// `block` is a live `malloc` block of at least 8 bytes, not used after this.
        #[inline]
        pub(super) unsafe fn give_back(block: *mut u8) {
            // SAFETY: the block's first 4 bytes are readable (contract).
            let stamp = unsafe { core::ptr::read_unaligned(block.cast::<u32>()) };
            let class = (stamp & CLASS_MASK) as usize;
            if class != 0 && class < CLASSES && stamp == stamp_of(block, class as u32) {
                let kept = LISTS.with(|lists| {
                    // SAFETY: as in `take`.
                    let lists = unsafe { &mut *lists.get() };
                    if lists.state != ON && !start(lists) {
                        return false;
                    }
                    let count = lists.counts[class];
                    if count as usize == DEPTH {
                        return false;
                    }
                    lists.blocks[class][count as usize] = block;
                    lists.counts[class] = count + 1;
                    true
                });
                if kept {
                    return;
                }
            }
            // SAFETY: a live malloc block (contract).
            unsafe { libc::free(block.cast()) }
        }
    }

    /// No cache (see the other `cache`): straight to malloc and free.
    #[cfg(not(all(any(target_os = "linux", target_os = "android"), target_pointer_width = "64")))]
    pub(super) mod cache {
        pub(in super::super) fn len() -> usize {
            0
        }

        #[inline]
        pub(super) fn stamp(_block: *mut u8, _size: usize) -> u32 {
            0
        }

        #[inline]
        pub(super) fn take(size: usize) -> *mut u8 {
            // SAFETY: malloc has no preconditions.
            unsafe { libc::malloc(size) }.cast()
        }

        /// # Safety
        /// `block` is a live `malloc` block, not used after this.
        #[inline]
        pub(super) unsafe fn give_back(block: *mut u8) {
            // SAFETY: contract.
            unsafe { libc::free(block.cast()) }
        }
    }
}

#[cfg(windows)]
mod system {
    use super::*;

    #[link(name = "oleaut32")]
    extern "system" {
        fn SysAllocStringByteLen(psz: *const u8, len: u32) -> BSTR;
        fn SysReAllocStringLen(pbstr: *mut BSTR, psz: *const u16, len: u32) -> i32;
        fn SysFreeString(bstr: BSTR);
    }

    // SAFETY: oleaut32 itself makes the BSTRs; SysAllocStringByteLen writes prefix and
    // terminator (3 zero bytes for odd lengths) and SysReAllocStringLen keeps contents.
    unsafe impl BstrAllocator for SystemBstrAllocator {
        fn alloc_byte_len(&self, byte_len: u32) -> BSTR {
            // SAFETY: a null source makes an uninitialised payload of `byte_len` bytes.
            let p = unsafe { SysAllocStringByteLen(ptr::null(), byte_len) };
            if !p.is_null() {
                tracking::note_alloc(tracking::Kind::Bstr);
            }
            p
        }

        unsafe fn realloc_byte_len(&self, bstr: BSTR, byte_len: u32) -> BSTR {
            if byte_len % 2 == 0 {
                let mut b = bstr;
                // SAFETY: `bstr` is a live OS BSTR; a null source keeps the contents.
                if unsafe { SysReAllocStringLen(&mut b, ptr::null(), byte_len / 2) } == 0 {
                    return ptr::null_mut();
                }
                return b;
            }
            // Odd byte lengths have no OS realloc: copy into a fresh BSTR.
            // SAFETY: a null source makes an uninitialised payload.
            let new = unsafe { SysAllocStringByteLen(ptr::null(), byte_len) };
            if new.is_null() {
                return new;
            }
            // SAFETY: both are live BSTRs; the copy stays within both payloads.
            unsafe {
                let old_len = sys_string_byte_len(bstr) as usize;
                ptr::copy_nonoverlapping(bstr.cast::<u8>(), new.cast::<u8>(), old_len.min(byte_len as usize));
                SysFreeString(bstr);
            }
            new
        }

        unsafe fn free(&self, bstr: BSTR) {
            if !bstr.is_null() {
                tracking::note_free(tracking::Kind::Bstr);
                // SAFETY: forwarded contract.
                unsafe { SysFreeString(bstr) }
            }
        }
    }
}

/// Allocates a BSTR of `byte_len` bytes through the process allocator and fills its
/// payload with `fill` (which receives exactly `byte_len` writable, uninitialised bytes).
#[inline]
fn alloc_filled(byte_len: usize, fill: impl FnOnce(*mut u8)) -> Result<Bstr, BstrError> {
    if byte_len > MAX_BYTE_LEN as usize {
        return Err(BstrError::TooLong { byte_len });
    }
    let p = alloc_with_installed(byte_len as u32);
    if p.is_null() {
        return Err(BstrError::OutOfMemory);
    }
    fill(p.cast());
    Ok(Bstr { ptr: p })
}

/// An owned BSTR (possibly null). Dropping it frees it with the process's
/// [`BstrAllocator`].
///
/// `#[repr(transparent)]` over the raw pointer: a `Bstr` field in a `#[repr(C)]` struct
/// is a native `BSTR` field, and `*mut Bstr` can be passed where native code expects a
/// `BSTR*`.
///
/// ```
/// use marshal_core::bstr::Bstr;
///
/// // SysAllocStringByteLen semantics: odd lengths are kept.
/// let b = Bstr::from_bytes(b"abc").unwrap();
/// assert_eq!((b.len(), b.byte_len()), (1, 3));
/// assert_eq!(b.as_bytes(), b"abc");
///
/// // Embedded NULs survive.
/// let w = Bstr::from_wide(&[0x61, 0, 0x62]).unwrap();
/// assert_eq!(w.len(), 3);
///
/// // Hand it to native code and take it back.
/// let raw = w.into_raw();
/// // SAFETY: `raw` came from `into_raw` and is owned again exactly once.
/// let back = unsafe { Bstr::from_raw(raw) };
/// assert_eq!(back.as_wide(), &[0x61, 0, 0x62]);
/// ```
#[repr(transparent)]
pub struct Bstr {
    ptr: BSTR,
}

const _: () = assert!(core::mem::size_of::<Bstr>() == core::mem::size_of::<BSTR>());

// SAFETY: a Bstr owns its block exclusively; the allocator is Send + Sync.
unsafe impl Send for Bstr {}
// SAFETY: shared access only reads.
unsafe impl Sync for Bstr {}

impl Bstr {
    /// The null BSTR (reads as `""`). Allocates nothing.
    #[inline]
    pub const fn null() -> Bstr {
        Bstr { ptr: ptr::null_mut() }
    }

    /// A non-null empty BSTR (what `SysAllocString(L"")` returns).
    pub fn empty() -> Result<Bstr, BstrError> {
        alloc_filled(0, |_| {})
    }

    /// A BSTR holding these UTF-16 code units (any, ill-formed and NULs included):
    /// `SysAllocStringLen` semantics.
    #[inline]
    pub fn from_wide(units: &[u16]) -> Result<Bstr, BstrError> {
        let byte_len = units.len().checked_mul(2).ok_or(BstrError::TooLong { byte_len: usize::MAX })?;
        alloc_filled(byte_len, |p| {
            // SAFETY: `p` has `byte_len` writable bytes; a fresh block cannot overlap `units`.
            unsafe { ptr::copy_nonoverlapping(units.as_ptr().cast::<u8>(), p, byte_len) }
        })
    }

    /// A BSTR holding these bytes as its payload, odd lengths included:
    /// `SysAllocStringByteLen` semantics (AnsiBStr uses this).
    #[inline]
    pub fn from_bytes(bytes: &[u8]) -> Result<Bstr, BstrError> {
        alloc_filled(bytes.len(), |p| {
            // SAFETY: `p` has `bytes.len()` writable bytes and cannot overlap `bytes`.
            unsafe { ptr::copy_nonoverlapping(bytes.as_ptr(), p, bytes.len()) }
        })
    }

    /// A BSTR of `len` code units, all zero (`SysAllocStringLen(NULL, len)`, zeroed).
    pub fn with_len(len: usize) -> Result<Bstr, BstrError> {
        Bstr::with_byte_len(len.checked_mul(2).ok_or(BstrError::TooLong { byte_len: usize::MAX })?)
    }

    /// A BSTR of `byte_len` zero bytes (`SysAllocStringByteLen(NULL, len)`).
    pub fn with_byte_len(byte_len: usize) -> Result<Bstr, BstrError> {
        alloc_filled(byte_len, |p| {
            // SAFETY: `p` has `byte_len` writable bytes.
            unsafe { ptr::write_bytes(p, 0, byte_len) }
        })
    }

    /// Makes a BSTR of `byte_len` bytes whose payload `fill` writes. `fill` gets the
    /// payload as uninitialised memory and must initialise all of it.
    ///
    /// # Safety
    /// `fill` writes every one of the `byte_len` bytes (and nothing beyond).
    pub unsafe fn from_fill(byte_len: usize, fill: impl FnOnce(*mut u8)) -> Result<Bstr, BstrError> {
        alloc_filled(byte_len, fill)
    }

    /// Takes ownership of a raw BSTR (null allowed).
    ///
    /// # Safety
    /// `bstr` is null or a live BSTR from the process's [`BstrAllocator`] (on Windows: the
    /// OS's `SysAllocString` family) that nothing else frees; it is 2-aligned.
    #[inline]
    pub const unsafe fn from_raw(bstr: BSTR) -> Bstr {
        Bstr { ptr: bstr }
    }

    /// Gives up ownership: the caller (or native code) must free the BSTR
    /// (`SysFreeString`, [`sys_free_string`], or [`Bstr::from_raw`] then drop).
    #[inline]
    pub fn into_raw(self) -> BSTR {
        let p = self.ptr;
        core::mem::forget(self);
        p
    }

    /// The raw pointer, still owned by `self`.
    #[inline]
    pub const fn as_ptr(&self) -> BSTR {
        self.ptr
    }

    /// Frees the current value and returns a pointer to the now-null slot, for a native
    /// `BSTR*` out parameter to fill.
    pub fn as_out_ptr(&mut self) -> *mut BSTR {
        *self = Bstr::null();
        &mut self.ptr
    }

    /// A borrowed view.
    #[inline]
    pub fn as_bstr_ref(&self) -> BstrRef<'_> {
        BstrRef { ptr: self.ptr, _owner: PhantomData }
    }

    /// Whether this is the null BSTR.
    #[inline]
    pub const fn is_null(&self) -> bool {
        self.ptr.is_null()
    }

    /// Length in code units (`SysStringLen`: byte length / 2; 0 for null).
    #[inline]
    pub fn len(&self) -> usize {
        self.as_bstr_ref().len()
    }

    /// Length in bytes (`SysStringByteLen`; 0 for null).
    #[inline]
    pub fn byte_len(&self) -> usize {
        self.as_bstr_ref().byte_len()
    }

    /// Whether the payload is empty (null or `""`).
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.byte_len() == 0
    }

    /// The code units (`len()` of them; an odd trailing byte is not included).
    #[inline]
    pub fn as_wide(&self) -> &[u16] {
        self.as_bstr_ref().as_wide()
    }

    /// The payload bytes (`byte_len()` of them).
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        self.as_bstr_ref().as_bytes()
    }

    /// The code units, writable.
    #[inline]
    pub fn as_wide_mut(&mut self) -> &mut [u16] {
        if self.ptr.is_null() {
            return &mut [];
        }
        // SAFETY: an owned live BSTR of `len()` units, exclusively borrowed.
        unsafe { core::slice::from_raw_parts_mut(self.ptr, self.len()) }
    }

    /// The code units as a `U16String` (a copy).
    pub fn to_u16_string(&self) -> U16String {
        U16String::from_vec(self.as_wide())
    }

    /// The text, with lone surrogates replaced by U+FFFD.
    pub fn to_string_lossy(&self) -> String {
        String::from_utf16_lossy(self.as_wide())
    }

    /// A copy (null stays null; an odd byte length is kept).
    pub fn try_clone(&self) -> Result<Bstr, BstrError> {
        if self.is_null() {
            return Ok(Bstr::null());
        }
        Bstr::from_bytes(self.as_bytes())
    }
}

impl Drop for Bstr {
    #[inline]
    fn drop(&mut self) {
        if !self.ptr.is_null() {
            // SAFETY: an owned live BSTR from the process allocator, freed once.
            unsafe { free_with_installed(self.ptr) }
        }
    }
}

impl Default for Bstr {
    /// The null BSTR.
    fn default() -> Bstr {
        Bstr::null()
    }
}

impl Clone for Bstr {
    /// Copies the BSTR. Out of memory aborts, as for std collections; use
    /// [`Bstr::try_clone`] to handle it.
    fn clone(&self) -> Bstr {
        match self.try_clone() {
            Ok(b) => b,
            Err(_) => std::alloc::handle_alloc_error(std::alloc::Layout::array::<u8>(self.byte_len() + 16).unwrap()),
        }
    }
}

impl core::str::FromStr for Bstr {
    type Err = BstrError;
    /// Transcodes UTF-8 to a UTF-16 BSTR.
    fn from_str(s: &str) -> Result<Bstr, BstrError> {
        Bstr::try_from(s)
    }
}

impl TryFrom<&str> for Bstr {
    type Error = BstrError;
    /// Transcodes UTF-8 to a UTF-16 BSTR.
    fn try_from(s: &str) -> Result<Bstr, BstrError> {
        crate::strings::transcode::str_to_bstr(s)
    }
}

impl TryFrom<&[u16]> for Bstr {
    type Error = BstrError;
    fn try_from(units: &[u16]) -> Result<Bstr, BstrError> {
        Bstr::from_wide(units)
    }
}

impl TryFrom<&widestring::U16Str> for Bstr {
    type Error = BstrError;
    fn try_from(s: &widestring::U16Str) -> Result<Bstr, BstrError> {
        Bstr::from_wide(s.as_slice())
    }
}

impl PartialEq for Bstr {
    /// Compares payloads (null equals `""`, as in the CLR).
    fn eq(&self, other: &Bstr) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}
impl Eq for Bstr {}

impl PartialEq<str> for Bstr {
    fn eq(&self, other: &str) -> bool {
        self.byte_len() % 2 == 0 && self.as_wide().iter().copied().eq(other.encode_utf16())
    }
}
impl PartialEq<&str> for Bstr {
    fn eq(&self, other: &&str) -> bool {
        *self == **other
    }
}
impl PartialEq<[u16]> for Bstr {
    fn eq(&self, other: &[u16]) -> bool {
        self.byte_len() % 2 == 0 && self.as_wide() == other
    }
}

impl Hash for Bstr {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state)
    }
}

impl fmt::Debug for Bstr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.as_bstr_ref(), f)
    }
}

impl fmt::Display for Bstr {
    /// The text, lone surrogates shown as U+FFFD.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.as_bstr_ref(), f)
    }
}

/// A borrowed BSTR: reads the length prefix and the payload in place, O(1).
///
/// ```
/// use marshal_core::bstr::{Bstr, BstrRef};
/// let owned = Bstr::from_wide(&[0x41, 0x42]).unwrap();
/// let view: BstrRef<'_> = owned.as_bstr_ref();
/// assert_eq!(view.len(), 2);
/// assert_eq!(view.to_owned_bstr().unwrap(), owned);
/// assert!(BstrRef::null().is_empty());
/// ```
#[derive(Clone, Copy)]
#[repr(transparent)]
pub struct BstrRef<'a> {
    ptr: *const u16,
    _owner: PhantomData<&'a [u16]>,
}

// SAFETY: a read-only view.
unsafe impl Send for BstrRef<'_> {}
// SAFETY: a read-only view.
unsafe impl Sync for BstrRef<'_> {}

impl<'a> BstrRef<'a> {
    /// The null BSTR.
    pub const fn null() -> BstrRef<'static> {
        BstrRef { ptr: ptr::null(), _owner: PhantomData }
    }

    /// Views a native BSTR (null allowed).
    ///
    /// # Safety
    /// `bstr` is null, or 2-aligned with a valid 4-byte length prefix before it and that
    /// many readable payload bytes, unchanged and alive for `'a`.
    #[inline]
    pub const unsafe fn from_raw(bstr: *const u16) -> BstrRef<'a> {
        BstrRef { ptr: bstr, _owner: PhantomData }
    }

    /// The raw pointer.
    #[inline]
    pub const fn as_ptr(&self) -> *const u16 {
        self.ptr
    }

    /// Whether this is the null BSTR.
    #[inline]
    pub const fn is_null(&self) -> bool {
        self.ptr.is_null()
    }

    /// Length in bytes (the prefix; 0 for null).
    #[inline]
    pub fn byte_len(&self) -> usize {
        if self.ptr.is_null() {
            return 0;
        }
        // SAFETY: per `from_raw`, 4 readable prefix bytes precede the payload.
        unsafe { ptr::read_unaligned(self.ptr.cast::<u8>().sub(4).cast::<u32>()) as usize }
    }

    /// Length in code units (byte length / 2).
    #[inline]
    pub fn len(&self) -> usize {
        self.byte_len() / 2
    }

    /// Whether the payload is empty.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.byte_len() == 0
    }

    /// The code units (an odd trailing byte excluded).
    #[inline]
    pub fn as_wide(&self) -> &'a [u16] {
        if self.ptr.is_null() {
            return &[];
        }
        // SAFETY: per `from_raw`: aligned, `len()` readable units alive for 'a.
        unsafe { core::slice::from_raw_parts(self.ptr, self.len()) }
    }

    /// The payload bytes.
    #[inline]
    pub fn as_bytes(&self) -> &'a [u8] {
        if self.ptr.is_null() {
            return &[];
        }
        // SAFETY: per `from_raw`: `byte_len()` readable bytes alive for 'a.
        unsafe { core::slice::from_raw_parts(self.ptr.cast::<u8>(), self.byte_len()) }
    }

    /// A copy as an owned [`Bstr`] (null stays null).
    pub fn to_owned_bstr(&self) -> Result<Bstr, BstrError> {
        if self.is_null() {
            return Ok(Bstr::null());
        }
        Bstr::from_bytes(self.as_bytes())
    }

    /// The code units as a `U16String` (a copy).
    pub fn to_u16_string(&self) -> U16String {
        U16String::from_vec(self.as_wide())
    }

    /// The text, lone surrogates replaced by U+FFFD.
    pub fn to_string_lossy(&self) -> String {
        String::from_utf16_lossy(self.as_wide())
    }
}

impl<'a> From<&'a Bstr> for BstrRef<'a> {
    fn from(b: &'a Bstr) -> BstrRef<'a> {
        b.as_bstr_ref()
    }
}

impl PartialEq for BstrRef<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}
impl Eq for BstrRef<'_> {}

impl fmt::Debug for BstrRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_null() {
            return f.write_str("Bstr(null)");
        }
        write!(f, "Bstr({:?}", self.to_string_lossy())?;
        if self.byte_len() % 2 == 1 {
            write!(f, ", odd byte {:#04x}", self.as_bytes()[self.byte_len() - 1])?;
        }
        f.write_str(")")
    }
}

impl fmt::Display for BstrRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in char::decode_utf16(self.as_wide().iter().copied()) {
            fmt::Write::write_char(f, c.unwrap_or(char::REPLACEMENT_CHARACTER))?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// The oleaut32 entry points.
// ---------------------------------------------------------------------------------------

/// Length of a NUL-terminated UTF-16 string.
///
/// # Safety
/// `p` is non-null and points at a NUL-terminated UTF-16 string.
unsafe fn wcslen(p: *const u16) -> usize {
    let mut n = 0;
    // SAFETY: the string is NUL-terminated, so every unit up to the NUL is readable.
    while unsafe { *p.add(n) } != 0 {
        n += 1;
    }
    n
}

/// Allocates a BSTR of `byte_len` bytes, copying `src` (if non-null) or zeroing.
///
/// # Safety
/// `src` is null or readable for `byte_len` bytes.
unsafe fn alloc_from_raw(src: *const u8, byte_len: u32) -> BSTR {
    let p = alloc_with_installed(byte_len);
    if !p.is_null() {
        // SAFETY: `p` has `byte_len` writable payload bytes; `src` is readable for as many
        // and a fresh block cannot overlap it.
        unsafe {
            if src.is_null() {
                ptr::write_bytes(p.cast::<u8>(), 0, byte_len as usize);
            } else {
                ptr::copy_nonoverlapping(src, p.cast::<u8>(), byte_len as usize);
            }
        }
    }
    p
}

/// `SysAllocString`: a BSTR copy of a NUL-terminated string; null for a null `psz`.
///
/// ```
/// use marshal_core::bstr::*;
/// let text = [0x61u16, 0x62, 0x63, 0];
/// // SAFETY: `text` is NUL-terminated; the BSTR is freed once.
/// unsafe {
///     let b = sys_alloc_string(text.as_ptr());
///     assert_eq!((sys_string_len(b), sys_string_byte_len(b)), (3, 6));
///     sys_free_string(b);
/// }
/// ```
///
/// # Safety
/// `psz` is null or a NUL-terminated UTF-16 string.
pub unsafe fn sys_alloc_string(psz: *const u16) -> BSTR {
    if psz.is_null() {
        return ptr::null_mut();
    }
    // SAFETY: `psz` is NUL-terminated.
    let len = unsafe { wcslen(psz) };
    if len > MAX_LEN as usize {
        return ptr::null_mut();
    }
    // SAFETY: `len` units are readable.
    unsafe { sys_alloc_string_len(psz, len as u32) }
}

/// `SysAllocStringLen`: `len` units copied from `str_in` (zeroed when it is null).
/// Null when `len` exceeds [`MAX_LEN`] or memory runs out.
///
/// # Safety
/// `str_in` is null or readable for `len` code units.
pub unsafe fn sys_alloc_string_len(str_in: *const u16, len: u32) -> BSTR {
    if len > MAX_LEN {
        return ptr::null_mut();
    }
    // SAFETY: forwarded contract; `len * 2` fits (len <= MAX_LEN).
    unsafe { alloc_from_raw(str_in.cast(), len * 2) }
}

/// `SysAllocStringByteLen`: `len` bytes copied from `psz` (zeroed when it is null), odd
/// lengths included. Null when `len` exceeds [`MAX_BYTE_LEN`] or memory runs out.
///
/// # Safety
/// `psz` is null or readable for `len` bytes.
pub unsafe fn sys_alloc_string_byte_len(psz: *const u8, len: u32) -> BSTR {
    if len > MAX_BYTE_LEN {
        return ptr::null_mut();
    }
    // SAFETY: forwarded contract.
    unsafe { alloc_from_raw(psz, len) }
}

/// Whether `src` points into the block of `bstr` (the self-overlap case of the realloc
/// functions).
fn points_into(bstr: BSTR, src: *const u16) -> bool {
    if bstr.is_null() || src.is_null() {
        return false;
    }
    // SAFETY: `bstr` is a live BSTR (caller's contract).
    let end = bstr as usize + payload_and_terminator(unsafe { sys_string_byte_len(bstr) } as usize);
    (bstr as usize..end).contains(&(src as usize))
}

/// `SysReAllocStringLen`: replaces `*pbstr` with `len` units from `psz`. A null `psz`
/// keeps the old contents (up to `len`; growth is zeroed). `psz` may point into `*pbstr`
/// itself. Returns 1 on success; 0 (and `*pbstr` unchanged) when `len` exceeds
/// [`MAX_LEN`], `pbstr` is null, or memory runs out.
///
/// # Safety
/// `pbstr` is null or points at a null or live BSTR of the process allocator; `psz` is
/// null or readable for `len` units.
pub unsafe fn sys_re_alloc_string_len(pbstr: *mut BSTR, psz: *const u16, len: u32) -> i32 {
    if pbstr.is_null() || len > MAX_LEN {
        return 0;
    }
    // SAFETY: `pbstr` is valid per the contract.
    let old = unsafe { *pbstr };
    if old.is_null() {
        // SAFETY: forwarded contract.
        let new = unsafe { sys_alloc_string_len(psz, len) };
        if new.is_null() {
            return 0;
        }
        // SAFETY: `pbstr` is valid.
        unsafe { *pbstr = new };
        return 1;
    }
    let new_bytes = len * 2;
    if points_into(old, psz) {
        // The source lives in the block a realloc may move: copy into a fresh BSTR
        // while the old one is still intact, then free the old one.
        // SAFETY: `psz` is readable for `len` units (contract) and the old block is live.
        let new = unsafe { alloc_from_raw(psz.cast(), new_bytes) };
        if new.is_null() {
            return 0;
        }
        // SAFETY: `old` is a live BSTR of the process allocator, replaced now.
        unsafe {
            allocator().free(old);
            *pbstr = new;
        }
        return 1;
    }
    // SAFETY: `old` is live; `sys_string_byte_len` reads its prefix.
    let old_bytes = unsafe { sys_string_byte_len(old) };
    // SAFETY: `old` is a live BSTR of the process allocator.
    let new = unsafe { allocator().realloc_byte_len(old, new_bytes) };
    if new.is_null() {
        return 0;
    }
    // SAFETY: `new` has `new_bytes` payload bytes; `psz` is readable for as many and
    // does not overlap the block (checked above).
    unsafe {
        if psz.is_null() {
            if new_bytes > old_bytes {
                ptr::write_bytes(new.cast::<u8>().add(old_bytes as usize), 0, (new_bytes - old_bytes) as usize);
            }
        } else {
            ptr::copy_nonoverlapping(psz.cast::<u8>(), new.cast::<u8>(), new_bytes as usize);
        }
        *pbstr = new;
    }
    1
}

/// `SysReAllocString`: replaces `*pbstr` with a copy of the NUL-terminated `psz` (which
/// may be `*pbstr` itself); a null `psz` leaves `*pbstr` null, as oleaut32. Returns 1,
/// or 0 when `pbstr` is null or memory runs out (`*pbstr` then unchanged).
///
/// # Safety
/// `pbstr` is null or points at a null or live BSTR of the process allocator; `psz` is
/// null or NUL-terminated.
pub unsafe fn sys_re_alloc_string(pbstr: *mut BSTR, psz: *const u16) -> i32 {
    if pbstr.is_null() {
        return 0;
    }
    // Allocate first, free second: `psz` may live inside the old BSTR.
    // SAFETY: forwarded contract.
    let new = unsafe { sys_alloc_string(psz) };
    if new.is_null() && !psz.is_null() {
        return 0;
    }
    // SAFETY: `*pbstr` is null or live, and replaced now.
    unsafe {
        sys_free_string(*pbstr);
        *pbstr = new;
    }
    1
}

/// `SysFreeString`. Null is ignored.
///
/// # Safety
/// `bstr` is null or a live BSTR of the process allocator, not used afterwards.
pub unsafe fn sys_free_string(bstr: BSTR) {
    if !bstr.is_null() {
        // SAFETY: forwarded contract.
        unsafe { free_with_installed(bstr) }
    }
}

/// `SysStringLen`: the length in code units (byte length / 2); 0 for null.
///
/// # Safety
/// `bstr` is null or a valid BSTR (4 readable prefix bytes before it).
pub unsafe fn sys_string_len(bstr: BSTR) -> u32 {
    // SAFETY: forwarded contract.
    unsafe { sys_string_byte_len(bstr) / 2 }
}

/// `SysStringByteLen`: the length in bytes; 0 for null.
///
/// # Safety
/// `bstr` is null or a valid BSTR (4 readable prefix bytes before it).
pub unsafe fn sys_string_byte_len(bstr: BSTR) -> u32 {
    if bstr.is_null() {
        return 0;
    }
    // SAFETY: forwarded contract: the prefix is readable.
    unsafe { ptr::read_unaligned(bstr.cast::<u8>().sub(4).cast::<u32>()) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alloc::tracking::LeakCheck;

    /// Prefix + payload + `extra` bytes, as the Wine vectors' `prefix_plus_payload_plus_hex`.
    fn dump(b: BSTR, extra: usize) -> Vec<u8> {
        // SAFETY: `b` is a live BSTR of the default allocator, whose terminator covers `extra`.
        unsafe {
            let n = sys_string_byte_len(b) as usize;
            core::slice::from_raw_parts(b.cast::<u8>().sub(4), 4 + n + extra).to_vec()
        }
    }

    fn w(s: &str) -> Vec<u16> {
        s.encode_utf16().chain([0]).collect()
    }

    #[test]
    fn layout_matches_oleaut32() {
        let check = LeakCheck::start();
        // SAFETY: every BSTR is freed once; sources are NUL-terminated / long enough.
        unsafe {
            let b = sys_alloc_string(w("abc").as_ptr());
            assert_eq!(b as usize % 16, 8, "oleaut32's BSTRs are 8 mod 16 on 64-bit");
            assert_eq!(dump(b, 2), [6, 0, 0, 0, 0x61, 0, 0x62, 0, 0x63, 0, 0, 0]);
            sys_free_string(b);

            // Odd byte lengths: the byte after the data and the next whole unit are zero.
            let b = sys_alloc_string_byte_len(c"abc".as_ptr().cast(), 3);
            assert_eq!(dump(b, 3), [3, 0, 0, 0, 0x61, 0x62, 0x63, 0, 0, 0]);
            assert_eq!((sys_string_len(b), sys_string_byte_len(b)), (1, 3));
            sys_free_string(b);
            let b = sys_alloc_string_byte_len(c"a".as_ptr().cast(), 1);
            assert_eq!(dump(b, 3), [1, 0, 0, 0, 0x61, 0, 0, 0]);
            sys_free_string(b);

            let b = sys_alloc_string_len(ptr::null(), 4);
            assert_eq!(dump(b, 2), [8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            sys_free_string(b);

            assert!(sys_alloc_string(ptr::null()).is_null());
            assert_eq!(sys_string_len(ptr::null_mut()), 0);
            assert_eq!(sys_string_byte_len(ptr::null_mut()), 0);
            sys_free_string(ptr::null_mut());
        }
        check.assert_no_leaks();
    }

    #[test]
    fn length_limits_are_oleaut32s() {
        // SAFETY: the calls fail before reading the (null) source.
        unsafe {
            assert!(sys_alloc_string_len(ptr::null(), 0x7FFF_FFFC).is_null());
            assert!(sys_alloc_string_byte_len(ptr::null(), u32::MAX - 6).is_null());
            let mut b: BSTR = ptr::null_mut();
            assert_eq!(sys_re_alloc_string_len(&mut b, ptr::null(), 0x7FFF_FFFC), 0);
            assert!(b.is_null());
        }
        assert_eq!(MAX_LEN, 0x7FFF_FFFB);
        assert_eq!(MAX_BYTE_LEN, 0xFFFF_FFF8);
    }

    #[test]
    fn realloc_len_cases() {
        let check = LeakCheck::start();
        // SAFETY: handles stay live until freed; sources are long enough.
        unsafe {
            let mut b = sys_alloc_string(w("abc").as_ptr());
            assert_eq!(sys_re_alloc_string_len(&mut b, w("xyzw").as_ptr(), 2), 1);
            assert_eq!(dump(b, 2), [4, 0, 0, 0, 0x78, 0, 0x79, 0, 0, 0]);

            // Null source keeps the contents; growth is zeroed.
            assert_eq!(sys_re_alloc_string_len(&mut b, ptr::null(), 3), 1);
            assert_eq!(dump(b, 2), [6, 0, 0, 0, 0x78, 0, 0x79, 0, 0, 0, 0, 0]);

            // Self-overlap: the source is the tail of the BSTR being reallocated.
            let mut s = sys_alloc_string(w("hello world").as_ptr());
            assert_eq!(sys_re_alloc_string_len(&mut s, s.add(6), 5), 1);
            assert_eq!(BstrRef::from_raw(s).to_string_lossy(), "world");
            // …and the whole string itself.
            assert_eq!(sys_re_alloc_string_len(&mut s, s, 5), 1);
            assert_eq!(BstrRef::from_raw(s).to_string_lossy(), "world");

            // A null *pbstr allocates.
            let mut n: BSTR = ptr::null_mut();
            assert_eq!(sys_re_alloc_string_len(&mut n, w("q").as_ptr(), 1), 1);
            assert_eq!(sys_string_len(n), 1);
            assert_eq!(sys_re_alloc_string_len(ptr::null_mut(), ptr::null(), 1), 0);

            sys_free_string(b);
            sys_free_string(s);
            sys_free_string(n);
        }
        check.assert_no_leaks();
    }

    #[test]
    fn realloc_string_cases() {
        let check = LeakCheck::start();
        // SAFETY: handles stay live until freed; sources are NUL-terminated.
        unsafe {
            let mut b = sys_alloc_string(w("abc").as_ptr());
            assert_eq!(sys_re_alloc_string(&mut b, w("hello").as_ptr()), 1);
            assert_eq!(dump(b, 2), [10, 0, 0, 0, 0x68, 0, 0x65, 0, 0x6c, 0, 0x6c, 0, 0x6f, 0, 0, 0]);
            // The source is the BSTR itself.
            assert_eq!(sys_re_alloc_string(&mut b, b), 1);
            assert_eq!(BstrRef::from_raw(b).to_string_lossy(), "hello");
            // …or a suffix of it.
            assert_eq!(sys_re_alloc_string(&mut b, b.add(3)), 1);
            assert_eq!(BstrRef::from_raw(b).to_string_lossy(), "lo");
            // A null source leaves null (oleaut32 frees and allocates NULL).
            assert_eq!(sys_re_alloc_string(&mut b, ptr::null()), 1);
            assert!(b.is_null());
            assert_eq!(sys_re_alloc_string(ptr::null_mut(), ptr::null()), 0);
        }
        check.assert_no_leaks();
    }

    #[test]
    fn owned_bstr_basics() {
        let check = LeakCheck::start();
        let b: Bstr = "a\u{0}b€😀".parse().unwrap();
        assert_eq!(b.len(), 6);
        assert_eq!(b, *"a\u{0}b€😀");
        assert_eq!(b.to_string(), "a\u{0}b€😀");
        assert_eq!(b.as_ptr() as usize % 16, 8);
        let c = b.clone();
        assert_eq!(c, b);
        assert_ne!(c.as_ptr(), b.as_ptr());

        let odd = Bstr::from_bytes(b"xyz").unwrap();
        // "xy" is the unit 0x7978 (little-endian); the odd 'z' is shown apart.
        assert_eq!(format!("{odd:?}"), format!("Bstr({:?}, odd byte 0x7a)", "\u{7978}"));
        assert_ne!(odd, Bstr::from_bytes(b"xy").unwrap());

        let lone = Bstr::from_wide(&[0xD800, 0x41]).unwrap();
        assert_eq!(lone.to_string(), "\u{FFFD}A");
        assert_eq!(lone.to_u16_string().as_slice(), &[0xD800, 0x41]);

        assert!(Bstr::null().is_null());
        let e = Bstr::empty().unwrap();
        assert!(!e.is_null() && e.is_empty());
        assert_eq!(e, Bstr::null(), "null and empty compare equal, as in the CLR");
        assert_eq!(Bstr::null().try_clone().unwrap().as_ptr(), ptr::null_mut());

        let mut z = Bstr::with_len(3).unwrap();
        z.as_wide_mut().copy_from_slice(&[1, 2, 3]);
        assert_eq!(z.as_wide(), &[1, 2, 3]);

        let mut out = Bstr::from_wide(&[1]).unwrap();
        let slot = out.as_out_ptr();
        // SAFETY: `slot` points at out's null pointer; the new BSTR is owned by `out`.
        unsafe { *slot = sys_alloc_string_len([7u16].as_ptr(), 1) };
        assert_eq!(out.as_wide(), &[7]);

        drop((b, c, odd, lone, e, z, out));
        check.assert_no_leaks();
    }

    #[test]
    fn into_raw_from_raw_round_trip() {
        let check = LeakCheck::start();
        let raw = Bstr::from_wide(&[0x61]).unwrap().into_raw();
        assert_eq!(check.live(), (0, 1));
        // SAFETY: `raw` is owned again exactly once.
        let back = unsafe { Bstr::from_raw(raw) };
        assert_eq!(back.as_wide(), &[0x61]);
        drop(back);
        check.assert_no_leaks();
    }

    #[test]
    fn bstr_sits_in_repr_c_storage() {
        #[repr(C)]
        struct Slot {
            vt: u16,
            pad: [u16; 3],
            value: Bstr,
        }
        assert_eq!(core::mem::size_of::<Slot>(), 8 + core::mem::size_of::<usize>());
        let s = Slot { vt: 8, pad: [0; 3], value: Bstr::from_wide(&[0x41]).unwrap() };
        assert_eq!(s.vt, 8);
        assert_eq!(s.pad, [0; 3]);
        assert_eq!(s.value.len(), 1);
    }
}
