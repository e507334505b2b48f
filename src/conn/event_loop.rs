//! The event loop: one thread per connection owning the socket, a mio `Poll`, a `Waker` and
//! the timers (keepalive PING, write deadline).
//!
//! The socket is registered edge-triggered for both directions once: readiness is a hint, the
//! loop reads until `WouldBlock` (or a fairness budget) and writes while output waits, so no
//! re-registration is needed when output comes and goes.
//!
//! With `natsOptions_SetEventLoop` the application's loop drives the same `Loop` instead
//! (see [`Driver`] and the `external` module).
#![forbid(unsafe_code)]

pub(crate) mod external;
mod read_side;

pub(crate) use read_side::{read_for_pong, ReadSide};

use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token, Waker};
use std::os::fd::AsRawFd;

use crate::msg::Msg;
use crate::proto::encoder;
use crate::proto::headers::Headers;
use crate::proto::info::parse_info;
use crate::proto::parser::{MsgView, ProtoHandler};
use crate::status::{natsConnStatus, natsStatus, Error};

use super::callbacks::Event;
use super::handshake::{server_error, Established};
use super::reconnect::{self, reconnect_phase};
use super::shared::Shared;
use super::transport::Transport;

const SOCK: Token = Token(0);
const WAKE: Token = Token(1);
/// Reads per wakeup before the loop gives writes and timers a turn.
const READ_BUDGET: usize = 16;
/// Bytes written per turn before reads get a turn.
const WRITE_BUDGET: usize = 4 * 1024 * 1024;

/// Starts the loop thread: with an established socket, or (RetryOnFailedConnect) with
/// none, in which case the thread connects in the background first.
pub fn start(shared: &Arc<Shared>, est: Option<Established>) -> io::Result<()> {
    if let Some(x) = &shared.external {
        return external::start(shared, x, est);
    }
    let poll = Poll::new()?;
    let waker = Waker::new(poll.registry(), WAKE)?;
    if shared.waker.set(waker).is_err() {
        return Err(io::Error::other("event loop already started"));
    }
    let s = Arc::clone(shared);
    let h = std::thread::Builder::new().name("nats-loop".into()).spawn(move || thread_main(s, poll, est))?;
    *shared.loop_thread.lock().unwrap_or_else(|p| p.into_inner()) = Some(h);
    Ok(())
}

fn thread_main(shared: Arc<Shared>, poll: Poll, first: Option<Established>) {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let (est, initial) = match first {
            Some(e) => (e, false),
            None => match reconnect_off_loop(&shared) {
                Ok((est, _url)) => (est, true),
                Err(None) => return,
                Err(Some(e)) => {
                    shared.finish_close(Some(e));
                    return;
                }
            },
        };
        let mut lp = match Loop::new(Arc::clone(&shared), Driver::Mio(poll), est) {
            Ok(lp) => lp,
            Err(e) => {
                shared.finish_close(Some(Error::new(natsStatus::NATS_SYS_ERROR, format!("cannot register the socket: {e}"))));
                return;
            }
        };
        if initial {
            lp.after_connect(true);
        } else if lp.transport.is_plain() {
            let mut st = shared.lock();
            if st.is_connected() {
                st.direct = Some(Arc::clone(&lp.sock));
            }
        }
        lp.run();
    }));
    if outcome.is_err() {
        shared.finish_close(Some(Error::new(natsStatus::NATS_ERR, "internal error in the connection event loop")));
    }
}

/// The reconnect phase on a thread of its own while the loop thread waits for it: the
/// handshake runs the application's token, user JWT and signature callbacks, and no user
/// callback runs on the loop thread (nothing else happens on the loop meanwhile). When no
/// thread can be started, the loop thread does it itself.
fn reconnect_off_loop(shared: &Shared) -> Result<(Established, crate::proto::url::ServerUrl), Option<Error>> {
    std::thread::scope(|s| {
        match std::thread::Builder::new().name("nats-reconnect".into()).spawn_scoped(s, || reconnect_phase(shared)) {
            Ok(h) => h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)),
            Err(_) => reconnect_phase(shared),
        }
    })
}

