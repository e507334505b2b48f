//! Incremental parser of the server-to-client byte stream.
//!
//! The parser is a small state machine fed with whatever chunks the socket returns.
//! Complete operations are handed to a [`ProtoHandler`]. When a whole message lies inside
//! the chunk passed to [`Parser::parse`], the handler receives slices of that chunk (no
//! copy); only an operation split across calls is copied into internal buffers, which are
//! reused from one message to the next.
#![forbid(unsafe_code)]

use std::fmt;

/// Default limit on the length of a control line (without its line ending).
pub const DEFAULT_MAX_CONTROL_LINE: usize = 4096;

/// Default limit on the size of a message (headers and payload), and on an INFO line.
pub const DEFAULT_MAX_PAYLOAD: usize = 64 * 1024 * 1024;

/// Internal buffers grown above these sizes are released after use instead of kept.
const KEEP_BODY_CAPACITY: usize = 1024 * 1024;
const KEEP_LINE_CAPACITY: usize = 64 * 1024;

/// A message as received: every field borrows from the parser input or its buffers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MsgView<'a> {
    pub subject: &'a [u8],
    pub sid: u64,
    pub reply: Option<&'a [u8]>,
    /// For HMSG: the whole header block as received ("NATS/1.0...\r\n...\r\n\r\n"), else None.
    /// An HMSG announcing zero header bytes is reported with `None` as well.
    pub header: Option<&'a [u8]>,
    pub payload: &'a [u8],
}

/// Receiver of the operations decoded by [`Parser::parse`].
pub trait ProtoHandler {
    fn on_info(&mut self, json: &str);
    fn on_msg(&mut self, msg: MsgView<'_>);
    fn on_ping(&mut self);
    fn on_pong(&mut self);
    fn on_ok(&mut self);
    /// Text of -ERR with surrounding spaces and single quotes removed.
    fn on_err(&mut self, text: &str);
}

/// Why the byte stream could not be parsed. The connection should be closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProtoError {
    /// A control line is longer than the configured maximum.
    LineTooLong,
    /// Anything else that does not follow the protocol; the text says what.
    Malformed(String),
}

impl fmt::Display for ProtoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProtoError::LineTooLong => f.write_str("protocol control line too long"),
            ProtoError::Malformed(text) => write!(f, "protocol error: {text}"),
        }
    }
}

impl std::error::Error for ProtoError {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Expecting a control line, or the rest of the one kept in `Parser::line`.
    Line,
    /// Copying the body of a message split across calls; `remaining` bytes still to come.
    Body { remaining: usize },
    /// The body is complete; waiting for its line ending (`cr`: the '\r' was seen).
    Trailer { cr: bool },
}

/// Arguments of the message being copied into `Parser::body`.
///
/// `body` holds the subject, then the reply subject (if any), then the headers and payload.
#[derive(Debug, Clone, Copy, Default)]
struct Pending {
    sid: u64,
    subject_len: usize,
    reply_len: Option<usize>,
    header_len: Option<usize>,
}

/// Arguments of a MSG or HMSG control line.
struct MsgArgs<'l> {
    subject: &'l [u8],
    sid: u64,
    reply: Option<&'l [u8]>,
    header_len: Option<usize>,
    total: usize,
}

/// The protocol parser. One per connection; see the module documentation.
#[derive(Debug)]
pub struct Parser {
    max_line: usize,
    max_payload: usize,
    state: State,
    /// Start of a control line whose end has not arrived yet.
    line: Vec<u8>,
    /// Message split across calls (see [`Pending`]).
    body: Vec<u8>,
    pending: Pending,
}

impl Default for Parser {
    fn default() -> Parser {
        Parser::new()
    }
}

impl Parser {
    /// A parser with a 4096-byte control line limit and a 64 MiB message limit.
    pub fn new() -> Parser {
        Parser {
            max_line: DEFAULT_MAX_CONTROL_LINE,
            max_payload: DEFAULT_MAX_PAYLOAD,
            state: State::Line,
            line: Vec::new(),
            body: Vec::new(),
            pending: Pending::default(),
        }
    }

    /// Longest accepted control line, line ending excluded. INFO lines, which carry the
    /// list of cluster URLs and may be long, are bounded by the larger of this limit and
    /// the maximum payload instead.
    pub fn set_max_control_line(&mut self, n: usize) {
        self.max_line = n;
    }

    /// Largest accepted message: a MSG or HMSG announcing more bytes is an error.
    pub fn set_max_payload(&mut self, n: usize) {
        self.max_payload = n;
    }

    /// Forgets any partially received operation (for a new connection).
    pub fn reset(&mut self) {
        self.state = State::Line;
        self.line.clear();
        self.body.clear();
        self.pending = Pending::default();
    }

