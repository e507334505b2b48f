//! JetStream publish: `js_Publish`, `js_PublishMsg` (wait for the stream's ack) and the
//! asynchronous family (`js_PublishAsync`, `js_PublishMsgAsync`, `js_PublishAsyncComplete`,
//! `js_PublishAsyncGetPendingList`), plus the conversion of `jsOptions.PublishAsync` (the
//! window and the handlers) used when a context is made.

use std::ffi::{c_char, c_int, c_void, CString};
use std::sync::Arc;

use super::context::{ctx_of, guard_js};
use super::enums::jsErrCodeRaw;
use super::handles::jsCtx;
use super::owned::Builder;
use super::types_context::{jsOptionsPublishAsync, jsPubAck, jsPubAckErr};
use super::types_stream::jsPubOptions;
use crate::ffi::boundary::{data as data_arg, invalid_arg, opt_str, put};
use crate::ffi::msg::{body_arg_mut, into_handle, natsMsg, natsMsgList, take_handle};
use crate::js::publish_async::AckHandler;
use crate::js::{JsError, JsResult, PubAck, PubOptions, PublishAsyncOptions};
use crate::msg::Msg;
use crate::status::{natsStatus, Error};

fn opt_string(p: *const c_char, what: &str) -> Result<Option<String>, Error> {
    Ok(opt_str(p, what, natsStatus::NATS_INVALID_ARG)?.filter(|s| !s.is_empty()).map(str::to_string))
}

/// The options of one publish call (NULL: none). Strings are copied.
fn pub_opts(opts: *const jsPubOptions) -> JsResult<Option<PubOptions>> {
    // SAFETY: a non-NULL options pointer from C points to a jsPubOptions valid for the call.
    let Some(o) = (unsafe { opts.as_ref() }) else { return Ok(None) };
    Ok(Some(PubOptions {
        max_wait_ms: o.MaxWait,
        msg_id: opt_string(o.MsgId, "jsPubOptions.MsgId")?,
        expect_stream: opt_string(o.ExpectStream, "jsPubOptions.ExpectStream")?,
        expect_last_msg_id: opt_string(o.ExpectLastMsgId, "jsPubOptions.ExpectLastMsgId")?,
        expect_last_seq: o.ExpectLastSeq,
        expect_last_subject_seq: o.ExpectLastSubjectSeq,
        expect_no_message: o.ExpectNoMessage,
    }))
}

/// Hands an ack to C as a `jsPubAck` that `jsPubAck_Destroy` frees.
fn pub_ack_out(a: &PubAck) -> *mut jsPubAck {
    let b = Builder::new();
    let value = jsPubAck {
        Stream: b.str(&a.stream),
        Sequence: a.seq,
        Domain: b.opt_str(a.domain.as_deref().filter(|d| !d.is_empty())),
        Duplicate: a.duplicate,
    };
    b.finish(value)
}

fn js_invalid(text: &str) -> JsError {
    JsError::from(invalid_arg(text))
}

/// Publishes `dataLen` bytes of `data` (NULL only with 0) to `subj` on JetStream and waits
/// for the stream's acknowledgment: up to `opts->MaxWait` milliseconds, else the context's
/// Wait. `opts` may be NULL; its MsgId and Expect* fields become headers the stream checks.
/// On success `*pubAck` (when `pubAck` is not NULL) receives an ack to free with
/// `jsPubAck_Destroy`. A failed expectation is NATS_ERR with the server's text and
/// `*errCode` (when not NULL) set to its code; a subject no stream listens on is
/// NATS_NO_RESPONDERS at once. Blocks the calling thread for one round trip.
#[unsafe(no_mangle)]
pub extern "C" fn js_Publish(
    pubAck: *mut *mut jsPubAck,
    js: *mut jsCtx,
    subj: *const c_char,
    data: *const c_void,
    dataLen: c_int,
    opts: *mut jsPubOptions,
    errCode: *mut jsErrCodeRaw,
) -> natsStatus {
    guard_js("js_Publish", errCode, || {
        put(pubAck, std::ptr::null_mut());
        let ctx = ctx_of(js)?;
        let subject = opt_str(subj, "subject", natsStatus::NATS_INVALID_ARG)?.unwrap_or("");
        if subject.is_empty() {
            return Err(js_invalid("the subject must not be NULL or empty"));
        }
        let d = data_arg(data as *const u8, dataLen)?;
        let o = pub_opts(opts)?;
        let ack = ctx.publish(subject, d, o.as_ref())?;
        if !pubAck.is_null() {
            put(pubAck, pub_ack_out(&ack));
        }
        Ok(())
    })
}