/// Who waits for the socket's readiness and calls the I/O steps of [`Loop`] (reading and
/// parsing, writing the outgoing buffer, the disconnect and reconnect steps, the timers):
/// this module's thread with its mio `Poll`, or the application's event loop through
/// `natsConnection_ProcessReadEvent` / `ProcessWriteEvent` (`external`). The steps are the
/// same code for both; only registering interest differs.
enum Driver {
    Mio(Poll),
    /// The application's loop; polling is switched through the adapter's callbacks.
    External,
}

impl Driver {
    /// A new socket: our poll watches it at once; the application's loop is told by the
    /// attach callback once the socket is in place (`external`).
    fn register(&self, sock: &TcpStream) -> io::Result<()> {
        match self {
            Driver::Mio(poll) => {
                poll.registry().register(&mut SourceFd(&sock.as_raw_fd()), SOCK, Interest::READABLE | Interest::WRITABLE)
            }
            Driver::External => Ok(()),
        }
    }

    /// The socket broke: stop watching it (before it is closed).
    fn deregister(&self, shared: &Shared, sock: &TcpStream) {
        match self {
            Driver::Mio(poll) => {
                let _ = poll.registry().deregister(&mut SourceFd(&sock.as_raw_fd()));
            }
            Driver::External => external::stop_polling(shared),
        }
    }

    /// Callers may write to the socket themselves (`State::direct`) only when our own
    /// thread drives it: with an external loop, all I/O happens on the loop's thread.
    fn direct_writes(&self) -> bool {
        matches!(self, Driver::Mio(_))
    }
}

struct Loop {
    shared: Arc<Shared>,
    driver: Driver,
    /// Shared with callers for direct writes (see `State::push_out`).
    sock: Arc<TcpStream>,
    transport: Transport,
    /// Bytes taken from the outgoing buffer, written from `pos`.
    pending: Vec<u8>,
    pos: usize,
    /// No `WouldBlock` on write since the last WRITABLE event.
    writable: bool,
    /// Reading stopped on the budget, not on `WouldBlock`.
    read_ready: bool,
    /// The poller reported the peer's end of the stream (or an error) on this socket.
    peer_done: bool,
    blocked_since: Option<Instant>,
    ping_interval: Duration,
    next_ping: Instant,
    /// Bytes read past the handshake, parsed first.
    leftover: Vec<u8>,
    /// The last look at the outgoing buffer found it empty (and cleared `wake_pending`), and
    /// this thread has queued nothing since: until `Shared::wake` asks for it, there is
    /// nothing to take, so the lock is left alone (it would collide with the caller that a
    /// PONG just released, costing both threads a sleep and a wake-up).
    out_idle: bool,
    /// The server sent an error that ends the connection for good (nats.c closes on any
    /// `-ERR` that is not a stale connection, a permission or an authorization error).
    server_closed: bool,
}

impl Loop {
    fn new(shared: Arc<Shared>, driver: Driver, est: Established) -> io::Result<Loop> {
        let rbuf_size = shared.opts.io_buf_size.clamp(4096, 256 * 1024).max(64 * 1024);
        let interval = Duration::from_millis(shared.opts.ping_interval_ms.max(1) as u64);
        est.stream.set_nonblocking(true)?;
        let sock = Arc::new(TcpStream::from_std(est.stream));
        driver.register(&sock)?;
        let lp = Loop {
            shared,
            driver,
            sock,
            transport: est.transport,
            pending: Vec::with_capacity(32 * 1024),
            pos: 0,
            writable: true,
            read_ready: true,
            peer_done: false,
            blocked_since: None,
            ping_interval: interval,
            next_ping: Instant::now() + interval,
            leftover: est.leftover,
            out_idle: false,
            server_closed: false,
        };
        lp.shared.read_side().size_buffer(rbuf_size);
        lp.set_limits(est.info.max_payload);
        Ok(lp)
    }

    fn set_limits(&self, max_payload: i64) {
        self.shared.read_side().reset_parser(max_payload);
    }

