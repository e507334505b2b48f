//! The reading half of a connection: the parser and its buffers, behind one lock.
//!
//! The event loop reads with it, and so may a flush waiting for its PONG
//! ([`read_for_pong`]): the flushing thread then wakes straight from the socket rather than
//! from the loop, one thread hand-off less per round trip. While a flush has the socket
//! (`Shared::read_lent`), the loop leaves reading to it and only notes that the socket was
//! readable (`Shared::read_missed`); the flush reads what is left before it hands the socket back, so that no
//! readiness edge is lost. What the flush's reading finds that ends the connection (the
//! server's end of stream, a protocol error) it leaves in `failure` for the loop to act on.
#![forbid(unsafe_code)]

use std::io::{self, Read};
use std::os::fd::AsRawFd;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::Instant;

use mio::net::TcpStream;
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};

use crate::msg::Msg;
use crate::proto::parser::{Parser, ProtoError};
use crate::status::{natsStatus, Error};

use super::{Handler, READ_BUDGET};
use crate::conn::shared::Shared;

/// See the module documentation.
pub struct ReadSide {
    parser: Parser,
    pub(super) rbuf: Vec<u8>,
    /// Messages of one read for one subscription, delivered together (kept for its capacity).
    batch: Vec<Msg>,
    /// The socket a flush may read: set by the loop once it parsed what the handshake read
    /// past, cleared when the socket breaks. Never set with TLS or an application's loop.
    pub(super) sock: Option<Arc<TcpStream>>,
    /// Found by a flush's reading: the error that ends the connection, and whether it
    /// closes it for good (see `Loop::server_closed`).
    pub(super) failure: Option<(Error, bool)>,
    /// The flushing thread's own poller, taken out while in use.
    poller: Option<FlushPoller>,
}

/// What one parse asks of whoever reads.
pub(super) struct Parsed {
    /// Protocol was queued in the outgoing buffer (a PONG for the server's PING).
    pub queued: bool,
    pub fatal: Option<(Error, bool)>,
    /// The PONG of the watched flush came.
    pub watched_done: bool,
    /// See `Handler::pong_mark`.
    pub pong_mark: u64,
}

impl ReadSide {
    pub fn new() -> ReadSide {
        ReadSide {
            parser: Parser::new(),
            rbuf: Vec::new(),
            batch: Vec::new(),
            sock: None,
            failure: None,
            poller: None,
        }
    }

    pub(super) fn size_buffer(&mut self, n: usize) {
        if self.rbuf.len() < n {
            self.rbuf.resize(n, 0);
        }
    }

    /// A fresh parser for a new socket, with the payload limit of its server.
    pub(super) fn reset_parser(&mut self, max_payload: i64) {
        let max_payload = usize::try_from(max_payload).unwrap_or(0).max(1024 * 1024);
        self.parser = Parser::new();
        self.parser.set_max_payload(max_payload + 64 * 1024);
    }

    /// Parses `data` and applies it to the connection.
    pub(super) fn parse(&mut self, shared: &Shared, data: &[u8], watch: Option<u64>) -> Parsed {
        apply(&mut self.parser, &mut self.batch, shared, data, watch, false)
    }

    /// Parses the first `n` bytes of the read buffer.
    /// `write_now`: see `Handler::write_now`.
    pub(super) fn parse_read(&mut self, shared: &Shared, n: usize, watch: Option<u64>, write_now: bool) -> Parsed {
        let ReadSide {
            parser,
            rbuf,
            batch,
            ..
        } = self;
        apply(parser, batch, shared, &rbuf[..n], watch, write_now)
    }

