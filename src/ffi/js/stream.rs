//! The stream functions: js_AddStream, js_UpdateStream, js_GetStreamInfo, js_PurgeStream,
//! js_DeleteStream, js_Streams, js_StreamNames, and the stored-message functions
//! js_GetMsg, js_GetLastMsg, js_DirectGetMsg, js_DeleteMsg, js_EraseMsg.
//!
//! Configurations are copied out of the caller's structs into the safe core's types;
//! replies come back as objects built with [`Builder`], freed whole by their `*_Destroy`.

use std::ffi::c_char;

use super::context::{call_ctx, guard_js};
use super::convert::{c_ref, c_ref_array, c_str_array, c_str_opt, c_str_set};
use super::enums::*;
use super::handles::jsCtx;
use super::owned::Builder;
use super::types_context::{jsDirectGetMsgOptions, jsOptions};
use super::types_stream::*;
use crate::ffi::boundary::{guard, invalid_arg, put};
use crate::ffi::msg::{into_handle, natsMsg};
use crate::js::stream::{self as core, ClusterInfo, StreamConfig, StreamInfo, StreamSource, StreamSourceInfo};
use crate::js::JsResult;
use crate::status::{natsStatus, Result};

// ---------------------------------------------------------------------------------------
// C -> core

fn retention_in(r: jsRetentionPolicyRaw) -> Result<core::RetentionPolicy> {
    Ok(match r.get()? {
        jsRetentionPolicy::js_LimitsPolicy => core::RetentionPolicy::Limits,
        jsRetentionPolicy::js_InterestPolicy => core::RetentionPolicy::Interest,
        jsRetentionPolicy::js_WorkQueuePolicy => core::RetentionPolicy::WorkQueue,
    })
}

fn discard_in(d: jsDiscardPolicyRaw) -> Result<core::DiscardPolicy> {
    Ok(match d.get()? {
        jsDiscardPolicy::js_DiscardOld => core::DiscardPolicy::Old,
        jsDiscardPolicy::js_DiscardNew => core::DiscardPolicy::New,
    })
}

fn storage_in(s: jsStorageTypeRaw) -> Result<core::StorageType> {
    Ok(match s.get()? {
        jsStorageType::js_FileStorage => core::StorageType::File,
        jsStorageType::js_MemoryStorage => core::StorageType::Memory,
    })
}

fn external_in(e: *mut jsExternalStream, what: &str) -> Result<Option<core::ExternalStream>> {
    let Some(e) = c_ref(e.cast_const()) else { return Ok(None) };
    Ok(Some(core::ExternalStream {
        api_prefix: c_str_opt(e.APIPrefix, &format!("{what}.External.APIPrefix"))?.unwrap_or_default(),
        deliver_prefix: c_str_opt(e.DeliverPrefix, &format!("{what}.External.DeliverPrefix"))?.unwrap_or_default(),
    }))
}

fn source_in(s: &jsStreamSource, what: &str) -> Result<StreamSource> {
    Ok(StreamSource {
        name: c_str_opt(s.Name, &format!("{what}.Name"))?.unwrap_or_default(),
        opt_start_seq: s.OptStartSeq,
        opt_start_time: s.OptStartTime,
        filter_subject: c_str_opt(s.FilterSubject, &format!("{what}.FilterSubject"))?,
        external: external_in(s.External, what)?,
    })
}

