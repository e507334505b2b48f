//! The JetStream and Key/Value enums, with nats.c's enumerator names and values.
//!
//! C code may store any integer in an enum-typed struct field, and an out-of-range value in
//! a Rust enum is undefined behaviour. So the `#[repr(C)]` structs never hold these enums:
//! their fields are `#[repr(transparent)]` integer wrappers (`jsStorageTypeRaw`, ...) that
//! cbindgen writes with the enum's name (see `[export.rename]` in cbindgen.toml), and that are
//! converted with a range check on read: `cfg.Storage.get()?` gives a `jsStorageType` or a
//! `NATS_INVALID_ARG` error naming the bad value. Writing is `jsStorageType::js_MemoryStorage.into()`.
//! The consumer policies may also hold -1, "not set" (what `jsConsumerConfig_Init` stores):
//! read those with `get_opt()`, which gives `None` for it.

use std::ffi::c_int;

use crate::ffi::boundary::invalid_arg;
use crate::status::{jsErrCode, natsStatus, Result};

/// How long a stream keeps its messages.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum jsRetentionPolicy {
    /// Until a limit (message count, bytes, age) is reached. The default.
    js_LimitsPolicy = 0,
    /// Until every consumer interested in the message has acknowledged it.
    js_InterestPolicy,
    /// Until one consumer acknowledges it (work queue).
    js_WorkQueuePolicy,
}

/// What a stream does when a limit is reached.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum jsDiscardPolicy {
    /// Remove the oldest messages. The default.
    js_DiscardOld = 0,
    /// Refuse new messages.
    js_DiscardNew,
}

/// Where a stream stores its messages.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum jsStorageType {
    /// On disk. The default.
    js_FileStorage = 0,
    /// In memory only.
    js_MemoryStorage,
}

/// Which message a consumer delivers first.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum jsDeliverPolicy {
    /// The first message of the stream. The default.
    js_DeliverAll = 0,
    /// The last message of the stream.
    js_DeliverLast,
    /// Only messages stored after the consumer was created.
    js_DeliverNew,
    /// The message at `OptStartSeq`, then the following ones.
    js_DeliverByStartSequence,
    /// The first message at or after `OptStartTime` (nanoseconds since the epoch, UTC).
    js_DeliverByStartTime,
    /// The last message of every subject, then new ones.
    js_DeliverLastPerSubject,
}

/// How a consumer expects its messages to be acknowledged.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum jsAckPolicy {
    /// Every message must be acknowledged (or negatively acknowledged).
    js_AckExplicit = 0,
    /// No acknowledgement is expected.
    js_AckNone,
    /// Acknowledging a message acknowledges every earlier one too.
    js_AckAll,
}

/// The pace at which a consumer replays stored messages.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum jsReplayPolicy {
    /// As fast as possible.
    js_ReplayInstant = 0,
    /// With the time gaps the messages were stored with.
    js_ReplayOriginal,
}

/// What a Key/Value entry records.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum kvOperation {
    /// Not known (not a Key/Value entry).
    kvOp_Unknown = 0,
    /// A value was put.
    kvOp_Put,
    /// The key was deleted (a delete marker).
    kvOp_Delete,
    /// The key was purged (a purge marker; older values are gone).
    kvOp_Purge,
}

/// Range-checked conversion of a raw C integer into one of the enums above.
pub trait CEnum: Sized + Copy + 'static {
    /// The enum's C name, for error texts.
    const NAME: &'static str;
    /// Every value, in numeric order.
    const ALL: &'static [Self];
    /// The C integer of this value.
    fn to_c(self) -> c_int;
    /// The value for a C integer, `None` when out of range.
    fn from_c(v: c_int) -> Option<Self> {
        Self::ALL.iter().copied().find(|e| e.to_c() == v)
    }
}

