//! The JetStream subscribe functions (push, pull), fetching, and what a JetStream
//! subscription tells about its consumer. The subscriptions are ordinary
//! `natsSubscription` handles (NextMsg, Unsubscribe, Drain, Destroy work on them).

use std::ffi::{c_char, c_int, c_void};
use std::sync::Arc;

use super::consumer_mgmt::{ack_of, deliver_of, replay_of};
use super::context::{call_ctx, guard_js};
use super::convert::c_str_set;
use super::enums::jsErrCodeRaw;
use super::handles::jsCtx;
use super::owned::malloc_array;
use super::types_consumer::{jsConsumerConfig, jsConsumerInfo, jsConsumerSequenceMismatch, jsSubOptions};
use super::types_context::{jsFetchRequest, jsOptions};
use crate::ffi::boundary::{guard, invalid_arg, put};
use crate::ffi::connection::{natsConnection, natsMsgHandler};
use crate::ffi::msg::{into_handle, natsMsg, natsMsgList, take_handle};
use crate::ffi::subscription::natsSubscription;
use crate::js::ack::{ack, AckKind};
use crate::js::api::{JsError, JsResult};
use crate::js::pull::{fetch, FetchRequest};
use crate::js::rfc3339;
use crate::js::sub_consumer::ConsumerConfig;
use crate::js::subscribe::{subscribe_with, JsSub, Mode, SubOptions};
use crate::msg::Msg;
use crate::status::natsStatus;
use crate::sub::MsgHandler;

fn js_inv(text: impl Into<String>) -> JsError {
    JsError::new(natsStatus::NATS_INVALID_ARG, text)
}

fn set(p: *const c_char, what: &str) -> JsResult<Option<String>> {
    Ok(c_str_set(p, what)?)
}

/// A consumer configuration from C; -1 policies (as `jsSubOptions_Init` leaves them) are
/// "not set".
pub(crate) fn consumer_config(c: &jsConsumerConfig) -> JsResult<ConsumerConfig> {
    let backoff = super::convert::c_slice(c.BackOff as *const i64, c.BackOffLen, "jsConsumerConfig.BackOff")?.to_vec();
    Ok(ConsumerConfig {
        name: set(c.Name, "jsConsumerConfig.Name")?,
        durable_name: set(c.Durable, "jsConsumerConfig.Durable")?,
        description: set(c.Description, "jsConsumerConfig.Description")?,
        deliver_policy: c.DeliverPolicy.get_opt()?.map(deliver_of),
        opt_start_seq: c.OptStartSeq,
        opt_start_time: (c.OptStartTime > 0).then(|| rfc3339::format(c.OptStartTime)),
        ack_policy: c.AckPolicy.get_opt()?.map(ack_of),
        ack_wait: c.AckWait,
        max_deliver: c.MaxDeliver,
        backoff,
        filter_subject: set(c.FilterSubject, "jsConsumerConfig.FilterSubject")?,
        replay_policy: c.ReplayPolicy.get_opt()?.map(replay_of),
        rate_limit_bps: c.RateLimit,
        sample_freq: set(c.SampleFrequency, "jsConsumerConfig.SampleFrequency")?,
        max_waiting: c.MaxWaiting,
        max_ack_pending: c.MaxAckPending,
        flow_control: c.FlowControl,
        idle_heartbeat: c.Heartbeat,
        headers_only: c.HeadersOnly,
        max_batch: c.MaxRequestBatch,
        max_expires: c.MaxRequestExpires,
        max_bytes: c.MaxRequestMaxBytes,
        deliver_subject: set(c.DeliverSubject, "jsConsumerConfig.DeliverSubject")?,
        deliver_group: set(c.DeliverGroup, "jsConsumerConfig.DeliverGroup")?,
        inactive_threshold: c.InactiveThreshold,
        num_replicas: c.Replicas,
        mem_storage: c.MemoryStorage,
        ..Default::default()
    })
}

