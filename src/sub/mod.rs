//! Subscriptions: the pending queue between the event loop and the consumer, its limits and
//! counters.
//!
//! The event loop calls [`Subscription::deliver`]; a synchronous consumer calls
//! [`Subscription::next_msg`]. Counters are exact because they all change under one lock.
#![forbid(unsafe_code)]

use std::collections::VecDeque;
use std::sync::atomic::AtomicUsize;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::msg::Msg;
use crate::status::{err, natsStatus, Result};

/// Pending limits and counters of one subscription (what `natsSubscription_GetStats` shows).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SubStats {
    pub pending_msgs: i32,
    pub pending_bytes: i32,
    pub max_pending_msgs: i32,
    pub max_pending_bytes: i32,
    pub delivered: i64,
    pub dropped: i64,
}

/// What `deliver` did with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    Queued,
    /// Dropped over the pending limits; `true` when this starts a slow-consumer episode (the
    /// error handler is told once per episode).
    Dropped { new_episode: bool },
    /// The subscription is closed or reached its auto-unsubscribe limit.
    Ignored,
    /// Queued, and it is the last one allowed by AutoUnsubscribe: the connection must forget
    /// the subscription.
    QueuedLast,
}

#[derive(Debug)]
struct State {
    queue: VecDeque<Msg>,
    pending_bytes: usize,
    limit_msgs: i32,
    limit_bytes: i64,
    max_msgs_seen: usize,
    max_bytes_seen: usize,
    delivered: u64,
    /// Messages accepted into the queue (delivered + queued), for auto-unsubscribe.
    received: u64,
    dropped: u64,
    /// AutoUnsubscribe limit, 0 for none.
    max: u64,
    /// Why the subscription no longer delivers (set once).
    closed: Option<natsStatus>,
    /// Inside a slow-consumer episode (dropping).
    slow: bool,
    /// NextMsg owes the caller one NATS_SLOW_CONSUMER.
    slow_report_pending: bool,
}

/// One subscription, shared by the connection (sid map), the event loop and the user's handle.
#[derive(Debug)]
pub struct Subscription {
    pub sid: u64,
    pub subject: String,
    /// The subject as a C string, for `natsSubscription_GetSubject`.
    pub subject_c: std::ffi::CString,
    pub queue_group: Option<String>,
    /// The C handle (`natsSubscription*`) of this subscription, for callbacks; 0 until set.
    pub handle: AtomicUsize,
    state: Mutex<State>,
    cond: Condvar,
}

