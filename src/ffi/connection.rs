//! `natsConnection`: created by `natsConnection_Connect`/`ConnectTo`, owned by the caller and
//! released with `natsConnection_Destroy`. The handle holds a reference to the shared
//! connection core; the event loop and callback threads hold their own.

use std::ffi::{c_int, c_char, c_void};
use std::sync::Arc;

use super::boundary::{
    copy_to_buffer, data as data_arg, guard, guard_val, invalid_arg, malloc_str, malloc_str_array, non_null, non_null_mut, opt_str, put,
    req_str,
};
use super::msg::natsMsg;
use super::options::natsOptions;
use super::stats::natsStatistics;
use super::subscription::natsSubscription;
use crate::conn::Connection;
use crate::proto::subject::{PubSubject, Scan};
use crate::options::Options;
use crate::status::{natsConnStatus, natsStatus, Error, Result};

/// A connection to a NATS server (opaque).
pub struct natsConnection {
    pub(crate) conn: Connection,
}

/// Callback for messages of asynchronous subscriptions.
pub type natsMsgHandler =
    Option<unsafe extern "C" fn(nc: *mut natsConnection, sub: *mut natsSubscription, msg: *mut natsMsg, closure: *mut c_void)>;

/// The connection behind a handle, for functions that must not touch a NULL one.
pub(crate) fn conn_of<'a>(nc: *mut natsConnection) -> Result<&'a Connection> {
    Ok(&non_null(nc as *const natsConnection, "connection")?.conn)
}

fn connect_with(opts: Options, nc: *mut *mut natsConnection) -> Result<()> {
    let conn = Connection::new(opts);
    let handle = Box::into_raw(Box::new(natsConnection { conn: conn.clone() }));
    conn.set_handle(handle as usize);
    super::evloop::register(handle, &conn);
    match conn.connect() {
        Ok(()) => {
            put(nc, handle);
            Ok(())
        }
        Err(e) if e.status == natsStatus::NATS_NOT_YET_CONNECTED => {
            // RetryOnFailedConnect: the caller gets the connection, which keeps trying.
            put(nc, handle);
            Err(e)
        }
        Err(e) => {
            conn.destroy();
            super::evloop::unregister(handle);
            // SAFETY: `handle` was created above and never given out.
            drop(unsafe { Box::from_raw(handle) });
            Err(e)
        }
    }
}

/// Connects with the given options (NULL: defaults, i.e. `nats://localhost:4222`). On
/// success `*nc` receives a connection to destroy with `natsConnection_Destroy`. Blocks up to
/// the options' timeout per server. NATS_NO_SERVER when no server could be reached.
#[unsafe(no_mangle)]
pub extern "C" fn natsConnection_Connect(nc: *mut *mut natsConnection, options: *mut natsOptions) -> natsStatus {
    guard("natsConnection_Connect", || {
        if nc.is_null() {
            return Err(invalid_arg("nc must not be NULL"));
        }
        put(nc, std::ptr::null_mut());
        // SAFETY: a non-NULL options pointer comes from natsOptions_Create.
        let opts = match unsafe { options.as_ref() } {
            Some(o) => o.opts.clone(),
            None => Options::default(),
        };
        connect_with(opts, nc)
    })
}

/// Connects to a URL or a comma-separated list of URLs (NULL: `nats://localhost:4222`) with
/// default options.
#[unsafe(no_mangle)]
pub extern "C" fn natsConnection_ConnectTo(nc: *mut *mut natsConnection, urls: *const c_char) -> natsStatus {
    guard("natsConnection_ConnectTo", || {
        if nc.is_null() {
            return Err(invalid_arg("nc must not be NULL"));
        }
        put(nc, std::ptr::null_mut());
        let mut opts = Options::default();
        if let Some(u) = opt_str(urls, "urls", natsStatus::NATS_INVALID_ARG)? {
            if u.is_empty() {
                return Err(invalid_arg("the URL list is empty"));
            }
            opts.set_url(Some(u))?;
        }
        connect_with(opts, nc)
    })
}

