//! A bucket's configuration, the stream configuration nats.c makes from it, and the parts of
//! the stream info a bucket reads back.

use serde::{Deserialize, Serialize};

use super::names::{self, MAX_HISTORY};
use crate::js::api::{js_err, JsResult};
use crate::status::natsStatus;

/// Where a bucket keeps its values (jsStorageType: 0 file, 1 memory).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum StorageType {
    #[default]
    #[serde(rename = "file")]
    File,
    #[serde(rename = "memory")]
    Memory,
}

/// Republishing of the bucket's messages (jsRePublish).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RePublish {
    #[serde(rename = "src", default, skip_serializing_if = "String::is_empty")]
    pub source: String,
    #[serde(rename = "dest", default)]
    pub destination: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub headers_only: bool,
}

/// kvConfig as owned values. Zero means "not set" where nats.c says so.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BucketConfig {
    pub bucket: String,
    pub description: Option<String>,
    /// Largest value in bytes; 0 (or negative) for no limit.
    pub max_value_size: i32,
    /// Values kept per key; 0 means 1, at most 64.
    pub history: u8,
    /// How long values are kept, in nanoseconds; 0 for ever.
    pub ttl: i64,
    /// Largest size of the bucket; 0 for no limit.
    pub max_bytes: i64,
    pub storage: StorageType,
    /// 0 means 1.
    pub replicas: i64,
    pub republish: Option<RePublish>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// The stream configuration sent to STREAM.CREATE / STREAM.UPDATE, with the fields and
/// defaults nats.c sends for a bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StreamConfig {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub subjects: Vec<String>,
    pub retention: &'static str,
    pub max_consumers: i64,
    pub max_msgs: i64,
    pub max_bytes: i64,
    pub max_age: i64,
    pub max_msg_size: i64,
    pub max_msgs_per_subject: i64,
    pub discard: &'static str,
    pub storage: StorageType,
    pub num_replicas: i64,
    #[serde(skip_serializing_if = "is_false")]
    pub deny_delete: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub allow_rollup_hdrs: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub republish: Option<RePublish>,
    #[serde(skip_serializing_if = "is_false")]
    pub allow_direct: bool,
}

impl BucketConfig {
    /// The stream configuration of this bucket. `discard_new`: the server is at least 2.7.2,
    /// which lets a bucket refuse new values when full instead of dropping old ones.
    pub fn stream_config(&self, discard_new: bool) -> JsResult<StreamConfig> {
        names::check_bucket(&self.bucket)?;
        if self.history > MAX_HISTORY {
            return js_err(natsStatus::NATS_INVALID_ARG, format!("{} {}", names::ERR_HISTORY_TOO_LARGE, MAX_HISTORY));
        }
        let history = if self.history > 0 { i64::from(self.history) } else { 1 };
        let replicas = if self.replicas > 0 { self.replicas } else { 1 };
        Ok(StreamConfig {
            name: names::stream_name(&self.bucket),
            description: self.description.clone().filter(|d| !d.is_empty()),
            subjects: vec![format!("$KV.{}.>", self.bucket)],
            retention: "limits",
            max_consumers: -1,
            max_msgs: -1,
            max_bytes: if self.max_bytes == 0 { -1 } else { self.max_bytes },
            max_age: self.ttl,
            max_msg_size: if self.max_value_size == 0 { -1 } else { i64::from(self.max_value_size) },
            max_msgs_per_subject: history,
            discard: if discard_new { "new" } else { "old" },
            storage: self.storage,
            num_replicas: replicas,
            deny_delete: true,
            allow_rollup_hdrs: true,
            republish: self.republish.clone().filter(|r| !r.destination.is_empty()),
            allow_direct: true,
        })
    }
}

