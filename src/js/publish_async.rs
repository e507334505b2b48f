//! Asynchronous JetStream publish (`js_PublishAsync`, `js_PublishMsgAsync`,
//! `js_PublishAsyncComplete`, `js_PublishAsyncGetPendingList`): a bounded window of
//! messages in flight, each waiting in a slot for the stream's acknowledgment.
//!
//! - A context publishing asynchronously has one wildcard subscription,
//!   `<inbox prefix>.<nuid>.*`; every message goes out with the reply subject
//!   `<inbox prefix>.<nuid>.<slot id>`, and the acks are routed to their slots by that last
//!   token on the event loop (no subscription per message, O(1) per ack).
//! - Outcomes (acks, server errors, no-responders, timeouts) reach the user's handler on the
//!   context's own thread, never on the event loop. A slot stays counted in the window until
//!   its handler returned, so the queue of outcomes is bounded by the window too.
//! - MaxPending bounds the window: a publish that finds it full waits up to StallWait, then
//!   fails with NATS_TIMEOUT, as nats.c does.
//! - Timeouts: a message published with MaxWait fails with NATS_TIMEOUT when no ack came in
//!   time. After a reconnect, every message still in flight gets the context's wait to be
//!   acknowledged (its PUB may have been lost with the old socket): it is acked, or its
//!   handler hears NATS_TIMEOUT. None disappears silently.
//! - Destroying the context drops the messages in flight without calling a handler (as
//!   nats.c does) and waits for a handler that is running: none runs after it returned.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::api::{js_err, JsError, JsResult};
use super::publish::{msg_subject, parse_pub_ack, PubAck, PubOptions};
use crate::conn::Connection;
use crate::msg::Msg;
use crate::status::natsStatus;
use crate::sub::{join_unless_current, Kind, Router, Subscription};

/// nats.c's default StallWait, in milliseconds.
pub const DEFAULT_STALL_WAIT_MS: i64 = 200;

/// How often the ack thread looks for a reconnect or a closed connection while messages are
/// in flight.
const WATCH_INTERVAL: Duration = Duration::from_millis(100);

/// Waits given in milliseconds are capped here (a year): any longer wait behaves the same,
/// and deadlines computed from it cannot overflow.
pub(crate) const MAX_WAIT_MS: i64 = 365 * 24 * 3600 * 1000;

/// A wait in milliseconds as a Duration, capped at MAX_WAIT_MS (negative: zero).
pub(crate) fn wait_of(ms: i64) -> Duration {
    Duration::from_millis(ms.clamp(0, MAX_WAIT_MS) as u64)
}

/// Called once per message on the context's ack thread, with the context's handle (see
/// [`AsyncState::set_handle`]), the published message (the handler owns it) and its
/// outcome.
pub type AckHandler = Arc<dyn Fn(usize, Msg, Result<PubAck, JsError>) + Send + Sync>;

/// The PublishAsync part of the context options.
#[derive(Clone, Default)]
pub struct PublishAsyncOptions {
    /// Messages in flight at most; <= 0: no limit (nats.c's default).
    pub max_pending: i64,
    /// Every outcome, or (FFI's ErrHandler) whatever the handler chooses to report.
    pub handler: Option<AckHandler>,
    /// Milliseconds a publish waits for room in a full window; 0: 200 ms.
    pub stall_wait_ms: i64,
}

impl std::fmt::Debug for PublishAsyncOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PublishAsyncOptions")
            .field("max_pending", &self.max_pending)
            .field("handler", &self.handler.is_some())
            .field("stall_wait_ms", &self.stall_wait_ms)
            .finish()
    }
}

impl PartialEq for PublishAsyncOptions {
    fn eq(&self, o: &Self) -> bool {
        let same_handler = match (&self.handler, &o.handler) {
            (None, None) => true,
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        };
        self.max_pending == o.max_pending && self.stall_wait_ms == o.stall_wait_ms && same_handler
    }
}

impl Eq for PublishAsyncOptions {}

impl PublishAsyncOptions {
    /// nats.c refuses a negative StallWait when the context is made.
    pub fn check(&self) -> JsResult<()> {
        if self.stall_wait_ms < 0 {
            return js_err(
                natsStatus::NATS_INVALID_ARG,
                format!("option 'PublishAsyncStallWait' ({}) cannot be negative", self.stall_wait_ms),
            );
        }
        Ok(())
    }
}