/// NULL or empty: NATS_INVALID_ARG (as nats.c); whitespace: NATS_INVALID_QUEUE_NAME.
fn queue_arg<'a>(q: *const c_char) -> Result<&'a str> {
    let q = req_str(q, "queue group", natsStatus::NATS_INVALID_ARG)?;
    if q.is_empty() {
        return Err(invalid_arg("queue group must not be empty"));
    }
    Ok(q)
}

fn subject_arg<'a>(subj: *const c_char) -> Result<&'a str> {
    req_str(subj, "subject", natsStatus::NATS_INVALID_SUBJECT)
}

/// A publish subject, found with libc's strlen and checked 8 bytes at a time (the
/// per-publish fast path).
#[inline(always)]
fn pub_subject_arg<'a>(subj: *const c_char) -> Result<PubSubject<'a>> {
    if subj.is_null() {
        return Err(Error::new(natsStatus::NATS_INVALID_SUBJECT, "subject must not be NULL"));
    }
    // SAFETY: a non-NULL C string argument is NUL-terminated and valid for the call.
    let b = unsafe { std::ffi::CStr::from_ptr(subj) }.to_bytes();
    let sc = Scan::over(b);
    let s = if sc.publish_result(b)? {
        // SAFETY: the scan found only ASCII bytes, which are valid UTF-8.
        unsafe { std::str::from_utf8_unchecked(b) }
    } else {
        std::str::from_utf8(b).map_err(|_| Error::new(natsStatus::NATS_INVALID_SUBJECT, "subject is not valid UTF-8"))?
    };
    Ok(PubSubject::scanned(s))
}

/// Publishes `dataLen` bytes of `data` on `subj`. The message is appended to the outgoing
/// buffer and written by the connection's I/O thread; use a flush to know the server got it.
/// Blocks only while the outgoing buffer is full.
#[unsafe(no_mangle)]
pub extern "C" fn natsConnection_Publish(nc: *mut natsConnection, subj: *const c_char, data: *const c_void, dataLen: c_int) -> natsStatus {
    guard("natsConnection_Publish", || {
        let c = conn_of(nc)?;
        let s = pub_subject_arg(subj)?;
        c.publish_checked(s, data_arg(data as *const u8, dataLen)?)
    })
}

/// Publishes the NUL-terminated string `str` (without its NUL; NULL publishes no data).
#[unsafe(no_mangle)]
pub extern "C" fn natsConnection_PublishString(nc: *mut natsConnection, subj: *const c_char, str: *const c_char) -> natsStatus {
    guard("natsConnection_PublishString", || {
        let c = conn_of(nc)?;
        let s = pub_subject_arg(subj)?;
        c.publish_checked(s, cbytes(str))
    })
}

fn cbytes<'a>(p: *const c_char) -> &'a [u8] {
    if p.is_null() {
        &[]
    } else {
        // SAFETY: a non-NULL string argument is NUL-terminated.
        unsafe { std::ffi::CStr::from_ptr(p) }.to_bytes()
    }
}

/// Publishes a message created with `natsMsg_Create` (the message stays owned by the caller).
#[unsafe(no_mangle)]
pub extern "C" fn natsConnection_PublishMsg(nc: *mut natsConnection, msg: *mut natsMsg) -> natsStatus {
    guard("natsConnection_PublishMsg", || {
        let c = conn_of(nc)?;
        let m = super::msg::body_arg(msg, "msg")?;
        let subj = std::str::from_utf8(m.subject()).map_err(|_| Error::new(natsStatus::NATS_INVALID_SUBJECT, "subject is not valid UTF-8"))?;
        let reply = match m.reply() {
            Some(r) => Some(std::str::from_utf8(r).map_err(|_| Error::new(natsStatus::NATS_INVALID_SUBJECT, "reply is not valid UTF-8"))?),
            None => None,
        };
        c.publish_full(subj, reply, m.headers(), m.data())
    })
}

