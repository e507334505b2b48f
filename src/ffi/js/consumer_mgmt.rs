//! The consumer management functions: js_AddConsumer, js_UpdateConsumer,
//! js_GetConsumerInfo, js_DeleteConsumer, js_Consumers, js_ConsumerNames.

use std::ffi::c_char;

use super::context::{call_ctx, guard_js};
use super::convert::{c_ref, c_slice, c_str_opt, c_str_set};
use super::enums::*;
use super::handles::jsCtx;
use super::owned::Builder;
use super::stream::cluster_out;
use super::types_consumer::*;
use super::types_context::jsOptions;
use crate::ffi::boundary::{invalid_arg, put};
use crate::js::consumer::{self as core, ConsumerConfig, ConsumerInfo, SequenceInfo};
use crate::js::stream::check_stream_name;
use crate::js::JsResult;
use crate::status::{natsStatus, Result};

// ---------------------------------------------------------------------------------------
// C -> core. nats.c takes a negative policy (jsConsumerConfig_Init's -1) as the default.

pub(crate) fn deliver_of(p: jsDeliverPolicy) -> core::DeliverPolicy {
    match p {
        jsDeliverPolicy::js_DeliverAll => core::DeliverPolicy::All,
        jsDeliverPolicy::js_DeliverLast => core::DeliverPolicy::Last,
        jsDeliverPolicy::js_DeliverNew => core::DeliverPolicy::New,
        jsDeliverPolicy::js_DeliverByStartSequence => core::DeliverPolicy::ByStartSequence,
        jsDeliverPolicy::js_DeliverByStartTime => core::DeliverPolicy::ByStartTime,
        jsDeliverPolicy::js_DeliverLastPerSubject => core::DeliverPolicy::LastPerSubject,
    }
}

pub(crate) fn ack_of(p: jsAckPolicy) -> core::AckPolicy {
    match p {
        jsAckPolicy::js_AckExplicit => core::AckPolicy::Explicit,
        jsAckPolicy::js_AckNone => core::AckPolicy::None,
        jsAckPolicy::js_AckAll => core::AckPolicy::All,
    }
}

pub(crate) fn replay_of(p: jsReplayPolicy) -> core::ReplayPolicy {
    match p {
        jsReplayPolicy::js_ReplayInstant => core::ReplayPolicy::Instant,
        jsReplayPolicy::js_ReplayOriginal => core::ReplayPolicy::Original,
    }
}

fn deliver_in(p: jsDeliverPolicyRaw) -> Result<core::DeliverPolicy> {
    Ok(if p.0 < 0 { core::DeliverPolicy::All } else { deliver_of(p.get()?) })
}

fn ack_in(p: jsAckPolicyRaw) -> Result<core::AckPolicy> {
    Ok(if p.0 < 0 { core::AckPolicy::Explicit } else { ack_of(p.get()?) })
}

fn replay_in(p: jsReplayPolicyRaw) -> Result<core::ReplayPolicy> {
    Ok(if p.0 < 0 { core::ReplayPolicy::Instant } else { replay_of(p.get()?) })
}

fn s(p: *const c_char, what: &str) -> Result<String> {
    Ok(c_str_set(p, what)?.unwrap_or_default())
}