    /// Replaces the socket after a reconnect.
    fn install(&mut self, est: Established) -> io::Result<()> {
        est.stream.set_nonblocking(true)?;
        let sock = Arc::new(TcpStream::from_std(est.stream));
        self.driver.register(&sock)?;
        self.sock = sock;
        self.transport = est.transport;
        self.set_limits(est.info.max_payload);
        self.leftover = est.leftover;
        self.pending.clear();
        self.pos = 0;
        self.out_idle = false;
        self.writable = true;
        self.read_ready = true;
        self.peer_done = false;
        self.blocked_since = None;
        self.next_ping = Instant::now() + self.ping_interval;
        Ok(())
    }
}

/// Why the loop stopped.
enum Stop {
    /// Close asked for it: the closer finishes the job.
    Requested,
    Failed(Error),
}

impl Loop {
    fn run(mut self) {
        loop {
            let leftover = std::mem::take(&mut self.leftover);
            match self.main(leftover) {
                Stop::Requested => break,
                Stop::Failed(e) => {
                    let closing = self.shared.lock().closing;
                    if closing || !self.shared.opts.allow_reconnect || self.server_closed {
                        self.shared.finish_close(Some(e));
                        break;
                    }
                    self.begin_reconnect(e);
                    match reconnect_off_loop(&self.shared) {
                        Ok((est, _url)) => {
                            if let Err(e) = self.install(est) {
                                self.shared.finish_close(Some(Error::new(
                                    natsStatus::NATS_SYS_ERROR,
                                    format!("cannot register the socket: {e}"),
                                )));
                                break;
                            }
                            self.after_connect(false);
                        }
                        Err(None) => break,
                        Err(Some(e)) => {
                            self.shared.finish_close(Some(e));
                            break;
                        }
                    }
                }
            }
        }
        // A TLS peer is told the session ends (best effort) before the socket closes.
        self.transport.close(&mut &*self.sock);
        let _ = self.sock.shutdown(std::net::Shutdown::Both);
    }