fn sub_options(p: *const jsSubOptions) -> JsResult<SubOptions> {
    // SAFETY: a non-NULL options pointer from C is valid for the call.
    let Some(o) = (unsafe { p.as_ref() }) else { return Ok(SubOptions::default()) };
    Ok(SubOptions {
        stream: set(o.Stream, "jsSubOptions.Stream")?,
        consumer: set(o.Consumer, "jsSubOptions.Consumer")?,
        queue: set(o.Queue, "jsSubOptions.Queue")?,
        manual_ack: o.ManualAck,
        ordered: o.Ordered,
        config: consumer_config(&o.Config)?,
    })
}

fn subject_of(p: *const c_char) -> JsResult<String> {
    Ok(set(p, "subject")?.unwrap_or_default())
}

/// Common to the three subscribe functions: checks, subscribes, hands out the handle.
fn make_sub(
    out: *mut *mut natsSubscription,
    js: *mut jsCtx,
    subject: *const c_char,
    durable: Option<*const c_char>,
    opts: *mut jsOptions,
    sub_opts: *mut jsSubOptions,
    mode: impl FnOnce(usize) -> Mode,
) -> JsResult<()> {
    if out.is_null() {
        return Err(js_inv("sub must not be NULL"));
    }
    put(out, std::ptr::null_mut());
    let ctx = call_ctx(js, opts)?;
    let subject = subject_of(subject)?;
    let durable = match durable {
        Some(d) => set(d, "durable")?,
        None => None,
    };
    let o = sub_options(sub_opts)?;
    // The handle exists before the consumer does (a handler runs only once it is known);
    // a round that lost a creation race leaves one behind, freed here.
    let mut handles: Vec<*mut natsSubscription> = Vec::new();
    let conn = ctx.conn().clone();
    let r = subscribe_with(&ctx, &subject, durable.as_deref(), mode(conn.handle()), &o, &mut |core| {
        let h = Box::into_raw(Box::new(natsSubscription { sub: Arc::clone(core), conn: conn.clone() }));
        core.handle.store(h as usize, std::sync::atomic::Ordering::Release);
        handles.push(h);
    });
    let keep = r.as_ref().ok().map(|core| core.handle());
    for h in handles {
        if Some(h as usize) != keep {
            // SAFETY: made just above, never given out; its subscription was closed and its
            // delivery stopped by the failed round.
            let b = unsafe { Box::from_raw(h) };
            b.sub.handle.store(0, std::sync::atomic::Ordering::Release);
        }
    }
    let core = r?;
    put(out, core.handle() as *mut natsSubscription);
    Ok(())
}

/// Creates an asynchronous JetStream push subscription on `subject`: looks up the stream
/// by subject (unless `subOpts->Stream` is given), binds to `subOpts->Consumer` (or the
/// durable) when it exists, else creates the consumer. `cb` runs on a delivery thread for
/// every message; unless `subOpts->ManualAck` (or an AckNone / ordered consumer) the
/// library acknowledges each message after `cb` returns. Heartbeats and flow control are
/// handled by the library; missed heartbeats go to the error handler
/// (NATS_MISSED_HEARTBEAT). A consumer the library created is deleted by
/// `natsSubscription_Unsubscribe` or a completed drain, not by `natsSubscription_Destroy`.
/// `opts`, `subOpts` and `errCode` may be NULL; `*errCode` gets the server's error code.
#[unsafe(no_mangle)]
pub extern "C" fn js_Subscribe(
    sub: *mut *mut natsSubscription,
    js: *mut jsCtx,
    subject: *const c_char,
    cb: natsMsgHandler,
    cbClosure: *mut c_void,
    opts: *mut jsOptions,
    subOpts: *mut jsSubOptions,
    errCode: *mut jsErrCodeRaw,
) -> natsStatus {
    guard_js("js_Subscribe", errCode, || {
        let Some(f) = cb else { return Err(js_inv("the message handler must not be NULL")) };
        let cl = cbClosure as usize;
        make_sub(sub, js, subject, None, opts, subOpts, move |ncp| Mode::Async {
            make: Box::new(move |auto_ack| -> MsgHandler {
                Arc::new(move |sub_handle: usize, m: Option<Msg>| {
                    let Some(mut m) = m else { return };
                    let call = |p: *mut natsMsg| {
                        // SAFETY: the user's handler with the handles it was registered for.
                        unsafe { f(ncp as *mut natsConnection, sub_handle as *mut natsSubscription, p, cl as *mut c_void) }
                    };
                    if !auto_ack {
                        call(into_handle(m));
                        return;
                    }
                    // Lent to the handler (its natsMsg_Destroy is a no-op), acknowledged and
                    // freed afterwards.
                    m.js.no_destroy = true;
                    let p = into_handle(m);
                    call(p);
                    // SAFETY: `p` came from into_handle and was not freed (no_destroy).
                    let mut m = unsafe { take_handle(p) };
                    m.js.no_destroy = false;
                    let _ = ack(&mut m, AckKind::Ack, false, 0);
                })
            }),
        })
    })
}

