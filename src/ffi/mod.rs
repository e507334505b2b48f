//! The C boundary: every `extern "C"` function of the library lives below this module, one
//! file per nats.c object family. Bodies check arguments, call the safe core, map errors.
#![allow(non_camel_case_types, non_snake_case, clippy::missing_safety_doc, clippy::not_unsafe_ptr_arg_deref)]

pub mod boundary;
pub mod connection;
pub mod evloop;
pub mod header;
pub mod inbox;
pub mod library;
pub mod msg;
pub mod options;
pub mod security;
pub mod reconnect;
pub mod stats;
pub mod subscription;
pub mod sys;
pub mod js;
