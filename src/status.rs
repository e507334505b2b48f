//! Status codes (numbered exactly as nats.c 3.4.1) and the error type of the safe core.
#![forbid(unsafe_code)]
#![allow(non_camel_case_types)]

use std::fmt;

/// Status returned by every fallible function of the library.
///
/// The numbers are those of nats.c 3.4.1, so binaries built against nats.c keep working.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum natsStatus {
    /// Success
    NATS_OK = 0,
    /// Generic error
    NATS_ERR,
    /// Error when parsing a protocol message, or not getting the expected message
    NATS_PROTOCOL_ERROR,
    /// IO error (network communication)
    NATS_IO_ERROR,
    /// The protocol message read from the socket does not fit in the read buffer
    NATS_LINE_TOO_LONG,
    /// Operation on this connection failed because the connection is closed
    NATS_CONNECTION_CLOSED,
    /// Unable to connect: the server could not be reached or is not running
    NATS_NO_SERVER,
    /// The server closed our connection because it did not receive PINGs in time
    NATS_STALE_CONNECTION,
    /// The client is configured to use TLS, but the server is not
    NATS_SECURE_CONNECTION_WANTED,
    /// The server expects a TLS connection
    NATS_SECURE_CONNECTION_REQUIRED,
    /// The connection was disconnected
    NATS_CONNECTION_DISCONNECTED,
    /// The connection failed due to an authentication error
    NATS_CONNECTION_AUTH_FAILED,
    /// The action is not permitted
    NATS_NOT_PERMITTED,
    /// An action could not complete because something was not found
    NATS_NOT_FOUND,
    /// Incorrect URL, for instance no host specified
    NATS_ADDRESS_MISSING,
    /// Invalid subject, for instance NULL or empty
    NATS_INVALID_SUBJECT,
    /// An invalid argument was passed to a function
    NATS_INVALID_ARG,
    /// The subscription is closed or invalid
    NATS_INVALID_SUBSCRIPTION,
    /// Timeout must be a positive number
    NATS_INVALID_TIMEOUT,
    /// An unexpected state
    NATS_ILLEGAL_STATE,
    /// The maximum number of messages waiting to be delivered has been reached
    NATS_SLOW_CONSUMER,
    /// Attempt to send a payload larger than the maximum allowed by the server
    NATS_MAX_PAYLOAD,
    /// Attempt to receive more messages than allowed (auto-unsubscribe)
    NATS_MAX_DELIVERED_MSGS,
    /// A buffer is not large enough to accommodate the data
    NATS_INSUFFICIENT_BUFFER,
    /// An operation could not complete because of insufficient memory
    NATS_NO_MEMORY,
    /// Some system function returned an error
    NATS_SYS_ERROR,
    /// An operation timed out
    NATS_TIMEOUT,
    /// The library failed to initialize
    NATS_FAILED_TO_INITIALIZE,
    /// The library is not yet initialized
    NATS_NOT_INITIALIZED,
    /// An SSL/TLS error occurred
    NATS_SSL_ERROR,
    /// The server does not support this action
    NATS_NO_SERVER_SUPPORT,
    /// A connection could not be immediately established and a retry is in progress
    NATS_NOT_YET_CONNECTED,
    /// A connection and/or subscription entered the draining mode
    NATS_DRAINING,
    /// An invalid queue name was passed when creating a queue subscription
    NATS_INVALID_QUEUE_NAME,
    /// No responders were running when the server received the request
    NATS_NO_RESPONDERS,
    /// JetStream consumer sequence mismatch (not produced by this library)
    NATS_MISMATCH,
    /// JetStream missed heartbeat (not produced by this library)
    NATS_MISSED_HEARTBEAT,
}

/// State of a connection, numbered as nats.c 3.4.1.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum natsConnStatus {
    /// The connection has been disconnected
    NATS_CONN_STATUS_DISCONNECTED = 0,
    /// The connection is in the process of connecting
    NATS_CONN_STATUS_CONNECTING,
    /// The connection is connected
    NATS_CONN_STATUS_CONNECTED,
    /// The connection is closed
    NATS_CONN_STATUS_CLOSED,
    /// The connection is in the process of reconnecting
    NATS_CONN_STATUS_RECONNECTING,
    /// The connection is draining subscriptions
    NATS_CONN_STATUS_DRAINING_SUBS,
    /// The connection is draining publishers
    NATS_CONN_STATUS_DRAINING_PUBS,
}

