//! State shared between the caller threads, the event loop and the callback thread.
#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::ffi::CString;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, TryLockError, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::options::Options;
use crate::proto::info::ServerInfo;
use crate::proto::url::ServerUrl;
use crate::status::{natsConnStatus, natsStatus, Error};
use crate::sub::Subscription;

use super::callbacks::Event;
use super::pongs::PongQueue;

/// The outgoing buffer is bounded: a publisher that finds it this full waits for the event
/// loop to take it (memory stays bounded whatever the publish rate). The loop writes one
/// buffer while publishers fill the other, so a flood keeps two of these resident; 256 KiB
/// per write is far past where larger writes stop paying (2 MiB measured alike in rate and
/// cost 3.4 MiB more peak RSS).
pub const OUT_BUFFER_LIMIT: usize = 256 * 1024;

/// See [`State::quiet`].
const PUBLISH_DIRECT_GAP: Duration = Duration::from_micros(20);
/// Yields before sleeping on a taken lock (`lock_yielding`): for 4 publishing threads, 2 to 8
/// measured alike, 0 and 32 worse.
const LOCK_YIELDS: usize = 4;

/// What is guarded by the connection lock. Held only for short, non-blocking sections.
pub struct State {
    pub status: natsConnStatus,
    /// Close has been requested; the loop must finish and exit.
    pub closing: bool,
    /// Encoded protocol waiting for the event loop (the outgoing buffer).
    pub out: Vec<u8>,
    /// The length part of the last PUB line (see `encoder::LenLine`).
    pub pub_lens: crate::proto::encoder::LenLine,
    /// The loop will look at `out` again without being woken.
    pub wake_pending: bool,
    /// Bytes taken by the loop and not yet written.
    pub in_flight: usize,
    /// Total bytes appended to `out` / written to the socket (for SendAsap).
    pub appended: u64,
    pub written: u64,
    pub space_waiters: usize,
    pub asap_waiters: usize,
    /// Flushes sleeping on the condition variable for their PONG.
    pub flush_sleepers: usize,
    pub pongs: PongQueue,
    /// Keepalive PINGs without a PONG.
    pub pings_out: i32,
    pub info: ServerInfo,
    pub url: Option<ServerUrl>,
    pub local: Option<SocketAddr>,
    /// Configured servers followed by discovered ones.
    pub pool: Vec<super::reconnect::PoolEntry>,
    pub reconnects: u64,
    pub last_error: Option<(natsStatus, CString)>,
    pub out_msgs: u64,
    pub out_bytes: u64,
    /// Connection drain in progress: no new subscriptions.
    pub draining: bool,
    /// The socket, for callers to write to directly while the event loop has nothing in
    /// flight (clear-text connections only; `None` otherwise).
    pub direct: Option<Arc<mio::net::TcpStream>>,
    /// Since when nothing has been written or waits to be: set when the event loop runs out
    /// of output, and when a caller's direct write leaves nothing behind.
    pub idle_since: Option<Instant>,
}

impl State {
    pub fn set_error(&mut self, e: &Error) {
        let text = CString::new(e.text.replace('\0', " ")).unwrap_or_default();
        self.last_error = Some((e.status, text));
    }

    /// After appending to `out` (which was empty before when `fresh`): when the event loop
    /// has nothing in flight, write straight to the socket from this thread — a lone
    /// publish or flush PING then costs no thread hand-off. Returns true when the loop must
    /// be woken to write what is left.
    ///
    /// Latency-bound operations (flush, request) always may; a plain publish only when the
    /// connection was quiet (see `quiet`), so that a flood never costs a syscall per message.
    #[inline(always)]
    pub fn push_out(&mut self, fresh: bool, direct_ok: bool) -> bool {
        // During a flood the loop is already going to look: the common case, kept inline.
        !self.wake_pending && self.hand_over(fresh, direct_ok)
    }

    /// `push_out` when the loop is not going to look at `out` on its own.
    fn hand_over(&mut self, fresh: bool, direct_ok: bool) -> bool {
        if fresh && self.is_connected() && self.direct.is_some() && (direct_ok || self.quiet()) {
            if let Some(sock) = self.direct.clone() {
                use std::io::Write;
                // With `wake_pending` false the loop holds no unwritten bytes and cannot start
                // writing without this lock, so bytes cannot interleave.
                // An error here is left for the loop to find on its own write or read.
                if let Ok(n) = (&*sock).write(&self.out) {
                    self.written += n as u64;
                    if n == self.out.len() {
                        self.out.clear();
                        self.idle_since = Some(Instant::now());
                        return false;
                    }
                    self.out.drain(..n);
                }
            }
        }
        self.wake_pending = true;
        true
    }

    /// Nothing written or buffered for PUBLISH_DIRECT_GAP: a publish may then write from its
    /// own thread too, so a lone publish or a reply sent from a handler skips the hop to the
    /// event loop. A flood never looks quiet: its next publish follows the loop's last write
    /// by far less than the gap.
    fn quiet(&self) -> bool {
        self.idle_since.is_some_and(|t| t.elapsed() >= PUBLISH_DIRECT_GAP)
    }

