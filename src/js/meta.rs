//! The metadata a JetStream message carries in its reply subject (`$JS.ACK...`): stream,
//! consumer, delivery count, sequences, time and pending count.
//!
//! Two formats exist: the original
//! `$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<time>.<pending>` (9 tokens) and
//! the newer `$JS.ACK.<domain>.<account hash>.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<time>.<pending>.<random>...`
//! (12 tokens or more; domain `_` means none).
#![forbid(unsafe_code)]

use super::api::{js_err, JsResult};
use crate::status::natsStatus;

/// The prefix of every JetStream acknowledgement subject.
pub const ACK_PREFIX: &str = "$JS.ACK.";

/// What `natsMsg_GetMetaData` returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MsgMetaData {
    pub domain: Option<String>,
    pub stream: String,
    pub consumer: String,
    pub num_delivered: u64,
    pub stream_seq: u64,
    pub consumer_seq: u64,
    /// UTC, nanoseconds since the epoch.
    pub timestamp: i64,
    pub num_pending: u64,
}

/// The tokens after `$JS.ACK.`, in the new format's order (domain and account hash empty
/// for the old format); `None` when the subject is not a well-formed ack subject.
fn tokens(reply: &str) -> Option<[&str; 9]> {
    let rest = reply.strip_prefix(ACK_PREFIX)?;
    // Without allocating: the first ten tokens, and how many there are.
    let mut parts = [""; 10];
    let mut n = 0;
    for p in rest.split('.') {
        if n < parts.len() {
            parts[n] = p;
        }
        n += 1;
    }
    let mut t = [""; 9];
    match n {
        7 => t[2..].copy_from_slice(&parts[..7]),
        // The new format has a random token (and maybe more) after the pending count.
        n if n >= 10 => t.copy_from_slice(&parts[..9]),
        _ => return None,
    }
    if t[2].is_empty() || t[3].is_empty() {
        return None;
    }
    Some(t)
}

fn number(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Parses the metadata of an acknowledgement subject. NATS_ERR ("invalid meta data") when it
/// is not one.
pub fn parse(reply: &str) -> JsResult<MsgMetaData> {
    let bad = || js_err(natsStatus::NATS_ERR, format!("invalid meta data '{reply}'"));
    let Some(t) = tokens(reply) else { return bad() };
    let mut n = [0u64; 5];
    for (i, v) in n.iter_mut().enumerate() {
        match number(t[4 + i]) {
            Some(x) => *v = x,
            None => return bad(),
        }
    }
    let Ok(timestamp) = i64::try_from(n[3]) else { return bad() };
    Ok(MsgMetaData {
        domain: (!t[0].is_empty() && t[0] != "_").then(|| t[0].to_string()),
        stream: t[2].to_string(),
        consumer: t[3].to_string(),
        num_delivered: n[0],
        stream_seq: n[1],
        consumer_seq: n[2],
        timestamp,
        num_pending: n[4],
    })
}

/// The numbers of an acknowledgement subject, without allocating (a watcher's view).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Numbers {
    pub stream_seq: u64,
    pub consumer_seq: u64,
    /// UTC, nanoseconds since the epoch.
    pub timestamp: i64,
    pub num_pending: u64,
}

/// [`Numbers`] of an acknowledgement subject; `None` where [`parse`] gives an error. Works
/// on the bytes (the numbers are ASCII digits; the names are not looked at beyond being
/// non-empty): it runs once per message a watcher receives.
pub fn numbers(reply: &[u8]) -> Option<Numbers> {
    fn digits(s: &[u8]) -> Option<u64> {
        if s.is_empty() {
            return None;
        }
        let mut v: u64 = 0;
        for &b in s {
            if !b.is_ascii_digit() {
                return None;
            }
            v = v.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
        }
        Some(v)
    }
    let rest = reply.strip_prefix(ACK_PREFIX.as_bytes())?;
    let mut parts: [&[u8]; 10] = [&[]; 10];
    let mut n = 0;
    for p in rest.split(|&b| b == b'.') {
        if n < parts.len() {
            parts[n] = p;
        }
        n += 1;
    }
    // The tokens from the stream on: the old format has 7, the new one 10 or more (domain
    // and account hash first).
    let t: &[&[u8]] = match n {
        7 => &parts[..7],
        n if n >= 10 => &parts[2..9],
        _ => return None,
    };
    if t[0].is_empty() || t[1].is_empty() || std::str::from_utf8(t[0]).is_err() || std::str::from_utf8(t[1]).is_err() {
        return None;
    }
    digits(t[2])?;
    Some(Numbers {
        stream_seq: digits(t[3])?,
        consumer_seq: digits(t[4])?,
        timestamp: i64::try_from(digits(t[5])?).ok()?,
        num_pending: digits(t[6])?,
    })
}

