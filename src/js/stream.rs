//! Stream management: create, update, inspect, purge and delete streams, list them, and
//! read or delete the messages they store.
//!
//! The serde types are named and shaped as the server's JSON (`STREAM.CREATE`, `STREAM.INFO`
//! ...), holding what nats.c 3.4.1's `jsStreamConfig` / `jsStreamInfo` hold. Sizes, counts
//! and durations stay `i64` / `u64` as on the wire (durations in nanoseconds); times are
//! nanoseconds since the epoch (RFC 3339 strings in JSON). Serializing a config writes the
//! fields nats.c writes: the limits always, the rest only when set.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::api::{js_err, ApiError, JsError, JsResult};
use super::context::Context;
use super::rfc3339;
use crate::msg::Msg;
use crate::proto::headers::{Headers, DESCRIPTION_HDR, STATUS_HDR};
use crate::status::{natsStatus, Error};

/// JetStream error codes the management calls map to NATS_NOT_FOUND (as nats.c does).
pub const JS_CONSUMER_NOT_FOUND: u16 = 10014;
pub const JS_NO_MESSAGE_FOUND: u16 = 10037;
pub const JS_STREAM_NOT_FOUND: u16 = 10059;
/// The code nats.c reports when the API has no responders.
pub const JS_NOT_ENABLED: u16 = 10076;

// ---------------------------------------------------------------------------------------
// Requests

/// Sends one API request and decodes its answer. Transport errors pass through (no
/// responders also gets the "JetStream not enabled" code, as nats.c sets it); an API error
/// whose code is in `not_found` becomes NATS_NOT_FOUND, any other NATS_ERR with the
/// server's description; both carry the server's code.
pub(crate) fn call<T: DeserializeOwned>(ctx: &Context, what: &str, body: &[u8], not_found: &[u16]) -> JsResult<T> {
    let reply = ctx.request::<T>(what, body).map_err(|mut e| {
        if e.status() == natsStatus::NATS_NO_RESPONDERS {
            e.code = JS_NOT_ENABLED;
        }
        e
    })?;
    reply.map_err(|api| api_error(api, not_found))
}

fn api_error(api: ApiError, not_found: &[u16]) -> JsError {
    if not_found.contains(&api.err_code) {
        let code = api.err_code;
        let text = if api.description.is_empty() { "not found".to_string() } else { api.description };
        return JsError { err: Error::new(natsStatus::NATS_NOT_FOUND, text), code };
    }
    api.into_js_error()
}

fn to_json<T: Serialize>(v: &T) -> JsResult<Vec<u8>> {
    serde_json::to_vec(v).map_err(|e| JsError::new(natsStatus::NATS_ERR, format!("cannot encode the request: {e}")))
}

/// Checks a stream name as nats.c does (required, no '.'), and also refuses blanks and
/// wildcards, which cannot be part of an API subject.
pub fn check_stream_name(name: &str) -> JsResult<()> {
    if name.is_empty() {
        return js_err(natsStatus::NATS_INVALID_ARG, "stream name is required");
    }
    if let Some(c) = name.chars().find(|c| matches!(c, '.' | '*' | '>') || c.is_whitespace()) {
        return js_err(natsStatus::NATS_INVALID_ARG, format!("invalid stream name '{name}' (cannot contain '{c}')"));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Configuration

fn is_zero_i64(v: &i64) -> bool {
    *v == 0
}
fn is_zero_u64(v: &u64) -> bool {
    *v == 0
}
fn is_false(v: &bool) -> bool {
    !*v
}
fn not_positive(v: &i64) -> bool {
    *v <= 0
}

/// How long a stream keeps its messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum RetentionPolicy {
    #[default]
    #[serde(rename = "limits")]
    Limits,
    #[serde(rename = "interest")]
    Interest,
    #[serde(rename = "workqueue")]
    WorkQueue,
}

/// What a full stream does with new messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum DiscardPolicy {
    #[default]
    #[serde(rename = "old")]
    Old,
    #[serde(rename = "new")]
    New,
}

/// Where a stream stores its messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum StorageType {
    #[default]
    #[serde(rename = "file")]
    File,
    #[serde(rename = "memory")]
    Memory,
}

/// Placement of a stream in a cluster.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Placement {
    pub cluster: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

/// Access to a stream in another account (mirror or source).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExternalStream {
    #[serde(rename = "api")]
    pub api_prefix: String,
    #[serde(rename = "deliver")]
    pub deliver_prefix: String,
}

