//! C structs of the JetStream context: options, account information, publish results,
//! message metadata, direct get and fetch options, and the publish callbacks.
//! Layout, field names and order are nats.c 3.4.1's (scripts/check-layout.py compares them).

use std::ffi::{c_char, c_int, c_void};

use super::enums::jsErrCodeRaw;
use super::handles::jsCtx;
use crate::ffi::library::natsStatusArg;
use crate::ffi::msg::natsMsg;

/// Counts of JetStream API calls of the account.
#[repr(C)]
pub struct jsAPIStats {
    /// Calls made.
    pub Total: u64,
    /// Calls that failed.
    pub Errors: u64,
}

/// JetStream limits of an account (-1: unlimited).
#[repr(C)]
pub struct jsAccountLimits {
    /// Memory storage, in bytes.
    pub MaxMemory: i64,
    /// File storage, in bytes.
    pub MaxStore: i64,
    /// Number of streams.
    pub MaxStreams: i64,
    /// Number of consumers.
    pub MaxConsumers: i64,
    /// Messages pending acknowledgement per consumer.
    pub MaxAckPending: i64,
    /// Size of one memory stream, in bytes.
    pub MemoryMaxStreamBytes: i64,
    /// Size of one file stream, in bytes.
    pub StoreMaxStreamBytes: i64,
    /// Streams must set `MaxBytes`.
    pub MaxBytesRequired: bool,
}

/// Usage and limits of one tier of an account.
#[repr(C)]
pub struct jsTier {
    /// Tier name.
    pub Name: *const c_char,
    /// Memory used, in bytes.
    pub Memory: u64,
    /// File storage used, in bytes.
    pub Store: u64,
    /// Number of streams.
    pub Streams: i64,
    /// Number of consumers.
    pub Consumers: i64,
    /// Limits of the tier.
    pub Limits: jsAccountLimits,
}

/// JetStream usage and limits of the account (`js_GetAccountInfo`). The library allocates
/// it; free it with `jsAccountInfo_Destroy`.
#[repr(C)]
pub struct jsAccountInfo {
    /// Memory used, in bytes.
    pub Memory: u64,
    /// File storage used, in bytes.
    pub Store: u64,
    /// Number of streams.
    pub Streams: i64,
    /// Number of consumers.
    pub Consumers: i64,
    /// JetStream domain (or NULL).
    pub Domain: *mut c_char,
    /// API call counts.
    pub API: jsAPIStats,
    /// Account limits.
    pub Limits: jsAccountLimits,
    /// Per-tier usage (`TiersLen` pointers).
    pub Tiers: *mut *mut jsTier,
    /// Number of pointers in `Tiers`.
    pub TiersLen: c_int,
}

/// JetStream metadata of a received message (`natsMsg_GetMetaData`). The library allocates
/// it; free it with `jsMsgMetaData_Destroy`.
#[repr(C)]
pub struct jsMsgMetaData {
    /// Consumer and stream sequences of the message.
    pub Sequence: jsSequencePair,
    /// How many times it was delivered.
    pub NumDelivered: u64,
    /// How many messages of the consumer are still pending.
    pub NumPending: u64,
    /// Time it was stored, in nanoseconds since the epoch (UTC).
    pub Timestamp: i64,
    /// Stream name.
    pub Stream: *mut c_char,
    /// Consumer name.
    pub Consumer: *mut c_char,
    /// JetStream domain (or NULL).
    pub Domain: *mut c_char,
}

use super::types_consumer::jsSequencePair;

/// Acknowledgement of a stored message (`js_Publish`). The library allocates it; free it
/// with `jsPubAck_Destroy`.
#[repr(C)]
pub struct jsPubAck {
    /// Stream that stored the message.
    pub Stream: *mut c_char,
    /// Sequence of the message in the stream.
    pub Sequence: u64,
    /// JetStream domain (or NULL).
    pub Domain: *mut c_char,
    /// The message was a duplicate (same message ID) and was not stored again.
    pub Duplicate: bool,
}

/// An asynchronous publish that failed, given to the publish error callback.
#[repr(C)]
pub struct jsPubAckErr {
    /// The message that failed.
    pub Msg: *mut natsMsg,
    /// The failure.
    pub Err: natsStatusArg,
    /// The server's JetStream error code, when it gave one (0 otherwise).
    pub ErrCode: jsErrCodeRaw,
    /// Description of the failure.
    pub ErrText: *const c_char,
}

