//! The consumer requests the subscribe calls make (create, info, delete) and the part of the
//! consumer configuration and info they send and read, named as the server's JSON schema.
#![forbid(unsafe_code)]

use serde::{Deserialize, Serialize};

use super::api::{js_err, ApiError, JsError, JsResult};
use super::consumer::{AckPolicy, DeliverPolicy, ReplayPolicy};
use super::context::Context;
use crate::status::natsStatus;

/// The server's error code for "consumer not found".
pub const CONSUMER_NOT_FOUND: u16 = 10014;
/// The server's error code for "stream not found".
pub const STREAM_NOT_FOUND: u16 = 10059;
/// The server's error code for "JetStream not enabled" (and for the account).
pub const NOT_ENABLED: u16 = 10076;
pub const NOT_ENABLED_FOR_ACCOUNT: u16 = 10039;
/// "consumer already exists" / "consumer name already in use": someone else created it first.
pub const CONSUMER_EXISTING_ACTIVE: u16 = 10105;
pub const CONSUMER_NAME_EXISTS: u16 = 10013;

fn is_zero_i64(v: &i64) -> bool {
    *v == 0
}
fn is_zero_u64(v: &u64) -> bool {
    *v == 0
}
fn is_false(v: &bool) -> bool {
    !*v
}

/// A consumer configuration (the fields jsConsumerConfig has). Zero / empty / `None` fields
/// are left out of requests, as nats.c leaves them out.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct ConsumerConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub durable_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `None`: not set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deliver_policy: Option<DeliverPolicy>,
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub opt_start_seq: u64,
    /// RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opt_start_time: Option<String>,
    /// `None`: not set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ack_policy: Option<AckPolicy>,
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub ack_wait: i64,
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub max_deliver: i64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub backoff: Vec<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter_subject: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filter_subjects: Vec<String>,
    /// `None`: not set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replay_policy: Option<ReplayPolicy>,
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub rate_limit_bps: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_freq: Option<String>,
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub max_waiting: i64,
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub max_ack_pending: i64,
    #[serde(default, skip_serializing_if = "is_false")]
    pub flow_control: bool,
    /// Nanoseconds.
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub idle_heartbeat: i64,
    #[serde(default, skip_serializing_if = "is_false")]
    pub headers_only: bool,
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub max_batch: i64,
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub max_expires: i64,
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub max_bytes: i64,
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub inactive_threshold: i64,
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub num_replicas: i64,
    #[serde(default, skip_serializing_if = "is_false")]
    pub mem_storage: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deliver_subject: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deliver_group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<std::collections::BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct SequenceInfo {
    #[serde(default)]
    pub consumer_seq: u64,
    #[serde(default)]
    pub stream_seq: u64,
}

/// The part of a consumer info the subscribe calls read.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct ConsumerInfo {
    #[serde(default)]
    pub stream_name: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub config: Option<ConsumerConfig>,
    #[serde(default)]
    pub delivered: SequenceInfo,
    #[serde(default)]
    pub num_pending: u64,
    #[serde(default)]
    pub num_ack_pending: i64,
    #[serde(default)]
    pub num_redelivered: i64,
    #[serde(default)]
    pub push_bound: bool,
}

#[derive(Serialize)]
struct CreateRequest<'a> {
    stream_name: &'a str,
    config: &'a ConsumerConfig,
}

/// A stream or consumer name as nats.c accepts it: not empty, no '.', ' ', '*' or '>'.
pub fn check_name(name: &str, what: &str) -> JsResult<()> {
    if name.is_empty() {
        return js_err(natsStatus::NATS_INVALID_ARG, format!("{what} name is required"));
    }
    if let Some(c) = name.chars().find(|c| matches!(c, '.' | ' ' | '*' | '>') || c.is_whitespace()) {
        return js_err(natsStatus::NATS_INVALID_ARG, format!("invalid {what} name '{name}' (cannot contain '{c}')"));
    }
    Ok(())
}

/// An API error of a consumer call: NATS_NOT_FOUND for a missing stream or consumer (as
/// nats.c's js_GetConsumerInfo), NATS_ERR with the server's text otherwise.
fn map_api(e: ApiError) -> JsError {
    let not_found = e.code == 404 || e.err_code == CONSUMER_NOT_FOUND || e.err_code == STREAM_NOT_FOUND;
    let mut je = e.into_js_error();
    if not_found {
        je.err.status = natsStatus::NATS_NOT_FOUND;
    }
    je
}

