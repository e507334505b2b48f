//! Fetching from a pull subscription: a `CONSUMER.MSG.NEXT` request whose reply subject is
//! the subscription's (`<inbox>.<fetch id>`), then the messages and status messages the
//! server sends there, sorted as nats.c sorts them.
#![forbid(unsafe_code)]

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::api::{js_err, JsError, JsResult};
use super::subscribe::JsSub;
use crate::msg::Msg;
use crate::status::natsStatus;
use crate::sub::Subscription;

/// jsFetchRequest.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FetchRequest {
    pub batch: i64,
    pub max_bytes: i64,
    /// Nanoseconds.
    pub expires: i64,
    pub no_wait: bool,
    /// Nanoseconds.
    pub heartbeat: i64,
}

fn is_zero(v: &i64) -> bool {
    *v == 0
}
fn is_false(v: &bool) -> bool {
    !*v
}

#[derive(Serialize)]
struct NextRequest {
    batch: i64,
    #[serde(skip_serializing_if = "is_zero")]
    max_bytes: i64,
    #[serde(skip_serializing_if = "is_zero")]
    expires: i64,
    #[serde(skip_serializing_if = "is_zero")]
    idle_heartbeat: i64,
    #[serde(skip_serializing_if = "is_false")]
    no_wait: bool,
}

/// What one message means to a fetch.
enum Seen {
    User(Msg),
    /// A heartbeat, or a status for an older request: ignored.
    Skip,
    /// The end of the request (no messages: NATS_NOT_FOUND; timeout; an error).
    End(JsError),
}

fn classify(m: Msg, reply: &str) -> Seen {
    let status = if m.data().is_empty() { m.headers().and_then(|h| h.status()) } else { None };
    let Some(code) = status else { return Seen::User(m) };
    if code == 100 || m.subject() != reply.as_bytes() {
        return Seen::Skip;
    }
    let desc = m
        .headers()
        .and_then(|h| h.get(crate::proto::headers::DESCRIPTION_HDR))
        .and_then(|d| d.to_str().ok())
        .filter(|d| !d.is_empty())
        .unwrap_or("error checking pull subscribe message")
        .to_string();
    Seen::End(match code {
        404 => JsError::new(natsStatus::NATS_NOT_FOUND, "no messages"),
        408 => JsError::new(natsStatus::NATS_TIMEOUT, "the fetch request expired"),
        _ => JsError::new(natsStatus::NATS_ERR, desc),
    })
}

fn wire_size(m: &Msg) -> i64 {
    let hdr = m.headers().map_or(0, |h| h.encoded().len());
    (m.subject().len() + m.reply().map_or(0, <[u8]>::len) + hdr + m.data().len()) as i64
}

/// `natsSubscription_Fetch` (`simple`: the batch/timeout form, which first asks without
/// waiting when more than one message is wanted) and `natsSubscription_FetchRequest`.
/// Returns at least one message, or the status that ended the fetch (NATS_TIMEOUT when
/// nothing came in time).
pub fn fetch(sub: &Subscription, req: FetchRequest, simple: bool) -> JsResult<Vec<Msg>> {
    if req.batch <= 0 || req.max_bytes < 0 {
        return js_err(natsStatus::NATS_INVALID_ARG, "the batch must be positive and max bytes not negative");
    }
    if !req.no_wait && req.expires <= 0 {
        return js_err(natsStatus::NATS_INVALID_TIMEOUT, "a fetch needs a positive timeout (expiration) unless it is no-wait");
    }
    let Some(js) = JsSub::of(sub).filter(|j| j.pull) else {
        return js_err(natsStatus::NATS_INVALID_SUBSCRIPTION, "not a JetStream pull subscription");
    };
    if js.in_fetch.swap(true, Ordering::AcqRel) {
        return js_err(natsStatus::NATS_ERR, "concurrent fetch request not allowed");
    }
    let r = run(js, sub, req, simple);
    js.in_fetch.store(false, Ordering::Release);
    r
}

