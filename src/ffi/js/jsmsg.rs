//! JetStream functions of messages: acknowledgements, metadata, stream sequence and time.

use super::context::{call_opts, guard_js};
use super::enums::jsErrCodeRaw;
use super::owned::Builder;
use super::types_consumer::jsSequencePair;
use super::types_context::{jsMsgMetaData, jsOptions};
use crate::ffi::boundary::{guard, guard_val, invalid_arg, put};
use crate::ffi::msg::{body_arg_mut, natsMsg};
use crate::js::ack::{ack, AckKind};
use crate::js::api::JsResult;
use crate::js::meta;
use crate::msg::MsgBody;
use crate::status::{natsStatus, Result};

/// The jsOptions' wait of an ack (0: none).
fn wait_of(opts: *mut jsOptions) -> Result<i64> {
    Ok(call_opts(opts)?.map_or(0, |o| o.wait_ms))
}

fn do_ack(func: &'static str, msg: *mut natsMsg, opts: *mut jsOptions, kind: AckKind) -> natsStatus {
    guard(func, || {
        let m = body_arg_mut(msg, "msg")?;
        let wait = wait_of(opts)?;
        ack(m, kind, false, wait).map_err(|e| e.err)
    })
}

/// Acknowledges a message of a JetStream subscription (`+ACK` to its reply subject). A
/// message already acknowledged is left alone (NATS_OK); a message that did not come from
/// a JetStream subscription gives NATS_ILLEGAL_STATE. With `opts->Wait` set, waits that
/// long for the server's confirmation.
#[unsafe(no_mangle)]
pub extern "C" fn natsMsg_Ack(msg: *mut natsMsg, opts: *mut jsOptions) -> natsStatus {
    do_ack("natsMsg_Ack", msg, opts, AckKind::Ack)
}

/// Acknowledges and waits for the server's confirmation (up to `opts->Wait`, else the
/// context's wait): NATS_TIMEOUT when none came.
#[unsafe(no_mangle)]
pub extern "C" fn natsMsg_AckSync(msg: *mut natsMsg, opts: *mut jsOptions, errCode: *mut jsErrCodeRaw) -> natsStatus {
    guard_js("natsMsg_AckSync", errCode, || -> JsResult<()> {
        let m = body_arg_mut(msg, "msg")?;
        let wait = wait_of(opts)?;
        ack(m, AckKind::Ack, true, wait)
    })
}

/// Negative acknowledgement (`-NAK`): the server redelivers the message.
#[unsafe(no_mangle)]
pub extern "C" fn natsMsg_Nak(msg: *mut natsMsg, opts: *mut jsOptions) -> natsStatus {
    do_ack("natsMsg_Nak", msg, opts, AckKind::Nak)
}

/// Negative acknowledgement asking for redelivery after `delay` milliseconds.
#[unsafe(no_mangle)]
pub extern "C" fn natsMsg_NakWithDelay(msg: *mut natsMsg, delay: i64, opts: *mut jsOptions) -> natsStatus {
    do_ack("natsMsg_NakWithDelay", msg, opts, AckKind::NakWithDelay(delay))
}

/// Tells the server the message is being worked on (`+WPI`): resets its redelivery timer.
/// Not final: the message can still be acknowledged afterwards.
#[unsafe(no_mangle)]
pub extern "C" fn natsMsg_InProgress(msg: *mut natsMsg, opts: *mut jsOptions) -> natsStatus {
    do_ack("natsMsg_InProgress", msg, opts, AckKind::InProgress)
}

/// Terminates the message (`+TERM`): never redelivered.
#[unsafe(no_mangle)]
pub extern "C" fn natsMsg_Term(msg: *mut natsMsg, opts: *mut jsOptions) -> natsStatus {
    do_ack("natsMsg_Term", msg, opts, AckKind::Term)
}

fn metadata_of(m: &MsgBody) -> Result<meta::MsgMetaData> {
    if m.js.ack.is_none() {
        return crate::status::err(natsStatus::NATS_ILLEGAL_STATE, "message not bound to a subscription");
    }
    let Some(reply) = m.reply().filter(|r| !r.is_empty()) else {
        return crate::status::err(natsStatus::NATS_ILLEGAL_STATE, "not a JetStream message");
    };
    meta::parse(&String::from_utf8_lossy(reply)).map_err(|e| e.err)
}

/// The metadata of a message received from a JetStream subscription (stream, consumer,
/// sequences, delivery count, time, pending count), parsed from its reply subject; free
/// it with `jsMsgMetaData_Destroy`. NATS_ILLEGAL_STATE for a message that did not come from
/// a JetStream subscription, NATS_ERR for a reply subject that is not JetStream metadata.
#[unsafe(no_mangle)]
pub extern "C" fn natsMsg_GetMetaData(new_meta: *mut *mut jsMsgMetaData, msg: *mut natsMsg) -> natsStatus {
    guard("natsMsg_GetMetaData", || {
        if new_meta.is_null() {
            return Err(invalid_arg("new_meta must not be NULL"));
        }
        put(new_meta, std::ptr::null_mut());
        let m = body_arg_mut(msg, "msg")?;
        let md = metadata_of(m)?;
        let b = Builder::new();
        let out = jsMsgMetaData {
            Sequence: jsSequencePair { Consumer: md.consumer_seq, Stream: md.stream_seq },
            NumDelivered: md.num_delivered,
            NumPending: md.num_pending,
            Timestamp: md.timestamp,
            Stream: b.str(&md.stream),
            Consumer: b.str(&md.consumer),
            Domain: b.opt_str(md.domain.as_deref()),
        };
        put(new_meta, b.finish(out));
        Ok(())
    })
}

/// The stream sequence of a message got with `js_GetMsg` / `js_GetLastMsg` (0 for NULL and
/// for other messages, as nats.c).
#[unsafe(no_mangle)]
pub extern "C" fn natsMsg_GetSequence(msg: *mut natsMsg) -> u64 {
    guard_val("natsMsg_GetSequence", 0, || body_arg_mut(msg, "msg").map_or(0, |m| m.js_seq()))
}

/// The stream time (nanoseconds since the epoch, UTC) of a message got with `js_GetMsg` /
/// `js_GetLastMsg` (0 for NULL and for other messages, as nats.c).
#[unsafe(no_mangle)]
pub extern "C" fn natsMsg_GetTime(msg: *mut natsMsg) -> i64 {
    guard_val("natsMsg_GetTime", 0, || body_arg_mut(msg, "msg").map_or(0, |m| m.js_time()))
}
