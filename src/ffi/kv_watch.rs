//! Key/Value watchers at the C boundary.

use super::boundary::{guard, guard_val, invalid_arg, put};
use super::kv::guard_kv;
use super::kv_entry::{entry_handle, kvEntry};
use crate::kv::Watcher;
use crate::status::natsStatus;

/// A watcher of a bucket's keys (opaque).
pub struct kvWatcher {
    w: Watcher,
}

pub(crate) fn watcher_handle(w: Watcher) -> *mut kvWatcher {
    Box::into_raw(Box::new(kvWatcher { w }))
}

/// The next entry in `*new_entry` (free it with `kvEntry_Destroy`), waiting up to `timeout`
/// ms (> 0). Once, when every initial value has been given (at once when there was none),
/// the entry is NULL with NATS_OK. NATS_TIMEOUT when nothing came in time;
/// NATS_ILLEGAL_STATE once the watcher is stopped, also for a call blocked in here when
/// kvWatcher_Stop is called from another thread.
#[unsafe(no_mangle)]
pub extern "C" fn kvWatcher_Next(new_entry: *mut *mut kvEntry, w: *mut kvWatcher, timeout: i64) -> natsStatus {
    guard_kv("kvWatcher_Next", false, || {
        if new_entry.is_null() {
            return Err(invalid_arg("the entry out-pointer must not be NULL").into());
        }
        put(new_entry, std::ptr::null_mut());
        // SAFETY: a non-NULL handle is a live kvWatcher.
        let Some(h) = (unsafe { w.as_ref() }) else { return Err(invalid_arg("kvWatcher must not be NULL").into()) };
        if timeout <= 0 {
            return Err(invalid_arg(format!("the timeout must be positive (got {timeout})")).into());
        }
        // Our own reference: the handle may be destroyed by another thread meanwhile.
        let watcher = h.w.clone();
        if let Some(e) = watcher.next(timeout)? {
            put(new_entry, entry_handle(e));
        }
        Ok(())
    })
}

/// Stops the watcher: its subscription ends and its consumer is deleted; pending and
/// future kvWatcher_Next calls return NATS_ILLEGAL_STATE. Stopping again is NATS_OK.
#[unsafe(no_mangle)]
pub extern "C" fn kvWatcher_Stop(w: *mut kvWatcher) -> natsStatus {
    guard("kvWatcher_Stop", || {
        // SAFETY: a non-NULL handle is a live kvWatcher.
        let h = unsafe { w.as_ref() }.ok_or_else(|| invalid_arg("kvWatcher must not be NULL"))?;
        h.w.stop();
        Ok(())
    })
}

/// Stops the watcher (see kvWatcher_Stop) and frees it, with whatever it had received and
/// not handed out (NULL: nothing).
#[unsafe(no_mangle)]
pub extern "C" fn kvWatcher_Destroy(w: *mut kvWatcher) {
    guard_val("kvWatcher_Destroy", (), || {
        if !w.is_null() {
            // SAFETY: a non-NULL watcher was made by kvStore_Watch(All) and is destroyed once.
            let h = unsafe { Box::from_raw(w) };
            h.w.stop();
        }
    })
}
