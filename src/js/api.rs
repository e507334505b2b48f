//! Requests to the JetStream API: a JSON body published to `<prefix>.<what>` on the
//! connection's muxed reply inbox, and a JSON reply that either holds the answer or an
//! `error` object (`code`, `err_code`, `description`).

use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::status::{natsStatus, Error};

/// An error of a JetStream call: the status and text (as every core error has) plus the
/// server's JetStream error code (`jsErrCode`, 0 when the error did not come from the
/// server's API).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsError {
    pub err: Error,
    pub code: u16,
}

impl JsError {
    pub fn new(status: natsStatus, text: impl Into<String>) -> JsError {
        JsError { err: Error::new(status, text), code: 0 }
    }

    pub fn status(&self) -> natsStatus {
        self.err.status
    }
}

impl From<Error> for JsError {
    fn from(err: Error) -> JsError {
        JsError { err, code: 0 }
    }
}

impl std::fmt::Display for JsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.err.text)
    }
}

impl std::error::Error for JsError {}

pub type JsResult<T> = std::result::Result<T, JsError>;

/// Shorthand: `js_err(NATS_INVALID_ARG, "...")`.
pub fn js_err<T>(status: natsStatus, text: impl Into<String>) -> JsResult<T> {
    Err(JsError::new(status, text))
}

/// The `error` object of an API reply.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP-like code (400, 404, 503...).
    #[serde(default)]
    pub code: u16,
    /// The JetStream error code (`jsErrCode`).
    #[serde(default)]
    pub err_code: u16,
    #[serde(default)]
    pub description: String,
}

impl ApiError {
    /// The error as nats.c reports an API error: NATS_ERR with the server's description
    /// and its error code. Callers that map particular codes (a missing stream to
    /// NATS_NOT_FOUND, say) check `err_code` before calling this.
    pub fn into_js_error(self) -> JsError {
        let text = if self.description.is_empty() {
            format!("JetStream API error {} (code {})", self.err_code, self.code)
        } else {
            self.description
        };
        JsError { err: Error::new(natsStatus::NATS_ERR, text), code: self.err_code }
    }
}

/// Just the `error` field, looked at first in every reply.
#[derive(Deserialize)]
struct ErrorOnly {
    #[serde(default)]
    error: Option<ApiError>,
}

/// Parses an API reply: `Err(ApiError)` when it carries an `error` object, the decoded
/// answer otherwise. Malformed JSON is NATS_ERR with the parser's words.
pub fn parse_reply<T: DeserializeOwned>(data: &[u8]) -> JsResult<std::result::Result<T, ApiError>> {
    let head: ErrorOnly = serde_json::from_slice(data).map_err(|e| bad_json(&e))?;
    if let Some(api) = head.error {
        return Ok(Err(api));
    }
    serde_json::from_slice(data).map(Ok).map_err(|e| bad_json(&e))
}

fn bad_json(e: &serde_json::Error) -> JsError {
    JsError::new(natsStatus::NATS_ERR, format!("invalid JetStream API reply: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Debug)]
    struct Names {
        streams: Option<Vec<String>>,
    }

    #[test]
    fn replies_with_an_error_object_give_the_api_error() {
        let r: std::result::Result<Names, ApiError> =
            parse_reply(br#"{"type":"x","error":{"code":404,"err_code":10059,"description":"stream not found"}}"#).unwrap();
        let e = r.unwrap_err();
        assert_eq!((e.code, e.err_code), (404, 10059));
        let je = e.into_js_error();
        assert_eq!(je.status(), natsStatus::NATS_ERR);
        assert_eq!(je.code, 10059);
        assert_eq!(je.err.text, "stream not found");
    }

    #[test]
    fn replies_without_error_decode() {
        let r: std::result::Result<Names, ApiError> = parse_reply(br#"{"streams":["A","B"]}"#).unwrap();
        assert_eq!(r.unwrap().streams.unwrap(), vec!["A", "B"]);
    }

    #[test]
    fn malformed_replies_are_errors_not_panics() {
        for bad in [&b""[..], b"{", b"[1,2]", b"{\"error\":5}", b"\xff"] {
            let r = parse_reply::<Names>(bad);
            assert_eq!(r.unwrap_err().status(), natsStatus::NATS_ERR, "{:?}", bad);
        }
    }
}