/// A copy of the caller's consumer configuration (also used by the subscribe functions).
pub(crate) fn consumer_config_in(c: &jsConsumerConfig) -> Result<ConsumerConfig> {
    Ok(ConsumerConfig {
        deliver_policy: deliver_in(c.DeliverPolicy)?,
        name: s(c.Name, "jsConsumerConfig.Name")?,
        description: s(c.Description, "jsConsumerConfig.Description")?,
        durable: s(c.Durable, "jsConsumerConfig.Durable")?,
        deliver_subject: s(c.DeliverSubject, "jsConsumerConfig.DeliverSubject")?,
        deliver_group: s(c.DeliverGroup, "jsConsumerConfig.DeliverGroup")?,
        opt_start_seq: c.OptStartSeq,
        opt_start_time: c.OptStartTime,
        ack_policy: ack_in(c.AckPolicy)?,
        ack_wait: c.AckWait,
        max_deliver: c.MaxDeliver,
        filter_subject: s(c.FilterSubject, "jsConsumerConfig.FilterSubject")?,
        replay_policy: replay_in(c.ReplayPolicy)?,
        rate_limit: c.RateLimit,
        sample_frequency: s(c.SampleFrequency, "jsConsumerConfig.SampleFrequency")?,
        max_waiting: c.MaxWaiting,
        max_ack_pending: c.MaxAckPending,
        flow_control: c.FlowControl,
        heartbeat: c.Heartbeat,
        headers_only: c.HeadersOnly,
        max_request_batch: c.MaxRequestBatch,
        max_request_expires: c.MaxRequestExpires,
        max_request_max_bytes: c.MaxRequestMaxBytes,
        inactive_threshold: c.InactiveThreshold,
        backoff: c_slice(c.BackOff.cast_const(), c.BackOffLen, "jsConsumerConfig.BackOff")?.to_vec(),
        replicas: c.Replicas,
        memory_storage: c.MemoryStorage,
    })
}

// ---------------------------------------------------------------------------------------
// core -> C

fn consumer_config_out(b: &Builder, c: &ConsumerConfig) -> jsConsumerConfig {
    let (backoff, backoff_len) = b.slice(c.backoff.clone());
    let st = |v: &str| b.str_or_null(v).cast_const();
    jsConsumerConfig {
        Name: st(&c.name),
        Durable: st(&c.durable),
        Description: st(&c.description),
        DeliverPolicy: match c.deliver_policy {
            core::DeliverPolicy::All => jsDeliverPolicy::js_DeliverAll,
            core::DeliverPolicy::Last => jsDeliverPolicy::js_DeliverLast,
            core::DeliverPolicy::New => jsDeliverPolicy::js_DeliverNew,
            core::DeliverPolicy::ByStartSequence => jsDeliverPolicy::js_DeliverByStartSequence,
            core::DeliverPolicy::ByStartTime => jsDeliverPolicy::js_DeliverByStartTime,
            core::DeliverPolicy::LastPerSubject => jsDeliverPolicy::js_DeliverLastPerSubject,
        }
        .into(),
        OptStartSeq: c.opt_start_seq,
        OptStartTime: c.opt_start_time,
        AckPolicy: match c.ack_policy {
            core::AckPolicy::Explicit => jsAckPolicy::js_AckExplicit,
            core::AckPolicy::None => jsAckPolicy::js_AckNone,
            core::AckPolicy::All => jsAckPolicy::js_AckAll,
        }
        .into(),
        AckWait: c.ack_wait,
        MaxDeliver: c.max_deliver,
        BackOff: backoff,
        BackOffLen: backoff_len,
        FilterSubject: st(&c.filter_subject),
        ReplayPolicy: match c.replay_policy {
            core::ReplayPolicy::Instant => jsReplayPolicy::js_ReplayInstant,
            core::ReplayPolicy::Original => jsReplayPolicy::js_ReplayOriginal,
        }
        .into(),
        RateLimit: c.rate_limit,
        SampleFrequency: st(&c.sample_frequency),
        MaxWaiting: c.max_waiting,
        MaxAckPending: c.max_ack_pending,
        FlowControl: c.flow_control,
        Heartbeat: c.heartbeat,
        HeadersOnly: c.headers_only,
        MaxRequestBatch: c.max_request_batch,
        MaxRequestExpires: c.max_request_expires,
        MaxRequestMaxBytes: c.max_request_max_bytes,
        DeliverSubject: st(&c.deliver_subject),
        DeliverGroup: st(&c.deliver_group),
        InactiveThreshold: c.inactive_threshold,
        Replicas: c.replicas,
        MemoryStorage: c.memory_storage,
    }
}

fn seq_out(s: &SequenceInfo) -> jsSequenceInfo {
    jsSequenceInfo { Consumer: s.consumer, Stream: s.stream, Last: s.last }
}

