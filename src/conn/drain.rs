//! Draining a subscription: stop interest, let what is already on its way arrive and be
//! handled, then end the subscription and report completion.
#![forbid(unsafe_code)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::proto::encoder;
use crate::status::{natsStatus, Error, Result};
use crate::sub::Subscription;

use super::Connection;

impl Connection {
    /// `natsSubscription_Drain`/`DrainTimeout`: returns at once; a background thread sends
    /// UNSUB, flushes (so that every message sent before the UNSUB has arrived), waits for the
    /// queue to be consumed, then closes the subscription with the completion status
    /// (NATS_TIMEOUT when `timeout_ms` > 0 passed first).
    pub fn drain_subscription(&self, sub: &Arc<Subscription>, timeout_ms: i64) -> Result<()> {
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
                let status = match (flushed, drained) {
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
