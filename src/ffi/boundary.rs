//! Guards for the C boundary: the thread-local last error, panic containment and argument
//! conversion. Every extern fn goes through [`guard`] or [`guard_val`].

use std::cell::RefCell;
use std::ffi::{c_int, c_char, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::status::{natsStatus, Error, Result};

/// The calling thread's last error, as `nats_GetLastError` shows it.
pub(crate) struct LastError {
    pub status: natsStatus,
    pub text: CString,
    pub func: &'static str,
}

/// One thread's error slot. It counts itself in [`ERRORS_HELD`] while it holds an error.
struct Slot(RefCell<Option<LastError>>);

impl Drop for Slot {
    fn drop(&mut self) {
        // A thread that ends with an error stops counting.
        if self.0.get_mut().is_some() {
            ERRORS_HELD.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

thread_local! {
    static LAST_ERROR: Slot = const { Slot(RefCell::new(None)) };
}

/// How many threads hold an error right now. While none does, the calls that clear the
/// caller's error on entry (every guarded call, publishes included) skip the thread-local
/// lookup, which in a shared library is a call into the dynamic loader. A thread always
/// sees its own increment, so a thread that holds an error never skips clearing it.
static ERRORS_HELD: AtomicUsize = AtomicUsize::new(0);

pub(crate) fn set_error(func: &'static str, e: &Error) {
    let text = CString::new(e.text.replace('\0', " ")).unwrap_or_default();
    LAST_ERROR.with(|l| {
        let mut b = l.0.borrow_mut();
        if b.is_none() {
            ERRORS_HELD.fetch_add(1, Ordering::Relaxed);
        }
        *b = Some(LastError { status: e.status, text, func });
    });
}

#[inline]
pub(crate) fn clear_error() {
    if ERRORS_HELD.load(Ordering::Relaxed) == 0 {
        return;
    }
    clear_held_error();
}

#[cold]
fn clear_held_error() {
    LAST_ERROR.with(|l| {
        if let Ok(mut b) = l.0.try_borrow_mut() {
            if b.take().is_some() {
                ERRORS_HELD.fetch_sub(1, Ordering::Relaxed);
            }
        }
    });
}

pub(crate) fn with_last_error<R>(f: impl FnOnce(Option<&LastError>) -> R) -> R {
    LAST_ERROR.with(|l| f(l.0.borrow().as_ref()))
}

/// Runs a fallible body: clears the last error, catches panics, maps errors to a status and
/// records their text.
#[inline]
pub(crate) fn guard(func: &'static str, body: impl FnOnce() -> Result<()>) -> natsStatus {
    clear_error();
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => natsStatus::NATS_OK,
        Ok(Err(e)) => {
            set_error(func, &e);
            e.status
        }
        Err(_) => {
            set_error(func, &Error::new(natsStatus::NATS_ERR, format!("internal error in {func}")));
            natsStatus::NATS_ERR
        }
    }
}

/// Runs an infallible body that returns a value; a panic yields `default`.
pub(crate) fn guard_val<T>(func: &'static str, default: T, body: impl FnOnce() -> T) -> T {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(v) => v,
        Err(_) => {
            set_error(func, &Error::new(natsStatus::NATS_ERR, format!("internal error in {func}")));
            default
        }
    }
}

pub(crate) fn invalid_arg(text: impl Into<String>) -> Error {
    Error::new(natsStatus::NATS_INVALID_ARG, text)
}

/// A required non-NULL pointer argument.
pub(crate) fn non_null<'a, T>(p: *const T, what: &str) -> Result<&'a T> {
    // SAFETY: the C caller guarantees a non-NULL pointer is valid for the call.
    unsafe { p.as_ref() }.ok_or_else(|| invalid_arg(format!("{what} must not be NULL")))
}

/// A required non-NULL mutable pointer argument.
pub(crate) fn non_null_mut<'a, T>(p: *mut T, what: &str) -> Result<&'a mut T> {
    // SAFETY: as above; the caller owns the object for the duration of the call.
    unsafe { p.as_mut() }.ok_or_else(|| invalid_arg(format!("{what} must not be NULL")))
}

/// An optional C string; invalid UTF-8 is rejected with `status`.
pub(crate) fn opt_str<'a>(p: *const c_char, what: &str, status: natsStatus) -> Result<Option<&'a str>> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: a non-NULL C string argument is NUL-terminated and valid for the call.
    let s = unsafe { CStr::from_ptr(p) };
    s.to_str().map(Some).map_err(|_| Error::new(status, format!("{what} is not valid UTF-8")))
}

/// A required C string; NULL is rejected with `status`.
pub(crate) fn req_str<'a>(p: *const c_char, what: &str, status: natsStatus) -> Result<&'a str> {
    opt_str(p, what, status)?.ok_or_else(|| Error::new(status, format!("{what} must not be NULL")))
}

/// A data buffer given as pointer + length.
pub(crate) fn data<'a>(p: *const u8, len: c_int) -> Result<&'a [u8]> {
    if len < 0 {
        return Err(invalid_arg(format!("data length must not be negative (got {len})")));
    }
    if len == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(invalid_arg("data is NULL but its length is not zero"));
    }
    // SAFETY: the caller guarantees `p` points to `len` readable bytes.
    Ok(unsafe { std::slice::from_raw_parts(p, len as usize) })
}