/// Publishes with a reply subject (`reply` must not be NULL or empty).
#[unsafe(no_mangle)]
pub extern "C" fn natsConnection_PublishRequest(
    nc: *mut natsConnection,
    subj: *const c_char,
    reply: *const c_char,
    data: *const c_void,
    dataLen: c_int,
) -> natsStatus {
    guard("natsConnection_PublishRequest", || {
        let c = conn_of(nc)?;
        let s = subject_arg(subj)?;
        let r = req_str(reply, "reply", natsStatus::NATS_INVALID_ARG)?;
        if r.is_empty() {
            return Err(invalid_arg("reply must not be empty"));
        }
        c.publish(s, Some(r), data_arg(data as *const u8, dataLen)?)
    })
}

/// Publishes a string with a reply subject.
#[unsafe(no_mangle)]
pub extern "C" fn natsConnection_PublishRequestString(
    nc: *mut natsConnection,
    subj: *const c_char,
    reply: *const c_char,
    str: *const c_char,
) -> natsStatus {
    guard("natsConnection_PublishRequestString", || {
        let c = conn_of(nc)?;
        let s = subject_arg(subj)?;
        let r = req_str(reply, "reply", natsStatus::NATS_INVALID_ARG)?;
        if r.is_empty() {
            return Err(invalid_arg("reply must not be empty"));
        }
        c.publish(s, Some(r), cbytes(str))
    })
}

/// Flushes with a 10 second timeout: see `natsConnection_FlushTimeout`.
#[unsafe(no_mangle)]
pub extern "C" fn natsConnection_Flush(nc: *mut natsConnection) -> natsStatus {
    guard("natsConnection_Flush", || conn_of(nc)?.flush(10_000))
}

/// Queues a PING behind everything buffered and waits for its PONG: NATS_OK once the server
/// has processed all previously published data; NATS_TIMEOUT after `timeout` milliseconds;
/// NATS_INVALID_TIMEOUT when `timeout` <= 0; NATS_CONNECTION_CLOSED when the connection is or
/// becomes closed (or stale) meanwhile. Never NATS_OK when the PING could not be written.
/// Any number of threads may flush at once. On a clear-text connection one of them reads the
/// socket itself while it waits (messages that arrive meanwhile are delivered as usual), so
/// that its PONG wakes it directly; the others, and any flush over TLS or with an external
/// event loop, sleep until the PONG is handed over.
#[unsafe(no_mangle)]
pub extern "C" fn natsConnection_FlushTimeout(nc: *mut natsConnection, timeout: i64) -> natsStatus {
    guard("natsConnection_FlushTimeout", || conn_of(nc)?.flush(timeout))
}

/// Bytes accepted by publish calls (and other protocol) and not yet written to the socket;
/// -1 for NULL or a closed connection.
///
/// The event loop writes as soon as data is accepted, so on a connection whose socket takes
/// everything this drops back to 0 within moments of a publish (unlike nats.c, whose buffer
/// holds data until its flusher runs): it may count the last publishes only until the event
/// loop has written them. It stays above 0 while bytes really wait: while the
/// connection is reconnecting (publishes held in the reconnect buffer for the next server,
/// up to `natsOptions_SetReconnectBufSize`), and when the socket cannot take more (a flood
/// faster than the network, a server that does not read, a stopped server); then it stays
/// below about 4 MB (the outgoing buffer's 2 MB bound, at which publishers wait, plus the
/// chunk being written). Bytes already handed to the operating system's socket buffer are
/// not counted.
#[unsafe(no_mangle)]
pub extern "C" fn natsConnection_Buffered(nc: *mut natsConnection) -> c_int {
    guard_val("natsConnection_Buffered", -1, || match conn_of(nc) {
        Ok(c) => c.buffered().map_or(-1, |b| i32::try_from(b).unwrap_or(i32::MAX)),
        Err(_) => -1,
    })
}

