//! Validation of subjects and queue names before they are put on the wire.
#![forbid(unsafe_code)]

use crate::status::{err, natsStatus::*, Error, Result};

/// Characters that would break the line-based protocol.
fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// What one look over a subject's bytes found.
#[derive(Clone, Copy)]
pub struct Scan {
    /// Space, tab, CR or LF somewhere.
    blank: bool,
    /// An empty token: no bytes, a dot at the start or the end, or two dots in a row.
    empty_token: bool,
    /// All bytes ORed together: below 0x80 means ASCII.
    high: u8,
}

/// Bytes are looked at 8 at a time, as one u64, without vector instructions: this runs for
/// every publish, mostly on short subjects.
const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;
/// Filler for a short last word: neither blank, dot nor high.
const PAD: u64 = ONES * b'a' as u64;

/// The high bit of each byte of `x` that equals `c`, and no other bit (exact per byte).
#[inline(always)]
fn bytes_eq(x: u64, c: u8) -> u64 {
    let y = x ^ (ONES * c as u64);
    !(((y & !HIGHS) + !HIGHS) | y) & HIGHS
}

/// Running totals over the words of a subject.
#[derive(Default)]
struct Words {
    /// All words ORed: a high bit means a byte of 0x80 or more.
    high: u64,
    /// A high bit where a byte may be below '!' (exact for ASCII bytes).
    low: u64,
    /// A high bit where a dot follows a dot.
    pairs: u64,
    /// The previous word's dots, for a pair across the boundary.
    dots: u64,
}

impl Words {
    #[inline(always)]
    fn add(&mut self, x: u64) {
        self.high |= x;
        self.low |= x.wrapping_sub(ONES * 0x21) & !x;
        let d = bytes_eq(x, b'.');
        // Byte i's dot moved onto byte i + 1; the previous word's last byte onto byte 0.
        self.pairs |= d & ((d << 8) | (self.dots >> 56));
        self.dots = d;
    }
}

impl Scan {
    /// A scan of all of `b`.
    #[inline(always)]
    pub fn over(b: &[u8]) -> Scan {
        let n = b.len();
        if n == 0 {
            return Scan { blank: false, empty_token: true, high: 0 };
        }
        let word = |at: usize| u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"));
        let mut w = Words::default();
        let mut at = 0;
        while at + 8 <= n {
            w.add(word(at));
            at += 8;
        }
        let r = n - at;
        if r > 0 {
            let last = if n >= 8 {
                // The 8 bytes that end the subject, shifted so that the r new ones come first.
                (word(n - 8) >> (8 * (8 - r))) | (PAD << (8 * r))
            } else {
                let mut x = PAD;
                for (i, &c) in b.iter().enumerate() {
                    x = (x & !(0xff << (8 * i))) | ((c as u64) << (8 * i));
                }
                x
            };
            w.add(last);
        }
        let mut sc = Scan {
            blank: false,
            empty_token: b[0] == b'.' || b[n - 1] == b'.' || w.pairs & HIGHS != 0,
            high: ((w.high & HIGHS) != 0) as u8 * 0x80,
        };
        if w.low & HIGHS != 0 {
            // A byte below '!' somewhere (or a high byte that looked like one): rare, so
            // looked at one by one.
            sc.blank = b.iter().any(|&c| is_blank(c as char));
        }
        sc
    }

    /// The publish check of the bytes `b` this scan looked at: Ok(true) when they are
    /// ASCII, so they are valid UTF-8 without a second look; Ok(false) when the caller still
    /// has to check UTF-8.
    #[inline]
    pub fn publish_result(self, b: &[u8]) -> Result<bool> {
        if self.blank || self.empty_token {
            return Err(publish_error(b));
        }
        Ok(self.high < 0x80)
    }
}

/// The error for a publish subject the scan refused; the slow path words it.
#[cold]
#[inline(never)]
fn publish_error(b: &[u8]) -> Error {
    check_publish_subject(&String::from_utf8_lossy(b))
        .err()
        .unwrap_or_else(|| Error::new(NATS_INVALID_SUBJECT, "subject is invalid"))
}

