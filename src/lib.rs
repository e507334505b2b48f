//! rnats: the NATS client for C, written in Rust.
//!
//! The crate builds `libnats.so` / `libnats.a`, a drop-in replacement for the core
//! (non-JetStream) API of nats.c 3.4.1. Layout:
//!
//! - [`proto`]: the wire protocol, pure (parser, encoder, INFO/CONNECT JSON, URLs).
//! - [`conn`]: the connection core: event loop, outgoing buffer, PONG queue, state.
//! - [`sub`]: subscriptions and their pending queues.
//! - [`msg`]: the message type shared by the core and the C boundary.
//! - [`options`]: connection options as a plain safe struct.
//! - [`status`]: `natsStatus` / `natsConnStatus` and the error type used everywhere.
//! - [`js`]: JetStream on top of the core (context, API requests; more to come).
//! - [`kv`]: the Key/Value store on top of JetStream (buckets, entries, watchers).
//! - [`ffi`]: the only module with `extern "C"` and `unsafe`: the nats.c API.

pub mod conn;
pub mod ffi;
pub mod js;
pub mod kv;
pub mod msg;
pub mod options;
pub mod proto;
pub mod status;
pub mod sub;
