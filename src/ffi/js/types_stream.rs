//! C structs of streams: configuration, state and information, publish options.
//! Layout, field names and order are nats.c 3.4.1's (scripts/check-layout.py compares them).

use std::ffi::{c_char, c_int};

use super::enums::{jsDiscardPolicyRaw, jsRetentionPolicyRaw, jsStorageTypeRaw};

/// Options of one JetStream publish call. Strings belong to the caller and need only live
/// for the call. Initialize with `jsPubOptions_Init`.
#[repr(C)]
pub struct jsPubOptions {
    /// How long to wait for the publish acknowledgement, in milliseconds (0: the context's wait).
    pub MaxWait: i64,
    /// Message ID, used by the stream to drop duplicates.
    pub MsgId: *const c_char,
    /// Stream name the acknowledgement must come from.
    pub ExpectStream: *const c_char,
    /// Message ID the stream's last message must have.
    pub ExpectLastMsgId: *const c_char,
    /// Sequence the stream's last message must have.
    pub ExpectLastSeq: u64,
    /// Sequence the last message on this subject must have.
    pub ExpectLastSubjectSeq: u64,
    /// The subject must have no message yet.
    pub ExpectNoMessage: bool,
}

/// Placement of a stream in a JetStream cluster. Strings belong to the caller.
/// Initialize with `jsPlacement_Init`.
#[repr(C)]
pub struct jsPlacement {
    /// Cluster to place the stream in.
    pub Cluster: *const c_char,
    /// Server tags the chosen servers must have (`TagsLen` strings).
    pub Tags: *mut *const c_char,
    /// Number of strings in `Tags`.
    pub TagsLen: c_int,
}

/// Access to a stream of another account or domain. Strings belong to the caller.
/// Initialize with `jsExternalStream_Init`.
#[repr(C)]
pub struct jsExternalStream {
    /// Subject prefix of the other JetStream API.
    pub APIPrefix: *const c_char,
    /// Subject prefix under which the other side delivers.
    pub DeliverPrefix: *const c_char,
}

/// A stream a mirror or sourcing stream copies from. Strings belong to the caller.
/// Initialize with `jsStreamSource_Init`.
#[repr(C)]
pub struct jsStreamSource {
    /// Name of the stream copied from.
    pub Name: *const c_char,
    /// First sequence to copy.
    pub OptStartSeq: u64,
    /// First message time to copy, in nanoseconds since the epoch (UTC).
    pub OptStartTime: i64,
    /// Copy only messages on subjects matching this filter.
    pub FilterSubject: *const c_char,
    /// When the source is in another account or domain, how to reach it (or NULL).
    pub External: *mut jsExternalStream,
}

/// Republishing of stored messages to another subject. Strings belong to the caller.
/// Initialize with `jsRePublish_Init`.
#[repr(C)]
pub struct jsRePublish {
    /// Subjects (of the stream) whose messages are republished.
    pub Source: *const c_char,
    /// Subject the messages are republished to.
    pub Destination: *const c_char,
    /// Republish only the headers, not the payload.
    pub HeadersOnly: bool,
}

/// Configuration of a stream, given to `js_AddStream` / `js_UpdateStream` and returned in
/// `jsStreamInfo`. In a caller's configuration every pointer belongs to the caller.
/// Initialize with `jsStreamConfig_Init`; with no subjects, the name is the only subject.
#[repr(C)]
pub struct jsStreamConfig {
    /// Stream name.
    pub Name: *const c_char,
    /// Free text describing the stream.
    pub Description: *const c_char,
    /// Subjects the stream stores (`SubjectsLen` strings).
    pub Subjects: *mut *const c_char,
    /// Number of strings in `Subjects`.
    pub SubjectsLen: c_int,
    /// When messages may be removed.
    pub Retention: jsRetentionPolicyRaw,
    /// Maximum number of consumers (-1: unlimited).
    pub MaxConsumers: i64,
    /// Maximum number of messages (-1: unlimited).
    pub MaxMsgs: i64,
    /// Maximum total size in bytes (-1: unlimited).
    pub MaxBytes: i64,
    /// Maximum age of a message, in nanoseconds (0: unlimited).
    pub MaxAge: i64,
    /// Maximum number of messages per subject (0 or -1: unlimited).
    pub MaxMsgsPerSubject: i64,
    /// Maximum size of one message in bytes (-1: unlimited).
    pub MaxMsgSize: i32,
    /// What to do when a limit is reached.
    pub Discard: jsDiscardPolicyRaw,
    /// Where messages are stored.
    pub Storage: jsStorageTypeRaw,
    /// Number of copies kept in a cluster.
    pub Replicas: i64,
    /// Do not acknowledge published messages.
    pub NoAck: bool,
    /// Name of the template that created the stream (read only).
    pub Template: *const c_char,
    /// Window for duplicate detection by message ID, in nanoseconds.
    pub Duplicates: i64,
    /// Where to place the stream in a cluster (or NULL).
    pub Placement: *mut jsPlacement,
    /// The stream this one mirrors (or NULL).
    pub Mirror: *mut jsStreamSource,
    /// Streams this one copies from (`SourcesLen` pointers).
    pub Sources: *mut *mut jsStreamSource,
    /// Number of pointers in `Sources`.
    pub SourcesLen: c_int,
    /// Sealed: no message can be added, deleted or purged.
    pub Sealed: bool,
    /// Messages cannot be deleted.
    pub DenyDelete: bool,
    /// The stream cannot be purged.
    pub DenyPurge: bool,
    /// A message with the rollup header may replace older messages.
    pub AllowRollup: bool,
    /// Republish stored messages (or NULL).
    pub RePublish: *mut jsRePublish,
    /// Any server holding the stream may answer direct get requests.
    pub AllowDirect: bool,
    /// Mirrors of this stream answer direct get requests too.
    pub MirrorDirect: bool,
    /// With `js_DiscardNew`, apply the per-subject limit to new messages too.
    pub DiscardNewPerSubject: bool,
}

