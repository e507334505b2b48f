//! The opaque JetStream and Key/Value handles. C sees only `typedef struct X X;`.
//!
//! The fields below are placeholders: the owners of the JetStream context (src/ffi/js/) and
//! of Key/Value (src/ffi/kv.rs) replace them with the real contents (for instance
//! `pub(crate) inner: Arc<crate::js::Context>`). The structs must stay without `#[repr(C)]`
//! so that cbindgen keeps emitting them as opaque declarations.

/// A JetStream context: the connection plus prefix, domain and timeouts (opaque).
pub struct jsCtx {
    _placeholder: (),
}

/// A Key/Value bucket (opaque).
pub struct kvStore {
    _placeholder: (),
}

/// One entry of a Key/Value bucket: key, value, revision, operation (opaque).
pub struct kvEntry {
    _placeholder: (),
}

/// The status of a Key/Value bucket (opaque).
pub struct kvStatus {
    _placeholder: (),
}

/// A watcher of changes in a Key/Value bucket (opaque).
pub struct kvWatcher {
    _placeholder: (),
}
