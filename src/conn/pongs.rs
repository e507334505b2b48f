//! The PONG queue: one slot per PING in flight, matched to PONGs in FIFO order.
//!
//! Keepalive PINGs take a slot with no waiter; a flush that timed out leaves its slot in place
//! (abandoned) so that the late PONG is consumed by that slot and releases nobody else.
#![forbid(unsafe_code)]

use std::collections::{HashMap, VecDeque};

use crate::status::natsStatus;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Keepalive,
    Flush(u64),
    Abandoned,
}

/// FIFO of PINGs waiting for their PONG, plus the results of finished flushes.
#[derive(Debug, Default)]
pub struct PongQueue {
    slots: VecDeque<Slot>,
    next_id: u64,
    done: HashMap<u64, natsStatus>,
}

impl PongQueue {
    pub fn new() -> PongQueue {
        PongQueue::default()
    }

    /// A keepalive PING was queued.
    pub fn push_keepalive(&mut self) {
        self.slots.push_back(Slot::Keepalive);
    }

    /// A flush PING was queued; returns the waiter id.
    pub fn push_flush(&mut self) -> u64 {
        self.next_id += 1;
        self.slots.push_back(Slot::Flush(self.next_id));
        self.next_id
    }

    /// A PONG arrived. Returns true when a waiter was released. A PONG with no PING in
    /// flight is ignored.
    pub fn on_pong(&mut self) -> bool {
        match self.slots.pop_front() {
            Some(Slot::Flush(id)) => {
                self.done.insert(id, natsStatus::NATS_OK);
                true
            }
            _ => false,
        }
    }

    /// Whether the flush `id` has its result (left in place for `take_result`).
    pub fn is_done(&self, id: u64) -> bool {
        self.done.contains_key(&id)
    }

    /// The result of a flush, once it has one (taking it out of the queue).
    pub fn take_result(&mut self, id: u64) -> Option<natsStatus> {
        self.done.remove(&id)
    }

    /// The waiter gave up (timeout): its slot stays so that FIFO matching holds.
    pub fn abandon(&mut self, id: u64) {
        self.done.remove(&id);
        for s in self.slots.iter_mut() {
            if *s == Slot::Flush(id) {
                *s = Slot::Abandoned;
            }
        }
    }

    /// Ends every waiter with `status` and empties the queue (disconnect or close).
    pub fn fail_all(&mut self, status: natsStatus) {
        for s in self.slots.drain(..) {
            if let Slot::Flush(id) = s {
                self.done.insert(id, status);
            }
        }
    }

    /// PINGs in flight (all kinds).
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_with_keepalive_and_abandoned() {
        let mut q = PongQueue::new();
        let a = q.push_flush();
        q.push_keepalive();
        let b = q.push_flush();
        let c = q.push_flush();
        q.abandon(b);
        assert!(q.on_pong());
        assert_eq!(q.take_result(a), Some(natsStatus::NATS_OK));
        assert!(!q.on_pong()); // keepalive
        assert!(!q.on_pong()); // abandoned b: releases nobody
        assert_eq!(q.take_result(c), None);
        assert!(q.on_pong());
        assert_eq!(q.take_result(c), Some(natsStatus::NATS_OK));
        assert!(!q.on_pong()); // unsolicited
        assert!(q.is_empty());
    }

    #[test]
    fn fail_all_reports_status() {
        let mut q = PongQueue::new();
        let a = q.push_flush();
        q.push_keepalive();
        q.fail_all(natsStatus::NATS_CONNECTION_CLOSED);
        assert_eq!(q.take_result(a), Some(natsStatus::NATS_CONNECTION_CLOSED));
        assert_eq!(q.len(), 0);
    }
}
