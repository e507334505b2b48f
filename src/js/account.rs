//! The JetStream usage and limits of the connection's account (`js_GetAccountInfo`).

use std::collections::BTreeMap;

use serde::Deserialize;

use super::api::JsResult;
use super::context::Context;
use super::stream::call;

/// API calls made by the account.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct ApiStats {
    pub total: u64,
    pub errors: u64,
}

/// The account's JetStream limits (-1: unlimited).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct AccountLimits {
    pub max_memory: i64,
    #[serde(rename = "max_storage")]
    pub max_store: i64,
    pub max_streams: i64,
    pub max_consumers: i64,
    pub max_ack_pending: i64,
    pub memory_max_stream_bytes: i64,
    #[serde(rename = "storage_max_stream_bytes")]
    pub store_max_stream_bytes: i64,
    pub max_bytes_required: bool,
}

/// Usage and limits of one tier (replica count, e.g. "R1").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Tier {
    pub memory: u64,
    #[serde(rename = "storage")]
    pub store: u64,
    pub streams: i64,
    pub consumers: i64,
    pub limits: AccountLimits,
}

/// JetStream usage and limits of the account (`jsAccountInfo`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct AccountInfo {
    pub memory: u64,
    #[serde(rename = "storage")]
    pub store: u64,
    pub streams: i64,
    pub consumers: i64,
    pub domain: Option<String>,
    pub api: ApiStats,
    pub limits: AccountLimits,
    /// Per-tier usage, when the account has tiered limits. Servers send it as `tiers`
    /// (nats.c 3.4.1 looks for `tier` and never finds it); both are read.
    #[serde(alias = "tier", deserialize_with = "null_as_default")]
    pub tiers: BTreeMap<String, Tier>,
}

fn null_as_default<'de, D: serde::Deserializer<'de>, T: Default + Deserialize<'de>>(d: D) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// The account's JetStream information (`$JS.API.INFO`).
pub fn account_info(ctx: &Context) -> JsResult<AccountInfo> {
    call(ctx, "INFO", b"", &[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_servers_send() {
        let j = br#"{"type":"io.nats.jetstream.api.v1.account_info_response","memory":1,"storage":2,
          "reserved_memory":0,"streams":3,"consumers":4,"domain":"hub",
          "limits":{"max_memory":-1,"max_storage":100,"max_streams":-1,"max_consumers":-1,
            "max_ack_pending":-1,"memory_max_stream_bytes":-1,"storage_max_stream_bytes":-1,
            "max_bytes_required":true},
          "api":{"level":1,"total":10,"errors":2},
          "tiers":{"R1":{"memory":5,"storage":6,"streams":1,"consumers":2,"limits":{"max_memory":7}}}}"#;
        let ai: AccountInfo = serde_json::from_slice(j).unwrap();
        assert_eq!((ai.memory, ai.store, ai.streams, ai.consumers), (1, 2, 3, 4));
        assert_eq!(ai.domain.as_deref(), Some("hub"));
        assert_eq!((ai.api.total, ai.api.errors), (10, 2));
        assert_eq!((ai.limits.max_store, ai.limits.max_bytes_required), (100, true));
        let t = &ai.tiers["R1"];
        assert_eq!((t.memory, t.store, t.streams, t.consumers, t.limits.max_memory), (5, 6, 1, 2, 7));
        assert!(serde_json::from_slice::<AccountInfo>(br#"{"memory":-5}"#).is_err());
    }
}