/// Error codes the JetStream server puts in its API error responses, numbered as the server
/// (and nats.c 3.4.1) does. A server may send a code not listed here: it is passed on as is.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum jsErrCode {
    JSAccountResourcesExceededErr = 10002,
    JSBadRequestErr = 10003,
    JSClusterIncompleteErr = 10004,
    JSClusterNoPeersErr = 10005,
    JSClusterNotActiveErr = 10006,
    JSClusterNotAssignedErr = 10007,
    JSClusterNotAvailErr = 10008,
    JSClusterNotLeaderErr = 10009,
    JSClusterRequiredErr = 10010,
    JSClusterTagsErr = 10011,
    JSConsumerCreateErr = 10012,
    JSConsumerNameExistErr = 10013,
    JSConsumerNotFoundErr = 10014,
    JSSnapshotDeliverSubjectInvalidErr = 10015,
    JSConsumerDurableNameNotInSubjectErr = 10016,
    JSConsumerDurableNameNotMatchSubjectErr = 10017,
    JSConsumerDurableNameNotSetErr = 10018,
    JSConsumerEphemeralWithDurableInSubjectErr = 10019,
    JSConsumerEphemeralWithDurableNameErr = 10020,
    JSStreamExternalApiOverlapErr = 10021,
    JSStreamExternalDelPrefixOverlapsErr = 10022,
    JSInsufficientResourcesErr = 10023,
    JSStreamInvalidExternalDeliverySubjErr = 10024,
    JSInvalidJSONErr = 10025,
    JSMaximumConsumersLimitErr = 10026,
    JSMaximumStreamsLimitErr = 10027,
    JSMemoryResourcesExceededErr = 10028,
    JSMirrorConsumerSetupFailedErr = 10029,
    JSMirrorMaxMessageSizeTooBigErr = 10030,
    JSMirrorWithSourcesErr = 10031,
    JSMirrorWithStartSeqAndTimeErr = 10032,
    JSMirrorWithSubjectFiltersErr = 10033,
    JSMirrorWithSubjectsErr = 10034,
    JSNoAccountErr = 10035,
    JSClusterUnSupportFeatureErr = 10036,
    JSNoMessageFoundErr = 10037,
    JSNotEmptyRequestErr = 10038,
    JSNotEnabledForAccountErr = 10039,
    JSClusterPeerNotMemberErr = 10040,
    JSRaftGeneralErr = 10041,
    JSRestoreSubscribeFailedErr = 10042,
    JSSequenceNotFoundErr = 10043,
    JSClusterServerNotMemberErr = 10044,
    JSSourceConsumerSetupFailedErr = 10045,
    JSSourceMaxMessageSizeTooBigErr = 10046,
    JSStorageResourcesExceededErr = 10047,
    JSStreamAssignmentErr = 10048,
    JSStreamCreateErr = 10049,
    JSStreamDeleteErr = 10050,
    JSStreamGeneralError = 10051,
    JSStreamInvalidConfig = 10052,
    JSStreamLimitsErr = 10053,
    JSStreamMessageExceedsMaximumErr = 10054,
    JSStreamMirrorNotUpdatableErr = 10055,
    JSStreamMismatchErr = 10056,
    JSStreamMsgDeleteFailed = 10057,
    JSStreamNameExistErr = 10058,
    JSStreamNotFoundErr = 10059,
    JSStreamNotMatchErr = 10060,
    JSStreamReplicasNotUpdatableErr = 10061,
    JSStreamRestoreErr = 10062,
    JSStreamSequenceNotMatchErr = 10063,
    JSStreamSnapshotErr = 10064,
    JSStreamSubjectOverlapErr = 10065,
    JSStreamTemplateCreateErr = 10066,
    JSStreamTemplateDeleteErr = 10067,
    JSStreamTemplateNotFoundErr = 10068,
    JSStreamUpdateErr = 10069,
    JSStreamWrongLastMsgIDErr = 10070,
    JSStreamWrongLastSequenceErr = 10071,
    JSTempStorageFailedErr = 10072,
    JSTemplateNameNotMatchSubjectErr = 10073,
    JSStreamReplicasNotSupportedErr = 10074,
    JSPeerRemapErr = 10075,
    JSNotEnabledErr = 10076,
    JSStreamStoreFailedErr = 10077,
    JSConsumerConfigRequiredErr = 10078,
    JSConsumerDeliverToWildcardsErr = 10079,
    JSConsumerPushMaxWaitingErr = 10080,
    JSConsumerDeliverCycleErr = 10081,
    JSConsumerMaxPendingAckPolicyRequiredErr = 10082,
    JSConsumerSmallHeartbeatErr = 10083,
    JSConsumerPullRequiresAckErr = 10084,
    JSConsumerPullNotDurableErr = 10085,
    JSConsumerPullWithRateLimitErr = 10086,
    JSConsumerMaxWaitingNegativeErr = 10087,
    JSConsumerHBRequiresPushErr = 10088,
    JSConsumerFCRequiresPushErr = 10089,
    JSConsumerDirectRequiresPushErr = 10090,
    JSConsumerDirectRequiresEphemeralErr = 10091,
    JSConsumerOnMappedErr = 10092,
    JSConsumerFilterNotSubsetErr = 10093,
    JSConsumerInvalidPolicyErr = 10094,
    JSConsumerInvalidSamplingErr = 10095,
    JSStreamInvalidErr = 10096,
    JSConsumerWQRequiresExplicitAckErr = 10098,
    JSConsumerWQMultipleUnfilteredErr = 10099,
    JSConsumerWQConsumerNotUniqueErr = 10100,
    JSConsumerWQConsumerNotDeliverAllErr = 10101,
    JSConsumerNameTooLongErr = 10102,
    JSConsumerBadDurableNameErr = 10103,
    JSConsumerStoreFailedErr = 10104,
    JSConsumerExistingActiveErr = 10105,
    JSConsumerReplacementWithDifferentNameErr = 10106,
    JSConsumerDescriptionTooLongErr = 10107,
    JSConsumerWithFlowControlNeedsHeartbeatsErr = 10108,
    JSStreamSealedErr = 10109,
    JSStreamPurgeFailedErr = 10110,
    JSStreamRollupFailedErr = 10111,
    JSConsumerInvalidDeliverSubjectErr = 10112,
    JSStreamMaxBytesRequiredErr = 10113,
    JSConsumerMaxRequestBatchNegativeErr = 10114,
    JSConsumerMaxRequestExpiresToSmallErr = 10115,
    JSConsumerMaxDeliverBackoffErr = 10116,
    JSStreamInfoMaxSubjectsErr = 10117,
    JSStreamOfflineErr = 10118,
    JSConsumerOfflineErr = 10119,
    JSNoLimitsErr = 10120,
    JSConsumerMaxPendingAckExcessErr = 10121,
    JSStreamMaxStreamBytesExceededErr = 10122,
    JSStreamMoveAndScaleErr = 10123,
    JSStreamMoveInProgressErr = 10124,
    JSConsumerMaxRequestBatchExceededErr = 10125,
    JSConsumerReplicasExceedsStreamErr = 10126,
}

