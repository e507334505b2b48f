//! The callback thread: connection events reach user code here, in order, never on the
//! event-loop thread.
#![forbid(unsafe_code)]

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::Ordering;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Arc;

use crate::status::natsStatus;
use crate::sub::Subscription;

use super::shared::Shared;

/// An asynchronous event for the user's callbacks.
pub enum Event {
    Disconnected,
    Reconnected,
    Connected,
    LameDuck,
    Closed,
    DiscoveredServers,
    Error { sub: Option<Arc<Subscription>>, status: natsStatus },
    /// Asks the custom reconnect delay callback (`attempts` so far); the answer goes back to
    /// the reconnecting event loop through `reply`.
    ReconnectDelay { attempts: i32, reply: Sender<i64> },
}

/// Starts the callback thread of a connection.
pub fn start(shared: &Arc<Shared>) -> std::io::Result<()> {
    let (tx, rx) = channel();
    *shared.events.lock().unwrap_or_else(|p| p.into_inner()) = Some(tx);
    let s = Arc::clone(shared);
    let h = std::thread::Builder::new().name("nats-callbacks".into()).spawn(move || run(s, rx))?;
    *shared.cb_thread.lock().unwrap_or_else(|p| p.into_inner()) = Some(h);
    Ok(())
}

fn run(shared: Arc<Shared>, rx: Receiver<Event>) {
    while let Ok(ev) = rx.recv() {
        let closed = matches!(ev, Event::Closed);
        // The reconnect delay is asked even while a Connect waits for its own retries.
        let quiet = shared.quiet.load(Ordering::Acquire) && !matches!(ev, Event::ReconnectDelay { .. });
        if !shared.destroyed.load(Ordering::Acquire) && !quiet {
            let _ = catch_unwind(AssertUnwindSafe(|| dispatch(&shared, ev)));
        }
        if closed {
            break;
        }
    }
}

fn dispatch(shared: &Shared, ev: Event) {
    let cbs = &shared.opts.callbacks;
    let h = shared.handle();
    match ev {
        Event::Disconnected => {
            if let Some(cb) = &cbs.disconnected {
                cb(h)
            }
        }
        Event::Reconnected => {
            if let Some(cb) = &cbs.reconnected {
                cb(h)
            }
        }
        Event::Connected => {
            if let Some(cb) = &cbs.connected {
                cb(h)
            }
        }
        Event::LameDuck => {
            if let Some(cb) = &cbs.lame_duck {
                cb(h)
            }
        }
        Event::Closed => {
            if let Some(cb) = &cbs.closed {
                cb(h)
            }
        }
        Event::DiscoveredServers => {
            if let Some(cb) = &cbs.discovered_servers {
                cb(h)
            }
        }
        Event::Error { sub, status } => {
            if let Some(cb) = &cbs.error {
                let sh = sub.map_or(0, |s| s.handle.load(Ordering::Acquire));
                cb(h, sh, status)
            }
        }
        Event::ReconnectDelay { attempts, reply } => {
            if let Some(cb) = &cbs.reconnect_delay {
                let _ = reply.send(cb(h, attempts));
            }
        }
    }
}
