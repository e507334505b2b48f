//! Reconnect support: the server pool with per-server attempt counts, and salvaging the
//! publishes that were buffered (or half written) when the socket broke.
#![forbid(unsafe_code)]

use std::time::Instant;

use crate::proto::url::ServerUrl;

/// One server of the pool.
#[derive(Debug, Clone)]
pub struct PoolEntry {
    pub url: ServerUrl,
    /// Learned from the cluster (INFO connect_urls), not configured.
    pub discovered: bool,
    /// Reconnect attempts made to this server since it was last connected.
    pub attempts: i32,
    pub last_attempt: Option<Instant>,
}

impl PoolEntry {
    pub fn new(url: ServerUrl, discovered: bool) -> PoolEntry {
        PoolEntry { url, discovered, attempts: 0, last_attempt: None }
    }

    pub fn same_server(&self, other: &ServerUrl) -> bool {
        self.url.host.eq_ignore_ascii_case(&other.host) && self.url.port == other.port
    }
}

/// Adds `url` unless the pool already has that server; true when added.
pub fn add_discovered(pool: &mut Vec<PoolEntry>, url: ServerUrl) -> bool {
    if pool.iter().any(|p| p.same_server(&url)) {
        return false;
    }
    pool.push(PoolEntry::new(url, true));
    true
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Frame {
    Publish,
    Other,
}

/// Length and kind of the client frame at the start of `buf` (our own encoding), or `None`
/// when `buf` does not hold a whole frame.
fn frame_at(buf: &[u8]) -> Option<(usize, Frame)> {
    let eol = buf.windows(2).position(|w| w == b"\r\n")?;
    let line = &buf[..eol];
    let head = eol + 2;
    let mut words = line.split(|&b| b == b' ').filter(|w| !w.is_empty());
    let op = words.next()?;
    let num = |w: &[u8]| std::str::from_utf8(w).ok()?.parse::<usize>().ok();
    match op {
        b"PUB" => {
            let len = num(line.rsplit(|&b| b == b' ').next()?)?;
            let total = head + len + 2;
            (buf.len() >= total).then_some((total, Frame::Publish))
        }
        b"HPUB" => {
            let len = num(line.rsplit(|&b| b == b' ').next()?)?;
            let total = head + len + 2;
            (buf.len() >= total).then_some((total, Frame::Publish))
        }
        _ => Some((head, Frame::Other)),
    }
}

/// Appends to `dst` the publish frames of `src`, starting with the frame that contains byte
/// `from` (a frame that was half written is sent again whole). SUB/UNSUB/PING/PONG frames are
/// dropped: subscriptions are re-sent from the connection's table and flushes are failed.
pub fn keep_publishes(src: &[u8], from: usize, dst: &mut Vec<u8>) {
    let mut at = 0;
    while at < src.len() {
        let Some((len, kind)) = frame_at(&src[at..]) else { break };
        let end = at + len;
        if end > from && kind == Frame::Publish {
            dst.extend_from_slice(&src[at..end]);
        }
        at = end;
    }
}

/// A jitter in `[0, max_ms]` milliseconds.
pub fn jitter(max_ms: i64) -> u64 {
    if max_ms <= 0 {
        return 0;
    }
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(max_ms as u64);
    h.finish() % (max_ms as u64 + 1)
}

use std::sync::mpsc::RecvTimeoutError;
use std::time::Duration;

use super::handshake::{establish, Established};
use super::callbacks::Event;
use super::shared::Shared;
use crate::status::{natsStatus, Error};

/// Sleeps until `until` unless Close is requested meanwhile (returns false then).
fn pause(shared: &Shared, until: Instant) -> bool {
    let mut st = shared.lock();
    loop {
        if st.closing {
            return false;
        }
        let now = Instant::now();
        if now >= until {
            return true;
        }
        st = shared.cond.wait_timeout(st, until - now).unwrap_or_else(|p| p.into_inner()).0;
    }
}

/// The custom reconnect delay, asked on the callback thread (user code never runs on the
/// event loop). Waits for the answer while watching for Close: `None` when Close came first.
/// A callback that could not run (the connection was destroyed, or it panicked) means no
/// extra wait.
fn ask_reconnect_delay(shared: &Shared, attempts: i32) -> Option<u64> {
    let (tx, rx) = std::sync::mpsc::channel();
    shared.post(Event::ReconnectDelay { attempts, reply: tx });
    loop {
        match rx.recv_timeout(Duration::from_millis(10)) {
            Ok(ms) => return Some(ms.max(0) as u64),
            Err(RecvTimeoutError::Disconnected) => return (!shared.lock().closing).then_some(0),
            Err(RecvTimeoutError::Timeout) => {
                if shared.lock().closing {
                    return None;
                }
            }
        }
    }
}

/// Tries the servers of the pool in turn, starting after the one just lost, waiting
/// ReconnectWait (+ jitter, or the custom delay after each pass) between attempts to the same
/// server; a server that used up MaxReconnect attempts leaves the pool. `Err(None)` when Close
/// interrupted; `Err(Some(e))` when no server is left.
pub fn reconnect_phase(shared: &Shared) -> Result<(Established, ServerUrl), Option<Error>> {
    let opts = &shared.opts;
    let tls = { shared.lock().url.as_ref().is_some_and(|u| u.is_tls()) };
    let jitter_max = if tls { opts.reconnect_jitter_tls_ms } else { opts.reconnect_jitter_ms };
    let wait = Duration::from_millis(opts.reconnect_wait_ms.max(0) as u64);
    // Start after the server we were connected to (it goes last).
    let mut idx = {
        let st = shared.lock();
        match &st.url {
            Some(cur) => st.pool.iter().position(|p| p.same_server(cur)).map_or(0, |i| i + 1),
            None => 0,
        }
    };
    let mut total_attempts: i32 = 0;
    let mut last_err: Option<Error> = None;
    loop {
        let (url, delay_until) = {
            let mut st = shared.lock();
            if st.closing {
                return Err(None);
            }
            if st.pool.is_empty() {
                let e = last_err.unwrap_or_else(|| Error::new(natsStatus::NATS_NO_SERVER, "no server available"));
                return Err(Some(Error::new(natsStatus::NATS_NO_SERVER, format!("reconnect failed: {}", e.text))));
            }
            if idx >= st.pool.len() {
                idx = 0;
            }
            let e = &mut st.pool[idx];
            let until = match e.last_attempt {
                Some(t) if opts.callbacks.reconnect_delay.is_none() => {
                    Some(t + wait + Duration::from_millis(jitter(jitter_max)))
                }
                _ => None,
            };
            e.attempts += 1;
            (e.url.clone(), until)
        };
        // A custom delay replaces ReconnectWait: asked after each pass over the whole pool.
        if opts.callbacks.reconnect_delay.is_some() {
            let n = shared.lock().pool.len().max(1) as i32;
            if total_attempts > 0 && total_attempts % n == 0 {
                let Some(ms) = ask_reconnect_delay(shared, total_attempts) else {
                    return Err(None);
                };
                if !pause(shared, Instant::now() + Duration::from_millis(ms)) {
                    return Err(None);
                }
            }
        }
        if let Some(t) = delay_until {
            if !pause(shared, t) {
                return Err(None);
            }
        }
        total_attempts += 1;
        let result = establish(&url, opts);
        let mut st = shared.lock();
        if let Some(e) = st.pool.get_mut(idx) {
            e.last_attempt = Some(Instant::now());
        }
        match result {
            Ok(est) => {
                if let Some(e) = st.pool.get_mut(idx) {
                    e.attempts = 0;
                }
                st.url = Some(url.clone());
                st.info = est.info.clone();
                st.local = est.local;
                st.learn_servers(opts.ignore_discovered_servers);
                return Ok((est, url));
            }
            Err(e) => {
                if st.closing {
                    return Err(None);
                }
                let exhausted = opts.max_reconnect >= 0 && st.pool.get(idx).is_some_and(|p| p.attempts >= opts.max_reconnect);
                if exhausted {
                    st.pool.remove(idx);
                } else {
                    idx += 1;
                }
                last_err = Some(e);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_whole_publishes_only() {
        let mut src = Vec::new();
        src.extend_from_slice(b"PUB a 3\r\nabc\r\n");
        src.extend_from_slice(b"SUB x 1\r\n");
        src.extend_from_slice(b"PING\r\n");
        src.extend_from_slice(b"PUB b r 5\r\nx\r\nyz\r\n");
        src.extend_from_slice(b"HPUB c 12 14\r\nNATS/1.0\r\n\r\nhi\r\n");
        src.extend_from_slice(b"UNSUB 1\r\n");
        let mut all = Vec::new();
        keep_publishes(&src, 0, &mut all);
        assert_eq!(all, b"PUB a 3\r\nabc\r\nPUB b r 5\r\nx\r\nyz\r\nHPUB c 12 14\r\nNATS/1.0\r\n\r\nhi\r\n");
        // Written up to the middle of the second publish: it is kept whole, the first is not.
        let mid = b"PUB a 3\r\nabc\r\nSUB x 1\r\nPING\r\nPUB b".len();
        let mut rest = Vec::new();
        keep_publishes(&src, mid, &mut rest);
        assert_eq!(rest, b"PUB b r 5\r\nx\r\nyz\r\nHPUB c 12 14\r\nNATS/1.0\r\n\r\nhi\r\n");
        // Everything written: nothing to resend.
        let mut none = Vec::new();
        keep_publishes(&src, src.len(), &mut none);
        assert!(none.is_empty());
    }

    #[test]
    fn pool_dedup() {
        let u = crate::proto::url::parse_url("nats://127.0.0.1:4000").unwrap();
        let mut pool = vec![PoolEntry::new(u.clone(), false)];
        assert!(!add_discovered(&mut pool, u));
        assert!(add_discovered(&mut pool, crate::proto::url::parse_url("127.0.0.1:4001").unwrap()));
        assert_eq!(pool.len(), 2);
        assert!(jitter(10) <= 10);
        assert_eq!(jitter(0), 0);
    }
}