    /// Feed any chunk of the byte stream; calls the handler for each complete op.
    pub fn parse<H: ProtoHandler>(&mut self, data: &[u8], h: &mut H) -> Result<(), ProtoError> {
        let mut pos = 0;
        while pos < data.len() {
            match self.state {
                State::Line => {
                    let rest = &data[pos..];
                    // Nearly every line is a MSG or HMSG as servers write it: one pass over it.
                    if self.line.is_empty() {
                        if let Some((a, len)) = fast_msg_line(rest, self.max_line, self.max_payload) {
                            pos = self.start_msg(a, data, pos + len, h)?;
                            continue;
                        }
                    }
                    let Some(n) = find_newline(rest) else {
                        // Keep the incomplete line for the next call.
                        self.line.extend_from_slice(rest);
                        self.check_partial_line()?;
                        return Ok(());
                    };
                    pos += n + 1;
                    if self.line.is_empty() {
                        pos = self.control_line(&rest[..n], data, pos, h)?;
                    } else {
                        self.line.extend_from_slice(&rest[..n]);
                        let line = std::mem::take(&mut self.line);
                        let res = self.control_line(&line, data, pos, h);
                        self.line = line;
                        if self.line.capacity() > KEEP_LINE_CAPACITY {
                            self.line = Vec::new();
                        } else {
                            self.line.clear();
                        }
                        pos = res?;
                    }
                }
                State::Body { remaining } => {
                    let take = remaining.min(data.len() - pos);
                    self.body.extend_from_slice(&data[pos..pos + take]);
                    pos += take;
                    self.state = if take == remaining {
                        State::Trailer { cr: false }
                    } else {
                        State::Body {
                            remaining: remaining - take,
                        }
                    };
                }
                State::Trailer { cr } => {
                    let b = data[pos];
                    pos += 1;
                    match b {
                        b'\n' => self.deliver_pending(h),
                        b'\r' if !cr => self.state = State::Trailer { cr: true },
                        _ => return Err(bad_trailer()),
                    }
                }
            }
        }
        Ok(())
    }

    /// Limit for a control line starting with `op`.
    fn line_limit(&self, op: &[u8]) -> usize {
        if op.eq_ignore_ascii_case(b"INFO") {
            self.max_line.max(self.max_payload)
        } else {
            self.max_line
        }
    }

    /// Fails early on an unfinished control line that can only end up too long.
    fn check_partial_line(&self) -> Result<(), ProtoError> {
        // Until four bytes are known, the operation (and so the limit) is not.
        if self.line.len() < 4 {
            return Ok(());
        }
        // One more byte is allowed: it may be the '\r' of the line ending.
        let limit = self.line_limit(&self.line[..4]).saturating_add(1);
        if self.line.len() > limit {
            return Err(ProtoError::LineTooLong);
        }
        Ok(())
    }

    /// Handles one control line (without its '\n'); `data[pos..]` is what follows it.
    /// Returns the position after everything consumed.
    fn control_line<H: ProtoHandler>(
        &mut self,
        raw: &[u8],
        data: &[u8],
        pos: usize,
        h: &mut H,
    ) -> Result<usize, ProtoError> {
        let line = raw.strip_suffix(b"\r").unwrap_or(raw);
        let op_end = line.iter().position(|&b| is_space(b)).unwrap_or(line.len());
        let (op, args) = line.split_at(op_end);
        if line.len() > self.line_limit(if op.len() >= 4 { &op[..4] } else { op }) {
            return Err(ProtoError::LineTooLong);
        }
        if op.eq_ignore_ascii_case(b"MSG") {
            let a = self.msg_args(args, false, line)?;
            return self.start_msg(a, data, pos, h);
        }
        if op.eq_ignore_ascii_case(b"HMSG") {
            let a = self.msg_args(args, true, line)?;
            return self.start_msg(a, data, pos, h);
        }
        if op.eq_ignore_ascii_case(b"PING") {
            no_args(args, line)?;
            h.on_ping();
        } else if op.eq_ignore_ascii_case(b"PONG") {
            no_args(args, line)?;
            h.on_pong();
        } else if op.eq_ignore_ascii_case(b"+OK") {
            no_args(args, line)?;
            h.on_ok();
        } else if op.eq_ignore_ascii_case(b"-ERR") {
            let text = trim_bytes(args, |b| is_space(b) || b == b'\'');
            h.on_err(&String::from_utf8_lossy(text));
        } else if op.eq_ignore_ascii_case(b"INFO") {
            let json = trim_bytes(args, is_space);
            if json.is_empty() {
                return Err(malformed("INFO without a JSON argument", line));
            }
            let json = std::str::from_utf8(json)
                .map_err(|_| malformed("INFO argument is not UTF-8", line))?;
            h.on_info(json);
        } else {
            return Err(malformed("unknown protocol operation", line));
        }
        Ok(pos)
    }

