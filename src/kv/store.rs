//! A bucket handle and its operations, as nats.c 3.4.1 performs them.

use std::time::{Duration, Instant};

use super::config::{same_bucket, BucketConfig, BucketStatus};
use super::entry::{Entry, Operation};
use super::names::{self, OP_DELETE, OP_HEADER, OP_PURGE};
use super::time::now_ns;
use super::watch::{WatchOptions, Watcher};
use crate::js::api::{js_err, JsError, JsResult};
use crate::js::context::{Context, ContextOptions, PurgeOptions as StreamPurge, DEFAULT_API_PREFIX};
use crate::js::publish::PubOptions;
use crate::js::stream::{self as jstream, DirectGetOptions};
use crate::msg::Msg;
use crate::proto::headers::Headers;
use crate::status::natsStatus;

/// The server's error code for a stream that exists with another configuration.
const JS_STREAM_NAME_EXIST: u16 = 10058;

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

fn not_found() -> JsError {
    JsError::new(natsStatus::NATS_NOT_FOUND, "key not found")
}

/// A missing message is a missing key.
fn not_found_as_key(e: JsError) -> JsError {
    if e.status() == natsStatus::NATS_NOT_FOUND {
        not_found()
    } else {
        e
    }
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
        let info = match jstream::add_stream(ctx, &sc) {
            Ok(si) => si,
            Err(e) if e.code == JS_STREAM_NAME_EXIST => {
                let si = jstream::stream_info(ctx, &kv.stream)?;
                if !si.config.as_ref().is_some_and(|c| same_bucket(c, &sc)) {
                    return js_err(natsStatus::NATS_ERR, "Existing configuration is different");
                }
                jstream::update_stream(ctx, &sc)?
            }
            Err(e) => return Err(e),
        };
        kv.use_direct = info.config.is_some_and(|c| c.allow_direct);
        Ok(kv)
    }

    /// js_KeyValue: binds to an existing bucket (NATS_NOT_FOUND when its stream is missing).
    pub fn bind(ctx: &Context, bucket: &str) -> JsResult<Store> {
        let mut kv = Store::new(ctx, bucket)?;
        let si = jstream::stream_info(ctx, &kv.stream)?;
        let cfg = si.config.unwrap_or_default();
        if cfg.max_msgs_per_subject < 1 {
            return js_err(natsStatus::NATS_INVALID_ARG, names::ERR_BAD_BUCKET);
        }
        kv.use_direct = cfg.allow_direct;
        Ok(kv)
    }

    /// js_DeleteKeyValue: deletes the bucket's stream (NATS_NOT_FOUND when missing).
    pub fn delete_bucket(ctx: &Context, bucket: &str) -> JsResult<()> {
        if !names::valid_bucket(bucket) {
            return js_err(natsStatus::NATS_INVALID_ARG, names::ERR_BAD_BUCKET);
        }
        jstream::delete_stream(ctx, &names::stream_name(bucket))
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

    /// Publishes to the key's subject (with `headers` and the expectations of `opts`) and
    /// waits for the stream's acknowledgement; the revision on success.
    fn publish(&self, key: &str, headers: Option<Headers>, data: &[u8], opts: &PubOptions) -> JsResult<u64> {
        names::check_key(key)?;
        let mut msg = Msg::new(self.put_subject(key).as_bytes(), None, data);
        msg.set_headers(headers);
        Ok(self.ctx.publish_msg(&mut msg, Some(opts))?.seq)
    }

    /// kvStore_Put.
    pub fn put(&self, key: &str, data: &[u8]) -> JsResult<u64> {
        self.publish(key, None, data, &PubOptions::default())
    }

    /// kvStore_Update: only when the key's latest revision is `last` (0: the key has no
    /// message at all).
    pub fn update(&self, key: &str, data: &[u8], last: u64) -> JsResult<u64> {
        let opts = PubOptions { expect_no_message: last == 0, expect_last_subject_seq: last, ..Default::default() };
        self.publish(key, None, data, &opts)
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
        self.publish(key, Some(h), b"", &PubOptions::default()).map(|_| ())
    }

    /// kvStore_Purge: a purge marker that rolls up (removes) every earlier revision.
    pub fn purge(&self, key: &str, opts: Option<&PurgeOptions>) -> JsResult<()> {
        names::check_key(key)?;
        let mut h = Headers::new();
        h.set(OP_HEADER, OP_PURGE)?;
        h.set("Nats-Rollup", "sub")?;
        let po = PubOptions { max_wait_ms: opts.map_or(0, |o| o.timeout_ms.max(0)), ..Default::default() };
        self.publish(key, Some(h), b"", &po).map(|_| ())
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

    /// The entry of a message read from the stream (stored message or direct get).
    fn entry_of(&self, msg: &Msg) -> Entry {
        let subject = String::from_utf8_lossy(msg.subject());
        let key = subject.strip_prefix(self.pre.as_str()).unwrap_or(&subject);
        Entry {
            bucket: self.bucket.clone(),
            key: key.to_string(),
            value: msg.data().to_vec(),
            revision: msg.js_seq(),
            created: msg.js_time(),
            delta: 0,
            operation: Operation::of(msg.headers()),
        }
    }

    fn direct_get(&self, subject: &str, revision: u64) -> JsResult<Entry> {
        let opts = if revision == 0 {
            DirectGetOptions { last_by_subject: Some(subject.to_string()), ..Default::default() }
        } else {
            DirectGetOptions { sequence: revision, ..Default::default() }
        };
        let msg = jstream::direct_get_msg(&self.ctx, &self.stream, &opts).map_err(not_found_as_key)?;
        Ok(self.entry_of(&msg))
    }

    fn msg_get(&self, subject: &str, revision: u64) -> JsResult<Entry> {
        let msg = if revision == 0 {
            jstream::get_last_msg(&self.ctx, &self.stream, subject)
        } else {
            jstream::get_msg(&self.ctx, &self.stream, revision)
        };
        Ok(self.entry_of(&msg.map_err(not_found_as_key)?))
    }

    /// kvStore_Status.
    pub fn status(&self) -> JsResult<BucketStatus> {
        let si = jstream::stream_info(&self.ctx, &self.stream)?;
        let cfg = si.config.unwrap_or_default();
        Ok(BucketStatus {
            bucket: self.bucket.clone(),
            values: si.state.msgs,
            history: cfg.max_msgs_per_subject,
            ttl: cfg.max_age,
            replicas: cfg.num_replicas,
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
            let keep = if limit.is_some_and(|l| m.created >= l) { 1 } else { 0 };
            let purge = StreamPurge { subject: Some(self.key_subject(&m.key)), sequence: 0, keep };
            let r = self
                .ctx
                .with(Some(&ContextOptions { purge, ..Default::default() }))
                .and_then(|ctx| jstream::purge_stream(&ctx, &self.stream));
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
