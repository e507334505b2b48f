//! Subscriptions: the pending queue between the event loop and the consumer, its limits and
//! counters.
//!
//! The event loop calls [`Subscription::deliver`]; a synchronous consumer calls
//! [`Subscription::next_msg`]; an asynchronous subscription is served by a [`Dispatcher`]
//! thread that calls its handler. Counters are exact because they all change under one lock.
#![forbid(unsafe_code)]

pub mod dispatch;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, Weak};
use std::thread::{JoinHandle, ThreadId};
use std::time::{Duration, Instant};

pub use dispatch::Dispatcher;

/// A message handler bound to its C callback: receives the subscription handle and the
/// message (`None` for an inactivity timeout).
pub type MsgHandler = Arc<dyn Fn(usize, Option<Msg>) + Send + Sync>;
/// A completion callback (`natsSubscription_SetOnCompleteCB`).
pub type CompleteHandler = Arc<dyn Fn() + Send + Sync>;

/// Receives messages on the event-loop thread itself, for internal subscriptions that run no
/// user code (the request/reply inbox).
pub trait Router: Send + Sync {
    fn route(&self, msg: Msg);
}

/// An upper layer's view of one subscription's messages (JetStream: heartbeats, flow
/// control, ordered delivery, acknowledgement context). Set once, before the subscription
/// can receive anything.
pub trait SubHooks: Send + Sync {
    /// On the event-loop thread, under the subscription's lock, for every arriving message:
    /// gives it back to be queued, or `None` when the hook consumed it (a control message).
    /// Must not block, publish or call into the subscription. `delivered` and `accepted`:
    /// messages handed out and accepted into the queue so far.
    fn arrive(&self, msg: Msg, delivered: u64, accepted: u64) -> Option<Msg>;
    /// On the consumer's thread, after a message was handed out (`delivered` so far).
    fn taken(&self, _delivered: u64) {}
    /// Before `natsSubscription_NextMsg`: an error to return instead of a message.
    fn check_next(&self) -> Result<()> {
        Ok(())
    }
    /// A drain of the subscription ended (on the drain thread), before completion is reported.
    fn drained(&self) {}
    /// `natsSubscription_Unsubscribe` succeeded (on the caller's thread).
    fn unsubscribed(&self) -> Result<()> {
        Ok(())
    }
    /// The upper layer's state, to find it again from the subscription.
    fn as_any(&self) -> &dyn std::any::Any;
}

/// How messages of a subscription reach the application.
pub enum Kind {
    /// `natsSubscription_NextMsg`.
    Sync,
    /// A handler on a dispatcher thread; `idle` is the SubscribeTimeout inactivity timeout.
    Async { handler: MsgHandler, idle: Option<Duration> },
    /// Internal: routed on the event loop.
    Inline(Arc<dyn Router>),
}

impl std::fmt::Debug for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Kind::Sync => "Sync",
            Kind::Async { .. } => "Async",
            Kind::Inline(_) => "Inline",
        })
    }
}

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

/// What `deliver_batch` did with a run of messages.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Batch {
    /// A blocked NextMsg must be woken ([`Subscription::wake_waiters`]).
    pub wake: bool,
    /// A message was dropped and started a slow-consumer episode.
    pub new_slow_episode: bool,
    /// The auto-unsubscribe limit was reached: the connection must forget the subscription.
    pub last: bool,
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
    /// Async: the dispatcher has this subscription in its ready list.
    scheduled: bool,
    /// Async: the thread currently running the handler.
    in_handler: Option<ThreadId>,
    /// Drain started; `drain_status` is set when it completed.
    draining: bool,
    drain_status: Option<natsStatus>,
    completed: bool,
    /// Threads waiting on the condition variable: notifications (a syscall each) are only
    /// sent when someone waits.
    waiters: usize,
}

/// One subscription, shared by the connection (sid map), the event loop and the user's handle.
pub struct Subscription {
    pub sid: u64,
    pub subject: String,
    /// The subject as a C string, for `natsSubscription_GetSubject`.
    pub subject_c: std::ffi::CString,
    pub queue_group: Option<String>,
    /// The C handle (`natsSubscription*`) of this subscription, for callbacks; 0 until set.
    pub handle: AtomicUsize,
    pub kind: Kind,
    state: Mutex<State>,
    cond: Condvar,
    me: Weak<Subscription>,
    /// Async: the dispatcher serving this subscription.
    pub dispatcher: OnceLock<Arc<Dispatcher>>,
    /// Async with a dedicated thread: that thread.
    pub worker: Mutex<Option<JoinHandle<()>>>,
    on_complete: Mutex<Option<CompleteHandler>>,
    /// An upper layer's hooks (JetStream), if any.
    pub hooks: OnceLock<Arc<dyn SubHooks>>,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription").field("sid", &self.sid).field("subject", &self.subject).field("kind", &self.kind).finish()
    }
}