/// The maximum payload the server accepts (0 when NULL or never connected).
#[unsafe(no_mangle)]
pub extern "C" fn natsConnection_GetMaxPayload(nc: *mut natsConnection) -> i64 {
    guard_val("natsConnection_GetMaxPayload", 0, || conn_of(nc).map(|c| c.max_payload()).unwrap_or(0))
}

/// Copies the connection's counters into `stats` (from `natsStatistics_Create`).
#[unsafe(no_mangle)]
pub extern "C" fn natsConnection_GetStats(nc: *mut natsConnection, stats: *mut natsStatistics) -> natsStatus {
    guard("natsConnection_GetStats", || {
        let c = conn_of(nc)?;
        let s = non_null_mut(stats, "stats")?;
        s.stats = c.stats();
        Ok(())
    })
}

/// Copies the URL of the connected server into `buffer` (an empty string when not
/// connected). NATS_INSUFFICIENT_BUFFER when it does not fit.
#[unsafe(no_mangle)]
pub extern "C" fn natsConnection_GetConnectedUrl(nc: *mut natsConnection, buffer: *mut c_char, bufferSize: usize) -> natsStatus {
    guard("natsConnection_GetConnectedUrl", || {
        let c = conn_of(nc)?;
        if buffer.is_null() {
            return Err(invalid_arg("buffer must not be NULL"));
        }
        copy_to_buffer(c.connected_url().unwrap_or_default().as_bytes(), buffer, bufferSize)
    })
}

/// Copies the id of the connected server into `buffer` (empty when not connected).
#[unsafe(no_mangle)]
pub extern "C" fn natsConnection_GetConnectedServerId(nc: *mut natsConnection, buffer: *mut c_char, bufferSize: usize) -> natsStatus {
    guard("natsConnection_GetConnectedServerId", || {
        let c = conn_of(nc)?;
        if buffer.is_null() {
            return Err(invalid_arg("buffer must not be NULL"));
        }
        copy_to_buffer(c.connected_server_id().unwrap_or_default().as_bytes(), buffer, bufferSize)
    })
}

fn server_list(nc: *mut natsConnection, servers: *mut *mut *mut c_char, count: *mut c_int, discovered: bool) -> Result<()> {
    let c = conn_of(nc)?;
    if servers.is_null() || count.is_null() {
        return Err(invalid_arg("servers and count must not be NULL"));
    }
    put(servers, std::ptr::null_mut());
    put(count, 0);
    let list = c.servers(discovered)?;
    let arr = malloc_str_array(&list)?;
    put(servers, arr);
    put(count, list.len() as i32);
    Ok(())
}

/// Returns every server URL known to the connection. The array and each string are
/// allocated with malloc: free each string, then the array.
#[unsafe(no_mangle)]
pub extern "C" fn natsConnection_GetServers(nc: *mut natsConnection, servers: *mut *mut *mut c_char, count: *mut c_int) -> natsStatus {
    guard("natsConnection_GetServers", || server_list(nc, servers, count, false))
}

/// Like `natsConnection_GetServers`, for the servers discovered through the cluster only.
#[unsafe(no_mangle)]
pub extern "C" fn natsConnection_GetDiscoveredServers(
    nc: *mut natsConnection,
    servers: *mut *mut *mut c_char,
    count: *mut c_int,
) -> natsStatus {
    guard("natsConnection_GetDiscoveredServers", || server_list(nc, servers, count, true))
}