    /// Adds the servers the current INFO announces (connect_urls) to the pool, unless told to
    /// ignore them. True when one was new.
    pub fn learn_servers(&mut self, ignore: bool) -> bool {
        if ignore {
            return false;
        }
        let State { pool, info, .. } = self;
        let mut added = false;
        for u in &info.connect_urls {
            if let Ok(d) = crate::proto::url::parse_url(u) {
                added |= super::reconnect::add_discovered(pool, d);
            }
        }
        added
    }

    /// Connected, possibly draining.
    pub fn is_connected(&self) -> bool {
        matches!(
            self.status,
            natsConnStatus::NATS_CONN_STATUS_CONNECTED
                | natsConnStatus::NATS_CONN_STATUS_DRAINING_SUBS
                | natsConnStatus::NATS_CONN_STATUS_DRAINING_PUBS
        )
    }

    pub fn is_closed(&self) -> bool {
        self.status == natsConnStatus::NATS_CONN_STATUS_CLOSED || self.closing
    }
}

/// Counters updated by the event loop without taking the connection lock.
#[derive(Default)]
pub struct InCounters {
    pub msgs: AtomicU64,
    pub bytes: AtomicU64,
}

/// Takes `m`, yielding the CPU up to LOCK_YIELDS times while another thread holds it before
/// sleeping on it: on a machine with fewer CPUs than busy threads the holder is often waiting
/// for a CPU, and a sleep/wake pair costs two system calls where a yield lets it finish.
/// Used where it measured better: between publishing threads (`Shared::lock_for_publish`),
/// and by a subscription's consumer against the event loop. Not for a publisher against the
/// event loop: there the holder runs on the other CPU, and a yield can hand this thread's CPU
/// to another process for a whole time slice.
pub fn lock_yielding<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    for _ in 0..LOCK_YIELDS {
        match m.try_lock() {
            Ok(g) => return g,
            Err(TryLockError::Poisoned(p)) => return p.into_inner(),
            Err(TryLockError::WouldBlock) => std::thread::yield_now(),
        }
    }
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Everything one connection shares between its threads.
pub struct Shared {
    pub opts: Options,
    pub state: Mutex<State>,
    /// Whether the current (or last) holder of `state` took it to publish.
    publisher_holds: AtomicBool,
    /// Signalled when a flush ends, buffer space frees up, bytes are written or the status
    /// changes.
    pub cond: Condvar,
    pub waker: OnceLock<mio::Waker>,
    /// Set by `wake`: the event loop must look at the outgoing buffer (see `Loop::out_idle`).
    pub out_wanted: AtomicBool,
    /// The reading half of the connection (parser and buffers), shared by the event loop and
    /// a flush that reads its own PONG (`event_loop::read_side`).
    pub read_side: Mutex<super::event_loop::ReadSide>,
    /// A flush that read the socket left something for the event loop to read or act on.
    pub read_wanted: AtomicBool,
    /// A flushing thread reads the socket (set and cleared under `read_side`; read without
    /// it, so that the loop never sleeps on that lock while the flush reads).
    pub read_lent: AtomicBool,
    /// The loop found the socket readable while it was lent.
    pub read_missed: AtomicBool,
    /// Set when the application's event loop drives the socket (natsOptions_SetEventLoop).
    pub external: Option<Arc<super::event_loop::external::External>>,
    pub subs: Mutex<HashMap<u64, Arc<Subscription>>>,
    pub next_sid: AtomicU64,
    /// The C handle of this connection, passed to callbacks.
    pub handle: AtomicUsize,
    /// Set by Destroy: no callback may run from then on.
    pub destroyed: AtomicBool,
    /// Set with `State::closing`, so that the event loop can look for a close on every turn
    /// without taking the connection lock from a publisher.
    pub close_requested: AtomicBool,
    /// Callbacks are not run while set (a Connect that waits for its own retries reports
    /// the outcome itself).
    pub quiet: AtomicBool,
    pub incoming: InCounters,
    pub events: Mutex<Option<Sender<Event>>>,
    pub loop_thread: Mutex<Option<JoinHandle<()>>>,
    pub cb_thread: Mutex<Option<JoinHandle<()>>>,
    /// Every async subscription ever made (Destroy waits for their handlers).
    pub async_subs: Mutex<Vec<Weak<Subscription>>>,
    /// The request/reply inbox, created on the first request.
    pub resp_mux: Mutex<Option<Arc<super::request::RespMux>>>,
}

