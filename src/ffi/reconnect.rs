//! Reconnection options and connection drain.

use std::ffi::{c_int, c_void};
use std::sync::Arc;

use super::boundary::{guard, invalid_arg};
use super::connection::{conn_of, natsConnection};
use super::options::{conn_cb, natsConnectionHandler, natsOptions, with_opts};
use crate::status::natsStatus;

/// Returns the delay in milliseconds before the next reconnect pass (`attempts` so far).
pub type natsCustomReconnectDelayHandler = Option<unsafe extern "C" fn(nc: *mut natsConnection, attempts: c_int, closure: *mut c_void) -> i64>;

/// Reconnect attempts per server before it leaves the pool (default 60; negative: no limit).
#[unsafe(no_mangle)]
pub extern "C" fn natsOptions_SetMaxReconnect(opts: *mut natsOptions, maxReconnect: c_int) -> natsStatus {
    with_opts("natsOptions_SetMaxReconnect", opts, |o| {
        o.max_reconnect = maxReconnect;
        Ok(())
    })
}

/// Milliseconds between two attempts to the same server (default 2000; negative:
/// NATS_INVALID_ARG).
#[unsafe(no_mangle)]
pub extern "C" fn natsOptions_SetReconnectWait(opts: *mut natsOptions, reconnectWait: i64) -> natsStatus {
    with_opts("natsOptions_SetReconnectWait", opts, |o| {
        if reconnectWait < 0 {
            return Err(invalid_arg("reconnect wait must not be negative"));
        }
        o.reconnect_wait_ms = reconnectWait;
        Ok(())
    })
}

/// Random extra wait (ms) added to the reconnect wait, for clear-text and TLS connections
/// (defaults 100 and 1000; negative: NATS_INVALID_ARG).
#[unsafe(no_mangle)]
pub extern "C" fn natsOptions_SetReconnectJitter(opts: *mut natsOptions, jitter: i64, jitterTLS: i64) -> natsStatus {
    with_opts("natsOptions_SetReconnectJitter", opts, |o| {
        if jitter < 0 || jitterTLS < 0 {
            return Err(invalid_arg("jitter must not be negative"));
        }
        o.reconnect_jitter_ms = jitter;
        o.reconnect_jitter_tls_ms = jitterTLS;
        Ok(())
    })
}

/// Replaces ReconnectWait and jitter: `cb` returns how long to wait (milliseconds) after each
/// pass over the server list. It runs on the connection's callback thread, in order with the
/// other connection callbacks (never on the event-loop thread), and may call the library.
/// The reconnect waits for its answer; Close does not: a Close meanwhile ends the reconnect at
/// once, and Destroy returns only after the callback has returned. NULL restores the default.
#[unsafe(no_mangle)]
pub extern "C" fn natsOptions_SetCustomReconnectDelay(opts: *mut natsOptions, cb: natsCustomReconnectDelayHandler, closure: *mut c_void) -> natsStatus {
    with_opts("natsOptions_SetCustomReconnectDelay", opts, |o| {
        let c = closure as usize;
        o.callbacks.reconnect_delay = cb.map(|f| {
            Arc::new(move |nc: usize, attempts: i32| {
                // SAFETY: the user's callback.
                unsafe { f(nc as *mut natsConnection, attempts, c as *mut c_void) }
            }) as Arc<dyn Fn(usize, i32) -> i64 + Send + Sync>
        });
        Ok(())
    })
}

/// Bytes of publishes kept while reconnecting (default 8 MiB; 0 restores it; negative:
/// NATS_INVALID_ARG). Past it a publish fails with NATS_INSUFFICIENT_BUFFER.
#[unsafe(no_mangle)]
pub extern "C" fn natsOptions_SetReconnectBufSize(opts: *mut natsOptions, reconnectBufSize: c_int) -> natsStatus {
    with_opts("natsOptions_SetReconnectBufSize", opts, |o| {
        if reconnectBufSize < 0 {
            return Err(invalid_arg("reconnect buffer size must not be negative"));
        }
        o.reconnect_buf_size = if reconnectBufSize == 0 { 8 * 1024 * 1024 } else { reconnectBufSize as usize };
        Ok(())
    })
}

/// Callback run (on the callback thread) after the connection reconnected and re-sent its
/// subscriptions and buffered messages.
#[unsafe(no_mangle)]
pub extern "C" fn natsOptions_SetReconnectedCB(opts: *mut natsOptions, reconnectedCb: natsConnectionHandler, closure: *mut c_void) -> natsStatus {
    with_opts("natsOptions_SetReconnectedCB", opts, |o| {
        o.callbacks.reconnected = conn_cb(reconnectedCb, closure);
        Ok(())
    })
}

/// Callback run when the server announces it enters lame duck mode (it will shut down).
#[unsafe(no_mangle)]
pub extern "C" fn natsOptions_SetLameDuckModeCB(opts: *mut natsOptions, lameDuckCb: natsConnectionHandler, closure: *mut c_void) -> natsStatus {
    with_opts("natsOptions_SetLameDuckModeCB", opts, |o| {
        o.callbacks.lame_duck = conn_cb(lameDuckCb, closure);
        Ok(())
    })
}

/// With `retry`, a Connect that reaches no server returns NATS_NOT_YET_CONNECTED together with
/// a connection that keeps trying in the background (MaxReconnect/ReconnectWait apply);
/// `connectedCb` runs when it succeeds.
#[unsafe(no_mangle)]
pub extern "C" fn natsOptions_SetRetryOnFailedConnect(
    opts: *mut natsOptions,
    retry: bool,
    connectedCb: natsConnectionHandler,
    closure: *mut c_void,
) -> natsStatus {
    with_opts("natsOptions_SetRetryOnFailedConnect", opts, |o| {
        o.retry_on_failed_connect = retry;
        o.callbacks.connected = if retry { conn_cb(connectedCb, closure) } else { None };
        Ok(())
    })
}

/// Address family order when a host name resolves to several addresses: 46, 64, 4, 6 or 0
/// (as resolved). Other values: NATS_INVALID_ARG.
#[unsafe(no_mangle)]
pub extern "C" fn natsOptions_IPResolutionOrder(opts: *mut natsOptions, order: c_int) -> natsStatus {
    with_opts("natsOptions_IPResolutionOrder", opts, |o| {
        if ![0, 4, 6, 46, 64].contains(&order) {
            return Err(invalid_arg(format!("invalid IP resolution order {order} (use 0, 4, 6, 46 or 64)")));
        }
        o.ip_resolution_order = order;
        Ok(())
    })
}

/// Drains the connection with a 30 second limit; see `natsConnection_DrainTimeout`.
#[unsafe(no_mangle)]
pub extern "C" fn natsConnection_Drain(nc: *mut natsConnection) -> natsStatus {
    guard("natsConnection_Drain", || conn_of(nc)?.drain(30_000))
}

/// Drains the connection: returns at once; subscriptions are drained first (their pending
/// messages handled), then publishes flushed, then the connection closes (closed callback).
/// New subscriptions get NATS_DRAINING meanwhile. Past `timeout` ms (<= 0: 30 s) the error
/// handler gets NATS_TIMEOUT and the connection closes anyway.
#[unsafe(no_mangle)]
pub extern "C" fn natsConnection_DrainTimeout(nc: *mut natsConnection, timeout: i64) -> natsStatus {
    guard("natsConnection_DrainTimeout", || conn_of(nc)?.drain(timeout))
}
