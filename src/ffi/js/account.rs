//! js_GetAccountInfo: the JetStream usage and limits of the connection's account.

use super::context::{call_ctx, guard_js};
use super::enums::jsErrCodeRaw;
use super::handles::jsCtx;
use super::owned::Builder;
use super::types_context::{jsAPIStats, jsAccountInfo, jsAccountLimits, jsOptions, jsTier};
use crate::ffi::boundary::{invalid_arg, put};
use crate::js::account::{account_info, AccountLimits};
use crate::status::natsStatus;

fn limits_out(l: &AccountLimits) -> jsAccountLimits {
    jsAccountLimits {
        MaxMemory: l.max_memory,
        MaxStore: l.max_store,
        MaxStreams: l.max_streams,
        MaxConsumers: l.max_consumers,
        MaxAckPending: l.max_ack_pending,
        MemoryMaxStreamBytes: l.memory_max_stream_bytes,
        StoreMaxStreamBytes: l.store_max_stream_bytes,
        MaxBytesRequired: l.max_bytes_required,
    }
}

/// The account's JetStream usage (memory, storage, streams, consumers), limits, API
/// statistics, domain and per-tier usage, to free with `jsAccountInfo_Destroy`. Without
/// JetStream on the server: NATS_NO_RESPONDERS (errCode JSNotEnabledErr); an account
/// without JetStream: NATS_ERR with the server's code.
#[unsafe(no_mangle)]
pub extern "C" fn js_GetAccountInfo(ai: *mut *mut jsAccountInfo, js: *mut jsCtx, opts: *mut jsOptions, errCode: *mut jsErrCodeRaw) -> natsStatus {
    guard_js("js_GetAccountInfo", errCode, || {
        if ai.is_null() || js.is_null() {
            return Err(invalid_arg("the info out-pointer and the JetStream context must not be NULL").into());
        }
        let info = account_info(&call_ctx(js, opts)?)?;
        let b = Builder::new();
        let tiers = info
            .tiers
            .iter()
            .map(|(name, t)| jsTier {
                Name: b.str(name).cast_const(),
                Memory: t.memory,
                Store: t.store,
                Streams: t.streams,
                Consumers: t.consumers,
                Limits: limits_out(&t.limits),
            })
            .collect();
        let (tiers, tiers_len) = b.boxed_all(tiers);
        let value = jsAccountInfo {
            Memory: info.memory,
            Store: info.store,
            Streams: info.streams,
            Consumers: info.consumers,
            Domain: b.opt_str(info.domain.as_deref()),
            API: jsAPIStats { Total: info.api.total, Errors: info.api.errors },
            Limits: limits_out(&info.limits),
            Tiers: tiers,
            TiersLen: tiers_len,
        };
        put(ai, b.finish(value));
        Ok(())
    })
}