    /// Parses the arguments of MSG (`hmsg` false) or HMSG.
    fn msg_args<'l>(
        &self,
        args: &'l [u8],
        hmsg: bool,
        line: &[u8],
    ) -> Result<MsgArgs<'l>, ProtoError> {
        let mut tok: [&[u8]; 5] = [&[]; 5];
        let Some(n) = split_args(args, &mut tok) else {
            return Err(malformed("too many arguments", line));
        };
        msg_fields(&tok[..n], hmsg, self.max_payload, line)
    }

    /// Delivers the message whose body starts at `data[pos]` if it is all there, or
    /// starts copying it. Returns the position after what was consumed.
    fn start_msg<H: ProtoHandler>(
        &mut self,
        a: MsgArgs<'_>,
        data: &[u8],
        pos: usize,
        h: &mut H,
    ) -> Result<usize, ProtoError> {
        let avail = &data[pos..];
        let end = a.total;
        if avail.len() > end {
            // The body is here; check its line ending without copying anything.
            let used = match (avail[end], avail.get(end + 1)) {
                (b'\n', _) => Some(1),
                (b'\r', Some(b'\n')) => Some(2),
                (b'\r', None) => None,
                _ => return Err(bad_trailer()),
            };
            if let Some(used) = used {
                h.on_msg(view(a.subject, a.sid, a.reply, a.header_len, &avail[..end]));
                return Ok(pos + end + used);
            }
        }
        // Split across calls: copy what is here and wait for the rest.
        self.body.clear();
        let reply = a.reply.unwrap_or(&[]);
        self.body.reserve(a.subject.len() + reply.len() + a.total);
        self.body.extend_from_slice(a.subject);
        self.body.extend_from_slice(reply);
        self.pending = Pending {
            sid: a.sid,
            subject_len: a.subject.len(),
            reply_len: a.reply.map(<[u8]>::len),
            header_len: a.header_len,
        };
        let take = avail.len().min(a.total);
        self.body.extend_from_slice(&avail[..take]);
        self.state = if take == a.total {
            State::Trailer { cr: false }
        } else {
            State::Body {
                remaining: a.total - take,
            }
        };
        Ok(pos + take)
    }

    /// Hands the copied message to the handler and gets ready for the next line.
    fn deliver_pending<H: ProtoHandler>(&mut self, h: &mut H) {
        let p = self.pending;
        let (subject, rest) = self.body.split_at(p.subject_len);
        let (reply, content) = match p.reply_len {
            Some(n) => {
                let (r, c) = rest.split_at(n);
                (Some(r), c)
            }
            None => (None, rest),
        };
        h.on_msg(view(subject, p.sid, reply, p.header_len, content));
        if self.body.capacity() > KEEP_BODY_CAPACITY {
            self.body = Vec::new();
        } else {
            self.body.clear();
        }
        self.state = State::Line;
    }
}

fn view<'a>(
    subject: &'a [u8],
    sid: u64,
    reply: Option<&'a [u8]>,
    header_len: Option<usize>,
    content: &'a [u8],
) -> MsgView<'a> {
    let (header, payload) = match header_len {
        Some(n) if n > 0 => {
            let (hdr, pl) = content.split_at(n);
            (Some(hdr), pl)
        }
        _ => (None, content),
    };
    MsgView {
        subject,
        sid,
        reply,
        header,
        payload,
    }
}

fn is_space(b: u8) -> bool {
    b == b' ' || b == b'\t' || b == b'\r'
}

fn trim_bytes(s: &[u8], strip: impl Fn(u8) -> bool) -> &[u8] {
    let start = s.iter().position(|&b| !strip(b)).unwrap_or(s.len());
    let end = s.iter().rposition(|&b| !strip(b)).map_or(start, |i| i + 1);
    &s[start..end]
}

/// Splits `s` on runs of blanks into `out`; `None` when there are more tokens than slots.
fn split_args<'a>(s: &'a [u8], out: &mut [&'a [u8]; 5]) -> Option<usize> {
    let mut n = 0;
    let mut i = 0;
    while i < s.len() {
        if is_space(s[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < s.len() && !is_space(s[i]) {
            i += 1;
        }
        *out.get_mut(n)? = &s[start..i];
        n += 1;
    }
    Some(n)
}

/// The arguments of MSG (`hmsg` false) or HMSG from its fields; `line` is quoted in errors.
#[inline(always)]
fn msg_fields<'l>(tok: &[&'l [u8]], hmsg: bool, max_payload: usize, line: &[u8]) -> Result<MsgArgs<'l>, ProtoError> {
    let (subject, sid, reply, hdr, total) = match (hmsg, tok) {
        (false, &[subject, sid, total]) => (subject, sid, None, None, total),
        (false, &[subject, sid, reply, total]) => (subject, sid, Some(reply), None, total),
        (true, &[subject, sid, hdr, total]) => (subject, sid, None, Some(hdr), total),
        (true, &[subject, sid, reply, hdr, total]) => (subject, sid, Some(reply), Some(hdr), total),
        _ => return Err(malformed("wrong number of arguments", line)),
    };
    let sid = parse_u64(sid).ok_or_else(|| malformed("invalid subscription id", line))?;
    let total = parse_u64(total).ok_or_else(|| malformed("invalid message size", line))?;
    if total > max_payload as u64 {
        return Err(ProtoError::Malformed(format!(
            "message of {total} bytes exceeds the maximum of {max_payload} bytes"
        )));
    }
    // The size fits in usize: it is at most max_payload.
    let total = total as usize;
    let header_len = match hdr {
        None => None,
        Some(t) => {
            let hl = parse_u64(t).ok_or_else(|| malformed("invalid header size", line))?;
            if hl > total as u64 {
                return Err(malformed("header size larger than message size", line));
            }
            Some(hl as usize)
        }
    };
    Ok(MsgArgs {
        subject,
        sid,
        reply,
        header_len,
        total,
    })
}