/// A stream that a stream mirrors or sources from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StreamSource {
    pub name: String,
    #[serde(skip_serializing_if = "is_zero_u64")]
    pub opt_start_seq: u64,
    /// Nanoseconds since the epoch; 0: not set.
    #[serde(with = "rfc3339::serde_ns", skip_serializing_if = "not_positive")]
    pub opt_start_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter_subject: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external: Option<ExternalStream>,
}

/// Republishing of stored messages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RePublish {
    #[serde(rename = "src", skip_serializing_if = "String::is_empty")]
    pub source: String,
    #[serde(rename = "dest")]
    pub destination: String,
    #[serde(skip_serializing_if = "is_false")]
    pub headers_only: bool,
}

/// A stream's configuration (`jsStreamConfig`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StreamConfig {
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub subjects: Vec<String>,
    pub retention: RetentionPolicy,
    pub max_consumers: i64,
    pub max_msgs: i64,
    pub max_bytes: i64,
    /// Nanoseconds.
    pub max_age: i64,
    pub max_msg_size: i32,
    pub max_msgs_per_subject: i64,
    pub discard: DiscardPolicy,
    pub storage: StorageType,
    pub num_replicas: i64,
    #[serde(skip_serializing_if = "is_false")]
    pub no_ack: bool,
    #[serde(rename = "template_owner", skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    /// Nanoseconds.
    #[serde(rename = "duplicate_window", skip_serializing_if = "is_zero_i64")]
    pub duplicates: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub placement: Option<Placement>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mirror: Option<StreamSource>,
    #[serde(skip_serializing_if = "Vec::is_empty", deserialize_with = "null_as_default")]
    pub sources: Vec<StreamSource>,
    #[serde(skip_serializing_if = "is_false")]
    pub sealed: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub deny_delete: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub deny_purge: bool,
    #[serde(rename = "allow_rollup_hdrs", skip_serializing_if = "is_false")]
    pub allow_rollup: bool,
    #[serde(skip_serializing_if = "republish_unset")]
    pub republish: Option<RePublish>,
    #[serde(skip_serializing_if = "is_false")]
    pub allow_direct: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub mirror_direct: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub discard_new_per_subject: bool,
}

/// nats.c leaves out a republish without a destination.
fn republish_unset(r: &Option<RePublish>) -> bool {
    r.as_ref().map_or(true, |r| r.destination.is_empty())
}

/// A JSON `null` reads as the type's default (servers write `null` for empty lists).
fn null_as_default<'de, D: serde::Deserializer<'de>, T: Default + Deserialize<'de>>(d: D) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

impl StreamConfig {
    /// A config with jsStreamConfig_Init's values: no limits (-1), one replica, file
    /// storage. (`Default` is all zero, which is how replies leave missing fields, as
    /// nats.c does.)
    pub fn init(name: &str) -> StreamConfig {
        StreamConfig {
            name: name.to_string(),
            max_consumers: -1,
            max_msgs: -1,
            max_bytes: -1,
            max_msg_size: -1,
            num_replicas: 1,
            ..StreamConfig::default()
        }
    }
}

// ---------------------------------------------------------------------------------------
// Information

/// Messages a stream lost (damaged storage).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct LostStreamData {
    #[serde(deserialize_with = "null_as_default")]
    pub msgs: Vec<u64>,
    pub bytes: u64,
}

/// A stream's state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct StreamState {
    #[serde(rename = "messages")]
    pub msgs: u64,
    pub bytes: u64,
    pub first_seq: u64,
    #[serde(rename = "first_ts", with = "rfc3339::serde_ns")]
    pub first_time: i64,
    pub last_seq: u64,
    #[serde(rename = "last_ts", with = "rfc3339::serde_ns")]
    pub last_time: i64,
    pub num_subjects: i64,
    /// Messages per subject, when asked for with a subjects filter.
    #[serde(deserialize_with = "null_as_default")]
    pub subjects: BTreeMap<String, u64>,
    pub num_deleted: u64,
    /// Deleted sequences, when asked for with deleted details.
    #[serde(deserialize_with = "null_as_default")]
    pub deleted: Vec<u64>,
    pub lost: Option<LostStreamData>,
    #[serde(rename = "consumer_count")]
    pub consumers: i64,
}

/// A peer in a stream's or consumer's replica set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct PeerInfo {
    pub name: String,
    pub current: bool,
    pub offline: bool,
    /// Nanoseconds since the peer was last seen.
    pub active: i64,
    pub lag: u64,
}

/// The servers that hold a stream or consumer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct ClusterInfo {
    pub name: String,
    pub leader: String,
    #[serde(deserialize_with = "null_as_default")]
    pub replicas: Vec<PeerInfo>,
}

/// State of a mirror or source.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct StreamSourceInfo {
    pub name: String,
    pub external: Option<ExternalStream>,
    pub lag: u64,
    /// Nanoseconds since the last activity (-1: none).
    pub active: i64,
}