impl Subscription {
    pub fn new(sid: u64, subject: String, queue_group: Option<String>, limit_msgs: i32, limit_bytes: i64) -> Subscription {
        Subscription {
            sid,
            subject_c: std::ffi::CString::new(subject.clone()).unwrap_or_default(),
            subject,
            queue_group,
            handle: AtomicUsize::new(0),
            state: Mutex::new(State {
                queue: VecDeque::new(),
                pending_bytes: 0,
                limit_msgs,
                limit_bytes,
                max_msgs_seen: 0,
                max_bytes_seen: 0,
                delivered: 0,
                received: 0,
                dropped: 0,
                max: 0,
                closed: None,
                slow: false,
                slow_report_pending: false,
            }),
            cond: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Called by the event loop for each message for this sid.
    pub fn deliver(&self, msg: Msg) -> Delivery {
        let mut st = self.lock();
        if st.closed.is_some() || (st.max > 0 && st.received >= st.max) {
            return Delivery::Ignored;
        }
        let size = msg.pending_size();
        let over_msgs = st.limit_msgs > 0 && st.queue.len() >= st.limit_msgs as usize;
        let over_bytes = st.limit_bytes > 0 && (st.pending_bytes + size) as i64 > st.limit_bytes;
        if over_msgs || over_bytes {
            st.dropped += 1;
            let new_episode = !st.slow;
            if new_episode {
                st.slow = true;
                st.slow_report_pending = true;
            }
            return Delivery::Dropped { new_episode };
        }
        st.slow = false;
        st.received += 1;
        st.pending_bytes += size;
        st.queue.push_back(msg);
        st.max_msgs_seen = st.max_msgs_seen.max(st.queue.len());
        st.max_bytes_seen = st.max_bytes_seen.max(st.pending_bytes);
        let last = st.max > 0 && st.received >= st.max;
        drop(st);
        self.cond.notify_one();
        if last {
            Delivery::QueuedLast
        } else {
            Delivery::Queued
        }
    }

    /// `natsSubscription_NextMsg`: waits up to `timeout_ms` (0: do not wait).
    pub fn next_msg(&self, timeout_ms: i64) -> Result<Msg> {
        let deadline = Instant::now() + Duration::from_millis(timeout_ms.max(0) as u64);
        let mut st = self.lock();
        loop {
            if st.slow_report_pending {
                st.slow_report_pending = false;
                return err(natsStatus::NATS_SLOW_CONSUMER, "slow consumer: messages were dropped");
            }
            if let Some(m) = st.queue.pop_front() {
                st.pending_bytes -= m.pending_size();
                st.delivered += 1;
                return Ok(m);
            }
            if st.max > 0 && st.delivered >= st.max {
                return err(natsStatus::NATS_MAX_DELIVERED_MSGS, "the subscription reached its auto-unsubscribe limit");
            }
            if let Some(reason) = st.closed {
                return Err(closed_error(reason));
            }
            let now = Instant::now();
            if now >= deadline {
                return err(natsStatus::NATS_TIMEOUT, "no message received before the timeout");
            }
            st = self.cond.wait_timeout(st, deadline - now).unwrap_or_else(|p| p.into_inner()).0;
        }
    }

    /// Marks the subscription closed for `reason` and wakes every waiter. Queued messages stay
    /// readable when the reason is the auto-unsubscribe limit; otherwise they are discarded.
    pub fn close(&self, reason: natsStatus) {
        let mut st = self.lock();
        if st.closed.is_none() {
            st.closed = Some(reason);
            if reason != natsStatus::NATS_MAX_DELIVERED_MSGS {
                st.queue.clear();
                st.pending_bytes = 0;
            }
        }
        drop(st);
        self.cond.notify_all();
    }

    /// `None` while the subscription is valid.
    pub fn closed_reason(&self) -> Option<natsStatus> {
        self.lock().closed
    }

    pub fn is_valid(&self) -> bool {
        let st = self.lock();
        st.closed.is_none() && !(st.max > 0 && st.delivered >= st.max)
    }

    /// Fails with the closed status when the subscription is no longer valid.
    pub fn check_valid(&self) -> Result<()> {
        match self.lock().closed {
            None => Ok(()),
            Some(r) => Err(closed_error(r)),
        }
    }

    /// Sets the auto-unsubscribe limit; returns true when it is already reached.
    pub fn set_max(&self, max: u64) -> bool {
        let mut st = self.lock();
        st.max = max;
        max > 0 && st.received >= max
    }

    pub fn set_pending_limits(&self, msgs: i32, bytes: i64) -> Result<()> {
        if msgs == 0 || bytes == 0 {
            return err(natsStatus::NATS_INVALID_ARG, "pending limits cannot be zero (use a negative value for no limit)");
        }
        self.check_valid()?;
        let mut st = self.lock();
        st.limit_msgs = msgs;
        st.limit_bytes = bytes;
        Ok(())
    }

    pub fn pending_limits(&self) -> Result<(i32, i64)> {
        self.check_valid()?;
        let st = self.lock();
        Ok((st.limit_msgs, st.limit_bytes))
    }

    pub fn clear_max_pending(&self) -> Result<()> {
        self.check_valid()?;
        let mut st = self.lock();
        st.max_msgs_seen = 0;
        st.max_bytes_seen = 0;
        Ok(())
    }

    pub fn stats(&self) -> Result<SubStats> {
        self.check_valid()?;
        let st = self.lock();
        Ok(SubStats {
            pending_msgs: clamp_i32(st.queue.len()),
            pending_bytes: clamp_i32(st.pending_bytes),
            max_pending_msgs: clamp_i32(st.max_msgs_seen),
            max_pending_bytes: clamp_i32(st.max_bytes_seen),
            delivered: st.delivered as i64,
            dropped: st.dropped as i64,
        })
    }

    /// Messages waiting in the queue.
    pub fn queued(&self) -> Result<u64> {
        self.check_valid()?;
        Ok(self.lock().queue.len() as u64)
    }

    /// Messages delivered to the user plus those received (for the UNSUB max on resend).
    pub fn delivered(&self) -> u64 {
        self.lock().delivered
    }
}

fn clamp_i32(v: usize) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

fn closed_error(reason: natsStatus) -> crate::status::Error {
    let text = match reason {
        natsStatus::NATS_CONNECTION_CLOSED => "the connection is closed",
        natsStatus::NATS_MAX_DELIVERED_MSGS => "the subscription reached its auto-unsubscribe limit",
        _ => "the subscription is no longer valid",
    };
    crate::status::Error::new(reason, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(n: usize) -> Msg {
        Msg::new(b"s", None, &vec![b'x'; n])
    }

    #[test]
    fn slow_consumer_once_per_episode() {
        let s = Subscription::new(1, "s".into(), None, 2, 1000);
        assert_eq!(s.deliver(m(1)), Delivery::Queued);
        assert_eq!(s.deliver(m(1)), Delivery::Queued);
        assert_eq!(s.deliver(m(1)), Delivery::Dropped { new_episode: true });
        assert_eq!(s.deliver(m(1)), Delivery::Dropped { new_episode: false });
        assert_eq!(s.next_msg(0).unwrap_err().status, natsStatus::NATS_SLOW_CONSUMER);
        assert!(s.next_msg(0).is_ok());
        assert_eq!(s.deliver(m(1)), Delivery::Queued);
        assert_eq!(s.deliver(m(1)), Delivery::Dropped { new_episode: true });
        let st = s.stats().unwrap();
        assert_eq!((st.pending_msgs, st.delivered, st.dropped, st.max_pending_msgs), (2, 1, 3, 2));
    }

    #[test]
    fn auto_unsubscribe_exact() {
        let s = Subscription::new(1, "s".into(), None, 100, 1000);
        assert!(!s.set_max(2));
        assert_eq!(s.deliver(m(1)), Delivery::Queued);
        assert_eq!(s.deliver(m(1)), Delivery::QueuedLast);
        assert_eq!(s.deliver(m(1)), Delivery::Ignored);
        s.close(natsStatus::NATS_MAX_DELIVERED_MSGS);
        assert!(s.next_msg(0).is_ok());
        assert!(s.next_msg(0).is_ok());
        assert_eq!(s.next_msg(0).unwrap_err().status, natsStatus::NATS_MAX_DELIVERED_MSGS);
    }

    #[test]
    fn timeout_and_close() {
        let s = Subscription::new(1, "s".into(), None, 100, 1000);
        assert_eq!(s.next_msg(10).unwrap_err().status, natsStatus::NATS_TIMEOUT);
        s.close(natsStatus::NATS_INVALID_SUBSCRIPTION);
        assert_eq!(s.next_msg(10).unwrap_err().status, natsStatus::NATS_INVALID_SUBSCRIPTION);
        assert!(s.set_pending_limits(0, 10).is_err());
    }
}
