//! Publishing to JetStream and waiting for the stream's acknowledgment (`js_Publish`,
//! `js_PublishMsg`): one request on the connection's muxed reply inbox, so a publish costs
//! one round trip and no subscription.
//!
//! The publish options become headers the server checks (`Nats-Msg-Id`,
//! `Nats-Expected-*`); a failed expectation comes back as an API error (NATS_ERR with the
//! server's text and `err_code`).

use serde::Deserialize;

use super::api::{js_err, parse_reply, JsError, JsResult};
use super::context::Context;
use crate::msg::{Msg, MsgBody};
use crate::status::natsStatus;

/// Header carrying the message id the stream de-duplicates on.
pub const MSG_ID_HDR: &str = "Nats-Msg-Id";
pub const EXPECTED_STREAM_HDR: &str = "Nats-Expected-Stream";
pub const EXPECTED_LAST_SEQ_HDR: &str = "Nats-Expected-Last-Sequence";
pub const EXPECTED_LAST_SUBJ_SEQ_HDR: &str = "Nats-Expected-Last-Subject-Sequence";
pub const EXPECTED_LAST_MSG_ID_HDR: &str = "Nats-Expected-Last-Msg-Id";

/// The server's JetStream error code for "JetStream not enabled", which nats.c reports
/// beside NATS_NO_RESPONDERS when nothing answers a publish.
pub const JS_NOT_ENABLED_ERR: u16 = 10076;

/// `jsPubOptions`: empty strings and zeros mean "not set".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PubOptions {
    /// Milliseconds to wait for the acknowledgment; 0: the context's wait. Negative is an
    /// invalid argument for the synchronous publish and AsyncComplete.
    pub max_wait_ms: i64,
    pub msg_id: Option<String>,
    pub expect_stream: Option<String>,
    pub expect_last_msg_id: Option<String>,
    pub expect_last_seq: u64,
    pub expect_last_subject_seq: u64,
    /// The subject must have no message in the stream yet (last subject sequence 0); wins
    /// over `expect_last_subject_seq`.
    pub expect_no_message: bool,
}

impl PubOptions {
    /// Checks MaxWait (nats.c refuses a negative one) and returns it.
    pub fn checked_max_wait(&self) -> JsResult<i64> {
        if self.max_wait_ms < 0 {
            return js_err(
                natsStatus::NATS_INVALID_ARG,
                format!("option 'MaxWait' ({}) cannot be negative", self.max_wait_ms),
            );
        }
        Ok(self.max_wait_ms)
    }

    /// Sets the headers these options ask for on `msg` (as nats.c does, on the message
    /// itself). A message without options keeps having no headers.
    pub fn apply_headers(&self, msg: &mut MsgBody) -> JsResult<()> {
        fn set(msg: &mut MsgBody, key: &str, value: &str) -> JsResult<()> {
            msg.headers_mut().set(key, value).map_err(JsError::from)
        }
        if let Some(id) = self.msg_id.as_deref().filter(|s| !s.is_empty()) {
            set(msg, MSG_ID_HDR, id)?;
        }
        if let Some(id) = self.expect_last_msg_id.as_deref().filter(|s| !s.is_empty()) {
            set(msg, EXPECTED_LAST_MSG_ID_HDR, id)?;
        }
        if let Some(s) = self.expect_stream.as_deref().filter(|s| !s.is_empty()) {
            set(msg, EXPECTED_STREAM_HDR, s)?;
        }
        if self.expect_last_seq > 0 {
            set(msg, EXPECTED_LAST_SEQ_HDR, &self.expect_last_seq.to_string())?;
        }
        if self.expect_no_message {
            set(msg, EXPECTED_LAST_SUBJ_SEQ_HDR, "0")?;
        } else if self.expect_last_subject_seq > 0 {
            set(msg, EXPECTED_LAST_SUBJ_SEQ_HDR, &self.expect_last_subject_seq.to_string())?;
        }
        Ok(())
    }
}

/// The stream's acknowledgment of a published message (`jsPubAck`).
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct PubAck {
    #[serde(default)]
    pub stream: String,
    #[serde(default)]
    pub seq: u64,
    #[serde(default)]
    pub domain: Option<String>,
    #[serde(default)]
    pub duplicate: bool,
}

/// Reads a publish acknowledgment: the ack, or the server's error (NATS_ERR, its text and
/// `err_code`), or NATS_NO_RESPONDERS when the reply is the server's no-responders status
/// (no stream listens on the subject).
pub fn parse_pub_ack(reply: &MsgBody) -> JsResult<PubAck> {
    if reply.is_no_responders() {
        return Err(no_responders(None));
    }
    parse_reply::<PubAck>(reply.data())?.map_err(|e| e.into_js_error())
}

/// NATS_NO_RESPONDERS as nats.c reports it for a publish: with JSNotEnabledErr beside it.
fn no_responders(subject: Option<&str>) -> JsError {
    let text = match subject {
        Some(s) => format!("no responders for the JetStream publish to '{s}': no stream listens on it, or JetStream is not enabled"),
        None => "no responders: no stream listens on the subject, or JetStream is not enabled".to_string(),
    };
    JsError { err: crate::status::Error::new(natsStatus::NATS_NO_RESPONDERS, text), code: JS_NOT_ENABLED_ERR }
}