/// Publishes `msg` (which stays the caller's) on JetStream and waits for the stream's
/// acknowledgment; see `js_Publish`. The options' headers are set on `msg` itself, as
/// nats.c does.
#[unsafe(no_mangle)]
pub extern "C" fn js_PublishMsg(
    pubAck: *mut *mut jsPubAck,
    js: *mut jsCtx,
    msg: *mut natsMsg,
    opts: *mut jsPubOptions,
    errCode: *mut jsErrCodeRaw,
) -> natsStatus {
    guard_js("js_PublishMsg", errCode, || {
        put(pubAck, std::ptr::null_mut());
        let ctx = ctx_of(js)?;
        let m = body_arg_mut(msg, "message")?;
        let o = pub_opts(opts)?;
        let ack = ctx.publish_msg(m, o.as_ref())?;
        if !pubAck.is_null() {
            put(pubAck, pub_ack_out(&ack));
        }
        Ok(())
    })
}

/// Publishes `dataLen` bytes of `data` to `subj` on JetStream without waiting for the
/// acknowledgment; see `js_PublishMsgAsync`.
#[unsafe(no_mangle)]
pub extern "C" fn js_PublishAsync(
    js: *mut jsCtx,
    subj: *const c_char,
    data: *const c_void,
    dataLen: c_int,
    opts: *mut jsPubOptions,
) -> natsStatus {
    guard_js("js_PublishAsync", std::ptr::null_mut(), || {
        let subject = opt_str(subj, "subject", natsStatus::NATS_INVALID_ARG)?.unwrap_or("");
        if subject.is_empty() {
            return Err(js_invalid("the subject must not be NULL or empty"));
        }
        let d = data_arg(data as *const u8, dataLen)?;
        let ctx = ctx_of(js)?;
        let o = pub_opts(opts)?;
        ctx.publish_async(Msg::new(subject.as_bytes(), None, d), o.as_ref()).map_err(|(e, _)| e)
    })
}

/// Publishes `*msg` on JetStream without waiting for the acknowledgment. On success the
/// library owns the message and sets `*msg` to NULL (so a following `natsMsg_Destroy(*msg)`
/// does nothing); on failure the message stays the caller's. The outcome goes to the
/// context's AckHandler (or ErrHandler for failures) on the context's acknowledgment
/// thread. With `jsOptions.PublishAsync.MaxPending` messages in flight, the call waits up
/// to StallWait for room, then fails with NATS_TIMEOUT. `opts->MaxWait` (when > 0) bounds
/// the wait for this message's ack: past it, the handler gets NATS_TIMEOUT.
#[unsafe(no_mangle)]
pub extern "C" fn js_PublishMsgAsync(js: *mut jsCtx, msg: *mut *mut natsMsg, opts: *mut jsPubOptions) -> natsStatus {
    guard_js("js_PublishMsgAsync", std::ptr::null_mut(), || {
        let ctx = ctx_of(js)?;
        if msg.is_null() {
            return Err(js_invalid("the message pointer must not be NULL"));
        }
        // SAFETY: `msg` is non-NULL and points to the caller's message pointer.
        let handle = unsafe { *msg };
        if handle.is_null() {
            return Err(js_invalid("the message must not be NULL"));
        }
        let o = pub_opts(opts)?;
        // SAFETY: `handle` is a live message the caller owns; it is given back (the same
        // box, at the same address) when the publish fails.
        let m = unsafe { take_handle(handle) };
        match ctx.publish_async(m, o.as_ref()) {
            Ok(()) => {
                put(msg, std::ptr::null_mut());
                Ok(())
            }
            Err((e, back)) => {
                let p = into_handle(back);
                put(msg, p);
                Err(e)
            }
        }
    })
}

/// Waits until every asynchronously published message got its outcome (and its handler
/// returned). `opts->MaxWait` (milliseconds) bounds the wait: NATS_TIMEOUT past it; without
/// it the wait has no limit. A closed connection ends the wait with
/// NATS_CONNECTION_CLOSED (the messages stay pending, see js_PublishAsyncGetPendingList).
#[unsafe(no_mangle)]
pub extern "C" fn js_PublishAsyncComplete(js: *mut jsCtx, opts: *mut jsPubOptions) -> natsStatus {
    guard_js("js_PublishAsyncComplete", std::ptr::null_mut(), || {
        let ctx = ctx_of(js)?;
        let o = pub_opts(opts)?;
        ctx.publish_async_complete(o.as_ref())
    })
}