/// Messages a stream lost (for instance after a storage failure).
#[repr(C)]
pub struct jsLostStreamData {
    /// Sequences of the lost messages (`MsgsLen` of them).
    pub Msgs: *mut u64,
    /// Number of sequences in `Msgs`.
    pub MsgsLen: c_int,
    /// Total size of the lost messages.
    pub Bytes: u64,
}

/// A subject of a stream and how many messages it holds.
#[repr(C)]
pub struct jsStreamStateSubject {
    /// The subject.
    pub Subject: *const c_char,
    /// Number of messages on it.
    pub Msgs: u64,
}

/// The subjects of a stream, when asked for with `jsOptions.Stream.Info.SubjectsFilter`.
#[repr(C)]
pub struct jsStreamStateSubjects {
    /// The subjects (`Count` of them).
    pub List: *mut jsStreamStateSubject,
    /// Number of elements in `List`.
    pub Count: c_int,
}

/// The state of a stream. Times are nanoseconds since the epoch (UTC).
#[repr(C)]
pub struct jsStreamState {
    /// Number of messages stored.
    pub Msgs: u64,
    /// Bytes stored.
    pub Bytes: u64,
    /// Sequence of the first message.
    pub FirstSeq: u64,
    /// Time of the first message.
    pub FirstTime: i64,
    /// Sequence of the last message.
    pub LastSeq: u64,
    /// Time of the last message.
    pub LastTime: i64,
    /// Number of distinct subjects.
    pub NumSubjects: i64,
    /// Messages per subject, when asked for (or NULL).
    pub Subjects: *mut jsStreamStateSubjects,
    /// Number of deleted messages between the first and the last.
    pub NumDeleted: u64,
    /// Sequences of the deleted messages, when asked for (`DeletedLen` of them).
    pub Deleted: *mut u64,
    /// Number of sequences in `Deleted`.
    pub DeletedLen: c_int,
    /// Lost messages (or NULL).
    pub Lost: *mut jsLostStreamData,
    /// Number of consumers.
    pub Consumers: i64,
}

/// A server holding a copy of a stream or consumer.
#[repr(C)]
pub struct jsPeerInfo {
    /// Server name.
    pub Name: *mut c_char,
    /// The copy is up to date.
    pub Current: bool,
    /// The server is offline.
    pub Offline: bool,
    /// Time since the server was last heard from, in nanoseconds.
    pub Active: i64,
    /// Number of operations the copy is behind.
    pub Lag: u64,
}

/// The servers of a cluster holding a stream or consumer.
#[repr(C)]
pub struct jsClusterInfo {
    /// Cluster name.
    pub Name: *mut c_char,
    /// Server currently leading.
    pub Leader: *mut c_char,
    /// The other servers holding copies (`ReplicasLen` pointers).
    pub Replicas: *mut *mut jsPeerInfo,
    /// Number of pointers in `Replicas`.
    pub ReplicasLen: c_int,
}

/// State of the copy from a mirrored or sourced stream.
#[repr(C)]
pub struct jsStreamSourceInfo {
    /// Name of the stream copied from.
    pub Name: *mut c_char,
    /// How the stream is reached when external (or NULL).
    pub External: *mut jsExternalStream,
    /// Number of messages not copied yet.
    pub Lag: u64,
    /// Time since the source was last active, in nanoseconds.
    pub Active: i64,
}

/// Configuration and state of a stream, returned by the stream functions. The library
/// allocates it; free it with `jsStreamInfo_Destroy`.
#[repr(C)]
pub struct jsStreamInfo {
    /// The stream's configuration.
    pub Config: *mut jsStreamConfig,
    /// Creation time, in nanoseconds since the epoch (UTC).
    pub Created: i64,
    /// Current state.
    pub State: jsStreamState,
    /// Cluster information (or NULL).
    pub Cluster: *mut jsClusterInfo,
    /// State of the mirror copy (or NULL).
    pub Mirror: *mut jsStreamSourceInfo,
    /// State of each source copy (`SourcesLen` pointers).
    pub Sources: *mut *mut jsStreamSourceInfo,
    /// Number of pointers in `Sources`.
    pub SourcesLen: c_int,
}

/// A list of stream information objects (`js_Streams`). Free it with
/// `jsStreamInfoList_Destroy`.
#[repr(C)]
pub struct jsStreamInfoList {
    /// The streams (`Count` pointers).
    pub List: *mut *mut jsStreamInfo,
    /// Number of pointers in `List`.
    pub Count: c_int,
}

/// A list of stream names (`js_StreamNames`). Free it with `jsStreamNamesList_Destroy`.
#[repr(C)]
pub struct jsStreamNamesList {
    /// The names (`Count` strings).
    pub List: *mut *mut c_char,
    /// Number of strings in `List`.
    pub Count: c_int,
}