/// The asynchronous-publish state of a context, shared by its clones; the publisher (the
/// subscription and the ack thread) is made on the first asynchronous publish.
pub struct AsyncState {
    opts: PublishAsyncOptions,
    handle: AtomicUsize,
    /// Set once, on the first asynchronous publish, and kept until the state is dropped
    /// (Destroy shuts it down): publishing reads it without a lock or a reference count.
    publisher: OnceLock<Arc<Publisher>>,
    /// Held while the publisher is made (two first publishes at once make one).
    starting: Mutex<()>,
    destroyed: AtomicBool,
}

impl std::fmt::Debug for AsyncState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncState").field("opts", &self.opts).finish()
    }
}

impl AsyncState {
    pub fn new(opts: PublishAsyncOptions) -> AsyncState {
        AsyncState {
            opts,
            handle: AtomicUsize::new(0),
            publisher: OnceLock::new(),
            starting: Mutex::new(()),
            destroyed: AtomicBool::new(false),
        }
    }

    /// Records the C handle (`jsCtx*`) handed to the handlers.
    pub fn set_handle(&self, handle: usize) {
        self.handle.store(handle, Ordering::Release);
    }

    fn destroyed_error<T>() -> JsResult<T> {
        js_err(natsStatus::NATS_ILLEGAL_STATE, "the JetStream context was destroyed")
    }

    /// The publisher, made on first use.
    fn get(&self, conn: &Connection, wait_ms: i64) -> JsResult<&Publisher> {
        if self.destroyed.load(Ordering::Acquire) {
            return Self::destroyed_error();
        }
        if let Some(p) = self.publisher.get() {
            return Ok(p);
        }
        let _starting = self.starting.lock().unwrap_or_else(|p| p.into_inner());
        if self.destroyed.load(Ordering::Acquire) {
            return Self::destroyed_error();
        }
        if let Some(p) = self.publisher.get() {
            return Ok(p);
        }
        let p = Publisher::start(conn, &self.opts, wait_ms, self.handle.load(Ordering::Acquire))?;
        Ok(self.publisher.get_or_init(|| p))
    }

    fn current(&self) -> Option<&Publisher> {
        self.publisher.get().map(|p| &**p)
    }

    /// jsCtx_Destroy: drops what is in flight (no handler is called for it), ends the
    /// subscription and waits for the ack thread, unless called from a handler.
    pub fn destroy(&self) {
        self.destroyed.store(true, Ordering::Release);
        // Under `starting`: a publisher being made is either seen here or never made.
        let _starting = self.starting.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(p) = self.publisher.get() {
            p.shutdown();
        }
    }
}

impl Drop for AsyncState {
    fn drop(&mut self) {
        self.destroy();
    }
}

/// Slot ids are consecutive numbers of our own: a multiplication spreads them well enough,
/// at a fraction of the default hasher's cost (two map operations per message).
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

type Slots = HashMap<u64, Slot, BuildHasherDefault<IdHasher>>;

/// Where a slot's message is.
enum Slot {
    /// The publishing thread is writing it (it holds the message).
    Sending,
    /// Written; waiting for its ack.
    Pending(Msg),
    /// Its ack came while it was being written.
    Answered(Msg),
    /// Its deadline passed while it was being written.
    TimedOut,
}

/// What happened to a message, for its handler.
enum Outcome {
    Reply(Msg),
    Failed(JsError),
}

/// Deadlines of messages published with the same wait: appended in time order, so each
/// queue stays sorted and the earliest deadline is at a front (O(1) per message).
struct Deadlines {
    wait: Duration,
    queue: VecDeque<(Instant, u64)>,
}

struct PubState {
    next_id: u64,
    slots: Slots,
    /// Messages published and not finished: in `slots`, in `done`, or in their handler.
    count: usize,
    /// Outcomes for the ack thread, in arrival order.
    done: VecDeque<(Msg, Outcome)>,
    deadlines: Vec<Deadlines>,
    deadline_entries: usize,
    closed: bool,
    /// The ack thread sleeps on `work`.
    idle: bool,
    /// Threads sleeping on `room` (stalled publishers, AsyncComplete).
    waiters: usize,
}