/// Creates a synchronous JetStream push subscription (read with
/// `natsSubscription_NextMsg`; acknowledge with `natsMsg_Ack` and friends). See
/// `js_Subscribe` for the consumer rules. NextMsg returns NATS_MISMATCH once when a
/// heartbeat shows a consumer sequence mismatch.
#[unsafe(no_mangle)]
pub extern "C" fn js_SubscribeSync(
    sub: *mut *mut natsSubscription,
    js: *mut jsCtx,
    subject: *const c_char,
    opts: *mut jsOptions,
    subOpts: *mut jsSubOptions,
    errCode: *mut jsErrCodeRaw,
) -> natsStatus {
    guard_js("js_SubscribeSync", errCode, || make_sub(sub, js, subject, None, opts, subOpts, |_| Mode::Sync))
}

/// Creates a pull subscription: messages come only with `natsSubscription_Fetch` /
/// `natsSubscription_FetchRequest` (NextMsg gives NATS_INVALID_SUBSCRIPTION). `durable`
/// may be NULL (an ephemeral consumer); it cannot contain '.', ' ', '*' or '>'.
#[unsafe(no_mangle)]
pub extern "C" fn js_PullSubscribe(
    sub: *mut *mut natsSubscription,
    js: *mut jsCtx,
    subject: *const c_char,
    durable: *const c_char,
    opts: *mut jsOptions,
    subOpts: *mut jsSubOptions,
    errCode: *mut jsErrCodeRaw,
) -> natsStatus {
    guard_js("js_PullSubscribe", errCode, || make_sub(sub, js, subject, Some(durable), opts, subOpts, |_| Mode::Pull))
}

fn sub_of<'a>(sub: *mut natsSubscription) -> JsResult<&'a natsSubscription> {
    // SAFETY: a non-NULL subscription handle is valid for the call.
    unsafe { sub.as_ref() }.ok_or_else(|| js_inv("subscription must not be NULL"))
}

fn fill_list(list: *mut natsMsgList, msgs: Vec<Msg>) -> JsResult<()> {
    let ptrs: Vec<*mut natsMsg> = msgs.into_iter().map(into_handle).collect();
    let n = ptrs.len();
    match malloc_array(&ptrs) {
        Ok(arr) => {
            // SAFETY: `list` was checked non-NULL by the caller.
            unsafe {
                (*list).Msgs = arr;
                (*list).Count = n as c_int;
            }
            Ok(())
        }
        Err(e) => {
            for p in ptrs {
                // SAFETY: each came from into_handle just above.
                drop(unsafe { take_handle(p) });
            }
            Err(e.into())
        }
    }
}

fn reset_list(list: *mut natsMsgList) -> JsResult<()> {
    if list.is_null() {
        return Err(js_inv("list must not be NULL"));
    }
    // SAFETY: non-NULL, owned by the caller for the call.
    unsafe {
        (*list).Msgs = std::ptr::null_mut();
        (*list).Count = 0;
    }
    Ok(())
}

