//! JetStream subscriptions: push (sync or with a handler, optionally ordered or in a queue
//! group) and pull, each a core subscription on a deliver (or reply) inbox plus the state
//! in [`JsSub`], which sees every message before the application does (see
//! [`SubHooks`]): heartbeats and flow-control requests are answered and dropped, ordered
//! delivery is checked, and messages get their acknowledgement context.
//!
//! Work that publishes or makes requests (flow-control replies, consumer resets, missed
//! heartbeat reports) never runs on the event loop: a small worker thread of the
//! subscription does it.
#![forbid(unsafe_code)]

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, Weak};
use std::time::{Duration, Instant};

use super::ack::AckContext;
use super::api::{js_err, JsError, JsResult};
use super::context::Context;
use super::meta;
use super::consumer::{AckPolicy, DeliverPolicy, ReplayPolicy};
use super::sub_consumer::{self as cons, ConsumerConfig, ConsumerInfo};
use crate::msg::Msg;
use crate::status::natsStatus;
use crate::sub::{Kind, MsgHandler, SubHooks, Subscription};

/// Header of an idle heartbeat: the last consumer sequence the server delivered.
const LAST_CONSUMER_HDR: &str = "Nats-Last-Consumer";
/// Header of an idle heartbeat when the consumer is stalled: where to send the flow-control reply.
const CONSUMER_STALLED_HDR: &str = "Nats-Consumer-Stalled";
/// The heartbeat of ordered consumers when the user sets none (nats.c's 5 s).
const ORDERED_HB_NS: i64 = 5_000_000_000;

/// jsSubOptions, as owned Rust values.
#[derive(Debug, Clone, Default)]
pub struct SubOptions {
    pub stream: Option<String>,
    pub consumer: Option<String>,
    pub queue: Option<String>,
    pub manual_ack: bool,
    pub ordered: bool,
    /// The consumer configuration asked for; `None` policies are "not set".
    pub config: ConsumerConfig,
}

/// How the application receives the messages.
pub enum Mode {
    /// `natsSubscription_NextMsg`.
    Sync,
    /// A handler on a delivery thread; `make` gets whether the library acknowledges each
    /// message after the handler returns (neither ManualAck nor AckNone).
    Async { make: Box<dyn Fn(bool) -> MsgHandler> },
    /// `natsSubscription_Fetch`.
    Pull,
}

/// A consumer sequence mismatch seen in a heartbeat.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Mismatch {
    pub stream: u64,
    pub consumer_client: u64,
    pub consumer_server: u64,
}

enum Task {
    /// Publish an empty message (flow-control reply).
    Reply(String),
    /// Report an asynchronous error to the connection's error handler.
    Error(natsStatus),
    /// Recreate the ordered consumer from this stream sequence.
    Reset(u64),
}

#[derive(Default)]
struct State {
    /// Something (message or heartbeat) arrived since the last heartbeat check.
    active: bool,
    /// Sequences (stream, consumer) of the last data message, for mismatch checks.
    last: Option<(u64, u64)>,
    mismatch: Mismatch,
    /// NextMsg owes a NATS_MISMATCH.
    sm: bool,
    /// A mismatch was reported and is not resolved yet.
    ssmn: bool,
    /// A flow-control reply due once this many messages were handed out.
    fc_pending: Option<(String, u64)>,
    tasks: VecDeque<Task>,
    /// Ordered: the consumer sequence expected next, the last stream sequence seen, the
    /// name of the current consumer (messages of an older one are dropped) and whether a
    /// reset is under way.
    expect: u64,
    sseq: u64,
    current: String,
    resetting: bool,
}