/// A stream's configuration and state (`jsStreamInfo`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct StreamInfo {
    pub config: Option<StreamConfig>,
    #[serde(with = "rfc3339::serde_ns")]
    pub created: i64,
    pub state: StreamState,
    pub cluster: Option<ClusterInfo>,
    pub mirror: Option<StreamSourceInfo>,
    #[serde(deserialize_with = "null_as_default")]
    pub sources: Vec<StreamSourceInfo>,
}

/// The paging fields of list replies.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Page {
    pub total: i64,
    pub offset: i64,
    pub limit: i64,
}

#[derive(Deserialize)]
struct PagedStreamInfo {
    #[serde(flatten)]
    info: StreamInfo,
    #[serde(flatten)]
    page: Page,
}

// ---------------------------------------------------------------------------------------
// Calls

fn add_or_update(ctx: &Context, action: &str, cfg: &StreamConfig) -> JsResult<StreamInfo> {
    check_stream_name(&cfg.name)?;
    let body = to_json(cfg)?;
    call(ctx, &format!("STREAM.{action}.{}", cfg.name), &body, &[JS_STREAM_NOT_FOUND])
}

/// Creates a stream (`js_AddStream`).
pub fn add_stream(ctx: &Context, cfg: &StreamConfig) -> JsResult<StreamInfo> {
    add_or_update(ctx, "CREATE", cfg)
}

/// Updates a stream (`js_UpdateStream`); a missing stream is NATS_NOT_FOUND.
pub fn update_stream(ctx: &Context, cfg: &StreamConfig) -> JsResult<StreamInfo> {
    add_or_update(ctx, "UPDATE", cfg)
}

#[derive(Serialize)]
struct StreamInfoRequest<'a> {
    #[serde(skip_serializing_if = "is_false")]
    deleted_details: bool,
    /// "" for none (plain strings in request bodies: see `ListRequest`).
    #[serde(skip_serializing_if = "str::is_empty")]
    subjects_filter: &'a str,
    #[serde(skip_serializing_if = "is_zero_i64")]
    offset: i64,
}

/// A stream's information (`js_GetStreamInfo`), with what the context's info options ask
/// for (jsOptions.Stream.Info: deleted details, subjects filter). With a subjects filter
/// the server pages the subjects map; every page is fetched and the maps joined. A
/// missing stream is NATS_NOT_FOUND.
pub fn stream_info(ctx: &Context, stream: &str) -> JsResult<StreamInfo> {
    let opts = ctx.info_options();
    check_stream_name(stream)?;
    let what = format!("STREAM.INFO.{stream}");
    let filter = opts.subjects_filter.clone().unwrap_or_default();
    if !opts.deleted_details && filter.is_empty() {
        return call(ctx, &what, b"", &[JS_STREAM_NOT_FOUND]);
    }
    let mut subjects = BTreeMap::new();
    let mut offset = 0i64;
    loop {
        let req = StreamInfoRequest { deleted_details: opts.deleted_details, subjects_filter: &filter, offset };
        let PagedStreamInfo { mut info, page } = call(ctx, &what, &to_json(&req)?, &[JS_STREAM_NOT_FOUND])?;
        if filter.is_empty() {
            return Ok(info);
        }
        let got = std::mem::take(&mut info.state.subjects);
        let n = got.len() as i64;
        offset += n;
        subjects.extend(got);
        // Done when all are in, or when a page brings nothing more.
        if offset >= page.total || n == 0 {
            info.state.subjects = subjects;
            return Ok(info);
        }
    }
}

/// The purge request body (jsOptions.Stream.Purge).
#[derive(Serialize)]
struct PurgeRequest<'a> {
    #[serde(skip_serializing_if = "str::is_empty")]
    filter: &'a str,
    #[serde(skip_serializing_if = "is_zero_u64")]
    seq: u64,
    #[serde(skip_serializing_if = "is_zero_u64")]
    keep: u64,
}

#[derive(Deserialize)]
struct Success {
    #[serde(default)]
    success: bool,
}