fn run(js: &JsSub, sub: &Subscription, req: FetchRequest, simple: bool) -> JsResult<Vec<Msg>> {
    let id = js.fetch_id.fetch_add(1, Ordering::AcqRel) + 1;
    let reply = format!("{}.{id}", js.reply_prefix);
    let batch = req.batch;
    let mut msgs = Vec::new();
    let mut size = 0i64;
    let full = |n: usize, size: i64| n as i64 >= batch || (req.max_bytes > 0 && size >= req.max_bytes);
    // What is already queued first (messages of earlier requests that came late).
    while !full(msgs.len(), size) {
        match sub.next_msg(0) {
            Ok(m) => {
                if let Seen::User(m) = classify(m, "") {
                    size += wire_size(&m);
                    msgs.push(m);
                }
            }
            Err(e) if e.status == natsStatus::NATS_TIMEOUT => break,
            Err(e) => return Err(e.into()),
        }
    }
    let start = Instant::now();
    let deadline = (req.expires > 0).then(|| start + Duration::from_nanos(req.expires as u64));
    let hb = (req.heartbeat > 0).then(|| Duration::from_nanos(req.heartbeat as u64) * 2);
    let mut no_wait = if simple { batch - msgs.len() as i64 > 1 } else { req.no_wait };
    let mut send = true;
    let mut last_seen = Instant::now();
    let mut end: Option<JsError> = None;
    while end.is_none() && !full(msgs.len(), size) {
        let left = match deadline {
            Some(d) => {
                let now = Instant::now();
                if now >= d {
                    end = Some(JsError::new(natsStatus::NATS_TIMEOUT, "no message received before the timeout"));
                    break;
                }
                d - now
            }
            None => Duration::ZERO,
        };
        if send {
            send = false;
            // The server's expiration a little shorter than ours, so that its answer wins.
            let ns = left.as_nanos() as i64;
            let expires = if ns >= 20_000_000 { ns - 10_000_000 } else { ns };
            let body = NextRequest {
                batch: batch - msgs.len() as i64,
                max_bytes: req.max_bytes,
                expires: if deadline.is_some() { expires } else { 0 },
                idle_heartbeat: req.heartbeat,
                no_wait,
            };
            let data = serde_json::to_vec(&body).unwrap_or_default();
            js.context().conn().publish(&js.next_subject(), Some(&reply), &data)?;
        }
        let mut wait = if deadline.is_some() { left } else { Duration::from_millis(js.context().wait_ms().max(1) as u64) };
        if let Some(h) = hb {
            let since = last_seen.elapsed();
            if since >= h {
                end = Some(JsError::new(natsStatus::NATS_MISSED_HEARTBEAT, "missed heartbeats during the fetch"));
                break;
            }
            wait = wait.min(h - since);
        }
        match sub.next_msg(wait.as_millis().max(1) as i64) {
            Ok(m) => {
                last_seen = Instant::now();
                match classify(m, &reply) {
                    Seen::User(m) => {
                        size += wire_size(&m);
                        msgs.push(m);
                    }
                    Seen::Skip => {}
                    Seen::End(e) => {
                        if simple && no_wait && e.status() == natsStatus::NATS_NOT_FOUND && msgs.is_empty() {
                            // Nothing yet: ask again, waiting this time.
                            no_wait = false;
                            send = true;
                        } else {
                            end = Some(e);
                        }
                    }
                }
            }
            Err(e) if e.status == natsStatus::NATS_TIMEOUT => {
                if deadline.is_none() && hb.is_none() {
                    end = Some(e.into());
                }
            }
            Err(e) => end = Some(e.into()),
        }
    }
    if !msgs.is_empty() {
        return Ok(msgs);
    }
    Err(end.unwrap_or_else(|| JsError::new(natsStatus::NATS_TIMEOUT, "no message received before the timeout")))
}