/// The JetStream side of a subscription (its [`SubHooks`]).
pub struct JsSub {
    ctx: Context,
    ack_ctx: Arc<AckContext>,
    pub stream: String,
    consumer: Mutex<String>,
    pub pull: bool,
    pub ordered: bool,
    ack_none: bool,
    is_async: bool,
    /// Heartbeat interval of the consumer.
    hb: Option<Duration>,
    /// The library created the consumer: Unsubscribe or a completed Drain deletes it.
    dc: AtomicBool,
    /// Ordered: the configuration consumers are recreated with.
    ordered_cfg: Option<ConsumerConfig>,
    /// Pull: the inbox prefix replies come to (`<inbox>.<fetch id>`).
    pub(crate) reply_prefix: String,
    pub(crate) in_fetch: AtomicBool,
    pub(crate) fetch_id: AtomicU64,
    state: Mutex<State>,
    cond: Condvar,
    sub: OnceLock<Weak<Subscription>>,
}

impl JsSub {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn context(&self) -> &Context {
        &self.ctx
    }

    pub fn consumer(&self) -> String {
        self.consumer.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn set_consumer(&self, name: &str) {
        *self.consumer.lock().unwrap_or_else(|p| p.into_inner()) = name.to_string();
    }

    /// `<prefix>.CONSUMER.MSG.NEXT.<stream>.<consumer>`.
    pub fn next_subject(&self) -> String {
        self.ctx.api_subject(&format!("CONSUMER.MSG.NEXT.{}.{}", self.stream, self.consumer()))
    }

    /// The JetStream state of a subscription, if it is a JetStream one.
    pub fn of(sub: &Subscription) -> Option<&JsSub> {
        sub.hooks.get().and_then(|h| h.as_any().downcast_ref::<JsSub>())
    }

    /// `natsSubscription_GetSequenceMismatch`: NATS_NOT_FOUND while there is none.
    pub fn sequence_mismatch(&self) -> JsResult<Mismatch> {
        let st = self.lock();
        let m = st.mismatch;
        if m.consumer_client == m.consumer_server {
            return js_err(natsStatus::NATS_NOT_FOUND, "no consumer sequence mismatch");
        }
        Ok(m)
    }

    /// `natsSubscription_GetConsumerInfo`.
    pub fn consumer_info(&self, ctx: Option<&Context>) -> JsResult<ConsumerInfo> {
        cons::info(ctx.unwrap_or(&self.ctx), &self.stream, &self.consumer())
    }

    fn push_task(&self, st: &mut State, t: Task) {
        st.tasks.push_back(t);
        self.cond.notify_one();
    }

    fn delete_consumer(&self) -> JsResult<()> {
        if !self.dc.swap(false, Ordering::AcqRel) {
            return Ok(());
        }
        let name = self.consumer();
        cons::delete(&self.ctx, &self.stream, &name).map_err(|mut e| {
            if e.status() == natsStatus::NATS_NOT_FOUND {
                e.err.text = format!("failed to delete consumer '{name}': not found");
            }
            e
        })
    }

    /// A heartbeat or flow-control request (status 100, no data) of a push subscription.
    fn control(&self, msg: &Msg, st: &mut State, delivered: u64, accepted: u64) {
        let Some(h) = msg.headers() else { return };
        let desc = h.get(crate::proto::headers::DESCRIPTION_HDR).and_then(|d| d.to_str().ok()).unwrap_or("");
        let reply = msg.reply().and_then(|r| std::str::from_utf8(r).ok()).filter(|r| !r.is_empty());
        if desc.starts_with("Flow") {
            if let Some(r) = reply {
                // Answered once the messages that came before it were handed out.
                if delivered >= accepted {
                    self.push_task(st, Task::Reply(r.to_string()));
                } else {
                    st.fc_pending = Some((r.to_string(), accepted));
                }
            }
            return;
        }
        // Idle heartbeat.
        if let Some(fc) = h.get(CONSUMER_STALLED_HDR).and_then(|v| v.to_str().ok()) {
            self.push_task(st, Task::Reply(fc.to_string()));
        }
        if reply.is_some() || st.resetting {
            return;
        }
        let Some((sseq, dseq)) = st.last else { return };
        let ldseq = h.get(LAST_CONSUMER_HDR).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok());
        if let Some(l) = ldseq {
            st.mismatch = Mismatch { stream: sseq, consumer_client: dseq, consumer_server: l };
        }
        let m = st.mismatch;
        if m.consumer_client == m.consumer_server {
            st.sm = false;
            st.ssmn = false;
        } else if self.ordered {
            self.start_reset(st);
        } else if !st.ssmn {
            st.sm = true;
            st.ssmn = true;
            if self.is_async {
                self.push_task(st, Task::Error(natsStatus::NATS_MISMATCH));
            }
        }
    }

