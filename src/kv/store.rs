//! A bucket handle and its operations, as nats.c 3.4.1 performs them.

use std::time::{Duration, Instant};

use serde::Deserialize;

use super::config::{BucketConfig, BucketStatus, StreamInfo};
use super::entry::{Entry, Operation};
use super::names::{self, OP_DELETE, OP_HEADER, OP_PURGE};
use super::time::{now_ns, parse_rfc3339_ns};
use super::watch::{WatchOptions, Watcher};
use crate::js::api::{js_err, parse_reply, ApiError, JsError, JsResult};
use crate::js::context::{Context, DEFAULT_API_PREFIX};
use crate::msg::Msg;
use crate::proto::headers::Headers;
use crate::status::natsStatus;

/// Server error codes a bucket maps.
pub const JS_STREAM_NOT_FOUND: u16 = 10059;
pub const JS_STREAM_NAME_EXIST: u16 = 10058;
pub const JS_NO_MESSAGE_FOUND: u16 = 10037;

/// Markers younger than this stay when kvStore_PurgeDeletes is not told otherwise.
const DEFAULT_MARKERS_OLDER_THAN_NS: i64 = 30 * 60 * 1_000_000_000;

/// kvPurgeOptions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PurgeOptions {
    /// Milliseconds; <= 0: the context's wait (purge) or no limit (gathering markers).
    pub timeout_ms: i64,
    /// Nanoseconds; 0: 30 minutes; negative: every marker goes.
    pub delete_markers_older_than: i64,
}

/// A bucket bound to a JetStream context.
#[derive(Debug, Clone)]
pub struct Store {
    ctx: Context,
    bucket: String,
    stream: String,
    /// `$KV.<bucket>.`
    pre: String,
    /// The stream allows direct gets: reads go to DIRECT.GET.
    use_direct: bool,
    /// Puts go to `<prefix>.$KV...` when the context has a non-default API prefix (a bucket
    /// imported from another account), as nats.c does.
    use_js_prefix: bool,
}

#[derive(Deserialize)]
struct PubAck {
    #[serde(default)]
    seq: u64,
}

#[derive(Deserialize)]
struct StoredMsgReply {
    message: Option<StoredMsg>,
}

#[derive(Deserialize)]
struct StoredMsg {
    subject: String,
    #[serde(default)]
    seq: u64,
    #[serde(default)]
    hdrs: Option<String>,
    #[serde(default)]
    data: Option<String>,
    #[serde(default)]
    time: String,
}

#[derive(Deserialize)]
struct Success {
    #[serde(default)]
    success: bool,
}

/// NATS_NOT_FOUND for a missing stream, the server's error otherwise.
fn stream_error(e: ApiError, stream: &str) -> JsError {
    if e.err_code == JS_STREAM_NOT_FOUND {
        let code = e.err_code;
        JsError { err: crate::status::Error::new(natsStatus::NATS_NOT_FOUND, format!("stream '{stream}' not found")), code }
    } else {
        e.into_js_error()
    }
}

fn stream_info(ctx: &Context, stream: &str) -> JsResult<StreamInfo> {
    ctx.request::<StreamInfo>(&format!("STREAM.INFO.{stream}"), b"")?.map_err(|e| stream_error(e, stream))
}

fn b64(s: &str, what: &str) -> JsResult<Vec<u8>> {
    data_encoding::BASE64
        .decode(s.as_bytes())
        .map_err(|e| JsError::new(natsStatus::NATS_ERR, format!("invalid base64 {what} in the stored message: {e}")))
}

fn not_found() -> JsError {
    JsError::new(natsStatus::NATS_NOT_FOUND, "key not found")
}

impl Store {
    fn new(ctx: &Context, bucket: &str) -> JsResult<Store> {
        names::check_bucket(bucket)?;
        Ok(Store {
            ctx: ctx.clone(),
            bucket: bucket.to_string(),
            stream: names::stream_name(bucket),
            pre: names::subject_prefix(bucket),
            use_direct: false,
            use_js_prefix: ctx.prefix() != DEFAULT_API_PREFIX,
        })
    }

