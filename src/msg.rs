//! The message type shared by the core and the C boundary.
//!
//! A message is one boxed body ([`MsgBody`]) whose buffer holds subject, reply and data,
//! each followed by a NUL byte, so the C accessors can hand out pointers without copying.
//! The C handle (`natsMsg`) is that box itself: handing a message to C allocates nothing.
//!
//! Received messages are built on the event-loop thread and freed on the user's thread. The
//! bodies, with their buffers, go back through a small recycling pool (`pool`) instead of
//! the allocator, which would otherwise take its arena lock on both threads for every
//! message.
#![forbid(unsafe_code)]

use std::ffi::CStr;
use std::ops::{Deref, DerefMut};

use crate::proto::headers::Headers;

/// What a message holds; reached through [`Msg`] (or a C handle).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MsgBody {
    /// `subject \0 [reply \0] data \0`
    buf: Vec<u8>,
    subject_len: usize,
    /// Offset and length of the reply subject, if any.
    reply: Option<(usize, usize)>,
    data_off: usize,
    data_len: usize,
    /// Headers, when the message has any (HMSG, or set by the user).
    headers: Option<Box<Headers>>,
    /// Stream sequence and time (nanoseconds since the epoch, UTC) of a message fetched
    /// from a stream by js_GetMsg / js_GetLastMsg / js_DirectGetMsg; 0 otherwise.
    js_seq: u64,
    js_time: i64,
    /// JetStream: how the message is acknowledged and whether it was (see `js::ack`).
    pub js: JsMsgState,
}

/// The JetStream state of a message: set on messages delivered to a JetStream subscription
/// (the subscription's acknowledgement context, shared by its messages), empty otherwise.
#[derive(Clone, Debug, Default)]
pub struct JsMsgState {
    /// What acknowledging needs (the connection, the default wait).
    pub ack: Option<std::sync::Arc<crate::js::ack::AckContext>>,
    /// Acknowledged (or needs no acknowledgement: AckNone); later acks are no-ops.
    pub acked: bool,
    /// Lent to a message handler that must not free it (auto-ack frees it afterwards).
    pub no_destroy: bool,
}

impl JsMsgState {
    const NONE: JsMsgState = JsMsgState { ack: None, acked: false, no_destroy: false };
}

impl PartialEq for JsMsgState {
    fn eq(&self, o: &JsMsgState) -> bool {
        let same_ctx = match (&self.ack, &o.ack) {
            (Some(a), Some(b)) => std::sync::Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        };
        same_ctx && (self.acked, self.no_destroy) == (o.acked, o.no_destroy)
    }
}

impl Eq for JsMsgState {}

/// An empty body: the start of every new one, and what a message that gave its body away
/// (see `Msg::into_body`) shows, which cannot happen while it is in use; every accessor
/// works on it.
const EMPTY: MsgBody = MsgBody {
    buf: Vec::new(),
    subject_len: 0,
    reply: None,
    data_off: 0,
    data_len: 0,
    headers: None,
    js_seq: 0,
    js_time: 0,
    js: JsMsgState::NONE,
};
static NO_BODY: MsgBody = EMPTY;

/// A received or user-created message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Msg(Option<Box<MsgBody>>);

impl Msg {
    /// Builds a message from its parts (copies them once).
    pub fn new(subject: &[u8], reply: Option<&[u8]>, data: &[u8]) -> Msg {
        let reply_len = reply.map_or(0, |r| r.len() + 1);
        let mut body = pool::take(subject.len() + reply_len + data.len() + 2);
        let buf = &mut body.buf;
        buf.extend_from_slice(subject);
        buf.push(0);
        body.reply = reply.map(|r| {
            let off = buf.len();
            buf.extend_from_slice(r);
            buf.push(0);
            (off, r.len())
        });
        body.data_off = buf.len();
        buf.extend_from_slice(data);
        buf.push(0);
        body.subject_len = subject.len();
        body.data_len = data.len();
        Msg(Some(body))
    }

    /// The boxed body, for the C boundary, where it is the message's handle.
    pub fn into_body(mut self) -> Box<MsgBody> {
        self.0.take().unwrap_or_else(|| Box::new(EMPTY))
    }

    /// The message of a body that `into_body` gave out.
    pub fn from_body(body: Box<MsgBody>) -> Msg {
        Msg(Some(body))
    }
}

impl Deref for Msg {
    type Target = MsgBody;

    fn deref(&self) -> &MsgBody {
        self.0.as_deref().unwrap_or(&NO_BODY)
    }
}

impl DerefMut for Msg {
    fn deref_mut(&mut self) -> &mut MsgBody {
        self.0.get_or_insert_with(|| Box::new(EMPTY))
    }
}

impl Drop for Msg {
    fn drop(&mut self) {
        if let Some(body) = self.0.take() {
            pool::give(body);
        }
    }
}

impl MsgBody {
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

    /// The stream sequence of a message fetched from a stream (0 for other messages).
    pub fn js_seq(&self) -> u64 {
        self.js_seq
    }

    /// The stream time of a message fetched from a stream, in nanoseconds since the
    /// epoch, UTC (0 for other messages).
    pub fn js_time(&self) -> i64 {
        self.js_time
    }

