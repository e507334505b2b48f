//! The message type shared by the core and the C boundary.
//!
//! One allocation per message: subject, reply and data live in a single buffer, each followed
//! by a NUL byte, so the C accessors can hand out pointers without copying.
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
        let mut buf = Vec::with_capacity(subject.len() + reply_len + data.len() + 2);
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

    /// Bytes counted against pending limits (payload only, as nats.c).
    pub fn pending_size(&self) -> usize {
        self.data_len
    }
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
}
