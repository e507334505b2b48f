//! Draining a subscription: stop interest, let what is already on its way arrive and be
//! handled, then end the subscription and report completion.
#![forbid(unsafe_code)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::proto::encoder;
use crate::status::{natsConnStatus, natsStatus, Error, Result};
use crate::sub::Subscription;

use super::Connection;

impl Connection {
    /// `natsSubscription_Drain`/`DrainTimeout`: returns at once; a background thread sends
    /// UNSUB, flushes (so that every message sent before the UNSUB has arrived), waits for the
    /// queue to be consumed, then closes the subscription with the completion status
    /// (NATS_TIMEOUT when `timeout_ms` > 0 passed first).
    pub fn drain_subscription(&self, sub: &Arc<Subscription>, timeout_ms: i64) -> Result<()> {
        if self.shared.lock().draining {
            return Err(Error::new(natsStatus::NATS_DRAINING, "the connection is draining: its subscriptions are drained with it"));
        }
        self.drain_subscription_inner(sub, timeout_ms)
    }

    fn drain_subscription_inner(&self, sub: &Arc<Subscription>, timeout_ms: i64) -> Result<()> {
        if self.shared.lock().is_closed() {
            return Err(Error::new(natsStatus::NATS_CONNECTION_CLOSED, "the connection is closed"));
        }
        if !sub.start_drain()? {
            return Ok(());
        }
        let sid = sub.sid;
        self.append(|st| {
            encoder::unsub_frame(&mut st.out, sid, None);
            Ok(())
        })?;
        let conn = self.clone();
        let sub = Arc::clone(sub);
        let deadline = (timeout_ms > 0).then(|| Instant::now() + Duration::from_millis(timeout_ms as u64));
        std::thread::Builder::new()
            .name("nats-drain".into())
            .spawn(move || {
                let flush_ms = deadline
                    .map(|d| d.saturating_duration_since(Instant::now()).as_millis() as i64)
                    .unwrap_or(10_000)
                    .max(1);
                let flushed = conn.flush(flush_ms);
                let until = deadline.unwrap_or_else(|| Instant::now() + Duration::from_secs(365 * 24 * 3600));
                let drained = sub.wait_drained(until);
                conn.shared.subs().remove(&sid);
                let ended = sub.closed_reason().filter(|r| *r != natsStatus::NATS_MAX_DELIVERED_MSGS);
                let status = match (flushed, drained) {
                    // Closed or unsubscribed meanwhile: that is how the drain ended.
                    _ if ended.is_some() => ended.unwrap_or(natsStatus::NATS_OK),
                    (_, false) => natsStatus::NATS_TIMEOUT,
                    (Err(e), _) if e.status == natsStatus::NATS_TIMEOUT => natsStatus::NATS_TIMEOUT,
                    (Err(e), _) => e.status,
                    (Ok(()), true) => natsStatus::NATS_OK,
                };
                if status == natsStatus::NATS_TIMEOUT {
                    conn.shared.post(super::callbacks::Event::Error { sub: Some(Arc::clone(&sub)), status });
                }
                sub.finish_drain(status);
            })
            .map_err(|e| Error::new(natsStatus::NATS_SYS_ERROR, format!("cannot start the drain thread: {e}")))?;
        Ok(())
    }
}

impl Connection {
    /// `natsConnection_Drain`/`DrainTimeout`: returns at once. In the background every
    /// subscription is drained (pending messages handled), then what was published is
    /// flushed, then the connection closes. Past `timeout_ms` the error handler gets
    /// NATS_TIMEOUT and the connection closes anyway.
    pub fn drain(&self, timeout_ms: i64) -> Result<()> {
        let deadline = Instant::now() + Duration::from_millis(if timeout_ms > 0 { timeout_ms as u64 } else { 30_000 });
        {
            let mut st = self.shared.lock();
            if st.is_closed() {
                return Err(Error::new(natsStatus::NATS_CONNECTION_CLOSED, "the connection is closed"));
            }
            if st.draining {
                // As nats.c: asking again is fine.
                return Ok(());
            }
            if st.status == natsConnStatus::NATS_CONN_STATUS_RECONNECTING {
                return Err(Error::new(natsStatus::NATS_ILLEGAL_STATE, "cannot drain while reconnecting"));
            }
            st.draining = true;
            st.status = natsConnStatus::NATS_CONN_STATUS_DRAINING_SUBS;
        }
        let conn = self.clone();
        std::thread::Builder::new()
            .name("nats-drain".into())
            .spawn(move || conn.run_drain(deadline))
            .map_err(|e| Error::new(natsStatus::NATS_SYS_ERROR, format!("cannot start the drain thread: {e}")))?;
        Ok(())
    }

    fn run_drain(&self, deadline: Instant) {
        let subs: Vec<Arc<Subscription>> =
            self.shared.subs().values().filter(|s| !matches!(s.kind, crate::sub::Kind::Inline(_))).cloned().collect();
        let left = |d: Instant| d.saturating_duration_since(Instant::now()).as_millis() as i64;
        for s in &subs {
            let _ = self.drain_subscription_inner(s, left(deadline).max(1));
        }
        let mut timed_out = false;
        for s in &subs {
            if s.wait_drain_completion(left(deadline).max(1)).is_err() {
                timed_out = true;
            }
        }
        {
            let mut st = self.shared.lock();
            if st.status == natsConnStatus::NATS_CONN_STATUS_DRAINING_SUBS {
                st.status = natsConnStatus::NATS_CONN_STATUS_DRAINING_PUBS;
            }
        }
        if !timed_out && self.flush(left(deadline).max(1)).is_err() {
            timed_out = Instant::now() >= deadline;
        }
        if timed_out || Instant::now() > deadline {
            self.shared.post(super::callbacks::Event::Error { sub: None, status: natsStatus::NATS_TIMEOUT });
        }
        self.close();
    }

    pub fn is_draining(&self) -> bool {
        matches!(
            self.status(),
            natsConnStatus::NATS_CONN_STATUS_DRAINING_SUBS | natsConnStatus::NATS_CONN_STATUS_DRAINING_PUBS
        )
    }
}
