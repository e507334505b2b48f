//! `natsSubscription`: created by the subscribe calls, owned by the caller, released with
//! `natsSubscription_Destroy` (which unsubscribes if still needed).

use std::ffi::{c_char, c_int};
use std::sync::Arc;

use super::boundary::{guard, guard_val, invalid_arg, non_null, put};
use super::msg::natsMsg;
use crate::conn::Connection;
use crate::status::{natsStatus, Result};
use crate::sub::Subscription;

/// A subscription (opaque).
pub struct natsSubscription {
    pub(crate) sub: Arc<Subscription>,
    pub(crate) conn: Connection,
}

fn sub_of<'a>(sub: *mut natsSubscription) -> Result<&'a natsSubscription> {
    non_null(sub as *const natsSubscription, "subscription")
}

/// Returns the next message of a synchronous subscription, waiting up to `timeout`
/// milliseconds (0: no wait). NATS_TIMEOUT when none arrived; NATS_SLOW_CONSUMER once after
/// messages were dropped; NATS_MAX_DELIVERED_MSGS past an auto-unsubscribe limit;
/// NATS_INVALID_SUBSCRIPTION after Unsubscribe; NATS_CONNECTION_CLOSED after Close;
/// NATS_ILLEGAL_STATE at once for an asynchronous subscription. The message belongs to the
/// caller (`natsMsg_Destroy`).
///
/// Once a subscription is no longer valid (unsubscribed, its auto-unsubscribe limit reached
/// and its last message handed out, or its connection closed), the other
/// `natsSubscription_*` calls that report a status return NATS_INVALID_SUBSCRIPTION, as in
/// nats.c (Unsubscribe and Drain give NATS_CONNECTION_CLOSED when the connection is closed).
#[unsafe(no_mangle)]
pub extern "C" fn natsSubscription_NextMsg(nextMsg: *mut *mut natsMsg, sub: *mut natsSubscription, timeout: i64) -> natsStatus {
    guard("natsSubscription_NextMsg", || {
        if nextMsg.is_null() {
            return Err(invalid_arg("nextMsg must not be NULL"));
        }
        put(nextMsg, std::ptr::null_mut());
        let s = sub_of(sub)?;
        s.sub.check_next()?;
        // As nats.c: zero or negative means "only what is already there".
        let m = s.sub.next_msg(timeout.max(0))?;
        put(nextMsg, super::msg::into_handle(m));
        Ok(())
    })
}

/// Removes interest in the subject; the subscription becomes invalid.
#[unsafe(no_mangle)]
pub extern "C" fn natsSubscription_Unsubscribe(sub: *mut natsSubscription) -> natsStatus {
    guard("natsSubscription_Unsubscribe", || {
        let s = sub_of(sub)?;
        s.conn.unsubscribe(&s.sub, None)?;
        // A JetStream subscription deletes the consumer it created.
        s.sub.hooks.get().map_or(Ok(()), |h| h.unsubscribed())
    })
}

/// Unsubscribes automatically after `max` messages in total have been received (max <= 0
/// gives NATS_INVALID_ARG).
#[unsafe(no_mangle)]
pub extern "C" fn natsSubscription_AutoUnsubscribe(sub: *mut natsSubscription, max: c_int) -> natsStatus {
    guard("natsSubscription_AutoUnsubscribe", || {
        let s = sub_of(sub)?;
        if max <= 0 {
            return Err(invalid_arg("max must be positive"));
        }
        s.conn.unsubscribe(&s.sub, Some(max as u64))
    })
}

/// True while the subscription can still deliver messages.
#[unsafe(no_mangle)]
pub extern "C" fn natsSubscription_IsValid(sub: *mut natsSubscription) -> bool {
    guard_val("natsSubscription_IsValid", false, || sub_of(sub).map(|s| s.sub.is_valid()).unwrap_or(false))
}

/// The subscription id (0 for NULL or a subscription no longer valid).
#[unsafe(no_mangle)]
pub extern "C" fn natsSubscription_GetID(sub: *mut natsSubscription) -> i64 {
    guard_val("natsSubscription_GetID", 0, || sub_of(sub).ok().filter(|s| s.sub.is_valid()).map_or(0, |s| s.sub.sid as i64))
}

/// The subject (owned by the subscription; NULL for NULL or a subscription no longer valid).
#[unsafe(no_mangle)]
pub extern "C" fn natsSubscription_GetSubject(sub: *mut natsSubscription) -> *const c_char {
    guard_val("natsSubscription_GetSubject", std::ptr::null(), || {
        sub_of(sub).ok().filter(|s| s.sub.is_valid()).map_or(std::ptr::null(), |s| s.sub.subject_c.as_ptr())
    })
}