/// Returns the connection's last error status and, in `*lastError`, its text (owned by the
/// connection, valid until the next error or Destroy; NULL when there is none).
#[unsafe(no_mangle)]
pub extern "C" fn natsConnection_GetLastError(nc: *mut natsConnection, lastError: *mut *const c_char) -> natsStatus {
    guard_val("natsConnection_GetLastError", natsStatus::NATS_ERR, || {
        let Ok(c) = conn_of(nc) else {
            super::boundary::set_error("natsConnection_GetLastError", &invalid_arg("connection must not be NULL"));
            return natsStatus::NATS_INVALID_ARG;
        };
        if lastError.is_null() {
            super::boundary::set_error("natsConnection_GetLastError", &invalid_arg("lastError must not be NULL"));
            return natsStatus::NATS_INVALID_ARG;
        }
        c.with_last_error(|s, t| {
            // The text lives in the connection state until replaced by a newer error.
            put(lastError, t.map_or(std::ptr::null(), |t| t.as_ptr()));
            s
        })
    })
}

/// The client id the server assigned to this connection.
#[unsafe(no_mangle)]
pub extern "C" fn natsConnection_GetClientID(nc: *mut natsConnection, cid: *mut u64) -> natsStatus {
    guard("natsConnection_GetClientID", || {
        let c = conn_of(nc)?;
        if cid.is_null() {
            return Err(invalid_arg("cid must not be NULL"));
        }
        put(cid, c.client_id()?);
        Ok(())
    })
}

/// The client IP as seen by the server, in a malloc'ed string the caller frees.
#[unsafe(no_mangle)]
pub extern "C" fn natsConnection_GetClientIP(nc: *mut natsConnection, ip: *mut *mut c_char) -> natsStatus {
    guard("natsConnection_GetClientIP", || {
        let c = conn_of(nc)?;
        if ip.is_null() {
            return Err(invalid_arg("ip must not be NULL"));
        }
        put(ip, std::ptr::null_mut());
        put(ip, malloc_str(&c.client_ip()?)?);
        Ok(())
    })
}

/// The local IP (malloc'ed, the caller frees it) and port of the connection's socket.
#[unsafe(no_mangle)]
pub extern "C" fn natsConnection_GetLocalIPAndPort(nc: *mut natsConnection, ip: *mut *mut c_char, port: *mut c_int) -> natsStatus {
    guard("natsConnection_GetLocalIPAndPort", || {
        let c = conn_of(nc)?;
        if ip.is_null() || port.is_null() {
            return Err(invalid_arg("ip and port must not be NULL"));
        }
        put(ip, std::ptr::null_mut());
        put(port, 0);
        let a = c.local_addr()?;
        put(ip, malloc_str(&a.ip().to_string())?);
        put(port, a.port() as i32);
        Ok(())
    })
}

/// Measures one PING/PONG round trip, in nanoseconds.
#[unsafe(no_mangle)]
pub extern "C" fn natsConnection_GetRTT(nc: *mut natsConnection, rtt: *mut i64) -> natsStatus {
    guard("natsConnection_GetRTT", || {
        let c = conn_of(nc)?;
        if rtt.is_null() {
            return Err(invalid_arg("rtt must not be NULL"));
        }
        put(rtt, 0);
        let d = c.rtt()?;
        put(rtt, d.as_nanos() as i64);
        Ok(())
    })
}

/// NATS_OK when the connected server supports message headers, NATS_NO_SERVER_SUPPORT
/// otherwise.
#[unsafe(no_mangle)]
pub extern "C" fn natsConnection_HasHeaderSupport(nc: *mut natsConnection) -> natsStatus {
    guard("natsConnection_HasHeaderSupport", || {
        if conn_of(nc)?.has_header_support() {
            Ok(())
        } else {
            Err(Error::new(natsStatus::NATS_NO_SERVER_SUPPORT, "the server does not support headers"))
        }
    })
}

/// The connection's state (NATS_CONN_STATUS_CLOSED for NULL).
#[unsafe(no_mangle)]
pub extern "C" fn natsConnection_Status(nc: *mut natsConnection) -> natsConnStatus {
    guard_val("natsConnection_Status", natsConnStatus::NATS_CONN_STATUS_CLOSED, || {
        conn_of(nc).map(|c| c.status()).unwrap_or(natsConnStatus::NATS_CONN_STATUS_CLOSED)
    })
}