/// Purges a stream (`js_PurgeStream`): what the context's purge options select
/// (jsOptions.Stream.Purge: subject filter, up to a sequence, or keeping the last N), or
/// everything. A missing stream is NATS_NOT_FOUND.
pub fn purge_stream(ctx: &Context, stream: &str) -> JsResult<()> {
    check_stream_name(stream)?;
    let opts = ctx.purge_options();
    if opts.sequence > 0 && opts.keep > 0 {
        return js_err(
            natsStatus::NATS_INVALID_ARG,
            format!("Sequence ({}) and Keep ({}) are mutually exclusive", opts.sequence, opts.keep),
        );
    }
    let filter = opts.subject.clone().unwrap_or_default();
    let body = if filter.is_empty() && opts.sequence == 0 && opts.keep == 0 {
        Vec::new()
    } else {
        to_json(&PurgeRequest { filter: &filter, seq: opts.sequence, keep: opts.keep })?
    };
    let r: Success = call(ctx, &format!("STREAM.PURGE.{stream}"), &body, &[JS_STREAM_NOT_FOUND, JS_CONSUMER_NOT_FOUND])?;
    if !r.success {
        return js_err(natsStatus::NATS_ERR, format!("failed to purge stream '{stream}'"));
    }
    Ok(())
}

/// Deletes a stream (`js_DeleteStream`); a missing stream is NATS_NOT_FOUND.
pub fn delete_stream(ctx: &Context, stream: &str) -> JsResult<()> {
    check_stream_name(stream)?;
    let r: Success = call(ctx, &format!("STREAM.DELETE.{stream}"), b"", &[JS_STREAM_NOT_FOUND, JS_CONSUMER_NOT_FOUND])?;
    if !r.success {
        return js_err(natsStatus::NATS_ERR, format!("failed to delete stream '{stream}'"));
    }
    Ok(())
}

/// Deletes (`erase` false: marks deleted, `js_DeleteMsg`) or erases (`js_EraseMsg`: the
/// content is overwritten) the message at `seq`.
pub fn delete_msg(ctx: &Context, stream: &str, seq: u64, erase: bool) -> JsResult<()> {
    check_stream_name(stream)?;
    #[derive(Serialize)]
    struct Req {
        seq: u64,
        #[serde(skip_serializing_if = "is_false")]
        no_erase: bool,
    }
    let body = to_json(&Req { seq, no_erase: !erase })?;
    let r: Success = call(ctx, &format!("STREAM.MSG.DELETE.{stream}"), &body, &[JS_STREAM_NOT_FOUND, JS_CONSUMER_NOT_FOUND])?;
    if !r.success {
        return js_err(natsStatus::NATS_ERR, format!("failed to delete message {seq}"));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Stored messages

#[derive(Deserialize)]
struct StoredMsg {
    #[serde(default)]
    subject: String,
    #[serde(default)]
    seq: u64,
    #[serde(default)]
    hdrs: Option<String>,
    #[serde(default)]
    data: Option<String>,
    #[serde(default, with = "rfc3339::serde_ns")]
    time: i64,
}

#[derive(Deserialize)]
struct GetMsgReply {
    #[serde(default)]
    message: Option<StoredMsg>,
}

fn base64(field: &str, s: &Option<String>) -> JsResult<Vec<u8>> {
    match s.as_deref() {
        None | Some("") => Ok(Vec::new()),
        Some(t) => data_encoding::BASE64
            .decode(t.as_bytes())
            .map_err(|e| JsError::new(natsStatus::NATS_ERR, format!("invalid base64 in the stored message's '{field}': {e}"))),
    }
}

fn stored_to_msg(m: StoredMsg) -> JsResult<Msg> {
    let data = base64("data", &m.data)?;
    let hdrs = base64("hdrs", &m.hdrs)?;
    let mut msg = Msg::new(m.subject.as_bytes(), None, &data);
    if !hdrs.is_empty() {
        let h = Headers::parse(&hdrs)
            .map_err(|e| JsError::new(natsStatus::NATS_ERR, format!("invalid headers in the stored message: {}", e.text)))?;
        if !h.is_empty() {
            msg.set_headers(Some(h));
        }
    }
    msg.set_js_seq_time(m.seq, m.time);
    Ok(msg)
}

fn get_msg_req(ctx: &Context, stream: &str, body: &[u8]) -> JsResult<Msg> {
    if stream.is_empty() {
        return js_err(natsStatus::NATS_INVALID_ARG, "stream name is required");
    }
    check_stream_name(stream)?;
    let r: GetMsgReply = call(ctx, &format!("STREAM.MSG.GET.{stream}"), body, &[JS_NO_MESSAGE_FOUND])?;
    match r.message {
        Some(m) => stored_to_msg(m),
        None => js_err(natsStatus::NATS_NOT_FOUND, "message content not found"),
    }
}

/// The message at `seq` (`js_GetMsg`): subject, headers, data, sequence and time. A
/// missing message is NATS_NOT_FOUND.
pub fn get_msg(ctx: &Context, stream: &str, seq: u64) -> JsResult<Msg> {
    if seq < 1 {
        return js_err(natsStatus::NATS_INVALID_ARG, "the message sequence must be at least 1");
    }
    get_msg_req(ctx, stream, format!("{{\"seq\":{seq}}}").as_bytes())
}

/// The last message stored on `subject` (`js_GetLastMsg`).
pub fn get_last_msg(ctx: &Context, stream: &str, subject: &str) -> JsResult<Msg> {
    if subject.is_empty() {
        return js_err(natsStatus::NATS_INVALID_ARG, "subject is required");
    }
    #[derive(Serialize)]
    struct Req<'a> {
        last_by_subj: &'a str,
    }
    get_msg_req(ctx, stream, &to_json(&Req { last_by_subj: subject })?)
}

/// What `js_DirectGetMsg` fetches (jsDirectGetMsgOptions).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DirectGetOptions {
    #[serde(rename = "seq", skip_serializing_if = "is_zero_u64")]
    pub sequence: u64,
    #[serde(rename = "next_by_subj", skip_serializing_if = "Option::is_none")]
    pub next_by_subject: Option<String>,
    #[serde(skip)]
    pub last_by_subject: Option<String>,
}