/// Messages waiting to be consumed.
#[unsafe(no_mangle)]
pub extern "C" fn natsSubscription_QueuedMsgs(sub: *mut natsSubscription, queuedMsgs: *mut u64) -> natsStatus {
    guard("natsSubscription_QueuedMsgs", || {
        let s = sub_of(sub)?;
        if queuedMsgs.is_null() {
            return Err(invalid_arg("queuedMsgs must not be NULL"));
        }
        put(queuedMsgs, s.sub.queued()?);
        Ok(())
    })
}

/// Pending messages and bytes (either pointer may be NULL).
#[unsafe(no_mangle)]
pub extern "C" fn natsSubscription_GetPending(sub: *mut natsSubscription, msgs: *mut c_int, bytes: *mut c_int) -> natsStatus {
    guard("natsSubscription_GetPending", || {
        let s = sub_of(sub)?;
        let st = s.sub.stats()?;
        put(msgs, st.pending_msgs);
        put(bytes, st.pending_bytes);
        Ok(())
    })
}

/// Sets the pending limits (a negative value means no limit; 0 gives NATS_INVALID_ARG).
#[unsafe(no_mangle)]
pub extern "C" fn natsSubscription_SetPendingLimits(sub: *mut natsSubscription, msgLimit: c_int, bytesLimit: c_int) -> natsStatus {
    guard("natsSubscription_SetPendingLimits", || sub_of(sub)?.sub.set_pending_limits(msgLimit, bytesLimit as i64))
}

/// Gets the pending limits (either pointer may be NULL).
#[unsafe(no_mangle)]
pub extern "C" fn natsSubscription_GetPendingLimits(sub: *mut natsSubscription, msgLimit: *mut c_int, bytesLimit: *mut c_int) -> natsStatus {
    guard("natsSubscription_GetPendingLimits", || {
        let s = sub_of(sub)?;
        let (m, b) = s.sub.pending_limits()?;
        put(msgLimit, m);
        put(bytesLimit, i32::try_from(b).unwrap_or(i32::MAX));
        Ok(())
    })
}

/// Messages handed to the application so far.
#[unsafe(no_mangle)]
pub extern "C" fn natsSubscription_GetDelivered(sub: *mut natsSubscription, msgs: *mut i64) -> natsStatus {
    guard("natsSubscription_GetDelivered", || {
        let s = sub_of(sub)?;
        if msgs.is_null() {
            return Err(invalid_arg("msgs must not be NULL"));
        }
        put(msgs, s.sub.stats()?.delivered);
        Ok(())
    })
}

/// Messages dropped because the pending limits were reached.
#[unsafe(no_mangle)]
pub extern "C" fn natsSubscription_GetDropped(sub: *mut natsSubscription, msgs: *mut i64) -> natsStatus {
    guard("natsSubscription_GetDropped", || {
        let s = sub_of(sub)?;
        if msgs.is_null() {
            return Err(invalid_arg("msgs must not be NULL"));
        }
        put(msgs, s.sub.stats()?.dropped);
        Ok(())
    })
}

/// The highest number of pending messages and bytes seen (either pointer may be NULL).
#[unsafe(no_mangle)]
pub extern "C" fn natsSubscription_GetMaxPending(sub: *mut natsSubscription, msgs: *mut c_int, bytes: *mut c_int) -> natsStatus {
    guard("natsSubscription_GetMaxPending", || {
        let s = sub_of(sub)?;
        let st = s.sub.stats()?;
        put(msgs, st.max_pending_msgs);
        put(bytes, st.max_pending_bytes);
        Ok(())
    })
}

/// Resets the highest pending values to 0.
#[unsafe(no_mangle)]
pub extern "C" fn natsSubscription_ClearMaxPending(sub: *mut natsSubscription) -> natsStatus {
    guard("natsSubscription_ClearMaxPending", || sub_of(sub)?.sub.clear_max_pending())
}

/// All statistics at once; any pointer may be NULL.
#[unsafe(no_mangle)]
pub extern "C" fn natsSubscription_GetStats(
    sub: *mut natsSubscription,
    pendingMsgs: *mut c_int,
    pendingBytes: *mut c_int,
    maxPendingMsgs: *mut c_int,
    maxPendingBytes: *mut c_int,
    deliveredMsgs: *mut i64,
    droppedMsgs: *mut i64,
) -> natsStatus {
    guard("natsSubscription_GetStats", || {
        let st = sub_of(sub)?.sub.stats()?;
        put(pendingMsgs, st.pending_msgs);
        put(pendingBytes, st.pending_bytes);
        put(maxPendingMsgs, st.max_pending_msgs);
        put(maxPendingBytes, st.max_pending_bytes);
        put(deliveredMsgs, st.delivered);
        put(droppedMsgs, st.dropped);
        Ok(())
    })
}