/// The integer wrapper stored in C structs for an enum: `$raw` holds a `$enum`'s C value.
macro_rules! raw_enum {
    ($raw:ident, $enum:ident, [$($v:ident),+ $(,)?]) => {
        impl CEnum for $enum {
            const NAME: &'static str = stringify!($enum);
            const ALL: &'static [Self] = &[$($enum::$v),+];
            fn to_c(self) -> c_int {
                self as c_int
            }
        }

        #[doc = concat!("A `", stringify!($enum), "` as C stores it: any integer, checked when read.")]
        #[repr(transparent)]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
        pub struct $raw(pub c_int);

        impl $raw {
            /// The enum value, or `NATS_INVALID_ARG` for an integer outside the enum.
            pub fn get(self) -> Result<$enum> {
                <$enum as CEnum>::from_c(self.0).ok_or_else(|| {
                    invalid_arg(format!("{} is not a valid {}", self.0, <$enum as CEnum>::NAME))
                })
            }
        }

        impl $raw {
            /// The value `jsConsumerConfig_Init` stores for "not set" (-1), as nats.c does.
            pub const UNSET: $raw = $raw(-1);

            /// `None` for [`Self::UNSET`] (the server's default applies), else as [`Self::get`].
            pub fn get_opt(self) -> Result<Option<$enum>> {
                if self == Self::UNSET {
                    Ok(None)
                } else {
                    self.get().map(Some)
                }
            }
        }

        impl From<$enum> for $raw {
            fn from(e: $enum) -> $raw {
                $raw(e as c_int)
            }
        }
    };
}

raw_enum!(jsRetentionPolicyRaw, jsRetentionPolicy, [js_LimitsPolicy, js_InterestPolicy, js_WorkQueuePolicy]);
raw_enum!(jsDiscardPolicyRaw, jsDiscardPolicy, [js_DiscardOld, js_DiscardNew]);
raw_enum!(jsStorageTypeRaw, jsStorageType, [js_FileStorage, js_MemoryStorage]);
raw_enum!(
    jsDeliverPolicyRaw,
    jsDeliverPolicy,
    [
        js_DeliverAll,
        js_DeliverLast,
        js_DeliverNew,
        js_DeliverByStartSequence,
        js_DeliverByStartTime,
        js_DeliverLastPerSubject,
    ]
);
raw_enum!(jsAckPolicyRaw, jsAckPolicy, [js_AckExplicit, js_AckNone, js_AckAll]);
raw_enum!(jsReplayPolicyRaw, jsReplayPolicy, [js_ReplayInstant, js_ReplayOriginal]);
raw_enum!(kvOperationRaw, kvOperation, [kvOp_Unknown, kvOp_Put, kvOp_Delete, kvOp_Purge]);

/// A `jsErrCode` as C stores it. The server may send codes this library does not list, so
/// the number is kept as is: [`jsErrCodeRaw::known`] gives the enum when there is one.
#[repr(transparent)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct jsErrCodeRaw(pub c_int);

impl jsErrCodeRaw {
    /// The code as the enum, `None` when this library does not know the number.
    pub fn known(self) -> Option<jsErrCode> {
        jsErrCode::from_code(self.0 as i64)
    }
}

impl From<jsErrCode> for jsErrCodeRaw {
    fn from(e: jsErrCode) -> jsErrCodeRaw {
        jsErrCodeRaw(e as c_int)
    }
}

// A status in a struct field (jsPubAckErr.Err) is a `natsStatusArg`, the integer wrapper
// the core API already uses for statuses coming from C.
impl From<natsStatus> for crate::ffi::library::natsStatusArg {
    fn from(s: natsStatus) -> crate::ffi::library::natsStatusArg {
        crate::ffi::library::natsStatusArg(s as c_int)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_values_are_checked_on_read() {
        assert_eq!(jsStorageTypeRaw(1).get().unwrap(), jsStorageType::js_MemoryStorage);
        let e = jsStorageTypeRaw(7).get().unwrap_err();
        assert_eq!(e.status, natsStatus::NATS_INVALID_ARG);
        assert!(e.text.contains("jsStorageType"), "{}", e.text);
        assert!(jsDeliverPolicyRaw(-1).get().is_err());
        assert_eq!(jsDeliverPolicyRaw(5).get().unwrap(), jsDeliverPolicy::js_DeliverLastPerSubject);
        assert_eq!(jsAckPolicyRaw::UNSET.get_opt().unwrap(), None);
        assert_eq!(jsAckPolicyRaw(2).get_opt().unwrap(), Some(jsAckPolicy::js_AckAll));
        assert!(jsAckPolicyRaw(-2).get_opt().is_err());
        assert_eq!(kvOperationRaw::from(kvOperation::kvOp_Purge), kvOperationRaw(3));
        assert_eq!(jsErrCodeRaw(10059).known(), Some(jsErrCode::JSStreamNotFoundErr));
        assert_eq!(jsErrCodeRaw(10097).known(), None);
    }
}