    /// Ordered: drop what is in flight from the current consumer and recreate it from the
    /// stream sequence after the last message handed on.
    fn start_reset(&self, st: &mut State) {
        st.resetting = true;
        st.current = nuid::next().to_string();
        st.expect = 1;
        st.last = None;
        st.fc_pending = None;
        let from = st.sseq + 1;
        self.push_task(st, Task::Reset(from));
    }

    /// Worker: creates the ordered consumer anew (named in advance, so that its messages
    /// are told apart from the old one's).
    fn reset(&self, from: u64, deliver: &str) -> JsResult<()> {
        let (name, old) = {
            let st = self.lock();
            (st.current.clone(), self.consumer())
        };
        if !old.is_empty() && old != name {
            // The old consumer still has interest on the deliver subject: delete it.
            let _ = cons::delete(&self.ctx, &self.stream, &old);
        }
        let mut cfg = self.ordered_cfg.clone().unwrap_or_default();
        cfg.name = Some(name.clone());
        cfg.deliver_subject = Some(deliver.to_string());
        cfg.deliver_policy = Some(DeliverPolicy::ByStartSequence);
        cfg.opt_start_seq = from.max(1);
        cfg.opt_start_time = None;
        cons::create(&self.ctx, &self.stream, &cfg)?;
        self.set_consumer(&name);
        let mut st = self.lock();
        if st.current == name {
            st.resetting = false;
        }
        Ok(())
    }

    /// The worker of a push subscription: flow-control replies, asynchronous errors,
    /// ordered resets and the missed-heartbeat check. Ends when the subscription does.
    fn run_worker(self: Arc<JsSub>) {
        let check_every = self.hb.map(|h| h * 2);
        let mut next_check = check_every.map(|d| Instant::now() + d);
        loop {
            let tasks: Vec<Task> = {
                let mut st = self.lock();
                if st.tasks.is_empty() {
                    let mut wait = Duration::from_millis(200);
                    if let Some(n) = next_check {
                        wait = wait.min(n.saturating_duration_since(Instant::now()));
                    }
                    st = self.cond.wait_timeout(st, wait).unwrap_or_else(|p| p.into_inner()).0;
                }
                st.tasks.drain(..).collect()
            };
            let Some(sub) = self.sub.get().and_then(Weak::upgrade) else { return };
            if sub.closed_reason().is_some() {
                return;
            }
            let deliver = sub.subject.clone();
            for t in tasks {
                match t {
                    Task::Reply(r) => {
                        let _ = self.ctx.conn().publish(&r, None, b"");
                    }
                    Task::Error(s) => self.report(&sub, s),
                    Task::Reset(from) => {
                        if let Err(e) = self.reset(from, &deliver) {
                            // Tried again at the next heartbeat check.
                            self.report(&sub, e.status());
                        }
                    }
                }
            }
            if let (Some(n), Some(every)) = (next_check, check_every) {
                if Instant::now() >= n {
                    next_check = Some(Instant::now() + every);
                    let (missed, reset_from) = {
                        let mut st = self.lock();
                        let missed = !st.active;
                        st.active = false;
                        let from = (missed && self.ordered).then(|| {
                            st.resetting = true;
                            st.current = nuid::next().to_string();
                            st.expect = 1;
                            st.last = None;
                            st.sseq + 1
                        });
                        (missed, from)
                    };
                    if missed {
                        let mut status = natsStatus::NATS_MISSED_HEARTBEAT;
                        if let Some(from) = reset_from {
                            if let Err(e) = self.reset(from, &deliver) {
                                status = e.status();
                            }
                        }
                        self.report(&sub, status);
                    }
                }
            }
        }
    }

