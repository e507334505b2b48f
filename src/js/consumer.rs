//! Consumer management: create, update, inspect, delete and list the consumers of a stream.
//!
//! The serde types are shaped as the server's JSON and hold what nats.c 3.4.1's
//! `jsConsumerConfig` / `jsConsumerInfo` hold. Durations are nanoseconds, times nanoseconds
//! since the epoch. A config is written the way nats.c writes it: the three policies always,
//! everything else only when set (positive numbers, non-empty strings, true flags).

use serde::{Deserialize, Serialize};

use super::api::{js_err, JsResult};
use super::context::Context;
use super::rfc3339;
use super::stream::{
    all_pages, call, check_stream_name, dedup, ClusterInfo, Page, JS_CONSUMER_NOT_FOUND, JS_STREAM_NOT_FOUND,
};
use crate::status::natsStatus;

fn is_false(v: &bool) -> bool {
    !*v
}
fn not_positive(v: &i64) -> bool {
    *v <= 0
}
fn is_zero_u64(v: &u64) -> bool {
    *v == 0
}

/// A JSON `null` reads as the type's default.
fn null_as_default<'de, D: serde::Deserializer<'de>, T: Default + Deserialize<'de>>(d: D) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Which message a consumer delivers first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum DeliverPolicy {
    #[default]
    #[serde(rename = "all")]
    All,
    #[serde(rename = "last")]
    Last,
    #[serde(rename = "new")]
    New,
    #[serde(rename = "by_start_sequence")]
    ByStartSequence,
    #[serde(rename = "by_start_time")]
    ByStartTime,
    #[serde(rename = "last_per_subject")]
    LastPerSubject,
}

/// How messages are acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum AckPolicy {
    #[default]
    #[serde(rename = "explicit")]
    Explicit,
    #[serde(rename = "none")]
    None,
    #[serde(rename = "all")]
    All,
}

/// The pace of replaying stored messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ReplayPolicy {
    #[default]
    #[serde(rename = "instant")]
    Instant,
    #[serde(rename = "original")]
    Original,
}

impl DeliverPolicy {
    /// The policy's name in the server's JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliverPolicy::All => "all",
            DeliverPolicy::Last => "last",
            DeliverPolicy::New => "new",
            DeliverPolicy::ByStartSequence => "by_start_sequence",
            DeliverPolicy::ByStartTime => "by_start_time",
            DeliverPolicy::LastPerSubject => "last_per_subject",
        }
    }
}

impl AckPolicy {
    /// The policy's name in the server's JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            AckPolicy::Explicit => "explicit",
            AckPolicy::None => "none",
            AckPolicy::All => "all",
        }
    }
}

impl ReplayPolicy {
    /// The policy's name in the server's JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ReplayPolicy::Instant => "instant",
            ReplayPolicy::Original => "original",
        }
    }
}

/// A consumer's configuration (`jsConsumerConfig`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConsumerConfig {
    pub deliver_policy: DeliverPolicy,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(rename = "durable_name", skip_serializing_if = "String::is_empty")]
    pub durable: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub deliver_subject: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub deliver_group: String,
    #[serde(skip_serializing_if = "is_zero_u64")]
    pub opt_start_seq: u64,
    /// Nanoseconds since the epoch; 0: not set.
    #[serde(with = "rfc3339::serde_ns", skip_serializing_if = "not_positive")]
    pub opt_start_time: i64,
    pub ack_policy: AckPolicy,
    /// Nanoseconds.
    #[serde(skip_serializing_if = "not_positive")]
    pub ack_wait: i64,
    #[serde(skip_serializing_if = "not_positive")]
    pub max_deliver: i64,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub filter_subject: String,
    pub replay_policy: ReplayPolicy,
    #[serde(rename = "rate_limit_bps", skip_serializing_if = "is_zero_u64")]
    pub rate_limit: u64,
    #[serde(rename = "sample_freq", skip_serializing_if = "String::is_empty")]
    pub sample_frequency: String,
    #[serde(skip_serializing_if = "not_positive")]
    pub max_waiting: i64,
    #[serde(skip_serializing_if = "not_positive")]
    pub max_ack_pending: i64,
    #[serde(skip_serializing_if = "is_false")]
    pub flow_control: bool,
    /// Nanoseconds.
    #[serde(rename = "idle_heartbeat", skip_serializing_if = "not_positive")]
    pub heartbeat: i64,
    #[serde(skip_serializing_if = "is_false")]
    pub headers_only: bool,
    #[serde(rename = "max_batch", skip_serializing_if = "not_positive")]
    pub max_request_batch: i64,
    /// Nanoseconds.
    #[serde(rename = "max_expires", skip_serializing_if = "not_positive")]
    pub max_request_expires: i64,
    #[serde(rename = "max_bytes", skip_serializing_if = "not_positive")]
    pub max_request_max_bytes: i64,
    /// Nanoseconds.
    #[serde(skip_serializing_if = "not_positive")]
    pub inactive_threshold: i64,
    /// Redelivery delays, nanoseconds.
    #[serde(skip_serializing_if = "Vec::is_empty", deserialize_with = "null_as_default")]
    pub backoff: Vec<i64>,
    #[serde(rename = "num_replicas", skip_serializing_if = "not_positive")]
    pub replicas: i64,
    #[serde(rename = "mem_storage", skip_serializing_if = "is_false")]
    pub memory_storage: bool,
}

