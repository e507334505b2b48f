//! The `*_Init` functions: they set an option or configuration struct (usually on the
//! caller's stack) to nats.c's defaults. The memory may hold garbage before, so it is
//! written whole, never read.

use super::enums::{
    jsAckPolicyRaw, jsDeliverPolicyRaw, jsDiscardPolicy, jsReplayPolicyRaw, jsRetentionPolicy, jsStorageType,
};
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

/// A consumer configuration with nothing set: the three policies are -1 ("not set", so
/// the server's defaults apply: deliver all, explicit acknowledgements, instant replay),
/// everything else zero or NULL.
fn unset_consumer_config() -> jsConsumerConfig {
    jsConsumerConfig {
        DeliverPolicy: jsDeliverPolicyRaw::UNSET,
        AckPolicy: jsAckPolicyRaw::UNSET,
        ReplayPolicy: jsReplayPolicyRaw::UNSET,
        ..Default::default()
    }
}

/// Initializes a consumer configuration: `DeliverPolicy`, `AckPolicy` and `ReplayPolicy`
/// are -1, meaning "not set" (the server's defaults apply: deliver all, explicit
/// acknowledgements, instant replay); everything else is zero or NULL, also leaving the
/// choice to the server. NULL gives `NATS_INVALID_ARG`.
#[unsafe(no_mangle)]
pub extern "C" fn jsConsumerConfig_Init(cc: *mut jsConsumerConfig) -> natsStatus {
    init("jsConsumerConfig_Init", cc, "configuration", unset_consumer_config)
}

/// Initializes publish options: everything zero or NULL (wait as the context, no
/// expectations). NULL gives `NATS_INVALID_ARG`.
#[unsafe(no_mangle)]
pub extern "C" fn jsPubOptions_Init(opts: *mut jsPubOptions) -> natsStatus {
    init("jsPubOptions_Init", opts, "options", jsPubOptions::default)
}

