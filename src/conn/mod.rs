//! The connection core: connect, publish into the outgoing buffer, flush with PING/PONG,
//! subscribe, close. See ARCHITECTURE.md for the threads involved.
#![forbid(unsafe_code)]

pub mod auth;
pub mod callbacks;
pub mod event_loop;
pub mod handshake;
pub mod pongs;
pub mod reconnect;
pub mod request;
pub mod drain;
pub mod shared;
pub mod tls;
pub mod transport;

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, MutexGuard};
use std::time::{Duration, Instant};

use crate::options::Options;
use crate::proto::encoder;
use crate::proto::headers::Headers;
use crate::proto::subject::{check_publish_subject, check_queue_name, check_reply_subject, check_subscribe_subject, PubSubject};
use crate::proto::url::ServerUrl;
use crate::status::{err, natsConnStatus, natsStatus, Error, Result};
use crate::sub::{join_unless_current, Kind, Subscription};

use shared::{Shared, State, OUT_BUFFER_LIMIT};

/// Connection counters, as `natsStatistics` reports them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConnStats {
    pub in_msgs: u64,
    pub in_bytes: u64,
    pub out_msgs: u64,
    pub out_bytes: u64,
    pub reconnects: u64,
}

/// A NATS connection (cheap to clone: all clones share one connection).
#[derive(Clone)]
pub struct Connection {
    shared: Arc<Shared>,
}

impl Connection {
    /// A connection object, not connected yet. It counts as alive until `destroy`.
    pub fn new(opts: Options) -> Connection {
        *live_count() += 1;
        Connection { shared: Arc::new(Shared::new(opts)) }
    }

