//! Watchers: an ordered push consumer on the bucket's stream (ephemeral, no acks, flow
//! control and idle heartbeats) read through a synchronous subscription.
//!
//! The consumer is checked in the reading path, the way an ordered consumer is: every
//! message must carry the next consumer sequence, every heartbeat the last one delivered.
//! On a gap, after a reconnect (a restarted server has lost the in-memory consumer), or when
//! nothing (not even a heartbeat) came for two heartbeat intervals, the consumer is replaced
//! by a new one that starts right after the last stream sequence handed out: no entry is
//! skipped and none comes twice. What the old consumer still sends goes to an inbox nobody
//! listens to any more.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::entry::{Entry, Operation};
use super::store::Store;
use crate::js::api::{js_err, ApiError, JsError, JsResult};
use crate::js::context::Context;
use crate::msg::Msg;
use crate::status::{natsConnStatus, natsStatus};
use crate::sub::Subscription;

/// Idle heartbeat of the consumer (nats.c's ordered consumers use 5 s).
const HEARTBEAT: Duration = Duration::from_secs(5);
/// How long a wait inside next() lasts at most before the consumer's health is checked.
const CHECK_EVERY: Duration = Duration::from_millis(500);
/// Pause between two failed attempts to recreate the consumer.
const RETRY_EVERY: Duration = Duration::from_millis(250);

/// kvWatchOptions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WatchOptions {
    /// Skip delete and purge markers.
    pub ignore_deletes: bool,
    /// Every kept revision, not only the latest of each key.
    pub include_history: bool,
    /// Entries without their values (the consumer sends headers only).
    pub meta_only: bool,
    /// Milliseconds, for Keys / History / PurgeDeletes (<= 0: no limit).
    pub timeout_ms: i64,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SeqInfo {
    consumer_seq: u64,
}

#[derive(Deserialize)]
struct ConsumerInfo {
    name: String,
    #[serde(default)]
    num_pending: u64,
    #[serde(default)]
    delivered: SeqInfo,
}

/// The subscription and consumer in use; Stop reaches them without waiting for next().
struct Current {
    sub: Option<Arc<Subscription>>,
    consumer: String,
}

/// What next() keeps between calls.
struct State {
    /// Last stream sequence handed out (0: none yet).
    sseq: u64,
    /// Last consumer sequence seen on the current consumer.
    dseq: u64,
    init_done: bool,
    /// The end-of-initial-values marker (a `None` entry) is owed to the caller.
    ret_marker: bool,
    init_pending: u64,
    received: u64,
    last_activity: Instant,
    /// A message came since `last_activity` was set (it is set when next() has to wait).
    active: bool,
    reconnects: u64,
    need_reset: bool,
    next_try: Instant,
}

struct Inner {
    ctx: Context,
    bucket: String,
    stream: String,
    pre: String,
    filter: String,
    opts: WatchOptions,
    stopped: AtomicBool,
    /// How many times the consumer was recreated (for tests and diagnostics).
    resets: AtomicU64,
    current: Mutex<Current>,
    state: Mutex<State>,
}

/// A watcher (cheap to clone; all clones are the same watcher).
#[derive(Clone)]
pub struct Watcher(Arc<Inner>);

impl std::fmt::Debug for Watcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watcher").field("filter", &self.0.filter).finish()
    }
}