    /// The socket broke: keep the publishes (a half-written one whole), fail the flushes,
    /// tell the user, and leave the connection RECONNECTING.
    fn begin_reconnect(&mut self, cause: Error) {
        self.driver.deregister(&self.shared, &self.sock);
        {
            // A failure a flush found on this socket is this one (the flush reads only the
            // socket in `sock`): it must not end the next.
            let mut rs = self.shared.read_side();
            rs.sock = None;
            rs.failure = None;
        }
        self.shared.lock().direct = None;
        let _ = self.sock.shutdown(std::net::Shutdown::Both);
        {
            let mut st = self.shared.lock();
            st.status = natsConnStatus::NATS_CONN_STATUS_RECONNECTING;
            st.set_error(&cause);
            let mut kept = Vec::with_capacity(st.out.len() + self.pending.len() - self.pos);
            reconnect::keep_publishes(&self.pending, self.pos, &mut kept);
            reconnect::keep_publishes(&st.out, 0, &mut kept);
            st.out = kept;
            st.in_flight = 0;
            // What is not kept was written or dropped: either way it no longer waits, and
            // `appended - written` stays what waits to be written.
            st.written = st.appended.saturating_sub(st.out.len() as u64);
            st.wake_pending = true;
            st.pongs.fail_all(natsStatus::NATS_CONNECTION_DISCONNECTED);
            st.pings_out = 0;
        }
        self.pending.clear();
        self.pos = 0;
        self.shared.cond.notify_all();
        if self.shared.opts.fail_requests_on_disconnect {
            if let Some(m) = self.shared.resp_mux.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
                m.fail_all(natsStatus::NATS_CONNECTION_DISCONNECTED);
            }
        }
        self.shared.post(Event::Disconnected);
    }

    /// Connected (again): subscriptions first, then what was buffered, then the callback.
    fn after_connect(&mut self, first: bool) {
        self.out_idle = false;
        let mut subs: Vec<_> = self.shared.subs().values().cloned().collect();
        subs.sort_by_key(|s| s.sid);
        {
            let mut st = self.shared.lock();
            let mut out = Vec::with_capacity(st.out.len() + subs.len() * 32);
            for s in &subs {
                if !s.is_valid() {
                    continue;
                }
                encoder::sub_frame(&mut out, &s.subject, s.queue_group.as_deref(), s.sid);
                if let Some(left) = s.auto_unsub_remaining() {
                    encoder::unsub_frame(&mut out, s.sid, Some(left));
                }
            }
            let frames = out.len() as u64;
            reconnect::keep_publishes(&st.out, 0, &mut out);
            st.out = out;
            // The subscriptions' frames go out first; `appended - written` stays what waits.
            st.appended += frames;
            st.written = st.appended.saturating_sub(st.out.len() as u64);
            st.status = natsConnStatus::NATS_CONN_STATUS_CONNECTED;
            st.direct = (self.transport.is_plain() && self.driver.direct_writes()).then(|| Arc::clone(&self.sock));
            st.wake_pending = true;
            st.pings_out = 0;
            if !first {
                st.reconnects += 1;
            }
        }
        self.shared.cond.notify_all();
        self.shared.post(if first { Event::Connected } else { Event::Reconnected });
    }

    fn main(&mut self, leftover: Vec<u8>) -> Stop {
        if !leftover.is_empty() {
            if let Err(e) = self.on_bytes(&leftover) {
                return Stop::Failed(e);
            }
        }
        // From now on a flush may read its PONG from this thread's socket itself (clear text
        // only: a TLS session is one object for both directions, kept on this thread).
        if self.transport.is_plain() {
            self.shared.read_side().sock = Some(Arc::clone(&self.sock));
        }
        let mut events = Events::with_capacity(16);
        loop {
            let more_to_write = match self.write_out() {
                Ok(m) => m,
                Err(e) => return Stop::Failed(e),
            };
            if self.shared.close_requested.load(Ordering::Acquire) && self.shared.lock().closing {
                self.drain_before_close();
                return Stop::Requested;
            }
            let timeout = if self.read_ready || more_to_write {
                Duration::ZERO
            } else {
                self.next_deadline().saturating_duration_since(Instant::now())
            };
            let Driver::Mio(poll) = &mut self.driver else { return Stop::Requested };
            if let Err(e) = poll.poll(&mut events, Some(timeout)) {
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Stop::Failed(Error::new(natsStatus::NATS_SYS_ERROR, format!("poll failed: {e}")));
            }
            for ev in events.iter() {
                if ev.token() == SOCK {
                    if ev.is_writable() {
                        self.writable = true;
                    }
                    if ev.is_readable() || ev.is_read_closed() || ev.is_error() {
                        self.read_ready = true;
                    }
                    if ev.is_read_closed() || ev.is_error() {
                        self.peer_done = true;
                    }
                }
            }
            if self.shared.read_wanted.load(Ordering::Relaxed) && self.shared.read_wanted.swap(false, Ordering::AcqRel) {
                self.read_ready = true;
            }
            if self.read_ready {
                if let Err(e) = self.read_some() {
                    return Stop::Failed(e);
                }
            }
            if let Err(e) = self.timers() {
                return Stop::Failed(e);
            }
        }
    }

    fn next_deadline(&self) -> Instant {
        let mut d = self.next_ping;
        let wd = self.shared.opts.write_deadline_ms;
        if let (Some(t), true) = (self.blocked_since, wd > 0) {
            d = d.min(t + Duration::from_millis(wd as u64));
        }
        d
    }

    /// Reads until `WouldBlock` or the budget; parses what arrives. While a flush reads the
    /// socket itself (`read_for_pong`), only notes that there was something to read: that
    /// thread reads on before it hands the socket back.
    fn read_some(&mut self) -> Result<(), Error> {
        let shared = Arc::clone(&self.shared);
        // Lent: leave it to the flush. (`missed` is set before `lent` is looked at again,
        // and the flush clears `lent` before it looks at `missed`: one of the two reads.)
        if shared.read_lent.load(Ordering::SeqCst) {
            shared.read_missed.store(true, Ordering::SeqCst);
            if shared.read_lent.load(Ordering::SeqCst) {
                self.read_ready = false;
                return Ok(());
            }
        }
        let mut rs = shared.read_side();
        if let Some((e, close)) = rs.failure.take() {
            self.server_closed = close;
            return Err(e);
        }
        if shared.read_lent.load(Ordering::SeqCst) {
            shared.read_missed.store(true, Ordering::SeqCst);
            self.read_ready = false;
            return Ok(());
        }
        for _ in 0..READ_BUDGET {
            let r = self.transport.read(&mut &*self.sock, &mut rs.rbuf);
            match r {
                Ok(0) => {
                    return Err(Error::new(natsStatus::NATS_CONNECTION_CLOSED, "the server closed the connection"));
                }
                Ok(n) => {
                    let parsed = rs.parse_read(&shared, n, None, false);
                    let short = n < rs.rbuf.len();
                    self.take_parsed(parsed)?;
                    // A short read of a TCP socket took all it held, and bytes that arrive
                    // later raise a new readiness edge: no need to read again just to see
                    // `WouldBlock` (a system call per PONG or lone message). TLS reads go
                    // through the session's buffer, so they keep reading until it blocks.
                    // When the same edge also announced the peer's end, no edge follows:
                    // read on until the end of the stream shows.
                    if short && self.transport.is_plain() && !self.peer_done {
                        self.read_ready = false;
                        return Ok(());
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.read_ready = false;
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::new(natsStatus::NATS_IO_ERROR, format!("read error: {e}"))),
            }
        }
        Ok(())
    }

    /// Parses bytes read elsewhere (past the handshake).
    fn on_bytes(&mut self, data: &[u8]) -> Result<(), Error> {
        let parsed = self.shared.read_side().parse(&self.shared, data, None);
        self.take_parsed(parsed)
    }

    /// What a parse asks of the loop: write the protocol it queued, or end the connection.
    fn take_parsed(&mut self, p: read_side::Parsed) -> Result<(), Error> {
        if p.queued {
            self.out_idle = false;
        }
        match p.fatal {
            Some((e, close)) => {
                self.server_closed = close;
                Err(e)
            }
            None => Ok(()),
        }
    }

    /// Writes what waits. Returns true when the write budget ran out with output left.
    fn write_out(&mut self) -> Result<bool, Error> {
        let mut budget = WRITE_BUDGET;
        loop {
            // Bytes the transport holds (TLS records) go out first.
            if self.writable {
                match self.transport.flush(&mut &*self.sock) {
                    Ok(true) => {}
                    Ok(false) => {
                        self.writable = false;
                        self.blocked_since.get_or_insert_with(Instant::now);
                        return Ok(false);
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        self.writable = false;
                        self.blocked_since.get_or_insert_with(Instant::now);
                        return Ok(false);
                    }
                    Err(e) => return Err(Error::new(natsStatus::NATS_IO_ERROR, format!("write error: {e}"))),
                }
            }
            if self.pos == self.pending.len() {
                if self.out_idle && !self.shared.out_wanted.swap(false, Ordering::AcqRel) {
                    return Ok(false);
                }
                let mut st = self.shared.lock();
                let wrote = !self.pending.is_empty();
                st.written += self.pending.len() as u64;
                self.pending.clear();
                self.pos = 0;
                let waiters = st.space_waiters > 0 || st.asap_waiters > 0;
                if st.out.is_empty() {
                    if wrote || st.wake_pending {
                        // Output just ran out (not merely: there was none).
                        st.idle_since = Some(Instant::now());
                    }
                    st.wake_pending = false;
                    st.in_flight = 0;
                    drop(st);
                    self.out_idle = true;
                    if waiters {
                        self.shared.cond.notify_all();
                    }
                    return Ok(false);
                }
                self.out_idle = false;
                std::mem::swap(&mut st.out, &mut self.pending);
                st.in_flight = self.pending.len();
                drop(st);
                if waiters {
                    self.shared.cond.notify_all();
                }
            }
            if !self.writable {
                return Ok(false);
            }
            if budget == 0 {
                return Ok(true);
            }
            match self.transport.write(&mut &*self.sock, &self.pending[self.pos..]) {
                Ok(0) => return Err(Error::new(natsStatus::NATS_IO_ERROR, "write error: the socket accepted nothing")),
                Ok(n) => {
                    self.pos += n;
                    budget = budget.saturating_sub(n);
                    self.blocked_since = None;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.writable = false;
                    self.blocked_since.get_or_insert_with(Instant::now);
                    // The socket is full: what of the taken chunk is still unwritten is what
                    // `natsConnection_Buffered` reports besides the outgoing buffer.
                    self.shared.lock().in_flight = self.pending.len() - self.pos;
                    return Ok(false);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::new(natsStatus::NATS_IO_ERROR, format!("write error: {e}"))),
            }
        }
    }

    fn timers(&mut self) -> Result<(), Error> {
        let now = Instant::now();
        let wd = self.shared.opts.write_deadline_ms;
        if let (Some(t), true) = (self.blocked_since, wd > 0) {
            if now.duration_since(t) >= Duration::from_millis(wd as u64) {
                return Err(Error::new(natsStatus::NATS_TIMEOUT, "write deadline exceeded: the server does not read"));
            }
        }
        if now >= self.next_ping {
            self.next_ping = now + self.ping_interval;
            let mut st = self.shared.lock();
            if st.pings_out >= self.shared.opts.max_pings_out.max(1) {
                return Err(Error::new(natsStatus::NATS_STALE_CONNECTION, "stale connection: the server did not answer keepalive PINGs"));
            }
            self.out_idle = false;
            st.pings_out += 1;
            st.pongs.push_keepalive();
            st.out.extend_from_slice(encoder::PING);
            st.appended += encoder::PING.len() as u64;
        }
        Ok(())
    }

    /// Close was requested: write what is left, bounded by the connect timeout.
    fn drain_before_close(&mut self) {
        let deadline = Instant::now() + Duration::from_millis(self.shared.opts.timeout_ms.max(1) as u64);
        let mut events = Events::with_capacity(4);
        self.out_idle = false;
        loop {
            {
                // Close keeps the buffer for us: take it even though `closing` is set.
                let st = self.shared.lock();
                if st.out.is_empty() && self.pos == self.pending.len() {
                    return;
                }
            }
            if self.write_out().is_err() {
                return;
            }
            let now = Instant::now();
            if now >= deadline {
                return;
            }
            if !self.writable {
                let Driver::Mio(poll) = &mut self.driver else { return };
                let _ = poll.poll(&mut events, Some((deadline - now).min(Duration::from_millis(50))));
                for ev in events.iter() {
                    if ev.token() == SOCK && ev.is_writable() {
                        self.writable = true;
                    }
                }
            }
        }
    }
}

