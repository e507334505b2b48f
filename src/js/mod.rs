//! JetStream, built on the connection core the way an application would use it.
//!
//! - [`context`]: a JetStream context (API prefix or domain, request timeout), made from a
//!   connection.
//! - [`api`]: requests to the `$JS.API` subjects with JSON bodies, and the error type that
//!   carries the server's `err_code` next to the status.
//! - [`stream`], [`consumer`], [`account`]: the management API (streams, their stored
//!   messages, consumers, account usage), with serde types shaped as the server's JSON.
//! - [`rfc3339`]: the API's time strings, as nanoseconds since the epoch.
//!
//! - [`publish`], [`publish_async`]: publishing with the stream's acknowledgment, one at a
//!   time or in a bounded window of messages in flight.
//!
//! Everything here works on owned Rust types; the C structs live in `ffi::js`.
#![forbid(unsafe_code)]

pub mod ack;
pub mod account;
pub mod api;
pub mod consumer;
pub mod context;
pub mod publish;
pub mod publish_async;
pub mod meta;
pub mod pull;
pub mod sub_consumer;
pub mod subscribe;
pub mod rfc3339;
pub mod stream;

pub use api::{ApiError, JsError, JsResult};
pub use context::{Context, ContextOptions, InfoOptions, PurgeOptions};
pub use publish::{PubAck, PubOptions};
pub use publish_async::{AckHandler, PublishAsyncOptions};
