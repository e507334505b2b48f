//! `jsCtx`: a JetStream context, made from a connection with `natsConnection_JetStream` and
//! released with `jsCtx_Destroy`. It holds its own reference to the connection, so it may
//! outlive the application's `natsConnection_Destroy` (calls then fail as on a closed
//! connection). Also the conversions every js_* function shares: the per-call `jsOptions`
//! and the `jsErrCode` out-parameter.

use std::ffi::{c_char, c_int};

use super::enums::jsErrCodeRaw;
use super::handles::jsCtx;
use super::types_context::jsOptions;
use crate::ffi::boundary::{clear_error, guard_val, invalid_arg, non_null, opt_str, put, set_error};
use crate::ffi::connection::{conn_of, natsConnection};
use crate::js::{Context, ContextOptions, InfoOptions, JsError, JsResult, PurgeOptions};
use crate::status::{natsStatus, Result};

/// The context behind a handle, for functions that must not touch a NULL one.
pub(crate) fn ctx_of<'a>(js: *mut jsCtx) -> Result<&'a Context> {
    Ok(&non_null(js as *const jsCtx, "JetStream context")?.ctx)
}

fn opt_string(p: *const c_char, what: &str) -> Result<Option<String>> {
    Ok(opt_str(p, what, natsStatus::NATS_INVALID_ARG)?.filter(|s| !s.is_empty()).map(str::to_string))
}

/// The Prefix, Domain, Wait and Stream parts of a `jsOptions` (NULL: none). A negative
/// Wait is refused.
pub(crate) fn call_opts(opts: *const jsOptions) -> Result<Option<ContextOptions>> {
    // SAFETY: a non-NULL options pointer from C points to a jsOptions valid for the call.
    let Some(o) = (unsafe { opts.as_ref() }) else { return Ok(None) };
    if o.Wait < 0 {
        return Err(invalid_arg(format!("jsOptions.Wait must not be negative (got {})", o.Wait)));
    }
    Ok(Some(ContextOptions {
        prefix: opt_string(o.Prefix, "jsOptions.Prefix")?,
        domain: opt_string(o.Domain, "jsOptions.Domain")?,
        wait_ms: o.Wait,
        purge: PurgeOptions {
            subject: opt_string(o.Stream.Purge.Subject, "jsOptions.Stream.Purge.Subject")?,
            sequence: o.Stream.Purge.Sequence,
            keep: o.Stream.Purge.Keep,
        },
        info: InfoOptions {
            deleted_details: o.Stream.Info.DeletedDetails,
            subjects_filter: opt_string(o.Stream.Info.SubjectsFilter, "jsOptions.Stream.Info.SubjectsFilter")?,
        },
        // Only natsConnection_JetStream takes jsOptions.PublishAsync.
        publish_async: Default::default(),
    }))
}

/// The context a call runs with: the handle's, with the call's `jsOptions` applied.
pub(crate) fn call_ctx(js: *mut jsCtx, opts: *const jsOptions) -> Result<Context> {
    let ctx = ctx_of(js)?;
    let o = call_opts(opts)?;
    ctx.with(o.as_ref()).map_err(|e| e.err)
}

/// Runs a JetStream call body: as `guard`, and also stores the server's JetStream error
/// code in `*err_code` when it is not NULL (0 on success and for errors that did not come
/// from the server).
#[inline]
pub(crate) fn guard_js(func: &'static str, err_code: *mut jsErrCodeRaw, body: impl FnOnce() -> JsResult<()>) -> natsStatus {
    clear_error();
    put(err_code, jsErrCodeRaw(0));
    let r = guard_val(func, Err(JsError::new(natsStatus::NATS_ERR, format!("internal error in {func}"))), body);
    match r {
        Ok(()) => natsStatus::NATS_OK,
        Err(e) => {
            put(err_code, jsErrCodeRaw(e.code as c_int));
            set_error(func, &e.err);
            e.err.status
        }
    }
}

/// Creates a JetStream context on `nc`. `opts` may be NULL (defaults: prefix "$JS.API",
/// Wait 5000 ms); its strings are copied. Free the context with `jsCtx_Destroy`.
#[unsafe(no_mangle)]
pub extern "C" fn natsConnection_JetStream(js: *mut *mut jsCtx, nc: *mut natsConnection, opts: *mut jsOptions) -> natsStatus {
    crate::ffi::boundary::guard("natsConnection_JetStream", || {
        if js.is_null() {
            return Err(invalid_arg("the context out-pointer must not be NULL"));
        }
        let conn = conn_of(nc)?;
        let mut o = call_opts(opts)?.unwrap_or_default();
        // SAFETY: as in call_opts.
        if let Some(raw) = unsafe { opts.as_ref() } {
            o.publish_async = super::publish::publish_async_options(&raw.PublishAsync);
        }
        let ctx = Context::new(conn.clone(), &o).map_err(|e| e.err)?;
        let handle = Box::into_raw(Box::new(jsCtx { ctx }));
        // SAFETY: just made above; the asynchronous-publish handlers receive this handle.
        unsafe { &*handle }.ctx.async_state().set_handle(handle as usize);
        put(js, handle);
        Ok(())
    })
}

/// Destroys a JetStream context (NULL: nothing). The connection stays open. Messages
/// published asynchronously and still waiting for their ack are dropped without a handler
/// call (as nats.c does); a handler that is running is waited for, so none runs after this
/// returns (unless it is called from that handler).
#[unsafe(no_mangle)]
pub extern "C" fn jsCtx_Destroy(js: *mut jsCtx) {
    guard_val("jsCtx_Destroy", (), || {
        if !js.is_null() {
            // SAFETY: a non-NULL handle was made by natsConnection_JetStream and is
            // destroyed once.
            let b = unsafe { Box::from_raw(js) };
            b.ctx.async_state().destroy();
            drop(b);
        }
    })
}
