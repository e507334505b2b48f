//! Key/Value store on top of JetStream, as nats.c 3.4.1 builds it: a bucket `B` is the
//! stream `KV_B` on the subjects `$KV.B.>`, a key `K` is the subject `$KV.B.K`, a value is
//! the last message on that subject, and deletes and purges are messages carrying a
//! `KV-Operation` header (`DEL`, `PURGE`).
//!
//! - [`names`]: bucket and key validation, the error texts of nats.c.
//! - [`config`]: a bucket's configuration and the stream configuration made from it; the
//!   parts of the stream info a bucket needs (status, sanity checks).
//! - [`entry`]: one value (or marker) of a key, with its revision, time and operation.
//! - [`store`]: a bucket handle: put, create, update, get, delete, purge, keys, history,
//!   status, purge of old markers.
//! - [`watch`]: watchers: the current values first, an end-of-initial-values marker, then
//!   every change, over an ordered push consumer that is recreated after a gap or a
//!   reconnect.
#![forbid(unsafe_code)]

pub mod config;
pub mod entry;
pub mod names;
pub mod store;
pub mod time;
pub mod watch;

pub use config::{BucketConfig, BucketStatus, RePublish, StorageType};
pub use entry::{Entry, Operation};
pub use store::{PurgeOptions, Store};
pub use watch::{WatchOptions, Watcher};