/// A copy of the caller's stream configuration.
pub(crate) fn stream_config_in(c: &jsStreamConfig) -> Result<StreamConfig> {
    let placement = match c_ref(c.Placement.cast_const()) {
        None => None,
        Some(p) => Some(core::Placement {
            cluster: c_str_opt(p.Cluster, "jsStreamConfig.Placement.Cluster")?.unwrap_or_default(),
            tags: c_str_array(p.Tags.cast_const(), p.TagsLen, "jsStreamConfig.Placement.Tags")?,
        }),
    };
    let mirror = match c_ref(c.Mirror.cast_const()) {
        None => None,
        Some(m) => Some(source_in(m, "jsStreamConfig.Mirror")?),
    };
    let sources = c_ref_array(c.Sources.cast_const(), c.SourcesLen, "jsStreamConfig.Sources")?
        .into_iter()
        .enumerate()
        .map(|(i, s)| source_in(s, &format!("jsStreamConfig.Sources[{i}]")))
        .collect::<Result<Vec<_>>>()?;
    let republish = match c_ref(c.RePublish.cast_const()) {
        None => None,
        Some(r) => Some(core::RePublish {
            source: c_str_opt(r.Source, "jsStreamConfig.RePublish.Source")?.unwrap_or_default(),
            destination: c_str_opt(r.Destination, "jsStreamConfig.RePublish.Destination")?.unwrap_or_default(),
            headers_only: r.HeadersOnly,
        }),
    };
    Ok(StreamConfig {
        name: c_str_opt(c.Name, "jsStreamConfig.Name")?.unwrap_or_default(),
        description: c_str_set(c.Description, "jsStreamConfig.Description")?.unwrap_or_default(),
        subjects: c_str_array(c.Subjects.cast_const(), c.SubjectsLen, "jsStreamConfig.Subjects")?,
        retention: retention_in(c.Retention)?,
        max_consumers: c.MaxConsumers,
        max_msgs: c.MaxMsgs,
        max_bytes: c.MaxBytes,
        max_age: c.MaxAge,
        max_msg_size: c.MaxMsgSize,
        max_msgs_per_subject: c.MaxMsgsPerSubject,
        discard: discard_in(c.Discard)?,
        storage: storage_in(c.Storage)?,
        num_replicas: c.Replicas,
        no_ack: c.NoAck,
        template: c_str_opt(c.Template, "jsStreamConfig.Template")?,
        duplicates: c.Duplicates,
        placement,
        mirror,
        sources,
        sealed: c.Sealed,
        deny_delete: c.DenyDelete,
        deny_purge: c.DenyPurge,
        allow_rollup: c.AllowRollup,
        republish,
        allow_direct: c.AllowDirect,
        mirror_direct: c.MirrorDirect,
        discard_new_per_subject: c.DiscardNewPerSubject,
    })
}

// ---------------------------------------------------------------------------------------
// core -> C

fn retention_out(r: core::RetentionPolicy) -> jsRetentionPolicyRaw {
    match r {
        core::RetentionPolicy::Limits => jsRetentionPolicy::js_LimitsPolicy,
        core::RetentionPolicy::Interest => jsRetentionPolicy::js_InterestPolicy,
        core::RetentionPolicy::WorkQueue => jsRetentionPolicy::js_WorkQueuePolicy,
    }
    .into()
}

fn external_out(b: &Builder, e: &Option<core::ExternalStream>) -> *mut jsExternalStream {
    b.opt_boxed(e.as_ref().map(|e| jsExternalStream {
        APIPrefix: b.str(&e.api_prefix).cast_const(),
        DeliverPrefix: b.str(&e.deliver_prefix).cast_const(),
    }))
}

fn source_out(b: &Builder, s: &StreamSource) -> jsStreamSource {
    jsStreamSource {
        Name: b.str(&s.name).cast_const(),
        OptStartSeq: s.opt_start_seq,
        OptStartTime: s.opt_start_time,
        FilterSubject: b.opt_str(s.filter_subject.as_deref()).cast_const(),
        External: external_out(b, &s.external),
    }
}