/// Checks non-emptiness, blanks and empty tokens; `what` names the thing in messages.
fn check_tokens(s: &str, what: &str) -> Result<()> {
    // One pass over the bytes (this runs for every publish).
    let sc = Scan::over(s.as_bytes());
    if s.is_empty() {
        return err(NATS_INVALID_SUBJECT, format!("{what} is empty"));
    }
    if sc.blank {
        return err(
            NATS_INVALID_SUBJECT,
            format!("{what} '{}' contains whitespace", s.escape_debug()),
        );
    }
    if sc.empty_token {
        return err(
            NATS_INVALID_SUBJECT,
            format!("{what} '{s}' has an empty token"),
        );
    }
    Ok(())
}

/// Publish subject: non-empty, no whitespace (space, tab, CR, LF), no empty tokens
/// ("a..b", ".a", "a."). Wildcards are left for the server to judge.
pub fn check_publish_subject(s: &str) -> Result<()> {
    check_tokens(s, "subject")
}

/// A publish subject that has passed [`check_publish_subject`].
#[derive(Clone, Copy, Debug)]
pub struct PubSubject<'a>(&'a str);

impl<'a> PubSubject<'a> {
    pub fn new(s: &'a str) -> Result<PubSubject<'a>> {
        check_publish_subject(s)?;
        Ok(PubSubject(s))
    }

    /// For a string [`Scan::publish_result`] accepted.
    pub fn scanned(s: &'a str) -> PubSubject<'a> {
        PubSubject(s)
    }

    pub fn as_str(&self) -> &'a str {
        self.0
    }
}

/// Subscribe subject: as for publishing, plus '*' and '>' only as whole tokens and '>'
/// only as the last token.
pub fn check_subscribe_subject(s: &str) -> Result<()> {
    check_tokens(s, "subject")?;
    let mut tokens = s.split('.').peekable();
    while let Some(t) = tokens.next() {
        let last = tokens.peek().is_none();
        if t == ">" {
            if !last {
                return err(
                    NATS_INVALID_SUBJECT,
                    format!("subject '{s}': '>' must be the last token"),
                );
            }
        } else if t != "*" && t.contains(['*', '>']) {
            return err(
                NATS_INVALID_SUBJECT,
                format!("subject '{s}': wildcards '*' and '>' must be whole tokens"),
            );
        }
    }
    Ok(())
}

/// Reply subject: the same rules as a publish subject.
pub fn check_reply_subject(s: &str) -> Result<()> {
    check_tokens(s, "reply subject")
}

/// Queue group name: non-empty, no whitespace.
pub fn check_queue_name(s: &str) -> Result<()> {
    if s.is_empty() {
        return err(NATS_INVALID_QUEUE_NAME, "queue name is empty");
    }
    if s.contains(is_blank) {
        return err(
            NATS_INVALID_QUEUE_NAME,
            format!("queue name '{}' contains whitespace", s.escape_debug()),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const BAD_EVERYWHERE: &[&str] = &[
        "", "a b", "a\tb", "a\rb", "a\nb", " a", "a ", "a..b", ".a", "a.", ".", "..", "a.b.",
    ];

    #[test]
    fn publish() {
        for ok in [
            "a",
            "foo.bar",
            "_INBOX.x.y",
            "a.*.b",
            "a.>",
            ">",
            "*",
            "a*b",
            "a.b>c",
            "ünï.cödé",
            "$SYS.x",
        ] {
            check_publish_subject(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        for bad in BAD_EVERYWHERE {
            let e = check_publish_subject(bad).unwrap_err();
            assert_eq!(e.status, NATS_INVALID_SUBJECT, "{bad:?}");
            assert!(!e.text.is_empty());
        }
    }

    /// The publish check over a byte slice, as the C entry points run it over a C string.
    fn scan_publish_subject(b: &[u8]) -> Result<bool> {
        Scan::over(b).publish_result(b)
    }

    #[test]
    fn scan_agrees_with_the_check() {
        for ok in ["a", "foo.bar", "a.>", "*", "$SYS.x"] {
            assert!(scan_publish_subject(ok.as_bytes()).unwrap(), "{ok}");
        }
        // Not ASCII: accepted by the scan, UTF-8 left to the caller.
        assert!(!scan_publish_subject("ünï.cödé".as_bytes()).unwrap());
        assert!(!scan_publish_subject(b"a\xff").unwrap());
        for bad in BAD_EVERYWHERE {
            let e = scan_publish_subject(bad.as_bytes()).unwrap_err();
            assert_eq!(e.status, NATS_INVALID_SUBJECT, "{bad:?}");
            assert_eq!(e.text, check_publish_subject(bad).unwrap_err().text);
        }
        assert_eq!(scan_publish_subject(b"a \xff").unwrap_err().status, NATS_INVALID_SUBJECT);
    }

    /// Every length around the window sizes, with the fault at every position: the windows
    /// and their overlaps must miss nothing and invent nothing.
    #[test]
    fn scan_finds_faults_at_every_position() {
        // A plain, valid subject of length n: "a.a.a..." never has two dots in a row.
        let plain = |n: usize| -> Vec<u8> { (0..n).map(|i| if i % 2 == 1 && i + 1 < n { b'.' } else { b'a' }).collect() };
        for n in 1..=70 {
            let ok = plain(n);
            assert_eq!(scan_publish_subject(&ok).ok(), Some(true), "{n}");
            for at in 0..n {
                for c in [b' ', b'\t', b'\r', b'\n'] {
                    let mut b = ok.clone();
                    b[at] = c;
                    assert!(scan_publish_subject(&b).is_err(), "blank at {at} of {n}");
                }
                let mut b = ok.clone();
                b[at] = 0xc3;
                assert_eq!(scan_publish_subject(&b).ok(), Some(false), "high byte at {at} of {n}");
                if at + 1 < n {
                    // Two dots in a row at (at, at + 1), including across window edges.
                    let mut b = vec![b'a'; n];
                    b[at] = b'.';
                    b[at + 1] = b'.';
                    assert!(scan_publish_subject(&b).is_err(), "dots at {at} of {n}");
                }
                // A single dot is fine unless it is first or last.
                let mut b = vec![b'a'; n];
                b[at] = b'.';
                assert_eq!(scan_publish_subject(&b).is_err(), at == 0 || at == n - 1, "dot at {at} of {n}");
            }
        }
        assert!(scan_publish_subject(b"").is_err());
    }

    #[test]
    fn reply() {
        check_reply_subject("_INBOX.abc.1").unwrap();
        for bad in BAD_EVERYWHERE {
            assert_eq!(
                check_reply_subject(bad).unwrap_err().status,
                NATS_INVALID_SUBJECT,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn subscribe() {
        for ok in [
            "a",
            "foo.bar",
            "*",
            ">",
            "a.*",
            "a.>",
            "*.*.>",
            "a.*.c",
            "$JS.API.>",
        ] {
            check_subscribe_subject(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        for bad in BAD_EVERYWHERE.iter().chain(&[
            "a.>.b", ">.a", "a*", "a.b*", "*a.b", "a.>b", "a.b>", "**", ">>", "a.*>",
        ]) {
            let e = check_subscribe_subject(bad).unwrap_err();
            assert_eq!(e.status, NATS_INVALID_SUBJECT, "{bad:?}");
        }
        assert!(check_subscribe_subject("a.>.b")
            .unwrap_err()
            .text
            .contains("last token"));
    }

    #[test]
    fn queue() {
        for ok in ["q", "workers", "a.b", "q*"] {
            check_queue_name(ok).unwrap();
        }
        for bad in ["", " ", "a b", "a\t", "\nq", "q\r"] {
            assert_eq!(
                check_queue_name(bad).unwrap_err().status,
                NATS_INVALID_QUEUE_NAME,
                "{bad:?}"
            );
        }
    }
}
