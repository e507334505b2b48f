//! The `*_Init` functions: they set an option or configuration struct (usually on the
//! caller's stack) to nats.c's defaults. The memory may hold garbage before, so it is
//! written whole, never read.

use super::enums::{jsDiscardPolicy, jsRetentionPolicy, jsStorageType};
use super::types_consumer::{jsConsumerConfig, jsSubOptions};
use super::types_context::{jsDirectGetMsgOptions, jsFetchRequest, jsOptions};
use super::types_kv::{kvConfig, kvPurgeOptions, kvWatchOptions};
use super::types_stream::{
    jsExternalStream, jsPlacement, jsPubOptions, jsRePublish, jsStreamConfig, jsStreamSource,
};
use crate::ffi::boundary::{guard, invalid_arg, put};
use crate::status::natsStatus;

/// Writes `value` to `p`, or fails with `NATS_INVALID_ARG` when `p` is NULL.
fn init<T>(func: &'static str, p: *mut T, what: &str, value: impl FnOnce() -> T) -> natsStatus {
    guard(func, || {
        if p.is_null() {
            return Err(invalid_arg(format!("{what} must not be NULL")));
        }
        put(p, value());
        Ok(())
    })
}

/// Initializes JetStream context options: everything zero or NULL, which selects the
/// defaults (prefix "$JS.API", wait 5 seconds, stall wait 200 ms). NULL gives
/// `NATS_INVALID_ARG`.
#[unsafe(no_mangle)]
pub extern "C" fn jsOptions_Init(opts: *mut jsOptions) -> natsStatus {
    init("jsOptions_Init", opts, "options", jsOptions::default)
}

/// Initializes a stream configuration: retention by limits, no limit on consumers, messages,
/// bytes and message size (-1), file storage, discard old, one replica; everything else zero
/// or NULL. NULL gives `NATS_INVALID_ARG`.
#[unsafe(no_mangle)]
pub extern "C" fn jsStreamConfig_Init(cfg: *mut jsStreamConfig) -> natsStatus {
    init("jsStreamConfig_Init", cfg, "configuration", || jsStreamConfig {
        Retention: jsRetentionPolicy::js_LimitsPolicy.into(),
        MaxConsumers: -1,
        MaxMsgs: -1,
        MaxBytes: -1,
        MaxMsgSize: -1,
        Storage: jsStorageType::js_FileStorage.into(),
        Discard: jsDiscardPolicy::js_DiscardOld.into(),
        Replicas: 1,
        ..Default::default()
    })
}

/// Initializes a stream placement: no cluster, no tags. NULL gives `NATS_INVALID_ARG`.
#[unsafe(no_mangle)]
pub extern "C" fn jsPlacement_Init(placement: *mut jsPlacement) -> natsStatus {
    init("jsPlacement_Init", placement, "placement", jsPlacement::default)
}

/// Initializes a stream source: everything zero or NULL. NULL gives `NATS_INVALID_ARG`.
#[unsafe(no_mangle)]
pub extern "C" fn jsStreamSource_Init(source: *mut jsStreamSource) -> natsStatus {
    init("jsStreamSource_Init", source, "source", jsStreamSource::default)
}

/// Initializes an external stream reference: both prefixes NULL. NULL gives
/// `NATS_INVALID_ARG`.
#[unsafe(no_mangle)]
pub extern "C" fn jsExternalStream_Init(external: *mut jsExternalStream) -> natsStatus {
    init("jsExternalStream_Init", external, "external stream", jsExternalStream::default)
}

/// Initializes a republish configuration: no source, no destination, headers and payload.
/// NULL gives `NATS_INVALID_ARG`.
#[unsafe(no_mangle)]
pub extern "C" fn jsRePublish_Init(rp: *mut jsRePublish) -> natsStatus {
    init("jsRePublish_Init", rp, "republish configuration", jsRePublish::default)
}

/// Initializes direct get options: sequence 0, no subjects. NULL gives `NATS_INVALID_ARG`.
#[unsafe(no_mangle)]
pub extern "C" fn jsDirectGetMsgOptions_Init(opts: *mut jsDirectGetMsgOptions) -> natsStatus {
    init("jsDirectGetMsgOptions_Init", opts, "options", jsDirectGetMsgOptions::default)
}

/// Initializes a consumer configuration: everything zero or NULL, that is deliver all,
/// explicit acknowledgements, instant replay and the server's defaults for the rest.
/// NULL gives `NATS_INVALID_ARG`.
#[unsafe(no_mangle)]
pub extern "C" fn jsConsumerConfig_Init(cc: *mut jsConsumerConfig) -> natsStatus {
    init("jsConsumerConfig_Init", cc, "configuration", jsConsumerConfig::default)
}

/// Initializes publish options: everything zero or NULL (wait as the context, no
/// expectations). NULL gives `NATS_INVALID_ARG`.
#[unsafe(no_mangle)]
pub extern "C" fn jsPubOptions_Init(opts: *mut jsPubOptions) -> natsStatus {
    init("jsPubOptions_Init", opts, "options", jsPubOptions::default)
}

/// Initializes subscribe options: everything zero or NULL, the consumer configuration as
/// `jsConsumerConfig_Init` leaves it. NULL gives `NATS_INVALID_ARG`.
#[unsafe(no_mangle)]
pub extern "C" fn jsSubOptions_Init(opts: *mut jsSubOptions) -> natsStatus {
    init("jsSubOptions_Init", opts, "options", jsSubOptions::default)
}

/// Initializes fetch request options: everything zero. NULL gives `NATS_INVALID_ARG`.
#[unsafe(no_mangle)]
pub extern "C" fn jsFetchRequest_Init(request: *mut jsFetchRequest) -> natsStatus {
    init("jsFetchRequest_Init", request, "request", jsFetchRequest::default)
}

/// Initializes a Key/Value bucket configuration: everything zero or NULL (file storage,
/// history 1, no limits). NULL gives `NATS_INVALID_ARG`.
#[unsafe(no_mangle)]
pub extern "C" fn kvConfig_Init(cfg: *mut kvConfig) -> natsStatus {
    init("kvConfig_Init", cfg, "configuration", kvConfig::default)
}

/// Initializes watcher options: everything false or zero. NULL gives `NATS_INVALID_ARG`.
#[unsafe(no_mangle)]
pub extern "C" fn kvWatchOptions_Init(opts: *mut kvWatchOptions) -> natsStatus {
    init("kvWatchOptions_Init", opts, "options", kvWatchOptions::default)
}

/// Initializes purge options: everything zero (default timeout, markers older than 30
/// minutes). NULL gives `NATS_INVALID_ARG`.
#[unsafe(no_mangle)]
pub extern "C" fn kvPurgeOptions_Init(opts: *mut kvPurgeOptions) -> natsStatus {
    init("kvPurgeOptions_Init", opts, "options", kvPurgeOptions::default)
}
