//! The `*_Destroy` functions of the objects the JetStream functions return. Each accepts
//! NULL; the object and everything it points to is freed, and must not be used afterwards.
//! (kvEntryList, kvEntry, kvStatus, kvStore and kvWatcher are destroyed in the Key/Value
//! part, with their handles.)

use super::owned::{destroy, free_malloc_strs, list_entries};
use super::types_consumer::{jsConsumerInfo, jsConsumerInfoList, jsConsumerNamesList};
use super::types_context::{jsAccountInfo, jsMsgMetaData, jsPubAck};
use super::types_kv::kvKeysList;
use super::types_stream::{jsStreamInfo, jsStreamInfoList, jsStreamNamesList};
use crate::ffi::boundary::guard_val;

/// Frees a stream information object, its configuration and everything it points to.
/// NULL is ignored.
#[unsafe(no_mangle)]
pub extern "C" fn jsStreamInfo_Destroy(si: *mut jsStreamInfo) {
    // SAFETY: `si` is NULL or an object returned by this library (its contract).
    guard_val("jsStreamInfo_Destroy", (), || unsafe { destroy(si) })
}

/// Frees a list of stream information objects: every non-NULL element (as
/// `jsStreamInfo_Destroy` does), then the list. NULL is ignored.
#[unsafe(no_mangle)]
pub extern "C" fn jsStreamInfoList_Destroy(list: *mut jsStreamInfoList) {
    guard_val("jsStreamInfoList_Destroy", (), || {
        // SAFETY: `list` is NULL or a list returned by this library; each non-NULL element
        // is a stream information object of its own.
        unsafe {
            let Some(l) = list.as_ref() else { return };
            for si in list_entries(l.List, l.Count) {
                destroy(si);
            }
            destroy(list);
        }
    })
}

/// Frees a list of stream names and its strings. NULL is ignored.
#[unsafe(no_mangle)]
pub extern "C" fn jsStreamNamesList_Destroy(list: *mut jsStreamNamesList) {
    // SAFETY: `list` is NULL or a list returned by this library.
    guard_val("jsStreamNamesList_Destroy", (), || unsafe { destroy(list) })
}

/// Frees a consumer information object, its configuration and everything it points to.
/// NULL is ignored.
#[unsafe(no_mangle)]
pub extern "C" fn jsConsumerInfo_Destroy(ci: *mut jsConsumerInfo) {
    // SAFETY: `ci` is NULL or an object returned by this library.
    guard_val("jsConsumerInfo_Destroy", (), || unsafe { destroy(ci) })
}

/// Frees a list of consumer information objects: every non-NULL element (as
/// `jsConsumerInfo_Destroy` does), then the list. NULL is ignored.
#[unsafe(no_mangle)]
pub extern "C" fn jsConsumerInfoList_Destroy(list: *mut jsConsumerInfoList) {
    guard_val("jsConsumerInfoList_Destroy", (), || {
        // SAFETY: as in jsStreamInfoList_Destroy.
        unsafe {
            let Some(l) = list.as_ref() else { return };
            for ci in list_entries(l.List, l.Count) {
                destroy(ci);
            }
            destroy(list);
        }
    })
}

/// Frees a list of consumer names and its strings. NULL is ignored.
#[unsafe(no_mangle)]
pub extern "C" fn jsConsumerNamesList_Destroy(list: *mut jsConsumerNamesList) {
    // SAFETY: `list` is NULL or a list returned by this library.
    guard_val("jsConsumerNamesList_Destroy", (), || unsafe { destroy(list) })
}

/// Frees an account information object and everything it points to. NULL is ignored.
#[unsafe(no_mangle)]
pub extern "C" fn jsAccountInfo_Destroy(ai: *mut jsAccountInfo) {
    // SAFETY: `ai` is NULL or an object returned by this library.
    guard_val("jsAccountInfo_Destroy", (), || unsafe { destroy(ai) })
}

/// Frees a publish acknowledgement. NULL is ignored.
#[unsafe(no_mangle)]
pub extern "C" fn jsPubAck_Destroy(pubAck: *mut jsPubAck) {
    // SAFETY: `pubAck` is NULL or an object returned by this library.
    guard_val("jsPubAck_Destroy", (), || unsafe { destroy(pubAck) })
}

/// Frees message metadata. NULL is ignored.
#[unsafe(no_mangle)]
pub extern "C" fn jsMsgMetaData_Destroy(meta: *mut jsMsgMetaData) {
    // SAFETY: `meta` is NULL or an object returned by this library.
    guard_val("jsMsgMetaData_Destroy", (), || unsafe { destroy(meta) })
}

/// Frees the keys of a list the library filled and the array holding them; entries the
/// application set to NULL (after taking them, to `free` later) are skipped. The list
/// object itself (usually on the stack) is not freed: it is reset to empty. NULL is ignored.
#[unsafe(no_mangle)]
pub extern "C" fn kvKeysList_Destroy(list: *mut kvKeysList) {
    guard_val("kvKeysList_Destroy", (), || {
        // SAFETY: `list` is NULL or a list filled by this library (malloc'ed array of
        // malloc'ed strings, see owned::malloc_strs).
        unsafe {
            let Some(l) = list.as_mut() else { return };
            free_malloc_strs(l.Keys, l.Count);
            l.Keys = std::ptr::null_mut();
            l.Count = 0;
        }
    })
}