/// A copy of `s` with room for one more byte (the NUL of the C side's string).
fn with_nul_room(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 1);
    out.push_str(s);
    out
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Watcher {
    pub(crate) fn start(kv: &Store, filter: &str, opts: &WatchOptions) -> JsResult<Watcher> {
        let now = Instant::now();
        let inner = Inner {
            ctx: kv.context().clone(),
            bucket: kv.bucket().to_string(),
            stream: kv.stream().to_string(),
            pre: kv.subject_prefix().to_string(),
            filter: filter.to_string(),
            opts: *opts,
            stopped: AtomicBool::new(false),
            resets: AtomicU64::new(0),
            current: Mutex::new(Current { sub: None, consumer: String::new() }),
            state: Mutex::new(State {
                sseq: 0,
                dseq: 0,
                init_done: false,
                ret_marker: false,
                init_pending: 0,
                received: 0,
                last_activity: now,
                active: false,
                reconnects: kv.context().conn().stats().reconnects,
                need_reset: false,
                next_try: now,
            }),
        };
        let w = Watcher(Arc::new(inner));
        {
            let mut st = lock(&w.0.state);
            let info = w.0.subscribe(0, w.0.ctx.wait_ms())?;
            if info.num_pending + info.delivered.consumer_seq == 0 {
                st.init_done = true;
                st.ret_marker = true;
            }
        }
        Ok(w)
    }

    /// kvWatcher_Next: the next entry; `Ok(None)` once, when the initial values have all
    /// been given (at once when there were none). NATS_TIMEOUT when nothing came in
    /// `timeout_ms`, NATS_ILLEGAL_STATE once stopped (also for a call blocked in here).
    pub fn next(&self, timeout_ms: i64) -> JsResult<Option<Entry>> {
        if timeout_ms <= 0 {
            return js_err(natsStatus::NATS_INVALID_ARG, "the timeout must be positive");
        }
        let w = &*self.0;
        let mut st = lock(&w.state);
        // While updates are queued, they are handed out without reading the clock or
        // checking the consumer's health (a gap in its sequence still starts it over);
        // the first wait takes the path below.
        let current = lock(&w.current).sub.clone();
        while let Some(sub) = current.as_ref() {
            if let Some(r) = w.answer_before_messages(&mut st) {
                return r;
            }
            if st.need_reset {
                break;
            }
            match sub.next_msg(0) {
                Ok(msg) => {
                    st.active = true;
                    if let Some(e) = w.process(&mut st, msg)? {
                        return Ok(Some(e));
                    }
                }
                Err(e) if e.status == natsStatus::NATS_TIMEOUT => break,
                Err(_) => w.lost_subscription(&mut st)?,
            }
        }
        let deadline = Instant::now().checked_add(Duration::from_millis(timeout_ms as u64));
        loop {
            if let Some(r) = w.answer_before_messages(&mut st) {
                return r;
            }
            w.check_health(&mut st);
            let now = Instant::now();
            let left = match deadline {
                Some(d) if now >= d => return js_err(natsStatus::NATS_TIMEOUT, "no update before the timeout"),
                Some(d) => d - now,
                None => CHECK_EVERY,
            };
            let Some(sub) = lock(&w.current).sub.clone() else {
                // No consumer (its recreation failed so far): wait a little and try again.
                std::thread::sleep(left.min(RETRY_EVERY));
                continue;
            };
            let msg = match sub.next_msg(left.min(CHECK_EVERY).as_millis().max(1) as i64) {
                Ok(m) => m,
                Err(e) if e.status == natsStatus::NATS_TIMEOUT => continue,
                Err(_) => {
                    w.lost_subscription(&mut st)?;
                    continue;
                }
            };
            st.active = true;
            if let Some(e) = w.process(&mut st, msg)? {
                return Ok(Some(e));
            }
        }
    }

    /// kvWatcher_Stop: ends the subscription and deletes the consumer; a blocked next()
    /// returns NATS_ILLEGAL_STATE. Stopping twice is fine.
    pub fn stop(&self) {
        let w = &*self.0;
        let (sub, consumer) = {
            let mut cur = lock(&w.current);
            if w.stopped.swap(true, Ordering::AcqRel) {
                return;
            }
            (cur.sub.take(), std::mem::take(&mut cur.consumer))
        };
        w.drop_consumer(sub, &consumer);
    }

    pub fn is_stopped(&self) -> bool {
        self.0.stopped.load(Ordering::Acquire)
    }

    /// How many times the consumer was recreated (after a gap, a reconnect or missed
    /// heartbeats).
    pub fn resets(&self) -> u64 {
        self.0.resets.load(Ordering::Relaxed)
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        if !self.stopped.swap(true, Ordering::AcqRel) {
            let mut cur = lock(&self.current);
            let (sub, consumer) = (cur.sub.take(), std::mem::take(&mut cur.consumer));
            drop(cur);
            self.drop_consumer(sub, &consumer);
        }
    }
}

