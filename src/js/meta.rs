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
/// for the old format); `None` when the subject is not a well-formed ack subject (too few
/// tokens, no stream or consumer name, a number that is not one). Works on the bytes and
/// allocates nothing: it runs once per message a watcher or a JetStream subscription gets.
fn tokens(reply: &[u8]) -> Option<([&[u8]; 4], [u64; 5])> {
    let rest = reply.strip_prefix(ACK_PREFIX.as_bytes())?;
    let mut parts: [&[u8]; 10] = [&[]; 10];
    let mut n = 0;
    for p in rest.split(|&b| b == b'.') {
        if n < parts.len() {
            parts[n] = p;
        }
        n += 1;
    }
    let mut t: [&[u8]; 9] = [&[]; 9];
    match n {
        7 => t[2..].copy_from_slice(&parts[..7]),
        // The new format has a random token (and maybe more) after the pending count.
        n if n >= 10 => t.copy_from_slice(&parts[..9]),
        _ => return None,
    }
    if t[2].is_empty() || t[3].is_empty() {
        return None;
    }
    let mut v = [0u64; 5];
    for (i, x) in v.iter_mut().enumerate() {
        *x = crate::proto::parser::parse_u64(t[4 + i])?;
    }
    // The time is an i64 of nanoseconds.
    i64::try_from(v[3]).ok()?;
    Some(([t[0], t[1], t[2], t[3]], v))
}

/// Parses the metadata of an acknowledgement subject. NATS_ERR ("invalid meta data") when it
/// is not one.
pub fn parse(reply: &str) -> JsResult<MsgMetaData> {
    let Some(([domain, _, stream, consumer], n)) = tokens(reply.as_bytes()) else {
        return js_err(natsStatus::NATS_ERR, format!("invalid meta data '{reply}'"));
    };
    // Tokens of a str split at ASCII dots are str themselves.
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    Ok(MsgMetaData {
        domain: (!domain.is_empty() && domain != b"_").then(|| text(domain)),
        stream: text(stream),
        consumer: text(consumer),
        num_delivered: n[0],
        stream_seq: n[1],
        consumer_seq: n[2],
        timestamp: n[3] as i64,
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

/// [`Numbers`] of an acknowledgement subject; `None` where [`parse`] gives an error.
pub fn numbers(reply: &[u8]) -> Option<Numbers> {
    let (_, n) = tokens(reply)?;
    Some(Numbers { stream_seq: n[1], consumer_seq: n[2], timestamp: n[3] as i64, num_pending: n[4] })
}

/// Just the consumer name, stream sequence and consumer sequence (the delivery path's view,
/// without allocating).
pub fn sequences(reply: &[u8]) -> Option<(&str, u64, u64)> {
    let ([_, _, _, consumer], n) = tokens(reply)?;
    Some((std::str::from_utf8(consumer).ok()?, n[1], n[2]))
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