/// Header names of a direct get reply.
const HDR_STREAM: &str = "Nats-Stream";
const HDR_SEQUENCE: &str = "Nats-Sequence";
const HDR_TIME: &str = "Nats-Time-Stamp";
const HDR_SUBJECT: &str = "Nats-Subject";

/// A message fetched without going through the stream leader (`js_DirectGetMsg`, needs a
/// stream with AllowDirect): `$JS.API.DIRECT.GET.<stream>` with the options as JSON, or
/// `...DIRECT.GET.<stream>.<subject>` for the last message on a subject. The reply is the
/// stored message itself, described by `Nats-*` headers, which stay on the message; its
/// subject is the stored subject. A 404 status is NATS_NOT_FOUND, another status NATS_ERR.
pub fn direct_get_msg(ctx: &Context, stream: &str, opts: &DirectGetOptions) -> JsResult<Msg> {
    if stream.is_empty() {
        return js_err(natsStatus::NATS_INVALID_ARG, "stream name is required");
    }
    check_stream_name(stream)?;
    let reply = match opts.last_by_subject.as_deref().filter(|s| !s.is_empty()) {
        Some(subj) => ctx.conn().request(&ctx.api_subject(&format!("DIRECT.GET.{stream}.{subj}")), None, b"", ctx.wait_ms())?,
        None => {
            let body = to_json(opts)?;
            ctx.conn().request(&ctx.api_subject(&format!("DIRECT.GET.{stream}")), None, &body, ctx.wait_ms())?
        }
    };
    direct_reply_to_msg(reply)
}

fn direct_reply_to_msg(reply: Msg) -> JsResult<Msg> {
    let Some(h) = reply.headers() else {
        return js_err(natsStatus::NATS_ERR, "direct get message response should have headers");
    };
    let text = |k: &str| h.get(k).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    if reply.data().is_empty() && h.get(STATUS_HDR).is_some() {
        if text(STATUS_HDR) == "404" {
            return js_err(natsStatus::NATS_NOT_FOUND, format!("no message found: {}", text(DESCRIPTION_HDR)));
        }
        return js_err(natsStatus::NATS_ERR, format!("error getting message: {}", text(DESCRIPTION_HDR)));
    }
    if text(HDR_STREAM).is_empty() {
        return js_err(natsStatus::NATS_ERR, "missing stream name in the direct get reply");
    }
    let seq = text(HDR_SEQUENCE);
    let Ok(seq) = seq.parse::<u64>() else {
        return js_err(natsStatus::NATS_ERR, format!("missing or invalid sequence '{seq}'"));
    };
    let ts = text(HDR_TIME);
    let time = match parse_header_time(&ts) {
        Some(t) if t != 0 => t,
        _ => return js_err(natsStatus::NATS_ERR, format!("missing or invalid timestamp '{ts}'")),
    };
    let subject = text(HDR_SUBJECT);
    if subject.is_empty() {
        return js_err(natsStatus::NATS_ERR, "missing or invalid subject ''");
    }
    let mut msg = Msg::new(subject.as_bytes(), None, reply.data());
    msg.set_headers(reply.headers().cloned());
    msg.set_js_seq_time(seq, time);
    Ok(msg)
}

/// The `Nats-Time-Stamp` header: RFC 3339, or Go's `2006-01-02 15:04:05.999999999 +0000
/// UTC` form that servers before 2.10 wrote.
fn parse_header_time(s: &str) -> Option<i64> {
    if let Some(t) = rfc3339::parse(s) {
        return Some(t);
    }
    let mut parts = s.split(' ');
    let (date, time, off) = (parts.next()?, parts.next()?, parts.next()?);
    if off.len() != 5 {
        return None;
    }
    rfc3339::parse(&format!("{date}T{time}{}:{}", &off[..3], &off[3..]))
}

