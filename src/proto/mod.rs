//! The NATS wire protocol (pure: no I/O, no locks).
#![forbid(unsafe_code)]