impl Inner {
    /// Unsubscribes and asks the server to delete the consumer without waiting for its
    /// answer (an ephemeral consumer without interest goes away by itself anyway).
    fn drop_consumer(&self, sub: Option<Arc<Subscription>>, consumer: &str) {
        let conn = self.ctx.conn();
        if let Some(sub) = sub {
            if conn.unsubscribe(&sub, None).is_err() {
                sub.close(natsStatus::NATS_INVALID_SUBSCRIPTION);
            }
        }
        if !consumer.is_empty() && !conn.is_closed() {
            let subject = self.ctx.api_subject(&format!("CONSUMER.DELETE.{}.{}", self.stream, consumer));
            let _ = conn.publish(&subject, Some(&conn.new_inbox()), b"");
        }
    }

    /// A new inbox subscription and a consumer delivering to it, from stream sequence
    /// `from` (0: the watcher's own start policy). Replaces the current ones.
    fn subscribe(&self, from: u64, wait_ms: i64) -> JsResult<ConsumerInfo> {
        let conn = self.ctx.conn();
        let inbox = conn.new_inbox();
        let sub = conn.subscribe_sync(&inbox, None)?;
        let _ = sub.set_pending_limits(-1, -1);
        let mut cfg = serde_json::json!({
            "deliver_subject": inbox,
            "ack_policy": "none",
            "max_deliver": 1,
            "ack_wait": 86_400_000_000_000i64,
            "filter_subject": self.filter,
            "replay_policy": "instant",
            "flow_control": true,
            "idle_heartbeat": HEARTBEAT.as_nanos() as i64,
            "mem_storage": true,
            "num_replicas": 1,
        });
        if from > 0 {
            cfg["deliver_policy"] = "by_start_sequence".into();
            cfg["opt_start_seq"] = from.into();
        } else if self.opts.include_history {
            cfg["deliver_policy"] = "all".into();
        } else {
            cfg["deliver_policy"] = "last_per_subject".into();
        }
        if self.opts.meta_only {
            cfg["headers_only"] = true.into();
        }
        let body = serde_json::json!({ "stream_name": self.stream, "config": cfg }).to_string();
        let ctx = self.ctx.with(Some(&crate::js::ContextOptions { wait_ms, ..Default::default() }))?;
        let created = ctx
            .request::<ConsumerInfo>(&format!("CONSUMER.CREATE.{}", self.stream), body.as_bytes())
            .and_then(|r| r.map_err(ApiError::into_js_error));
        let info = match created {
            Ok(i) => i,
            Err(e) => {
                let _ = conn.unsubscribe(&sub, None);
                sub.close(natsStatus::NATS_INVALID_SUBSCRIPTION);
                return Err(e);
            }
        };
        let old = {
            let mut cur = lock(&self.current);
            if self.stopped.load(Ordering::Acquire) {
                drop(cur);
                self.drop_consumer(Some(sub), &info.name);
                return js_err(natsStatus::NATS_ILLEGAL_STATE, "the watcher is stopped");
            }
            let old_sub = cur.sub.replace(sub);
            let old_consumer = std::mem::replace(&mut cur.consumer, info.name.clone());
            (old_sub, old_consumer)
        };
        self.drop_consumer(old.0, &old.1);
        Ok(info)
    }

    /// What next() answers before it looks at messages: the watcher is stopped, or the
    /// end-of-initial-values marker is owed.
    fn answer_before_messages(&self, st: &mut State) -> Option<JsResult<Option<Entry>>> {
        if self.stopped.load(Ordering::Acquire) {
            return Some(js_err(natsStatus::NATS_ILLEGAL_STATE, "the watcher is stopped"));
        }
        if std::mem::take(&mut st.ret_marker) {
            return Some(Ok(None));
        }
        None
    }

    /// The subscription ended with an error: stopped, closed, or start over on a new one.
    fn lost_subscription(&self, st: &mut State) -> JsResult<()> {
        if self.stopped.load(Ordering::Acquire) {
            return js_err(natsStatus::NATS_ILLEGAL_STATE, "the watcher is stopped");
        }
        if self.ctx.conn().is_closed() {
            return Err(JsError::new(natsStatus::NATS_CONNECTION_CLOSED, "the connection is closed"));
        }
        st.need_reset = true;
        Ok(())
    }