/// Applies parsed protocol to the connection.
struct Handler<'a> {
    shared: &'a Shared,
    fatal: Option<Error>,
    /// `fatal` is a server error after which the connection closes instead of reconnecting.
    close: bool,
    /// The subscription of the previous message of this read (messages come in runs for
    /// one subscription; this spares the table lock). A subscription removed meanwhile is
    /// closed, so a stale entry only delivers into a closed queue, which ignores it.
    last: Option<(u64, Arc<crate::sub::Subscription>)>,
    /// Subscriptions with a consumer to wake once this read is parsed.
    to_wake: Vec<Arc<crate::sub::Subscription>>,
    /// The current run of messages for the subscription in `last`, not yet delivered.
    batch: Vec<Msg>,
    /// Messages and payload bytes of the current run (added to the statistics with it).
    msgs: u64,
    bytes: u64,
    /// Protocol was queued in the outgoing buffer (a PONG).
    queued: bool,
    /// The flush whose PONG the reading thread waits for, and whether it came.
    watch: Option<u64>,
    watched_done: bool,
    /// Not on the loop's thread (a flush reads): a PONG for the server's PING is written at
    /// once from this thread when nothing else waits to be written (as a flush's PING is),
    /// else left for the loop (`queued`).
    write_now: bool,
    /// With `write_now`: `appended` once the last PONG was queued (the flush waits until
    /// that much is written).
    pong_mark: u64,
}

