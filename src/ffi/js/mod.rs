//! The JetStream and Key/Value part of the C boundary.
//!
//! - [`context`]: `jsCtx` (natsConnection_JetStream, jsCtx_Destroy), the per-call `jsOptions`
//!   and the `jsErrCode` out-parameter shared by every js_* function;
//! - [`enums`]: the C enums and their checked integer wrappers (`jsStorageTypeRaw`, ...);
//! - [`handles`]: the opaque handles (`jsCtx`, `kvStore`, `kvEntry`, `kvStatus`, `kvWatcher`);
//! - `types_*`: the `#[repr(C)]` structs, field for field nats.c 3.4.1's;
//! - [`init`]: the `*_Init` functions of the option and configuration structs;
//! - [`owned`]: [`owned::Owned`] and [`owned::Builder`], how the library hands out objects
//!   that C frees with one `*_Destroy(ptr)` call, plus the detached string arrays of the
//!   caller-held lists;
//! - [`convert`]: reading borrowed strings and arrays out of C structs;
//! - [`destroy`]: the `*_Destroy` functions of the returned objects;
//! - [`publish`]: js_Publish, js_PublishMsg and the asynchronous publish functions.

pub mod context;
pub mod enums;
pub mod handles;
pub mod types_stream;
pub mod types_consumer;
pub mod types_context;
pub mod types_kv;
pub mod init;
pub mod owned;
pub mod convert;
pub mod destroy;
pub mod publish;
pub mod jsmsg;
pub mod subscribe;
pub mod stream;
pub mod consumer_mgmt;
pub mod account;

pub use enums::*;
pub use handles::*;
pub use types_consumer::*;
pub use types_context::*;
pub use types_kv::*;
pub use types_stream::*;

/// `Default` as all-zero bytes, the state nats.c's `*_Init` functions start from.
macro_rules! zeroed_default {
    ($($t:ty),+ $(,)?) => {$(
        impl Default for $t {
            fn default() -> Self {
                // SAFETY: every field of these #[repr(C)] structs is an integer, a bool, a
                // raw pointer, an `Option` of a function pointer, an integer enum wrapper or
                // a nested struct of the same kinds: all-zero bytes are a valid value
                // (0, false, NULL, None).
                unsafe { std::mem::zeroed() }
            }
        }
    )+};
}

zeroed_default!(
    jsPubOptions, jsPlacement, jsExternalStream, jsStreamSource, jsRePublish, jsStreamConfig,
    jsLostStreamData, jsStreamStateSubject, jsStreamStateSubjects, jsStreamState, jsPeerInfo,
    jsClusterInfo, jsStreamSourceInfo, jsStreamInfo, jsStreamInfoList, jsStreamNamesList,
    jsConsumerConfig, jsConsumerSequenceMismatch, jsSubOptions, jsSequencePair, jsSequenceInfo,
    jsConsumerInfo, jsConsumerInfoList, jsConsumerNamesList, jsAPIStats, jsAccountLimits,
    jsTier, jsAccountInfo, jsMsgMetaData, jsPubAck, jsPubAckErr, jsDirectGetMsgOptions,
    jsFetchRequest, jsOptionsPublishAsync, jsOptionsStreamPurge, jsOptionsStreamInfo,
    jsOptionsStream, jsOptions, kvConfig, kvWatchOptions, kvPurgeOptions, kvEntryList,
    kvKeysList,
);
