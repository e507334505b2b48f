//! Library-level functions: version, time, last error.
use std::ffi::c_char;

/// Returns the version of the nats.c API this library emulates, as a string ("3.4.1").
#[unsafe(no_mangle)]
pub extern "C" fn nats_GetVersion() -> *const c_char {
    c"3.4.1".as_ptr()
}