/// True when the connection is closed (or NULL).
#[unsafe(no_mangle)]
pub extern "C" fn natsConnection_IsClosed(nc: *mut natsConnection) -> bool {
    guard_val("natsConnection_IsClosed", true, || conn_of(nc).map(|c| c.is_closed()).unwrap_or(true))
}

/// True while the connection is reconnecting.
#[unsafe(no_mangle)]
pub extern "C" fn natsConnection_IsReconnecting(nc: *mut natsConnection) -> bool {
    guard_val("natsConnection_IsReconnecting", false, || {
        conn_of(nc).map(|c| c.status() == natsConnStatus::NATS_CONN_STATUS_RECONNECTING).unwrap_or(false)
    })
}

/// True while the connection is draining.
#[unsafe(no_mangle)]
pub extern "C" fn natsConnection_IsDraining(nc: *mut natsConnection) -> bool {
    guard_val("natsConnection_IsDraining", false, || conn_of(nc).map(|c| c.is_draining()).unwrap_or(false))
}

/// Closes the connection: buffered data is flushed (confirmed by PING/PONG, bounded by the
/// connect timeout), then the socket is closed, subscriptions end and the disconnected and
/// closed callbacks are queued. The handle stays valid until `natsConnection_Destroy`.
#[unsafe(no_mangle)]
pub extern "C" fn natsConnection_Close(nc: *mut natsConnection) {
    guard_val("natsConnection_Close", (), || {
        if let Ok(c) = conn_of(nc) {
            c.close()
        }
    })
}

/// Closes the connection if needed, waits for its last callback to return (unless called
/// from a callback), and releases the handle. NULL is ignored.
#[unsafe(no_mangle)]
pub extern "C" fn natsConnection_Destroy(nc: *mut natsConnection) {
    guard_val("natsConnection_Destroy", (), || {
        if nc.is_null() {
            return;
        }
        // SAFETY: `nc` came from Connect/ConnectTo and is destroyed once by its owner.
        let h = unsafe { Box::from_raw(nc) };
        h.conn.destroy();
        super::evloop::unregister(nc);
        drop(h);
    })
}

fn make_sub(sub: *mut *mut natsSubscription, nc: *mut natsConnection, subject: *const c_char, queue: Option<&str>) -> Result<()> {
    if sub.is_null() {
        return Err(invalid_arg("sub must not be NULL"));
    }
    put(sub, std::ptr::null_mut());
    let c = conn_of(nc)?;
    let s = subject_arg(subject)?;
    let core = c.subscribe_sync(s, queue)?;
    let handle = Box::into_raw(Box::new(natsSubscription { sub: Arc::clone(&core), conn: c.clone() }));
    core.handle.store(handle as usize, std::sync::atomic::Ordering::Release);
    put(sub, handle);
    Ok(())
}

/// Creates a synchronous subscription on `subject` (wildcards allowed); read it with
/// `natsSubscription_NextMsg`, release it with `natsSubscription_Destroy`.
#[unsafe(no_mangle)]
pub extern "C" fn natsConnection_SubscribeSync(sub: *mut *mut natsSubscription, nc: *mut natsConnection, subject: *const c_char) -> natsStatus {
    guard("natsConnection_SubscribeSync", || make_sub(sub, nc, subject, None))
}

/// Creates a synchronous queue subscription: the server spreads messages among the members
/// of `queueGroup`. An empty queue name or one with whitespace gives NATS_INVALID_QUEUE_NAME.
#[unsafe(no_mangle)]
pub extern "C" fn natsConnection_QueueSubscribeSync(
    sub: *mut *mut natsSubscription,
    nc: *mut natsConnection,
    subject: *const c_char,
    queueGroup: *const c_char,
) -> natsStatus {
    guard("natsConnection_QueueSubscribeSync", || {
        let q = queue_arg(queueGroup)?;
        make_sub(sub, nc, subject, Some(q))
    })
}