/// Consumer and stream sequence, with the last activity (nanoseconds since the epoch).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct SequenceInfo {
    #[serde(rename = "consumer_seq")]
    pub consumer: u64,
    #[serde(rename = "stream_seq")]
    pub stream: u64,
    #[serde(rename = "last_active", with = "rfc3339::serde_ns")]
    pub last: i64,
}

/// A consumer's configuration and state (`jsConsumerInfo`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct ConsumerInfo {
    #[serde(rename = "stream_name")]
    pub stream: String,
    pub name: String,
    #[serde(with = "rfc3339::serde_ns")]
    pub created: i64,
    pub config: Option<ConsumerConfig>,
    pub delivered: SequenceInfo,
    pub ack_floor: SequenceInfo,
    pub num_ack_pending: i64,
    pub num_redelivered: i64,
    pub num_waiting: i64,
    pub num_pending: u64,
    pub cluster: Option<ClusterInfo>,
    pub push_bound: bool,
}

/// Checks a consumer (or durable) name as nats.c does: required, and none of '.', ' ',
/// '*', '>' (nor other blanks).
pub fn check_consumer_name(name: &str, durable: bool) -> JsResult<()> {
    if name.is_empty() {
        return js_err(natsStatus::NATS_INVALID_ARG, "consumer name is required");
    }
    if let Some(c) = name.chars().find(|c| matches!(c, '.' | '*' | '>') || c.is_whitespace()) {
        let what = if durable { "invalid durable name" } else { "invalid consumer name" };
        return js_err(natsStatus::NATS_INVALID_ARG, format!("{what} '{name}' (cannot contain '{c}')"));
    }
    Ok(())
}

#[derive(Serialize)]
struct CreateRequest<'a> {
    stream_name: &'a str,
    config: &'a ConsumerConfig,
}

/// Creates a consumer, or updates it when it exists with a compatible config
/// (`js_AddConsumer`). The API subject is the one nats.c 3.4.1 picks: with a `name`,
/// `CONSUMER.CREATE.<stream>.<name>[.<filter>]`; with only a durable name,
/// `CONSUMER.DURABLE.CREATE.<stream>.<durable>`; else `CONSUMER.CREATE.<stream>`.
pub fn add_consumer(ctx: &Context, stream: &str, cfg: &ConsumerConfig) -> JsResult<ConsumerInfo> {
    check_stream_name(stream)?;
    if !cfg.name.is_empty() {
        check_consumer_name(&cfg.name, false)?;
    }
    if !cfg.durable.is_empty() {
        check_consumer_name(&cfg.durable, true)?;
    }
    let what = if !cfg.name.is_empty() {
        if cfg.filter_subject.is_empty() {
            format!("CONSUMER.CREATE.{stream}.{}", cfg.name)
        } else {
            format!("CONSUMER.CREATE.{stream}.{}.{}", cfg.name, cfg.filter_subject)
        }
    } else if cfg.durable.is_empty() {
        format!("CONSUMER.CREATE.{stream}")
    } else {
        format!("CONSUMER.DURABLE.CREATE.{stream}.{}", cfg.durable)
    };
    let body = serde_json::to_vec(&CreateRequest { stream_name: stream, config: cfg })
        .map_err(|e| super::api::JsError::new(natsStatus::NATS_ERR, format!("cannot encode the request: {e}")))?;
    call(ctx, &what, &body, &[JS_CONSUMER_NOT_FOUND])
}

/// Updates a durable consumer (`js_UpdateConsumer`): the durable name is required.
pub fn update_consumer(ctx: &Context, stream: &str, cfg: &ConsumerConfig) -> JsResult<ConsumerInfo> {
    if cfg.durable.is_empty() {
        return js_err(natsStatus::NATS_INVALID_ARG, "durable name is required");
    }
    add_consumer(ctx, stream, cfg)
}