    /// js_CreateKeyValue: creates the bucket's stream; when it exists with the same
    /// essential configuration, updates it; when it differs, NATS_ERR.
    pub fn create(ctx: &Context, cfg: &BucketConfig) -> JsResult<Store> {
        let mut kv = Store::new(ctx, &cfg.bucket)?;
        let discard_new = ctx.conn().server_version().map_or(true, |v| v >= (2, 7, 2));
        let sc = cfg.stream_config(discard_new)?;
        let body = serde_json::to_vec(&sc).map_err(|e| JsError::new(natsStatus::NATS_ERR, e.to_string()))?;
        let info = match ctx.request::<StreamInfo>(&format!("STREAM.CREATE.{}", kv.stream), &body)? {
            Ok(si) => si,
            Err(e) if e.err_code == JS_STREAM_NAME_EXIST => {
                let si = stream_info(ctx, &kv.stream)?;
                if !si.config.same_as(&sc) {
                    return js_err(natsStatus::NATS_ERR, "Existing configuration is different");
                }
                ctx.request::<StreamInfo>(&format!("STREAM.UPDATE.{}", kv.stream), &body)?.map_err(ApiError::into_js_error)?
            }
            Err(e) => return Err(e.into_js_error()),
        };
        kv.use_direct = info.config.allow_direct;
        Ok(kv)
    }

    /// js_KeyValue: binds to an existing bucket (NATS_NOT_FOUND when its stream is missing).
    pub fn bind(ctx: &Context, bucket: &str) -> JsResult<Store> {
        let mut kv = Store::new(ctx, bucket)?;
        let si = stream_info(ctx, &kv.stream)?;
        if si.config.max_msgs_per_subject < 1 {
            return js_err(natsStatus::NATS_INVALID_ARG, names::ERR_BAD_BUCKET);
        }
        kv.use_direct = si.config.allow_direct;
        Ok(kv)
    }

