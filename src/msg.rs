//! The message type shared by the core and the C boundary.
//!
//! One allocation per message: subject, reply and data live in a single buffer, each followed
//! by a NUL byte, so the C accessors can hand out pointers without copying.
//!
//! Received messages are built on the event-loop thread and freed on the user's thread. The
//! buffers go back through a small recycling pool (`pool`) instead of the allocator, which
//! would otherwise take its arena lock on both threads for every message.
#![forbid(unsafe_code)]

use std::ffi::CStr;

use crate::proto::headers::Headers;

/// A received or user-created message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Msg {
    /// `subject \0 [reply \0] data \0`
    buf: Vec<u8>,
    subject_len: usize,
    /// Offset and length of the reply subject, if any.
    reply: Option<(usize, usize)>,
    data_off: usize,
    data_len: usize,
    /// Subscription id this message was delivered for (0 for user-created messages).
    pub sid: u64,
    /// Headers, when the message has any (HMSG, or set by the user).
    headers: Option<Box<Headers>>,
}

impl Msg {
    /// Builds a message from its parts (copies them once).
    pub fn new(subject: &[u8], reply: Option<&[u8]>, data: &[u8]) -> Msg {
        let reply_len = reply.map_or(0, |r| r.len() + 1);
        let mut buf = pool::take(subject.len() + reply_len + data.len() + 2);
        buf.extend_from_slice(subject);
        buf.push(0);
        let reply = reply.map(|r| {
            let off = buf.len();
            buf.extend_from_slice(r);
            buf.push(0);
            (off, r.len())
        });
        let data_off = buf.len();
        buf.extend_from_slice(data);
        buf.push(0);
        Msg { buf, subject_len: subject.len(), reply, data_off, data_len: data.len(), sid: 0, headers: None }
    }

    pub fn headers(&self) -> Option<&Headers> {
        self.headers.as_deref()
    }

    /// The headers, created empty when the message has none.
    pub fn headers_mut(&mut self) -> &mut Headers {
        self.headers.get_or_insert_with(Default::default)
    }

    pub fn set_headers(&mut self, h: Option<Headers>) {
        self.headers = h.map(Box::new);
    }

    /// True for the server's "no responders" answer: status 503 and no payload.
    pub fn is_no_responders(&self) -> bool {
        self.data_len == 0 && self.headers().and_then(|h| h.status()) == Some(503)
    }

    /// The subject, NUL-terminated.
    pub fn subject_cstr(&self) -> &CStr {
        CStr::from_bytes_until_nul(&self.buf).unwrap_or(c"")
    }

    pub fn subject(&self) -> &[u8] {
        &self.buf[..self.subject_len]
    }

    /// The reply subject, NUL-terminated, if any.
    pub fn reply_cstr(&self) -> Option<&CStr> {
        self.reply.map(|(off, _)| CStr::from_bytes_until_nul(&self.buf[off..]).unwrap_or(c""))
    }

    pub fn reply(&self) -> Option<&[u8]> {
        self.reply.map(|(off, len)| &self.buf[off..off + len])
    }

    /// The payload; the byte after it is always NUL.
    pub fn data(&self) -> &[u8] {
        &self.buf[self.data_off..self.data_off + self.data_len]
    }

    /// The payload followed by its NUL terminator.
    pub fn data_with_nul(&self) -> &[u8] {
        &self.buf[self.data_off..=self.data_off + self.data_len]
    }

    #[cfg(test)]
    fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// Bytes counted against pending limits (payload only, as nats.c).
    pub fn pending_size(&self) -> usize {
        self.data_len
    }
}

impl Drop for Msg {
    fn drop(&mut self) {
        pool::give(std::mem::take(&mut self.buf));
    }
}

/// Recycles message buffers between the thread that frees them and the thread that builds the
/// next ones, in batches: one lock per BATCH buffers on each side. The memory it holds is
/// bounded: at most POOL_BYTES of buffers in the shared pool, plus two lists of at most BATCH
/// buffers per thread that frees or builds messages (64 KiB at worst), and only buffers of at
/// most MAX_CAP bytes are kept.
mod pool {
    use std::cell::RefCell;
    use std::sync::{Mutex, MutexGuard};

    const BATCH: usize = 32;
    /// Larger messages are rare enough, and cost enough to copy, that the allocator is fine.
    const MAX_CAP: usize = 1024;
    /// Enough to cover a subscriber's queue swinging by tens of thousands of small messages.
    const POOL_BYTES: usize = 4 * 1024 * 1024;

    struct Shared {
        /// Full batches, each with the sum of its buffers' capacities.
        batches: Vec<(Vec<Vec<u8>>, usize)>,
        bytes: usize,
    }

    static SHARED: Mutex<Shared> = Mutex::new(Shared { batches: Vec::new(), bytes: 0 });

    thread_local! {
        /// Buffers this thread freed, until a batch is full, and their total capacity.
        static FREED: RefCell<(Vec<Vec<u8>>, usize)> = const { RefCell::new((Vec::new(), 0)) };
        /// A batch taken from the shared pool, for this thread's next messages.
        static SPARE: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
    }

