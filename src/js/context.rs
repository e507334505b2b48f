//! A JetStream context: the connection, the API prefix (from a prefix or a domain) and the
//! time to wait for API replies. nats.c lets every call pass `jsOptions` that override the
//! context's; [`Context::with`] gives the context a call runs with.

use serde::de::DeserializeOwned;

use super::api::{js_err, parse_reply, ApiError, JsResult};
use super::publish_async::{AsyncState, PublishAsyncOptions};
use crate::conn::Connection;
use crate::status::natsStatus;

/// The default API prefix.
pub const DEFAULT_API_PREFIX: &str = "$JS.API";
/// The default time to wait for an API reply, in milliseconds (nats.c's 5 s).
pub const DEFAULT_WAIT_MS: i64 = 5000;

/// jsOptions.Stream.Purge: what js_PurgeStream removes when the call does not say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PurgeOptions {
    pub subject: Option<String>,
    /// Purge up to, not including, this sequence (0: not set).
    pub sequence: u64,
    /// Messages to keep (0: not set).
    pub keep: u64,
}

impl PurgeOptions {
    /// nats.c takes a call's purge options only when one of their fields is set.
    pub fn is_set(&self) -> bool {
        self.subject.is_some() || self.sequence > 0 || self.keep > 0
    }
}

/// jsOptions.Stream.Info: what js_GetStreamInfo asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InfoOptions {
    pub deleted_details: bool,
    pub subjects_filter: Option<String>,
}

/// What a caller may set (jsOptions' Prefix, Domain, Wait, Stream.Purge, Stream.Info).
/// `None` / 0: keep the context's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContextOptions {
    pub prefix: Option<String>,
    pub domain: Option<String>,
    /// Milliseconds; <= 0 keeps the context's (or the default).
    pub wait_ms: i64,
    pub purge: PurgeOptions,
    pub info: InfoOptions,
    /// Asynchronous publish (window, handler, stall wait); used when the context is made,
    /// ignored in per-call options.
    pub publish_async: PublishAsyncOptions,
}

/// A JetStream context (cheap to clone).
#[derive(Clone)]
pub struct Context {
    conn: Connection,
    /// Without a trailing dot, e.g. `$JS.API` or `$JS.hub.API`.
    prefix: String,
    wait_ms: i64,
    purge: PurgeOptions,
    info: InfoOptions,
    /// Shared by the clones: the asynchronous publisher, made on first use.
    pub_async: std::sync::Arc<AsyncState>,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context").field("prefix", &self.prefix).field("wait_ms", &self.wait_ms).finish()
    }
}

/// The API prefix for a domain or a custom prefix, as nats.c computes it: a domain wins
/// (`$JS.<domain>.API`), a prefix loses its trailing dot, nothing gives `$JS.API`.
fn api_prefix(prefix: Option<&str>, domain: Option<&str>) -> JsResult<String> {
    if let Some(d) = domain.filter(|d| !d.is_empty()) {
        if d.contains(|c: char| c.is_whitespace() || c == '*' || c == '>') || d.starts_with('.') || d.ends_with('.') {
            return js_err(natsStatus::NATS_INVALID_ARG, format!("invalid JetStream domain '{d}'"));
        }
        return Ok(format!("$JS.{d}.API"));
    }
    match prefix.filter(|p| !p.is_empty()) {
        Some(p) => {
            let p = p.strip_suffix('.').unwrap_or(p);
            if p.is_empty() || p.contains(char::is_whitespace) {
                return js_err(natsStatus::NATS_INVALID_ARG, format!("invalid JetStream API prefix '{p}'"));
            }
            Ok(p.to_string())
        }
        None => Ok(DEFAULT_API_PREFIX.to_string()),
    }
}