/// A consumer's information (`js_GetConsumerInfo`); a missing consumer is NATS_NOT_FOUND.
pub fn consumer_info(ctx: &Context, stream: &str, consumer: &str) -> JsResult<ConsumerInfo> {
    check_stream_name(stream)?;
    check_consumer_name(consumer, false)?;
    call(ctx, &format!("CONSUMER.INFO.{stream}.{consumer}"), b"", &[JS_CONSUMER_NOT_FOUND])
}

/// Deletes a consumer (`js_DeleteConsumer`); a missing stream or consumer is NATS_NOT_FOUND.
pub fn delete_consumer(ctx: &Context, stream: &str, consumer: &str) -> JsResult<()> {
    check_stream_name(stream)?;
    check_consumer_name(consumer, false)?;
    #[derive(Deserialize)]
    struct Success {
        #[serde(default)]
        success: bool,
    }
    let r: Success = call(
        ctx,
        &format!("CONSUMER.DELETE.{stream}.{consumer}"),
        b"",
        &[JS_STREAM_NOT_FOUND, JS_CONSUMER_NOT_FOUND],
    )?;
    if !r.success {
        return js_err(natsStatus::NATS_ERR, format!("failed to delete consumer '{consumer}'"));
    }
    Ok(())
}

#[derive(Deserialize)]
struct ConsumerListReply {
    #[serde(flatten)]
    page: Page,
    #[serde(default, deserialize_with = "null_as_default")]
    consumers: Vec<ConsumerInfo>,
}

#[derive(Deserialize)]
struct ConsumerNamesReply {
    #[serde(flatten)]
    page: Page,
    #[serde(default, deserialize_with = "null_as_default")]
    consumers: Vec<String>,
}

fn offset_body(offset: i64) -> Vec<u8> {
    format!("{{\"offset\":{offset}}}").into_bytes()
}

/// Every consumer's information of a stream (`js_Consumers`), all pages. A missing stream,
/// or a stream without consumers, is NATS_NOT_FOUND.
pub fn consumers(ctx: &Context, stream: &str) -> JsResult<Vec<ConsumerInfo>> {
    check_stream_name(stream)?;
    let what = format!("CONSUMER.LIST.{stream}");
    let list = all_pages(ctx, |c, offset| {
        let r: ConsumerListReply = call(c, &what, &offset_body(offset), &[JS_STREAM_NOT_FOUND])?;
        Ok((r.consumers, r.page))
    })?;
    let mut out: Vec<ConsumerInfo> = Vec::with_capacity(list.len());
    for ci in list {
        if ci.config.is_none() || ci.name.is_empty() {
            return js_err(natsStatus::NATS_ERR, "consumer name missing");
        }
        match out.iter().position(|o| o.name == ci.name) {
            Some(i) => out[i] = ci,
            None => out.push(ci),
        }
    }
    if out.is_empty() {
        return js_err(natsStatus::NATS_NOT_FOUND, format!("no consumer found in stream '{stream}'"));
    }
    Ok(out)
}