impl PubState {
    fn add_deadline(&mut self, wait: Duration, id: u64) {
        let at = Instant::now() + wait;
        match self.deadlines.iter_mut().find(|d| d.wait == wait) {
            Some(d) => d.queue.push_back((at, id)),
            None => self.deadlines.push(Deadlines { wait, queue: VecDeque::from([(at, id)]) }),
        }
        self.deadline_entries += 1;
        // Entries of acknowledged messages leave when they reach a front; should some stay
        // behind one long wait, sweep them so that memory follows the window.
        if self.deadline_entries > 2 * self.slots.len() + 64 {
            let slots = &self.slots;
            let mut n = 0;
            for d in &mut self.deadlines {
                d.queue.retain(|(_, id)| slots.contains_key(id));
                n += d.queue.len();
            }
            self.deadlines.retain(|d| !d.queue.is_empty());
            self.deadline_entries = n;
        }
    }

    /// Ends the slots whose deadline passed (NATS_TIMEOUT); returns the next deadline.
    fn expire(&mut self, now: Instant) -> Option<Instant> {
        let mut next: Option<Instant> = None;
        for i in 0..self.deadlines.len() {
            while let Some(&(at, id)) = self.deadlines[i].queue.front() {
                let live = self.slots.contains_key(&id);
                if live && at > now {
                    next = Some(next.map_or(at, |n| n.min(at)));
                    break;
                }
                self.deadlines[i].queue.pop_front();
                self.deadline_entries -= 1;
                if !live {
                    continue;
                }
                match self.slots.remove(&id) {
                    Some(Slot::Pending(m)) => self.done.push_back((m, Outcome::Failed(timeout_error()))),
                    Some(Slot::Sending) => {
                        self.slots.insert(id, Slot::TimedOut);
                    }
                    Some(other) => {
                        self.slots.insert(id, other);
                    }
                    None => {}
                }
            }
        }
        self.deadlines.retain(|d| !d.queue.is_empty());
        next
    }
}

fn timeout_error() -> JsError {
    JsError::new(natsStatus::NATS_TIMEOUT, "no acknowledgment from the stream in time")
}

/// The asynchronous publisher of one context.
pub struct Publisher {
    conn: Connection,
    /// `<inbox prefix>.<nuid>.`
    prefix: String,
    max_pending: usize,
    stall_wait: Duration,
    /// The context's wait: the time a message in flight at a reconnect has to be acked.
    wait: Duration,
    handler: Option<AckHandler>,
    handle: usize,
    state: Mutex<PubState>,
    /// The ack thread waits here.
    work: Condvar,
    /// Stalled publishers and AsyncComplete wait here.
    room: Condvar,
    sub: Mutex<Option<Arc<Subscription>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Publisher {
    fn start(conn: &Connection, opts: &PublishAsyncOptions, wait_ms: i64, handle: usize) -> JsResult<Arc<Publisher>> {
        let stall = if opts.stall_wait_ms > 0 { opts.stall_wait_ms } else { DEFAULT_STALL_WAIT_MS };
        let p = Arc::new(Publisher {
            conn: conn.clone(),
            prefix: format!("{}.", conn.new_inbox()),
            max_pending: opts.max_pending.max(0) as usize,
            stall_wait: wait_of(stall),
            wait: wait_of(wait_ms.max(1)),
            handler: opts.handler.clone(),
            handle,
            state: Mutex::new(PubState {
                next_id: 1,
                slots: Slots::default(),
                count: 0,
                done: VecDeque::new(),
                deadlines: Vec::new(),
                deadline_entries: 0,
                closed: false,
                idle: false,
                waiters: 0,
            }),
            work: Condvar::new(),
            room: Condvar::new(),
            sub: Mutex::new(None),
            thread: Mutex::new(None),
        });
        let sub = conn.subscribe(&format!("{}*", p.prefix), None, Kind::Inline(Arc::clone(&p) as Arc<dyn Router>))?;
        *p.sub.lock().unwrap_or_else(|e| e.into_inner()) = Some(sub);
        let worker = Arc::clone(&p);
        let t = std::thread::Builder::new().name("nats-js-acks".into()).spawn(move || {
            // Handlers' panics are caught where they are called; this is for the rest.
            let _ = catch_unwind(AssertUnwindSafe(|| worker.run()));
        });
        match t {
            Ok(h) => *p.thread.lock().unwrap_or_else(|e| e.into_inner()) = Some(h),
            Err(e) => {
                p.shutdown();
                return js_err(natsStatus::NATS_SYS_ERROR, format!("cannot start the acknowledgment thread: {e}"));
            }
        }
        Ok(p)
    }

    fn lock(&self) -> MutexGuard<'_, PubState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn wake_worker(&self, st: &mut PubState) {
        if st.idle {
            st.idle = false;
            self.work.notify_one();
        }
    }