    /// Reads on the flushing thread: until `WouldBlock`, a short read (all the socket held,
    /// unless `to_end`), the watched PONG, or the budget. A failure is left in `failure`.
    fn read_now(
        &mut self,
        shared: &Shared,
        sock: &TcpStream,
        watch: Option<u64>,
        to_end: bool,
    ) -> Took {
        let mut took = Took::default();
        for _ in 0..READ_BUDGET {
            match (&*sock).read(&mut self.rbuf) {
                Ok(0) => {
                    self.failure = Some((
                        Error::new(
                            natsStatus::NATS_CONNECTION_CLOSED,
                            "the server closed the connection",
                        ),
                        false,
                    ));
                    return took;
                }
                Ok(n) => {
                    let p = self.parse_read(shared, n, watch, true);
                    took.queued |= p.queued;
                    took.done |= p.watched_done;
                    took.pong_mark = took.pong_mark.max(p.pong_mark);
                    if let Some(f) = p.fatal {
                        self.failure = Some(f);
                        return took;
                    }
                    let short = n < self.rbuf.len();
                    if short && !to_end {
                        return took;
                    }
                    if took.done && !short {
                        // More may wait, and no new edge announces it: the loop reads it.
                        took.more = true;
                        return took;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return took,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.failure = Some((
                        Error::new(natsStatus::NATS_IO_ERROR, format!("read error: {e}")),
                        false,
                    ));
                    return took;
                }
            }
        }
        took.more = true;
        took
    }

    fn holds(&self, sock: &Arc<TcpStream>) -> bool {
        self.sock.as_ref().is_some_and(|s| Arc::ptr_eq(s, sock))
    }
}

#[derive(Default)]
struct Took {
    done: bool,
    queued: bool,
    /// Stopped with bytes possibly left in the socket.
    more: bool,
    /// See `Handler::pong_mark`.
    pong_mark: u64,
}

/// Parses `data` with `parser` and applies it: messages to their subscriptions, PONGs to the
/// flush queue, and so on (see `Handler`).
fn apply(
    parser: &mut Parser,
    batch: &mut Vec<Msg>,
    shared: &Shared,
    data: &[u8],
    watch: Option<u64>,
    write_now: bool,
) -> Parsed {
    let mut h = Handler {
        shared,
        fatal: None,
        close: false,
        last: None,
        to_wake: Vec::new(),
        batch: std::mem::take(batch),
        msgs: 0,
        bytes: 0,
        queued: false,
        watch,
        watched_done: false,
        write_now,
        pong_mark: 0,
    };
    let r = parser.parse(data, &mut h);
    h.end_run();
    *batch = std::mem::take(&mut h.batch);
    for sub in h.to_wake.drain(..) {
        sub.wake_waiters();
    }
    let fatal = match (h.fatal.take(), r) {
        (Some(e), _) => Some((e, h.close)),
        (None, Ok(())) => None,
        (None, Err(ProtoError::LineTooLong)) => Some((
            Error::new(
                natsStatus::NATS_PROTOCOL_ERROR,
                "protocol error: control line too long",
            ),
            false,
        )),
        (None, Err(ProtoError::Malformed(t))) => Some((
            Error::new(
                natsStatus::NATS_PROTOCOL_ERROR,
                format!("protocol error: {t}"),
            ),
            false,
        )),
    };
    Parsed {
        queued: h.queued,
        fatal,
        watched_done: h.watched_done,
        pong_mark: h.pong_mark,
    }
}

/// A poller of its own for the flushing thread, watching the socket for reading (the loop's
/// poller belongs to the loop's thread). Kept for the connection's life.
struct FlushPoller {
    poll: Poll,
    events: Events,
    /// The socket registered, without keeping it open.
    watched: Weak<TcpStream>,
}

impl FlushPoller {
    fn new() -> io::Result<FlushPoller> {
        Ok(FlushPoller {
            poll: Poll::new()?,
            events: Events::with_capacity(4),
            watched: Weak::new(),
        })
    }

