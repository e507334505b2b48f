//! C structs of Key/Value: bucket configuration, watch and purge options, entry and key lists.
//! Layout, field names and order are nats.c 3.4.1's (scripts/check-layout.py compares them).

use std::ffi::{c_char, c_int};

use super::enums::jsStorageTypeRaw;
use super::handles::kvEntry;
use super::types_stream::jsRePublish;

/// Configuration of a Key/Value bucket (`js_CreateKeyValue`). Strings belong to the caller.
/// Initialize with `kvConfig_Init`.
#[repr(C)]
pub struct kvConfig {
    /// Bucket name: letters, digits, '_' and '-'.
    pub Bucket: *const c_char,
    /// Free text describing the bucket.
    pub Description: *const c_char,
    /// Maximum size of a value in bytes (0 or -1: unlimited).
    pub MaxValueSize: i32,
    /// Number of values kept per key (0 means 1).
    pub History: u8,
    /// How long a value is kept, in milliseconds (0: forever).
    pub TTL: i64,
    /// Maximum total size of the bucket in bytes (0 or -1: unlimited).
    pub MaxBytes: i64,
    /// Where the values are stored.
    pub StorageType: jsStorageTypeRaw,
    /// Number of copies kept in a cluster.
    pub Replicas: c_int,
    /// Republish changes to another subject (or NULL).
    pub RePublish: *mut jsRePublish,
}

/// Options of a Key/Value watcher. Initialize with `kvWatchOptions_Init`.
#[repr(C)]
pub struct kvWatchOptions {
    /// Do not report deletes and purges.
    pub IgnoreDeletes: bool,
    /// Report every kept value, not only the latest.
    pub IncludeHistory: bool,
    /// Report entries without their values.
    pub MetaOnly: bool,
    /// How long some operations wait, in milliseconds.
    pub Timeout: i64,
}

/// Options of `kvStore_Purge` and `kvStore_PurgeDeletes`. Initialize with
/// `kvPurgeOptions_Init`.
#[repr(C)]
pub struct kvPurgeOptions {
    /// How long the operation waits, in milliseconds.
    pub Timeout: i64,
    /// `kvStore_PurgeDeletes`: remove delete and purge markers older than this, in
    /// nanoseconds (0: 30 minutes; negative: all markers).
    pub DeleteMarkersOlderThan: i64,
}

/// A list of entries, filled by the library in a caller's (usually stack) object.
/// `kvEntryList_Destroy` destroys the entries and the array, not the object.
#[repr(C)]
pub struct kvEntryList {
    /// The entries (`Count` pointers).
    pub Entries: *mut *mut kvEntry,
    /// Number of pointers in `Entries`.
    pub Count: c_int,
}

/// A list of keys, filled by the library in a caller's (usually stack) object.
/// `kvKeysList_Destroy` frees the keys and the array, not the object.
#[repr(C)]
pub struct kvKeysList {
    /// The keys (`Count` strings).
    pub Keys: *mut *mut c_char,
    /// Number of strings in `Keys`.
    pub Count: c_int,
}