/// A consumer information object for C, freed by `jsConsumerInfo_Destroy` (also used by
/// the subscribe functions).
pub(crate) fn consumer_info_out(ci: &ConsumerInfo) -> *mut jsConsumerInfo {
    let b = Builder::new();
    let value = jsConsumerInfo {
        Stream: b.str(&ci.stream),
        Name: b.str(&ci.name),
        Created: ci.created,
        Config: b.boxed(consumer_config_out(&b, ci.config.as_ref().unwrap_or(&ConsumerConfig::default()))),
        Delivered: seq_out(&ci.delivered),
        AckFloor: seq_out(&ci.ack_floor),
        NumAckPending: ci.num_ack_pending,
        NumRedelivered: ci.num_redelivered,
        NumWaiting: ci.num_waiting,
        NumPending: ci.num_pending,
        Cluster: cluster_out(&b, &ci.cluster),
        PushBound: ci.push_bound,
    };
    b.finish(value)
}

fn stream_arg(stream: *const c_char) -> Result<String> {
    Ok(c_str_opt(stream, "stream name")?.unwrap_or_default())
}

fn consumer_arg(consumer: *const c_char) -> Result<String> {
    Ok(c_str_opt(consumer, "consumer name")?.unwrap_or_default())
}

// ---------------------------------------------------------------------------------------
// Functions

fn add_or_update(
    update: bool,
    ci: *mut *mut jsConsumerInfo,
    js: *mut jsCtx,
    stream: *const c_char,
    cfg: *mut jsConsumerConfig,
    opts: *mut jsOptions,
    err_code: *mut jsErrCodeRaw,
) -> natsStatus {
    let func = if update { "js_UpdateConsumer" } else { "js_AddConsumer" };
    guard_js(func, err_code, || {
        let c = c_ref(cfg.cast_const());
        if update && c.is_some_and(|c| c_str_set(c.Durable, "").ok().flatten().is_none()) {
            return Err(invalid_arg("durable name is required").into());
        }
        if js.is_null() {
            return Err(invalid_arg("the JetStream context must not be NULL").into());
        }
        let Some(c) = c else {
            return Err(invalid_arg("consumer configuration required").into());
        };
        let stream = stream_arg(stream)?;
        check_stream_name(&stream)?;
        let cfg = consumer_config_in(c)?;
        let ctx = call_ctx(js, opts)?;
        let info = if update { core::update_consumer(&ctx, &stream, &cfg)? } else { core::add_consumer(&ctx, &stream, &cfg)? };
        if !ci.is_null() {
            put(ci, consumer_info_out(&info));
        }
        Ok(())
    })
}

/// Creates a consumer on the stream from `cfg` (required). With `cfg->Name` the consumer
/// is created by name (and filter subject); with only `cfg->Durable`, as a durable;
/// otherwise the server names an ephemeral consumer. An existing consumer is updated
/// when the change is allowed. Names may not contain '.', ' ', '*' or '>'
/// (NATS_INVALID_ARG, before any request). `ci` may be NULL; otherwise it receives the
/// consumer's information, to free with `jsConsumerInfo_Destroy`. A refusal by the server
/// is NATS_ERR with `*errCode` set.
#[unsafe(no_mangle)]
pub extern "C" fn js_AddConsumer(
    ci: *mut *mut jsConsumerInfo,
    js: *mut jsCtx,
    stream: *const c_char,
    cfg: *mut jsConsumerConfig,
    opts: *mut jsOptions,
    errCode: *mut jsErrCodeRaw,
) -> natsStatus {
    add_or_update(false, ci, js, stream, cfg, opts, errCode)
}

/// Updates a durable consumer with `cfg`: `cfg->Durable` is required
/// (NATS_INVALID_ARG otherwise); as js_AddConsumer.
#[unsafe(no_mangle)]
pub extern "C" fn js_UpdateConsumer(
    ci: *mut *mut jsConsumerInfo,
    js: *mut jsCtx,
    stream: *const c_char,
    cfg: *mut jsConsumerConfig,
    opts: *mut jsOptions,
    errCode: *mut jsErrCodeRaw,
) -> natsStatus {
    add_or_update(true, ci, js, stream, cfg, opts, errCode)
}

