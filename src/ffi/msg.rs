//! `natsMsg`: owned by whoever received or created it, released with `natsMsg_Destroy`.

use std::ffi::{c_char, c_int};

use super::boundary::{data as data_arg, guard, guard_val, invalid_arg, put, req_str};
use crate::msg::{Msg, MsgBody};
use crate::proto::subject::{check_publish_subject, check_reply_subject};
use crate::status::{natsStatus, Error, Result};

// A handle points at the message's boxed body (`MsgBody`): handing a message to C
// allocates nothing.
/// A message (opaque).
pub struct natsMsg {
    _body: [u8; 0],
}

/// The handle of `m`; `natsMsg_Destroy` (or `take_handle`) gives it back.
pub(crate) fn into_handle(m: Msg) -> *mut natsMsg {
    Box::into_raw(m.into_body()).cast::<natsMsg>()
}

/// The message of a handle made by `into_handle`, which must not be used again.
///
/// # Safety
/// `p` is non-NULL, came from `into_handle` and has not been given back before.
pub(crate) unsafe fn take_handle(p: *mut natsMsg) -> Msg {
    // SAFETY: per the contract, `p` is a `Box<MsgBody>` turned into a raw pointer.
    Msg::from_body(unsafe { Box::from_raw(p.cast::<MsgBody>()) })
}

/// The message behind a handle, for the call.
fn body_of<'a>(p: *const natsMsg) -> Option<&'a MsgBody> {
    // SAFETY: a non-NULL message pointer came from `into_handle` and is valid for the call
    // (caller contract).
    unsafe { p.cast::<MsgBody>().as_ref() }
}

/// A required message argument (`what` names it in the error).
pub(crate) fn body_arg<'a>(p: *const natsMsg, what: &str) -> Result<&'a MsgBody> {
    body_of(p).ok_or_else(|| invalid_arg(format!("{what} must not be NULL")))
}

/// A required message argument, to change.
pub(crate) fn body_arg_mut<'a>(p: *mut natsMsg, what: &str) -> Result<&'a mut MsgBody> {
    // SAFETY: as `body_of`; the caller owns the message for the call.
    unsafe { p.cast::<MsgBody>().as_mut() }.ok_or_else(|| invalid_arg(format!("{what} must not be NULL")))
}

/// Creates a message to publish with `natsConnection_PublishMsg`. `reply` may be NULL;
/// `data` may be NULL only with `dataLen` 0. The message copies everything.
#[unsafe(no_mangle)]
pub extern "C" fn natsMsg_Create(newMsg: *mut *mut natsMsg, subj: *const c_char, reply: *const c_char, data: *const c_char, dataLen: c_int) -> natsStatus {
    guard("natsMsg_Create", || {
        if newMsg.is_null() {
            return Err(invalid_arg("newMsg must not be NULL"));
        }
        put(newMsg, std::ptr::null_mut());
        let s = req_str(subj, "subject", natsStatus::NATS_INVALID_ARG)?;
        if s.is_empty() {
            return Err(invalid_arg("subject must not be empty"));
        }
        check_publish_subject(s).map_err(|e| Error::new(natsStatus::NATS_INVALID_SUBJECT, e.text))?;
        let r = super::boundary::opt_str(reply, "reply", natsStatus::NATS_INVALID_ARG)?;
        if let Some(r) = r {
            if r.is_empty() {
                return Err(invalid_arg("reply must be NULL or a subject, not empty"));
            }
            check_reply_subject(r)?;
        }
        let d = data_arg(data as *const u8, dataLen)?;
        put(newMsg, into_handle(Msg::new(s.as_bytes(), r.map(str::as_bytes), d)));
        Ok(())
    })
}

/// The subject (owned by the message; NULL for NULL).
#[unsafe(no_mangle)]
pub extern "C" fn natsMsg_GetSubject(msg: *const natsMsg) -> *const c_char {
    guard_val("natsMsg_GetSubject", std::ptr::null(), || body_of(msg).map_or(std::ptr::null(), |m| m.subject_cstr().as_ptr()))
}

/// The reply subject (NULL when none).
#[unsafe(no_mangle)]
pub extern "C" fn natsMsg_GetReply(msg: *const natsMsg) -> *const c_char {
    guard_val("natsMsg_GetReply", std::ptr::null(), || {
        body_of(msg).and_then(|m| m.reply_cstr()).map_or(std::ptr::null(), |r| r.as_ptr())
    })
}

/// The payload; always followed by a NUL byte, so a text payload can be used as a C string.
#[unsafe(no_mangle)]
pub extern "C" fn natsMsg_GetData(msg: *const natsMsg) -> *const c_char {
    guard_val("natsMsg_GetData", std::ptr::null(), || {
        body_of(msg).map_or(std::ptr::null(), |m| m.data_with_nul().as_ptr() as *const c_char)
    })
}

/// The payload length in bytes (0 for NULL).
#[unsafe(no_mangle)]
pub extern "C" fn natsMsg_GetDataLength(msg: *const natsMsg) -> c_int {
    guard_val("natsMsg_GetDataLength", 0, || body_of(msg).map_or(0, |m| m.data().len() as i32))
}

/// Releases a message (NULL is ignored).
#[unsafe(no_mangle)]
pub extern "C" fn natsMsg_Destroy(msg: *mut natsMsg) {
    guard_val("natsMsg_Destroy", (), || {
        // A message lent to a JetStream handler is freed by the library after the handler.
        if !msg.is_null() && !body_of(msg).is_some_and(|b| b.js.no_destroy) {
            // SAFETY: the message came from NextMsg or natsMsg_Create; destroyed once.
            drop(unsafe { take_handle(msg) });
        }
    })
}

/// True when the message is the server's "no responders" answer to a request (status 503,
/// no data).
#[unsafe(no_mangle)]
pub extern "C" fn natsMsg_IsNoResponders(msg: *mut natsMsg) -> bool {
    guard_val("natsMsg_IsNoResponders", false, || body_of(msg).is_some_and(|m| m.is_no_responders()))
}

/// A list of messages (as returned by batch APIs).
#[repr(C)]
pub struct natsMsgList {
    pub Msgs: *mut *mut natsMsg,
    pub Count: c_int,
}

/// Destroys every message of the list and frees its malloc'ed array; the list itself (often
/// on the stack) is reset, not freed. NULL is ignored.
#[unsafe(no_mangle)]
pub extern "C" fn natsMsgList_Destroy(list: *mut natsMsgList) {
    guard_val("natsMsgList_Destroy", (), || {
        // SAFETY: a non-NULL list is valid and its array holds `Count` message pointers.
        let Some(l) = (unsafe { list.as_mut() }) else { return };
        if !l.Msgs.is_null() {
            for i in 0..l.Count.max(0) as usize {
                // SAFETY: within the array; each entry is a message or NULL.
                let m = unsafe { *l.Msgs.add(i) };
                natsMsg_Destroy(m);
            }
            // SAFETY: the array was allocated with malloc.
            unsafe { libc::free(l.Msgs as *mut libc::c_void) };
        }
        l.Msgs = std::ptr::null_mut();
        l.Count = 0;
    })
}
