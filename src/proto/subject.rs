//! Validation of subjects and queue names before they are put on the wire.
#![forbid(unsafe_code)]

use crate::status::{err, natsStatus::*, Result};

/// Characters that would break the line-based protocol.
fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// Checks non-emptiness, blanks and empty tokens; `what` names the thing in messages.
fn check_tokens(s: &str, what: &str) -> Result<()> {
    // One pass over the bytes (this runs for every publish): whitespace anywhere, or a dot
    // at the start, at the end or after another dot, is refused.
    let b = s.as_bytes();
    let mut prev_dot = true;
    let mut bad_token = false;
    let mut blank = false;
    for &c in b {
        match c {
            b'.' => {
                bad_token |= prev_dot;
                prev_dot = true;
            }
            b' ' | b'\t' | b'\r' | b'\n' => {
                blank = true;
                prev_dot = false;
            }
            _ => prev_dot = false,
        }
    }
    if b.is_empty() {
        return err(NATS_INVALID_SUBJECT, format!("{what} is empty"));
    }
    if blank {
        return err(
            NATS_INVALID_SUBJECT,
            format!("{what} '{}' contains whitespace", s.escape_debug()),
        );
    }
    if bad_token || prev_dot {
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