/// Fetches up to `batch` messages of a pull subscription, waiting up to `timeout`
/// milliseconds (required). Returns with fewer when the server says no more are there for
/// now. NATS_TIMEOUT when none came in time; NATS_INVALID_SUBSCRIPTION for a subscription
/// that is not a pull one; NATS_ERR with the server's description for other errors (e.g.
/// the consumer was deleted). The list's messages and array belong to the caller
/// (`natsMsgList_Destroy`).
#[unsafe(no_mangle)]
pub extern "C" fn natsSubscription_Fetch(list: *mut natsMsgList, sub: *mut natsSubscription, batch: c_int, timeout: i64, errCode: *mut jsErrCodeRaw) -> natsStatus {
    guard_js("natsSubscription_Fetch", errCode, || {
        reset_list(list)?;
        let s = sub_of(sub)?;
        let req = FetchRequest { batch: batch as i64, expires: timeout.saturating_mul(1_000_000), ..Default::default() };
        fill_list(list, fetch(&s.sub, req, true)?)
    })
}

/// Fetches with a full request: `Batch` (required), `MaxBytes`, `Expires` (nanoseconds;
/// required unless `NoWait`), `NoWait` (NATS_NOT_FOUND when nothing is there), `Heartbeat`
/// (NATS_MISSED_HEARTBEAT when the server's heartbeats stop).
#[unsafe(no_mangle)]
pub extern "C" fn natsSubscription_FetchRequest(list: *mut natsMsgList, sub: *mut natsSubscription, request: *mut jsFetchRequest) -> natsStatus {
    guard("natsSubscription_FetchRequest", || {
        (|| -> JsResult<()> {
            reset_list(list)?;
            let s = sub_of(sub)?;
            // SAFETY: a non-NULL request is valid for the call.
            let Some(r) = (unsafe { request.as_ref() }) else { return Err(js_inv("request must not be NULL")) };
            let req = FetchRequest { batch: r.Batch as i64, max_bytes: r.MaxBytes, expires: r.Expires, no_wait: r.NoWait, heartbeat: r.Heartbeat };
            fill_list(list, fetch(&s.sub, req, false)?)
        })()
        .map_err(|e| e.err)
    })
}

/// The sequences of a consumer sequence mismatch seen in a heartbeat; NATS_NOT_FOUND while
/// there is none, NATS_INVALID_SUBSCRIPTION for a subscription that is not a JetStream one.
#[unsafe(no_mangle)]
pub extern "C" fn natsSubscription_GetSequenceMismatch(csm: *mut jsConsumerSequenceMismatch, sub: *mut natsSubscription) -> natsStatus {
    guard("natsSubscription_GetSequenceMismatch", || {
        if csm.is_null() {
            return Err(invalid_arg("csm must not be NULL"));
        }
        let s = sub_of(sub).map_err(|e| e.err)?;
        let Some(j) = JsSub::of(&s.sub) else {
            return crate::status::err(natsStatus::NATS_INVALID_SUBSCRIPTION, "not a JetStream subscription");
        };
        let m = j.sequence_mismatch().map_err(|e| e.err)?;
        put(csm, jsConsumerSequenceMismatch { Stream: m.stream, ConsumerClient: m.consumer_client, ConsumerServer: m.consumer_server });
        Ok(())
    })
}