/// Every consumer name of a stream (`js_ConsumerNames`), all pages; none is NATS_NOT_FOUND.
pub fn consumer_names(ctx: &Context, stream: &str) -> JsResult<Vec<String>> {
    check_stream_name(stream)?;
    let what = format!("CONSUMER.NAMES.{stream}");
    let names = all_pages(ctx, |c, offset| {
        let r: ConsumerNamesReply = call(c, &what, &offset_body(offset), &[JS_STREAM_NOT_FOUND])?;
        Ok((r.consumers, r.page))
    })?;
    let names = dedup(names);
    if names.is_empty() {
        return js_err(natsStatus::NATS_NOT_FOUND, format!("no consumer found in stream '{stream}'"));
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configs_serialize_as_nats_c_writes_them() {
        let v = serde_json::to_value(ConsumerConfig::default()).unwrap();
        assert_eq!(v, serde_json::json!({"deliver_policy":"all","ack_policy":"explicit","replay_policy":"instant"}));
        let cfg = ConsumerConfig {
            deliver_policy: DeliverPolicy::ByStartTime,
            name: "n".into(),
            description: "d".into(),
            durable: "dur".into(),
            deliver_subject: "ds".into(),
            deliver_group: "dg".into(),
            opt_start_seq: 4,
            opt_start_time: 1626973503000000000,
            ack_policy: AckPolicy::All,
            ack_wait: 30_000_000_000,
            max_deliver: 5,
            filter_subject: "f.>".into(),
            replay_policy: ReplayPolicy::Original,
            rate_limit: 1000,
            sample_frequency: "50".into(),
            max_waiting: 10,
            max_ack_pending: 20,
            flow_control: true,
            heartbeat: 1_000_000_000,
            headers_only: true,
            max_request_batch: 7,
            max_request_expires: 2_000_000_000,
            max_request_max_bytes: 1024,
            inactive_threshold: 3_000_000_000,
            backoff: vec![1, 2, 3],
            replicas: 1,
            memory_storage: true,
        };
        let v = serde_json::to_value(&cfg).unwrap();
        let expect = serde_json::json!({
            "deliver_policy":"by_start_time","name":"n","description":"d","durable_name":"dur",
            "deliver_subject":"ds","deliver_group":"dg","opt_start_seq":4,
            "opt_start_time":"2021-07-22T17:05:03Z","ack_policy":"all","ack_wait":30000000000u64,
            "max_deliver":5,"filter_subject":"f.>","replay_policy":"original","rate_limit_bps":1000,
            "sample_freq":"50","max_waiting":10,"max_ack_pending":20,"flow_control":true,
            "idle_heartbeat":1000000000,"headers_only":true,"max_batch":7,"max_expires":2000000000,
            "max_bytes":1024,"inactive_threshold":3000000000u64,"backoff":[1,2,3],"num_replicas":1,
            "mem_storage":true
        });
        assert_eq!(v, expect);
        let back: ConsumerConfig = serde_json::from_value(v).unwrap();
        assert_eq!(back, cfg);
        for p in [DeliverPolicy::All, DeliverPolicy::Last, DeliverPolicy::New, DeliverPolicy::ByStartSequence, DeliverPolicy::ByStartTime, DeliverPolicy::LastPerSubject] {
            assert_eq!(serde_json::to_value(p).unwrap(), p.as_str());
        }
        for p in [AckPolicy::Explicit, AckPolicy::None, AckPolicy::All] {
            assert_eq!(serde_json::to_value(p).unwrap(), p.as_str());
        }
        for p in [ReplayPolicy::Instant, ReplayPolicy::Original] {
            assert_eq!(serde_json::to_value(p).unwrap(), p.as_str());
        }
    }

    #[test]
    fn infos_read_what_servers_send() {
        let j = br#"{"type":"x","stream_name":"S","name":"C","created":"2024-01-02T03:04:05Z",
          "config":{"durable_name":"C","deliver_policy":"last_per_subject","ack_policy":"none",
            "ack_wait":30000000000,"max_deliver":-1,"replay_policy":"instant","max_waiting":512,
            "max_ack_pending":1000,"num_replicas":0,"backoff":null,"metadata":{"a":"b"},"pause_until":"x"},
          "delivered":{"consumer_seq":3,"stream_seq":4,"last_active":"2024-01-02T03:04:06Z"},
          "ack_floor":{"consumer_seq":1,"stream_seq":2},
          "num_ack_pending":2,"num_redelivered":1,"num_waiting":5,"num_pending":9,"push_bound":true,
          "ts":"2024-01-02T03:04:07Z"}"#;
        let ci: ConsumerInfo = serde_json::from_slice(j).unwrap();
        assert_eq!((ci.stream.as_str(), ci.name.as_str(), ci.created), ("S", "C", 1704164645000000000));
        let c = ci.config.unwrap();
        assert_eq!((c.deliver_policy, c.ack_policy, c.max_deliver, c.max_waiting), (DeliverPolicy::LastPerSubject, AckPolicy::None, -1, 512));
        assert_eq!(ci.delivered, SequenceInfo { consumer: 3, stream: 4, last: 1704164646000000000 });
        assert_eq!(ci.ack_floor.last, 0);
        assert_eq!((ci.num_ack_pending, ci.num_redelivered, ci.num_waiting, ci.num_pending, ci.push_bound), (2, 1, 5, 9, true));
        assert!(serde_json::from_slice::<ConsumerInfo>(br#"{"config":{"ack_policy":"maybe"}}"#).is_err());
    }

    #[test]
    fn names_are_checked() {
        for bad in ["", "a.b", "a b", "a*", ">"] {
            assert_eq!(check_consumer_name(bad, true).unwrap_err().status(), natsStatus::NATS_INVALID_ARG, "{bad:?}");
        }
        assert!(check_consumer_name("a.b", true).unwrap_err().err.text.contains("durable"));
        check_consumer_name("dur-1_x", false).unwrap();
    }
}