    /// To the error handler, unless the subscription handle was destroyed.
    fn report(&self, sub: &Arc<Subscription>, status: natsStatus) {
        if sub.handle() != 0 && sub.closed_reason().is_none() {
            self.ctx.conn().post_sub_error(sub, status);
        }
    }
}

impl SubHooks for JsSub {
    fn arrive(&self, mut msg: Msg, delivered: u64, accepted: u64) -> Option<Msg> {
        let mut st = self.lock();
        st.active = true;
        let status = if msg.data().is_empty() { msg.headers().and_then(|h| h.status()) } else { None };
        if self.pull {
            // Fetch sorts out status messages itself.
            if status.is_none() {
                bind(&mut msg, &self.ack_ctx, self.ack_none);
            }
            return Some(msg);
        }
        if status == Some(100) {
            self.control(&msg, &mut st, delivered, accepted);
            return None;
        }
        if self.ordered || self.hb.is_some() {
            if let Some((consumer, sseq, dseq)) = msg.reply().and_then(meta::sequences) {
                if self.ordered {
                    if st.resetting && consumer != st.current {
                        return None;
                    }
                    if dseq != st.expect {
                        self.start_reset(&mut st);
                        return None;
                    }
                    st.resetting = false;
                    st.expect = dseq + 1;
                    st.sseq = sseq;
                }
                st.last = Some((sseq, dseq));
            }
        }
        drop(st);
        bind(&mut msg, &self.ack_ctx, self.ack_none);
        Some(msg)
    }

    fn taken(&self, delivered: u64) {
        let mut st = self.lock();
        if st.fc_pending.as_ref().is_some_and(|(_, at)| delivered >= *at) {
            if let Some((r, _)) = st.fc_pending.take() {
                self.push_task(&mut st, Task::Reply(r));
            }
        }
    }

    fn check_next(&self) -> crate::status::Result<()> {
        if self.pull {
            return crate::status::err(natsStatus::NATS_INVALID_SUBSCRIPTION, "not applicable to JetStream pull subscriptions");
        }
        let mut st = self.lock();
        if st.sm {
            st.sm = false;
            return crate::status::err(natsStatus::NATS_MISMATCH, "consumer sequence mismatch");
        }
        Ok(())
    }

    fn drained(&self) {
        if let Err(e) = self.delete_consumer() {
            if let Some(sub) = self.sub.get().and_then(Weak::upgrade) {
                self.ctx.conn().post_sub_error(&sub, e.status());
            }
        }
    }