/// Callback for an asynchronous publish that failed (`jsOptions.PublishAsync.ErrHandler`).
pub type jsPubAckErrHandler =
    Option<unsafe extern "C" fn(js: *mut jsCtx, pae: *mut jsPubAckErr, closure: *mut c_void)>;

/// Callback for every asynchronous publish (`jsOptions.PublishAsync.AckHandler`): `pa` on
/// success, `pae` on failure.
pub type jsPubAckHandler = Option<
    unsafe extern "C" fn(
        js: *mut jsCtx,
        msg: *mut natsMsg,
        pa: *mut jsPubAck,
        pae: *mut jsPubAckErr,
        closure: *mut c_void,
    ),
>;

/// Options of `js_DirectGetMsg`, which any server holding the stream may answer (the stream
/// needs `AllowDirect`). Initialize with `jsDirectGetMsgOptions_Init`.
#[repr(C)]
pub struct jsDirectGetMsgOptions {
    /// The message at this sequence.
    pub Sequence: u64,
    /// The first message on this subject from `Sequence` on.
    pub NextBySubject: *const c_char,
    /// The last message on this subject.
    pub LastBySubject: *const c_char,
}

/// Options of `natsSubscription_FetchRequest`. Initialize with `jsFetchRequest_Init`.
#[repr(C)]
pub struct jsFetchRequest {
    /// When the request expires, in nanoseconds.
    pub Expires: i64,
    /// Maximum number of messages.
    pub Batch: c_int,
    /// Maximum number of bytes (the request ends at whichever limit comes first).
    pub MaxBytes: i64,
    /// Return at once when no message is available.
    pub NoWait: bool,
    /// Interval of heartbeats the server sends while the request is open, in nanoseconds.
    pub Heartbeat: i64,
}

/// Asynchronous publish options of a JetStream context (`jsOptions.PublishAsync`).
#[repr(C)]
pub struct jsOptionsPublishAsync {
    /// Maximum number of asynchronous publishes waiting for their acknowledgement.
    pub MaxPending: i64,
    /// Called for every asynchronous publish, success or failure; when set, `ErrHandler`
    /// is not called.
    pub AckHandler: jsPubAckHandler,
    /// User data given to `AckHandler`.
    pub AckHandlerClosure: *mut c_void,
    /// Called for an asynchronous publish that failed or timed out.
    pub ErrHandler: jsPubAckErrHandler,
    /// User data given to `ErrHandler`.
    pub ErrHandlerClosure: *mut c_void,
    /// How long a publish waits when `MaxPending` are in flight, in milliseconds (default 200).
    pub StallWait: i64,
}

/// Options of a stream purge (`jsOptions.Stream.Purge`). `Sequence` and `Keep` exclude
/// each other.
#[repr(C)]
pub struct jsOptionsStreamPurge {
    /// Purge only messages on subjects matching this filter.
    pub Subject: *const c_char,
    /// Purge messages below this sequence.
    pub Sequence: u64,
    /// Keep this many most recent messages.
    pub Keep: u64,
}

/// Options of a stream information request (`jsOptions.Stream.Info`).
#[repr(C)]
pub struct jsOptionsStreamInfo {
    /// Also return the sequences of deleted messages.
    pub DeletedDetails: bool,
    /// Also return the message count of subjects matching this filter.
    pub SubjectsFilter: *const c_char,
}

/// Stream options of a JetStream context (`jsOptions.Stream`).
#[repr(C)]
pub struct jsOptionsStream {
    /// Purge options.
    pub Purge: jsOptionsStreamPurge,
    /// Information request options.
    pub Info: jsOptionsStreamInfo,
}

/// Options of a JetStream context, or of one call. Strings belong to the caller.
/// Initialize with `jsOptions_Init`.
#[repr(C)]
pub struct jsOptions {
    /// API subject prefix (default "$JS.API").
    pub Prefix: *const c_char,
    /// JetStream domain: the prefix becomes "$JS.<domain>.API".
    pub Domain: *const c_char,
    /// How long API requests wait for a reply, in milliseconds (default 5000).
    pub Wait: i64,
    /// Asynchronous publish options.
    pub PublishAsync: jsOptionsPublishAsync,
    /// Stream request options.
    pub Stream: jsOptionsStream,
}
