//! Acknowledging JetStream messages: `+ACK`, `-NAK` (optionally with a delay), `+WPI`
//! (in progress) and `+TERM`, published to the message's reply subject, or sent as a
//! request whose reply confirms it (AckSync, or any ack with a jsOptions wait).
#![forbid(unsafe_code)]

use super::api::{js_err, JsError, JsResult};
use super::sub_consumer::NOT_ENABLED;
use crate::conn::Connection;
use crate::msg::MsgBody;
use crate::status::natsStatus;

/// What the messages of one JetStream subscription need to be acknowledged; shared by them.
pub struct AckContext {
    pub conn: Connection,
    /// The context's wait (ms), for synchronous acks without their own.
    pub wait_ms: i64,
}

impl std::fmt::Debug for AckContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AckContext").field("wait_ms", &self.wait_ms).finish()
    }
}

/// The kinds of acknowledgement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckKind {
    Ack,
    Nak,
    /// Redeliver after this many milliseconds.
    NakWithDelay(i64),
    InProgress,
    Term,
}

impl AckKind {
    /// The body sent to the reply subject.
    pub fn body(self) -> String {
        match self {
            AckKind::Ack => "+ACK".into(),
            AckKind::Nak => "-NAK".into(),
            AckKind::NakWithDelay(ms) if ms > 0 => format!("-NAK {{\"delay\":{}}}", ms.saturating_mul(1_000_000)),
            AckKind::NakWithDelay(_) => "-NAK".into(),
            AckKind::InProgress => "+WPI".into(),
            AckKind::Term => "+TERM".into(),
        }
    }
}

/// Acknowledges `msg`. `sync` waits for the server's confirmation; so does any ack given a
/// positive `wait_ms` (jsOptions.Wait), which is then the time allowed. A message already
/// acknowledged (or from an AckNone consumer) is left alone: NATS_OK. A message that did not
/// come from a JetStream subscription: NATS_ILLEGAL_STATE.
pub fn ack(msg: &mut MsgBody, kind: AckKind, sync: bool, wait_ms: i64) -> JsResult<()> {
    if msg.js.acked {
        return Ok(());
    }
    let Some(ctx) = msg.js.ack.clone() else {
        return js_err(natsStatus::NATS_ILLEGAL_STATE, "message not bound to a subscription");
    };
    let Some(reply) = msg.reply().filter(|r| !r.is_empty()) else {
        return js_err(natsStatus::NATS_ILLEGAL_STATE, "not a JetStream message");
    };
    let reply = String::from_utf8_lossy(reply).into_owned();
    let body = kind.body();
    let (sync, wait) = if wait_ms > 0 { (true, wait_ms) } else { (sync, ctx.wait_ms) };
    if sync {
        ctx.conn.request(&reply, None, body.as_bytes(), wait).map_err(|e| {
            let no_resp = e.status == natsStatus::NATS_NO_RESPONDERS;
            JsError { err: e, code: if no_resp { NOT_ENABLED } else { 0 } }
        })?;
    } else {
        ctx.conn.publish(&reply, None, body.as_bytes())?;
    }
    if kind != AckKind::InProgress {
        msg.js.acked = true;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::Msg;

    #[test]
    fn bodies() {
        assert_eq!(AckKind::Ack.body(), "+ACK");
        assert_eq!(AckKind::Nak.body(), "-NAK");
        assert_eq!(AckKind::NakWithDelay(250).body(), r#"-NAK {"delay":250000000}"#);
        assert_eq!(AckKind::NakWithDelay(0).body(), "-NAK");
        assert_eq!(AckKind::InProgress.body(), "+WPI");
        assert_eq!(AckKind::Term.body(), "+TERM");
    }

    #[test]
    fn messages_not_from_jetstream_are_refused() {
        let mut m = Msg::new(b"foo", Some(b"bar"), b"x");
        let e = ack(&mut m, AckKind::Ack, false, 0).unwrap_err();
        assert_eq!(e.status(), natsStatus::NATS_ILLEGAL_STATE);
        assert_eq!(e.err.text, "message not bound to a subscription");
        // Already acknowledged: nothing to do.
        m.js.acked = true;
        assert!(ack(&mut m, AckKind::Ack, false, 0).is_ok());
    }
}