impl Shared {
    pub fn new(opts: Options) -> Shared {
        Shared {
            external: opts.event_loop.as_ref().map(|l| Arc::new(super::event_loop::external::External::new(Arc::clone(&l.0)))),
            opts,
            state: Mutex::new(State {
                status: natsConnStatus::NATS_CONN_STATUS_DISCONNECTED,
                closing: false,
                out: Vec::with_capacity(32 * 1024),
                pub_lens: Default::default(),
                wake_pending: false,
                in_flight: 0,
                appended: 0,
                written: 0,
                space_waiters: 0,
                asap_waiters: 0,
                flush_sleepers: 0,
                pongs: PongQueue::new(),
                pings_out: 0,
                info: ServerInfo::default(),
                url: None,
                local: None,
                pool: Vec::new(),
                reconnects: 0,
                last_error: None,
                out_msgs: 0,
                out_bytes: 0,
                draining: false,
                direct: None,
                idle_since: None,
            }),
            publisher_holds: AtomicBool::new(false),
            cond: Condvar::new(),
            waker: OnceLock::new(),
            out_wanted: AtomicBool::new(false),
            read_side: Mutex::new(super::event_loop::ReadSide::new()),
            read_wanted: AtomicBool::new(false),
            read_lent: AtomicBool::new(false),
            read_missed: AtomicBool::new(false),
            subs: Mutex::new(HashMap::new()),
            next_sid: AtomicU64::new(1),
            handle: AtomicUsize::new(0),
            destroyed: AtomicBool::new(false),
            close_requested: AtomicBool::new(false),
            quiet: AtomicBool::new(false),
            incoming: InCounters::default(),
            events: Mutex::new(None),
            loop_thread: Mutex::new(None),
            cb_thread: Mutex::new(None),
            async_subs: Mutex::new(Vec::new()),
            resp_mux: Mutex::new(None),
        }
    }

    /// Sets `State::closing` (under the lock, `st`) and its lock-free mirror for the event
    /// loop.
    pub fn mark_closing(&self, st: &mut State) {
        st.closing = true;
        self.close_requested.store(true, Ordering::Release);
    }

    /// The connection lock.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        let g = self.state.lock().unwrap_or_else(|p| p.into_inner());
        self.publisher_holds.store(false, Ordering::Relaxed);
        g
    }

    /// The connection lock, for a publish. When another publishing thread holds it, this one
    /// yields its CPU before it sleeps (`lock_yielding`): with 4 publishing threads on 2
    /// CPUs that halved the CPU per message (bench `pub4`). When the event loop holds it, the
    /// plain lock's short spin is right: the loop is running and lets go at once, and a yield
    /// there cost a lone publisher a third of its rate into the sink.
    #[inline]
    pub fn lock_for_publish(&self) -> MutexGuard<'_, State> {
        let g = match self.state.try_lock() {
            Ok(g) => g,
            Err(TryLockError::Poisoned(p)) => p.into_inner(),
            Err(TryLockError::WouldBlock) if self.publisher_holds.load(Ordering::Relaxed) => lock_yielding(&self.state),
            Err(TryLockError::WouldBlock) => self.state.lock().unwrap_or_else(|p| p.into_inner()),
        };
        self.publisher_holds.store(true, Ordering::Relaxed);
        g
    }

    /// The reading half's lock. Order: taken before `state` and `subs`, never while holding
    /// them.
    pub fn read_side(&self) -> MutexGuard<'_, super::event_loop::ReadSide> {
        self.read_side.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn subs(&self) -> MutexGuard<'_, HashMap<u64, Arc<Subscription>>> {
        self.subs.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Wakes the event loop (after `wake_pending` was set under the lock); with an
    /// application's event loop, asks it to poll for writing.
    pub fn wake(&self) {
        self.out_wanted.store(true, Ordering::Release);
        if let Some(w) = self.waker.get() {
            let _ = w.wake();
        } else if let Some(x) = &self.external {
            x.want_write();
        }
    }

    /// Queues an event for the callback thread (dropped when there is no such thread).
    pub fn post(&self, ev: Event) {
        if let Some(tx) = self.events.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            let _ = tx.send(ev);
        }
    }

    /// Moves the connection to CLOSED once (whoever comes first: the loop on a fatal error,
    /// or Close). Ends every flush waiter, closes every subscription and posts the
    /// disconnected (when it was connected) and closed events.
    pub fn finish_close(&self, error: Option<Error>) {
        let was_connected;
        {
            let mut st = self.lock();
            if st.status == natsConnStatus::NATS_CONN_STATUS_CLOSED {
                return;
            }
            was_connected = st.is_connected();
            st.status = natsConnStatus::NATS_CONN_STATUS_CLOSED;
            self.mark_closing(&mut st);
            if let Some(e) = &error {
                st.set_error(e);
            }
            st.pongs.fail_all(natsStatus::NATS_CONNECTION_CLOSED);
            st.direct = None;
            st.out.clear();
            st.in_flight = 0;
        }
        self.cond.notify_all();
        let subs: Vec<Arc<Subscription>> = self.subs().drain().map(|(_, s)| s).collect();
        for s in subs {
            s.close(natsStatus::NATS_CONNECTION_CLOSED);
        }
        if let Some(m) = self.resp_mux.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            m.fail_all(natsStatus::NATS_CONNECTION_CLOSED);
        }
        if was_connected {
            self.post(Event::Disconnected);
        }
        self.post(Event::Closed);
        // The callback thread ends after the closed event: drop our sender.
        self.events.lock().unwrap_or_else(|p| p.into_inner()).take();
    }

    pub fn handle(&self) -> usize {
        self.handle.load(Ordering::Acquire)
    }
}