/// The consumer information of a JetStream subscription's consumer (`CONSUMER.INFO`),
/// freed with `jsConsumerInfo_Destroy`. NATS_INVALID_SUBSCRIPTION for a subscription that
/// is not a JetStream one; NATS_NOT_FOUND when the consumer is gone.
#[unsafe(no_mangle)]
pub extern "C" fn natsSubscription_GetConsumerInfo(
    ci: *mut *mut jsConsumerInfo,
    sub: *mut natsSubscription,
    opts: *mut jsOptions,
    errCode: *mut jsErrCodeRaw,
) -> natsStatus {
    guard_js("natsSubscription_GetConsumerInfo", errCode, || {
        if ci.is_null() {
            return Err(js_inv("ci must not be NULL"));
        }
        put(ci, std::ptr::null_mut());
        let s = sub_of(sub)?;
        let Some(j) = JsSub::of(&s.sub) else {
            return Err(JsError::new(natsStatus::NATS_INVALID_SUBSCRIPTION, "not a JetStream subscription"));
        };
        let ctx = j.context().with(super::context::call_opts(opts)?.as_ref())?;
        let info = crate::js::consumer::consumer_info(&ctx, &j.stream, &j.consumer())?;
        put(ci, super::consumer_mgmt::consumer_info_out(&info));
        Ok(())
    })
}


#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffi::js::enums::{jsAckPolicy, jsAckPolicyRaw, jsDeliverPolicy, jsDeliverPolicyRaw, jsReplayPolicy, jsReplayPolicyRaw};

    fn json(c: &jsConsumerConfig) -> String {
        serde_json::to_string(&consumer_config(c).unwrap()).unwrap()
    }

    #[test]
    fn subscribe_configs_send_only_what_is_set() {
        let unset = jsConsumerConfig {
            DeliverPolicy: jsDeliverPolicyRaw::UNSET,
            AckPolicy: jsAckPolicyRaw::UNSET,
            ReplayPolicy: jsReplayPolicyRaw::UNSET,
            ..Default::default()
        };
        assert_eq!(json(&unset), "{}");
        let name = c"dur";
        let set = jsConsumerConfig {
            Durable: name.as_ptr(),
            DeliverPolicy: jsDeliverPolicy::js_DeliverByStartTime.into(),
            OptStartTime: 1_626_973_503_123_456_789,
            AckPolicy: jsAckPolicy::js_AckAll.into(),
            ReplayPolicy: jsReplayPolicy::js_ReplayOriginal.into(),
            AckWait: -5,
            MaxAckPending: 7,
            ..Default::default()
        };
        assert_eq!(
            json(&set),
            r#"{"durable_name":"dur","deliver_policy":"by_start_time","opt_start_time":"2021-07-22T17:05:03.123456789Z","ack_policy":"all","ack_wait":-5,"replay_policy":"original","max_ack_pending":7}"#
        );
        for (d, s) in [
            (jsDeliverPolicy::js_DeliverAll, "all"),
            (jsDeliverPolicy::js_DeliverLast, "last"),
            (jsDeliverPolicy::js_DeliverNew, "new"),
            (jsDeliverPolicy::js_DeliverByStartSequence, "by_start_sequence"),
            (jsDeliverPolicy::js_DeliverLastPerSubject, "last_per_subject"),
        ] {
            let c = jsConsumerConfig { DeliverPolicy: d.into(), AckPolicy: jsAckPolicyRaw::UNSET, ReplayPolicy: jsReplayPolicyRaw::UNSET, ..Default::default() };
            assert_eq!(json(&c), format!(r#"{{"deliver_policy":"{s}"}}"#));
        }
        for (a, s) in [(jsAckPolicy::js_AckExplicit, "explicit"), (jsAckPolicy::js_AckNone, "none")] {
            let c = jsConsumerConfig { DeliverPolicy: jsDeliverPolicyRaw::UNSET, AckPolicy: a.into(), ReplayPolicy: jsReplayPolicy::js_ReplayInstant.into(), ..Default::default() };
            assert_eq!(json(&c), format!(r#"{{"ack_policy":"{s}","replay_policy":"instant"}}"#));
        }
        let bad = jsConsumerConfig { DeliverPolicy: jsDeliverPolicyRaw(-2), ..unset };
        assert_eq!(consumer_config(&bad).unwrap_err().status(), natsStatus::NATS_INVALID_ARG);
    }
}
