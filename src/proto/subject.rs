//! Validation of subjects and queue names before they are put on the wire.
#![forbid(unsafe_code)]

use crate::status::{err, natsStatus::*, Error, Result};

/// Characters that would break the line-based protocol.
fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// What one pass over a subject's bytes found. Fed one byte at a time, so that the C entry
/// points can check a NUL-terminated subject while they look for its end.
#[derive(Clone, Copy)]
pub struct Scan {
    /// Space, tab, CR or LF somewhere.
    blank: bool,
    /// An empty token: a dot at the start or after another dot.
    empty_token: bool,
    /// The last byte was a dot (true at the start: a leading dot makes an empty token).
    prev_dot: bool,
    /// All bytes ORed together: below 0x80 means ASCII.
    high: u8,
}

impl Default for Scan {
    fn default() -> Scan {
        Scan::new()
    }
}

impl Scan {
    pub fn new() -> Scan {
        Scan { blank: false, empty_token: false, prev_dot: true, high: 0 }
    }

    /// A scan fed all of `b`.
    pub fn over(b: &[u8]) -> Scan {
        let mut sc = Scan::new();
        for &c in b {
            sc.push(c);
        }
        sc
    }

    #[inline(always)]
    pub fn push(&mut self, c: u8) {
        self.high |= c;
        match c {
            b'.' => {
                self.empty_token |= self.prev_dot;
                self.prev_dot = true;
            }
            b' ' | b'\t' | b'\r' | b'\n' => {
                self.blank = true;
                self.prev_dot = false;
            }
            _ => self.prev_dot = false,
        }
    }

    /// A trailing dot (or no bytes at all) is an empty token too.
    fn finish(mut self) -> Scan {
        self.empty_token |= self.prev_dot;
        self
    }

    /// The publish check of the bytes `b` this scan was fed: Ok(true) when they are ASCII,
    /// so they are valid UTF-8 without a second look; Ok(false) when the caller still has
    /// to check UTF-8.
    pub fn publish_result(self, b: &[u8]) -> Result<bool> {
        let sc = self.finish();
        if sc.blank || sc.empty_token {
            // The slow path words the error.
            return Err(check_publish_subject(&String::from_utf8_lossy(b))
                .err()
                .unwrap_or_else(|| Error::new(NATS_INVALID_SUBJECT, "subject is invalid")));
        }
        Ok(sc.high < 0x80)
    }
}

/// Checks non-emptiness, blanks and empty tokens; `what` names the thing in messages.
fn check_tokens(s: &str, what: &str) -> Result<()> {
    // One pass over the bytes (this runs for every publish).
    let sc = Scan::over(s.as_bytes()).finish();
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