// ---------------------------------------------------------------------------------------
// Lists

#[derive(Serialize)]
struct ListRequest<'a> {
    offset: i64,
    /// "" for none (a plain string: valgrind sees no partly set `Option<&str>` this way).
    #[serde(skip_serializing_if = "str::is_empty")]
    subject: &'a str,
}

#[derive(Deserialize)]
struct StreamListReply {
    #[serde(flatten)]
    page: Page,
    #[serde(default, deserialize_with = "null_as_default")]
    streams: Vec<StreamInfo>,
}

#[derive(Deserialize)]
struct NamesReply {
    #[serde(flatten)]
    page: Page,
    #[serde(default, alias = "consumers", deserialize_with = "null_as_default")]
    streams: Vec<String>,
}

/// Fetches every page of a list: `fetch(offset)` gives one page's items and paging.
/// The whole walk keeps to the context's wait, as nats.c does.
pub(crate) fn all_pages<T>(
    ctx: &Context,
    mut fetch: impl FnMut(&Context, i64) -> JsResult<(Vec<T>, Page)>,
) -> JsResult<Vec<T>> {
    let start = std::time::Instant::now();
    let mut out = Vec::new();
    let mut offset = 0i64;
    loop {
        let left = ctx.wait_ms() - start.elapsed().as_millis() as i64;
        if left <= 0 {
            return js_err(natsStatus::NATS_TIMEOUT, "timeout while fetching the list pages");
        }
        let sub = ctx.with(Some(&super::context::ContextOptions { wait_ms: left, ..Default::default() }))?;
        let (items, page) = fetch(&sub, offset)?;
        let n = items.len() as i64;
        out.extend(items);
        // A page's limit is how far to move; a server that sends none moves by what came.
        offset += if page.limit > 0 { page.limit } else { n };
        if offset >= page.total || n == 0 {
            return Ok(out);
        }
    }
}

/// The subjects filter of the context's info options, "" for none.
fn subject_filter(ctx: &Context) -> String {
    ctx.info_options().subjects_filter.clone().unwrap_or_default()
}

/// Every stream's information (`js_Streams`); with a subjects filter in the context's info
/// options, only streams with a subject matching it. No stream at all is NATS_NOT_FOUND,
/// as in nats.c.
pub fn streams(ctx: &Context) -> JsResult<Vec<StreamInfo>> {
    let filter = subject_filter(ctx);
    let list = all_pages(ctx, |c, offset| {
        let body = to_json(&ListRequest { offset, subject: &filter })?;
        let r: StreamListReply = call(c, "STREAM.LIST", &body, &[JS_STREAM_NOT_FOUND])?;
        Ok((r.streams, r.page))
    })?;
    let mut out: Vec<StreamInfo> = Vec::with_capacity(list.len());
    for si in list {
        let name = si.config.as_ref().map(|c| c.name.as_str()).unwrap_or("");
        if name.is_empty() {
            return js_err(natsStatus::NATS_ERR, "stream name missing from configuration");
        }
        // Pages can overlap when streams come and go meanwhile: keep the newest of a name.
        match out.iter().position(|o| o.config.as_ref().map(|c| c.name.as_str()) == Some(name)) {
            Some(i) => out[i] = si,
            None => out.push(si),
        }
    }
    if out.is_empty() {
        return js_err(natsStatus::NATS_NOT_FOUND, "no stream found");
    }
    Ok(out)
}

pub(crate) fn dedup(names: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    names.into_iter().filter(|n| seen.insert(n.clone())).collect()
}