fn make_async_sub(
    sub: *mut *mut natsSubscription,
    nc: *mut natsConnection,
    subject: *const c_char,
    queue: Option<&str>,
    timeout: Option<i64>,
    cb: natsMsgHandler,
    closure: *mut c_void,
) -> Result<()> {
    if sub.is_null() {
        return Err(invalid_arg("sub must not be NULL"));
    }
    put(sub, std::ptr::null_mut());
    let c = conn_of(nc)?;
    let s = subject_arg(subject)?;
    let Some(f) = cb else {
        return Err(invalid_arg("the message handler must not be NULL"));
    };
    let idle = match timeout {
        None => None,
        Some(t) if t > 0 => Some(std::time::Duration::from_millis(t as u64)),
        Some(_) => return Err(invalid_arg("the inactivity timeout must be positive")),
    };
    let (ncp, cl) = (nc as usize, closure as usize);
    let handler: crate::sub::MsgHandler = Arc::new(move |sub_handle: usize, m: Option<crate::msg::Msg>| {
        let mp = m.map_or(std::ptr::null_mut(), super::msg::into_handle);
        // SAFETY: the user's handler, with the handles it was registered for; it owns `mp`.
        unsafe { f(ncp as *mut natsConnection, sub_handle as *mut natsSubscription, mp, cl as *mut c_void) }
    });
    // The handle must exist before the first message can be dispatched: create the core
    // subscription, then publish its handle; the dispatcher skips calls while it is 0.
    let core = c.subscribe(s, queue, crate::sub::Kind::Async { handler, idle })?;
    let handle = Box::into_raw(Box::new(natsSubscription { sub: Arc::clone(&core), conn: c.clone() }));
    core.handle.store(handle as usize, std::sync::atomic::Ordering::Release);
    put(sub, handle);
    Ok(())
}

/// Creates an asynchronous subscription: `cb` runs for each message on a delivery thread
/// (never the connection's I/O thread, so it may publish, flush or request), in order, and
/// owns the message it receives. No handler runs after `natsSubscription_Destroy` or
/// `natsConnection_Destroy` has returned. NULL `cb` gives NATS_INVALID_ARG.
#[unsafe(no_mangle)]
pub extern "C" fn natsConnection_Subscribe(
    sub: *mut *mut natsSubscription,
    nc: *mut natsConnection,
    subject: *const c_char,
    cb: natsMsgHandler,
    cbClosure: *mut c_void,
) -> natsStatus {
    guard("natsConnection_Subscribe", || make_async_sub(sub, nc, subject, None, None, cb, cbClosure))
}

/// Like `natsConnection_Subscribe`; in addition `cb` is called with a NULL message when no
/// message arrived for `timeout` milliseconds (must be positive).
#[unsafe(no_mangle)]
pub extern "C" fn natsConnection_SubscribeTimeout(
    sub: *mut *mut natsSubscription,
    nc: *mut natsConnection,
    subject: *const c_char,
    timeout: i64,
    cb: natsMsgHandler,
    cbClosure: *mut c_void,
) -> natsStatus {
    guard("natsConnection_SubscribeTimeout", || make_async_sub(sub, nc, subject, None, Some(timeout), cb, cbClosure))
}

/// Asynchronous queue subscription: the server spreads messages among the group's members.
#[unsafe(no_mangle)]
pub extern "C" fn natsConnection_QueueSubscribe(
    sub: *mut *mut natsSubscription,
    nc: *mut natsConnection,
    subject: *const c_char,
    queueGroup: *const c_char,
    cb: natsMsgHandler,
    cbClosure: *mut c_void,
) -> natsStatus {
    guard("natsConnection_QueueSubscribe", || {
        let q = queue_arg(queueGroup)?;
        make_async_sub(sub, nc, subject, Some(q), None, cb, cbClosure)
    })
}

