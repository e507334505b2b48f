//! External event loops: `natsOptions_SetEventLoop` and the two calls an adapter makes
//! when the loop finds the socket ready. The adapters themselves (libuv, libevent) are
//! header-only C in include/nats/adapters/.

use std::collections::HashMap;
use std::ffi::{c_int, c_void};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard};

use super::boundary::{guard_val, invalid_arg};
use super::connection::natsConnection;
use super::library::natsStatusArg;
use super::options::{natsOptions, with_opts};
use crate::conn::Connection;
use crate::options::{EventLoop, LoopAdapter};
use crate::status::natsStatus;

/// A socket as the operating system numbers it.
pub type natsSock = c_int;

/// Attaches a connection to the application's event loop, after it connected and after
/// every reconnect, from the thread that connected (the connect) or a library thread (a
/// reconnect). The adapter starts polling `socket` for reading. `*userData` is NULL the
/// first time; the adapter stores its own object there, which the other callbacks receive.
pub type natsEvLoop_Attach = Option<
    unsafe extern "C" fn(userData: *mut *mut c_void, r#loop: *mut c_void, nc: *mut natsConnection, socket: natsSock) -> natsStatusArg,
>;

/// Starts (`add` true) or stops polling for read events. Must not wait for the loop.
pub type natsEvLoop_ReadAddRemove = Option<unsafe extern "C" fn(userData: *mut c_void, add: bool) -> natsStatusArg>;

/// Starts (`add` true) or stops polling for write events. Must not wait for the loop.
pub type natsEvLoop_WriteAddRemove = Option<unsafe extern "C" fn(userData: *mut c_void, add: bool) -> natsStatusArg>;

/// The connection is closed: the adapter stops polling and releases what it created. Called
/// once, never with a lock held that a read or write event waits for; the socket stays
/// open until it returns.
pub type natsEvLoop_Detach = Option<unsafe extern "C" fn(userData: *mut c_void) -> natsStatusArg>;

/// The C callbacks bound to the safe core's adapter interface.
struct CAdapter {
    evloop: usize,
    attach: unsafe extern "C" fn(*mut *mut c_void, *mut c_void, *mut natsConnection, natsSock) -> natsStatusArg,
    read: unsafe extern "C" fn(*mut c_void, bool) -> natsStatusArg,
    write: unsafe extern "C" fn(*mut c_void, bool) -> natsStatusArg,
    detach: unsafe extern "C" fn(*mut c_void) -> natsStatusArg,
}

/// An adapter's answer; a value outside the enumeration counts as NATS_ERR.
fn status_of(s: natsStatusArg) -> natsStatus {
    natsStatus::from_raw(s.0 as i64).unwrap_or(natsStatus::NATS_ERR)
}

impl LoopAdapter for CAdapter {
    fn attach(&self, user: &mut usize, conn: usize, fd: i32) -> natsStatus {
        let mut p = *user as *mut c_void;
        // SAFETY: the application's attach callback, with a pointer to a local it may write.
        let s = unsafe { (self.attach)(&mut p, self.evloop as *mut c_void, conn as *mut natsConnection, fd) };
        *user = p as usize;
        status_of(s)
    }

    fn read(&self, user: usize, add: bool) -> natsStatus {
        // SAFETY: the application's callback with the pointer its attach returned.
        status_of(unsafe { (self.read)(user as *mut c_void, add) })
    }

    fn write(&self, user: usize, add: bool) -> natsStatus {
        // SAFETY: as above.
        status_of(unsafe { (self.write)(user as *mut c_void, add) })
    }

    fn detach(&self, user: usize) -> natsStatus {
        // SAFETY: as above; called once.
        status_of(unsafe { (self.detach)(user as *mut c_void) })
    }
}

/// Makes connections created with these options use the application's event loop `loop`
/// instead of a library thread for the socket: the library calls `attachCb` after
/// connecting and reconnecting, `readCb` / `writeCb` to switch polling on and off, and
/// `detachCb` once when the connection is closed; the loop calls
/// `natsConnection_ProcessReadEvent` / `ProcessWriteEvent` when the socket is ready.
/// Message handlers and connection callbacks still run on library threads, never on the
/// loop's. Every argument is required (NULL: NATS_INVALID_ARG). See
/// `<nats/adapters/libuv.h>` and `<nats/adapters/libevent.h>`.
#[unsafe(no_mangle)]
pub extern "C" fn natsOptions_SetEventLoop(
    opts: *mut natsOptions,
    r#loop: *mut c_void,
    attachCb: natsEvLoop_Attach,
    readCb: natsEvLoop_ReadAddRemove,
    writeCb: natsEvLoop_WriteAddRemove,
    detachCb: natsEvLoop_Detach,
) -> natsStatus {
    with_opts("natsOptions_SetEventLoop", opts, |o| {
        let (Some(attach), Some(read), Some(write), Some(detach)) = (attachCb, readCb, writeCb, detachCb) else {
            return Err(invalid_arg("every event loop callback is required"));
        };
        if r#loop.is_null() {
            return Err(invalid_arg("the event loop must not be NULL"));
        }
        let a = CAdapter { evloop: r#loop as usize, attach, read, write, detach };
        o.event_loop = Some(EventLoop(Arc::new(a) as Arc<dyn LoopAdapter>));
        Ok(())
    })
}

/// Connection handles that an event loop may still name, by address. Read and write
/// events look the handle up here instead of dereferencing it, so that an event the loop
/// delivers after `natsConnection_Destroy` (the adapter may learn of the detach only later)
/// does nothing instead of touching freed memory.
fn registry() -> MutexGuard<'static, HashMap<usize, Connection>> {
    static REGISTRY: LazyLock<Mutex<HashMap<usize, Connection>>> = LazyLock::new(|| Mutex::new(HashMap::new()));
    REGISTRY.lock().unwrap_or_else(|p| p.into_inner())
}

/// Called by Connect before connecting (events may come as soon as attach returns).
pub(crate) fn register(handle: *mut natsConnection, conn: &Connection) {
    if conn.has_external_loop() {
        registry().insert(handle as usize, conn.clone());
    }
}

/// Called by Destroy (and a failed Connect) before the handle is freed.
pub(crate) fn unregister(handle: *mut natsConnection) {
    registry().remove(&(handle as usize));
}

fn lookup(nc: *mut natsConnection) -> Option<Connection> {
    registry().get(&(nc as usize)).cloned()
}

/// For event loop adapters: the socket is readable (or in error). Reads what arrived and
/// processes it (messages go to their subscriptions' threads), then writes what that
/// queued. Never blocks on the network. A handle that is destroyed, or that does not use an
/// event loop, is ignored.
#[unsafe(no_mangle)]
pub extern "C" fn natsConnection_ProcessReadEvent(nc: *mut natsConnection) {
    guard_val("natsConnection_ProcessReadEvent", (), || {
        if let Some(c) = lookup(nc) {
            c.process_read_event();
        }
    })
}

/// For event loop adapters: the socket is writable. Writes what the connection buffered;
/// when nothing is left, asks the loop to stop polling for writing. Never blocks on the
/// network. A handle that is destroyed, or that does not use an event loop, is ignored.
#[unsafe(no_mangle)]
pub extern "C" fn natsConnection_ProcessWriteEvent(nc: *mut natsConnection) {
    guard_val("natsConnection_ProcessWriteEvent", (), || {
        if let Some(c) = lookup(nc) {
            c.process_write_event();
        }
    })
}