/// Unsubscribes if still valid and releases the subscription (NULL is ignored). Pending
/// messages are discarded.
#[unsafe(no_mangle)]
pub extern "C" fn natsSubscription_Destroy(sub: *mut natsSubscription) {
    guard_val("natsSubscription_Destroy", (), || {
        if sub.is_null() {
            return;
        }
        // SAFETY: `sub` came from a subscribe call and is destroyed once by its owner.
        let h = unsafe { Box::from_raw(sub) };
        h.sub.handle.store(0, std::sync::atomic::Ordering::Release);
        if h.sub.closed_reason().is_none() {
            let _ = h.conn.unsubscribe(&h.sub, None);
        }
        h.sub.close(natsStatus::NATS_INVALID_SUBSCRIPTION);
        // No handler of this subscription runs once Destroy has returned (unless Destroy is
        // called from that handler).
        h.sub.stop_delivery();
        drop(h);
    })
}

/// Callback run once when a subscription has completed (drained, unsubscribed or closed and
/// its last message handled).
pub type natsOnCompleteCB = Option<unsafe extern "C" fn(closure: *mut std::ffi::c_void)>;

/// Deprecated in nats.c and not needed here: messages are always handed over at once.
/// Returns NATS_OK for any subscription, valid or not (as nats.c); NATS_INVALID_ARG for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn natsSubscription_NoDeliveryDelay(sub: *mut natsSubscription) -> natsStatus {
    guard("natsSubscription_NoDeliveryDelay", || sub_of(sub).map(|_| ()))
}

/// Drains the subscription: no new messages are accepted, those already sent by the server
/// are delivered, then the subscription ends. Returns at once; see
/// `natsSubscription_WaitForDrainCompletion`.
#[unsafe(no_mangle)]
pub extern "C" fn natsSubscription_Drain(sub: *mut natsSubscription) -> natsStatus {
    guard("natsSubscription_Drain", || {
        let s = sub_of(sub)?;
        s.conn.drain_subscription(&s.sub, 0)
    })
}

/// Like `natsSubscription_Drain`, ending with NATS_TIMEOUT as completion status (and the
/// error handler called) if not done within `timeout` milliseconds (<= 0: no limit).
#[unsafe(no_mangle)]
pub extern "C" fn natsSubscription_DrainTimeout(sub: *mut natsSubscription, timeout: i64) -> natsStatus {
    guard("natsSubscription_DrainTimeout", || {
        let s = sub_of(sub)?;
        s.conn.drain_subscription(&s.sub, timeout)
    })
}

/// Waits until the drain of this subscription completed (timeout in ms; <= 0: no limit).
/// NATS_ILLEGAL_STATE when no drain was started, NATS_TIMEOUT when it did not complete in time.
#[unsafe(no_mangle)]
pub extern "C" fn natsSubscription_WaitForDrainCompletion(sub: *mut natsSubscription, timeout: i64) -> natsStatus {
    guard("natsSubscription_WaitForDrainCompletion", || sub_of(sub)?.sub.wait_drain_completion(timeout))
}

/// The status the drain completed with (NATS_OK, NATS_TIMEOUT...); NATS_ILLEGAL_STATE while
/// no drain has completed.
#[unsafe(no_mangle)]
pub extern "C" fn natsSubscription_DrainCompletionStatus(sub: *mut natsSubscription) -> natsStatus {
    guard_val("natsSubscription_DrainCompletionStatus", natsStatus::NATS_INVALID_ARG, || match sub_of(sub) {
        Ok(s) => s.sub.drain_completion_status(),
        Err(e) => {
            super::boundary::set_error("natsSubscription_DrainCompletionStatus", &e);
            e.status
        }
    })
}

/// Sets the completion callback of an asynchronous subscription (NULL removes it). It runs on
/// the delivery (or drain) thread after the last message was handled.
#[unsafe(no_mangle)]
pub extern "C" fn natsSubscription_SetOnCompleteCB(sub: *mut natsSubscription, cb: natsOnCompleteCB, closure: *mut std::ffi::c_void) -> natsStatus {
    guard("natsSubscription_SetOnCompleteCB", || {
        let s = sub_of(sub)?;
        if !s.sub.is_async() {
            return Err(crate::status::Error::new(
                natsStatus::NATS_INVALID_SUBSCRIPTION,
                "the completion callback is for asynchronous subscriptions",
            ));
        }
        let c = closure as usize;
        let f = cb.map(|f| {
            Arc::new(move || {
                // SAFETY: the user's callback with its closure.
                unsafe { f(c as *mut std::ffi::c_void) }
            }) as crate::sub::CompleteHandler
        });
        s.sub.set_on_complete(f)
    })
}