impl Handler<'_> {
    /// Delivers the current run of messages (at the end of a read, when the next message is
    /// for another subscription, and before any other protocol event so that ordering
    /// holds: a flush's PONG comes after the messages that preceded it).
    fn end_run(&mut self) {
        // Statistics first: whoever sees a message delivered sees it counted.
        if self.msgs > 0 {
            use std::sync::atomic::Ordering::Relaxed;
            self.shared.incoming.msgs.fetch_add(self.msgs, Relaxed);
            self.shared.incoming.bytes.fetch_add(self.bytes, Relaxed);
            self.msgs = 0;
            self.bytes = 0;
        }
        if self.batch.is_empty() {
            return;
        }
        let Some((sid, sub)) = self.last.clone() else {
            self.batch.clear();
            return;
        };
        let out = sub.deliver_batch(&mut self.batch);
        if out.wake && !self.to_wake.iter().any(|s| Arc::ptr_eq(s, &sub)) {
            self.to_wake.push(Arc::clone(&sub));
        }
        if out.new_slow_episode {
            self.shared.post(Event::Error { sub: Some(Arc::clone(&sub)), status: natsStatus::NATS_SLOW_CONSUMER });
        }
        if out.last {
            self.shared.subs().remove(&sid);
            sub.close(natsStatus::NATS_MAX_DELIVERED_MSGS);
        }
    }
}

