//! Key/Value buckets at the C boundary: `js_CreateKeyValue`, `js_KeyValue`,
//! `js_DeleteKeyValue` and the `kvStore_*` functions. Entries, statuses and lists are in
//! `kv_entry.rs`, watchers in `kv_watch.rs`.
//!
//! A `kvStore` is a boxed handle. The entries, statuses and watchers made from it keep what
//! they need of it, so they stay usable after `kvStore_Destroy`, as in nats.c.

use std::ffi::{c_char, c_int, c_void, CString};

use super::boundary::{clear_error, data as data_arg, guard, guard_val, invalid_arg, non_null, opt_str, put, req_str, set_error};
use super::js::context::ctx_of;
use super::js::handles::jsCtx;
use super::js::types_kv::{kvConfig, kvEntryList, kvKeysList, kvPurgeOptions, kvWatchOptions};
use super::js::enums::jsStorageType;
use super::kv_entry::{entry_handle, kvEntry, kvStatus};
use super::kv_watch::kvWatcher;
use crate::js::{JsError, JsResult};
use crate::kv::{BucketConfig, PurgeOptions, RePublish, StorageType, Store, WatchOptions};
use crate::status::{natsStatus, Error, Result};

/// A Key/Value bucket bound to a JetStream context (opaque).
pub struct kvStore {
    pub(crate) store: Store,
    pub(crate) bucket_c: CString,
}

pub(crate) fn js_err(e: JsError) -> Error {
    e.err
}

/// Runs a Key/Value call: as `guard`; when `quiet_not_found`, NATS_NOT_FOUND is returned
/// without a last error, as nats.c does for a missing key.
pub(crate) fn guard_kv(func: &'static str, quiet_not_found: bool, body: impl FnOnce() -> JsResult<()>) -> natsStatus {
    clear_error();
    let r = guard_val(func, Err(JsError::new(natsStatus::NATS_ERR, format!("internal error in {func}"))), body);
    match r {
        Ok(()) => natsStatus::NATS_OK,
        Err(e) if quiet_not_found && e.status() == natsStatus::NATS_NOT_FOUND => natsStatus::NATS_NOT_FOUND,
        Err(e) => {
            set_error(func, &e.err);
            e.status()
        }
    }
}

pub(crate) fn store_of<'a>(kv: *mut kvStore) -> Result<&'a Store> {
    Ok(&non_null(kv as *const kvStore, "kvStore")?.store)
}

fn key_arg<'a>(key: *const c_char) -> Result<&'a str> {
    // nats.c's "invalid key" for NULL, empty and non-UTF-8 keys alike.
    match opt_str(key, "key", natsStatus::NATS_INVALID_ARG) {
        Ok(Some(k)) => Ok(k),
        _ => Err(invalid_arg(crate::kv::names::ERR_INVALID_KEY)),
    }
}

pub(crate) fn watch_opts(opts: *const kvWatchOptions) -> Option<WatchOptions> {
    // SAFETY: a non-NULL options pointer from C points to a kvWatchOptions valid for the call.
    unsafe { opts.as_ref() }.map(|o| WatchOptions {
        ignore_deletes: o.IgnoreDeletes,
        include_history: o.IncludeHistory,
        meta_only: o.MetaOnly,
        timeout_ms: o.Timeout,
    })
}

fn purge_opts(opts: *const kvPurgeOptions) -> Option<PurgeOptions> {
    // SAFETY: a non-NULL options pointer from C points to a kvPurgeOptions valid for the call.
    unsafe { opts.as_ref() }.map(|o| PurgeOptions { timeout_ms: o.Timeout, delete_markers_older_than: o.DeleteMarkersOlderThan })
}

fn new_handle(store: Store) -> *mut kvStore {
    let bucket_c = CString::new(store.bucket()).unwrap_or_default();
    Box::into_raw(Box::new(kvStore { store, bucket_c }))
}