/// A whole MSG or HMSG line at the start of `s` as servers write it: the operation in
/// capitals, fields separated by single spaces, ended by CRLF or LF, within the line limit.
/// Its fields are split in one pass over its bytes and read by `msg_fields`, as the general
/// parse does. Returns the arguments and the length of the line with its ending. None for
/// anything else (and for a line that does not end within `s`, or that `msg_fields`
/// refuses), which the general path then parses and words the error of: for every line
/// this accepts, both give the same arguments.
#[inline]
fn fast_msg_line(s: &[u8], max_line: usize, max_payload: usize) -> Option<(MsgArgs<'_>, usize)> {
    let hmsg = match s.get(..5)? {
        [b'M', b'S', b'G', b' ', _] => false,
        b"HMSG " => true,
        _ => return None,
    };
    let first = if hmsg { 5 } else { 4 };
    // The fields; the blanks and the line end are the only bytes below 0x21 that may
    // appear.
    let mut tok: [&[u8]; 5] = [&[]; 5];
    let mut n = 0;
    let mut field = first;
    let mut at = first;
    let (line_len, consumed) = 'line: loop {
        let x = match s.get(at..at + 8) {
            Some(w) => u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]),
            None => {
                // The end of the input: pad with a byte that is not looked for.
                let tail = s.get(at..).filter(|t| !t.is_empty())?;
                let mut w = [b'a'; 8];
                w[..tail.len()].copy_from_slice(tail);
                u64::from_le_bytes(w)
            }
        };
        let mut m = below_0x21(x);
        while m != 0 {
            let i = at + (m.trailing_zeros() / 8) as usize;
            m &= m - 1;
            // An empty field: blanks in a row, or a blank before the line end.
            if i == field || n == tok.len() {
                return None;
            }
            tok[n] = &s[field..i];
            n += 1;
            match s[i] {
                b' ' => field = i + 1,
                b'\r' if s.get(i + 1) == Some(&b'\n') => break 'line (i, i + 2),
                b'\n' => break 'line (i, i + 1),
                _ => return None,
            }
        }
        at += 8;
    };
    if line_len > max_line {
        return None;
    }
    // A line the general parse refuses is left to it, which words the error.
    let args = msg_fields(&tok[..n], hmsg, max_payload, &s[..line_len]).ok()?;
    Some((args, consumed))
}

/// The high bit of each byte of `x` (little-endian) that is below 0x21, exactly: adding
/// 0x5f to a byte's low seven bits carries into its high bit from 0x21 up, and never into
/// the next byte.
#[inline(always)]
fn below_0x21(x: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = ONES * 0x80;
    const LOWS: u64 = ONES * 0x7f;
    !(((x & LOWS) + ONES * 0x5f) | x) & HIGHS
}

/// Decimal digits only, no sign, no overflow.
#[inline]
pub(crate) fn parse_u64(s: &[u8]) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    if s.len() <= 19 {
        // Cannot overflow: the common case (every size and id a server sends) without the
        // checks.
        let mut v = 0u64;
        for &b in s {
            let d = b.wrapping_sub(b'0');
            if d > 9 {
                return None;
            }
            v = v * 10 + u64::from(d);
        }
        return Some(v);
    }
    s.iter().try_fold(0u64, |acc, &b| {
        if b.is_ascii_digit() {
            acc.checked_mul(10)?.checked_add(u64::from(b - b'0'))
        } else {
            None
        }
    })
}

fn no_args(args: &[u8], line: &[u8]) -> Result<(), ProtoError> {
    if args.iter().all(|&b| is_space(b)) {
        Ok(())
    } else {
        Err(malformed("unexpected arguments", line))
    }
}

/// A `Malformed` error quoting (the start of) the offending line.
fn malformed(what: &str, line: &[u8]) -> ProtoError {
    const SHOWN: usize = 64;
    let shown = String::from_utf8_lossy(&line[..line.len().min(SHOWN)]);
    let more = if line.len() > SHOWN { "..." } else { "" };
    ProtoError::Malformed(format!("{what}: '{}{more}'", shown.escape_debug()))
}

fn bad_trailer() -> ProtoError {
    ProtoError::Malformed("message payload not followed by CRLF".to_string())
}