    /// Recreates the consumer when it needs it and the connection can carry the request.
    fn check_health(&self, st: &mut State) {
        if std::mem::take(&mut st.active) {
            st.last_activity = Instant::now();
        }
        let conn = self.ctx.conn();
        let reconnects = conn.stats().reconnects;
        if reconnects != st.reconnects {
            st.reconnects = reconnects;
            st.need_reset = true;
        }
        if st.last_activity.elapsed() > HEARTBEAT * 2 {
            st.need_reset = true;
        }
        if !st.need_reset || Instant::now() < st.next_try || conn.status() != natsConnStatus::NATS_CONN_STATUS_CONNECTED {
            return;
        }
        match self.subscribe(st.sseq + 1, self.ctx.wait_ms()) {
            Ok(_) => {
                self.resets.fetch_add(1, Ordering::Relaxed);
                st.need_reset = false;
                st.dseq = 0;
                st.last_activity = Instant::now();
            }
            Err(_) => st.next_try = Instant::now() + RETRY_EVERY,
        }
    }

    /// One message of the subscription: a control message is answered, a data message
    /// checked for order and made into an entry (`None` when skipped).
    fn process(&self, st: &mut State, msg: Msg) -> JsResult<Option<Entry>> {
        let conn = self.ctx.conn();
        if let Some(h) = msg.headers().filter(|h| h.status() == Some(100) && msg.data().is_empty()) {
            if let Some(reply) = msg.reply().filter(|r| !r.is_empty()) {
                // Flow control request.
                let _ = conn.publish(&String::from_utf8_lossy(reply), None, b"");
                return Ok(None);
            }
            if let Some(stalled) = h.get("Nats-Consumer-Stalled").and_then(|v| v.to_str().ok()).filter(|v| !v.is_empty()) {
                let _ = conn.publish(stalled, None, b"");
            }
            let last = h.get("Nats-Last-Consumer").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
            if last.is_some_and(|l| l != st.dseq) {
                st.need_reset = true;
            }
            return Ok(None);
        }
        if msg.headers().is_some_and(|h| h.status().is_some()) && msg.data().is_empty() {
            // Another status (the consumer was deleted, ...): start again.
            st.need_reset = true;
            return Ok(None);
        }
        let Some(meta) = msg.reply().and_then(crate::js::meta::numbers) else {
            return js_err(
                natsStatus::NATS_ERR,
                format!("unable to get metadata from '{}'", String::from_utf8_lossy(msg.reply().unwrap_or(b""))),
            );
        };
        if meta.consumer_seq != st.dseq + 1 {
            // A gap in the consumer's sequence: start over after the last one handed out.
            st.need_reset = true;
            return Ok(None);
        }
        st.dseq = meta.consumer_seq;
        if meta.stream_seq <= st.sseq {
            return Ok(None);
        }
        st.sseq = meta.stream_seq;
        let key = msg
            .subject()
            .strip_prefix(self.pre.as_bytes())
            .filter(|k| !k.is_empty())
            .and_then(|k| std::str::from_utf8(k).ok());
        let Some(key) = key else {
            return js_err(natsStatus::NATS_ERR, format!("invalid update's subject '{}'", String::from_utf8_lossy(msg.subject())));
        };
        let op = Operation::of(msg.headers());
        let entry = if self.opts.ignore_deletes && op.is_marker() {
            None
        } else {
            Some(Entry {
                bucket: with_nul_room(&self.bucket),
                key: with_nul_room(key),
                value: {
                    // Room for the NUL the C side adds, so that it needs no reallocation.
                    let mut v = Vec::with_capacity(msg.data().len() + 1);
                    v.extend_from_slice(msg.data());
                    v
                },
                revision: meta.stream_seq,
                created: meta.timestamp,
                delta: meta.num_pending,
                operation: op,
            })
        };
        if !st.init_done {
            st.received += 1;
            if st.init_pending == 0 {
                st.init_pending = meta.num_pending;
            }
            if st.received > st.init_pending || meta.num_pending == 0 {
                st.init_done = true;
                st.ret_marker = true;
            }
        }
        Ok(entry)
    }
}