    /// A slot finished (its handler returned, or it left the window otherwise).
    fn finish(&self, st: &mut PubState, n: usize) {
        st.count = st.count.saturating_sub(n);
        // A stalled publisher is woken once a quarter of the window is free (not at each
        // ack: it would send one message per wake-up), AsyncComplete when none is left. A
        // waiter whose time is up checks the window itself.
        let resume_at = self.max_pending.saturating_sub((self.max_pending / 4).max(1));
        if st.waiters > 0 && (st.count == 0 || st.count <= resume_at) {
            self.room.notify_all();
        }
    }

    /// Takes a slot in the window, waiting up to StallWait for room.
    fn register(&self) -> JsResult<u64> {
        let mut st = self.lock();
        if st.closed {
            return js_err(natsStatus::NATS_ILLEGAL_STATE, "the JetStream context was destroyed");
        }
        if self.max_pending > 0 && st.count >= self.max_pending {
            let deadline = Instant::now() + self.stall_wait;
            st.waiters += 1;
            while st.count >= self.max_pending && !st.closed {
                let now = Instant::now();
                if now >= deadline {
                    break;
                }
                st = self.room.wait_timeout(st, deadline - now).unwrap_or_else(|p| p.into_inner()).0;
            }
            st.waiters -= 1;
            if st.closed {
                return js_err(natsStatus::NATS_ILLEGAL_STATE, "the JetStream context was destroyed");
            }
            if st.count >= self.max_pending {
                return js_err(natsStatus::NATS_TIMEOUT, "stalled with too many outstanding async published messages");
            }
        }
        st.count += 1;
        if st.count == 1 {
            // The ack thread sleeps long while nothing is in flight; from now on it must
            // watch for reconnects.
            self.wake_worker(&mut st);
        }
        let id = st.next_id;
        st.next_id += 1;
        st.slots.insert(id, Slot::Sending);
        Ok(id)
    }

    /// Publishes `msg` in the window. On failure the message comes back with the error.
    fn publish(&self, msg: Msg, max_wait_ms: i64) -> Result<(), (JsError, Msg)> {
        let subject = match msg_subject(&msg) {
            Ok(s) => s,
            Err(e) => return Err((e, msg)),
        };
        let id = match self.register() {
            Ok(id) => id,
            Err(e) => return Err((e, msg)),
        };
        let headers = msg.headers().filter(|h| !h.is_empty());
        let sent = with_reply(&self.prefix, id, |reply| self.conn.publish_full(subject, Some(reply), headers, msg.data()));
        let mut st = self.lock();
        let slot = st.slots.remove(&id);
        match sent {
            Ok(()) => {
                match slot {
                    Some(Slot::Sending) => {
                        st.slots.insert(id, Slot::Pending(msg));
                        if max_wait_ms > 0 {
                            st.add_deadline(wait_of(max_wait_ms), id);
                            self.wake_worker(&mut st);
                        }
                    }
                    Some(Slot::Answered(r)) => {
                        st.done.push_back((msg, Outcome::Reply(r)));
                        self.wake_worker(&mut st);
                    }
                    Some(Slot::TimedOut) => {
                        st.done.push_back((msg, Outcome::Failed(timeout_error())));
                        self.wake_worker(&mut st);
                    }
                    // Destroyed meanwhile: the message goes with the rest.
                    Some(Slot::Pending(_)) | None => {}
                }
                Ok(())
            }
            Err(e) => match slot {
                // The ack came anyway: the message was sent, and its outcome is reported.
                Some(Slot::Answered(r)) => {
                    st.done.push_back((msg, Outcome::Reply(r)));
                    self.wake_worker(&mut st);
                    Ok(())
                }
                Some(_) => {
                    self.finish(&mut st, 1);
                    Err((e.into(), msg))
                }
                None => Err((e.into(), msg)),
            },
        }
    }