fn bucket_config(cfg: &kvConfig) -> Result<BucketConfig> {
    let bucket = opt_str(cfg.Bucket, "kvConfig.Bucket", natsStatus::NATS_INVALID_ARG)
        .ok()
        .flatten()
        .ok_or_else(|| invalid_arg(crate::kv::names::ERR_INVALID_BUCKET))?;
    let storage = match cfg.StorageType.get()? {
        jsStorageType::js_FileStorage => StorageType::File,
        jsStorageType::js_MemoryStorage => StorageType::Memory,
    };
    // SAFETY: a non-NULL RePublish points to a jsRePublish valid for the call.
    let republish = match unsafe { cfg.RePublish.as_ref() } {
        Some(r) => Some(RePublish {
            source: opt_str(r.Source, "kvConfig.RePublish.Source", natsStatus::NATS_INVALID_ARG)?.unwrap_or("").to_string(),
            destination: opt_str(r.Destination, "kvConfig.RePublish.Destination", natsStatus::NATS_INVALID_ARG)?.unwrap_or("").to_string(),
            headers_only: r.HeadersOnly,
        }),
        None => None,
    };
    Ok(BucketConfig {
        bucket: bucket.to_string(),
        description: opt_str(cfg.Description, "kvConfig.Description", natsStatus::NATS_INVALID_ARG)?.map(str::to_string),
        max_value_size: cfg.MaxValueSize,
        history: cfg.History,
        ttl: cfg.TTL,
        max_bytes: cfg.MaxBytes,
        storage,
        replicas: i64::from(cfg.Replicas),
        republish,
    })
}

/// Creates a Key/Value bucket (the stream `KV_<Bucket>` on `$KV.<Bucket>.>`) and returns a
/// handle to it in `*new_kv`, to be freed with `kvStore_Destroy`. When the stream already
/// exists with the same settings it is updated; with different settings the call fails
/// with NATS_ERR ("Existing configuration is different"). Bucket names: letters, digits,
/// '_' and '-' (else NATS_INVALID_ARG); History at most 64. Blocks for the API requests.
#[unsafe(no_mangle)]
pub extern "C" fn js_CreateKeyValue(new_kv: *mut *mut kvStore, js: *mut jsCtx, cfg: *mut kvConfig) -> natsStatus {
    guard("js_CreateKeyValue", || {
        if new_kv.is_null() {
            return Err(invalid_arg("the kvStore out-pointer must not be NULL"));
        }
        let ctx = ctx_of(js)?;
        let cfg = bucket_config(non_null(cfg as *const kvConfig, "configuration")?)?;
        let store = Store::create(ctx, &cfg).map_err(js_err)?;
        put(new_kv, new_handle(store));
        Ok(())
    })
}

/// Binds to an existing bucket: `*new_kv` gets a handle to free with `kvStore_Destroy`.
/// NATS_NOT_FOUND when the bucket does not exist, NATS_INVALID_ARG for an invalid name or a
/// stream that is not a bucket.
#[unsafe(no_mangle)]
pub extern "C" fn js_KeyValue(new_kv: *mut *mut kvStore, js: *mut jsCtx, bucket: *const c_char) -> natsStatus {
    guard("js_KeyValue", || {
        if new_kv.is_null() {
            return Err(invalid_arg("the kvStore out-pointer must not be NULL"));
        }
        let ctx = ctx_of(js)?;
        let bucket = opt_str(bucket, "bucket", natsStatus::NATS_INVALID_ARG)?.unwrap_or("");
        let store = Store::bind(ctx, bucket).map_err(js_err)?;
        put(new_kv, new_handle(store));
        Ok(())
    })
}

/// Deletes a bucket (its stream) on the server. NATS_NOT_FOUND when it does not exist.
#[unsafe(no_mangle)]
pub extern "C" fn js_DeleteKeyValue(js: *mut jsCtx, bucket: *const c_char) -> natsStatus {
    guard("js_DeleteKeyValue", || {
        let ctx = ctx_of(js)?;
        let bucket = opt_str(bucket, "bucket", natsStatus::NATS_INVALID_ARG)?.unwrap_or("");
        Store::delete_bucket(ctx, bucket).map_err(js_err)
    })
}

