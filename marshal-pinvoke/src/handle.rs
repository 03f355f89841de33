//! Owned native handles, the SafeHandle idea: a raw handle together with the
//! function that releases it, released exactly once (explicitly or on drop),
//! with the raw form reachable for calls (`as_raw`) and embedding
//! (`into_raw` / `from_raw`).
//!
//! ```
//! use core::ffi::c_void;
//! use marshal_pinvoke::{Release, SafeHandle};
//!
//! struct Malloced;
//! impl Release for Malloced {
//!     type Raw = *mut c_void;
//!     fn is_invalid(raw: &Self::Raw) -> bool { raw.is_null() }
//!     unsafe fn release(raw: Self::Raw) -> bool {
//!         // SAFETY: the raw pointer came from malloc and is released once.
//!         unsafe { libc::free(raw) };
//!         true
//!     }
//! }
//! // SAFETY: malloc'd memory is released by free.
//! let h = unsafe { SafeHandle::<Malloced>::from_raw(libc::malloc(16)) };
//! assert!(!h.is_invalid());
//! assert!(h.close()); // released here, never again
//! ```

use core::fmt;

/// How a kind of handle is released.
pub trait Release {
    /// The raw handle type (a pointer, an fd, an integer id).
    type Raw: Copy;
    /// Whether `raw` is the "no handle" value (never released).
    fn is_invalid(raw: &Self::Raw) -> bool;
    /// Releases the handle; `false` reports a failed release (`ReleaseHandle`).
    ///
    /// # Safety
    /// `raw` is a valid, owned handle, released at most once.
    unsafe fn release(raw: Self::Raw) -> bool;
}

/// A native handle released exactly once with `K`'s release function.
pub struct SafeHandle<K: Release> {
    raw: Option<K::Raw>,
}

impl<K: Release> SafeHandle<K> {
    /// Takes ownership of `raw`.
    ///
    /// # Safety
    /// `raw` is invalid or an owned handle that `K::release` may release, and
    /// nothing else releases it.
    pub unsafe fn from_raw(raw: K::Raw) -> SafeHandle<K> {
        SafeHandle { raw: Some(raw) }
    }

    /// The raw handle, still owned (for passing to native calls). `None` once closed.
    pub fn as_raw(&self) -> Option<K::Raw> {
        self.raw
    }

    /// Whether the handle is closed or holds the invalid value.
    pub fn is_invalid(&self) -> bool {
        self.raw.as_ref().is_none_or(K::is_invalid)
    }

    /// Gives up ownership without releasing.
    pub fn into_raw(mut self) -> Option<K::Raw> {
        self.raw.take()
    }

    /// Releases now; `true` when released successfully or nothing to release.
    /// Later calls and the drop do nothing.
    pub fn close(mut self) -> bool {
        self.release_once()
    }

    fn release_once(&mut self) -> bool {
        match self.raw.take() {
            Some(raw) if !K::is_invalid(&raw) => {
                // SAFETY: owned (from_raw's contract) and taken out: released exactly once.
                unsafe { K::release(raw) }
            }
            _ => true,
        }
    }
}

impl<K: Release> Drop for SafeHandle<K> {
    fn drop(&mut self) {
        self.release_once();
    }
}

impl<K: Release> fmt::Debug for SafeHandle<K>
where
    K::Raw: fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SafeHandle").field("raw", &self.raw).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    thread_local! { static RELEASED: Cell<u32> = const { Cell::new(0) }; }

    struct Counted;
    impl Release for Counted {
        type Raw = i32;
        fn is_invalid(raw: &i32) -> bool {
            *raw < 0
        }
        unsafe fn release(_: i32) -> bool {
            RELEASED.with(|c| c.set(c.get() + 1));
            true
        }
    }

    #[test]
    fn released_exactly_once_by_close_or_drop_and_never_when_invalid_or_taken() {
        // SAFETY: the test kind releases nothing real.
        let h = unsafe { SafeHandle::<Counted>::from_raw(3) };
        assert!(h.close());
        assert_eq!(RELEASED.with(Cell::get), 1);
        // SAFETY: as above.
        drop(unsafe { SafeHandle::<Counted>::from_raw(4) });
        assert_eq!(RELEASED.with(Cell::get), 2);
        // SAFETY: as above.
        drop(unsafe { SafeHandle::<Counted>::from_raw(-1) });
        // SAFETY: as above.
        assert_eq!(unsafe { SafeHandle::<Counted>::from_raw(5) }.into_raw(), Some(5));
        assert_eq!(RELEASED.with(Cell::get), 2);
    }
}