impl Subscription {
    pub fn new(sid: u64, subject: String, queue_group: Option<String>, limit_msgs: i32, limit_bytes: i64) -> Arc<Subscription> {
        Self::with_kind(sid, subject, queue_group, limit_msgs, limit_bytes, Kind::Sync)
    }

    pub fn with_kind(
        sid: u64,
        subject: String,
        queue_group: Option<String>,
        limit_msgs: i32,
        limit_bytes: i64,
        kind: Kind,
    ) -> Arc<Subscription> {
        Arc::new_cyclic(|me| Subscription {
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
                scheduled: false,
                in_handler: None,
                draining: false,
                drain_status: None,
                completed: false,
                waiters: 0,
            }),
            cond: Condvar::new(),
            kind,
            me: me.clone(),
            dispatcher: OnceLock::new(),
            worker: Mutex::new(None),
            on_complete: Mutex::new(None),
            hooks: OnceLock::new(),
        })
    }

    pub fn is_async(&self) -> bool {
        matches!(self.kind, Kind::Async { .. })
    }

    /// The event loop and consumers both take it; whichever finds it taken yields its CPU a
    /// few times before sleeping (`lock_yielding`).
    fn lock(&self) -> MutexGuard<'_, State> {
        crate::conn::shared::lock_yielding(&self.state)
    }

    fn wait_timeout<'a>(&self, mut st: MutexGuard<'a, State>, d: Duration) -> MutexGuard<'a, State> {
        st.waiters += 1;
        let mut st = self.cond.wait_timeout(st, d).unwrap_or_else(|p| p.into_inner()).0;
        st.waiters -= 1;
        st
    }

    /// Wakes waiters, if any, after `st` is released.
    fn notify(&self, st: MutexGuard<'_, State>) {
        let any = st.waiters > 0;
        drop(st);
        if any {
            self.cond.notify_all();
        }
    }

    /// One message on its own (the unit tests' view of the rules `deliver_batch` applies).
    #[cfg(test)]
    pub fn deliver(&self, msg: Msg) -> Delivery {
        let is_async = self.is_async();
        let mut st = self.lock();
        let d = Self::admit(&mut st, msg, is_async);
        if matches!(d, Delivery::Queued | Delivery::QueuedLast) && self.after_queued(st) {
            self.wake_waiters();
        }
        d
    }

    /// Delivers a run of messages that arrived together, under one lock (the event loop's
    /// path). Each message is judged as `deliver` would; the outcome sums them up.
    pub fn deliver_batch(&self, msgs: &mut Vec<Msg>) -> Batch {
        let mut out = Batch::default();
        if let Kind::Inline(r) = &self.kind {
            for m in msgs.drain(..) {
                r.route(m);
            }
            return out;
        }
        let is_async = self.is_async();
        let hooks = self.hooks.get();
        let mut st = self.lock();
        let mut queued = false;
        for m in msgs.drain(..) {
            let m = match hooks {
                Some(h) => match h.arrive(m, st.delivered, st.received) {
                    Some(m) => m,
                    None => continue,
                },
                None => m,
            };
            match Self::admit(&mut st, m, is_async) {
                Delivery::Queued => queued = true,
                Delivery::QueuedLast => {
                    queued = true;
                    out.last = true;
                }
                Delivery::Dropped { new_episode } => out.new_slow_episode |= new_episode,
                Delivery::Ignored => {}
            }
        }
        if !queued {
            return out;
        }
        out.wake = self.after_queued(st);
        out
    }

    /// The per-message rules: closed or past the auto-unsubscribe limit, pending limits
    /// (slow consumer episodes), counters.
    fn admit(st: &mut State, msg: Msg, is_async: bool) -> Delivery {
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
                st.slow_report_pending = !is_async;
            }
            return Delivery::Dropped { new_episode };
        }
        st.slow = false;
        st.received += 1;
        st.pending_bytes += size;
        st.queue.push_back(msg);
        st.max_msgs_seen = st.max_msgs_seen.max(st.queue.len());
        st.max_bytes_seen = st.max_bytes_seen.max(st.pending_bytes);
        if st.max > 0 && st.received >= st.max {
            Delivery::QueuedLast
        } else {
            Delivery::Queued
        }
    }

    /// After queueing: schedules an async subscription's dispatcher, or says whether a
    /// blocked NextMsg must be woken.
    fn after_queued(&self, mut st: MutexGuard<'_, State>) -> bool {
        let schedule = self.is_async() && !st.scheduled;
        if schedule {
            st.scheduled = true;
        }
        let wake = st.waiters > 0;
        drop(st);
        if schedule {
            self.schedule();
        }
        wake && !schedule
    }

    /// Wakes consumers blocked in NextMsg (after `deliver_batch` said to).
    pub fn wake_waiters(&self) {
        self.cond.notify_all();
    }

    /// `natsSubscription_NextMsg`: waits up to `timeout_ms` (0: do not wait).
    pub fn next_msg(&self, timeout_ms: i64) -> Result<Msg> {
        // The clock is read only when the queue is empty (a busy consumer never reads it).
        let mut deadline = None;
        let mut st = self.lock();
        // As nats.c: a subscription that is no longer valid first (past the auto-unsubscribe
        // limit: NATS_MAX_DELIVERED_MSGS), then an asynchronous one (NATS_ILLEGAL_STATE).
        if let Some(reason) = st.closed {
            if st.max > 0 && st.delivered >= st.max {
                return err(natsStatus::NATS_MAX_DELIVERED_MSGS, "the subscription reached its auto-unsubscribe limit");
            }
            if reason != natsStatus::NATS_MAX_DELIVERED_MSGS {
                return Err(closed_error(reason));
            }
        }
        if self.is_async() {
            return err(natsStatus::NATS_ILLEGAL_STATE, "NextMsg cannot be used on an asynchronous subscription");
        }
        loop {
            if st.slow_report_pending {
                st.slow_report_pending = false;
                return err(natsStatus::NATS_SLOW_CONSUMER, "slow consumer: messages were dropped");
            }
            if st.max > 0 && st.delivered >= st.max {
                return err(natsStatus::NATS_MAX_DELIVERED_MSGS, "the subscription reached its auto-unsubscribe limit");
            }
            if let Some(m) = st.queue.pop_front() {
                st.pending_bytes -= m.pending_size();
                st.delivered += 1;
                // The server's "no responders" answer is reported, not handed out.
                if m.is_no_responders() {
                    return err(natsStatus::NATS_NO_RESPONDERS, "no responders were available for the request");
                }
                if let Some(h) = self.hooks.get() {
                    h.taken(st.delivered);
                }
                return Ok(m);
            }
            if let Some(reason) = st.closed {
                return Err(closed_error(reason));
            }
            let now = Instant::now();
            let d = *deadline.get_or_insert_with(|| now + Duration::from_millis(timeout_ms.max(0) as u64));
            if now >= d {
                return err(natsStatus::NATS_TIMEOUT, "no message received before the timeout");
            }
            st = self.wait_timeout(st, d - now);
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
        self.schedule();
    }

    /// Closes and discards even the messages an auto-unsubscribe limit would still deliver
    /// (connection Destroy: no handler may run afterwards).
    pub fn close_hard(&self) {
        let mut st = self.lock();
        if st.closed.is_none() {
            st.closed = Some(natsStatus::NATS_CONNECTION_CLOSED);
        }
        st.queue.clear();
        st.pending_bytes = 0;
        drop(st);
        self.cond.notify_all();
        self.schedule();
    }

    /// Hands the subscription to its dispatcher (async only).
    fn schedule(&self) {
        if let (Some(d), Some(me)) = (self.dispatcher.get(), self.me.upgrade()) {
            d.schedule(me);
        }
    }

    /// Dispatcher side: the next message to hand to the handler, marking the handler busy;
    /// `None` when there is nothing to deliver.
    pub fn take_for_dispatch(&self) -> Option<Msg> {
        let mut st = self.lock();
        let m = match st.closed {
            Some(r) if r != natsStatus::NATS_MAX_DELIVERED_MSGS => None,
            _ if st.max > 0 && st.delivered >= st.max => None,
            _ => st.queue.pop_front(),
        };
        match m {
            Some(m) => {
                st.pending_bytes -= m.pending_size();
                st.delivered += 1;
                st.in_handler = Some(std::thread::current().id());
                if let Some(h) = self.hooks.get() {
                    h.taken(st.delivered);
                }
                Some(m)
            }
            None => {
                st.scheduled = false;
                self.notify(st);
                None
            }
        }
    }

    /// Dispatcher side: marks the start of a handler call that carries no message (inactivity
    /// timeout); false when the subscription is no longer valid.
    pub fn begin_idle_call(&self) -> bool {
        let mut st = self.lock();
        if st.closed.is_some() || st.draining {
            return false;
        }
        st.in_handler = Some(std::thread::current().id());
        true
    }

    /// Dispatcher side: the handler returned.
    pub fn handler_done(&self) {
        let mut st = self.lock();
        st.in_handler = None;
        if st.max > 0 && st.delivered >= st.max && st.closed.is_none() {
            st.closed = Some(natsStatus::NATS_MAX_DELIVERED_MSGS);
        }
        self.notify(st);
    }

    /// Closed with nothing left to deliver.
    pub fn is_finished(&self) -> bool {
        let st = self.lock();
        let nothing_left = st.queue.is_empty() || (st.max > 0 && st.delivered >= st.max);
        st.closed.is_some() && nothing_left && st.in_handler.is_none()
    }

    /// Ends delivery for good: waits for a running handler (unless it is the calling thread)
    /// and for the dedicated delivery thread, if any, to end.
    pub fn stop_delivery(&self) {
        self.wait_idle();
        let worker = self.worker.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(w) = worker {
            join_unless_current(w);
        }
    }

    /// Waits until no handler of this subscription runs (except on the calling thread, so a
    /// handler may destroy its own subscription).
    pub fn wait_idle(&self) {
        let me = std::thread::current().id();
        let mut st = self.lock();
        while st.in_handler.is_some_and(|t| t != me) {
            st = self.wait_timeout(st, Duration::from_millis(100));
        }
    }

    pub fn set_on_complete(&self, cb: Option<CompleteHandler>) -> Result<()> {
        self.check_valid()?;
        *self.on_complete.lock().unwrap_or_else(|p| p.into_inner()) = cb;
        Ok(())
    }

    /// Runs the completion callback once (on a dispatcher or drain thread).
    pub fn complete(&self) {
        {
            let mut st = self.lock();
            if st.completed {
                return;
            }
            st.completed = true;
        }
        let cb = self.on_complete.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if let Some(cb) = cb {
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| cb()));
        }
    }

    /// Marks the start of a drain; NATS_DRAINING... is not an error here: a second drain is
    /// a no-op (returns false).
    pub fn start_drain(&self) -> Result<bool> {
        let mut st = self.lock();
        Self::valid(&st)?;
        if st.draining {
            return Ok(false);
        }
        st.draining = true;
        Ok(true)
    }

    /// Drain side: waits until every queued message was consumed and no handler runs, or the
    /// deadline passes. True when drained.
    pub fn wait_drained(&self, deadline: Instant) -> bool {
        let me = std::thread::current().id();
        let mut st = self.lock();
        loop {
            let busy = st.in_handler.is_some_and(|t| t != me);
            let discarded = matches!(st.closed, Some(r) if r != natsStatus::NATS_MAX_DELIVERED_MSGS);
            if discarded || (st.queue.is_empty() && !busy) {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            st = self.wait_timeout(st, (deadline - now).min(Duration::from_millis(100)));
        }
    }

    pub fn finish_drain(&self, status: natsStatus) {
        if let Some(h) = self.hooks.get() {
            h.drained();
        }
        {
            let mut st = self.lock();
            st.drain_status = Some(status);
        }
        self.close(natsStatus::NATS_INVALID_SUBSCRIPTION);
        self.complete();
        self.cond.notify_all();
    }

    pub fn is_draining(&self) -> bool {
        self.lock().draining
    }

    /// `natsSubscription_WaitForDrainCompletion`: timeout <= 0 waits without limit.
    pub fn wait_drain_completion(&self, timeout_ms: i64) -> Result<()> {
        let deadline = (timeout_ms > 0).then(|| Instant::now() + Duration::from_millis(timeout_ms as u64));
        let mut st = self.lock();
        if !st.draining {
            return err(natsStatus::NATS_ILLEGAL_STATE, "the subscription is not draining");
        }
        while st.drain_status.is_none() {
            let wait = match deadline {
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        return err(natsStatus::NATS_TIMEOUT, "the drain did not complete in time");
                    }
                    (d - now).min(Duration::from_millis(100))
                }
                None => Duration::from_millis(100),
            };
            st = self.wait_timeout(st, wait);
        }
        Ok(())
    }

    /// `natsSubscription_DrainCompletionStatus`.
    pub fn drain_completion_status(&self) -> natsStatus {
        let st = self.lock();
        match (st.draining, st.drain_status) {
            (true, Some(s)) => s,
            // As nats.c: a subscription that reached its auto-unsubscribe limit (last message
            // handed out and handled) counts as drained, with NATS_OK.
            _ if st.max > 0 && st.delivered >= st.max && st.in_handler.is_none() => natsStatus::NATS_OK,
            _ => natsStatus::NATS_ILLEGAL_STATE,
        }
    }

    /// `None` while the subscription is valid.
    pub fn closed_reason(&self) -> Option<natsStatus> {
        self.lock().closed
    }

    pub fn is_valid(&self) -> bool {
        let st = self.lock();
        let reached = st.max > 0 && st.delivered >= st.max && st.in_handler.is_none();
        match st.closed {
            None => !reached,
            // Still valid while messages allowed by the limit wait to be consumed.
            Some(natsStatus::NATS_MAX_DELIVERED_MSGS) => !reached,
            Some(_) => false,
        }
    }

    /// The handle to give to C callbacks (0 once the subscription handle was destroyed).
    pub fn handle(&self) -> usize {
        self.handle.load(Ordering::Acquire)
    }

    /// Fails with NATS_INVALID_SUBSCRIPTION when the subscription is no longer valid, whatever
    /// ended it (unsubscribed, auto-unsubscribe limit reached, connection closed), as nats.c's
    /// subscription calls do; the text says why.
    pub fn check_valid(&self) -> Result<()> {
        Self::valid(&self.lock())
    }

    fn valid(st: &State) -> Result<()> {
        match st.closed {
            None => Ok(()),
            // Valid until the last message allowed by the limit was handed out and, for an
            // async subscription, its handler returned (as nats.c).
            Some(natsStatus::NATS_MAX_DELIVERED_MSGS) if st.delivered < st.max || st.in_handler.is_some() => Ok(()),
            Some(r) => Err(invalid_error(r)),
        }
    }

    /// The hooks' check before NextMsg (see [`SubHooks::check_next`]).
    pub fn check_next(&self) -> Result<()> {
        self.hooks.get().map_or(Ok(()), |h| h.check_next())
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

    /// What is left of an auto-unsubscribe limit (for the UNSUB re-sent after a reconnect).
    pub fn auto_unsub_remaining(&self) -> Option<u64> {
        let st = self.lock();
        (st.max > 0).then(|| st.max.saturating_sub(st.received).max(1))
    }

}