/// Position of the first '\n', eight bytes at a time.
fn find_newline(s: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    const NL: u64 = ONES * b'\n' as u64;
    let mut chunks = s.chunks_exact(8);
    let mut base = 0;
    for c in &mut chunks {
        let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]) ^ NL;
        // Nonzero iff a byte of `w` is zero; the lowest flagged byte is the first match.
        let z = w.wrapping_sub(ONES) & !w & HIGHS;
        if z != 0 {
            return Some(base + (z.trailing_zeros() / 8) as usize);
        }
        base += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| b == b'\n')
        .map(|i| base + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq, Eq)]
    enum Op {
        Info(String),
        Msg {
            subject: Vec<u8>,
            sid: u64,
            reply: Option<Vec<u8>>,
            header: Option<Vec<u8>>,
            payload: Vec<u8>,
        },
        Ping,
        Pong,
        Ok,
        Err(String),
    }

    #[derive(Default)]
    struct Rec {
        ops: Vec<Op>,
        /// Address range of the chunk being parsed, to tell borrowed payloads from copies.
        chunk: std::ops::Range<usize>,
        borrowed: Vec<bool>,
    }

    impl ProtoHandler for Rec {
        fn on_info(&mut self, json: &str) {
            self.ops.push(Op::Info(json.to_string()));
        }
        fn on_msg(&mut self, m: MsgView<'_>) {
            let p = m.payload.as_ptr() as usize;
            self.borrowed
                .push(self.chunk.contains(&p) || (m.payload.is_empty() && p == self.chunk.end));
            self.ops.push(Op::Msg {
                subject: m.subject.to_vec(),
                sid: m.sid,
                reply: m.reply.map(<[u8]>::to_vec),
                header: m.header.map(<[u8]>::to_vec),
                payload: m.payload.to_vec(),
            });
        }
        fn on_ping(&mut self) {
            self.ops.push(Op::Ping);
        }
        fn on_pong(&mut self) {
            self.ops.push(Op::Pong);
        }
        fn on_ok(&mut self) {
            self.ops.push(Op::Ok);
        }
        fn on_err(&mut self, text: &str) {
            self.ops.push(Op::Err(text.to_string()));
        }
    }

    fn feed_with(p: &mut Parser, chunks: &[&[u8]]) -> (Vec<Op>, Result<(), ProtoError>) {
        let mut rec = Rec::default();
        for c in chunks {
            let start = c.as_ptr() as usize;
            rec.chunk = start..start + c.len();
            if let Err(e) = p.parse(c, &mut rec) {
                return (rec.ops, Err(e));
            }
        }
        (rec.ops, Ok(()))
    }

    fn feed(chunks: &[&[u8]]) -> (Vec<Op>, Result<(), ProtoError>) {
        feed_with(&mut Parser::new(), chunks)
    }

    fn ok(input: &[u8]) -> Vec<Op> {
        let (ops, res) = feed(&[input]);
        res.unwrap();
        ops
    }

    fn msg(
        subject: &str,
        sid: u64,
        reply: Option<&str>,
        header: Option<&[u8]>,
        payload: &[u8],
    ) -> Op {
        Op::Msg {
            subject: subject.as_bytes().to_vec(),
            sid,
            reply: reply.map(|r| r.as_bytes().to_vec()),
            header: header.map(<[u8]>::to_vec),
            payload: payload.to_vec(),
        }
    }

    /// Whole, split in two at every offset, byte by byte: always the same outcome.
    fn check_splits(input: &[u8]) -> (Vec<Op>, Result<(), ProtoError>) {
        let whole = feed(&[input]);
        for i in 0..=input.len() {
            let (a, b) = input.split_at(i);
            assert_eq!(feed(&[a, b]), whole, "split at {i}");
        }
        let bytes: Vec<&[u8]> = input.chunks(1).collect();
        assert_eq!(feed(&bytes), whole, "byte by byte");
        whole
    }

    const HDR: &[u8] = b"NATS/1.0\r\nA: B\r\n\r\n";

    fn sequence() -> (Vec<u8>, Vec<Op>) {
        let mut s = Vec::new();
        let mut ops = Vec::new();
        s.extend_from_slice(b"INFO {\"server_id\":\"x\",\"max_payload\":1048576}\r\n");
        ops.push(Op::Info(
            "{\"server_id\":\"x\",\"max_payload\":1048576}".into(),
        ));
        s.extend_from_slice(b"MSG foo 1 5\r\nhello\r\n");
        ops.push(msg("foo", 1, None, None, b"hello"));
        s.extend_from_slice(b"MSG foo.bar 22 _INBOX.abc 3\r\nxyz\r\n");
        ops.push(msg("foo.bar", 22, Some("_INBOX.abc"), None, b"xyz"));
        s.extend_from_slice(b"HMSG h 3 18 21\r\nNATS/1.0\r\nA: B\r\n\r\nabc\r\n");
        ops.push(msg("h", 3, None, Some(HDR), b"abc"));
        s.extend_from_slice(b"HMSG h 4 r.1 18 18\r\nNATS/1.0\r\nA: B\r\n\r\n\r\n");
        ops.push(msg("h", 4, Some("r.1"), Some(HDR), b""));
        s.extend_from_slice(b"PING\r\n");
        ops.push(Op::Ping);
        s.extend_from_slice(b"PONG\r\n");
        ops.push(Op::Pong);
        s.extend_from_slice(b"+OK\r\n");
        ops.push(Op::Ok);
        s.extend_from_slice(b"MSG empty 5 0\r\n\r\n");
        ops.push(msg("empty", 5, None, None, b""));
        s.extend_from_slice(b"MSG bin 6 8\r\n\r\n\0\xff\r\n\n\r\r\n");
        ops.push(msg("bin", 6, None, None, b"\r\n\0\xff\r\n\n\r"));
        s.extend_from_slice(b"-ERR 'Permissions Violation for Publish to \"x\"'\r\n");
        ops.push(Op::Err("Permissions Violation for Publish to \"x\"".into()));
        s.extend_from_slice(b"msg\tlower  7 \t 2\r\nok\r\n");
        ops.push(msg("lower", 7, None, None, b"ok"));
        s.extend_from_slice(b"ping\n");
        ops.push(Op::Ping);
        s.extend_from_slice(b"MSG lf 8 1\nx\n");
        ops.push(msg("lf", 8, None, None, b"x"));
        (s, ops)
    }

    #[test]
    fn each_op() {
        assert_eq!(
            ok(b"INFO {\"a\":1}\r\n"),
            vec![Op::Info("{\"a\":1}".into())]
        );
        assert_eq!(ok(b"info   {} \r\n"), vec![Op::Info("{}".into())]);
        assert_eq!(
            ok(b"MSG a.b 9 3\r\nabc\r\n"),
            vec![msg("a.b", 9, None, None, b"abc")]
        );
        assert_eq!(
            ok(b"MSG a 1 r 0\r\n\r\n"),
            vec![msg("a", 1, Some("r"), None, b"")]
        );
        assert_eq!(
            ok(b"HMSG a 2 12 14\r\nNATS/1.0\r\n\r\nhi\r\n"),
            vec![msg("a", 2, None, Some(b"NATS/1.0\r\n\r\n"), b"hi")]
        );
        assert_eq!(
            ok(b"HMSG a 2 0 2\r\nhi\r\n"),
            vec![msg("a", 2, None, None, b"hi")]
        );
        assert_eq!(
            ok(b"PING\r\nPONG\r\n+OK\r\n"),
            vec![Op::Ping, Op::Pong, Op::Ok]
        );
        assert_eq!(
            ok(b"Ping\r\npOnG \r\n+ok\r\n"),
            vec![Op::Ping, Op::Pong, Op::Ok]
        );
        assert_eq!(
            ok(b"-ERR 'Stale Connection'\r\n"),
            vec![Op::Err("Stale Connection".into())]
        );
        assert_eq!(
            ok(b"-err  Authorization Violation \r\n"),
            vec![Op::Err("Authorization Violation".into())]
        );
        assert_eq!(ok(b"-ERR\r\n"), vec![Op::Err(String::new())]);
        assert_eq!(ok(b""), vec![]);
    }

    #[test]
    fn whole_sequence() {
        let (input, expected) = sequence();
        assert_eq!(ok(&input), expected);
    }

    #[test]
    fn sequence_split_everywhere() {
        let (input, expected) = sequence();
        let (ops, res) = check_splits(&input);
        res.unwrap();
        assert_eq!(ops, expected);
    }

    #[test]
    fn whole_messages_are_not_copied() {
        let (input, _) = sequence();
        let mut rec = Rec::default();
        let start = input.as_ptr() as usize;
        rec.chunk = start..start + input.len();
        Parser::new().parse(&input, &mut rec).unwrap();
        assert_eq!(rec.borrowed.len(), 8);
        assert!(rec.borrowed.iter().all(|&b| b));

        // Split inside the payload: copied, and the buffer is reused afterwards.
        let mut p = Parser::new();
        let mut rec = Rec::default();
        p.parse(b"MSG a 1 4\r\nab", &mut rec).unwrap();
        p.parse(b"cd\r\nMSG b 2 1\r\nz\r\n", &mut rec).unwrap();
        assert_eq!(
            rec.ops,
            vec![
                msg("a", 1, None, None, b"abcd"),
                msg("b", 2, None, None, b"z")
            ]
        );
        assert_eq!(p.state, State::Line);
        assert!(p.line.is_empty() && p.body.is_empty());
    }

    #[test]
    fn state_carries_over_many_calls() {
        let mut p = Parser::new();
        let (input, expected) = sequence();
        let mut all = Vec::new();
        for _ in 0..3 {
            for c in input.chunks(7) {
                let (ops, res) = feed_with(&mut p, &[c]);
                res.unwrap();
                all.extend(ops);
            }
        }
        let expected: Vec<Op> = expected
            .iter()
            .cloned()
            .cycle()
            .take(expected.len() * 3)
            .collect();
        assert_eq!(all, expected);
    }

    #[test]
    fn reset_forgets_partial_ops() {
        let mut p = Parser::new();
        let (_, res) = feed_with(&mut p, &[b"MSG a 1 10\r\nabc"]);
        res.unwrap();
        p.reset();
        let (ops, res) = feed_with(&mut p, &[b"PING\r\n"]);
        res.unwrap();
        assert_eq!(ops, vec![Op::Ping]);
    }

    fn assert_malformed(input: &[u8]) {
        let (_, res) = check_splits(input);
        match res {
            Err(ProtoError::Malformed(text)) => assert!(!text.is_empty()),
            other => panic!(
                "{:?}: expected Malformed, got {other:?}",
                String::from_utf8_lossy(input)
            ),
        }
    }

    #[test]
    fn malformed_inputs() {
        for input in [
            &b"FOO\r\n"[..],
            b"\r\n",
            b"\n",
            b" PING\r\n",
            b"PINGX\r\n",
            b"PING extra\r\n",
            b"+OK x\r\n",
            b"INFO\r\n",
            b"INFO   \r\n",
            b"INFO {\"a\":\"\xff\"}\r\n",
            b"MSG\r\n",
            b"MSG a\r\n",
            b"MSG a 1\r\n",
            b"MSG a 1 r s 5\r\n",
            b"MSG a 1 r s t u\r\n",
            b"MSG a x 1\r\nx\r\n",
            b"MSG a -1 1\r\nx\r\n",
            b"MSG a 1 x\r\n",
            b"MSG a 1 +1\r\nx\r\n",
            b"MSG a 1 99999999999999999999999\r\n",
            b"MSG a 18446744073709551616 1\r\nx\r\n",
            b"HMSG a 1 5\r\n",
            b"HMSG a 1 r 2 x\r\n",
            b"HMSG a 1 r x 2\r\n",
            b"HMSG a 1 6 5\r\nhello\r\n",
            b"HMSG a 1 r 6 5 7\r\n",
            b"MSG a 1 2\r\nhixx",
            b"MSG a 1 2\r\nhi\rx",
            b"MSG a 1 2\r\nhi\r\r\n",
            b"MSG a 1 2\r\nhiy\r\n",
            b"MSG a 1 2\r\nhello\r\n",
            b"PING\r\nMSG a 1 0\r\nX",
        ] {
            assert_malformed(input);
        }
        // Ops before the bad one are delivered.
        let (ops, res) = feed(&[b"PING\r\nBAD\r\nPONG\r\n"]);
        assert_eq!(ops, vec![Op::Ping]);
        assert!(matches!(res, Err(ProtoError::Malformed(_))));
    }

    #[test]
    fn incomplete_input_is_not_an_error() {
        for input in [
            &b"MSG a 1 2\r\nhi"[..],
            b"MSG a 1 2\r\nhi\r",
            b"MSG a 1 2\r\n",
            b"MSG a 1",
            b"PI",
            b"HMSG a 1 2 4\r\nab",
        ] {
            let (ops, res) = check_splits(input);
            res.unwrap();
            assert!(ops.is_empty());
        }
    }

    #[test]
    fn line_too_long() {
        let mut long = b"MSG ".to_vec();
        long.extend_from_slice(&[b'a'; 5000]);
        long.extend_from_slice(b" 1 1\r\nx\r\n");
        assert_eq!(feed(&[&long]).1, Err(ProtoError::LineTooLong));
        // Detected before the end of the line arrives.
        assert_eq!(feed(&[&long[..4200]]).1, Err(ProtoError::LineTooLong));
        // Garbage without a line ending is bounded too.
        assert_eq!(feed(&[&[b'x'; 5000][..]]).1, Err(ProtoError::LineTooLong));

        let mut p = Parser::new();
        p.set_max_control_line(16);
        let (ops, res) = feed_with(&mut p, &[b"MSG a.b.c 1 1\r\nx\r\n"]);
        assert_eq!((ops.len(), res), (1, Ok(())));
        let (_, res) = feed_with(&mut p, &[b"MSG a.b.c.d.e 1 1\r\nx\r\n"]);
        assert_eq!(res, Err(ProtoError::LineTooLong));

        // Exactly at the limit, with and without '\r', whole and split.
        let line = b"MSG abcdef 1 1\r\nx\r\n"; // 14 bytes before "\r\n"
        for max in [13usize, 14] {
            for i in 0..=line.len() {
                let mut p = Parser::new();
                p.set_max_control_line(max);
                let (a, b) = line.split_at(i);
                let (ops, res) = feed_with(&mut p, &[a, b]);
                if max == 14 {
                    assert_eq!((ops.len(), res), (1, Ok(())), "max {max} split {i}");
                } else {
                    assert_eq!(res, Err(ProtoError::LineTooLong), "max {max} split {i}");
                }
            }
        }
    }

    #[test]
    fn long_info_is_accepted() {
        let mut info = b"INFO {\"connect_urls\":[".to_vec();
        for i in 0..500 {
            info.extend_from_slice(format!("\"10.0.0.{}:4222\",", i % 250).as_bytes());
        }
        info.extend_from_slice(b"\"x:1\"]}\r\nPING\r\n");
        assert!(info.len() > 4096);
        let (ops, res) = feed(&[&info]);
        res.unwrap();
        assert_eq!(ops.len(), 2);
        let (a, b) = info.split_at(3000);
        assert_eq!(feed(&[a, b]).0, ops);
    }

    #[test]
    fn payload_larger_than_max() {
        let mut p = Parser::new();
        p.set_max_payload(10);
        let (ops, res) = feed_with(&mut p, &[b"MSG a 1 10\r\n0123456789\r\n"]);
        assert_eq!((ops.len(), res), (1, Ok(())));
        let (_, res) = feed_with(&mut p, &[b"MSG a 1 11\r\n01234567890\r\n"]);
        assert!(matches!(res, Err(ProtoError::Malformed(_))), "{res:?}");
        let mut p = Parser::new();
        p.set_max_payload(10);
        let (_, res) = feed_with(&mut p, &[b"HMSG a 1 4 11\r\n"]);
        assert!(matches!(res, Err(ProtoError::Malformed(_))));
        // The default limit.
        let (_, res) = feed(&[b"MSG a 1 67108865\r\n"]);
        assert!(matches!(res, Err(ProtoError::Malformed(_))));
    }

    #[test]
    fn large_split_message() {
        let payload: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let mut input = format!("MSG big 1 {}\r\n", payload.len()).into_bytes();
        input.extend_from_slice(&payload);
        input.extend_from_slice(b"\r\nPONG\r\n");
        let expected = vec![msg("big", 1, None, None, &payload), Op::Pong];
        assert_eq!(ok(&input), expected);
        let chunks: Vec<&[u8]> = input.chunks(4096).collect();
        assert_eq!(feed(&chunks), (expected, Ok(())));
    }

    #[test]
    fn errors_display() {
        assert_eq!(
            ProtoError::LineTooLong.to_string(),
            "protocol control line too long"
        );
        let (_, res) = feed(&[b"NOPE now\r\n"]);
        assert_eq!(
            res.unwrap_err().to_string(),
            "protocol error: unknown protocol operation: 'NOPE now'"
        );
    }

    #[test]
    fn newline_search() {
        let mut buf = vec![b'a'; 40];
        assert_eq!(find_newline(&buf), None);
        for i in 0..40 {
            buf[i] = b'\n';
            for start in 0..=i {
                assert_eq!(find_newline(&buf[start..]), Some(i - start));
            }
            if i + 1 < 40 {
                buf[i + 1] = b'\n';
                assert_eq!(find_newline(&buf), Some(i));
                buf[i + 1] = b'a';
            }
            buf[i] = b'a';
        }
        // Bytes around '\n' (0x0a) must not be taken for it.
        let near: Vec<u8> = (0u8..=255).filter(|&b| b != b'\n').collect();
        assert_eq!(find_newline(&near), None);
        assert_eq!(find_newline(b""), None);
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_u64(b"0"), Some(0));
        assert_eq!(parse_u64(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_u64(b"18446744073709551616"), None);
        assert_eq!(parse_u64(b""), None);
        assert_eq!(parse_u64(b"1a"), None);
    }

    #[test]
    fn bytes_below_0x21_are_flagged_exactly() {
        for b in 0u8..=255 {
            for at in 0..8 {
                let mut w = [b'a'; 8];
                w[at] = b;
                let want = if b < 0x21 { 0x80u64 << (8 * at) } else { 0 };
                assert_eq!(below_0x21(u64::from_le_bytes(w)), want, "byte {b:#x} at {at}");
            }
        }
        // Mixed words: every byte judged on its own.
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..100_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let want = seed.to_le_bytes().iter().enumerate().fold(0u64, |m, (i, &b)| m | (u64::from(b < 0x21) << (8 * i + 7)));
            assert_eq!(below_0x21(seed), want, "{seed:#x}");
        }
    }

    /// Every MSG/HMSG line the fast path takes gets the same arguments from the general
    /// parse, and its length with its ending; lines as servers write them do take it.
    #[test]
    fn fast_msg_lines_agree_with_the_general_parse() {
        let subjects: [&[u8]; 5] = [b"foo", b"a", b"foo.bar.baz", b"x.y.z.0123456789abcdef.q", b"_INBOX.k3J9.17"];
        // Well-formed pieces are the likelier ones, so that many lines take the fast path.
        let numbers: [&[u8]; 12] = [
            b"0", b"1", b"42", b"128", b"7", b"65536", b"1234567890123456789", b"18446744073709551615",
            b"99999999999999999999", b"12a", b"-1", b"",
        ];
        let seps: [&[u8]; 12] = [b" ", b" ", b" ", b" ", b" ", b" ", b" ", b" ", b" ", b"  ", b"\t", b" \r"];
        let ends: [&[u8]; 7] = [b"\r\n", b"\r\n", b"\r\n", b"\n", b"\r", b"", b"\r\r\n"];
        let ops: [&[u8]; 4] = [b"MSG", b"HMSG", b"msg", b"MSG"];
        let mut p = Parser::new();
        p.set_max_payload(1 << 20);
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let (mut taken, mut tried) = (0, 0);
        for _ in 0..40000 {
            let op = ops[next(ops.len())];
            let hmsg = op.eq_ignore_ascii_case(b"HMSG");
            let mut line = op.to_vec();
            let mut fields: Vec<&[u8]> = vec![subjects[next(subjects.len())], numbers[next(numbers.len())]];
            if next(2) == 0 {
                fields.push(subjects[next(subjects.len())]);
            }
            if hmsg {
                fields.push(numbers[next(numbers.len())]);
            }
            fields.push(numbers[next(numbers.len())]);
            match next(10) {
                0 => drop(fields.pop()),
                1 => fields.push(numbers[next(numbers.len())]),
                _ => {}
            }
            for f in fields {
                line.extend_from_slice(seps[next(seps.len())]);
                line.extend_from_slice(f);
            }
            if next(8) == 0 {
                line.extend_from_slice(seps[next(seps.len())]);
            }
            let end = ends[next(ends.len())];
            let mut input = line.clone();
            input.extend_from_slice(end);
            // Whatever follows the line (a payload, the next line) is not looked at.
            input.extend_from_slice(&b"hello\r\nMSG x 1 0\r\n"[..next(19)]);
            tried += 1;
            let Some((fast, len)) = fast_msg_line(&input, p.max_line, p.max_payload) else { continue };
            taken += 1;
            let shown = String::from_utf8_lossy(&input).into_owned();
            assert!(end == b"\r\n" || end == b"\n", "took an unended line: {shown:?}");
            assert_eq!(len, line.len() + end.len(), "{shown:?}");
            let general = p.msg_args(&line[op.len()..], hmsg, &line).unwrap_or_else(|e| panic!("{e} for {shown:?}"));
            let key = |a: &MsgArgs<'_>| (a.subject.to_vec(), a.sid, a.reply.map(<[u8]>::to_vec), a.header_len, a.total);
            assert_eq!(key(&fast), key(&general), "{shown:?}");
        }
        assert!(taken > tried / 50, "the fast path took {taken} of {tried} lines");
        let (a, len) = fast_msg_line(b"MSG foo.bar 7 _INBOX.x.1 128\r\npayload", 4096, 1 << 20).expect("a typical MSG line");
        assert_eq!((a.subject, a.sid, a.reply, a.header_len, a.total, len), (&b"foo.bar"[..], 7, Some(&b"_INBOX.x.1"[..]), None, 128, 30));
        let (a, len) = fast_msg_line(b"HMSG foo 7 22 30\n", 4096, 1 << 20).expect("a typical HMSG line");
        assert_eq!((a.header_len, a.total, len), (Some(22), 30, 17));
        // Left to the general parse: over the limits, header larger than the message.
        assert!(fast_msg_line(b"MSG foo 7 2000000\r\n", 4096, 1 << 20).is_none());
        assert!(fast_msg_line(b"HMSG foo 7 31 30\r\n", 4096, 1 << 20).is_none());
        assert!(fast_msg_line(b"MSG foo.bar 7 1\r\n", 14, 1 << 20).is_none());
        assert!(fast_msg_line(b"MSG foo.bar 7 1\r\n", 15, 1 << 20).is_some());
    }
}