/// Every stream name (`js_StreamNames`); with a subjects filter in the context's info
/// options, only of streams with a subject matching it. No stream at all is NATS_NOT_FOUND.
pub fn stream_names(ctx: &Context) -> JsResult<Vec<String>> {
    let filter = subject_filter(ctx);
    let names = all_pages(ctx, |c, offset| {
        let body = to_json(&ListRequest { offset, subject: &filter })?;
        let r: NamesReply = call(c, "STREAM.NAMES", &body, &[JS_STREAM_NOT_FOUND])?;
        Ok((r.streams, r.page))
    })?;
    let names = dedup(names);
    if names.is_empty() {
        return js_err(natsStatus::NATS_NOT_FOUND, "no stream found");
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configs_serialize_as_nats_c_writes_them() {
        let cfg = StreamConfig::init("S");
        let v: serde_json::Value = serde_json::to_value(&cfg).unwrap();
        let expect = serde_json::json!({
            "name": "S", "retention": "limits", "max_consumers": -1, "max_msgs": -1, "max_bytes": -1,
            "max_age": 0, "max_msg_size": -1, "max_msgs_per_subject": 0, "discard": "old",
            "storage": "file", "num_replicas": 1
        });
        assert_eq!(v, expect);

        let cfg = StreamConfig {
            name: "S".into(),
            description: "d".into(),
            subjects: vec!["a".into(), "b.>".into()],
            retention: RetentionPolicy::WorkQueue,
            storage: StorageType::Memory,
            discard: DiscardPolicy::New,
            duplicates: 5,
            template: Some("t".into()),
            no_ack: true,
            placement: Some(Placement { cluster: "C".into(), tags: vec!["x".into()] }),
            mirror: Some(StreamSource {
                name: "M".into(),
                opt_start_seq: 3,
                opt_start_time: 1626973503000000000,
                filter_subject: Some("f".into()),
                external: Some(ExternalStream { api_prefix: "api".into(), deliver_prefix: "dlv".into() }),
            }),
            sources: vec![StreamSource { name: "A".into(), ..Default::default() }],
            sealed: true,
            deny_delete: true,
            deny_purge: true,
            allow_rollup: true,
            republish: Some(RePublish { source: ">".into(), destination: "RP.>".into(), headers_only: true }),
            allow_direct: true,
            mirror_direct: true,
            discard_new_per_subject: true,
            ..StreamConfig::init("S")
        };
        let v: serde_json::Value = serde_json::to_value(&cfg).unwrap();
        assert_eq!(v["retention"], "workqueue");
        assert_eq!(v["storage"], "memory");
        assert_eq!(v["discard"], "new");
        assert_eq!(v["duplicate_window"], 5);
        assert_eq!(v["template_owner"], "t");
        assert_eq!(v["placement"], serde_json::json!({"cluster":"C","tags":["x"]}));
        assert_eq!(
            v["mirror"],
            serde_json::json!({"name":"M","opt_start_seq":3,"opt_start_time":"2021-07-22T17:05:03Z",
                "filter_subject":"f","external":{"api":"api","deliver":"dlv"}})
        );
        assert_eq!(v["sources"], serde_json::json!([{"name":"A"}]));
        assert_eq!(v["republish"], serde_json::json!({"src":">","dest":"RP.>","headers_only":true}));
        for k in ["sealed", "deny_delete", "deny_purge", "allow_rollup_hdrs", "allow_direct", "mirror_direct", "discard_new_per_subject", "no_ack"] {
            assert_eq!(v[k], true, "{k}");
        }
        // Round trip through the reply reader.
        let back: StreamInfo = serde_json::from_value(serde_json::json!({"config": v})).unwrap();
        assert_eq!(back.config.unwrap(), cfg);
        // A republish without destination is left out.
        let cfg = StreamConfig { name: "S".into(), republish: Some(RePublish::default()), ..Default::default() };
        assert!(serde_json::to_value(&cfg).unwrap().get("republish").is_none());
    }

    #[test]
    fn infos_read_what_servers_send_and_ignore_the_rest() {
        let j = br#"{"type":"io.nats.jetstream.api.v1.stream_info_response","total":0,"offset":0,"limit":0,
          "config":{"name":"S","subjects":["a"],"retention":"interest","max_consumers":-1,"max_msgs":-1,
            "max_bytes":-1,"max_age":0,"max_msgs_per_subject":-1,"max_msg_size":-1,"discard":"old",
            "storage":"file","num_replicas":1,"duplicate_window":120000000000,"compression":"none",
            "allow_direct":false,"mirror_direct":false,"sealed":false,"deny_delete":false,"deny_purge":false,
            "allow_rollup_hdrs":false,"consumer_limits":{},"metadata":{"x":"y"}},
          "created":"2024-01-02T03:04:05.5Z",
          "state":{"messages":3,"bytes":100,"first_seq":1,"first_ts":"2024-01-02T03:04:06Z","last_seq":3,
            "last_ts":"0001-01-01T00:00:00Z","num_subjects":2,"subjects":{"a":2,"b":1},"num_deleted":1,
            "deleted":[2],"lost":{"msgs":[7,8],"bytes":10},"consumer_count":4},
          "cluster":{"name":"C","leader":"L","replicas":[{"name":"r1","current":true,"active":5,"lag":1}]},
          "sources":[{"name":"X","lag":2,"active":-1,"external":{"api":"a","deliver":"d"}}],
          "ts":"2024-01-02T03:04:07Z"}"#;
        let si: PagedStreamInfo = serde_json::from_slice(j).unwrap();
        let si = si.info;
        let c = si.config.unwrap();
        assert_eq!((c.name.as_str(), c.retention, c.duplicates, c.max_msgs_per_subject), ("S", RetentionPolicy::Interest, 120000000000, -1));
        assert_eq!(si.created, 1704164645500000000);
        assert_eq!((si.state.msgs, si.state.first_time, si.state.last_time), (3, 1704164646000000000, 0));
        assert_eq!(si.state.subjects.len(), 2);
        assert_eq!(si.state.deleted, vec![2]);
        assert_eq!(si.state.lost.unwrap().msgs, vec![7, 8]);
        assert_eq!(si.state.consumers, 4);
        let cl = si.cluster.unwrap();
        assert_eq!((cl.name.as_str(), cl.replicas[0].current, cl.replicas[0].lag), ("C", true, 1));
        assert_eq!(si.sources[0].external.as_ref().unwrap().deliver_prefix, "d");
        // Missing config fields read as 0, not -1.
        let si: StreamInfo = serde_json::from_slice(br#"{"config":{"name":"S"}}"#).unwrap();
        assert_eq!(si.config.unwrap().max_msgs, 0);
        // Bad values are errors, not panics.
        assert!(serde_json::from_slice::<StreamInfo>(br#"{"config":{"retention":"bogus"}}"#).is_err());
        assert!(serde_json::from_slice::<StreamInfo>(br#"{"created":"yesterday"}"#).is_err());
        assert!(serde_json::from_slice::<StreamInfo>(br#"{"state":{"messages":-1}}"#).is_err());
    }

    #[test]
    fn stored_messages_decode_headers_and_data() {
        let hdr = data_encoding::BASE64.encode(b"NATS/1.0\r\nA: 1\r\nA: 2\r\nB: x\r\n\r\n");
        let data = data_encoding::BASE64.encode(b"hello");
        let j = format!(r#"{{"message":{{"subject":"foo","seq":5,"hdrs":"{hdr}","data":"{data}","time":"2021-07-22T17:05:03.000000001Z"}}}}"#);
        let r: GetMsgReply = serde_json::from_str(&j).unwrap();
        let m = stored_to_msg(r.message.unwrap()).unwrap();
        assert_eq!((m.subject(), m.data(), m.js_seq(), m.js_time()), (&b"foo"[..], &b"hello"[..], 5, 1626973503000000001));
        assert_eq!(m.headers().unwrap().values("A").unwrap().len(), 2);
        let bad: GetMsgReply = serde_json::from_str(r#"{"message":{"subject":"foo","data":"!!"}}"#).unwrap();
        assert_eq!(stored_to_msg(bad.message.unwrap()).unwrap_err().status(), natsStatus::NATS_ERR);
    }

    #[test]
    fn direct_get_replies() {
        let mut r = Msg::new(b"_INBOX.x", None, b"data");
        let mut h = Headers::new();
        for (k, v) in [("Nats-Stream", "S"), ("Nats-Sequence", "7"), ("Nats-Time-Stamp", "2021-07-22T17:05:03Z"), ("Nats-Subject", "foo.bar")] {
            h.set(k, v).unwrap();
        }
        r.set_headers(Some(h.clone()));
        let m = direct_reply_to_msg(r).unwrap();
        assert_eq!((m.subject(), m.data(), m.js_seq(), m.js_time()), (&b"foo.bar"[..], &b"data"[..], 7, 1626973503000000000));
        assert!(m.headers().unwrap().get("Nats-Stream").is_some());
        let mut nf = Msg::new(b"_INBOX.x", None, b"");
        nf.set_headers(Some(Headers::parse(b"NATS/1.0 404 Message Not Found\r\n\r\n").unwrap()));
        assert_eq!(direct_reply_to_msg(nf).unwrap_err().status(), natsStatus::NATS_NOT_FOUND);
        let mut bad = Msg::new(b"_INBOX.x", None, b"");
        bad.set_headers(Some(Headers::parse(b"NATS/1.0 408 Bad Request\r\n\r\n").unwrap()));
        assert_eq!(direct_reply_to_msg(bad).unwrap_err().status(), natsStatus::NATS_ERR);
        assert_eq!(direct_reply_to_msg(Msg::new(b"x", None, b"d")).unwrap_err().status(), natsStatus::NATS_ERR);
        assert_eq!(parse_header_time("2021-07-22 17:05:03.5 +0000 UTC"), Some(1626973503500000000));
    }

    #[test]
    fn names_are_checked() {
        for bad in ["", "a.b", "a b", "a*", ">", "a\tb"] {
            assert_eq!(check_stream_name(bad).unwrap_err().status(), natsStatus::NATS_INVALID_ARG, "{bad:?}");
        }
        check_stream_name("ORDERS-1_x").unwrap();
    }
}