fn stream_config_out(b: &Builder, c: &StreamConfig) -> jsStreamConfig {
    let (subjects, subjects_len) = b.const_strs(&c.subjects);
    let placement = b.opt_boxed(c.placement.as_ref().map(|p| {
        let (tags, n) = b.const_strs(&p.tags);
        jsPlacement { Cluster: b.str(&p.cluster).cast_const(), Tags: tags, TagsLen: n }
    }));
    let (sources, sources_len) = b.boxed_all(c.sources.iter().map(|s| source_out(b, s)).collect());
    jsStreamConfig {
        Name: b.str(&c.name).cast_const(),
        Description: b.str_or_null(&c.description).cast_const(),
        Subjects: subjects,
        SubjectsLen: subjects_len,
        Retention: retention_out(c.retention),
        MaxConsumers: c.max_consumers,
        MaxMsgs: c.max_msgs,
        MaxBytes: c.max_bytes,
        MaxAge: c.max_age,
        MaxMsgsPerSubject: c.max_msgs_per_subject,
        MaxMsgSize: c.max_msg_size,
        Discard: match c.discard {
            core::DiscardPolicy::Old => jsDiscardPolicy::js_DiscardOld,
            core::DiscardPolicy::New => jsDiscardPolicy::js_DiscardNew,
        }
        .into(),
        Storage: match c.storage {
            core::StorageType::File => jsStorageType::js_FileStorage,
            core::StorageType::Memory => jsStorageType::js_MemoryStorage,
        }
        .into(),
        Replicas: c.num_replicas,
        NoAck: c.no_ack,
        Template: b.opt_str(c.template.as_deref()).cast_const(),
        Duplicates: c.duplicates,
        Placement: placement,
        Mirror: b.opt_boxed(c.mirror.as_ref().map(|m| source_out(b, m))),
        Sources: sources,
        SourcesLen: sources_len,
        Sealed: c.sealed,
        DenyDelete: c.deny_delete,
        DenyPurge: c.deny_purge,
        AllowRollup: c.allow_rollup,
        RePublish: b.opt_boxed(c.republish.as_ref().map(|r| jsRePublish {
            Source: b.str_or_null(&r.source).cast_const(),
            Destination: b.str(&r.destination).cast_const(),
            HeadersOnly: r.headers_only,
        })),
        AllowDirect: c.allow_direct,
        MirrorDirect: c.mirror_direct,
        DiscardNewPerSubject: c.discard_new_per_subject,
    }
}

/// A `jsClusterInfo` inside the object `b` builds (shared with the consumer functions).
pub(crate) fn cluster_out(b: &Builder, c: &Option<ClusterInfo>) -> *mut jsClusterInfo {
    let Some(c) = c else { return std::ptr::null_mut() };
    let peers = c
        .replicas
        .iter()
        .map(|p| jsPeerInfo { Name: b.str(&p.name), Current: p.current, Offline: p.offline, Active: p.active, Lag: p.lag })
        .collect();
    let (replicas, n) = b.boxed_all(peers);
    b.boxed(jsClusterInfo { Name: b.str_or_null(&c.name), Leader: b.str_or_null(&c.leader), Replicas: replicas, ReplicasLen: n })
}

fn source_info_out(b: &Builder, s: &StreamSourceInfo) -> jsStreamSourceInfo {
    jsStreamSourceInfo { Name: b.str(&s.name), External: external_out(b, &s.external), Lag: s.lag, Active: s.active }
}

/// A stream information object for C, freed by `jsStreamInfo_Destroy`.
pub(crate) fn stream_info_out(si: &StreamInfo) -> *mut jsStreamInfo {
    let b = Builder::new();
    let st = &si.state;
    let subjects = if st.subjects.is_empty() {
        std::ptr::null_mut()
    } else {
        let list: Vec<jsStreamStateSubject> =
            st.subjects.iter().map(|(s, n)| jsStreamStateSubject { Subject: b.str(s).cast_const(), Msgs: *n }).collect();
        let (list, count) = b.slice(list);
        b.boxed(jsStreamStateSubjects { List: list, Count: count })
    };
    let (deleted, deleted_len) = b.slice(st.deleted.clone());
    let lost = b.opt_boxed(st.lost.as_ref().map(|l| {
        let (msgs, n) = b.slice(l.msgs.clone());
        jsLostStreamData { Msgs: msgs, MsgsLen: n, Bytes: l.bytes }
    }));
    let (sources, sources_len) = b.boxed_all(si.sources.iter().map(|s| source_info_out(&b, s)).collect());
    let value = jsStreamInfo {
        Config: b.opt_boxed(si.config.as_ref().map(|c| stream_config_out(&b, c))),
        Created: si.created,
        State: jsStreamState {
            Msgs: st.msgs,
            Bytes: st.bytes,
            FirstSeq: st.first_seq,
            FirstTime: st.first_time,
            LastSeq: st.last_seq,
            LastTime: st.last_time,
            NumSubjects: st.num_subjects,
            Subjects: subjects,
            NumDeleted: st.num_deleted,
            Deleted: deleted,
            DeletedLen: deleted_len,
            Lost: lost,
            Consumers: st.consumers,
        },
        Cluster: cluster_out(&b, &si.cluster),
        Mirror: b.opt_boxed(si.mirror.as_ref().map(|m| source_info_out(&b, m))),
        Sources: sources,
        SourcesLen: sources_len,
    };
    b.finish(value)
}

