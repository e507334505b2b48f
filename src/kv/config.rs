//! A bucket's configuration, the stream configuration nats.c makes from it, and what a
//! bucket's status shows.

use super::names::{self, MAX_HISTORY};
use crate::js::api::{js_err, JsResult};
pub use crate::js::stream::{RePublish, StorageType};
use crate::js::stream::{DiscardPolicy, StreamConfig};
use crate::status::natsStatus;

/// kvConfig as owned values. Zero means "not set" where nats.c says so.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BucketConfig {
    pub bucket: String,
    pub description: Option<String>,
    /// Largest value in bytes; 0 for no limit.
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

impl BucketConfig {
    /// The stream configuration of this bucket, as nats.c makes it (jsStreamConfig_Init's
    /// defaults plus the bucket's settings). `discard_new`: the server is at least 2.7.2,
    /// which lets a bucket refuse new values when full instead of dropping old ones.
    pub fn stream_config(&self, discard_new: bool) -> JsResult<StreamConfig> {
        names::check_bucket(&self.bucket)?;
        if self.history > MAX_HISTORY {
            return js_err(natsStatus::NATS_INVALID_ARG, format!("{} {}", names::ERR_HISTORY_TOO_LARGE, MAX_HISTORY));
        }
        let mut sc = StreamConfig::init(&names::stream_name(&self.bucket));
        sc.description = self.description.clone().unwrap_or_default();
        sc.subjects = vec![format!("$KV.{}.>", self.bucket)];
        sc.max_msgs_per_subject = if self.history > 0 { i64::from(self.history) } else { 1 };
        sc.max_bytes = if self.max_bytes == 0 { -1 } else { self.max_bytes };
        sc.max_age = self.ttl;
        sc.max_msg_size = if self.max_value_size == 0 { -1 } else { self.max_value_size };
        sc.storage = self.storage;
        sc.num_replicas = if self.replicas > 0 { self.replicas } else { 1 };
        sc.allow_rollup = true;
        sc.deny_delete = true;
        sc.allow_direct = true;
        sc.republish = self.republish.clone().filter(|r| !r.destination.is_empty());
        if discard_new {
            sc.discard = DiscardPolicy::New;
        }
        Ok(sc)
    }
}

/// The properties nats.c compares when a bucket's stream already exists: the existing
/// stream is "the same bucket" when these agree with what would be created.
pub fn same_bucket(existing: &StreamConfig, wanted: &StreamConfig) -> bool {
    existing.description == wanted.description
        && existing.subjects.len() == wanted.subjects.len()
        && existing.subjects.first() == wanted.subjects.first()
        && existing.max_msgs_per_subject == wanted.max_msgs_per_subject
        && existing.max_bytes == wanted.max_bytes
        && existing.max_age == wanted.max_age
        && existing.max_msg_size == wanted.max_msg_size
        && existing.storage == wanted.storage
        && existing.num_replicas == wanted.num_replicas
        && existing.allow_rollup == wanted.allow_rollup
        && existing.deny_delete == wanted.deny_delete
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
        assert_eq!(c.stream_config(false).unwrap().discard, DiscardPolicy::Old);

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