    /// Waits until every message in flight is finished, up to `max_wait_ms` (0: no limit).
    fn complete(&self, max_wait_ms: i64) -> JsResult<()> {
        let deadline = (max_wait_ms > 0).then(|| Instant::now() + wait_of(max_wait_ms));
        let mut st = self.lock();
        st.waiters += 1;
        let result = loop {
            if st.count == 0 || st.closed {
                break Ok(());
            }
            let now = Instant::now();
            if deadline.is_some_and(|d| now >= d) {
                break js_err(
                    natsStatus::NATS_TIMEOUT,
                    format!("timed out waiting for the acknowledgments of {} messages", st.count),
                );
            }
            if self.conn.is_closed() {
                break js_err(
                    natsStatus::NATS_CONNECTION_CLOSED,
                    format!("the connection closed with {} messages not acknowledged", st.count),
                );
            }
            let slice = deadline.map_or(WATCH_INTERVAL, |d| (d - now).min(WATCH_INTERVAL));
            st = self.room.wait_timeout(st, slice).unwrap_or_else(|p| p.into_inner()).0;
        };
        st.waiters -= 1;
        result
    }

    /// Hands back the messages waiting for their ack; their acks are ignored from now on.
    fn take_pending(&self) -> Vec<Msg> {
        let mut st = self.lock();
        let ids: Vec<u64> = st.slots.iter().filter(|(_, s)| matches!(s, Slot::Pending(_))).map(|(id, _)| *id).collect();
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(Slot::Pending(m)) = st.slots.remove(&id) {
                out.push((id, m));
            }
        }
        // In publish order.
        out.sort_unstable_by_key(|(id, _)| *id);
        let n = out.len();
        self.finish(&mut st, n);
        out.into_iter().map(|(_, m)| m).collect()
    }

    /// Messages in flight (published and not finished).
    fn in_flight(&self) -> usize {
        self.lock().count
    }

    fn shutdown(&self) {
        let dropped = {
            let mut st = self.lock();
            st.closed = true;
            st.count = 0;
            st.deadlines.clear();
            st.deadline_entries = 0;
            let slots = std::mem::take(&mut st.slots);
            let done = std::mem::take(&mut st.done);
            self.work.notify_all();
            self.room.notify_all();
            (slots, done)
        };
        drop(dropped);
        let sub = self.sub.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(s) = sub {
            if s.is_valid() {
                let _ = self.conn.unsubscribe(&s, None);
            }
        }
        let t = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(h) = t {
            join_unless_current(h);
        }
    }

    /// The ack thread: runs the handlers, ends slots at their deadline, and gives the
    /// messages in flight at a reconnect the context's wait to be acknowledged.
    fn run(self: Arc<Self>) {
        let mut reconnects = self.conn.stats().reconnects;
        let mut batch: VecDeque<(Msg, Outcome)> = VecDeque::new();
        let mut st = self.lock();
        loop {
            if st.closed {
                return;
            }
            let now = Instant::now();
            let next = st.expire(now);
            let r = self.conn.stats().reconnects;
            if r != reconnects {
                reconnects = r;
                let ids: Vec<u64> = st.slots.keys().copied().collect();
                for id in ids {
                    st.add_deadline(self.wait, id);
                }
                continue;
            }
            if st.done.is_empty() {
                let mut sleep = next.map_or(Duration::from_secs(3600), |n| n.saturating_duration_since(now));
                if st.count > 0 {
                    sleep = sleep.min(WATCH_INTERVAL);
                }
                st.idle = true;
                st = self.work.wait_timeout(st, sleep).unwrap_or_else(|p| p.into_inner()).0;
                st.idle = false;
                continue;
            }
            std::mem::swap(&mut batch, &mut st.done);
            let Some(h) = &self.handler else {
                // Nobody to tell: the whole batch leaves the window at once (one wake-up
                // for a stalled publisher instead of one per ack).
                let n = batch.len();
                self.finish(&mut st, n);
                drop(st);
                batch.clear();
                st = self.lock();
                continue;
            };
            drop(st);
            while let Some((msg, outcome)) = batch.pop_front() {
                let result = match outcome {
                    Outcome::Reply(r) => parse_pub_ack(&r),
                    Outcome::Failed(e) => Err(e),
                };
                let _ = catch_unwind(AssertUnwindSafe(|| h(self.handle, msg, result)));
                // The slot leaves the window once its handler returned (as in nats.c).
                let mut s = self.lock();
                self.finish(&mut s, 1);
                if s.closed {
                    // Destroyed: the rest goes without its handler.
                    return;
                }
            }
            st = self.lock();
        }
    }
}

