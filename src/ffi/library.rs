//! Library-level functions: initialisation, version, time, last error.

use std::ffi::{c_char, c_int};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::boundary::{copy_to_buffer, guard, guard_val, invalid_arg, with_last_error};
use crate::status::natsStatus;

/// The nats.c API level this library emulates.
const API_VERSION: &std::ffi::CStr = c"3.4.1";
const API_VERSION_NUMBER: u32 = (3 << 16) | (4 << 8) | 1;
const API_REQUIRED_NUMBER: u32 = 0x030400;

static OPEN: AtomicBool = AtomicBool::new(false);

/// A `natsStatus` value coming in from C, kept as an integer until checked.
#[repr(transparent)]
#[derive(Clone, Copy)]
pub struct natsStatusArg(pub c_int);

/// Initializes the library.
///
/// Optional: every function initializes the library on first use. `lockSpinCount` is
/// accepted for compatibility and ignored (-1 means the default). Thread-safe; calling it
/// again is harmless.
#[unsafe(no_mangle)]
pub extern "C" fn nats_Open(lockSpinCount: i64) -> natsStatus {
    guard("nats_Open", || {
        let _ = lockSpinCount;
        OPEN.store(true, Ordering::Release);
        Ok(())
    })
}

/// Releases library-wide resources. Connections must have been destroyed before; the library
/// may be opened again afterwards. Returns immediately.
#[unsafe(no_mangle)]
pub extern "C" fn nats_Close() {
    guard_val("nats_Close", (), || OPEN.store(false, Ordering::Release))
}

/// Like `nats_Close`, and waits up to `timeout` milliseconds (0: no limit) until every
/// connection was destroyed and the shared delivery threads have ended. NATS_TIMEOUT when
/// that did not happen in time; NATS_INVALID_TIMEOUT for a negative timeout.
#[unsafe(no_mangle)]
pub extern "C" fn nats_CloseAndWait(timeout: i64) -> natsStatus {
    guard("nats_CloseAndWait", || {
        if timeout < 0 {
            return Err(crate::status::Error::new(natsStatus::NATS_INVALID_TIMEOUT, "timeout must not be negative"));
        }
        OPEN.store(false, Ordering::Release);
        let limit = (timeout > 0).then(|| Duration::from_millis(timeout as u64));
        let start = std::time::Instant::now();
        if !crate::conn::Connection::wait_all_destroyed(limit) {
            return Err(crate::status::Error::new(
                natsStatus::NATS_TIMEOUT,
                "connections are still alive: destroy them before closing the library",
            ));
        }
        let left = limit.map(|l| l.saturating_sub(start.elapsed()));
        if !crate::sub::dispatch::shutdown_pool(left) {
            return Err(crate::status::Error::new(natsStatus::NATS_TIMEOUT, "delivery threads did not stop in time"));
        }
        Ok(())
    })
}

/// Returns the version of the nats.c API this library emulates, as a static string ("3.4.1").
#[unsafe(no_mangle)]
pub extern "C" fn nats_GetVersion() -> *const c_char {
    API_VERSION.as_ptr()
}

/// Returns the emulated API version as a number: `(major << 16) | (minor << 8) | patch`.
#[unsafe(no_mangle)]
pub extern "C" fn nats_GetVersionNumber() -> u32 {
    API_VERSION_NUMBER
}

/// Checks that the headers a program was compiled with match this library. Use the
/// `nats_CheckCompatibility()` macro rather than calling this directly.
#[unsafe(no_mangle)]
pub extern "C" fn nats_CheckCompatibilityImpl(reqVerNumber: u32, verNumber: u32, verString: *const c_char) -> bool {
    let _ = verString;
    verNumber == API_VERSION_NUMBER && (API_REQUIRED_NUMBER..=API_VERSION_NUMBER).contains(&reqVerNumber)
}

/// Milliseconds since the Unix epoch.
#[unsafe(no_mangle)]
pub extern "C" fn nats_Now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// Nanoseconds since the Unix epoch.
#[unsafe(no_mangle)]
pub extern "C" fn nats_NowInNanoSeconds() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as i64).unwrap_or(0)
}