/// What a bucket reads of a stream's configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct StreamConfigInfo {
    pub name: String,
    pub description: Option<String>,
    pub subjects: Option<Vec<String>>,
    pub max_bytes: i64,
    pub max_age: i64,
    pub max_msg_size: i64,
    pub max_msgs_per_subject: i64,
    pub storage: Option<StorageType>,
    pub num_replicas: i64,
    pub allow_rollup_hdrs: bool,
    pub deny_delete: bool,
    pub allow_direct: bool,
}

impl StreamConfigInfo {
    /// The properties nats.c compares when a bucket's stream already exists: a bucket is
    /// "the same" when these agree with what it would create.
    pub fn same_as(&self, c: &StreamConfig) -> bool {
        let desc = |d: &Option<String>| d.clone().unwrap_or_default();
        let subjects = self.subjects.clone().unwrap_or_default();
        desc(&self.description) == desc(&c.description)
            && subjects.len() == c.subjects.len()
            && subjects.first() == c.subjects.first()
            && self.max_msgs_per_subject == c.max_msgs_per_subject
            && self.max_bytes == c.max_bytes
            && self.max_age == c.max_age
            && self.max_msg_size == c.max_msg_size
            && self.storage.unwrap_or_default() == c.storage
            && self.num_replicas.max(1) == c.num_replicas
            && self.allow_rollup_hdrs == c.allow_rollup_hdrs
            && self.deny_delete == c.deny_delete
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct StreamState {
    pub messages: u64,
    pub bytes: u64,
}

/// A STREAM.INFO / STREAM.CREATE / STREAM.UPDATE reply.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct StreamInfo {
    pub config: StreamConfigInfo,
    pub state: StreamState,
}

/// kvStatus: the bucket's name and what its stream reports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BucketStatus {
    pub bucket: String,
    /// Messages in the bucket, history and markers included.
    pub values: u64,
    pub history: i64,
    /// Nanoseconds.
    pub ttl: i64,
    pub replicas: i64,
    pub bytes: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_config_as_nats_c_makes_it() {
        let c = BucketConfig { bucket: "b1".into(), history: 5, ttl: 3_000_000_000, ..Default::default() };
        let sc = c.stream_config(true).unwrap();
        let v = serde_json::to_value(&sc).unwrap();
        assert_eq!(v["name"], "KV_b1");
        assert_eq!(v["subjects"][0], "$KV.b1.>");
        assert_eq!(v["max_msgs_per_subject"], 5);
        assert_eq!(v["max_age"], 3_000_000_000i64);
        assert_eq!(v["max_bytes"], -1);
        assert_eq!(v["max_msg_size"], -1);
        assert_eq!(v["discard"], "new");
        assert_eq!(v["storage"], "file");
        assert_eq!(v["num_replicas"], 1);
        assert_eq!(v["deny_delete"], true);
        assert_eq!(v["allow_rollup_hdrs"], true);
        assert_eq!(v["allow_direct"], true);
        assert!(v.get("description").is_none());
        assert!(v.get("republish").is_none());
        assert_eq!(c.stream_config(false).unwrap().discard, "old");

        let c = BucketConfig {
            bucket: "b".into(),
            storage: StorageType::Memory,
            republish: Some(RePublish { source: String::new(), destination: "r.>".into(), headers_only: true }),
            ..Default::default()
        };
        let v = serde_json::to_value(c.stream_config(true).unwrap()).unwrap();
        assert_eq!(v["max_msgs_per_subject"], 1);
        assert_eq!(v["storage"], "memory");
        assert_eq!(v["republish"], serde_json::json!({"dest": "r.>", "headers_only": true}));
    }

    #[test]
    fn bad_configs() {
        let c = BucketConfig { bucket: "a.b".into(), ..Default::default() };
        assert_eq!(c.stream_config(true).unwrap_err().err.text, "invalid bucket name");
        let c = BucketConfig { bucket: "ok".into(), history: 65, ..Default::default() };
        let e = c.stream_config(true).unwrap_err();
        assert_eq!((e.status(), e.err.text.as_str()), (natsStatus::NATS_INVALID_ARG, "history limited to a max of 64"));
    }
}
