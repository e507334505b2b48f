//! Client-to-server frames, appended to an output buffer.
//!
//! Every function reserves the exact size it needs once, then appends; nothing else is
//! allocated. Arguments are written as given: validating subjects is the caller's job
//! (see [`super::subject`]).
#![forbid(unsafe_code)]

use super::info::ConnectInfo;

pub const PING: &[u8] = b"PING\r\n";
pub const PONG: &[u8] = b"PONG\r\n";

const CRLF: &[u8] = b"\r\n";

/// Number of decimal digits of `n`.
fn digits(n: u64) -> usize {
    let mut d = 1;
    let mut n = n / 10;
    while n != 0 {
        d += 1;
        n /= 10;
    }
    d
}

fn put_num(out: &mut Vec<u8>, n: u64) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

fn opt_len(s: Option<&str>) -> usize {
    s.map_or(0, |s| s.len() + 1)
}

/// Exact number of bytes pub_frame would append (for max-payload/buffer checks).
pub fn pub_frame_len(subject: &str, reply: Option<&str>, payload_len: usize) -> usize {
    // "PUB " subject [" " reply] " " len "\r\n" payload "\r\n"
    4 + subject.len() + opt_len(reply) + 1 + digits(payload_len as u64) + 2 + payload_len + 2
}

/// Exact number of bytes hpub_frame would append.
pub fn hpub_frame_len(
    subject: &str,
    reply: Option<&str>,
    header_len: usize,
    payload_len: usize,
) -> usize {
    let total = header_len + payload_len;
    // "HPUB " subject [" " reply] " " hlen " " total "\r\n" header payload "\r\n"
    5 + subject.len()
        + opt_len(reply)
        + 1
        + digits(header_len as u64)
        + 1
        + digits(total as u64)
        + 2
        + total
        + 2
}

/// The end of the last PUB line written, `" <#bytes>\r\n"`, kept for the next one: a
/// publisher mostly sends the same size again, and then the line is one copy instead of a
/// number conversion and three appends.
pub struct LenLine {
    n: usize,
    line: [u8; 24],
    len: usize,
}

impl Default for LenLine {
    fn default() -> LenLine {
        let mut l = LenLine { n: 0, line: [0; 24], len: 0 };
        l.set(0);
        l
    }
}

impl LenLine {
    /// `" <n>\r\n"`.
    #[inline(always)]
    fn get(&mut self, n: usize) -> &[u8] {
        if n != self.n {
            self.set(n);
        }
        &self.line[..self.len]
    }

    #[cold]
    fn set(&mut self, n: usize) {
        let mut b = itoa::Buffer::new();
        let d = b.format(n).as_bytes();
        self.line[0] = b' ';
        self.line[1..1 + d.len()].copy_from_slice(d);
        self.line[1 + d.len()..3 + d.len()].copy_from_slice(CRLF);
        self.len = d.len() + 3;
        self.n = n;
    }
}

/// `PUB <subject> [reply] <#bytes>\r\n<payload>\r\n`
#[inline(always)]
pub fn pub_frame(out: &mut Vec<u8>, lens: &mut LenLine, subject: &str, reply: Option<&str>, payload: &[u8]) {
    out.reserve(pub_frame_len(subject, reply, payload.len()));
    out.extend_from_slice(b"PUB ");
    out.extend_from_slice(subject.as_bytes());
    if let Some(r) = reply {
        out.push(b' ');
        out.extend_from_slice(r.as_bytes());
    }
    out.extend_from_slice(lens.get(payload.len()));
    out.extend_from_slice(payload);
    out.extend_from_slice(CRLF);
}

