//! Bucket and key names, checked as nats.c checks them, and the subjects they map to.

use crate::js::api::{js_err, JsResult};
use crate::status::natsStatus;

/// The most values a bucket keeps per key.
pub const MAX_HISTORY: u8 = 64;

pub const ERR_INVALID_BUCKET: &str = "invalid bucket name";
pub const ERR_BAD_BUCKET: &str = "bucket not valid key-value store";
pub const ERR_INVALID_KEY: &str = "invalid key";
pub const ERR_INVALID_REVISION: &str = "invalid revision";
pub const ERR_HISTORY_TOO_LARGE: &str = "history limited to a max of";

/// The header that marks deletes and purges, and its two values.
pub const OP_HEADER: &str = "KV-Operation";
pub const OP_DELETE: &str = "DEL";
pub const OP_PURGE: &str = "PURGE";

/// A bucket name: letters, digits, '_' and '-', not empty.
pub fn valid_bucket(bucket: &str) -> bool {
    !bucket.is_empty() && bucket.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// A key: letters, digits and `- / \ _ = .`, not empty, with no '.' at either end and
/// no two dots in a row (every dot separates two subject tokens).
pub fn valid_key(key: &str) -> bool {
    if key.is_empty() || key.starts_with('.') || key.ends_with('.') || key.contains("..") {
        return false;
    }
    key.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'/' | b'\\' | b'='))
}

pub fn check_bucket(bucket: &str) -> JsResult<()> {
    if valid_bucket(bucket) {
        Ok(())
    } else {
        js_err(natsStatus::NATS_INVALID_ARG, ERR_INVALID_BUCKET)
    }
}

pub fn check_key(key: &str) -> JsResult<()> {
    if valid_key(key) {
        Ok(())
    } else {
        js_err(natsStatus::NATS_INVALID_ARG, ERR_INVALID_KEY)
    }
}

/// `KV_<bucket>`
pub fn stream_name(bucket: &str) -> String {
    format!("KV_{bucket}")
}

/// `$KV.<bucket>.` (keys follow it)
pub fn subject_prefix(bucket: &str) -> String {
    format!("$KV.{bucket}.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets() {
        for ok in ["a", "KV_1-x", "ABCxyz_09-"] {
            assert!(valid_bucket(ok), "{ok}");
        }
        for bad in ["", "a.b", "a b", "a*", "a>", "é", "a/b", "a=b"] {
            assert!(!valid_bucket(bad), "{bad}");
        }
    }

    #[test]
    fn keys() {
        for ok in ["a", "a.b", "a/b\\c=d_e-f", "A.b.C", "x=", "0"] {
            assert!(valid_key(ok), "{ok}");
        }
        for bad in ["", ".a", "a.", "a..b", ".", "a b", "a*", "a>", "a.>", "é", "a\tb", "a:b"] {
            assert!(!valid_key(bad), "{bad}");
        }
    }
}
