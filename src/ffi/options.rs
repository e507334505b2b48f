//! `natsOptions`: a heap object owned by the caller (`natsOptions_Create` /
//! `natsOptions_Destroy`). Connecting copies the options, so they may be changed or destroyed
//! afterwards without affecting existing connections.

use std::ffi::{c_int, c_char, c_void};
use std::sync::Arc;

use super::boundary::{guard, guard_val, invalid_arg, non_null_mut, opt_str, put, req_str};
use super::connection::natsConnection;
use super::subscription::natsSubscription;
use crate::options::Options;
use crate::status::{natsStatus, Result};

/// Connection options (opaque).
pub struct natsOptions {
    pub(crate) opts: Options,
}

/// Callback for connection events (closed, disconnected, discovered servers...). Runs on the
/// connection's callback thread, never on its I/O thread.
pub type natsConnectionHandler = Option<unsafe extern "C" fn(nc: *mut natsConnection, closure: *mut c_void)>;

/// Callback for asynchronous errors (slow consumer, permission violations...). Runs on the
/// connection's callback thread; `subscription` may be NULL.
pub type natsErrHandler = Option<
    unsafe extern "C" fn(nc: *mut natsConnection, subscription: *mut natsSubscription, err: natsStatus, closure: *mut c_void),
>;

pub(crate) fn with_opts(func: &'static str, opts: *mut natsOptions, f: impl FnOnce(&mut Options) -> Result<()>) -> natsStatus {
    guard(func, || f(&mut non_null_mut(opts, "options")?.opts))
}

/// Creates an options object with nats.c's defaults; free it with `natsOptions_Destroy`.
#[unsafe(no_mangle)]
pub extern "C" fn natsOptions_Create(newOpts: *mut *mut natsOptions) -> natsStatus {
    guard("natsOptions_Create", || {
        if newOpts.is_null() {
            return Err(invalid_arg("newOpts must not be NULL"));
        }
        put(newOpts, Box::into_raw(Box::new(natsOptions { opts: Options::default() })));
        Ok(())
    })
}

/// Destroys an options object (NULL is accepted and ignored).
#[unsafe(no_mangle)]
pub extern "C" fn natsOptions_Destroy(opts: *mut natsOptions) {
    guard_val("natsOptions_Destroy", (), || {
        if !opts.is_null() {
            // SAFETY: `opts` came from natsOptions_Create and is destroyed once by its owner.
            drop(unsafe { Box::from_raw(opts) });
        }
    })
}

/// Sets the URL, or a comma-separated list of URLs, of the server(s) to connect to
/// (`nats://[user:password@]host[:port]`, default port 4222). NULL clears it. An empty entry
/// or a list made only of separators gives NATS_INVALID_ARG.
#[unsafe(no_mangle)]
pub extern "C" fn natsOptions_SetURL(opts: *mut natsOptions, url: *const c_char) -> natsStatus {
    with_opts("natsOptions_SetURL", opts, |o| {
        let u = opt_str(url, "url", natsStatus::NATS_INVALID_ARG)?;
        o.set_url(u)
    })
}

/// Sets the list of servers to try. `servers` NULL with `serversCount` 0 clears the list;
/// an array with a count of 0, a negative count, or a NULL/invalid entry gives
/// NATS_INVALID_ARG.
#[unsafe(no_mangle)]
pub extern "C" fn natsOptions_SetServers(opts: *mut natsOptions, servers: *mut *const c_char, serversCount: c_int) -> natsStatus {
    with_opts("natsOptions_SetServers", opts, |o| {
        if serversCount < 0 || (servers.is_null() != (serversCount == 0)) {
            return Err(invalid_arg("invalid servers list"));
        }
        let mut list = Vec::with_capacity(serversCount as usize);
        for i in 0..serversCount as usize {
            // SAFETY: the caller passes an array of `serversCount` string pointers.
            let p = unsafe { *servers.add(i) };
            list.push(req_str(p, "server URL", natsStatus::NATS_INVALID_ARG)?);
        }
        o.set_servers(&list)
    })
}

/// Uses the server list in the given order instead of randomising it.
#[unsafe(no_mangle)]
pub extern "C" fn natsOptions_SetNoRandomize(opts: *mut natsOptions, noRandomize: bool) -> natsStatus {
    with_opts("natsOptions_SetNoRandomize", opts, |o| {
        o.no_randomize = noRandomize;
        Ok(())
    })
}

/// Connect timeout in milliseconds (TCP connect plus the handshake). Negative values give
/// NATS_INVALID_ARG; 0 restores the default (2 seconds).
#[unsafe(no_mangle)]
pub extern "C" fn natsOptions_SetTimeout(opts: *mut natsOptions, timeout: i64) -> natsStatus {
    with_opts("natsOptions_SetTimeout", opts, |o| o.set_timeout(timeout))
}