impl ProtoHandler for Handler<'_> {
    fn on_info(&mut self, json: &str) {
        self.end_run();
        let info = match parse_info(json) {
            Ok(i) => i,
            Err(e) => {
                self.fatal = Some(e);
                return;
            }
        };
        let added;
        {
            let mut st = self.shared.lock();
            let ldm = info.ldm;
            st.info = info;
            added = st.learn_servers(self.shared.opts.ignore_discovered_servers);
            if ldm {
                self.shared.post(Event::LameDuck);
            }
        }
        if added && self.shared.opts.callbacks.discovered_servers.is_some() {
            self.shared.post(Event::DiscoveredServers);
        }
    }

    fn on_msg(&mut self, m: MsgView<'_>) {
        self.msgs += 1;
        self.bytes += m.payload.len() as u64;
        if !matches!(&self.last, Some((sid, _)) if *sid == m.sid) {
            self.end_run();
            let Some(s) = self.shared.subs().get(&m.sid).cloned() else {
                self.last = None;
                return;
            };
            self.last = Some((m.sid, s));
        }
        let mut msg = Msg::new(m.subject, m.reply, m.payload);
        if let Some(h) = m.header {
            // A header block that does not parse is delivered without headers rather than
            // dropping the message.
            msg.set_headers(Headers::parse(h).ok());
        }
        self.batch.push(msg);
    }

    fn on_ping(&mut self) {
        self.end_run();
        let mut st = self.shared.lock();
        let fresh = st.out.is_empty();
        st.out.extend_from_slice(encoder::PONG);
        st.appended += encoder::PONG.len() as u64;
        if self.write_now {
            self.pong_mark = st.appended;
        }
        if !self.write_now || st.push_out(fresh, true) {
            self.queued = true;
        }
    }

    fn on_pong(&mut self) {
        self.end_run();
        // Only a flush that sleeps on the condition variable needs the wake-up (a system
        // call even when nobody waits).
        let released = {
            let mut st = self.shared.lock();
            st.pings_out = 0;
            let released = st.pongs.on_pong() && st.flush_sleepers > 0;
            if let Some(id) = self.watch {
                self.watched_done = st.pongs.is_done(id);
            }
            released
        };
        if released {
            self.shared.cond.notify_all();
        }
    }

    fn on_ok(&mut self) {}

    fn on_err(&mut self, text: &str) {
        self.end_run();
        let e = server_error(text);
        // Permission and authorization errors are reported and the connection stays up (the
        // server closes it if it wants to, which leads to a reconnect).
        if matches!(e.status, natsStatus::NATS_NOT_PERMITTED | natsStatus::NATS_CONNECTION_AUTH_FAILED) {
            self.shared.lock().set_error(&e);
            self.shared.post(Event::Error { sub: None, status: e.status });
        } else if self.fatal.is_none() {
            // A stale connection is reconnected; any other error closes the connection, with
            // the disconnected and closed callbacks and NATS_ERR plus the server's text as
            // the connection's last error (as nats.c).
            self.close = e.status != natsStatus::NATS_STALE_CONNECTION;
            self.fatal = Some(if self.close { Error::new(natsStatus::NATS_ERR, e.text) } else { e });
        }
    }
}