/// Frees the handle (NULL: nothing). The bucket stays on the server; entries, statuses and
/// watchers made from the handle stay valid.
#[unsafe(no_mangle)]
pub extern "C" fn kvStore_Destroy(kv: *mut kvStore) {
    guard_val("kvStore_Destroy", (), || {
        if !kv.is_null() {
            // SAFETY: a non-NULL handle came from js_CreateKeyValue / js_KeyValue and is
            // destroyed once.
            drop(unsafe { Box::from_raw(kv) });
        }
    })
}

/// The bucket's name, owned by the handle (NULL when `kv` is NULL).
#[unsafe(no_mangle)]
pub extern "C" fn kvStore_Bucket(kv: *mut kvStore) -> *const c_char {
    guard_val("kvStore_Bucket", std::ptr::null(), || {
        // SAFETY: a non-NULL handle is a live kvStore.
        unsafe { kv.as_ref() }.map_or(std::ptr::null(), |k| k.bucket_c.as_ptr())
    })
}

fn get_common(func: &'static str, new_entry: *mut *mut kvEntry, kv: *mut kvStore, key: *const c_char, revision: u64) -> natsStatus {
    guard_kv(func, true, || {
        if new_entry.is_null() {
            return Err(invalid_arg("the entry out-pointer must not be NULL").into());
        }
        put(new_entry, std::ptr::null_mut());
        let store = store_of(kv)?;
        let e = store.get(key_arg(key)?, revision)?;
        put(new_entry, entry_handle(e));
        Ok(())
    })
}

/// The latest value of `key` in `*new_entry` (free it with `kvEntry_Destroy`).
/// NATS_NOT_FOUND, without a last error, when the key has no value or its latest entry is a
/// delete or purge marker. Blocks for one request (a direct get when the bucket allows it).
#[unsafe(no_mangle)]
pub extern "C" fn kvStore_Get(new_entry: *mut *mut kvEntry, kv: *mut kvStore, key: *const c_char) -> natsStatus {
    get_common("kvStore_Get", new_entry, kv, key, 0)
}

/// The entry of `key` at `revision` (> 0, else NATS_INVALID_ARG); NATS_NOT_FOUND when that
/// revision does not exist, belongs to another key or is a marker.
#[unsafe(no_mangle)]
pub extern "C" fn kvStore_GetRevision(new_entry: *mut *mut kvEntry, kv: *mut kvStore, key: *const c_char, revision: u64) -> natsStatus {
    if revision == 0 {
        return guard("kvStore_GetRevision", || Err(invalid_arg(crate::kv::names::ERR_INVALID_REVISION)));
    }
    get_common("kvStore_GetRevision", new_entry, kv, key, revision)
}

fn put_common(func: &'static str, rev: *mut u64, kv: *mut kvStore, f: impl FnOnce(&Store) -> JsResult<u64>) -> natsStatus {
    guard_kv(func, false, || {
        put(rev, 0);
        let r = f(store_of(kv)?)?;
        put(rev, r);
        Ok(())
    })
}

fn str_bytes<'a>(s: *const c_char) -> Result<&'a [u8]> {
    Ok(opt_str(s, "data", natsStatus::NATS_INVALID_ARG).map(|s| s.map(str::as_bytes))?.unwrap_or(b""))
}

/// Stores `len` bytes at `data` as the new value of `key`; `*rev` (if not NULL) gets its
/// revision. Blocks until the stream acknowledges (the context's wait).
#[unsafe(no_mangle)]
pub extern "C" fn kvStore_Put(rev: *mut u64, kv: *mut kvStore, key: *const c_char, data: *const c_void, len: c_int) -> natsStatus {
    put_common("kvStore_Put", rev, kv, |s| s.put(key_arg(key)?, data_arg(data as *const u8, len)?))
}

