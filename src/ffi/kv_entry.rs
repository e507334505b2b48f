//! Key/Value entries, statuses and the caller-held lists at the C boundary.

use std::ffi::{c_char, c_int, c_void, CString};

use super::boundary::guard_val;
use crate::status::Result;
use super::js::enums::{kvOperation, kvOperationRaw};
use super::js::owned::malloc_array;
use super::js::types_kv::kvEntryList;
use crate::kv::{BucketStatus, Entry, Operation};

/// One entry of a bucket (opaque): key, value, revision, time, operation.
pub struct kvEntry {
    entry: Entry,
    bucket_c: CString,
    key_c: CString,
    /// The value followed by a NUL, so that kvEntry_ValueString needs no copy.
    value_nul: Vec<u8>,
}

/// The status of a bucket (opaque).
pub struct kvStatus {
    st: BucketStatus,
    bucket_c: CString,
}

pub(crate) fn entry_handle(mut e: Entry) -> *mut kvEntry {
    let mut value_nul = std::mem::take(&mut e.value);
    value_nul.push(0);
    // The strings' own buffers become the C strings (no copy; a watcher's entries come
    // with room for the NUL).
    let bucket_c = CString::new(std::mem::take(&mut e.bucket)).unwrap_or_default();
    let key_c = CString::new(std::mem::take(&mut e.key)).unwrap_or_default();
    Box::into_raw(Box::new(kvEntry { entry: e, bucket_c, key_c, value_nul }))
}

pub(crate) fn status_handle(st: BucketStatus) -> *mut kvStatus {
    let bucket_c = CString::new(st.bucket.as_str()).unwrap_or_default();
    Box::into_raw(Box::new(kvStatus { st, bucket_c }))
}

/// A malloc'ed array of entry handles (NULL for none), which kvEntryList_Destroy frees.
pub(crate) fn entry_list(entries: Vec<Entry>) -> Result<kvEntryList> {
    let handles: Vec<*mut kvEntry> = entries.into_iter().map(entry_handle).collect();
    match malloc_array(&handles) {
        Ok(arr) => Ok(kvEntryList { Entries: arr, Count: handles.len() as c_int }),
        Err(e) => {
            for h in handles {
                kvEntry_Destroy(h);
            }
            Err(e)
        }
    }
}

fn entry<'a>(e: *mut kvEntry) -> Option<&'a kvEntry> {
    // SAFETY: a non-NULL handle is a live kvEntry made by this library.
    unsafe { e.as_ref() }
}

fn status<'a>(s: *mut kvStatus) -> Option<&'a kvStatus> {
    // SAFETY: a non-NULL handle is a live kvStatus made by this library.
    unsafe { s.as_ref() }
}

/// The bucket the entry came from (NULL when `e` is NULL). Owned by the entry.
#[unsafe(no_mangle)]
pub extern "C" fn kvEntry_Bucket(e: *mut kvEntry) -> *const c_char {
    guard_val("kvEntry_Bucket", std::ptr::null(), || entry(e).map_or(std::ptr::null(), |e| e.bucket_c.as_ptr()))
}

/// The entry's key (NULL when `e` is NULL). Owned by the entry.
#[unsafe(no_mangle)]
pub extern "C" fn kvEntry_Key(e: *mut kvEntry) -> *const c_char {
    guard_val("kvEntry_Key", std::ptr::null(), || entry(e).map_or(std::ptr::null(), |e| e.key_c.as_ptr()))
}

/// The value's bytes (never NULL for an entry, also when the value is empty; NULL when `e`
/// is NULL). Owned by the entry; a NUL follows the last byte.
#[unsafe(no_mangle)]
pub extern "C" fn kvEntry_Value(e: *mut kvEntry) -> *const c_void {
    guard_val("kvEntry_Value", std::ptr::null(), || entry(e).map_or(std::ptr::null(), |e| e.value_nul.as_ptr() as *const c_void))
}

/// The value's length in bytes (-1 when `e` is NULL).
#[unsafe(no_mangle)]
pub extern "C" fn kvEntry_ValueLen(e: *mut kvEntry) -> c_int {
    guard_val("kvEntry_ValueLen", -1, || entry(e).map_or(-1, |e| (e.value_nul.len() - 1) as c_int))
}

/// The value as a NUL-terminated string (NULL when `e` is NULL). Owned by the entry.
#[unsafe(no_mangle)]
pub extern "C" fn kvEntry_ValueString(e: *mut kvEntry) -> *const c_char {
    guard_val("kvEntry_ValueString", std::ptr::null(), || entry(e).map_or(std::ptr::null(), |e| e.value_nul.as_ptr() as *const c_char))
}

/// The entry's revision: its sequence in the bucket's stream (0 when `e` is NULL).
#[unsafe(no_mangle)]
pub extern "C" fn kvEntry_Revision(e: *mut kvEntry) -> u64 {
    guard_val("kvEntry_Revision", 0, || entry(e).map_or(0, |e| e.entry.revision))
}

