//! The application's event loop as the driver of a connection (`natsOptions_SetEventLoop`).
//!
//! The loop's thread calls `natsConnection_ProcessReadEvent` / `ProcessWriteEvent` when the
//! socket is ready; those run the same `Loop` steps as our own thread does (read and parse,
//! write the outgoing buffer), under the `io` lock. What our thread would do besides
//! waiting for readiness is done by a small helper thread per connection: the timers
//! (keepalive PING, write deadline), which only queue a PING and ask for write interest,
//! and the reconnect handshake, which blocks and so must never run on the loop's thread.
//!
//! The adapter contract, as nats.c documents it: `attach` with the socket after the
//! connect and after every reconnect (the adapter then polls for reading), `read` / `write`
//! to switch polling on and off, `detach` once when the connection is closed. On top of
//! nats.c this guarantees what its adapters need to stay safe:
//! - a socket is closed only after polling on it was switched off, and for good only after
//!   `detach` has returned (after a reconnect, only after the new socket is attached, so
//!   that the new socket never reuses the number the adapter may still watch);
//! - `detach` is never called with a lock held that a concurrent read or write event waits
//!   for (libevent's `event_free` waits for a running callback);
//! - a read or write event that comes after Close or Destroy does nothing (the C boundary
//!   looks the handle up instead of dereferencing it).
#![forbid(unsafe_code)]

use std::io;
use std::os::fd::AsRawFd;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};

use crate::options::LoopAdapter;
use crate::status::{natsStatus, Error};

use super::super::handshake::Established;
use super::super::reconnect::reconnect_phase;
use super::super::shared::Shared;
use super::{Driver, Loop};

/// The helper thread looks at the timers at least this often (the write deadline is
/// checked on its turns).
const TICK: Duration = Duration::from_millis(500);
/// Longest single wait of a thread that drives the socket itself (`drive_step`): it looks
/// at the connection's state again after it.
const DRIVE_WAIT: Duration = Duration::from_millis(5);

/// The connection's `Loop` while the application's loop drives it.
struct Slot {
    lp: Option<Loop>,
    /// The socket works: read and write events are processed. False while reconnecting and
    /// once closed.
    live: bool,
}

/// What the adapter was asked to do, so that each call is made once.
#[derive(Default)]
struct Polling {
    /// The adapter's pointer (from attach).
    user: usize,
    /// An attach succeeded: detach is owed.
    attached: bool,
    /// The attached socket is polled (attach switches reading on).
    on: bool,
    write_on: bool,
    /// Detach was called, or the connection ended: nothing more is asked of the adapter.
    done: bool,
}

/// Work for the helper thread.
#[derive(Default)]
struct Ctl {
    /// The socket broke and the connection is RECONNECTING.
    reconnect: bool,
    /// The socket broke and the connection must close with this error.
    fatal: Option<Error>,
}

/// One connection's side of an application's event loop.
pub struct External {
    adapter: Arc<dyn LoopAdapter>,
    io: Mutex<Slot>,
    /// Taken only for a flag change and the adapter call that goes with it; the adapter's
    /// read and write calls do not wait for the loop (nats.c's contract), detach is called
    /// without it.
    polling: Mutex<Polling>,
    ctl: Mutex<Ctl>,
    ctl_cv: Condvar,
    /// The thread the application's loop runs on (the last one to process an event, or
    /// the one that connected): waits on it must drive the socket themselves.
    loop_thread: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A number for the calling thread (never 0).
fn thread_tag() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    thread_local! {
        static TAG: u64 = NEXT.fetch_add(1, Ordering::Relaxed);
    }
    TAG.with(|t| *t)
}

impl External {
    pub fn new(adapter: Arc<dyn LoopAdapter>) -> External {
        External {
            adapter,
            io: Mutex::new(Slot { lp: None, live: false }),
            polling: Mutex::new(Polling::default()),
            ctl: Mutex::new(Ctl::default()),
            ctl_cv: Condvar::new(),
            loop_thread: AtomicU64::new(0),
        }
    }

    fn note_loop_thread(&self) {
        self.loop_thread.store(thread_tag(), Ordering::Relaxed);
    }

    /// Whether the caller is the application's loop thread.
    pub fn on_loop_thread(&self) -> bool {
        self.loop_thread.load(Ordering::Relaxed) == thread_tag()
    }

    /// Asks the loop to poll for writing (output waits). Idempotent.
    pub fn want_write(&self) {
        let mut p = lock(&self.polling);
        if p.on && !p.write_on && !p.done {
            p.write_on = true;
            let _ = self.adapter.write(p.user, true);
        }
    }