/// `kvStore_Put` with `strlen(data)` bytes (the NUL is not stored; NULL stores an empty
/// value).
#[unsafe(no_mangle)]
pub extern "C" fn kvStore_PutString(rev: *mut u64, kv: *mut kvStore, key: *const c_char, data: *const c_char) -> natsStatus {
    put_common("kvStore_PutString", rev, kv, |s| s.put(key_arg(key)?, str_bytes(data)?))
}

/// Stores the value only when `key` has none, or its latest entry is a delete or purge
/// marker; otherwise NATS_ERR ("wrong last sequence").
#[unsafe(no_mangle)]
pub extern "C" fn kvStore_Create(rev: *mut u64, kv: *mut kvStore, key: *const c_char, data: *const c_void, len: c_int) -> natsStatus {
    put_common("kvStore_Create", rev, kv, |s| s.create_key(key_arg(key)?, data_arg(data as *const u8, len)?))
}

/// `kvStore_Create` with `strlen(data)` bytes (NULL: an empty value).
#[unsafe(no_mangle)]
pub extern "C" fn kvStore_CreateString(rev: *mut u64, kv: *mut kvStore, key: *const c_char, data: *const c_char) -> natsStatus {
    put_common("kvStore_CreateString", rev, kv, |s| s.create_key(key_arg(key)?, str_bytes(data)?))
}

/// Stores the value only when the latest revision of `key` is `last`; otherwise NATS_ERR
/// ("wrong last sequence").
#[unsafe(no_mangle)]
pub extern "C" fn kvStore_Update(
    rev: *mut u64,
    kv: *mut kvStore,
    key: *const c_char,
    data: *const c_void,
    len: c_int,
    last: u64,
) -> natsStatus {
    put_common("kvStore_Update", rev, kv, |s| s.update(key_arg(key)?, data_arg(data as *const u8, len)?, last))
}

/// `kvStore_Update` with `strlen(data)` bytes (NULL: an empty value).
#[unsafe(no_mangle)]
pub extern "C" fn kvStore_UpdateString(rev: *mut u64, kv: *mut kvStore, key: *const c_char, data: *const c_char, last: u64) -> natsStatus {
    put_common("kvStore_UpdateString", rev, kv, |s| s.update(key_arg(key)?, str_bytes(data)?, last))
}

/// Puts a delete marker on `key`; earlier revisions stay (kvStore_History shows them).
#[unsafe(no_mangle)]
pub extern "C" fn kvStore_Delete(kv: *mut kvStore, key: *const c_char) -> natsStatus {
    guard_kv("kvStore_Delete", false, || store_of(kv)?.delete(key_arg(key)?))
}

/// Puts a purge marker on `key` and removes every earlier revision. `opts` may be NULL; its
/// Timeout (ms) bounds the wait for the acknowledgement.
#[unsafe(no_mangle)]
pub extern "C" fn kvStore_Purge(kv: *mut kvStore, key: *const c_char, opts: *mut kvPurgeOptions) -> natsStatus {
    guard_kv("kvStore_Purge", false, || store_of(kv)?.purge(key_arg(key)?, purge_opts(opts).as_ref()))
}

/// Removes the values under delete and purge markers, and the markers older than
/// `opts->DeleteMarkersOlderThan` (ns; 0: 30 minutes; negative: all). `opts` may be NULL;
/// its Timeout (ms) bounds the gathering of the markers: when it runs out, the markers
/// found so far are still handled and the call returns NATS_TIMEOUT.
#[unsafe(no_mangle)]
pub extern "C" fn kvStore_PurgeDeletes(kv: *mut kvStore, opts: *mut kvPurgeOptions) -> natsStatus {
    guard_kv("kvStore_PurgeDeletes", false, || store_of(kv)?.purge_deletes(purge_opts(opts).as_ref()))
}

