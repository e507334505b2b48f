//! JetStream, built on the connection core the way an application would use it.
//!
//! - [`context`]: a JetStream context (API prefix or domain, request timeout), made from a
//!   connection.
//! - [`api`]: requests to the `$JS.API` subjects with JSON bodies, and the error type that
//!   carries the server's `err_code` next to the status.
//!
//! Everything here works on owned Rust types; the C structs live in `ffi::js`.
#![forbid(unsafe_code)]

pub mod api;
pub mod context;

pub use api::{ApiError, JsError, JsResult};
pub use context::{Context, ContextOptions, InfoOptions, PurgeOptions};