    /// Output ran out: stop polling for writing, unless a publisher appended meanwhile
    /// (switched off first and the buffer looked at after, so that no append is missed:
    /// an append after the look asks for writing itself).
    fn drop_write(&self, shared: &Shared) {
        {
            let mut p = lock(&self.polling);
            if p.on && p.write_on && !p.done {
                p.write_on = false;
                let _ = self.adapter.write(p.user, false);
            }
        }
        let again = {
            let st = shared.lock();
            st.wake_pending || !st.out.is_empty()
        };
        if again {
            self.want_write();
        }
    }

    /// Attaches the socket `fd` (the connect, or a reconnect): no lock is held during the
    /// call, and polling is recorded as on only once it returned OK.
    fn attach(&self, shared: &Shared, fd: i32) -> Result<(), Error> {
        let mut user = {
            let p = lock(&self.polling);
            if p.done {
                return Err(Error::new(
                    natsStatus::NATS_CONNECTION_CLOSED,
                    "the connection is closed",
                ));
            }
            p.user
        };
        let status = self.adapter.attach(&mut user, shared.handle(), fd);
        if status != natsStatus::NATS_OK {
            return Err(Error::new(status, "the event loop refused to attach the connection"));
        }
        let mut p = lock(&self.polling);
        p.user = user;
        p.attached = true;
        p.on = !p.done;
        p.write_on = false;
        Ok(())
    }

    /// Wakes the helper thread (Close).
    pub fn kick(&self) {
        let _g = lock(&self.ctl);
        self.ctl_cv.notify_all();
    }

    /// The socket failed (`io` held): reconnect, or close when that is not allowed.
    fn fail(&self, shared: &Shared, slot: &mut Slot, e: Error) {
        if !slot.live {
            return;
        }
        slot.live = false;
        let Some(lp) = slot.lp.as_mut() else { return };
        let closing = shared.lock().closing;
        let mut ctl = lock(&self.ctl);
        if closing || !shared.opts.allow_reconnect {
            lp.driver.deregister(shared, &lp.sock);
            ctl.fatal = Some(e);
        } else {
            lp.begin_reconnect(e);
            ctl.reconnect = true;
        }
        self.ctl_cv.notify_all();
    }

    /// One turn of I/O from the calling thread, then a wait (without locks) of at most
    /// DRIVE_WAIT for the socket: used where waiting for the application's loop could wait
    /// forever (Close; a wait on the loop's own thread).
    pub fn drive_step(&self, shared: &Shared, until: Instant) {
        let now = Instant::now();
        if now >= until {
            return;
        }
        let wait = (until - now).min(DRIVE_WAIT);
        let ready = {
            let mut g = lock(&self.io);
            let slot = &mut *g;
            let live = slot.live;
            match slot.lp.as_mut() {
                Some(lp) if live => {
                    lp.read_ready = true;
                    lp.writable = true;
                    let r = lp.write_out().and_then(|_| lp.read_some()).and_then(|_| lp.write_out());
                    match r {
                        Ok(more) => Some((lp.sock.as_raw_fd(), more || !lp.writable)),
                        Err(e) => {
                            self.fail(shared, slot, e);
                            None
                        }
                    }
                }
                _ => None,
            }
        };
        match ready {
            Some((fd, output_left)) => wait_for_socket(fd, output_left, wait),
            None => {
                // Reconnecting or closed: wait for the state to change.
                let st = shared.lock();
                let _ = shared.cond.wait_timeout(st, wait);
            }
        }
    }

    /// Close: writes what is left (bounded by the connect timeout), then `teardown`.
    pub fn finish(&self, shared: &Shared) {
        let deadline = Instant::now() + Duration::from_millis(shared.opts.timeout_ms.max(1) as u64);
        loop {
            {
                let slot = lock(&self.io);
                let idle = match slot.lp.as_ref() {
                    Some(lp) if slot.live => lp.pos == lp.pending.len() && shared.lock().out.is_empty(),
                    _ => true,
                };
                if idle {
                    break;
                }
            }
            if Instant::now() >= deadline {
                break;
            }
            self.drive_step(shared, deadline);
        }
        self.teardown();
    }