/// Sleeps the calling thread for `sleepTime` milliseconds (nothing for 0 or less).
#[unsafe(no_mangle)]
pub extern "C" fn nats_Sleep(sleepTime: i64) {
    if sleepTime > 0 {
        std::thread::sleep(Duration::from_millis(sleepTime as u64));
    }
}

/// Returns the text of the calling thread's last error, or NULL when the last call of this
/// thread succeeded. If `status` is not NULL it receives that error's status (NATS_OK when
/// there is none). The text stays valid until this thread's next library call.
#[unsafe(no_mangle)]
pub extern "C" fn nats_GetLastError(status: *mut natsStatus) -> *const c_char {
    guard_val("nats_GetLastError", std::ptr::null(), || {
        with_last_error(|e| {
            super::boundary::put(status, e.map_or(natsStatus::NATS_OK, |e| e.status));
            e.map_or(std::ptr::null(), |e| e.text.as_ptr())
        })
    })
}

fn last_error_stack() -> String {
    with_last_error(|e| match e {
        None => String::new(),
        Some(e) => format!(
            "{} ({}): {}\n  in {}\n",
            e.status.text().trim_end_matches('\0'),
            e.status as i32,
            e.text.to_string_lossy(),
            e.func
        ),
    })
}

/// Copies a description of the calling thread's last error (status, text and the function
/// that failed) into `buffer`. Empty when there is no error. NATS_INVALID_ARG for a NULL
/// buffer, NATS_INSUFFICIENT_BUFFER when `bufLen` is too small.
#[unsafe(no_mangle)]
pub extern "C" fn nats_GetLastErrorStack(buffer: *mut c_char, bufLen: usize) -> natsStatus {
    let text = last_error_stack();
    // Do not let this call clear the error it reports.
    match std::panic::catch_unwind(|| {
        if buffer.is_null() {
            return Err(invalid_arg("buffer must not be NULL"));
        }
        copy_to_buffer(text.as_bytes(), buffer, bufLen)
    }) {
        Ok(Ok(())) => natsStatus::NATS_OK,
        Ok(Err(e)) => e.status,
        Err(_) => natsStatus::NATS_ERR,
    }
}

/// Prints the calling thread's last error description to `file` (nothing when NULL or when
/// there is no error).
#[unsafe(no_mangle)]
pub extern "C" fn nats_PrintLastErrorStack(file: *mut libc::FILE) {
    let text = last_error_stack();
    if file.is_null() || text.is_empty() {
        return;
    }
    // SAFETY: `file` is a valid FILE* from the caller; we write `text.len()` bytes we own.
    unsafe {
        libc::fwrite(text.as_ptr() as *const libc::c_void, 1, text.len(), file);
        libc::fflush(file);
    }
}

/// Returns a static, human-readable text for a status (an "unknown status" text for a value
/// outside the enumeration).
#[unsafe(no_mangle)]
pub extern "C" fn natsStatus_GetText(s: natsStatusArg) -> *const c_char {
    match natsStatus::from_raw(s.0 as i64) {
        Some(st) => st.text().as_ptr() as *const c_char,
        None => c"Unknown Status".as_ptr(),
    }
}

/// Sets the maximum number of threads of the shared message-delivery pool (used by
/// connections with `natsOptions_UseGlobalMessageDelivery`). The pool only grows; `max` < 1
/// gives NATS_ERR.
#[unsafe(no_mangle)]
pub extern "C" fn nats_SetMessageDeliveryPoolSize(max: c_int) -> natsStatus {
    guard("nats_SetMessageDeliveryPoolSize", || {
        if max < 1 {
            // nats.c reports this one as a generic error.
            return Err(crate::status::Error::new(natsStatus::NATS_ERR, "the pool size must be at least 1"));
        }
        crate::sub::dispatch::set_pool_size(max as usize);
        Ok(())
    })
}

/// Releases what the library keeps for the calling thread (its last-error record). Call it
/// before a thread that used the library exits, if you wish; it is never required.
#[unsafe(no_mangle)]
pub extern "C" fn nats_ReleaseThreadMemory() {
    super::boundary::clear_error();
}