/// Name sent to the server in CONNECT (NULL: none).
#[unsafe(no_mangle)]
pub extern "C" fn natsOptions_SetName(opts: *mut natsOptions, name: *const c_char) -> natsStatus {
    with_opts("natsOptions_SetName", opts, |o| {
        o.name = opt_str(name, "name", natsStatus::NATS_INVALID_ARG)?.map(str::to_string);
        Ok(())
    })
}

/// Verbose protocol: the server acknowledges each message with +OK.
#[unsafe(no_mangle)]
pub extern "C" fn natsOptions_SetVerbose(opts: *mut natsOptions, verbose: bool) -> natsStatus {
    with_opts("natsOptions_SetVerbose", opts, |o| {
        o.verbose = verbose;
        Ok(())
    })
}

/// Pedantic protocol: the server performs extra checks.
#[unsafe(no_mangle)]
pub extern "C" fn natsOptions_SetPedantic(opts: *mut natsOptions, pedantic: bool) -> natsStatus {
    with_opts("natsOptions_SetPedantic", opts, |o| {
        o.pedantic = pedantic;
        Ok(())
    })
}

/// Interval in milliseconds between keepalive PINGs (default 2 minutes; 0 or less restores
/// the default).
#[unsafe(no_mangle)]
pub extern "C" fn natsOptions_SetPingInterval(opts: *mut natsOptions, interval: i64) -> natsStatus {
    with_opts("natsOptions_SetPingInterval", opts, |o| o.set_ping_interval(interval))
}

/// Keepalive PINGs without PONG before the connection is declared stale (default 2). Flush
/// PINGs never count.
#[unsafe(no_mangle)]
pub extern "C" fn natsOptions_SetMaxPingsOut(opts: *mut natsOptions, maxPingsOut: c_int) -> natsStatus {
    with_opts("natsOptions_SetMaxPingsOut", opts, |o| {
        o.max_pings_out = maxPingsOut;
        Ok(())
    })
}

/// Size in bytes of the socket read buffer (0: default 32 KiB; negative: NATS_INVALID_ARG).
#[unsafe(no_mangle)]
pub extern "C" fn natsOptions_SetIOBufSize(opts: *mut natsOptions, ioBufSize: c_int) -> natsStatus {
    with_opts("natsOptions_SetIOBufSize", opts, |o| o.set_io_buf_size(ioBufSize))
}

/// When true, each publish returns only after its bytes were written to the socket.
#[unsafe(no_mangle)]
pub extern "C" fn natsOptions_SetSendAsap(opts: *mut natsOptions, sendAsap: bool) -> natsStatus {
    with_opts("natsOptions_SetSendAsap", opts, |o| {
        o.send_asap = sendAsap;
        Ok(())
    })
}

/// When true, the server does not deliver this connection's own messages back to it.
#[unsafe(no_mangle)]
pub extern "C" fn natsOptions_SetNoEcho(opts: *mut natsOptions, noEcho: bool) -> natsStatus {
    with_opts("natsOptions_SetNoEcho", opts, |o| {
        o.no_echo = noEcho;
        Ok(())
    })
}

/// Write deadline in milliseconds: when the server stops reading for that long the
/// connection fails (and reconnects if allowed) instead of blocking publishers forever.
/// The default is 10 seconds; 0 removes the deadline. Negative: NATS_INVALID_ARG.
#[unsafe(no_mangle)]
pub extern "C" fn natsOptions_SetWriteDeadline(opts: *mut natsOptions, deadline: i64) -> natsStatus {
    with_opts("natsOptions_SetWriteDeadline", opts, |o| o.set_write_deadline(deadline))
}

/// Sets the asynchronous error callback (NULL removes it). Runs on the callback thread.
#[unsafe(no_mangle)]
pub extern "C" fn natsOptions_SetErrorHandler(opts: *mut natsOptions, errHandler: natsErrHandler, closure: *mut c_void) -> natsStatus {
    with_opts("natsOptions_SetErrorHandler", opts, |o| {
        let c = closure as usize;
        o.callbacks.error = errHandler.map(|f| {
            Arc::new(move |nc: usize, sub: usize, st: natsStatus| {
                // SAFETY: calling the user's callback with the handles it expects.
                unsafe { f(nc as *mut natsConnection, sub as *mut natsSubscription, st, c as *mut c_void) }
            }) as crate::options::ErrCallback
        });
        Ok(())
    })
}

pub(crate) fn conn_cb(cb: natsConnectionHandler, closure: *mut c_void) -> Option<crate::options::ConnCallback> {
    let c = closure as usize;
    cb.map(|f| {
        Arc::new(move |nc: usize| {
            // SAFETY: calling the user's callback with the handle it expects.
            unsafe { f(nc as *mut natsConnection, c as *mut c_void) }
        }) as crate::options::ConnCallback
    })
}