/// Initializes subscribe options: everything zero or NULL, the consumer configuration as
/// `jsConsumerConfig_Init` leaves it (policies -1, "not set"). NULL gives `NATS_INVALID_ARG`.
#[unsafe(no_mangle)]
pub extern "C" fn jsSubOptions_Init(opts: *mut jsSubOptions) -> natsStatus {
    init("jsSubOptions_Init", opts, "options", || jsSubOptions { Config: unset_consumer_config(), ..Default::default() })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffi::boundary::with_last_error;
    use std::mem::MaybeUninit;

    /// Runs an Init function on garbage memory and returns the result.
    fn init_garbage<T>(f: extern "C" fn(*mut T) -> natsStatus) -> T {
        let mut v = MaybeUninit::<T>::uninit();
        // SAFETY: filling the bytes (including bools) with 1s is what C stack garbage may hold.
        unsafe { std::ptr::write_bytes(v.as_mut_ptr() as *mut u8, 0x01, std::mem::size_of::<T>()) };
        assert_eq!(f(v.as_mut_ptr()), natsStatus::NATS_OK);
        // SAFETY: the Init function wrote a whole valid value.
        unsafe { v.assume_init() }
    }

    #[test]
    fn stream_config_defaults_are_nats_c_ones() {
        let c = init_garbage(jsStreamConfig_Init);
        assert_eq!(c.Retention.get().unwrap(), jsRetentionPolicy::js_LimitsPolicy);
        assert_eq!(c.Storage.get().unwrap(), jsStorageType::js_FileStorage);
        assert_eq!(c.Discard.get().unwrap(), jsDiscardPolicy::js_DiscardOld);
        assert_eq!((c.MaxConsumers, c.MaxMsgs, c.MaxBytes, c.MaxMsgSize, c.Replicas), (-1, -1, -1, -1, 1));
        assert_eq!((c.MaxAge, c.MaxMsgsPerSubject, c.Duplicates, c.SubjectsLen), (0, 0, 0, 0));
        assert!(c.Name.is_null() && c.Subjects.is_null() && c.Mirror.is_null() && c.RePublish.is_null());
        assert!(!c.NoAck && !c.Sealed && !c.AllowDirect && !c.DiscardNewPerSubject);
    }

    #[test]
    fn other_inits_zero_everything() {
        let cc = init_garbage(jsConsumerConfig_Init);
        assert_eq!((cc.DeliverPolicy.0, cc.AckPolicy.0, cc.ReplayPolicy.0), (-1, -1, -1));
        assert_eq!(cc.DeliverPolicy.get_opt().unwrap(), None);
        assert!(cc.Durable.is_null() && cc.BackOff.is_null() && cc.AckWait == 0 && !cc.FlowControl);
        let so = init_garbage(jsSubOptions_Init);
        assert!(so.Stream.is_null() && !so.ManualAck && !so.Ordered && so.Config.MaxDeliver == 0);
        assert_eq!((so.Config.DeliverPolicy.0, so.Config.AckPolicy.0, so.Config.ReplayPolicy.0), (-1, -1, -1));
        let o = init_garbage(jsOptions_Init);
        assert!(o.Prefix.is_null() && o.Wait == 0 && o.PublishAsync.AckHandler.is_none());
        assert!(o.PublishAsync.ErrHandler.is_none() && !o.Stream.Info.DeletedDetails && o.Stream.Purge.Keep == 0);
        let po = init_garbage(jsPubOptions_Init);
        assert!(po.MsgId.is_null() && po.MaxWait == 0 && !po.ExpectNoMessage);
        let kc = init_garbage(kvConfig_Init);
        assert!(kc.Bucket.is_null() && kc.History == 0 && kc.StorageType.0 == 0 && kc.RePublish.is_null());
        let w = init_garbage(kvWatchOptions_Init);
        assert!(!w.IgnoreDeletes && !w.IncludeHistory && !w.MetaOnly && w.Timeout == 0);
        let p = init_garbage(kvPurgeOptions_Init);
        assert_eq!((p.Timeout, p.DeleteMarkersOlderThan), (0, 0));
        let f = init_garbage(jsFetchRequest_Init);
        assert_eq!((f.Expires, f.Batch, f.MaxBytes, f.NoWait, f.Heartbeat), (0, 0, 0, false, 0));
        let d = init_garbage(jsDirectGetMsgOptions_Init);
        assert!(d.Sequence == 0 && d.NextBySubject.is_null() && d.LastBySubject.is_null());
        let pl = init_garbage(jsPlacement_Init);
        assert!(pl.Cluster.is_null() && pl.Tags.is_null() && pl.TagsLen == 0);
        let s = init_garbage(jsStreamSource_Init);
        assert!(s.Name.is_null() && s.External.is_null() && s.OptStartSeq == 0);
        let e = init_garbage(jsExternalStream_Init);
        assert!(e.APIPrefix.is_null() && e.DeliverPrefix.is_null());
        let r = init_garbage(jsRePublish_Init);
        assert!(r.Source.is_null() && r.Destination.is_null() && !r.HeadersOnly);
    }

    #[test]
    fn null_is_an_invalid_argument_with_a_text() {
        let statuses = [
            jsOptions_Init(std::ptr::null_mut()),
            jsPubOptions_Init(std::ptr::null_mut()),
            jsStreamConfig_Init(std::ptr::null_mut()),
            jsPlacement_Init(std::ptr::null_mut()),
            jsStreamSource_Init(std::ptr::null_mut()),
            jsExternalStream_Init(std::ptr::null_mut()),
            jsRePublish_Init(std::ptr::null_mut()),
            jsConsumerConfig_Init(std::ptr::null_mut()),
            jsSubOptions_Init(std::ptr::null_mut()),
            jsFetchRequest_Init(std::ptr::null_mut()),
            jsDirectGetMsgOptions_Init(std::ptr::null_mut()),
            kvConfig_Init(std::ptr::null_mut()),
            kvWatchOptions_Init(std::ptr::null_mut()),
        ];
        assert!(statuses.iter().all(|s| *s == natsStatus::NATS_INVALID_ARG), "{statuses:?}");
        assert_eq!(kvPurgeOptions_Init(std::ptr::null_mut()), natsStatus::NATS_INVALID_ARG);
        let (func, text) = with_last_error(|e| {
            let e = e.expect("an error is recorded");
            (e.func, e.text.to_str().unwrap().to_owned())
        });
        assert_eq!(func, "kvPurgeOptions_Init");
        assert!(text.contains("must not be NULL"), "{text}");
    }
}
