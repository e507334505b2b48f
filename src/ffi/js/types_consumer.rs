//! C structs of consumers: configuration, subscribe options, information.
//! Layout, field names and order are nats.c 3.4.1's (scripts/check-layout.py compares them).

use std::ffi::{c_char, c_int};

use super::enums::{jsAckPolicyRaw, jsDeliverPolicyRaw, jsReplayPolicyRaw};
use super::types_stream::jsClusterInfo;

/// Configuration of a consumer, given to `js_AddConsumer` and the subscribe functions and
/// returned in `jsConsumerInfo`. In a caller's configuration every pointer belongs to the
/// caller. Durations are nanoseconds, times nanoseconds since the epoch (UTC).
/// Initialize with `jsConsumerConfig_Init`.
#[repr(C)]
pub struct jsConsumerConfig {
    /// Consumer name.
    pub Name: *const c_char,
    /// Durable name: the consumer outlives its subscriptions. Must not contain '.'.
    pub Durable: *const c_char,
    /// Free text describing the consumer.
    pub Description: *const c_char,
    /// Which message is delivered first (-1: not set, the server's default).
    pub DeliverPolicy: jsDeliverPolicyRaw,
    /// First sequence, with `js_DeliverByStartSequence`.
    pub OptStartSeq: u64,
    /// First message time, with `js_DeliverByStartTime`.
    pub OptStartTime: i64,
    /// How messages are acknowledged (-1: not set, the server's default).
    pub AckPolicy: jsAckPolicyRaw,
    /// How long the server waits for an acknowledgement before redelivering.
    pub AckWait: i64,
    /// Maximum number of deliveries of one message.
    pub MaxDeliver: i64,
    /// Successive redelivery delays (`BackOffLen` of them).
    pub BackOff: *mut i64,
    /// Number of delays in `BackOff`.
    pub BackOffLen: c_int,
    /// Deliver only messages on subjects matching this filter.
    pub FilterSubject: *const c_char,
    /// Pace of delivery of stored messages (-1: not set, the server's default).
    pub ReplayPolicy: jsReplayPolicyRaw,
    /// Maximum delivery rate, in bits per second.
    pub RateLimit: u64,
    /// Percentage of acknowledgements sampled for advisories, such as "50".
    pub SampleFrequency: *const c_char,
    /// Maximum number of waiting pull requests.
    pub MaxWaiting: i64,
    /// Maximum number of messages delivered and not yet acknowledged.
    pub MaxAckPending: i64,
    /// Push consumers: the server uses flow control.
    pub FlowControl: bool,
    /// Interval of idle heartbeats sent by the server.
    pub Heartbeat: i64,
    /// Deliver only headers, with the payload size in a `Nats-Msg-Size` header.
    pub HeadersOnly: bool,
    /// Pull consumers: largest batch of one request.
    pub MaxRequestBatch: i64,
    /// Pull consumers: longest expiry of one request.
    pub MaxRequestExpires: i64,
    /// Pull consumers: largest byte limit of one request.
    pub MaxRequestMaxBytes: i64,
    /// Push consumers: subject the messages are delivered to.
    pub DeliverSubject: *const c_char,
    /// Push consumers: queue group of the delivery subscriptions.
    pub DeliverGroup: *const c_char,
    /// How long an ephemeral consumer stays without interest before the server removes it.
    pub InactiveThreshold: i64,
    /// Number of copies kept in a cluster (0: as the stream).
    pub Replicas: i64,
    /// Keep the consumer state in memory.
    pub MemoryStorage: bool,
}

/// Consumer sequences of the server and of this library when they disagree: messages may
/// have been missed.
#[repr(C)]
pub struct jsConsumerSequenceMismatch {
    /// Stream sequence to resume from.
    pub Stream: u64,
    /// Last consumer sequence the library received.
    pub ConsumerClient: u64,
    /// Last consumer sequence the server sent.
    pub ConsumerServer: u64,
}

/// Options of the JetStream subscribe functions. Strings belong to the caller and need only
/// live for the call. Initialize with `jsSubOptions_Init`.
#[repr(C)]
pub struct jsSubOptions {
    /// Bind to this stream instead of looking it up by subject.
    pub Stream: *const c_char,
    /// Bind to this existing consumer of `Stream` instead of creating one.
    pub Consumer: *const c_char,
    /// Queue group name (also the durable name when `Config.Durable` is not set).
    pub Queue: *const c_char,
    /// Asynchronous subscriptions: the application acknowledges, not the library after the
    /// callback.
    pub ManualAck: bool,
    /// The consumer's configuration.
    pub Config: jsConsumerConfig,
    /// An ordered consumer: in-order delivery, no acknowledgements, recreated on gaps.
    pub Ordered: bool,
}

/// A consumer sequence and the matching stream sequence.
#[repr(C)]
pub struct jsSequencePair {
    /// Consumer sequence.
    pub Consumer: u64,
    /// Stream sequence.
    pub Stream: u64,
}

/// Sequences and time of the last activity of a consumer.
#[repr(C)]
pub struct jsSequenceInfo {
    /// Consumer sequence.
    pub Consumer: u64,
    /// Stream sequence.
    pub Stream: u64,
    /// Time of the last activity, in nanoseconds since the epoch (UTC).
    pub Last: i64,
}

/// Configuration and state of a consumer. The library allocates it; free it with
/// `jsConsumerInfo_Destroy`.
#[repr(C)]
pub struct jsConsumerInfo {
    /// Stream name.
    pub Stream: *mut c_char,
    /// Consumer name.
    pub Name: *mut c_char,
    /// Creation time, in nanoseconds since the epoch (UTC).
    pub Created: i64,
    /// The consumer's configuration.
    pub Config: *mut jsConsumerConfig,
    /// Last delivered message.
    pub Delivered: jsSequenceInfo,
    /// Acknowledgement floor: everything up to here is acknowledged.
    pub AckFloor: jsSequenceInfo,
    /// Number of messages delivered and not yet acknowledged.
    pub NumAckPending: i64,
    /// Number of messages redelivered.
    pub NumRedelivered: i64,
    /// Number of waiting pull requests.
    pub NumWaiting: i64,
    /// Number of messages not yet delivered.
    pub NumPending: u64,
    /// Cluster information (or NULL).
    pub Cluster: *mut jsClusterInfo,
    /// A push consumer has an active subscription.
    pub PushBound: bool,
}

/// A list of consumer information objects (`js_Consumers`). Free it with
/// `jsConsumerInfoList_Destroy`.
#[repr(C)]
pub struct jsConsumerInfoList {
    /// The consumers (`Count` pointers).
    pub List: *mut *mut jsConsumerInfo,
    /// Number of pointers in `List`.
    pub Count: c_int,
}

/// A list of consumer names (`js_ConsumerNames`). Free it with
/// `jsConsumerNamesList_Destroy`.
#[repr(C)]
pub struct jsConsumerNamesList {
    /// The names (`Count` strings).
    pub List: *mut *mut c_char,
    /// Number of strings in `List`.
    pub Count: c_int,
}