/// Joins a thread, unless it is the calling one (a callback or handler may end what runs
/// it: that thread then ends by itself).
pub fn join_unless_current(h: JoinHandle<()>) {
    if h.thread().id() != std::thread::current().id() {
        let _ = h.join();
    }
}

fn clamp_i32(v: usize) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

/// NATS_INVALID_SUBSCRIPTION, saying what ended the subscription.
fn invalid_error(reason: natsStatus) -> crate::status::Error {
    let text = match reason {
        natsStatus::NATS_CONNECTION_CLOSED => "the subscription is no longer valid: its connection is closed",
        natsStatus::NATS_MAX_DELIVERED_MSGS => "the subscription is no longer valid: it reached its auto-unsubscribe limit",
        _ => "the subscription is no longer valid",
    };
    crate::status::Error::new(natsStatus::NATS_INVALID_SUBSCRIPTION, text)
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
    fn batches_follow_the_per_message_rules() {
        // Pending limit of 2 messages: a run of 4 queues 2 and starts one slow episode.
        let s = Subscription::new(1, "s".into(), None, 2, 1000);
        let mut run: Vec<Msg> = (0..4).map(|_| m(1)).collect();
        let out = s.deliver_batch(&mut run);
        assert!(run.is_empty());
        assert_eq!(out, Batch { wake: false, new_slow_episode: true, last: false });
        assert_eq!(s.next_msg(0).unwrap_err().status, natsStatus::NATS_SLOW_CONSUMER);
        let st = s.stats().unwrap();
        assert_eq!((st.pending_msgs, st.dropped), (2, 2));

        // AutoUnsubscribe(3) with a run of 5: exactly 3 queued, the last one reported.
        let s = Subscription::new(2, "s".into(), None, 100, 1000);
        assert!(!s.set_max(3));
        let mut run: Vec<Msg> = (0..5).map(|_| m(1)).collect();
        assert!(s.deliver_batch(&mut run).last);
        s.close(natsStatus::NATS_MAX_DELIVERED_MSGS);
        for _ in 0..3 {
            assert!(s.next_msg(0).is_ok());
        }
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