impl jsErrCode {
    /// Every code, in numeric order.
    pub const ALL: [jsErrCode; 124] = [
        jsErrCode::JSAccountResourcesExceededErr,
        jsErrCode::JSBadRequestErr,
        jsErrCode::JSClusterIncompleteErr,
        jsErrCode::JSClusterNoPeersErr,
        jsErrCode::JSClusterNotActiveErr,
        jsErrCode::JSClusterNotAssignedErr,
        jsErrCode::JSClusterNotAvailErr,
        jsErrCode::JSClusterNotLeaderErr,
        jsErrCode::JSClusterRequiredErr,
        jsErrCode::JSClusterTagsErr,
        jsErrCode::JSConsumerCreateErr,
        jsErrCode::JSConsumerNameExistErr,
        jsErrCode::JSConsumerNotFoundErr,
        jsErrCode::JSSnapshotDeliverSubjectInvalidErr,
        jsErrCode::JSConsumerDurableNameNotInSubjectErr,
        jsErrCode::JSConsumerDurableNameNotMatchSubjectErr,
        jsErrCode::JSConsumerDurableNameNotSetErr,
        jsErrCode::JSConsumerEphemeralWithDurableInSubjectErr,
        jsErrCode::JSConsumerEphemeralWithDurableNameErr,
        jsErrCode::JSStreamExternalApiOverlapErr,
        jsErrCode::JSStreamExternalDelPrefixOverlapsErr,
        jsErrCode::JSInsufficientResourcesErr,
        jsErrCode::JSStreamInvalidExternalDeliverySubjErr,
        jsErrCode::JSInvalidJSONErr,
        jsErrCode::JSMaximumConsumersLimitErr,
        jsErrCode::JSMaximumStreamsLimitErr,
        jsErrCode::JSMemoryResourcesExceededErr,
        jsErrCode::JSMirrorConsumerSetupFailedErr,
        jsErrCode::JSMirrorMaxMessageSizeTooBigErr,
        jsErrCode::JSMirrorWithSourcesErr,
        jsErrCode::JSMirrorWithStartSeqAndTimeErr,
        jsErrCode::JSMirrorWithSubjectFiltersErr,
        jsErrCode::JSMirrorWithSubjectsErr,
        jsErrCode::JSNoAccountErr,
        jsErrCode::JSClusterUnSupportFeatureErr,
        jsErrCode::JSNoMessageFoundErr,
        jsErrCode::JSNotEmptyRequestErr,
        jsErrCode::JSNotEnabledForAccountErr,
        jsErrCode::JSClusterPeerNotMemberErr,
        jsErrCode::JSRaftGeneralErr,
        jsErrCode::JSRestoreSubscribeFailedErr,
        jsErrCode::JSSequenceNotFoundErr,
        jsErrCode::JSClusterServerNotMemberErr,
        jsErrCode::JSSourceConsumerSetupFailedErr,
        jsErrCode::JSSourceMaxMessageSizeTooBigErr,
        jsErrCode::JSStorageResourcesExceededErr,
        jsErrCode::JSStreamAssignmentErr,
        jsErrCode::JSStreamCreateErr,
        jsErrCode::JSStreamDeleteErr,
        jsErrCode::JSStreamGeneralError,
        jsErrCode::JSStreamInvalidConfig,
        jsErrCode::JSStreamLimitsErr,
        jsErrCode::JSStreamMessageExceedsMaximumErr,
        jsErrCode::JSStreamMirrorNotUpdatableErr,
        jsErrCode::JSStreamMismatchErr,
        jsErrCode::JSStreamMsgDeleteFailed,
        jsErrCode::JSStreamNameExistErr,
        jsErrCode::JSStreamNotFoundErr,
        jsErrCode::JSStreamNotMatchErr,
        jsErrCode::JSStreamReplicasNotUpdatableErr,
        jsErrCode::JSStreamRestoreErr,
        jsErrCode::JSStreamSequenceNotMatchErr,
        jsErrCode::JSStreamSnapshotErr,
        jsErrCode::JSStreamSubjectOverlapErr,
        jsErrCode::JSStreamTemplateCreateErr,
        jsErrCode::JSStreamTemplateDeleteErr,
        jsErrCode::JSStreamTemplateNotFoundErr,
        jsErrCode::JSStreamUpdateErr,
        jsErrCode::JSStreamWrongLastMsgIDErr,
        jsErrCode::JSStreamWrongLastSequenceErr,
        jsErrCode::JSTempStorageFailedErr,
        jsErrCode::JSTemplateNameNotMatchSubjectErr,
        jsErrCode::JSStreamReplicasNotSupportedErr,
        jsErrCode::JSPeerRemapErr,
        jsErrCode::JSNotEnabledErr,
        jsErrCode::JSStreamStoreFailedErr,
        jsErrCode::JSConsumerConfigRequiredErr,
        jsErrCode::JSConsumerDeliverToWildcardsErr,
        jsErrCode::JSConsumerPushMaxWaitingErr,
        jsErrCode::JSConsumerDeliverCycleErr,
        jsErrCode::JSConsumerMaxPendingAckPolicyRequiredErr,
        jsErrCode::JSConsumerSmallHeartbeatErr,
        jsErrCode::JSConsumerPullRequiresAckErr,
        jsErrCode::JSConsumerPullNotDurableErr,
        jsErrCode::JSConsumerPullWithRateLimitErr,
        jsErrCode::JSConsumerMaxWaitingNegativeErr,
        jsErrCode::JSConsumerHBRequiresPushErr,
        jsErrCode::JSConsumerFCRequiresPushErr,
        jsErrCode::JSConsumerDirectRequiresPushErr,
        jsErrCode::JSConsumerDirectRequiresEphemeralErr,
        jsErrCode::JSConsumerOnMappedErr,
        jsErrCode::JSConsumerFilterNotSubsetErr,
        jsErrCode::JSConsumerInvalidPolicyErr,
        jsErrCode::JSConsumerInvalidSamplingErr,
        jsErrCode::JSStreamInvalidErr,
        jsErrCode::JSConsumerWQRequiresExplicitAckErr,
        jsErrCode::JSConsumerWQMultipleUnfilteredErr,
        jsErrCode::JSConsumerWQConsumerNotUniqueErr,
        jsErrCode::JSConsumerWQConsumerNotDeliverAllErr,
        jsErrCode::JSConsumerNameTooLongErr,
        jsErrCode::JSConsumerBadDurableNameErr,
        jsErrCode::JSConsumerStoreFailedErr,
        jsErrCode::JSConsumerExistingActiveErr,
        jsErrCode::JSConsumerReplacementWithDifferentNameErr,
        jsErrCode::JSConsumerDescriptionTooLongErr,
        jsErrCode::JSConsumerWithFlowControlNeedsHeartbeatsErr,
        jsErrCode::JSStreamSealedErr,
        jsErrCode::JSStreamPurgeFailedErr,
        jsErrCode::JSStreamRollupFailedErr,
        jsErrCode::JSConsumerInvalidDeliverSubjectErr,
        jsErrCode::JSStreamMaxBytesRequiredErr,
        jsErrCode::JSConsumerMaxRequestBatchNegativeErr,
        jsErrCode::JSConsumerMaxRequestExpiresToSmallErr,
        jsErrCode::JSConsumerMaxDeliverBackoffErr,
        jsErrCode::JSStreamInfoMaxSubjectsErr,
        jsErrCode::JSStreamOfflineErr,
        jsErrCode::JSConsumerOfflineErr,
        jsErrCode::JSNoLimitsErr,
        jsErrCode::JSConsumerMaxPendingAckExcessErr,
        jsErrCode::JSStreamMaxStreamBytesExceededErr,
        jsErrCode::JSStreamMoveAndScaleErr,
        jsErrCode::JSStreamMoveInProgressErr,
        jsErrCode::JSConsumerMaxRequestBatchExceededErr,
        jsErrCode::JSConsumerReplicasExceedsStreamErr,
    ];