/// Sets the callback run once when the connection is closed (NULL removes it). Runs on the
/// callback thread; `natsConnection_Destroy` waits for it.
#[unsafe(no_mangle)]
pub extern "C" fn natsOptions_SetClosedCB(opts: *mut natsOptions, closedCb: natsConnectionHandler, closure: *mut c_void) -> natsStatus {
    with_opts("natsOptions_SetClosedCB", opts, |o| {
        o.callbacks.closed = conn_cb(closedCb, closure);
        Ok(())
    })
}

/// Sets the callback run when the connection loses its server (NULL removes it).
#[unsafe(no_mangle)]
pub extern "C" fn natsOptions_SetDisconnectedCB(opts: *mut natsOptions, disconnectedCb: natsConnectionHandler, closure: *mut c_void) -> natsStatus {
    with_opts("natsOptions_SetDisconnectedCB", opts, |o| {
        o.callbacks.disconnected = conn_cb(disconnectedCb, closure);
        Ok(())
    })
}

/// Sets the callback run when the server announces new servers of its cluster.
#[unsafe(no_mangle)]
pub extern "C" fn natsOptions_SetDiscoveredServersCB(
    opts: *mut natsOptions,
    discoveredServersCb: natsConnectionHandler,
    closure: *mut c_void,
) -> natsStatus {
    with_opts("natsOptions_SetDiscoveredServersCB", opts, |o| {
        o.callbacks.discovered_servers = conn_cb(discoveredServersCb, closure);
        Ok(())
    })
}

/// When true, servers announced by the cluster are not added to the server pool.
#[unsafe(no_mangle)]
pub extern "C" fn natsOptions_SetIgnoreDiscoveredServers(opts: *mut natsOptions, ignore: bool) -> natsStatus {
    with_opts("natsOptions_SetIgnoreDiscoveredServers", opts, |o| {
        o.ignore_discovered_servers = ignore;
        Ok(())
    })
}

/// Allows reconnecting (default true). With false, losing the server closes the connection
/// (disconnected, then closed callbacks).
#[unsafe(no_mangle)]
pub extern "C" fn natsOptions_SetAllowReconnect(opts: *mut natsOptions, allow: bool) -> natsStatus {
    with_opts("natsOptions_SetAllowReconnect", opts, |o| {
        o.allow_reconnect = allow;
        Ok(())
    })
}

/// Default pending-messages limit of new subscriptions (default 65536; must be positive).
#[unsafe(no_mangle)]
pub extern "C" fn natsOptions_SetMaxPendingMsgs(opts: *mut natsOptions, maxPending: c_int) -> natsStatus {
    with_opts("natsOptions_SetMaxPendingMsgs", opts, |o| o.set_max_pending_msgs(maxPending))
}

/// Asynchronous subscriptions share the library's delivery thread pool instead of one thread
/// each (see `nats_SetMessageDeliveryPoolSize`).
#[unsafe(no_mangle)]
pub extern "C" fn natsOptions_UseGlobalMessageDelivery(opts: *mut natsOptions, global: bool) -> natsStatus {
    with_opts("natsOptions_UseGlobalMessageDelivery", opts, |o| {
        o.global_delivery = global;
        Ok(())
    })
}

/// Requests use one inbox subscription each instead of the connection's shared inbox.
#[unsafe(no_mangle)]
pub extern "C" fn natsOptions_UseOldRequestStyle(opts: *mut natsOptions, useOldStyle: bool) -> natsStatus {
    with_opts("natsOptions_UseOldRequestStyle", opts, |o| {
        o.old_request_style = useOldStyle;
        Ok(())
    })
}

/// When true, the server is not asked for "no responders" answers: requests to a subject
/// nobody listens on time out instead of failing with NATS_NO_RESPONDERS.
#[unsafe(no_mangle)]
pub extern "C" fn natsOptions_DisableNoResponders(opts: *mut natsOptions, disabled: bool) -> natsStatus {
    with_opts("natsOptions_DisableNoResponders", opts, |o| {
        o.no_responders_disabled = disabled;
        Ok(())
    })
}

/// Prefix of the inboxes used for requests (default `_INBOX`; NULL or "" restores it).
/// Wildcards or empty tokens give NATS_INVALID_ARG.
#[unsafe(no_mangle)]
pub extern "C" fn natsOptions_SetCustomInboxPrefix(opts: *mut natsOptions, inboxPrefix: *const c_char) -> natsStatus {
    with_opts("natsOptions_SetCustomInboxPrefix", opts, |o| {
        let p = opt_str(inboxPrefix, "inboxPrefix", natsStatus::NATS_INVALID_ARG)?;
        o.set_inbox_prefix(p)
    })
}

/// When true, requests waiting for a reply fail at once when the connection is lost.
#[unsafe(no_mangle)]
pub extern "C" fn natsOptions_SetFailRequestsOnDisconnect(opts: *mut natsOptions, failRequests: bool) -> natsStatus {
    with_opts("natsOptions_SetFailRequestsOnDisconnect", opts, |o| {
        o.fail_requests_on_disconnect = failRequests;
        Ok(())
    })
}