    /// The end: polling off, detach (once, no lock held), then the socket closes.
    fn teardown(&self) {
        let lp = {
            let mut slot = lock(&self.io);
            slot.live = false;
            slot.lp.take()
        };
        let owed = {
            let mut p = lock(&self.polling);
            let owed = p.attached && !p.done;
            p.done = true;
            let calls = (p.user, p.on, p.write_on);
            p.on = false;
            p.write_on = false;
            owed.then_some(calls)
        };
        if let Some((user, on, write_on)) = owed {
            if write_on {
                let _ = self.adapter.write(user, false);
            }
            if on {
                let _ = self.adapter.read(user, false);
            }
            let _ = self.adapter.detach(user);
        }
        if let Some(mut lp) = lp {
            lp.transport.close(&mut &*lp.sock);
            let _ = lp.sock.shutdown(std::net::Shutdown::Both);
        }
    }

    /// After the helper thread found a server again: the new socket replaces the old one,
    /// the loop attaches it, then subscriptions and buffered publishes are queued and the
    /// (re)connected callback is posted. False when the connection closed instead.
    fn reconnected(&self, shared: &Arc<Shared>, est: Established, first: bool) -> bool {
        let installed = {
            let mut slot = lock(&self.io);
            let old = slot.lp.as_ref().map(|lp| Arc::clone(&lp.sock));
            let r = match slot.lp.as_mut() {
                Some(lp) => lp.install(est),
                None => Loop::new(Arc::clone(shared), Driver::External, est).map(|lp| slot.lp = Some(lp)),
            };
            match (r, slot.lp.as_ref()) {
                (Ok(()), Some(lp)) => Ok((lp.sock.as_raw_fd(), old)),
                (Err(e), _) => Err(e.to_string()),
                (Ok(()), None) => Err("no socket".to_string()),
            }
        };
        let (fd, old) = match installed {
            Ok(v) => v,
            Err(e) => {
                shared.finish_close(Some(Error::new(natsStatus::NATS_SYS_ERROR, format!("cannot use the new socket: {e}"))));
                self.teardown();
                return false;
            }
        };
        if let Err(e) = self.attach(shared, fd) {
            shared.finish_close(Some(e));
            self.teardown();
            return false;
        }
        // The old socket closes only now: the new one cannot have taken its number while
        // the adapter may still have been watching it.
        drop(old);
        {
            let mut g = lock(&self.io);
            let slot = &mut *g;
            if let Some(lp) = slot.lp.as_mut() {
                let leftover = std::mem::take(&mut lp.leftover);
                lp.after_connect(first);
                let parsed = if leftover.is_empty() { Ok(()) } else { lp.on_bytes(&leftover) };
                slot.live = true;
                if let Err(e) = parsed {
                    self.fail(shared, slot, e);
                }
            }
        }
        self.want_write();
        true
    }

    /// Runs the timers (`io` taken briefly); returns when to look again.
    fn tick(&self, shared: &Shared) -> Instant {
        let now = Instant::now();
        let mut next = now + TICK;
        let mut queued = false;
        {
            let mut g = lock(&self.io);
            let slot = &mut *g;
            if slot.live {
                if let Some(lp) = slot.lp.as_mut() {
                    match lp.timers() {
                        Ok(()) => {
                            next = next.min(lp.next_deadline());
                            queued = !shared.lock().out.is_empty();
                        }
                        Err(e) => self.fail(shared, slot, e),
                    }
                }
            }
        }
        if queued {
            self.want_write();
        }
        next
    }
}

/// Waits up to `wait` for `fd` to be readable (or writable, when output is left), with a
/// poll of its own: the application's loop may watch the same socket.
fn wait_for_socket(fd: i32, output_left: bool, wait: Duration) {
    let Ok(mut poll) = Poll::new() else {
        std::thread::sleep(wait);
        return;
    };
    let interest = if output_left {
        Interest::READABLE | Interest::WRITABLE
    } else {
        Interest::READABLE
    };
    if poll
        .registry()
        .register(&mut SourceFd(&fd), Token(0), interest)
        .is_err()
    {
        std::thread::sleep(wait);
        return;
    }
    let mut events = Events::with_capacity(2);
    let _ = poll.poll(&mut events, Some(wait));
}

