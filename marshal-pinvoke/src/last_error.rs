//! `SetLastError = true`: the OS error code captured right after the call into
//! per-thread storage, read with [`last_error`] (`Marshal.GetLastPInvokeError`).

use std::cell::Cell;

thread_local! {
    static LAST_ERROR: Cell<i32> = const { Cell::new(0) };
}

/// The error code the last `SetLastError` call on this thread left (errno on
/// Unix, `GetLastError()` on Windows).
///
/// ```
/// marshal_pinvoke::set_last_error(2);
/// assert_eq!(marshal_pinvoke::last_error(), 2);
/// ```
pub fn last_error() -> i32 {
    LAST_ERROR.with(Cell::get)
}

/// Sets the stored code (`Marshal.SetLastPInvokeError`).
pub fn set_last_error(code: i32) {
    LAST_ERROR.with(|c| c.set(code))
}

/// Clears the OS error code before a call (CoreCLR's `SetLastSystemError(0)`).
#[inline]
pub fn clear_os_error() {
    #[cfg(target_os = "linux")]
    // SAFETY: __errno_location returns this thread's errno slot.
    unsafe {
        *libc::__errno_location() = 0
    };
}

/// Captures the OS error code right after a call into the per-thread slot.
#[inline]
pub fn capture_os_error() {
    set_last_error(std::io::Error::last_os_error().raw_os_error().unwrap_or(0));
}