/// Hands back the asynchronously published messages still waiting for their ack, in
/// publish order, in `*pending` (the array and the messages are the caller's: free them
/// with `natsMsgList_Destroy`). Their acks, should they come, are ignored. NATS_NOT_FOUND
/// (and `*pending` untouched) when there is none.
#[unsafe(no_mangle)]
pub extern "C" fn js_PublishAsyncGetPendingList(pending: *mut natsMsgList, js: *mut jsCtx) -> natsStatus {
    guard_js("js_PublishAsyncGetPendingList", std::ptr::null_mut(), || {
        if pending.is_null() {
            return Err(js_invalid("the list must not be NULL"));
        }
        let ctx = ctx_of(js)?;
        let msgs = ctx.publish_async_pending()?;
        let n = msgs.len();
        // SAFETY: plain allocation, checked below; natsMsgList_Destroy frees it with free().
        let arr = unsafe { libc::malloc(n * std::mem::size_of::<*mut natsMsg>()) } as *mut *mut natsMsg;
        if arr.is_null() {
            // The messages cannot be handed over: they are dropped.
            return Err(JsError::new(natsStatus::NATS_NO_MEMORY, "out of memory"));
        }
        for (i, m) in msgs.into_iter().enumerate() {
            // SAFETY: `arr` holds `n` pointers.
            unsafe { arr.add(i).write(into_handle(m)) };
        }
        put(pending, natsMsgList { Msgs: arr, Count: n as c_int });
        Ok(())
    })
}

/// A pointer that crosses to the ack thread (the C closure the application gave).
#[derive(Clone, Copy)]
struct Closure(usize);

/// `jsOptions.PublishAsync` as the core takes it: the window, the stall wait, and the C
/// handler wrapped for the context's ack thread (AckHandler wins over ErrHandler, as in
/// nats.c).
pub(crate) fn publish_async_options(o: &jsOptionsPublishAsync) -> PublishAsyncOptions {
    PublishAsyncOptions { max_pending: o.MaxPending, handler: c_handler(o), stall_wait_ms: o.StallWait }
}

fn c_handler(o: &jsOptionsPublishAsync) -> Option<AckHandler> {
    if let Some(cb) = o.AckHandler {
        let closure = Closure(o.AckHandlerClosure as usize);
        return Some(Arc::new(move |js: usize, msg: Msg, r: Result<PubAck, JsError>| {
            let closure = closure;
            // The handler owns the message (nats.c's AckHandler contract).
            let m = into_handle(msg);
            match r {
                Ok(a) => {
                    let stream = CString::new(a.stream.replace('\0', "")).unwrap_or_default();
                    let domain = a.domain.map(|d| CString::new(d.replace('\0', "")).unwrap_or_default());
                    let mut pa = jsPubAck {
                        Stream: stream.as_ptr() as *mut c_char,
                        Sequence: a.seq,
                        Domain: domain.as_ref().map_or(std::ptr::null_mut(), |d| d.as_ptr() as *mut c_char),
                        Duplicate: a.duplicate,
                    };
                    // SAFETY: a C function pointer the application registered; the ack and
                    // its strings live until it returns.
                    unsafe { cb(js as *mut jsCtx, m, &mut pa, std::ptr::null_mut(), closure.0 as *mut c_void) };
                }
                Err(e) => {
                    let text = CString::new(e.err.text.replace('\0', " ")).unwrap_or_default();
                    let mut pae = jsPubAckErr {
                        Msg: std::ptr::null_mut(),
                        Err: e.status().into(),
                        ErrCode: jsErrCodeRaw(e.code as c_int),
                        ErrText: text.as_ptr(),
                    };
                    // SAFETY: as above.
                    unsafe { cb(js as *mut jsCtx, m, std::ptr::null_mut(), &mut pae, closure.0 as *mut c_void) };
                }
            }
        }));
    }
    if let Some(cb) = o.ErrHandler {
        let closure = Closure(o.ErrHandlerClosure as usize);
        return Some(Arc::new(move |js: usize, msg: Msg, r: Result<PubAck, JsError>| {
            let closure = closure;
            let Err(e) = r else { return };
            let m = into_handle(msg);
            let text = CString::new(e.err.text.replace('\0', " ")).unwrap_or_default();
            let mut pae =
                jsPubAckErr { Msg: m, Err: e.status().into(), ErrCode: jsErrCodeRaw(e.code as c_int), ErrText: text.as_ptr() };
            // SAFETY: a C function pointer the application registered; `pae` lives until it
            // returns.
            unsafe { cb(js as *mut jsCtx, &mut pae, closure.0 as *mut c_void) };
            // The library destroys the message unless the handler took it (resent it with
            // js_PublishMsgAsync, which clears pae->Msg).
            if pae.Msg == m {
                // SAFETY: still the message handed out above, not given to anyone else.
                drop(unsafe { take_handle(m) });
            }
        }));
    }
    None
}