/// The stream name argument: NULL reads as "" (which the core refuses as missing).
fn stream_arg(stream: *const c_char) -> Result<String> {
    Ok(c_str_opt(stream, "stream name")?.unwrap_or_default())
}

// ---------------------------------------------------------------------------------------
// Streams

fn add_or_update(
    func: &'static str,
    si: *mut *mut jsStreamInfo,
    js: *mut jsCtx,
    cfg: *mut jsStreamConfig,
    opts: *mut jsOptions,
    err_code: *mut jsErrCodeRaw,
    call: fn(&crate::js::Context, &StreamConfig) -> JsResult<StreamInfo>,
) -> natsStatus {
    guard_js(func, err_code, || {
        if js.is_null() {
            return Err(invalid_arg("the JetStream context must not be NULL").into());
        }
        let Some(cfg) = c_ref(cfg.cast_const()) else {
            return Err(invalid_arg("stream configuration required").into());
        };
        let cfg = stream_config_in(cfg)?;
        core::check_stream_name(&cfg.name)?;
        let ctx = call_ctx(js, opts)?;
        let info = call(&ctx, &cfg)?;
        if !si.is_null() {
            put(si, stream_info_out(&info));
        }
        Ok(())
    })
}

/// Creates a stream from `cfg` (required; its Name is required and may not contain '.',
/// blanks or wildcards). `si` may be NULL; otherwise it receives the new stream's
/// information, to free with `jsStreamInfo_Destroy`. `opts` may be NULL. A refusal by the
/// server is NATS_ERR with the server's text and `*errCode` (when not NULL) set; without
/// JetStream on the server, NATS_NO_RESPONDERS (errCode JSNotEnabledErr). Blocks up to the
/// context's (or `opts`') Wait.
#[unsafe(no_mangle)]
pub extern "C" fn js_AddStream(
    si: *mut *mut jsStreamInfo,
    js: *mut jsCtx,
    cfg: *mut jsStreamConfig,
    opts: *mut jsOptions,
    errCode: *mut jsErrCodeRaw,
) -> natsStatus {
    add_or_update("js_AddStream", si, js, cfg, opts, errCode, core::add_stream)
}

/// Updates a stream with `cfg` (as js_AddStream). A stream that does not exist is
/// NATS_NOT_FOUND (errCode JSStreamNotFoundErr).
#[unsafe(no_mangle)]
pub extern "C" fn js_UpdateStream(
    si: *mut *mut jsStreamInfo,
    js: *mut jsCtx,
    cfg: *mut jsStreamConfig,
    opts: *mut jsOptions,
    errCode: *mut jsErrCodeRaw,
) -> natsStatus {
    add_or_update("js_UpdateStream", si, js, cfg, opts, errCode, core::update_stream)
}

/// Purges the stream: everything, or what `opts->Stream.Purge` (or the context's purge
/// options) select: a subject filter, up to (not including) a sequence, or keeping the
/// last `Keep` messages (Sequence and Keep together are NATS_INVALID_ARG). A missing
/// stream is NATS_NOT_FOUND.
#[unsafe(no_mangle)]
pub extern "C" fn js_PurgeStream(js: *mut jsCtx, stream: *const c_char, opts: *mut jsOptions, errCode: *mut jsErrCodeRaw) -> natsStatus {
    guard_js("js_PurgeStream", errCode, || {
        if js.is_null() {
            return Err(invalid_arg("the JetStream context must not be NULL").into());
        }
        let stream = stream_arg(stream)?;
        core::check_stream_name(&stream)?;
        core::purge_stream(&call_ctx(js, opts)?, &stream)
    })
}

/// Deletes the stream and its messages. A missing stream is NATS_NOT_FOUND.
#[unsafe(no_mangle)]
pub extern "C" fn js_DeleteStream(js: *mut jsCtx, stream: *const c_char, opts: *mut jsOptions, errCode: *mut jsErrCodeRaw) -> natsStatus {
    guard_js("js_DeleteStream", errCode, || {
        if js.is_null() {
            return Err(invalid_arg("the JetStream context must not be NULL").into());
        }
        let stream = stream_arg(stream)?;
        core::check_stream_name(&stream)?;
        core::delete_stream(&call_ctx(js, opts)?, &stream)
    })
}