/// `HPUB <subject> [reply] <#header bytes> <#total bytes>\r\n<header><payload>\r\n`
///
/// `header` is the complete header block, "NATS/1.0\r\n...\r\n\r\n".
pub fn hpub_frame(
    out: &mut Vec<u8>,
    subject: &str,
    reply: Option<&str>,
    header: &[u8],
    payload: &[u8],
) {
    out.reserve(hpub_frame_len(subject, reply, header.len(), payload.len()));
    out.extend_from_slice(b"HPUB ");
    out.extend_from_slice(subject.as_bytes());
    if let Some(r) = reply {
        out.push(b' ');
        out.extend_from_slice(r.as_bytes());
    }
    out.push(b' ');
    put_num(out, header.len() as u64);
    out.push(b' ');
    put_num(out, (header.len() + payload.len()) as u64);
    out.extend_from_slice(CRLF);
    out.extend_from_slice(header);
    out.extend_from_slice(payload);
    out.extend_from_slice(CRLF);
}

/// `SUB <subject> [queue] <sid>\r\n`
pub fn sub_frame(out: &mut Vec<u8>, subject: &str, queue: Option<&str>, sid: u64) {
    out.reserve(4 + subject.len() + opt_len(queue) + 1 + digits(sid) + 2);
    out.extend_from_slice(b"SUB ");
    out.extend_from_slice(subject.as_bytes());
    if let Some(q) = queue {
        out.push(b' ');
        out.extend_from_slice(q.as_bytes());
    }
    out.push(b' ');
    put_num(out, sid);
    out.extend_from_slice(CRLF);
}

/// `UNSUB <sid> [max]\r\n`
pub fn unsub_frame(out: &mut Vec<u8>, sid: u64, max: Option<u64>) {
    out.reserve(6 + digits(sid) + max.map_or(0, |m| 1 + digits(m)) + 2);
    out.extend_from_slice(b"UNSUB ");
    put_num(out, sid);
    if let Some(m) = max {
        out.push(b' ');
        put_num(out, m);
    }
    out.extend_from_slice(CRLF);
}

