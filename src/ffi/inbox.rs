//! Inboxes: unique subjects for replies.

use std::ffi::{c_char, CString};

use super::boundary::{guard, guard_val, invalid_arg, put};
use crate::status::natsStatus;

/// An inbox is a NUL-terminated string.
pub type natsInbox = c_char;

/// Creates a unique inbox subject (`_INBOX.<nuid>`); free it with `natsInbox_Destroy`.
#[unsafe(no_mangle)]
pub extern "C" fn natsInbox_Create(newInbox: *mut *mut natsInbox) -> natsStatus {
    guard("natsInbox_Create", || {
        if newInbox.is_null() {
            return Err(invalid_arg("newInbox must not be NULL"));
        }
        let s = format!("_INBOX.{}", nuid::next());
        let c = CString::new(s).map_err(|_| invalid_arg("inbox"))?;
        put(newInbox, c.into_raw());
        Ok(())
    })
}

/// Releases an inbox (NULL is ignored).
#[unsafe(no_mangle)]
pub extern "C" fn natsInbox_Destroy(inbox: *mut natsInbox) {
    guard_val("natsInbox_Destroy", (), || {
        if !inbox.is_null() {
            // SAFETY: created by natsInbox_Create (CString::into_raw), destroyed once.
            drop(unsafe { CString::from_raw(inbox) });
        }
    })
}
