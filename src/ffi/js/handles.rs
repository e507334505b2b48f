//! The opaque JetStream and Key/Value handles. C sees only `typedef struct X X;`.
//!
//! The fields below are placeholders: the owners of the JetStream context (src/ffi/js/) and
//! of Key/Value (src/ffi/kv.rs) replace them with the real contents (for instance
//! `pub(crate) inner: Arc<crate::js::Context>`). The structs must stay without `#[repr(C)]`
//! so that cbindgen keeps emitting them as opaque declarations.

/// A JetStream context: the connection plus prefix, domain and timeouts (opaque).
pub struct jsCtx {
    pub(crate) ctx: crate::js::Context,
}

// The Key/Value handles are defined with their functions (src/ffi/kv*.rs).
pub use crate::ffi::kv::kvStore;
pub use crate::ffi::kv_entry::{kvEntry, kvStatus};
pub use crate::ffi::kv_watch::kvWatcher;