/// Information about the stream, to free with `jsStreamInfo_Destroy`. With
/// `opts->Stream.Info.DeletedDetails` the deleted sequences are included; with
/// `opts->Stream.Info.SubjectsFilter` the message count of every matching subject (all
/// pages of them). A missing stream is NATS_NOT_FOUND (errCode JSStreamNotFoundErr).
#[unsafe(no_mangle)]
pub extern "C" fn js_GetStreamInfo(
    si: *mut *mut jsStreamInfo,
    js: *mut jsCtx,
    stream: *const c_char,
    opts: *mut jsOptions,
    errCode: *mut jsErrCodeRaw,
) -> natsStatus {
    guard_js("js_GetStreamInfo", errCode, || {
        if js.is_null() || si.is_null() {
            return Err(invalid_arg("the JetStream context and the info out-pointer must not be NULL").into());
        }
        let stream = stream_arg(stream)?;
        core::check_stream_name(&stream)?;
        let info = core::stream_info(&call_ctx(js, opts)?, &stream)?;
        put(si, stream_info_out(&info));
        Ok(())
    })
}

/// The information of every stream (all pages), or of the streams with a subject
/// matching `opts->Stream.Info.SubjectsFilter`; free with `jsStreamInfoList_Destroy`. No
/// stream is NATS_NOT_FOUND.
#[unsafe(no_mangle)]
pub extern "C" fn js_Streams(list: *mut *mut jsStreamInfoList, js: *mut jsCtx, opts: *mut jsOptions, errCode: *mut jsErrCodeRaw) -> natsStatus {
    guard_js("js_Streams", errCode, || {
        if js.is_null() || list.is_null() {
            return Err(invalid_arg("the JetStream context and the list out-pointer must not be NULL").into());
        }
        let infos = core::streams(&call_ctx(js, opts)?)?;
        let b = Builder::new();
        let (l, n) = b.array(infos.iter().map(stream_info_out).collect());
        put(list, b.finish(jsStreamInfoList { List: l, Count: n }));
        Ok(())
    })
}

/// The names of every stream (all pages), or of the streams with a subject matching
/// `opts->Stream.Info.SubjectsFilter`; free with `jsStreamNamesList_Destroy`. No stream is
/// NATS_NOT_FOUND.
#[unsafe(no_mangle)]
pub extern "C" fn js_StreamNames(list: *mut *mut jsStreamNamesList, js: *mut jsCtx, opts: *mut jsOptions, errCode: *mut jsErrCodeRaw) -> natsStatus {
    guard_js("js_StreamNames", errCode, || {
        if js.is_null() || list.is_null() {
            return Err(invalid_arg("the JetStream context and the list out-pointer must not be NULL").into());
        }
        let names = core::stream_names(&call_ctx(js, opts)?)?;
        let b = Builder::new();
        let (l, n) = b.strs(&names);
        put(list, b.finish(jsStreamNamesList { List: l, Count: n }));
        Ok(())
    })
}

// ---------------------------------------------------------------------------------------
// Stored messages

fn get_msg_with(
    func: &'static str,
    msg: *mut *mut natsMsg,
    js: *mut jsCtx,
    opts: *mut jsOptions,
    err_code: *mut jsErrCodeRaw,
    get: impl FnOnce(&crate::js::Context) -> JsResult<crate::msg::Msg>,
) -> natsStatus {
    guard_js(func, err_code, || {
        if msg.is_null() || js.is_null() {
            return Err(invalid_arg("the message out-pointer and the JetStream context must not be NULL").into());
        }
        let m = get(&call_ctx(js, opts)?)?;
        put(msg, into_handle(m));
        Ok(())
    })
}

/// The message stored at `seq` (at least 1) in the stream: subject, headers, data, and
/// its sequence and time (natsMsg_GetSequence, natsMsg_GetTime). Free it with
/// `natsMsg_Destroy`. A missing message is NATS_NOT_FOUND (errCode JSNoMessageFoundErr).
#[unsafe(no_mangle)]
pub extern "C" fn js_GetMsg(
    msg: *mut *mut natsMsg,
    js: *mut jsCtx,
    stream: *const c_char,
    seq: u64,
    opts: *mut jsOptions,
    errCode: *mut jsErrCodeRaw,
) -> natsStatus {
    get_msg_with("js_GetMsg", msg, js, opts, errCode, |ctx| {
        if seq < 1 {
            return Err(invalid_arg("the sequence must be at least 1").into());
        }
        core::get_msg(ctx, &stream_arg(stream)?, seq)
    })
}