    fn unsubscribed(&self) -> crate::status::Result<()> {
        self.delete_consumer().map_err(|e| e.err)
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

fn bind(msg: &mut Msg, ctx: &Arc<AckContext>, ack_none: bool) {
    msg.js.ack = Some(Arc::clone(ctx));
    if ack_none {
        msg.js.acked = true;
    }
}

fn is_empty(s: &Option<String>) -> bool {
    s.as_deref().unwrap_or("").is_empty()
}

fn inv<T>(text: impl Into<String>) -> JsResult<T> {
    js_err(natsStatus::NATS_INVALID_ARG, text)
}

fn cfg_err<T>(what: &str, want: impl std::fmt::Display, have: impl std::fmt::Display) -> JsResult<T> {
    js_err(natsStatus::NATS_ERR, format!("configuration requests {what} to be {want}, but consumer's value is {have}"))
}

/// nats.c's check of a bound consumer against what the user asked for.
fn check_config(s: &ConsumerConfig, u: &ConsumerConfig) -> JsResult<()> {
    fn differ(u: &Option<String>, s: &Option<String>) -> bool {
        !is_empty(u) && (is_empty(s) || u != s)
    }
    let show = |v: &Option<String>| format!("'{}'", v.as_deref().unwrap_or(""));
    let pol = |v: Option<&str>| format!("'{}'", v.unwrap_or(""));
    if differ(&u.durable_name, &s.durable_name) {
        return cfg_err("durable", show(&u.durable_name), show(&s.durable_name));
    }
    if differ(&u.description, &s.description) {
        return cfg_err("description", show(&u.description), show(&s.description));
    }
    if u.deliver_policy.is_some() && u.deliver_policy != s.deliver_policy {
        return cfg_err("deliver policy", pol(u.deliver_policy.map(DeliverPolicy::as_str)), pol(s.deliver_policy.map(DeliverPolicy::as_str)));
    }
    if u.opt_start_seq > 0 && u.opt_start_seq != s.opt_start_seq {
        return cfg_err("optional start sequence", u.opt_start_seq, s.opt_start_seq);
    }
    if u.ack_policy.is_some() && u.ack_policy != s.ack_policy {
        return cfg_err("ack policy", pol(u.ack_policy.map(AckPolicy::as_str)), pol(s.ack_policy.map(AckPolicy::as_str)));
    }
    let nums: [(&str, i64, i64); 8] = [
        ("ack wait", u.ack_wait, s.ack_wait),
        ("max deliver", u.max_deliver, s.max_deliver),
        ("max waiting", u.max_waiting, s.max_waiting),
        ("max ack pending", u.max_ack_pending, s.max_ack_pending),
        ("heartbeat", u.idle_heartbeat, s.idle_heartbeat),
        ("max request batch", u.max_batch, s.max_batch),
        ("max request expires", u.max_expires, s.max_expires),
        ("inactive threshold", u.inactive_threshold, s.inactive_threshold),
    ];
    for (what, uv, sv) in nums {
        if uv > 0 && uv != sv {
            return cfg_err(what, uv, sv);
        }
    }
    if u.replay_policy.is_some() && u.replay_policy != s.replay_policy {
        return cfg_err("replay policy", pol(u.replay_policy.map(ReplayPolicy::as_str)), pol(s.replay_policy.map(ReplayPolicy::as_str)));
    }
    if u.rate_limit_bps > 0 && u.rate_limit_bps != s.rate_limit_bps {
        return cfg_err("rate limit", u.rate_limit_bps, s.rate_limit_bps);
    }
    if differ(&u.sample_freq, &s.sample_freq) {
        return cfg_err("sample frequency", show(&u.sample_freq), show(&s.sample_freq));
    }
    if u.flow_control && !s.flow_control {
        return cfg_err("flow control", "'true'", "'false'");
    }
    if u.headers_only != s.headers_only {
        return cfg_err("headers only", u.headers_only as i32, s.headers_only as i32);
    }
    if u.num_replicas > 0 && u.num_replicas != s.num_replicas {
        return cfg_err("replicas", u.num_replicas, s.num_replicas);
    }
    if u.mem_storage != s.mem_storage {
        return cfg_err("memory storage", u.mem_storage as i32, s.mem_storage as i32);
    }
    Ok(())
}

/// nats.c's checks of an existing consumer a subscription binds to; the deliver subject
/// for push mode.
fn process_info(info: &ConsumerInfo, user: &ConsumerConfig, pull: bool, subject: &str, queue: Option<&str>) -> JsResult<Option<String>> {
    let Some(c) = &info.config else {
        return js_err(natsStatus::NATS_ERR, "no configuration in consumer info");
    };
    if let Some(f) = c.filter_subject.as_deref().filter(|f| !f.is_empty()) {
        if !subject.is_empty() && subject != f {
            return js_err(natsStatus::NATS_ERR, format!("subject '{subject}' does not match consumer filter subject '{f}'"));
        }
    }
    if queue.is_some() {
        if c.idle_heartbeat > 0 {
            return js_err(natsStatus::NATS_ERR, "a queue subscription cannot be created for a consumer with heartbeat");
        }
        if c.flow_control {
            return js_err(natsStatus::NATS_ERR, "a queue subscription cannot be created for a consumer with flow control");
        }
    }
    let no_deliver = is_empty(&c.deliver_subject);
    if pull && !no_deliver {
        return js_err(natsStatus::NATS_ERR, "cannot pull subscribe to push based consumer");
    }
    if !pull && no_deliver {
        return js_err(natsStatus::NATS_ERR, "must use pull subscribe to bind to pull based consumer");
    }
    if pull {
        check_config(c, user)?;
        return Ok(None);
    }
    match (c.deliver_group.as_deref().filter(|g| !g.is_empty()), queue) {
        (None, Some(_)) => {
            return js_err(natsStatus::NATS_ERR, "cannot create a queue subscription for a consumer without a deliver group")
        }
        (None, None) if info.push_bound => return js_err(natsStatus::NATS_ERR, "consumer is already bound to a subscription"),
        (Some(g), None) => {
            return js_err(natsStatus::NATS_ERR, format!("cannot create a subscription for a consumer with a deliver group {g}"))
        }
        (Some(g), Some(q)) if g != q => {
            return js_err(
                natsStatus::NATS_ERR,
                format!("cannot create a queue subscription '{q}' for a consumer with a deliver group '{g}'"),
            )
        }
        _ => {}
    }
    check_config(c, user)?;
    Ok(c.deliver_subject.clone())
}

/// The name checks nats.c makes on durable and consumer names.
fn check_cons_name(name: &str, durable: bool) -> JsResult<()> {
    if name.is_empty() {
        return inv("consumer name is required");
    }
    if let Some(c) = name.chars().find(|c| matches!(c, '.' | ' ' | '*' | '>')) {
        let what = if durable { "invalid durable name" } else { "invalid consumer name" };
        return inv(format!("{what} '{name}' (cannot contain '{c}')"));
    }
    Ok(())
}

/// `js_Subscribe`, `js_SubscribeSync` and `js_PullSubscribe` (with `pull_durable`).
pub fn subscribe(ctx: &Context, subject: &str, pull_durable: Option<&str>, mode: Mode, opts: &SubOptions) -> JsResult<Arc<Subscription>> {
    subscribe_with(ctx, subject, pull_durable, mode, opts, &mut |_| {})
}

/// [`subscribe`], calling `on_sub` with the core subscription as soon as it exists, before
/// the consumer is created and messages can flow (the C boundary makes its handle there:
/// a handler is only called once the handle is known).
pub fn subscribe_with(
    ctx: &Context,
    subject: &str,
    pull_durable: Option<&str>,
    mode: Mode,
    opts: &SubOptions,
    on_sub: &mut dyn FnMut(&Arc<Subscription>),
) -> JsResult<Arc<Subscription>> {
    let pull = matches!(mode, Mode::Pull);
    let mut user = opts.config.clone();
    if user.inactive_threshold < 0 {
        return inv(format!(
            "invalid InactiveThreshold value ({}), needs to be greater or equal to 0",
            user.inactive_threshold
        ));
    }
    if user.opt_start_seq > 0 {
        user.deliver_policy = Some(DeliverPolicy::ByStartSequence);
    }
    if user.opt_start_time.is_some() {
        user.deliver_policy = Some(DeliverPolicy::ByStartTime);
    }
    let queue = opts.queue.as_deref().filter(|q| !q.is_empty());
    let mut stream = opts.stream.clone().filter(|s| !s.is_empty());
    let mut durable = pull_durable.map(str::to_string).or_else(|| user.durable_name.clone()).filter(|d| !d.is_empty());
    let mut consumer = opts.consumer.clone().filter(|c| !c.is_empty());
    let bound = stream.is_some() && consumer.is_some();
    if subject.is_empty() && !bound {
        return inv("a subject is required (or a stream and consumer to bind to)");
    }
    if opts.ordered {
        if pull {
            return inv("can not use pull mode for an ordered consumer");
        }
        if durable.is_some() {
            return inv("durable can not be set for an ordered consumer");
        }
        if user.ack_policy.is_some() {
            return inv("ack policy can not be set for an ordered consume");
        }
        if user.max_deliver > 0 && user.max_deliver != 1 {
            return inv("max deliver can not be set for an ordered consumer");
        }
        if !is_empty(&user.deliver_subject) {
            return inv("deliver subject can not be set for an ordered consumer");
        }
        if queue.is_some() {
            return inv("queue can not be set for an ordered consumer");
        }
        if consumer.is_some() {
            return inv("can not bind existing consumer for an ordered consumer");
        }
    } else if let Some(q) = queue {
        if user.idle_heartbeat > 0 {
            return inv("a queue subscription cannot be created for a consumer with heartbeat");
        }
        if user.flow_control {
            return inv("a queue subscription cannot be created for a consumer with flow control");
        }
        if durable.is_none() {
            durable = Some(q.to_string());
        }
    }
    if let Some(d) = &durable {
        check_cons_name(d, true)?;
    }
    if let Some(c) = &consumer {
        check_cons_name(c, false)?;
    }
    if let Some(s) = &stream {
        cons::check_name(s, "stream")?;
    }
    if consumer.is_none() {
        consumer = durable.clone();
    }
    let stream = match stream.take() {
        Some(s) => s,
        None => cons::stream_by_subject(ctx, subject)?,
    };
    let mut info = None;
    if let Some(c) = &consumer {
        match cons::info(ctx, &stream, c) {
            Ok(i) => info = Some(i),
            Err(e) if e.status() == natsStatus::NATS_NOT_FOUND && !bound => {}
            Err(e) => {
                let lookup_err = e.status() == natsStatus::NATS_TIMEOUT || e.code == cons::NOT_ENABLED;
                if !(pull && bound && lookup_err) {
                    return Err(e);
                }
            }
        }
    }
    let is_async = matches!(mode, Mode::Async { .. });
    let ack_none = opts.ordered || user.ack_policy == Some(AckPolicy::None);
    let auto_ack = is_async && !opts.manual_ack && !ack_none;
    let make = match mode {
        Mode::Async { make } => Some(make),
        _ => None,
    };
    let conn = ctx.conn().clone();
    // Two rounds at most: creating a shared durable can lose a race with another
    // subscriber, which then binds to what the winner created.
    for _ in 0..2 {
        let (deliver, create_cfg, hb, fc, maxap) = match &info {
            Some(i) => {
                let d = process_info(i, &user, pull, subject, queue)?;
                let c = i.config.clone().unwrap_or_default();
                (d, None, c.idle_heartbeat, c.flow_control, c.max_ack_pending)
            }
            None if bound => {
                // Pull binding while the lookup failed (timeout, not enabled): as nats.c.
                (None, None, 0, false, 0)
            }
            None => {
                let mut cfg = user.clone();
                // What nats.c sends for policies left unset (the server's zero value for
                // the ack policy would be "none").
                cfg.ack_policy.get_or_insert(AckPolicy::Explicit);
                cfg.deliver_policy.get_or_insert(DeliverPolicy::All);
                cfg.replay_policy.get_or_insert(ReplayPolicy::Instant);
                let deliver = (!pull).then(|| conn.new_inbox());
                cfg.deliver_subject = deliver.clone();
                cfg.filter_subject = (!subject.is_empty()).then(|| subject.to_string());
                if opts.ordered {
                    cfg.flow_control = true;
                    cfg.ack_policy = Some(AckPolicy::None);
                    cfg.max_deliver = 1;
                    cfg.ack_wait = 24 * 3600 * 1_000_000_000;
                    if cfg.idle_heartbeat <= 0 {
                        cfg.idle_heartbeat = ORDERED_HB_NS;
                    }
                    cfg.mem_storage = true;
                    cfg.num_replicas = 1;
                    cfg.name = Some(nuid::next().to_string());
                } else {
                    cfg.durable_name = durable.clone();
                    cfg.deliver_group = queue.map(str::to_string);
                }
                let (hb, fc) = (cfg.idle_heartbeat, cfg.flow_control);
                (deliver, Some(cfg), hb, fc, 0)
            }
        };
        let reply_prefix = conn.new_inbox();
        let js = Arc::new(JsSub {
            ctx: ctx.clone(),
            ack_ctx: Arc::new(AckContext { conn: conn.clone(), wait_ms: ctx.wait_ms() }),
            stream: stream.clone(),
            consumer: Mutex::new(consumer.clone().unwrap_or_default()),
            pull,
            ordered: opts.ordered,
            ack_none,
            is_async,
            hb: (hb > 0).then(|| Duration::from_nanos(hb as u64)),
            dc: AtomicBool::new(false),
            ordered_cfg: create_cfg.as_ref().filter(|_| opts.ordered).cloned(),
            reply_prefix: reply_prefix.clone(),
            in_fetch: AtomicBool::new(false),
            fetch_id: AtomicU64::new(0),
            state: Mutex::new(State {
                expect: 1,
                current: create_cfg.as_ref().and_then(|c| c.name.clone()).unwrap_or_default(),
                ..Default::default()
            }),
            cond: Condvar::new(),
            sub: OnceLock::new(),
        });
        let kind = match &make {
            Some(m) => Kind::Async { handler: m(auto_ack), idle: None },
            None => Kind::Sync,
        };
        let on = if pull { format!("{reply_prefix}.*") } else { deliver.clone().unwrap_or_default() };
        let sub = conn.subscribe_with(&on, if pull { None } else { queue }, kind, Some(js.clone() as Arc<dyn SubHooks>))?;
        let _ = js.sub.set(Arc::downgrade(&sub));
        on_sub(&sub);
        let cleanup = |sub: &Arc<Subscription>| {
            let _ = conn.unsubscribe(sub, None);
            sub.close(natsStatus::NATS_INVALID_SUBSCRIPTION);
            sub.stop_delivery();
        };
        let mut maxap = maxap;
        if let Some(cfg) = &create_cfg {
            match cons::create(ctx, &stream, cfg) {
                Ok(ci) => {
                    js.dc.store(true, Ordering::Release);
                    js.set_consumer(&ci.name);
                    maxap = ci.config.as_ref().map_or(0, |c| c.max_ack_pending);
                }
                Err(e) => {
                    cleanup(&sub);
                    let raced = e.code == cons::CONSUMER_EXISTING_ACTIVE || e.code == cons::CONSUMER_NAME_EXISTS;
                    let (true, Some(c)) = (raced, &consumer) else { return Err(e) };
                    info = Some(cons::info(ctx, &stream, c)?);
                    continue;
                }
            }
        }
        if maxap > 0 {
            if let Ok((ml, bl)) = sub.pending_limits() {
                if maxap > ml as i64 {
                    let bytes = (maxap.saturating_mul(1024 * 1024)).max(bl);
                    let _ = sub.set_pending_limits(i32::try_from(maxap).unwrap_or(i32::MAX), bytes.min(i32::MAX as i64));
                }
            }
        }
        if !pull && (js.hb.is_some() || fc || opts.ordered) {
            let w = Arc::clone(&js);
            if let Err(e) = std::thread::Builder::new().name("nats-js-sub".into()).spawn(move || w.run_worker()) {
                cleanup(&sub);
                let _ = js.delete_consumer();
                return js_err(natsStatus::NATS_SYS_ERROR, format!("cannot start the subscription's worker: {e}"));
            }
        }
        return Ok(sub);
    }
    Err(JsError::new(natsStatus::NATS_ERR, "could not create or bind to the consumer"))
}