    fn shared() -> MutexGuard<'static, Shared> {
        SHARED.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// An empty buffer with room for `cap` bytes: a recycled one when one fits without
    /// wasting much (at most 4x the need), else a new one.
    pub fn take(cap: usize) -> Vec<u8> {
        if cap <= MAX_CAP {
            let reused = SPARE.try_with(|s| {
                let mut s = s.borrow_mut();
                if s.is_empty() {
                    let mut sh = shared();
                    if let Some((batch, bytes)) = sh.batches.pop() {
                        sh.bytes -= bytes;
                        *s = batch;
                    }
                }
                s.pop()
            });
            if let Ok(Some(mut v)) = reused {
                if v.capacity() >= cap && v.capacity() <= 4 * cap + 64 {
                    v.clear();
                    return v;
                }
            }
        }
        Vec::with_capacity(cap)
    }

    /// Takes back a buffer that is no longer used.
    pub fn give(v: Vec<u8>) {
        let cap = v.capacity();
        if cap == 0 || cap > MAX_CAP {
            return;
        }
        let _ = FREED.try_with(|f| {
            let mut f = f.borrow_mut();
            if f.0.capacity() == 0 {
                f.0.reserve_exact(BATCH);
            }
            f.0.push(v);
            f.1 += cap;
            if f.0.len() >= BATCH {
                let full = std::mem::replace(&mut *f, (Vec::with_capacity(BATCH), 0));
                let mut sh = shared();
                if sh.bytes + full.1 <= POOL_BYTES {
                    sh.bytes += full.1;
                    sh.batches.push(full);
                }
            }
        });
    }

    #[cfg(test)]
    pub fn shared_bytes() -> usize {
        shared().bytes
    }

    #[cfg(test)]
    pub const LIMITS: (usize, usize, usize) = (BATCH, POOL_BYTES, MAX_CAP);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_round_trip() {
        let m = Msg::new(b"foo.bar", Some(b"_INBOX.x"), b"hello");
        assert_eq!(m.subject(), b"foo.bar");
        assert_eq!(m.subject_cstr().to_bytes(), b"foo.bar");
        assert_eq!(m.reply(), Some(&b"_INBOX.x"[..]));
        assert_eq!(m.reply_cstr().unwrap().to_bytes(), b"_INBOX.x");
        assert_eq!(m.data(), b"hello");
        assert_eq!(m.data_with_nul(), b"hello\0");
        let e = Msg::new(b"a", None, b"");
        assert!(e.reply().is_none());
        assert_eq!(e.data_with_nul(), b"\0");
    }

    #[test]
    fn buffers_recycle_across_threads_within_bounds() {
        let (batch, pool_bytes, max_cap) = pool::LIMITS;
        // Built here, freed on another thread: the buffers come back to this thread.
        let msgs: Vec<Msg> = (0..batch * 3).map(|i| Msg::new(b"a.b", None, &[i as u8; 100])).collect();
        let starts: Vec<usize> = msgs.iter().map(|m| m.subject().as_ptr() as usize).collect();
        std::thread::spawn(move || drop(msgs)).join().unwrap();
        let again: Vec<Msg> = (0..batch).map(|_| Msg::new(b"c", Some(b"r"), &[7; 60])).collect();
        // Other tests share the pool, so count how many came back rather than which. A
        // recycled buffer keeps its first capacity (3 + 1 + 100 + 1); a new one has 66.
        let reused = again
            .iter()
            .filter(|m| m.capacity() == 105 && starts.contains(&(m.subject().as_ptr() as usize)))
            .count();
        assert!(reused > 0, "no buffer was reused");
        for m in &again {
            assert_eq!(m.subject(), b"c");
            assert_eq!(m.reply(), Some(&b"r"[..]));
            assert_eq!(m.data(), &[7; 60][..]);
            assert_eq!(m.data_with_nul().last(), Some(&0));
            assert!(m.capacity() >= 66 && m.capacity() <= 4 * 66 + 64, "capacity {}", m.capacity());
        }
        // Far more freed buffers than the pool keeps: it stays bounded.
        let many: Vec<Msg> = (0..2 * pool_bytes / 1000).map(|_| Msg::new(b"a", None, &[0; 1000])).collect();
        std::thread::spawn(move || drop(many)).join().unwrap();
        assert!(pool::shared_bytes() <= pool_bytes);
        assert!(pool::shared_bytes() > pool_bytes / 2);
        // A tiny message never gets a recycled buffer of over 4x its need.
        for _ in 0..batch * 2 {
            let m = Msg::new(b"a", None, b"x");
            assert!(m.capacity() <= 4 * 4 + 64, "capacity {}", m.capacity());
        }
        // Buffers over the size cap are not pooled.
        drop(Msg::new(b"a", None, &vec![1; max_cap * 2]));
        let m = Msg::new(b"a", None, &vec![1; max_cap + 100]);
        assert_eq!(m.data().len(), max_cap + 100);
    }
}