/// Asynchronous queue subscription with an inactivity timeout (see SubscribeTimeout).
#[unsafe(no_mangle)]
pub extern "C" fn natsConnection_QueueSubscribeTimeout(
    sub: *mut *mut natsSubscription,
    nc: *mut natsConnection,
    subject: *const c_char,
    queueGroup: *const c_char,
    timeout: i64,
    cb: natsMsgHandler,
    cbClosure: *mut c_void,
) -> natsStatus {
    guard("natsConnection_QueueSubscribeTimeout", || {
        let q = queue_arg(queueGroup)?;
        make_async_sub(sub, nc, subject, Some(q), Some(timeout), cb, cbClosure)
    })
}

fn do_request(
    reply_msg: *mut *mut natsMsg,
    nc: *mut natsConnection,
    subj: &str,
    headers: Option<&crate::proto::headers::Headers>,
    payload: &[u8],
    timeout: i64,
) -> Result<()> {
    let c = conn_of(nc)?;
    let m = c.request(subj, headers, payload, timeout)?;
    put(reply_msg, super::msg::into_handle(m));
    Ok(())
}

fn check_reply_out(replyMsg: *mut *mut natsMsg) -> Result<()> {
    if replyMsg.is_null() {
        return Err(invalid_arg("replyMsg must not be NULL"));
    }
    put(replyMsg, std::ptr::null_mut());
    Ok(())
}

/// Publishes a request and waits up to `timeout` milliseconds for one reply, which the
/// caller owns (`natsMsg_Destroy`). NATS_TIMEOUT without reply; NATS_NO_RESPONDERS at once
/// when nobody listens on `subj` (unless disabled); NATS_INVALID_TIMEOUT for `timeout` <= 0.
/// Safe to call from many threads and from message handlers.
#[unsafe(no_mangle)]
pub extern "C" fn natsConnection_Request(
    replyMsg: *mut *mut natsMsg,
    nc: *mut natsConnection,
    subj: *const c_char,
    data: *const c_void,
    dataLen: c_int,
    timeout: i64,
) -> natsStatus {
    guard("natsConnection_Request", || {
        check_reply_out(replyMsg)?;
        conn_of(nc)?;
        let s = subject_arg(subj)?;
        do_request(replyMsg, nc, s, None, data_arg(data as *const u8, dataLen)?, timeout)
    })
}

/// Request with a string payload (see `natsConnection_Request`).
#[unsafe(no_mangle)]
pub extern "C" fn natsConnection_RequestString(
    replyMsg: *mut *mut natsMsg,
    nc: *mut natsConnection,
    subj: *const c_char,
    str: *const c_char,
    timeout: i64,
) -> natsStatus {
    guard("natsConnection_RequestString", || {
        check_reply_out(replyMsg)?;
        conn_of(nc)?;
        let s = subject_arg(subj)?;
        do_request(replyMsg, nc, s, None, cbytes(str), timeout)
    })
}

/// Request with a message (its subject, headers and data; its reply subject is ignored).
#[unsafe(no_mangle)]
pub extern "C" fn natsConnection_RequestMsg(
    replyMsg: *mut *mut natsMsg,
    nc: *mut natsConnection,
    requestMsg: *mut natsMsg,
    timeout: i64,
) -> natsStatus {
    guard("natsConnection_RequestMsg", || {
        check_reply_out(replyMsg)?;
        conn_of(nc)?;
        let m = super::msg::body_arg(requestMsg, "requestMsg")?;
        let subj = std::str::from_utf8(m.subject()).map_err(|_| Error::new(natsStatus::NATS_INVALID_SUBJECT, "subject is not valid UTF-8"))?;
        do_request(replyMsg, nc, subj, m.headers(), m.data(), timeout)
    })
}