/// Stores `v` through an out-pointer checked non-NULL earlier.
pub(crate) fn put<T>(out: *mut T, v: T) {
    if !out.is_null() {
        // SAFETY: `out` is a valid, writable pointer supplied by the caller.
        unsafe { out.write(v) }
    }
}

/// Copies `s` into a caller buffer with a NUL; NATS_INSUFFICIENT_BUFFER when it does not fit.
pub(crate) fn copy_to_buffer(s: &[u8], buf: *mut c_char, size: usize) -> Result<()> {
    if buf.is_null() {
        return Err(invalid_arg("buffer must not be NULL"));
    }
    if s.len() + 1 > size {
        return Err(Error::new(
            natsStatus::NATS_INSUFFICIENT_BUFFER,
            format!("buffer of {size} bytes is too small for {} bytes", s.len() + 1),
        ));
    }
    // SAFETY: `buf` has room for `size` bytes (caller contract) and we write s.len()+1 <= size.
    unsafe {
        std::ptr::copy_nonoverlapping(s.as_ptr(), buf as *mut u8, s.len());
        *buf.add(s.len()) = 0;
    }
    Ok(())
}

/// A copy of `s` in memory from `malloc`, which the C caller releases with `free()`.
pub(crate) fn malloc_str(s: &str) -> Result<*mut c_char> {
    // SAFETY: plain allocation; checked for NULL below.
    let p = unsafe { libc::malloc(s.len() + 1) } as *mut c_char;
    if p.is_null() {
        return Err(Error::new(natsStatus::NATS_NO_MEMORY, "out of memory"));
    }
    // SAFETY: `p` has s.len()+1 bytes.
    unsafe {
        std::ptr::copy_nonoverlapping(s.as_ptr(), p as *mut u8, s.len());
        *p.add(s.len()) = 0;
    }
    Ok(p)
}

/// A `malloc`ed array of `malloc`ed strings (the caller frees each string, then the array).
pub(crate) fn malloc_str_array(items: &[String]) -> Result<*mut *mut c_char> {
    if items.is_empty() {
        return Ok(std::ptr::null_mut());
    }
    // SAFETY: plain allocation; checked for NULL below.
    let arr = unsafe { libc::malloc(items.len() * std::mem::size_of::<*mut c_char>()) } as *mut *mut c_char;
    if arr.is_null() {
        return Err(Error::new(natsStatus::NATS_NO_MEMORY, "out of memory"));
    }
    for (i, s) in items.iter().enumerate() {
        match malloc_str(s) {
            // SAFETY: `arr` has room for items.len() pointers.
            Ok(p) => unsafe { *arr.add(i) = p },
            Err(e) => {
                for j in 0..i {
                    // SAFETY: freeing what we allocated above.
                    unsafe { libc::free(*arr.add(j) as *mut libc::c_void) };
                }
                // SAFETY: as above.
                unsafe { libc::free(arr as *mut libc::c_void) };
                return Err(e);
            }
        }
    }
    Ok(arr)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held_here() -> bool {
        with_last_error(|e| e.is_some())
    }

    #[test]
    fn errors_are_counted_while_held_and_cleared_on_the_next_call() {
        set_error("f", &Error::new(natsStatus::NATS_ERR, "first"));
        set_error("g", &Error::new(natsStatus::NATS_TIMEOUT, "second"));
        // Other tests may hold errors on their threads too: only a lower bound holds.
        assert!(ERRORS_HELD.load(Ordering::Relaxed) >= 1);
        assert_eq!(with_last_error(|e| e.map(|e| (e.status, e.func))), Some((natsStatus::NATS_TIMEOUT, "g")));
        clear_error();
        assert!(!held_here());
        clear_error();
        assert!(!held_here());
        // A thread that ends holding an error leaves the count as it found it; a thread
        // without one never sees another thread's error.
        std::thread::spawn(|| {
            assert!(!held_here());
            set_error("h", &Error::new(natsStatus::NATS_ERR, "gone with its thread"));
            assert!(held_here());
        })
        .join()
        .unwrap();
        assert!(!held_here());
    }
}