/// The keys whose latest entry is a value, in `*list` (initialized here; free its content
/// with `kvKeysList_Destroy`). An empty bucket gives NATS_OK and no keys. With
/// `opts->Timeout` (ms), NATS_TIMEOUT and no keys when gathering takes longer.
#[unsafe(no_mangle)]
pub extern "C" fn kvStore_Keys(list: *mut kvKeysList, kv: *mut kvStore, opts: *mut kvWatchOptions) -> natsStatus {
    guard_kv("kvStore_Keys", false, || {
        if list.is_null() {
            return Err(invalid_arg("the keys list must not be NULL").into());
        }
        put(list, kvKeysList { Keys: std::ptr::null_mut(), Count: 0 });
        let keys = store_of(kv)?.keys(watch_opts(opts).as_ref())?;
        let (arr, count) = super::js::owned::malloc_strs(&keys)?;
        put(list, kvKeysList { Keys: arr, Count: count });
        Ok(())
    })
}

/// Every kept entry of `key` (markers included unless `opts->IgnoreDeletes`), oldest first,
/// in `*list` (free its content with `kvEntryList_Destroy`). NATS_NOT_FOUND, without a last
/// error, when there is none.
#[unsafe(no_mangle)]
pub extern "C" fn kvStore_History(list: *mut kvEntryList, kv: *mut kvStore, key: *const c_char, opts: *mut kvWatchOptions) -> natsStatus {
    guard_kv("kvStore_History", true, || {
        if list.is_null() {
            return Err(invalid_arg("the entry list must not be NULL").into());
        }
        put(list, kvEntryList { Entries: std::ptr::null_mut(), Count: 0 });
        let store = store_of(kv)?;
        let key = req_str(key, "key", natsStatus::NATS_INVALID_ARG)?;
        let entries = store.history(key, watch_opts(opts).as_ref())?;
        put(list, super::kv_entry::entry_list(entries)?);
        Ok(())
    })
}

/// The bucket's status in `*new_status` (free it with `kvStatus_Destroy`). NATS_NOT_FOUND
/// when the bucket no longer exists.
#[unsafe(no_mangle)]
pub extern "C" fn kvStore_Status(new_status: *mut *mut kvStatus, kv: *mut kvStore) -> natsStatus {
    guard_kv("kvStore_Status", false, || {
        if new_status.is_null() {
            return Err(invalid_arg("the status out-pointer must not be NULL").into());
        }
        let st = store_of(kv)?.status()?;
        put(new_status, super::kv_entry::status_handle(st));
        Ok(())
    })
}

/// A watcher of the keys matching `keys` (wildcards allowed) in `*new_watcher` (free it
/// with `kvWatcher_Destroy`). It gives the current entry of every matching key (every kept
/// entry with `IncludeHistory`), then one NULL entry, then every change. `opts` may be NULL.
#[unsafe(no_mangle)]
pub extern "C" fn kvStore_Watch(new_watcher: *mut *mut kvWatcher, kv: *mut kvStore, keys: *const c_char, opts: *mut kvWatchOptions) -> natsStatus {
    guard_kv("kvStore_Watch", false, || {
        if new_watcher.is_null() {
            return Err(invalid_arg("the watcher out-pointer must not be NULL").into());
        }
        put(new_watcher, std::ptr::null_mut());
        let store = store_of(kv)?;
        let keys = opt_str(keys, "keys", natsStatus::NATS_INVALID_ARG)?.unwrap_or("");
        let w = store.watch(keys, &watch_opts(opts).unwrap_or_default())?;
        put(new_watcher, super::kv_watch::watcher_handle(w));
        Ok(())
    })
}

/// `kvStore_Watch` of every key of the bucket.
#[unsafe(no_mangle)]
pub extern "C" fn kvStore_WatchAll(new_watcher: *mut *mut kvWatcher, kv: *mut kvStore, opts: *mut kvWatchOptions) -> natsStatus {
    kvStore_Watch(new_watcher, kv, c">".as_ptr(), opts)
}