/// When the entry was stored, in nanoseconds since the Unix epoch (0 when `e` is NULL).
#[unsafe(no_mangle)]
pub extern "C" fn kvEntry_Created(e: *mut kvEntry) -> i64 {
    guard_val("kvEntry_Created", 0, || entry(e).map_or(0, |e| e.entry.created))
}

/// For entries from a watcher: how many newer entries were pending when this one came (0
/// for the latest). 0 for entries from kvStore_Get and when `e` is NULL.
#[unsafe(no_mangle)]
pub extern "C" fn kvEntry_Delta(e: *mut kvEntry) -> u64 {
    guard_val("kvEntry_Delta", 0, || entry(e).map_or(0, |e| e.entry.delta))
}

/// Put, Delete or Purge (kvOp_Unknown when `e` is NULL).
#[unsafe(no_mangle)]
pub extern "C" fn kvEntry_Operation(e: *mut kvEntry) -> kvOperationRaw {
    let op = guard_val("kvEntry_Operation", kvOperation::kvOp_Unknown, || match entry(e).map(|e| e.entry.operation) {
        None => kvOperation::kvOp_Unknown,
        Some(Operation::Put) => kvOperation::kvOp_Put,
        Some(Operation::Delete) => kvOperation::kvOp_Delete,
        Some(Operation::Purge) => kvOperation::kvOp_Purge,
    });
    op.into()
}

/// Frees an entry (NULL: nothing).
#[unsafe(no_mangle)]
pub extern "C" fn kvEntry_Destroy(e: *mut kvEntry) {
    guard_val("kvEntry_Destroy", (), || {
        if !e.is_null() {
            // SAFETY: a non-NULL entry was made by this library and is destroyed once.
            drop(unsafe { Box::from_raw(e) });
        }
    })
}

/// Destroys every entry of the list and frees its array; the list object itself is the
/// caller's and is left empty (Entries NULL, Count 0). NULL: nothing.
#[unsafe(no_mangle)]
pub extern "C" fn kvEntryList_Destroy(list: *mut kvEntryList) {
    guard_val("kvEntryList_Destroy", (), || {
        // SAFETY: a non-NULL list is the caller's kvEntryList, valid for the call.
        let Some(l) = (unsafe { list.as_mut() }) else { return };
        if l.Entries.is_null() {
            return;
        }
        for i in 0..l.Count.max(0) as usize {
            // SAFETY: Entries holds Count entry handles made by this library.
            kvEntry_Destroy(unsafe { *l.Entries.add(i) });
        }
        // SAFETY: the array was allocated with malloc by entry_list.
        unsafe { libc::free(l.Entries as *mut c_void) };
        l.Entries = std::ptr::null_mut();
        l.Count = 0;
    })
}

/// The bucket's name (NULL when `sts` is NULL). Owned by the status.
#[unsafe(no_mangle)]
pub extern "C" fn kvStatus_Bucket(sts: *mut kvStatus) -> *const c_char {
    guard_val("kvStatus_Bucket", std::ptr::null(), || status(sts).map_or(std::ptr::null(), |s| s.bucket_c.as_ptr()))
}

/// Messages in the bucket, history and markers included (0 when `sts` is NULL).
#[unsafe(no_mangle)]
pub extern "C" fn kvStatus_Values(sts: *mut kvStatus) -> u64 {
    guard_val("kvStatus_Values", 0, || status(sts).map_or(0, |s| s.st.values))
}

/// Values kept per key (0 when `sts` is NULL).
#[unsafe(no_mangle)]
pub extern "C" fn kvStatus_History(sts: *mut kvStatus) -> i64 {
    guard_val("kvStatus_History", 0, || status(sts).map_or(0, |s| s.st.history))
}

/// How long values are kept, in nanoseconds (0: for ever, or `sts` is NULL).
#[unsafe(no_mangle)]
pub extern "C" fn kvStatus_TTL(sts: *mut kvStatus) -> i64 {
    guard_val("kvStatus_TTL", 0, || status(sts).map_or(0, |s| s.st.ttl))
}

/// Replicas of the bucket (0 when `sts` is NULL).
#[unsafe(no_mangle)]
pub extern "C" fn kvStatus_Replicas(sts: *mut kvStatus) -> i64 {
    guard_val("kvStatus_Replicas", 0, || status(sts).map_or(0, |s| s.st.replicas))
}

/// Frees a status (NULL: nothing).
#[unsafe(no_mangle)]
pub extern "C" fn kvStatus_Destroy(sts: *mut kvStatus) {
    guard_val("kvStatus_Destroy", (), || {
        if !sts.is_null() {
            // SAFETY: a non-NULL status was made by kvStore_Status and is destroyed once.
            drop(unsafe { Box::from_raw(sts) });
        }
    })
}