/// Starts a connection on the application's loop: attaches the socket established by
/// Connect (on the calling thread, as nats.c does), then starts the helper thread. Without
/// a socket (RetryOnFailedConnect), the helper connects in the background first.
pub(super) fn start(shared: &Arc<Shared>, x: &Arc<External>, est: Option<Established>) -> io::Result<()> {
    let reconnect_first = match est {
        Some(est) => {
            let mut lp = Loop::new(Arc::clone(shared), Driver::External, est)?;
            let leftover = std::mem::take(&mut lp.leftover);
            if !leftover.is_empty() {
                lp.on_bytes(&leftover)
                    .map_err(|e| io::Error::other(e.text))?;
            }
            let fd = lp.sock.as_raw_fd();
            {
                let mut slot = lock(&x.io);
                slot.lp = Some(lp);
                slot.live = true;
            }
            x.note_loop_thread();
            if let Err(e) = x.attach(shared, fd) {
                let mut slot = lock(&x.io);
                slot.live = false;
                slot.lp = None;
                return Err(io::Error::other(format!("{} ({})", e.text, e.status.text())));
            }
            x.want_write();
            false
        }
        None => true,
    };
    let s = Arc::clone(shared);
    let xx = Arc::clone(x);
    let h = std::thread::Builder::new()
        .name("nats-evloop".into())
        .spawn(move || helper_main(s, xx, reconnect_first))?;
    *shared.loop_thread.lock().unwrap_or_else(|p| p.into_inner()) = Some(h);
    Ok(())
}

/// The helper thread: timers, and reconnecting when the socket broke.
fn helper_main(shared: Arc<Shared>, x: Arc<External>, connect_first: bool) {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let mut reconnect = connect_first.then_some(true);
        loop {
            if let Some(first) = reconnect.take() {
                match reconnect_phase(&shared) {
                    Ok((est, _url)) => {
                        if !x.reconnected(&shared, est, first) {
                            return;
                        }
                    }
                    Err(None) => return,
                    Err(Some(e)) => {
                        shared.finish_close(Some(e));
                        x.teardown();
                        return;
                    }
                }
                continue;
            }
            let until = x.tick(&shared);
            let mut ctl = lock(&x.ctl);
            loop {
                if let Some(e) = ctl.fatal.take() {
                    drop(ctl);
                    shared.finish_close(Some(e));
                    x.teardown();
                    return;
                }
                if shared.close_requested.load(Ordering::Acquire) {
                    return;
                }
                if std::mem::take(&mut ctl.reconnect) {
                    reconnect = Some(false);
                    break;
                }
                let now = Instant::now();
                if now >= until {
                    break;
                }
                ctl = x
                    .ctl_cv
                    .wait_timeout(ctl, until - now)
                    .unwrap_or_else(|p| p.into_inner())
                    .0;
            }
        }
    }));
    if outcome.is_err() {
        shared.finish_close(Some(Error::new(
            natsStatus::NATS_ERR,
            "internal error in the event loop helper",
        )));
        x.teardown();
    }
}

/// Driver::External's deregister: the socket broke, stop polling it.
pub(super) fn stop_polling(shared: &Shared) {
    let Some(x) = &shared.external else { return };
    let mut p = lock(&x.polling);
    if !p.on || p.done {
        return;
    }
    p.on = false;
    if p.write_on {
        p.write_on = false;
        let _ = x.adapter.write(p.user, false);
    }
    let _ = x.adapter.read(p.user, false);
}

/// `natsConnection_ProcessReadEvent`: reads and parses what arrived, then writes what that
/// queued (PONGs) and what waits.
pub(crate) fn process_read(shared: &Shared) {
    let Some(x) = &shared.external else { return };
    x.note_loop_thread();
    let left = {
        let mut g = lock(&x.io);
        let slot = &mut *g;
        let live = slot.live;
        match slot.lp.as_mut() {
            Some(lp) if live => {
                lp.read_ready = true;
                match lp.read_some().and_then(|_| lp.write_out()) {
                    Ok(more) => more || !lp.writable,
                    Err(e) => {
                        x.fail(shared, slot, e);
                        false
                    }
                }
            }
            _ => false,
        }
    };
    if left {
        x.want_write();
    }
}

/// `natsConnection_ProcessWriteEvent`: writes what waits; once nothing does, polling for
/// writing stops.
pub(crate) fn process_write(shared: &Shared) {
    let Some(x) = &shared.external else { return };
    x.note_loop_thread();
    let idle = {
        let mut g = lock(&x.io);
        let slot = &mut *g;
        let live = slot.live;
        match slot.lp.as_mut() {
            Some(lp) if live => {
                lp.writable = true;
                match lp.write_out() {
                    Ok(more) => !more && lp.writable,
                    Err(e) => {
                        x.fail(shared, slot, e);
                        false
                    }
                }
            }
            _ => false,
        }
    };
    if idle {
        x.drop_write(shared);
    }
}