/// Just the consumer name, stream sequence and consumer sequence (the delivery path's view,
/// without allocating).
pub fn sequences(reply: &[u8]) -> Option<(&str, u64, u64)> {
    let t = tokens(std::str::from_utf8(reply).ok()?)?;
    Some((t[3], number(t[5])?, number(t[6])?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_old_format() {
        let m = parse("$JS.ACK.ORDERS.dur.3.120.7.1700000000123456789.42").unwrap();
        assert_eq!(
            m,
            MsgMetaData {
                domain: None,
                stream: "ORDERS".into(),
                consumer: "dur".into(),
                num_delivered: 3,
                stream_seq: 120,
                consumer_seq: 7,
                timestamp: 1700000000123456789,
                num_pending: 42,
            }
        );
        assert_eq!(sequences(b"$JS.ACK.ORDERS.dur.3.120.7.1700000000123456789.42"), Some(("dur", 120, 7)));
        assert_eq!(
            numbers(b"$JS.ACK.ORDERS.dur.3.120.7.1700000000123456789.42"),
            Some(Numbers { stream_seq: 120, consumer_seq: 7, timestamp: 1700000000123456789, num_pending: 42 })
        );
    }

    #[test]
    fn the_new_format_with_and_without_domain() {
        let m = parse("$JS.ACK.hub.ACCHASH.S.C.1.2.3.1700000000000000000.0.r4nd0m").unwrap();
        assert_eq!(m.domain.as_deref(), Some("hub"));
        assert_eq!((m.stream.as_str(), m.consumer.as_str()), ("S", "C"));
        assert_eq!((m.num_delivered, m.stream_seq, m.consumer_seq, m.num_pending), (1, 2, 3, 0));
        assert_eq!(m.timestamp, 1700000000000000000);
        let m = parse("$JS.ACK._.ACCHASH.S.C.1.2.3.4.5.r4nd0m.extra.more").unwrap();
        assert_eq!(m.domain, None);
        assert_eq!((m.stream_seq, m.consumer_seq, m.timestamp, m.num_pending), (2, 3, 4, 5));
        assert_eq!(sequences(b"$JS.ACK._.H.S.C.1.2.3.4.5.x"), Some(("C", 2, 3)));
    }

    #[test]
    fn malformed_subjects_are_errors() {
        for bad in [
            "",
            "$JS.ACK",
            "$JS.ACK.",
            "foo.bar",
            "_INBOX.abc",
            "$JS.ACK.S.C.1.2.3.4",               // 6 tokens
            "$JS.ACK.S.C.1.2.3.4.5.6",           // 8 tokens
            "$JS.ACK.a.b.S.C.1.2.3.4.5",         // 9 tokens
            "$JS.ACK.S.C.x.2.3.4.5",             // not a number
            "$JS.ACK.S.C.1.-2.3.4.5",            // negative
            "$JS.ACK.S.C.1.2.3.99999999999999999999.5", // overflow
            "$JS.ACK..C.1.2.3.4.5",              // empty stream
            "$JS.ACK.S.C.1..3.4.5",              // empty number
            "$JS.ACK.S.C.1.2.3.9223372036854775808.5", // time past i64
        ] {
            let e = parse(bad).unwrap_err();
            assert_eq!(numbers(bad.as_bytes()), None, "{bad}");
            assert_eq!(e.status(), natsStatus::NATS_ERR, "{bad}");
            assert!(e.err.text.contains("invalid meta data"), "{bad}");
        }
        assert_eq!(sequences(b"$JS.ACK.S.C.1.x.3.4.5"), None);
        assert_eq!(sequences(b"\xff"), None);
    }
}