impl Context {
    /// A context on `conn`. Fails with NATS_INVALID_ARG for a malformed domain or prefix.
    pub fn new(conn: Connection, opts: &ContextOptions) -> JsResult<Context> {
        let prefix = api_prefix(opts.prefix.as_deref(), opts.domain.as_deref())?;
        let wait_ms = if opts.wait_ms > 0 { opts.wait_ms } else { DEFAULT_WAIT_MS };
        opts.publish_async.check()?;
        let pub_async = std::sync::Arc::new(AsyncState::new(opts.publish_async.clone()));
        Ok(Context { conn, prefix, wait_ms, purge: opts.purge.clone(), info: opts.info.clone(), pub_async })
    }

    /// The context a call runs with when it passes its own options: a prefix or domain
    /// given there replaces the context's, a positive wait replaces its wait.
    pub fn with(&self, opts: Option<&ContextOptions>) -> JsResult<Context> {
        let Some(o) = opts else { return Ok(self.clone()) };
        let mut c = self.clone();
        if o.domain.as_deref().is_some_and(|d| !d.is_empty()) || o.prefix.as_deref().is_some_and(|p| !p.is_empty()) {
            c.prefix = api_prefix(o.prefix.as_deref(), o.domain.as_deref())?;
        }
        if o.wait_ms > 0 {
            c.wait_ms = o.wait_ms;
        }
        // As nats.c: a call's purge options replace the context's when any is set; its
        // info options always replace them.
        if o.purge.is_set() {
            c.purge = o.purge.clone();
        }
        c.info = o.info.clone();
        Ok(c)
    }

    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// The asynchronous-publish state (see `publish_async`).
    pub fn async_state(&self) -> &AsyncState {
        &self.pub_async
    }

    /// The API prefix, without a trailing dot.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Milliseconds to wait for an API reply.
    pub fn wait_ms(&self) -> i64 {
        self.wait_ms
    }

    /// The purge options in effect (jsOptions.Stream.Purge).
    pub fn purge_options(&self) -> &PurgeOptions {
        &self.purge
    }

    /// The stream info options in effect (jsOptions.Stream.Info).
    pub fn info_options(&self) -> &InfoOptions {
        &self.info
    }

    /// `<prefix>.<what>`, e.g. `api_subject("STREAM.INFO.ORDERS")`.
    pub fn api_subject(&self, what: &str) -> String {
        format!("{}.{}", self.prefix, what)
    }

    /// Sends `body` to `<prefix>.<what>` and waits up to the context's wait for the reply.
    /// The outer error is the transport's (timeout, no responders: JetStream is not enabled
    /// or the prefix is wrong, closed connection) or malformed JSON; the inner one is the
    /// server's API error, for the caller to map the way nats.c does for that call.
    pub fn request<T: DeserializeOwned>(&self, what: &str, body: &[u8]) -> JsResult<std::result::Result<T, ApiError>> {
        let subject = self.api_subject(what);
        let reply = self.conn.request(&subject, None, body, self.wait_ms).map_err(|mut e| {
            if e.status == natsStatus::NATS_NO_RESPONDERS {
                e.text = format!("no responders for the JetStream API request '{subject}': JetStream may not be enabled");
            }
            e
        })?;
        parse_reply(reply.data())
    }

    /// [`request`](Self::request) for calls that map every API error to NATS_ERR with the
    /// server's text and code.
    pub fn request_ok<T: DeserializeOwned>(&self, what: &str, body: &[u8]) -> JsResult<T> {
        self.request(what, body)?.map_err(ApiError::into_js_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_as_nats_c_computes_them() {
        assert_eq!(api_prefix(None, None).unwrap(), "$JS.API");
        assert_eq!(api_prefix(Some(""), Some("")).unwrap(), "$JS.API");
        assert_eq!(api_prefix(Some("$JS.x.API."), None).unwrap(), "$JS.x.API");
        assert_eq!(api_prefix(Some("foo"), None).unwrap(), "foo");
        assert_eq!(api_prefix(Some("foo"), Some("hub")).unwrap(), "$JS.hub.API");
        assert_eq!(api_prefix(None, Some("a b")).unwrap_err().status(), natsStatus::NATS_INVALID_ARG);
        assert_eq!(api_prefix(Some("."), None).unwrap_err().status(), natsStatus::NATS_INVALID_ARG);
    }
}