    /// Waits until every connection was destroyed (`None`: no limit). False on timeout.
    pub fn wait_all_destroyed(timeout: Option<Duration>) -> bool {
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut n = live_count();
        while *n > 0 {
            match deadline {
                None => n = LIVE_CV.wait(n).unwrap_or_else(|p| p.into_inner()),
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        return false;
                    }
                    n = LIVE_CV.wait_timeout(n, d - now).unwrap_or_else(|p| p.into_inner()).0;
                }
            }
        }
        true
    }

    /// Records the C handle passed to callbacks (set before `connect`).
    pub fn set_handle(&self, handle: usize) {
        self.shared.handle.store(handle, Ordering::Release);
    }

    /// The C handle (`natsConnection*`) given with `set_handle`, for callbacks; 0 before.
    pub fn handle(&self) -> usize {
        self.shared.handle()
    }

    /// Reports an asynchronous error of a subscription to the error handler (on the
    /// callback thread); never blocks.
    pub fn post_sub_error(&self, sub: &Arc<Subscription>, status: natsStatus) {
        self.shared.post(callbacks::Event::Error { sub: Some(Arc::clone(sub)), status });
    }

    /// Tries the servers (randomised unless NoRandomize) until one accepts the handshake.
    pub fn connect(&self) -> Result<()> {
        let opts = &self.shared.opts;
        let mut servers = opts.server_list()?;
        if !opts.no_randomize && servers.len() > 1 {
            shuffle(&mut servers);
        }
        {
            let mut st = self.shared.lock();
            st.status = natsConnStatus::NATS_CONN_STATUS_CONNECTING;
            st.pool = servers.iter().cloned().map(|u| reconnect::PoolEntry::new(u, false)).collect();
        }
        let mut last: Option<Error> = None;
        for url in &servers {
            match handshake::establish(url, opts) {
                Ok(est) => return self.start(url.clone(), est),
                Err(e) => {
                    // Authentication failures and the like are final: nats.c reports them as
                    // they are; unreachable servers end as NATS_NO_SERVER.
                    last = Some(e);
                }
            }
        }
        let e = last.unwrap_or_else(|| Error::new(natsStatus::NATS_NO_SERVER, "no server to connect to"));
        if opts.retry_on_failed_connect {
            // Keep trying in the background; the connected callback tells when it worked.
            {
                let mut st = self.shared.lock();
                st.status = natsConnStatus::NATS_CONN_STATUS_RECONNECTING;
                st.set_error(&e);
                st.url = None;
            }
            let waits = opts.callbacks.connected.is_none();
            self.shared.quiet.store(waits, Ordering::Release);
            let started = callbacks::start(&self.shared).and_then(|_| event_loop::start(&self.shared, None));
            if let Err(se) = started {
                let se = Error::new(natsStatus::NATS_SYS_ERROR, format!("cannot start connection threads: {se}"));
                self.shared.finish_close(Some(se.clone()));
                return Err(se);
            }
            if opts.callbacks.connected.is_none() {
                // Without a connected callback the caller could not learn when it worked:
                // as nats.c, Connect itself waits for the retries.
                let mut st = self.shared.lock();
                while st.status == natsConnStatus::NATS_CONN_STATUS_RECONNECTING && !st.closing {
                    st = self.shared.cond.wait_timeout(st, Duration::from_millis(100)).unwrap_or_else(|p| p.into_inner()).0;
                }
                if st.is_connected() {
                    self.shared.quiet.store(false, Ordering::Release);
                    return Ok(());
                }
                let text = st.last_error.as_ref().map(|(_, t)| t.to_string_lossy().into_owned()).unwrap_or_default();
                return err(natsStatus::NATS_NO_SERVER, format!("no server could be reached: {text}"));
            }
            return err(
                natsStatus::NATS_NOT_YET_CONNECTED,
                format!("not connected yet ({}); retrying in the background", e.text),
            );
        }
        let e = match e.status {
            natsStatus::NATS_IO_ERROR | natsStatus::NATS_CONNECTION_CLOSED => {
                Error::new(natsStatus::NATS_NO_SERVER, e.text)
            }
            _ => e,
        };
        let mut st = self.shared.lock();
        st.status = natsConnStatus::NATS_CONN_STATUS_CLOSED;
        st.set_error(&e);
        Err(e)
    }

    fn start(&self, url: ServerUrl, est: handshake::Established) -> Result<()> {
        {
            let mut st = self.shared.lock();
            st.info = est.info.clone();
            st.url = Some(url);
            st.local = est.local;
            st.status = natsConnStatus::NATS_CONN_STATUS_CONNECTED;
            st.learn_servers(self.shared.opts.ignore_discovered_servers);
        }
        let started = callbacks::start(&self.shared).and_then(|_| event_loop::start(&self.shared, Some(est)));
        if let Err(e) = started {
            let e = Error::new(natsStatus::NATS_SYS_ERROR, format!("cannot start connection threads: {e}"));
            self.shared.finish_close(Some(e.clone()));
            return Err(e);
        }
        Ok(())
    }

    fn closed_error() -> Error {
        Error::new(natsStatus::NATS_CONNECTION_CLOSED, "the connection is closed")
    }

    /// Appends encoded protocol to the outgoing buffer under one lock, waiting while the
    /// buffer is full, and wakes the event loop when it is not already going to look at the
    /// buffer. `encode` may refuse (e.g. max payload) before writing anything.
    fn append<F: FnOnce(&mut State) -> Result<()>>(&self, encode: F) -> Result<()> {
        self.append_ex(false, encode)
    }

    /// `append`, optionally writing directly when the loop is idle (latency-bound callers).
    fn append_ex<F: FnOnce(&mut State) -> Result<()>>(&self, direct_ok: bool, encode: F) -> Result<()> {
        let (mut st, before) = self.begin_append()?;
        encode(&mut st)?;
        self.finish_append(st, before, direct_ok)
    }

    /// The lock for an append: refuses a closed connection and waits while the buffer is
    /// full. Returns the buffer's length before the append.
    #[inline(always)]
    fn begin_append(&self) -> Result<(MutexGuard<'_, State>, usize)> {
        let mut st = self.shared.lock_for_publish();
        if st.is_closed() {
            return Err(Self::closed_error());
        }
        // While reconnecting nothing drains the buffer: the reconnect buffer limit applies
        // instead (checked by the publish itself).
        if st.out.len() >= OUT_BUFFER_LIMIT && st.status != natsConnStatus::NATS_CONN_STATUS_RECONNECTING {
            st = self.wait_for_space(st)?;
        }
        let before = st.out.len();
        Ok((st, before))
    }

    /// After an append: counts the bytes, hands them to the event loop (or writes them from
    /// here, see `State::push_out`) and, with SendAsap, waits until they are written.
    #[inline(always)]
    fn finish_append(&self, mut st: MutexGuard<'_, State>, before: usize, direct_ok: bool) -> Result<()> {
        let sh = &*self.shared;
        st.appended += (st.out.len() - before) as u64;
        let wake = st.push_out(before == 0, direct_ok);
        let asap = sh.opts.send_asap.then_some(st.appended);
        drop(st);
        if wake {
            sh.wake();
        }
        match asap {
            Some(target) => self.wait_written(target),
            None => Ok(()),
        }
    }

    fn wait_for_space<'a>(&'a self, mut st: std::sync::MutexGuard<'a, State>) -> Result<std::sync::MutexGuard<'a, State>> {
        let sh = &*self.shared;
        let wd = sh.opts.write_deadline_ms;
        let deadline = (wd > 0).then(|| Instant::now() + Duration::from_millis(wd as u64));
        while st.out.len() >= OUT_BUFFER_LIMIT && st.status != natsConnStatus::NATS_CONN_STATUS_RECONNECTING {
            if st.is_closed() {
                return Err(Self::closed_error());
            }
            if !st.wake_pending {
                st.wake_pending = true;
                sh.wake();
            }
            st.space_waiters += 1;
            let wait = match deadline {
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        st.space_waiters -= 1;
                        return err(natsStatus::NATS_TIMEOUT, "write deadline exceeded: the outgoing buffer is full");
                    }
                    d - now
                }
                None => Duration::from_millis(100),
            };
            st = self.wait_progress(st, Instant::now() + wait, false);
            st.space_waiters -= 1;
        }
        Ok(st)
    }

    /// SendAsap: wait until the event loop has written everything up to `target`.
    fn wait_written(&self, target: u64) -> Result<()> {
        let sh = &*self.shared;
        let mut st = sh.lock();
        while st.written < target {
            if st.is_closed() {
                return Err(Self::closed_error());
            }
            st.asap_waiters += 1;
            st = self.wait_progress(st, Instant::now() + Duration::from_millis(100), false);
            st.asap_waiters -= 1;
        }
        Ok(())
    }

    /// Publish, PublishRequest, PublishString...: validated, then appended to the buffer.
    pub fn publish(&self, subject: &str, reply: Option<&str>, data: &[u8]) -> Result<()> {
        self.publish_full(subject, reply, None, data)
    }

    /// Publish without a reply or headers, to a subject already checked (the C fast path).
    pub fn publish_checked(&self, subject: PubSubject<'_>, data: &[u8]) -> Result<()> {
        self.append_pub(subject.as_str(), None, None, data, false)
    }

    /// Publish with optional headers (HPUB). Headers need a server that supports them, and
    /// count toward the maximum payload.
    pub fn publish_full(&self, subject: &str, reply: Option<&str>, headers: Option<&Headers>, data: &[u8]) -> Result<()> {
        self.publish_ex(subject, reply, headers, data, false)
    }

    /// Publish; `direct_ok` lets an idle connection write from this thread (requests).
    pub(crate) fn publish_ex(
        &self,
        subject: &str,
        reply: Option<&str>,
        headers: Option<&Headers>,
        data: &[u8],
        direct_ok: bool,
    ) -> Result<()> {
        check_publish_subject(subject)?;
        if let Some(r) = reply {
            // As nats.c reports a bad reply: an invalid argument.
            check_reply_subject(r).map_err(|e| Error::new(natsStatus::NATS_INVALID_ARG, e.text))?;
        }
        self.append_pub(subject, reply, headers, data, direct_ok)
    }

    /// Appends a PUB or HPUB whose subject and reply were checked. Written out rather than
    /// as an `append_ex` closure: this is every publish's path, and the whole of it inlines
    /// into one short critical section.
    #[inline(always)]
    fn append_pub(
        &self,
        subject: &str,
        reply: Option<&str>,
        headers: Option<&Headers>,
        data: &[u8],
        direct_ok: bool,
    ) -> Result<()> {
        let block = headers.map(|h| h.encoded());
        let (mut st, before) = self.begin_append()?;
        let hdr_len = block.as_ref().map_or(0, |b| b.len());
        if block.is_some() && !st.info.headers {
            return err(natsStatus::NATS_NO_SERVER_SUPPORT, "the server does not support message headers");
        }
        // As nats.c: while reconnecting, refused once the buffer holds its size (the message
        // that crosses the limit is still taken).
        if st.status == natsConnStatus::NATS_CONN_STATUS_RECONNECTING && st.out.len() >= self.shared.opts.reconnect_buf_size {
            return err(
                natsStatus::NATS_INSUFFICIENT_BUFFER,
                format!("the reconnect buffer ({} bytes) is full", self.shared.opts.reconnect_buf_size),
            );
        }
        let max = st.info.max_payload;
        let total = (hdr_len + data.len()) as i64;
        if max > 0 && total > max {
            return err(
                natsStatus::NATS_MAX_PAYLOAD,
                format!("message of {total} bytes (headers and data) exceeds the server's maximum of {max} bytes"),
            );
        }
        match &block {
            Some(b) => encoder::hpub_frame(&mut st.out, subject, reply, b, data),
            None => {
                let State { out, pub_lens, .. } = &mut *st;
                encoder::pub_frame(out, pub_lens, subject, reply, data)
            }
        }
        st.out_msgs += 1;
        st.out_bytes += data.len() as u64;
        self.finish_append(st, before, direct_ok)
    }

    /// Flush with a timeout in milliseconds: a PING behind everything buffered, then its PONG.
    pub fn flush(&self, timeout_ms: i64) -> Result<()> {
        self.flush_ex(timeout_ms, false)
    }

    /// `flush`; `closing`: for Close, which with an application's event loop drives the
    /// socket itself rather than count on the loop running (see `wait_progress`).
    fn flush_ex(&self, timeout_ms: i64, closing: bool) -> Result<()> {
        if timeout_ms <= 0 {
            return err(natsStatus::NATS_INVALID_TIMEOUT, "the flush timeout must be positive");
        }
        let sh = &*self.shared;
        let deadline = Instant::now() + Duration::from_millis(timeout_ms as u64);
        let mut st = sh.lock();
        // A flush started while reconnecting waits for the reconnect (or its timeout).
        while st.status == natsConnStatus::NATS_CONN_STATUS_RECONNECTING && !st.closing {
            let now = Instant::now();
            if now >= deadline {
                return err(natsStatus::NATS_TIMEOUT, "timed out waiting for the reconnection to flush");
            }
            st = sh.cond.wait_timeout(st, deadline - now).unwrap_or_else(|p| p.into_inner()).0;
        }
        if st.is_closed() {
            return Err(Self::closed_error());
        }
        let id = st.pongs.push_flush();
        let fresh = st.out.is_empty();
        st.out.extend_from_slice(encoder::PING);
        st.appended += encoder::PING.len() as u64;
        let mut written_mark = st.appended;
        if st.push_out(fresh, true) {
            sh.wake();
        }
        // On a clear-text connection of our own loop, this thread reads the socket until the
        // PONG comes (unless another flush does), so that the PONG wakes it directly rather
        // than through the loop. Otherwise (TLS, an application's loop) it sleeps until the
        // loop hands over the PONG. Spinning for it instead cost more CPU than the round
        // trip it saved, and on a busy machine made it slower.
        if st.direct.is_some() && !st.closing {
            drop(st);
            let pong_mark = event_loop::read_for_pong(sh, id, deadline);
            written_mark = written_mark.max(pong_mark);
            st = sh.lock();
        }
        loop {
            if let Some(status) = st.pongs.take_result(id) {
                return match status {
                    natsStatus::NATS_OK => {
                        // The server has everything up to the PING, but the loop may not have
                        // counted its write yet (`Buffered` would still show it), and a PONG
                        // this thread queued for the server's PING may still wait: wait for
                        // both to be counted as written.
                        while st.written < written_mark
                            && (!st.out.is_empty() || st.in_flight > 0)
                            && st.is_connected()
                            && Instant::now() < deadline
                        {
                            st.asap_waiters += 1;
                            st = self.wait_progress(st, deadline, closing);
                            st.asap_waiters -= 1;
                        }
                        Ok(())
                    }
                    natsStatus::NATS_CONNECTION_CLOSED => {
                        let text = match &st.last_error {
                            Some((_, t)) if !t.as_bytes().is_empty() => {
                                format!("the connection closed before the flush completed: {}", t.to_string_lossy())
                            }
                            _ => "the connection closed before the flush completed".to_string(),
                        };
                        err(status, text)
                    }
                    s => err(s, "the flush did not complete"),
                };
            }
            let now = Instant::now();
            if now >= deadline {
                st.pongs.abandon(id);
                return err(natsStatus::NATS_TIMEOUT, "timed out waiting for the PONG of the flush");
            }
            st.flush_sleepers += 1;
            st = self.wait_progress(st, deadline, closing);
            st.flush_sleepers -= 1;
        }
    }

    /// Waits until `until` for the connection to move on (a PONG, buffer space, bytes
    /// written): on the condition variable, or, with an application's event loop where
    /// nobody else would drive the socket meanwhile (on the loop's own thread, or for
    /// Close), by doing one turn of its I/O from this thread.
    fn wait_progress<'a>(&'a self, st: MutexGuard<'a, State>, until: Instant, closing: bool) -> MutexGuard<'a, State> {
        let sh = &*self.shared;
        match &sh.external {
            Some(x) if closing || x.on_loop_thread() => {
                drop(st);
                x.drive_step(sh, until);
                sh.lock()
            }
            _ => {
                let left = until.saturating_duration_since(Instant::now());
                sh.cond.wait_timeout(st, left).unwrap_or_else(|p| p.into_inner()).0
            }
        }
    }

    /// `natsConnection_ProcessReadEvent`: the application's loop saw the socket readable.
    pub fn process_read_event(&self) {
        event_loop::external::process_read(&self.shared);
    }

    /// `natsConnection_ProcessWriteEvent`: the application's loop saw the socket writable.
    pub fn process_write_event(&self) {
        event_loop::external::process_write(&self.shared);
    }

    /// Whether the application's event loop drives this connection.
    pub fn has_external_loop(&self) -> bool {
        self.shared.external.is_some()
    }

    /// Round-trip time of one PING/PONG.
    pub fn rtt(&self) -> Result<Duration> {
        let start = Instant::now();
        self.flush(self.shared.opts.timeout_ms.max(1))?;
        Ok(start.elapsed())
    }

    /// Creates a synchronous subscription.
    pub fn subscribe_sync(&self, subject: &str, queue: Option<&str>) -> Result<Arc<Subscription>> {
        self.subscribe(subject, queue, Kind::Sync)
    }

    /// Creates a subscription of any kind. Async subscriptions get their dispatcher (a
    /// dedicated thread, or the library pool with global message delivery) before SUB is sent.
    pub fn subscribe(&self, subject: &str, queue: Option<&str>, kind: Kind) -> Result<Arc<Subscription>> {
        self.subscribe_with(subject, queue, kind, None)
    }

    /// `subscribe` with an upper layer's hooks, in place before any message can arrive.
    pub fn subscribe_with(
        &self,
        subject: &str,
        queue: Option<&str>,
        kind: Kind,
        hooks: Option<Arc<dyn crate::sub::SubHooks>>,
    ) -> Result<Arc<Subscription>> {
        check_subscribe_subject(subject)?;
        if let Some(q) = queue {
            check_queue_name(q)?;
        }
        {
            let st = self.shared.lock();
            if st.is_closed() {
                return Err(Self::closed_error());
            }
            if st.draining && !matches!(kind, Kind::Inline(_)) {
                return err(natsStatus::NATS_DRAINING, "the connection is draining");
            }
        }
        let sid = self.shared.next_sid.fetch_add(1, Ordering::Relaxed);
        let is_async = matches!(kind, Kind::Async { .. });
        let idle = matches!(kind, Kind::Async { idle: Some(_), .. });
        let sub = Subscription::with_kind(
            sid,
            subject.to_string(),
            queue.map(str::to_string),
            self.shared.opts.max_pending_msgs,
            self.shared.opts.max_pending_bytes,
            kind,
        );
        if is_async {
            // Inactivity timeouts need a timer per subscription: they keep a dedicated thread.
            let started = if self.shared.opts.global_delivery && !idle {
                crate::sub::dispatch::attach_to_pool(&sub)
            } else {
                crate::sub::Dispatcher::start_dedicated(&sub)
            };
            started.map_err(|e| Error::new(natsStatus::NATS_SYS_ERROR, format!("cannot start the delivery thread: {e}")))?;
            let mut reg = self.shared.async_subs.lock().unwrap_or_else(|p| p.into_inner());
            reg.retain(|w| w.strong_count() > 0);
            reg.push(Arc::downgrade(&sub));
        }
        if let Some(h) = hooks {
            let _ = sub.hooks.set(h);
        }
        // In the map before SUB leaves, so that no message for it is missed.
        self.shared.subs().insert(sid, Arc::clone(&sub));
        if let Err(e) = self.append(|st| {
            encoder::sub_frame(&mut st.out, subject, queue, sid);
            Ok(())
        }) {
            self.shared.subs().remove(&sid);
            sub.close(natsStatus::NATS_INVALID_SUBSCRIPTION);
            return Err(e);
        }
        Ok(sub)
    }

    /// Unsubscribe now (`max` = None) or after `max` messages in total.
    pub fn unsubscribe(&self, sub: &Arc<Subscription>, max: Option<u64>) -> Result<()> {
        if self.shared.lock().is_closed() {
            return Err(Self::closed_error());
        }
        sub.check_valid()?;
        match max {
            Some(n) if n > 0 => {
                let reached = sub.set_max(n);
                self.append(|st| {
                    encoder::unsub_frame(&mut st.out, sub.sid, Some(n));
                    Ok(())
                })?;
                if reached {
                    self.shared.subs().remove(&sub.sid);
                    sub.close(natsStatus::NATS_MAX_DELIVERED_MSGS);
                }
            }
            _ => {
                self.shared.subs().remove(&sub.sid);
                sub.close(natsStatus::NATS_INVALID_SUBSCRIPTION);
                self.append(|st| {
                    encoder::unsub_frame(&mut st.out, sub.sid, None);
                    Ok(())
                })?;
            }
        }
        Ok(())
    }

    /// Close: what is buffered is flushed (PING/PONG, bounded by the connect timeout), then
    /// the socket closes, subscriptions end and the disconnected/closed callbacks are queued.
    pub fn close(&self) {
        let sh = &*self.shared;
        let connected = {
            let st = sh.lock();
            if st.is_closed() && st.status == natsConnStatus::NATS_CONN_STATUS_CLOSED {
                drop(st);
                self.join_loop();
                if let Some(x) = &sh.external {
                    x.finish(sh);
                }
                return;
            }
            st.is_connected() && !st.closing
        };
        if connected {
            // Confirm with PING/PONG that the server has everything; wait longer only when
            // data is still waiting to be written.
            let bound = if self.buffered().unwrap_or(0) > 0 { sh.opts.timeout_ms.clamp(500, 5000) } else { 500 };
            let _ = self.flush_ex(bound, true);
        }
        {
            sh.mark_closing(&mut sh.lock());
        }
        sh.cond.notify_all();
        sh.wake();
        if let Some(x) = &sh.external {
            x.kick();
        }
        self.join_loop();
        if let Some(x) = &sh.external {
            // What is left is written (bounded), the loop stops polling and lets go of the
            // connection (detach), and only then does the socket close.
            x.finish(sh);
        }
        sh.finish_close(None);
    }

    fn join_loop(&self) {
        let h = self.shared.loop_thread.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(h) = h {
            join_unless_current(h);
        }
    }

    /// Close, then wait until the callback thread has run its last callback (unless called
    /// from a callback); from then on no callback runs.
    pub fn destroy(&self) {
        self.close();
        let subs: Vec<_> = self.shared.async_subs.lock().unwrap_or_else(|p| p.into_inner()).drain(..).collect();
        for w in subs {
            if let Some(s) = w.upgrade() {
                s.close_hard();
                s.stop_delivery();
            }
        }
        let cb = self.shared.cb_thread.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(h) = cb {
            join_unless_current(h);
        }
        if !self.shared.destroyed.swap(true, Ordering::AcqRel) {
            *live_count() -= 1;
            LIVE_CV.notify_all();
        }
    }

    pub fn status(&self) -> natsConnStatus {
        self.shared.lock().status
    }

    pub fn is_closed(&self) -> bool {
        self.status() == natsConnStatus::NATS_CONN_STATUS_CLOSED
    }

    /// Bytes accepted but not yet written to the socket: the outgoing buffer (the reconnect
    /// buffer while reconnecting) plus what the event loop took from it and could not write
    /// yet. `None` once closed.
    pub fn buffered(&self) -> Option<usize> {
        let st = self.shared.lock();
        if st.status == natsConnStatus::NATS_CONN_STATUS_CLOSED {
            return None;
        }
        Some(st.out.len() + st.in_flight)
    }

    pub fn max_payload(&self) -> i64 {
        self.shared.lock().info.max_payload
    }

    pub fn stats(&self) -> ConnStats {
        let st = self.shared.lock();
        ConnStats {
            in_msgs: self.shared.incoming.msgs.load(Ordering::Relaxed),
            in_bytes: self.shared.incoming.bytes.load(Ordering::Relaxed),
            out_msgs: st.out_msgs,
            out_bytes: st.out_bytes,
            reconnects: st.reconnects,
        }
    }

    /// The URL of the connected server, `None` when not connected.
    pub fn connected_url(&self) -> Option<String> {
        let st = self.shared.lock();
        if !st.is_connected() {
            return None;
        }
        st.url.as_ref().map(|u| u.full.clone())
    }

    pub fn connected_server_id(&self) -> Option<String> {
        let st = self.shared.lock();
        if !st.is_connected() {
            return None;
        }
        Some(st.info.server_id.clone())
    }

    /// The version the connected (or last connected) server announced in INFO, e.g.
    /// `(2, 10, 22)`; `None` before the first connection or when it cannot be read.
    pub fn server_version(&self) -> Option<(u32, u32, u32)> {
        let st = self.shared.lock();
        let v = st.info.version.split(['-', '+']).next().unwrap_or("");
        let mut it = v.split('.').map(|n| n.parse::<u32>().ok());
        Some((it.next()??, it.next()??, it.next().flatten().unwrap_or(0)))
    }

    /// Every server of the pool (`discovered_only`: only those learned from INFO).
    pub fn servers(&self, discovered_only: bool) -> Result<Vec<String>> {
        let st = self.shared.lock();
        // Credentials are never listed.
        Ok(st
            .pool
            .iter()
            .filter(|p| p.discovered || !discovered_only)
            .map(|p| format!("{}://{}", p.url.scheme, p.url.host_port()))
            .collect())
    }

    /// The connection's last error (status and text); OK and empty when there is none.
    pub fn last_error(&self) -> (natsStatus, Option<std::ffi::CString>) {
        let st = self.shared.lock();
        match &st.last_error {
            Some((s, t)) => (*s, Some(t.clone())),
            None => (natsStatus::NATS_OK, None),
        }
    }

    /// Runs `f` with the last error text borrowed from the connection (for a stable pointer).
    pub fn with_last_error<R>(&self, f: impl FnOnce(natsStatus, Option<&std::ffi::CStr>) -> R) -> R {
        let st = self.shared.lock();
        match &st.last_error {
            Some((s, t)) => f(*s, Some(t.as_c_str())),
            None => f(natsStatus::NATS_OK, None),
        }
    }

    fn connected_info<T>(&self, f: impl FnOnce(&State) -> T) -> Result<T> {
        let st = self.shared.lock();
        match st.status {
            natsConnStatus::NATS_CONN_STATUS_CLOSED => Err(Self::closed_error()),
            _ if st.is_connected() => Ok(f(&st)),
            _ => err(natsStatus::NATS_CONNECTION_DISCONNECTED, "the connection is not connected"),
        }
    }

    pub fn client_id(&self) -> Result<u64> {
        let id = self.connected_info(|st| st.info.client_id)?;
        if id == 0 {
            return err(natsStatus::NATS_NO_SERVER_SUPPORT, "the server did not assign a client id");
        }
        Ok(id)
    }

    pub fn client_ip(&self) -> Result<String> {
        let ip = self.connected_info(|st| st.info.client_ip.clone())?;
        if ip.is_empty() {
            return err(natsStatus::NATS_NO_SERVER_SUPPORT, "the server did not report the client IP");
        }
        Ok(ip)
    }

    pub fn local_addr(&self) -> Result<SocketAddr> {
        self.connected_info(|st| st.local)?
            .ok_or_else(|| Error::new(natsStatus::NATS_ERR, "the local address is not known"))
    }

    pub fn has_header_support(&self) -> bool {
        let st = self.shared.lock();
        st.is_connected() && st.info.headers
    }
}

/// Connections created and not yet destroyed (for `nats_CloseAndWait`).
static LIVE: std::sync::Mutex<usize> = std::sync::Mutex::new(0);
static LIVE_CV: std::sync::Condvar = std::sync::Condvar::new();

fn live_count() -> std::sync::MutexGuard<'static, usize> {
    LIVE.lock().unwrap_or_else(|p| p.into_inner())
}

fn shuffle<T>(v: &mut [T]) {
    let mut h = RandomState::new().build_hasher();
    h.write_usize(v.len());
    let mut x = h.finish() | 1;
    for i in (1..v.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let j = (x % (i as u64 + 1)) as usize;
        v.swap(i, j);
    }
}