/// `CONNECT <json>\r\n`
pub fn connect_frame(out: &mut Vec<u8>, info: &ConnectInfo) {
    let start = out.len();
    out.extend_from_slice(b"CONNECT ");
    // Writing plain strings, numbers and booleans into a Vec cannot fail; should it
    // anyway, an empty object still makes a well-formed frame.
    if serde_json::to_writer(&mut *out, info).is_err() {
        out.truncate(start);
        out.extend_from_slice(b"CONNECT {}");
    }
    out.extend_from_slice(CRLF);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(v: &[u8]) -> &str {
        std::str::from_utf8(v).unwrap()
    }

    #[test]
    fn ping_pong() {
        assert_eq!(PING, b"PING\r\n");
        assert_eq!(PONG, b"PONG\r\n");
    }

    #[test]
    fn publish() {
        let mut out = Vec::new();
        pub_frame(&mut out, &mut LenLine::default(), "foo", None, b"hello");
        assert_eq!(text(&out), "PUB foo 5\r\nhello\r\n");
        assert_eq!(out.len(), pub_frame_len("foo", None, 5));

        out.clear();
        pub_frame(&mut out, &mut LenLine::default(), "foo.bar", Some("_INBOX.x"), b"");
        assert_eq!(text(&out), "PUB foo.bar _INBOX.x 0\r\n\r\n");
        assert_eq!(out.len(), pub_frame_len("foo.bar", Some("_INBOX.x"), 0));

        // Appends after what is there.
        let mut out = b"PING\r\n".to_vec();
        pub_frame(&mut out, &mut LenLine::default(), "a", None, b"\r\n\0");
        assert_eq!(&out[..], b"PING\r\nPUB a 3\r\n\r\n\0\r\n");
    }

    #[test]
    fn publish_length_is_exact() {
        for n in [
            0usize, 1, 9, 10, 11, 99, 100, 999, 1000, 65535, 1_048_576, 10_000_000,
        ] {
            for reply in [None, Some("r"), Some("_INBOX.abcdef")] {
                let payload = vec![b'x'; n.min(70_000)];
                let expected = pub_frame_len("sub.j", reply, payload.len());
                let mut out = Vec::with_capacity(expected);
                pub_frame(&mut out, &mut LenLine::default(), "sub.j", reply, &payload);
                assert_eq!(out.len(), expected);
                assert_eq!(out.capacity(), expected, "no growth past the computed size");
            }
            let len = pub_frame_len("s", None, n);
            assert_eq!(len, "PUB s \r\n".len() + n.to_string().len() + n + 2);
        }
    }

    #[test]
    fn publish_with_headers() {
        let hdr = b"NATS/1.0\r\nA: B\r\n\r\n";
        let mut out = Vec::new();
        hpub_frame(&mut out, "foo", None, hdr, b"hi");
        assert_eq!(
            text(&out),
            "HPUB foo 18 20\r\nNATS/1.0\r\nA: B\r\n\r\nhi\r\n"
        );
        assert_eq!(out.len(), hpub_frame_len("foo", None, hdr.len(), 2));

        out.clear();
        hpub_frame(&mut out, "foo", Some("bar"), hdr, b"");
        assert_eq!(
            text(&out),
            "HPUB foo bar 18 18\r\nNATS/1.0\r\nA: B\r\n\r\n\r\n"
        );
        assert_eq!(out.len(), hpub_frame_len("foo", Some("bar"), hdr.len(), 0));
    }

    #[test]
    fn subscribe() {
        let mut out = Vec::new();
        sub_frame(&mut out, "foo.*", None, 1);
        sub_frame(
            &mut out,
            "foo.>",
            Some("workers"),
            18_446_744_073_709_551_615,
        );
        assert_eq!(
            text(&out),
            "SUB foo.* 1\r\nSUB foo.> workers 18446744073709551615\r\n"
        );
    }

    #[test]
    fn unsubscribe() {
        let mut out = Vec::new();
        unsub_frame(&mut out, 7, None);
        unsub_frame(&mut out, 12, Some(100));
        unsub_frame(&mut out, 3, Some(0));
        assert_eq!(text(&out), "UNSUB 7\r\nUNSUB 12 100\r\nUNSUB 3 0\r\n");
    }

    #[test]
    fn connect() {
        let info = ConnectInfo {
            verbose: false,
            pedantic: false,
            tls_required: false,
            name: Some("app".into()),
            lang: "C".into(),
            version: "3.4.1".into(),
            protocol: 1,
            echo: true,
            headers: true,
            no_responders: true,
            ..Default::default()
        };
        let mut out = Vec::new();
        connect_frame(&mut out, &info);
        assert_eq!(
            text(&out),
            "CONNECT {\"verbose\":false,\"pedantic\":false,\"tls_required\":false,\"name\":\"app\",\
             \"lang\":\"C\",\"version\":\"3.4.1\",\"protocol\":1,\"echo\":true,\"headers\":true,\
             \"no_responders\":true}\r\n"
        );
    }

    /// One LenLine across publishes of changing sizes: each frame carries its own size.
    #[test]
    fn length_line_follows_the_size() {
        let mut lens = LenLine::default();
        for n in [0usize, 0, 5, 5, 128, 128, 127, 99_999, 100_000, 0, 1 << 20, 7] {
            let payload = vec![b'x'; n];
            let mut out = Vec::new();
            pub_frame(&mut out, &mut lens, "a.b", None, &payload);
            let mut want = format!("PUB a.b {n}\r\n").into_bytes();
            want.extend_from_slice(&payload);
            want.extend_from_slice(b"\r\n");
            assert!(out == want, "size {n}");
            assert_eq!(out.len(), pub_frame_len("a.b", None, n));
        }
        assert_eq!(lens.get(usize::MAX), format!(" {}\r\n", usize::MAX).as_bytes());
    }

    #[test]
    fn digit_counts() {
        for n in [0u64, 1, 9, 10, 99, 100, 12345, u64::MAX / 10, u64::MAX] {
            assert_eq!(digits(n), n.to_string().len());
        }
    }
}
