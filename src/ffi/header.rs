//! `natsMsgHeader_*`: headers of a message; strings returned stay owned by the message.

use std::ffi::{c_char, c_int};

use super::boundary::{guard, invalid_arg, put, req_str};
use super::msg::natsMsg;
use crate::msg::MsgBody;
use crate::status::{natsStatus, Error, Result};

fn msg_mut<'a>(msg: *mut natsMsg) -> Result<&'a mut MsgBody> {
    super::msg::body_arg_mut(msg, "msg")
}

fn key_arg<'a>(key: *const c_char) -> Result<&'a str> {
    let k = req_str(key, "key", natsStatus::NATS_INVALID_ARG)?;
    if k.is_empty() {
        return Err(invalid_arg("key must not be empty"));
    }
    Ok(k)
}

fn not_found(key: &str) -> Error {
    Error::new(natsStatus::NATS_NOT_FOUND, format!("no header '{key}'"))
}

/// Sets `key` to `value`, replacing its values (keys are case-sensitive). NULL or empty key,
/// or a value with CR/LF: NATS_INVALID_ARG.
#[unsafe(no_mangle)]
pub extern "C" fn natsMsgHeader_Set(msg: *mut natsMsg, key: *const c_char, value: *const c_char) -> natsStatus {
    guard("natsMsgHeader_Set", || {
        let m = msg_mut(msg)?;
        let k = key_arg(key)?;
        let v = super::boundary::opt_str(value, "value", natsStatus::NATS_INVALID_ARG)?.unwrap_or("");
        m.headers_mut().set(k, v)
    })
}

/// Adds `value` to the values of `key`.
#[unsafe(no_mangle)]
pub extern "C" fn natsMsgHeader_Add(msg: *mut natsMsg, key: *const c_char, value: *const c_char) -> natsStatus {
    guard("natsMsgHeader_Add", || {
        let m = msg_mut(msg)?;
        let k = key_arg(key)?;
        let v = super::boundary::opt_str(value, "value", natsStatus::NATS_INVALID_ARG)?.unwrap_or("");
        m.headers_mut().add(k, v)
    })
}

/// The first value of `key` (owned by the message). NATS_NOT_FOUND when absent.
#[unsafe(no_mangle)]
pub extern "C" fn natsMsgHeader_Get(msg: *mut natsMsg, key: *const c_char, value: *mut *const c_char) -> natsStatus {
    guard("natsMsgHeader_Get", || {
        let m = msg_mut(msg)?;
        let k = key_arg(key)?;
        if value.is_null() {
            return Err(invalid_arg("value must not be NULL"));
        }
        put(value, std::ptr::null());
        let v = m.headers().and_then(|h| h.get(k)).ok_or_else(|| not_found(k))?;
        put(value, v.as_ptr());
        Ok(())
    })
}

fn malloc_ptr_array(items: &[*const c_char]) -> Result<*mut *const c_char> {
    // SAFETY: plain allocation, checked below; filled with `items.len()` pointers.
    let arr = unsafe { libc::malloc(items.len().max(1) * std::mem::size_of::<*const c_char>()) } as *mut *const c_char;
    if arr.is_null() {
        return Err(Error::new(natsStatus::NATS_NO_MEMORY, "out of memory"));
    }
    for (i, p) in items.iter().enumerate() {
        // SAFETY: in bounds of the allocation above.
        unsafe { *arr.add(i) = *p };
    }
    Ok(arr)
}

/// Every value of `key`: `*values` is a malloc'ed array the caller frees with `free()` (the
/// strings belong to the message). NATS_NOT_FOUND when absent.
#[unsafe(no_mangle)]
pub extern "C" fn natsMsgHeader_Values(msg: *mut natsMsg, key: *const c_char, values: *mut *mut *const c_char, count: *mut c_int) -> natsStatus {
    guard("natsMsgHeader_Values", || {
        let m = msg_mut(msg)?;
        let k = key_arg(key)?;
        if values.is_null() || count.is_null() {
            return Err(invalid_arg("values and count must not be NULL"));
        }
        put(values, std::ptr::null_mut());
        put(count, 0);
        let vs = m.headers().and_then(|h| h.values(k)).ok_or_else(|| not_found(k))?;
        let ptrs: Vec<*const c_char> = vs.iter().map(|v| v.as_ptr()).collect();
        put(values, malloc_ptr_array(&ptrs)?);
        put(count, ptrs.len() as c_int);
        Ok(())
    })
}

/// Every key: `*keys` is a malloc'ed array the caller frees with `free()`. NATS_NOT_FOUND
/// when the message has no headers.
#[unsafe(no_mangle)]
pub extern "C" fn natsMsgHeader_Keys(msg: *mut natsMsg, keys: *mut *mut *const c_char, count: *mut c_int) -> natsStatus {
    guard("natsMsgHeader_Keys", || {
        let m = msg_mut(msg)?;
        if keys.is_null() || count.is_null() {
            return Err(invalid_arg("keys and count must not be NULL"));
        }
        put(keys, std::ptr::null_mut());
        put(count, 0);
        let h = m.headers().filter(|h| !h.is_empty()).ok_or_else(|| Error::new(natsStatus::NATS_NOT_FOUND, "the message has no headers"))?;
        let ptrs: Vec<*const c_char> = h.keys().map(|k| k.as_ptr()).collect();
        put(keys, malloc_ptr_array(&ptrs)?);
        put(count, ptrs.len() as c_int);
        Ok(())
    })
}

/// Removes `key`. NATS_NOT_FOUND when absent.
#[unsafe(no_mangle)]
pub extern "C" fn natsMsgHeader_Delete(msg: *mut natsMsg, key: *const c_char) -> natsStatus {
    guard("natsMsgHeader_Delete", || {
        let m = msg_mut(msg)?;
        let k = key_arg(key)?;
        let removed = m.headers_mut().delete(k);
        if !removed {
            return Err(not_found(k));
        }
        Ok(())
    })
}