    /// Watches `sock` (after a reconnect: instead of the old one).
    fn watch(&mut self, sock: &Arc<TcpStream>) -> io::Result<()> {
        if std::ptr::eq(self.watched.as_ptr(), Arc::as_ptr(sock)) {
            return Ok(());
        }
        // A socket that is gone was closed, which ended its registration.
        if let Some(old) = self.watched.upgrade() {
            let _ = self
                .poll
                .registry()
                .deregister(&mut SourceFd(&old.as_raw_fd()));
        }
        self.watched = Weak::new();
        self.poll.registry().register(
            &mut SourceFd(&sock.as_raw_fd()),
            Token(0),
            Interest::READABLE,
        )?;
        self.watched = Arc::downgrade(sock);
        Ok(())
    }
}

/// A flush whose PING is on its way reads the socket itself until its PONG `id` comes, so
/// that the PONG wakes this thread directly. Returns when the flush has its result, at
/// `deadline`, or when the loop must carry on (the socket broke or was replaced, the
/// connection ends); also at once when the socket cannot be lent (TLS, an application's
/// event loop, another flush reading). The caller then waits for the result as before.
/// Returns, when this thread queued a PONG for the server's PING that the loop is to write,
/// `State::appended` just past it (else 0): the flush waits until it is written.
pub(crate) fn read_for_pong(shared: &Shared, id: u64, deadline: Instant) -> u64 {
    let (sock, mut poller) = {
        let mut rs = shared.read_side();
        if shared.read_lent.load(Ordering::SeqCst) || rs.failure.is_some() {
            return 0;
        }
        let Some(sock) = rs.sock.clone() else { return 0 };
        let poller = match rs.poller.take() {
            Some(p) => p,
            None => match FlushPoller::new() {
                Ok(p) => p,
                Err(_) => return 0,
            },
        };
        // (A mark left from an earlier lending, where the loop then read after all.)
        shared.read_missed.store(false, Ordering::SeqCst);
        shared.read_lent.store(true, Ordering::SeqCst);
        (sock, poller)
    };
    let mut took = Took::default();
    // The loop may have read the PONG before the socket was lent.
    if !shared.lock().pongs.is_done(id) && poller.watch(&sock).is_ok() {
        took = read_until_pong(shared, &sock, &mut poller, id, deadline);
    }
    // Hand the socket back, reading first what the loop left to this thread.
    let mut rs = shared.read_side();
    rs.poller = Some(poller);
    shared.read_lent.store(false, Ordering::SeqCst);
    let missed = shared.read_missed.swap(false, Ordering::SeqCst);
    if missed && !took.more && rs.failure.is_none() && rs.holds(&sock) {
        let t = rs.read_now(shared, &sock, None, true);
        took.queued |= t.queued;
        took.more = t.more;
        took.pong_mark = took.pong_mark.max(t.pong_mark);
    } else {
        took.more |= missed;
    }
    let loop_reads = took.more || rs.failure.is_some();
    drop(rs);
    if loop_reads {
        shared.read_wanted.store(true, Ordering::Release);
    }
    if loop_reads || took.queued {
        shared.wake();
    }
    took.pong_mark
}

fn read_until_pong(
    shared: &Shared,
    sock: &Arc<TcpStream>,
    poller: &mut FlushPoller,
    id: u64,
    deadline: Instant,
) -> Took {
    let mut took = Took::default();
    loop {
        if !took.more {
            let now = Instant::now();
            if now >= deadline {
                return took;
            }
            match poller.poll.poll(&mut poller.events, Some(deadline - now)) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => return took,
            }
            if poller.events.is_empty() {
                continue;
            }
        }
        let hup = poller
            .events
            .iter()
            .any(|e| e.is_read_closed() || e.is_error());
        let mut rs = shared.read_side();
        if !rs.holds(sock) {
            return took;
        }
        let t = rs.read_now(shared, sock, Some(id), hup);
        took.queued |= t.queued;
        took.more = t.more;
        took.pong_mark = took.pong_mark.max(t.pong_mark);
        if t.done || rs.failure.is_some() {
            took.done = t.done;
            return took;
        }
    }
}