/// The subject of a message to publish, which must be non-empty text.
pub(crate) fn msg_subject(msg: &MsgBody) -> JsResult<&str> {
    match std::str::from_utf8(msg.subject()) {
        Ok(s) if !s.is_empty() => Ok(s),
        Ok(_) => js_err(natsStatus::NATS_INVALID_ARG, "the message subject must not be empty"),
        Err(_) => js_err(natsStatus::NATS_INVALID_SUBJECT, "the message subject is not valid UTF-8"),
    }
}

impl Context {
    /// `js_Publish`: publishes `data` to `subject` and waits for the stream's ack.
    pub fn publish(&self, subject: &str, data: &[u8], opts: Option<&PubOptions>) -> JsResult<PubAck> {
        if subject.is_empty() {
            return js_err(natsStatus::NATS_INVALID_ARG, "the subject must not be empty");
        }
        let mut msg = Msg::new(subject.as_bytes(), None, data);
        self.publish_msg(&mut msg, opts)
    }

    /// `js_PublishMsg`: sets the options' headers on `msg`, publishes it with a reply
    /// subject and waits for the stream's ack (MaxWait, else the context's wait).
    pub fn publish_msg(&self, msg: &mut MsgBody, opts: Option<&PubOptions>) -> JsResult<PubAck> {
        msg_subject(msg)?;
        let mut wait = 0;
        if let Some(o) = opts {
            wait = o.checked_max_wait()?;
            o.apply_headers(msg)?;
        }
        if wait == 0 {
            wait = self.wait_ms();
        }
        let wait = wait.min(super::publish_async::MAX_WAIT_MS);
        let subject = msg_subject(msg)?;
        let headers = msg.headers().filter(|h| !h.is_empty());
        let reply = self.conn().request(subject, headers, msg.data(), wait).map_err(|e| {
            if e.status == natsStatus::NATS_NO_RESPONDERS {
                no_responders(Some(subject))
            } else {
                JsError::from(e)
            }
        })?;
        parse_pub_ack(&reply)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::headers::Headers;

    #[test]
    fn options_become_headers() {
        let mut m = Msg::new(b"foo", None, b"x");
        PubOptions::default().apply_headers(&mut m).unwrap();
        assert!(m.headers().map_or(true, Headers::is_empty));
        let o = PubOptions {
            msg_id: Some("id1".into()),
            expect_stream: Some("S".into()),
            expect_last_msg_id: Some("id0".into()),
            expect_last_seq: 7,
            expect_last_subject_seq: 3,
            ..Default::default()
        };
        o.apply_headers(&mut m).unwrap();
        let h = m.headers().unwrap();
        assert_eq!(h.get(MSG_ID_HDR).unwrap().to_str().unwrap(), "id1");
        assert_eq!(h.get(EXPECTED_STREAM_HDR).unwrap().to_str().unwrap(), "S");
        assert_eq!(h.get(EXPECTED_LAST_MSG_ID_HDR).unwrap().to_str().unwrap(), "id0");
        assert_eq!(h.get(EXPECTED_LAST_SEQ_HDR).unwrap().to_str().unwrap(), "7");
        assert_eq!(h.get(EXPECTED_LAST_SUBJ_SEQ_HDR).unwrap().to_str().unwrap(), "3");
        let o = PubOptions { expect_no_message: true, expect_last_subject_seq: 3, ..Default::default() };
        o.apply_headers(&mut m).unwrap();
        assert_eq!(m.headers().unwrap().get(EXPECTED_LAST_SUBJ_SEQ_HDR).unwrap().to_str().unwrap(), "0");
    }

    #[test]
    fn acks_and_errors_parse() {
        let m = Msg::new(b"r", None, br#"{"stream":"S","seq":5,"duplicate":true,"domain":"hub"}"#);
        let a = parse_pub_ack(&m).unwrap();
        assert_eq!(a, PubAck { stream: "S".into(), seq: 5, domain: Some("hub".into()), duplicate: true });
        let m = Msg::new(b"r", None, br#"{"error":{"code":400,"err_code":10071,"description":"wrong last sequence: 1"}}"#);
        let e = parse_pub_ack(&m).unwrap_err();
        assert_eq!((e.status(), e.code, e.err.text.as_str()), (natsStatus::NATS_ERR, 10071, "wrong last sequence: 1"));
        let m = Msg::new(b"r", None, b"not json");
        assert_eq!(parse_pub_ack(&m).unwrap_err().status(), natsStatus::NATS_ERR);
    }

    #[test]
    fn negative_max_wait_is_invalid() {
        let o = PubOptions { max_wait_ms: -1, ..Default::default() };
        assert_eq!(o.checked_max_wait().unwrap_err().status(), natsStatus::NATS_INVALID_ARG);
    }
}