    /// js_DeleteKeyValue: deletes the bucket's stream.
    pub fn delete_bucket(ctx: &Context, bucket: &str) -> JsResult<()> {
        if !names::valid_bucket(bucket) {
            return js_err(natsStatus::NATS_INVALID_ARG, names::ERR_BAD_BUCKET);
        }
        let stream = names::stream_name(bucket);
        let r = ctx.request::<Success>(&format!("STREAM.DELETE.{stream}"), b"")?.map_err(|e| stream_error(e, &stream))?;
        if !r.success {
            return js_err(natsStatus::NATS_ERR, format!("failed to delete stream '{stream}'"));
        }
        Ok(())
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    pub fn stream(&self) -> &str {
        &self.stream
    }

    pub fn context(&self) -> &Context {
        &self.ctx
    }

    /// `$KV.<bucket>.`
    pub fn subject_prefix(&self) -> &str {
        &self.pre
    }

    pub fn uses_direct_get(&self) -> bool {
        self.use_direct
    }

    fn key_subject(&self, key: &str) -> String {
        format!("{}{}", self.pre, key)
    }

    fn put_subject(&self, key: &str) -> String {
        if self.use_js_prefix {
            format!("{}.{}{}", self.ctx.prefix(), self.pre, key)
        } else {
            self.key_subject(key)
        }
    }

    /// Publishes to the key's subject and waits for the stream's acknowledgement; the
    /// revision on success.
    fn publish(&self, key: &str, headers: Option<&Headers>, data: &[u8], wait_ms: i64) -> JsResult<u64> {
        names::check_key(key)?;
        let wait = if wait_ms > 0 { wait_ms } else { self.ctx.wait_ms() };
        let reply = self.ctx.conn().request(&self.put_subject(key), headers, data, wait)?;
        match parse_reply::<PubAck>(reply.data())? {
            Ok(ack) => Ok(ack.seq),
            Err(e) => Err(e.into_js_error()),
        }
    }

    /// kvStore_Put.
    pub fn put(&self, key: &str, data: &[u8]) -> JsResult<u64> {
        self.publish(key, None, data, 0)
    }

    /// kvStore_Update: only when the key's latest revision is `last` (0: the key has no
    /// message at all).
    pub fn update(&self, key: &str, data: &[u8], last: u64) -> JsResult<u64> {
        names::check_key(key)?;
        let mut h = Headers::new();
        h.set("Nats-Expected-Last-Subject-Sequence", &last.to_string())?;
        self.publish(key, Some(&h), data, 0)
    }

    /// kvStore_Create: only when the key does not exist, or its latest entry is a delete or
    /// purge marker.
    pub fn create_key(&self, key: &str, data: &[u8]) -> JsResult<u64> {
        let first = match self.update(key, data, 0) {
            Ok(rev) => return Ok(rev),
            Err(e) => e,
        };
        if first.status() == natsStatus::NATS_INVALID_ARG {
            return Err(first);
        }
        // The key may hold a marker: then the value goes on top of it.
        match self.entry(key, 0) {
            Ok(e) if e.operation.is_marker() => self.update(key, data, e.revision),
            _ => Err(first),
        }
    }

    /// kvStore_Delete: a delete marker; earlier revisions stay.
    pub fn delete(&self, key: &str) -> JsResult<()> {
        names::check_key(key)?;
        let mut h = Headers::new();
        h.set(OP_HEADER, OP_DELETE)?;
        self.publish(key, Some(&h), b"", 0).map(|_| ())
    }

    /// kvStore_Purge: a purge marker that rolls up (removes) every earlier revision.
    pub fn purge(&self, key: &str, opts: Option<&PurgeOptions>) -> JsResult<()> {
        names::check_key(key)?;
        let mut h = Headers::new();
        h.set(OP_HEADER, OP_PURGE)?;
        h.set("Nats-Rollup", "sub")?;
        self.publish(key, Some(&h), b"", opts.map_or(0, |o| o.timeout_ms)).map(|_| ())
    }

    /// The latest entry of `key` (revision 0) or the entry at `revision`, markers included.
    /// NATS_NOT_FOUND when there is none (or the revision belongs to another key).
    pub fn entry(&self, key: &str, revision: u64) -> JsResult<Entry> {
        names::check_key(key)?;
        let subject = self.key_subject(key);
        let e = if self.use_direct { self.direct_get(&subject, revision)? } else { self.msg_get(&subject, revision)? };
        if revision != 0 && e.key != key {
            return Err(not_found());
        }
        Ok(e)
    }

    /// kvStore_Get / kvStore_GetRevision: like [`entry`](Self::entry), but a deleted or
    /// purged key is NATS_NOT_FOUND.
    pub fn get(&self, key: &str, revision: u64) -> JsResult<Entry> {
        let e = self.entry(key, revision)?;
        if e.operation.is_marker() {
            return Err(not_found());
        }
        Ok(e)
    }

    fn entry_of(&self, subject: &str, seq: u64, time: i64, headers: Option<&Headers>, value: Vec<u8>) -> JsResult<Entry> {
        let key = subject.strip_prefix(self.pre.as_str()).unwrap_or(subject);
        Ok(Entry {
            bucket: self.bucket.clone(),
            key: key.to_string(),
            value,
            revision: seq,
            created: time,
            delta: 0,
            operation: Operation::of(headers),
        })
    }

    fn direct_get(&self, subject: &str, revision: u64) -> JsResult<Entry> {
        let (what, body) = if revision == 0 {
            (format!("DIRECT.GET.{}.{}", self.stream, subject), Vec::new())
        } else {
            (format!("DIRECT.GET.{}", self.stream), format!("{{\"seq\":{revision}}}").into_bytes())
        };
        let reply: Msg = self.ctx.conn().request(&self.ctx.api_subject(&what), None, &body, self.ctx.wait_ms())?;
        let Some(h) = reply.headers() else {
            return js_err(natsStatus::NATS_ERR, "direct get message response should have headers");
        };
        if reply.data().is_empty() {
            if let Some(code) = h.status() {
                if code == 404 {
                    return Err(not_found());
                }
                let desc = h.get(crate::proto::headers::DESCRIPTION_HDR).map(|d| d.to_string_lossy().into_owned()).unwrap_or_default();
                return js_err(natsStatus::NATS_ERR, format!("error getting message: {desc}"));
            }
        }
        let get = |k: &str| h.get(k).and_then(|v| v.to_str().ok()).unwrap_or("");
        if get("Nats-Stream").is_empty() {
            return js_err(natsStatus::NATS_ERR, "missing stream name ''");
        }
        let seq: u64 = get("Nats-Sequence")
            .parse()
            .map_err(|_| JsError::new(natsStatus::NATS_ERR, format!("missing or invalid sequence '{}'", get("Nats-Sequence"))))?;
        let time = parse_rfc3339_ns(get("Nats-Time-Stamp"))
            .filter(|t| *t != 0)
            .ok_or_else(|| JsError::new(natsStatus::NATS_ERR, format!("missing or invalid timestamp '{}'", get("Nats-Time-Stamp"))))?;
        let subj = get("Nats-Subject");
        if subj.is_empty() {
            return js_err(natsStatus::NATS_ERR, "missing or invalid subject ''");
        }
        self.entry_of(subj, seq, time, Some(h), reply.data().to_vec())
    }

    fn msg_get(&self, subject: &str, revision: u64) -> JsResult<Entry> {
        let body = if revision == 0 {
            serde_json::json!({ "last_by_subj": subject })
        } else {
            serde_json::json!({ "seq": revision })
        };
        let r = self
            .ctx
            .request::<StoredMsgReply>(&format!("STREAM.MSG.GET.{}", self.stream), body.to_string().as_bytes())?
            .map_err(|e| if e.err_code == JS_NO_MESSAGE_FOUND { not_found() } else { e.into_js_error() })?;
        let Some(m) = r.message else {
            return js_err(natsStatus::NATS_NOT_FOUND, "message content not found");
        };
        let headers = match m.hdrs.as_deref().filter(|h| !h.is_empty()) {
            Some(h) => Some(Headers::parse(&b64(h, "headers")?)?),
            None => None,
        };
        let value = match m.data.as_deref() {
            Some(d) => b64(d, "data")?,
            None => Vec::new(),
        };
        let time = parse_rfc3339_ns(&m.time).unwrap_or(0);
        self.entry_of(&m.subject, m.seq, time, headers.as_ref(), value)
    }

    /// kvStore_Status.
    pub fn status(&self) -> JsResult<BucketStatus> {
        let si = stream_info(&self.ctx, &self.stream)?;
        Ok(BucketStatus {
            bucket: self.bucket.clone(),
            values: si.state.messages,
            history: si.config.max_msgs_per_subject,
            ttl: si.config.max_age,
            replicas: si.config.num_replicas,
            bytes: si.state.bytes,
        })
    }

    /// kvStore_Watch (`keys` may hold wildcards) and, with ">", kvStore_WatchAll.
    pub fn watch(&self, keys: &str, opts: &WatchOptions) -> JsResult<Watcher> {
        if keys.is_empty() {
            return js_err(natsStatus::NATS_INVALID_ARG, "keys to watch must not be empty");
        }
        Watcher::start(self, &self.key_subject(keys), opts)
    }

    /// Runs a watcher up to its end-of-initial-values marker and returns what it gave. With
    /// a timeout (ms > 0), NATS_TIMEOUT when the marker did not come in time.
    fn gather(&self, keys: &str, opts: &WatchOptions, timeout_ms: i64, keep: impl FnMut(&Entry) -> bool) -> JsResult<Vec<Entry>> {
        let (entries, result) = self.gather_partial(keys, opts, timeout_ms, keep)?;
        result.map(|_| entries)
    }

    /// [`gather`](Self::gather) that also returns what came before an error.
    fn gather_partial(
        &self,
        keys: &str,
        opts: &WatchOptions,
        timeout_ms: i64,
        mut keep: impl FnMut(&Entry) -> bool,
    ) -> JsResult<(Vec<Entry>, JsResult<()>)> {
        let w = self.watch(keys, opts)?;
        let deadline = (timeout_ms > 0).then(|| Instant::now() + Duration::from_millis(timeout_ms as u64));
        let mut out = Vec::new();
        let result = loop {
            let left = match deadline {
                Some(d) => {
                    let left = d.saturating_duration_since(Instant::now()).as_millis() as i64;
                    if left <= 0 {
                        break js_err(natsStatus::NATS_TIMEOUT, "timeout while gathering the bucket's entries");
                    }
                    left
                }
                None => i64::MAX,
            };
            match w.next(left) {
                Ok(Some(e)) => {
                    if keep(&e) {
                        out.push(e)
                    }
                }
                Ok(None) => break Ok(()),
                Err(e) => break Err(e),
            }
        };
        w.stop();
        Ok((out, result))
    }

    /// kvStore_Keys: the keys whose latest entry is a value.
    pub fn keys(&self, opts: Option<&WatchOptions>) -> JsResult<Vec<String>> {
        let mut o = opts.copied().unwrap_or_default();
        o.ignore_deletes = true;
        o.meta_only = true;
        let entries = self.gather(">", &o, o.timeout_ms, |_| true)?;
        Ok(entries.into_iter().map(|e| e.key).collect())
    }

    /// kvStore_History: every kept entry of `key`, markers included unless IgnoreDeletes;
    /// NATS_NOT_FOUND when there is none.
    pub fn history(&self, key: &str, opts: Option<&WatchOptions>) -> JsResult<Vec<Entry>> {
        let mut o = opts.copied().unwrap_or_default();
        o.include_history = true;
        let entries = self.gather(key, &o, o.timeout_ms, |_| true)?;
        if entries.is_empty() {
            return Err(not_found());
        }
        Ok(entries)
    }

    /// kvStore_PurgeDeletes: every key whose latest entry is a marker loses its older
    /// messages; the marker itself goes too unless it is younger than the limit.
    pub fn purge_deletes(&self, opts: Option<&PurgeOptions>) -> JsResult<()> {
        let o = opts.copied().unwrap_or_default();
        // As documented: when gathering runs out of time, the markers found so far are still
        // handled, and the call reports NATS_TIMEOUT.
        let (markers, gathered) = self.gather_partial(">", &WatchOptions::default(), o.timeout_ms, |e| e.operation.is_marker())?;
        if let Err(e) = &gathered {
            if e.status() != natsStatus::NATS_TIMEOUT {
                return Err(e.clone());
            }
        }
        let older_than = if o.delete_markers_older_than == 0 { DEFAULT_MARKERS_OLDER_THAN_NS } else { o.delete_markers_older_than };
        let limit = if older_than > 0 { Some(now_ns() - older_than) } else { None };
        let mut first_err = None;
        for m in markers {
            let mut body = serde_json::json!({ "filter": self.key_subject(&m.key) });
            if limit.is_some_and(|l| m.created >= l) {
                body["keep"] = 1.into();
            }
            let r = self
                .ctx
                .request::<Success>(&format!("STREAM.PURGE.{}", self.stream), body.to_string().as_bytes())
                .and_then(|r| r.map_err(|e| stream_error(e, &self.stream)));
            if let Err(e) = r {
                first_err.get_or_insert(e);
            }
        }
        match first_err {
            Some(e) => Err(e),
            None => gathered,
        }
    }
}