    /// Records where a message fetched from a stream was stored.
    pub fn set_js_seq_time(&mut self, seq: u64, time: i64) {
        self.js_seq = seq;
        self.js_time = time;
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
        self.buf.get(self.data_off..=self.data_off + self.data_len).unwrap_or(b"\0")
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

/// Recycles message bodies between the thread that frees them and the thread that builds
/// the next ones, in batches: one lock per BATCH bodies on each side. The memory it holds
/// is bounded: at most POOL_BYTES of bodies and their buffers in the shared pool, plus two
/// lists of at most BATCH bodies per thread that frees or builds messages (70 KiB at most),
/// plus at most BATCH emptied lists (8 KiB); only bodies whose buffer holds at most
/// MAX_CAP bytes are kept. In a steady stream nothing is allocated per message.
mod pool {
    // The boxes are the point: a message's box is its C handle, and it is what gets reused.
    #![allow(clippy::vec_box)]

    use std::cell::RefCell;
    use std::sync::{Mutex, MutexGuard};

    use super::MsgBody;

    const BATCH: usize = 32;
    /// Larger messages are rare enough, and cost enough to copy, that the allocator is fine.
    const MAX_CAP: usize = 1024;
    /// Enough to cover a subscriber's queue swinging by tens of thousands of small messages.
    const POOL_BYTES: usize = 4 * 1024 * 1024;

    type Batch = (Vec<Box<MsgBody>>, usize);

    struct Shared {
        /// Full batches, each with the bytes its bodies hold.
        batches: Vec<Batch>,
        bytes: usize,
        /// Emptied batch lists (at most BATCH of them), so that moving bodies between
        /// threads allocates nothing either.
        lists: Vec<Vec<Box<MsgBody>>>,
    }

    static SHARED: Mutex<Shared> = Mutex::new(Shared { batches: Vec::new(), bytes: 0, lists: Vec::new() });

    thread_local! {
        /// Bodies this thread freed, until a batch is full, and the bytes they hold.
        static FREED: RefCell<Batch> = const { RefCell::new((Vec::new(), 0)) };
        /// A batch taken from the shared pool, for this thread's next messages.
        static SPARE: RefCell<Vec<Box<MsgBody>>> = const { RefCell::new(Vec::new()) };
    }

    fn shared() -> MutexGuard<'static, Shared> {
        SHARED.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The bytes a kept body holds.
    fn held(b: &MsgBody) -> usize {
        b.buf.capacity() + std::mem::size_of::<MsgBody>()
    }

    /// An empty body whose buffer has room for `cap` bytes: a recycled one when there is
    /// one (with its buffer when that fits without wasting much, at most 4x the need),
    /// else a new one.
    pub fn take(cap: usize) -> Box<MsgBody> {
        if cap <= MAX_CAP {
            let reused = SPARE.try_with(|s| {
                let mut s = s.borrow_mut();
                if s.is_empty() {
                    let mut sh = shared();
                    if let Some((batch, bytes)) = sh.batches.pop() {
                        sh.bytes -= bytes;
                        let emptied = std::mem::replace(&mut *s, batch);
                        if emptied.capacity() >= BATCH && sh.lists.len() < BATCH {
                            sh.lists.push(emptied);
                        }
                    }
                }
                s.pop()
            });
            if let Ok(Some(mut b)) = reused {
                let have = b.buf.capacity();
                if have >= cap && have <= 4 * cap + 64 {
                    b.buf.clear();
                } else {
                    b.buf = Vec::with_capacity(cap);
                }
                return b;
            }
        }
        Box::new(MsgBody { buf: Vec::with_capacity(cap), ..super::EMPTY })
    }

    /// Takes back the body of a message that is no longer used.
    pub fn give(mut b: Box<MsgBody>) {
        let cap = b.buf.capacity();
        if cap == 0 || cap > MAX_CAP {
            return;
        }
        b.headers = None;
        b.js_seq = 0;
        b.js_time = 0;
        b.js = super::JsMsgState::NONE;
        let bytes = held(&b);
        let _ = FREED.try_with(|f| {
            let mut f = f.borrow_mut();
            if f.0.capacity() == 0 {
                f.0.reserve_exact(BATCH);
            }
            f.0.push(b);
            f.1 += bytes;
            if f.0.len() >= BATCH {
                let mut sh = shared();
                let list = sh.lists.pop().unwrap_or_else(|| Vec::with_capacity(BATCH));
                let full = std::mem::replace(&mut *f, (list, 0));
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
    fn a_body_given_out_comes_back_whole() {
        let mut m = Msg::new(b"foo", Some(b"bar"), b"data");
        m.headers_mut().set("k", "v").unwrap();
        let b = m.into_body();
        let at = &*b as *const MsgBody;
        let m = Msg::from_body(b);
        assert_eq!(&*m as *const MsgBody, at);
        assert_eq!((m.subject(), m.reply(), m.data()), (&b"foo"[..], Some(&b"bar"[..]), &b"data"[..]));
        assert_eq!(m.headers().and_then(|h| h.get("k")).map(|v| v.to_bytes()), Some(&b"v"[..]));
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