/// No responders to an API request: JetStream is not enabled (nats.c sets that error code).
pub fn not_enabled(mut e: JsError) -> JsError {
    if e.status() == natsStatus::NATS_NO_RESPONDERS && e.code == 0 {
        e.code = NOT_ENABLED;
    }
    e
}

/// Creates a consumer (`CONSUMER.CREATE.<stream>[.<name>]`, or the durable form).
pub fn create(ctx: &Context, stream: &str, cfg: &ConsumerConfig) -> JsResult<ConsumerInfo> {
    check_name(stream, "stream")?;
    let what = match (&cfg.name, &cfg.durable_name) {
        (Some(n), _) => {
            check_name(n, "consumer")?;
            format!("CONSUMER.CREATE.{stream}.{n}")
        }
        (None, Some(d)) => {
            check_name(d, "durable")?;
            format!("CONSUMER.DURABLE.CREATE.{stream}.{d}")
        }
        (None, None) => format!("CONSUMER.CREATE.{stream}"),
    };
    let body = serde_json::to_vec(&CreateRequest { stream_name: stream, config: cfg })
        .map_err(|e| JsError::new(natsStatus::NATS_ERR, format!("cannot encode the consumer configuration: {e}")))?;
    ctx.request::<ConsumerInfo>(&what, &body).map_err(not_enabled)?.map_err(|e| e.into_js_error())
}

/// `CONSUMER.INFO.<stream>.<consumer>`; NATS_NOT_FOUND when either does not exist.
pub fn info(ctx: &Context, stream: &str, consumer: &str) -> JsResult<ConsumerInfo> {
    check_name(stream, "stream")?;
    check_name(consumer, "consumer")?;
    ctx.request::<ConsumerInfo>(&format!("CONSUMER.INFO.{stream}.{consumer}"), b"").map_err(not_enabled)?.map_err(map_api)
}

/// `CONSUMER.DELETE.<stream>.<consumer>`; NATS_NOT_FOUND when either does not exist.
pub fn delete(ctx: &Context, stream: &str, consumer: &str) -> JsResult<()> {
    check_name(stream, "stream")?;
    check_name(consumer, "consumer")?;
    #[derive(Deserialize)]
    struct Deleted {
        #[serde(default)]
        success: bool,
    }
    let r: Deleted = ctx.request(&format!("CONSUMER.DELETE.{stream}.{consumer}"), b"")?.map_err(map_api)?;
    if !r.success {
        return js_err(natsStatus::NATS_ERR, format!("failed to delete consumer '{consumer}'"));
    }
    Ok(())
}

/// The stream whose subjects include `subject` (`STREAM.NAMES` with a subject filter).
pub fn stream_by_subject(ctx: &Context, subject: &str) -> JsResult<String> {
    #[derive(Serialize)]
    struct Req<'a> {
        subject: &'a str,
    }
    #[derive(Deserialize)]
    struct Names {
        #[serde(default)]
        streams: Option<Vec<String>>,
    }
    let body = serde_json::to_vec(&Req { subject }).unwrap_or_default();
    let names: Names = ctx.request_ok("STREAM.NAMES", &body).map_err(not_enabled)?;
    match names.streams.and_then(|s| s.into_iter().next()) {
        Some(s) => Ok(s),
        None => js_err(natsStatus::NATS_ERR, "no stream matches subject"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(check_name("ORDERS", "stream").is_ok());
        for bad in ["", "a.b", "a b", "a*", "a>", "a\tb"] {
            assert_eq!(check_name(bad, "stream").unwrap_err().status(), natsStatus::NATS_INVALID_ARG, "{bad}");
        }
    }

    #[test]
    fn configs_leave_out_what_is_not_set() {
        let c = ConsumerConfig { ack_policy: Some(AckPolicy::Explicit), deliver_subject: Some("_INBOX.x".into()), ..Default::default() };
        assert_eq!(serde_json::to_string(&c).unwrap(), r#"{"ack_policy":"explicit","deliver_subject":"_INBOX.x"}"#);
    }
}