    /// The code with this number, `None` for a number this library does not know.
    pub fn from_code(code: i64) -> Option<jsErrCode> {
        Self::ALL.iter().copied().find(|c| *c as i64 == code)
    }
}

use natsStatus::*;

impl natsStatus {
    /// Every status, in numeric order.
    pub const ALL: [natsStatus; 37] = [
        NATS_OK, NATS_ERR, NATS_PROTOCOL_ERROR, NATS_IO_ERROR, NATS_LINE_TOO_LONG,
        NATS_CONNECTION_CLOSED, NATS_NO_SERVER, NATS_STALE_CONNECTION,
        NATS_SECURE_CONNECTION_WANTED, NATS_SECURE_CONNECTION_REQUIRED,
        NATS_CONNECTION_DISCONNECTED, NATS_CONNECTION_AUTH_FAILED, NATS_NOT_PERMITTED,
        NATS_NOT_FOUND, NATS_ADDRESS_MISSING, NATS_INVALID_SUBJECT, NATS_INVALID_ARG,
        NATS_INVALID_SUBSCRIPTION, NATS_INVALID_TIMEOUT, NATS_ILLEGAL_STATE, NATS_SLOW_CONSUMER,
        NATS_MAX_PAYLOAD, NATS_MAX_DELIVERED_MSGS, NATS_INSUFFICIENT_BUFFER, NATS_NO_MEMORY,
        NATS_SYS_ERROR, NATS_TIMEOUT, NATS_FAILED_TO_INITIALIZE, NATS_NOT_INITIALIZED,
        NATS_SSL_ERROR, NATS_NO_SERVER_SUPPORT, NATS_NOT_YET_CONNECTED, NATS_DRAINING,
        NATS_INVALID_QUEUE_NAME, NATS_NO_RESPONDERS, NATS_MISMATCH, NATS_MISSED_HEARTBEAT,
    ];

