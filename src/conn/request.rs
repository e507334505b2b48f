//! Request/reply: one wildcard inbox subscription per connection (`<prefix>.<nuid>.*`) whose
//! replies are routed on the event loop to the waiting requester by their last token. A
//! request that ends (reply, timeout, close) removes its entry: nothing accumulates.
#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::msg::Msg;
use crate::proto::headers::Headers;
use crate::status::{err, natsStatus, Error, Result};
use crate::sub::{Kind, Router};

use super::Connection;

/// The outcome slot of one request.
#[derive(Default)]
struct Waiters {
    pending: HashMap<u64, Option<std::result::Result<Msg, natsStatus>>>,
}

/// Routes replies arriving on the connection's wildcard inbox to their requesters.
pub struct RespMux {
    /// `<prefix>.<nuid>.`
    pub prefix: String,
    waiters: Mutex<Waiters>,
    cond: Condvar,
    next: AtomicU64,
}

impl RespMux {
    fn new(prefix: &str) -> RespMux {
        RespMux {
            prefix: format!("{prefix}.{}.", nuid::next()),
            waiters: Mutex::new(Waiters::default()),
            cond: Condvar::new(),
            next: AtomicU64::new(1),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Waiters> {
        self.waiters.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Registers a requester; returns its token and reply subject.
    fn register(&self) -> (u64, String) {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.lock().pending.insert(id, None);
        (id, format!("{}{id}", self.prefix))
    }

    fn forget(&self, id: u64) {
        self.lock().pending.remove(&id);
    }

    /// Waits for the reply of `id` until `deadline`; the entry is removed in every case.
    fn wait(&self, id: u64, deadline: Instant) -> std::result::Result<Msg, natsStatus> {
        let mut w = self.lock();
        loop {
            match w.pending.get_mut(&id) {
                None => return Err(natsStatus::NATS_TIMEOUT),
                Some(slot) => {
                    if let Some(r) = slot.take() {
                        w.pending.remove(&id);
                        return r;
                    }
                }
            }
            let now = Instant::now();
            if now >= deadline {
                w.pending.remove(&id);
                return Err(natsStatus::NATS_TIMEOUT);
            }
            w = self.cond.wait_timeout(w, deadline - now).unwrap_or_else(|p| p.into_inner()).0;
        }
    }

    /// Ends every pending request with `status` (the connection closed).
    pub fn fail_all(&self, status: natsStatus) {
        let mut w = self.lock();
        for slot in w.pending.values_mut() {
            if slot.is_none() {
                *slot = Some(Err(status));
            }
        }
        drop(w);
        self.cond.notify_all();
    }

    /// Requests waiting for a reply.
    pub fn pending(&self) -> usize {
        self.lock().pending.len()
    }
}

impl Router for RespMux {
    fn route(&self, msg: Msg) {
        let Some(token) = msg.subject().strip_prefix(self.prefix.as_bytes()) else { return };
        let Some(id) = std::str::from_utf8(token).ok().and_then(|t| t.parse::<u64>().ok()) else { return };
        let mut w = self.lock();
        if let Some(slot) = w.pending.get_mut(&id) {
            if slot.is_none() {
                *slot = Some(Ok(msg));
                drop(w);
                self.cond.notify_all();
            }
        }
    }
}

impl Connection {
    /// The connection's reply inbox, subscribed on first use.
    fn resp_mux(&self) -> Result<Arc<RespMux>> {
        let mut slot = self.shared.resp_mux.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(m) = slot.as_ref() {
            return Ok(Arc::clone(m));
        }
        let mux = Arc::new(RespMux::new(self.shared.opts.inbox_prefix()));
        let subject = format!("{}*", mux.prefix);
        self.subscribe(&subject, None, Kind::Inline(Arc::clone(&mux) as Arc<dyn Router>))?;
        *slot = Some(Arc::clone(&mux));
        Ok(mux)
    }

    /// A fresh inbox subject under the connection's inbox prefix.
    pub fn new_inbox(&self) -> String {
        format!("{}.{}", self.shared.opts.inbox_prefix(), nuid::next())
    }

    /// `natsConnection_Request*`: publishes with a reply subject and waits for one reply.
    pub fn request(&self, subject: &str, headers: Option<&Headers>, data: &[u8], timeout_ms: i64) -> Result<Msg> {
        if timeout_ms <= 0 {
            // As nats.c: nothing can arrive in no time.
            return err(natsStatus::NATS_TIMEOUT, "the request timeout must be positive: no reply can arrive in time");
        }
        let deadline = Instant::now() + Duration::from_millis(timeout_ms as u64);
        let reply = if self.shared.opts.old_request_style {
            self.request_old(subject, headers, data, deadline)?
        } else {
            let mux = self.resp_mux()?;
            let (id, inbox) = mux.register();
            if let Err(e) = self.publish_ex(subject, Some(&inbox), headers, data, true) {
                mux.forget(id);
                return Err(e);
            }
            match mux.wait(id, deadline) {
                Ok(m) => m,
                Err(natsStatus::NATS_TIMEOUT) => return err(natsStatus::NATS_TIMEOUT, "no reply before the request timeout"),
                Err(s) => return err(s, "the connection closed while waiting for the reply"),
            }
        };
        if reply.is_no_responders() && !self.shared.opts.no_responders_disabled {
            return err(natsStatus::NATS_NO_RESPONDERS, format!("no responders are available for '{subject}'"));
        }
        Ok(reply)
    }

    /// The old style: a unique inbox subscription per request.
    fn request_old(&self, subject: &str, headers: Option<&Headers>, data: &[u8], deadline: Instant) -> Result<Msg> {
        let inbox = self.new_inbox();
        let sub = self.subscribe_sync(&inbox, None)?;
        let result = (|| {
            self.unsubscribe(&sub, Some(1))?;
            self.publish_full(subject, Some(&inbox), headers, data)?;
            let left = deadline.saturating_duration_since(Instant::now()).as_millis() as i64;
            sub.next_msg(left.max(0)).map_err(|e| {
                if e.status == natsStatus::NATS_TIMEOUT {
                    Error::new(natsStatus::NATS_TIMEOUT, "no reply before the request timeout")
                } else {
                    e
                }
            })
        })();
        if sub.closed_reason().is_none() {
            let _ = self.unsubscribe(&sub, None);
        }
        sub.close(natsStatus::NATS_INVALID_SUBSCRIPTION);
        result
    }

    /// Requests waiting for their reply on the shared inbox (for tests: must not grow).
    pub fn pending_requests(&self) -> usize {
        self.shared.resp_mux.lock().unwrap_or_else(|p| p.into_inner()).as_ref().map_or(0, |m| m.pending())
    }
}