/// Calls `f` with the reply subject `<prefix><id>`, built on the stack (no allocation per
/// message) unless the prefix is unusually long.
fn with_reply<R>(prefix: &str, id: u64, f: impl FnOnce(&str) -> R) -> R {
    const ROOM: usize = 128;
    let mut num = itoa::Buffer::new();
    let digits = num.format(id);
    let len = prefix.len() + digits.len();
    if len > ROOM {
        return f(&format!("{prefix}{digits}"));
    }
    let mut buf = [0u8; ROOM];
    buf[..prefix.len()].copy_from_slice(prefix.as_bytes());
    buf[prefix.len()..len].copy_from_slice(digits.as_bytes());
    // A str followed by ASCII digits is a str.
    f(std::str::from_utf8(&buf[..len]).unwrap_or(prefix))
}

impl Router for Publisher {
    fn route(&self, msg: Msg) {
        let Some(token) = msg.subject().strip_prefix(self.prefix.as_bytes()) else { return };
        let Some(id) = std::str::from_utf8(token).ok().and_then(|t| t.parse::<u64>().ok()) else { return };
        let mut st = self.lock();
        match st.slots.remove(&id) {
            Some(Slot::Pending(m)) if self.handler.is_none() => {
                // Nobody to tell: the message leaves the window here, without waking
                // the ack thread (the messages are dropped after the lock).
                self.finish(&mut st, 1);
                drop(st);
                drop((m, msg));
            }
            Some(Slot::Pending(m)) => {
                st.done.push_back((m, Outcome::Reply(msg)));
                self.wake_worker(&mut st);
            }
            Some(Slot::Sending) => {
                st.slots.insert(id, Slot::Answered(msg));
            }
            Some(other) => {
                st.slots.insert(id, other);
            }
            None => {}
        }
    }
}

impl super::context::Context {
    /// `js_PublishMsgAsync`: sets the options' headers on `msg` and publishes it in the
    /// context's window; the outcome goes to the handler. On failure the caller gets the
    /// message back.
    pub fn publish_async(&self, mut msg: Msg, opts: Option<&PubOptions>) -> Result<(), (JsError, Msg)> {
        let mut max_wait = 0;
        if let Some(o) = opts {
            max_wait = o.max_wait_ms;
            if let Err(e) = o.apply_headers(&mut msg) {
                return Err((e, msg));
            }
        }
        let p = match self.async_state().get(self.conn(), self.wait_ms()) {
            Ok(p) => p,
            Err(e) => return Err((e, msg)),
        };
        p.publish(msg, max_wait)
    }

    /// `js_PublishAsyncComplete`: waits for every message in flight (MaxWait of `opts`
    /// bounds the wait; without it the wait has no limit, as in nats.c).
    pub fn publish_async_complete(&self, opts: Option<&PubOptions>) -> JsResult<()> {
        let wait = match opts {
            Some(o) => o.checked_max_wait()?,
            None => 0,
        };
        match self.async_state().current() {
            Some(p) => p.complete(wait),
            None => Ok(()),
        }
    }

    /// `js_PublishAsyncGetPendingList`: the messages still waiting for their ack, in publish
    /// order; the caller owns them and their acks are ignored. NATS_NOT_FOUND when there is
    /// none (as nats.c).
    pub fn publish_async_pending(&self) -> JsResult<Vec<Msg>> {
        let msgs = self.async_state().current().map(|p| p.take_pending()).unwrap_or_default();
        if msgs.is_empty() {
            return js_err(natsStatus::NATS_NOT_FOUND, "no asynchronously published message is waiting for its acknowledgment");
        }
        Ok(msgs)
    }

    /// Messages published asynchronously and not finished yet.
    pub fn publish_async_in_flight(&self) -> usize {
        self.async_state().current().map_or(0, |p| p.in_flight())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_subjects() {
        assert_eq!(with_reply("_INBOX.a.", 0, str::to_string), "_INBOX.a.0");
        assert_eq!(with_reply("_INBOX.a.", u64::MAX, str::to_string), format!("_INBOX.a.{}", u64::MAX));
        let long = "p".repeat(200);
        assert_eq!(with_reply(&long, 42, str::to_string), format!("{long}42"));
    }
}