/// The last message stored on `subject` (required) in the stream, as js_GetMsg.
#[unsafe(no_mangle)]
pub extern "C" fn js_GetLastMsg(
    msg: *mut *mut natsMsg,
    js: *mut jsCtx,
    stream: *const c_char,
    subject: *const c_char,
    opts: *mut jsOptions,
    errCode: *mut jsErrCodeRaw,
) -> natsStatus {
    get_msg_with("js_GetLastMsg", msg, js, opts, errCode, |ctx| {
        let subject = c_str_set(subject, "subject")?.ok_or_else(|| invalid_arg("subject is required"))?;
        core::get_last_msg(ctx, &stream_arg(stream)?, &subject)
    })
}

/// A message read from any server holding the stream (the stream needs AllowDirect):
/// the one at `dgOpts->Sequence`, the next one on `dgOpts->NextBySubject` from that
/// sequence, or the last one on `dgOpts->LastBySubject`. `dgOpts` is required. The message
/// keeps the reply's `Nats-Stream`, `Nats-Sequence`, `Nats-Time-Stamp`, `Nats-Subject`
/// headers; its subject is the stored subject; natsMsg_GetSequence / natsMsg_GetTime
/// work on it. No such message: NATS_NOT_FOUND.
#[unsafe(no_mangle)]
pub extern "C" fn js_DirectGetMsg(
    msg: *mut *mut natsMsg,
    js: *mut jsCtx,
    stream: *const c_char,
    opts: *mut jsOptions,
    dgOpts: *mut jsDirectGetMsgOptions,
) -> natsStatus {
    guard("js_DirectGetMsg", || {
        let Some(dg) = c_ref(dgOpts.cast_const()) else {
            return Err(invalid_arg("the direct get options must not be NULL"));
        };
        if msg.is_null() || js.is_null() {
            return Err(invalid_arg("the message out-pointer and the JetStream context must not be NULL"));
        }
        let o = core::DirectGetOptions {
            sequence: dg.Sequence,
            next_by_subject: c_str_set(dg.NextBySubject, "jsDirectGetMsgOptions.NextBySubject")?,
            last_by_subject: c_str_set(dg.LastBySubject, "jsDirectGetMsgOptions.LastBySubject")?,
        };
        let stream = stream_arg(stream)?;
        let m = core::direct_get_msg(&call_ctx(js, opts)?, &stream, &o).map_err(|e| e.err)?;
        put(msg, into_handle(m));
        Ok(())
    })
}

fn delete_msg(func: &'static str, js: *mut jsCtx, stream: *const c_char, seq: u64, opts: *mut jsOptions, err_code: *mut jsErrCodeRaw, erase: bool) -> natsStatus {
    guard_js(func, err_code, || {
        if js.is_null() {
            return Err(invalid_arg("the JetStream context must not be NULL").into());
        }
        let stream = stream_arg(stream)?;
        core::check_stream_name(&stream)?;
        core::delete_msg(&call_ctx(js, opts)?, &stream, seq, erase)
    })
}

/// Deletes the message at `seq` from the stream (its content is not overwritten; see
/// js_EraseMsg). A missing stream is NATS_NOT_FOUND; a missing message NATS_ERR with the
/// server's text.
#[unsafe(no_mangle)]
pub extern "C" fn js_DeleteMsg(js: *mut jsCtx, stream: *const c_char, seq: u64, opts: *mut jsOptions, errCode: *mut jsErrCodeRaw) -> natsStatus {
    delete_msg("js_DeleteMsg", js, stream, seq, opts, errCode, false)
}

/// As js_DeleteMsg, and the message's content is overwritten in storage.
#[unsafe(no_mangle)]
pub extern "C" fn js_EraseMsg(js: *mut jsCtx, stream: *const c_char, seq: u64, opts: *mut jsOptions, errCode: *mut jsErrCodeRaw) -> natsStatus {
    delete_msg("js_EraseMsg", js, stream, seq, opts, errCode, true)
}