    /// Converts a raw integer coming from C; `None` for a value outside the enum.
    pub fn from_raw(v: i64) -> Option<natsStatus> {
        usize::try_from(v).ok().and_then(|i| Self::ALL.get(i).copied())
    }

    /// A short, static, NUL-terminated description (what `natsStatus_GetText` returns).
    pub fn text(self) -> &'static str {
        match self {
            NATS_OK => "OK\0",
            NATS_ERR => "Error\0",
            NATS_PROTOCOL_ERROR => "Protocol Error\0",
            NATS_IO_ERROR => "IO Error\0",
            NATS_LINE_TOO_LONG => "Line too long\0",
            NATS_CONNECTION_CLOSED => "Connection Closed\0",
            NATS_NO_SERVER => "No server available for connection\0",
            NATS_STALE_CONNECTION => "Stale Connection\0",
            NATS_SECURE_CONNECTION_WANTED => "Secure Connection not Available\0",
            NATS_SECURE_CONNECTION_REQUIRED => "Secure Connection Required\0",
            NATS_CONNECTION_DISCONNECTED => "Connection Disconnected\0",
            NATS_CONNECTION_AUTH_FAILED => "Authentication Violation\0",
            NATS_NOT_PERMITTED => "Not Permitted\0",
            NATS_NOT_FOUND => "Not Found\0",
            NATS_ADDRESS_MISSING => "Address Missing\0",
            NATS_INVALID_SUBJECT => "Invalid Subject\0",
            NATS_INVALID_ARG => "Invalid Argument\0",
            NATS_INVALID_SUBSCRIPTION => "Invalid Subscription\0",
            NATS_INVALID_TIMEOUT => "Invalid Timeout\0",
            NATS_ILLEGAL_STATE => "Illegal State\0",
            NATS_SLOW_CONSUMER => "Slow Consumer, Messages Dropped\0",
            NATS_MAX_PAYLOAD => "Maximum Payload Exceeded\0",
            NATS_MAX_DELIVERED_MSGS => "Maximum Messages Delivered\0",
            NATS_INSUFFICIENT_BUFFER => "Insufficient Buffer\0",
            NATS_NO_MEMORY => "No Memory\0",
            NATS_SYS_ERROR => "System Error\0",
            NATS_TIMEOUT => "Timeout\0",
            NATS_FAILED_TO_INITIALIZE => "Initialization Failed\0",
            NATS_NOT_INITIALIZED => "Not Initialized\0",
            NATS_SSL_ERROR => "SSL Error\0",
            NATS_NO_SERVER_SUPPORT => "Not Supported By Server\0",
            NATS_NOT_YET_CONNECTED => "Not Yet Connected\0",
            NATS_DRAINING => "Draining in Progress\0",
            NATS_INVALID_QUEUE_NAME => "Invalid Queue Name\0",
            NATS_NO_RESPONDERS => "No Responders Available For Request\0",
            NATS_MISMATCH => "Mismatch\0",
            NATS_MISSED_HEARTBEAT => "Missed Server Heartbeat\0",
        }
    }
}

/// An error of the safe core: a status plus the text `nats_GetLastError` will show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub status: natsStatus,
    pub text: String,
}

impl Error {
    pub fn new(status: natsStatus, text: impl Into<String>) -> Error {
        Error { status, text: text.into() }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.text)
    }
}

impl std::error::Error for Error {}

/// Result type of the safe core.
pub type Result<T> = std::result::Result<T, Error>;

/// Shorthand: `err(NATS_INVALID_ARG, "...")`.
pub fn err<T>(status: natsStatus, text: impl Into<String>) -> Result<T> {
    Err(Error::new(status, text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_match_nats_c() {
        assert_eq!(NATS_OK as i32, 0);
        assert_eq!(NATS_CONNECTION_CLOSED as i32, 5);
        assert_eq!(NATS_INVALID_ARG as i32, 16);
        assert_eq!(NATS_TIMEOUT as i32, 26);
        assert_eq!(NATS_MISSED_HEARTBEAT as i32, 36);
        for (i, s) in natsStatus::ALL.iter().enumerate() {
            assert_eq!(*s as usize, i);
            assert!(s.text().ends_with('\0'));
        }
        assert_eq!(natsStatus::from_raw(37), None);
        assert_eq!(natsStatus::from_raw(-1), None);
    }
}
