//! One entry of a bucket: a value, or a delete or purge marker, with its revision (the
//! stream sequence), creation time and distance from the latest value.

use super::names::{OP_DELETE, OP_HEADER, OP_PURGE};
use crate::proto::headers::Headers;

/// kvOperation (kvOp_Unknown = 0, Put, Delete, Purge).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Put,
    Delete,
    Purge,
}

impl Operation {
    /// What a message's `KV-Operation` header says; no header (or another value) is a put.
    pub fn of(headers: Option<&Headers>) -> Operation {
        match headers.and_then(|h| h.get(OP_HEADER)).map(|v| v.to_bytes()) {
            Some(v) if v == OP_DELETE.as_bytes() => Operation::Delete,
            Some(v) if v == OP_PURGE.as_bytes() => Operation::Purge,
            _ => Operation::Put,
        }
    }

    /// A delete or purge marker.
    pub fn is_marker(self) -> bool {
        self != Operation::Put
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub bucket: String,
    pub key: String,
    /// Empty for markers and for watchers with MetaOnly.
    pub value: Vec<u8>,
    /// The stream sequence of the message.
    pub revision: u64,
    /// When the value was stored, nanoseconds since the Unix epoch (UTC).
    pub created: i64,
    /// Watchers: how many newer messages the consumer still had when this one came (0 for
    /// the latest); 0 for entries read with get.
    pub delta: u64,
    pub operation: Operation,
}