/// Information about a consumer, to free with `jsConsumerInfo_Destroy`. A missing
/// consumer is NATS_NOT_FOUND (errCode JSConsumerNotFoundErr); a missing stream NATS_ERR
/// (errCode JSStreamNotFoundErr), as nats.c.
#[unsafe(no_mangle)]
pub extern "C" fn js_GetConsumerInfo(
    ci: *mut *mut jsConsumerInfo,
    js: *mut jsCtx,
    stream: *const c_char,
    consumer: *const c_char,
    opts: *mut jsOptions,
    errCode: *mut jsErrCodeRaw,
) -> natsStatus {
    guard_js("js_GetConsumerInfo", errCode, || {
        if js.is_null() || ci.is_null() {
            return Err(invalid_arg("the JetStream context and the info out-pointer must not be NULL").into());
        }
        let (stream, consumer) = (stream_arg(stream)?, consumer_arg(consumer)?);
        check_stream_name(&stream)?;
        core::check_consumer_name(&consumer, false)?;
        let info = core::consumer_info(&call_ctx(js, opts)?, &stream, &consumer)?;
        put(ci, consumer_info_out(&info));
        Ok(())
    })
}

/// Deletes a consumer. A missing stream or consumer is NATS_NOT_FOUND.
#[unsafe(no_mangle)]
pub extern "C" fn js_DeleteConsumer(
    js: *mut jsCtx,
    stream: *const c_char,
    consumer: *const c_char,
    opts: *mut jsOptions,
    errCode: *mut jsErrCodeRaw,
) -> natsStatus {
    guard_js("js_DeleteConsumer", errCode, || {
        if js.is_null() {
            return Err(invalid_arg("the JetStream context must not be NULL").into());
        }
        let (stream, consumer) = (stream_arg(stream)?, consumer_arg(consumer)?);
        check_stream_name(&stream)?;
        core::check_consumer_name(&consumer, false)?;
        core::delete_consumer(&call_ctx(js, opts)?, &stream, &consumer)
    })
}

fn list_call<T>(
    func: &'static str,
    out: *mut *mut T,
    js: *mut jsCtx,
    stream: *const c_char,
    opts: *mut jsOptions,
    err_code: *mut jsErrCodeRaw,
    body: impl FnOnce(&crate::js::Context, &str) -> JsResult<*mut T>,
) -> natsStatus {
    guard_js(func, err_code, || {
        if js.is_null() || out.is_null() {
            return Err(invalid_arg("the JetStream context and the list out-pointer must not be NULL").into());
        }
        let stream = stream_arg(stream)?;
        check_stream_name(&stream)?;
        put(out, body(&call_ctx(js, opts)?, &stream)?);
        Ok(())
    })
}

/// The information of every consumer of the stream (all pages), to free with
/// `jsConsumerInfoList_Destroy`. A missing stream, or none, is NATS_NOT_FOUND.
#[unsafe(no_mangle)]
pub extern "C" fn js_Consumers(
    list: *mut *mut jsConsumerInfoList,
    js: *mut jsCtx,
    stream: *const c_char,
    opts: *mut jsOptions,
    errCode: *mut jsErrCodeRaw,
) -> natsStatus {
    list_call("js_Consumers", list, js, stream, opts, errCode, |ctx, stream| {
        let infos = core::consumers(ctx, stream)?;
        let b = Builder::new();
        let (l, n) = b.array(infos.iter().map(consumer_info_out).collect());
        Ok(b.finish(jsConsumerInfoList { List: l, Count: n }))
    })
}

/// The names of every consumer of the stream (all pages), to free with
/// `jsConsumerNamesList_Destroy`. A missing stream, or none, is NATS_NOT_FOUND.
#[unsafe(no_mangle)]
pub extern "C" fn js_ConsumerNames(
    list: *mut *mut jsConsumerNamesList,
    js: *mut jsCtx,
    stream: *const c_char,
    opts: *mut jsOptions,
    errCode: *mut jsErrCodeRaw,
) -> natsStatus {
    list_call("js_ConsumerNames", list, js, stream, opts, errCode, |ctx, stream| {
        let names = core::consumer_names(ctx, stream)?;
        let b = Builder::new();
        let (l, n) = b.strs(&names);
        Ok(b.finish(jsConsumerNamesList { List: l, Count: n }))
    })
}
