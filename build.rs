//! Build script: the shared library's SONAME, and the C headers.
//!
//! Headers are generated into `$OUT_DIR/include/nats/` on every build:
//! - `nats.h`: cbindgen over `src/ffi/` (functions, opaque handles, callback typedefs),
//!   configured by `cbindgen.toml`;
//! - `status.h`: cbindgen over `src/status.rs` (`natsStatus`, `natsConnStatus`, `jsErrCode`);
//! - `version.h`: written as text here (cbindgen cannot express the version macros).
//!
//! The committed copies in `include/nats/` must equal them: `tests/headers.rs` checks it
//! (through the `RNATS_GENERATED_HEADERS` env var set below) and
//! `scripts/update-headers.sh` refreshes them.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};

/// Types every nats.h must declare. When src/ffi does not define one yet, a fallback
/// declaration is generated so the header is complete from the start; it disappears as
/// soon as src/ffi declares the real type.
const REQUIRED_TYPES: &[(&str, &str)] = &[
    (
        "natsConnection",
        "/// A connection to a NATS server (opaque).\npub struct natsConnection;\n",
    ),
    (
        "natsSubscription",
        "/// Interest in a subject: messages are received through it (opaque).\npub struct natsSubscription;\n",
    ),
    ("natsMsg", "/// A message: subject, optional reply subject and payload (opaque).\npub struct natsMsg;\n"),
    (
        "natsOptions",
        "/// Options used to create a connection (opaque).\npub struct natsOptions;\n",
    ),
    (
        "natsStatistics",
        "/// Counters of a connection: messages and bytes in and out, reconnects (opaque).\npub struct natsStatistics;\n",
    ),
    (
        "natsInbox",
        "/// A unique subject, NUL-terminated, used as a reply subject.\npub type natsInbox = c_char;\n",
    ),
    (
        "natsConnectionHandler",
        "/// Callback for connection events (closed, disconnected, reconnected).\n\
         pub type natsConnectionHandler = Option<unsafe extern \"C\" fn(nc: *mut natsConnection, closure: *mut c_void)>;\n",
    ),
    (
        "natsErrHandler",
        "/// Callback for asynchronous errors, for instance a slow consumer.\n\
         pub type natsErrHandler = Option<unsafe extern \"C\" fn(nc: *mut natsConnection, subscription: *mut natsSubscription, err: natsStatus, closure: *mut c_void)>;\n",
    ),
    (
        "natsMsgHandler",
        "/// Callback receiving the messages of an asynchronous subscription.\n\
         pub type natsMsgHandler = Option<unsafe extern \"C\" fn(nc: *mut natsConnection, sub: *mut natsSubscription, msg: *mut natsMsg, closure: *mut c_void)>;\n",
    ),
];

fn main() {
    // The shared library answers to the same SONAME as nats.c 3.4, so binaries linked
    // against Debian's libnats.so.3.4 load it unchanged.
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libnats.so.3.4");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=src/ffi");
    println!("cargo:rerun-if-changed=src/status.rs");

    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR")).join("include");
    let dir = out.join("nats");
    fs::create_dir_all(&dir).expect("create OUT_DIR/include/nats");

    let version = env::var("CARGO_PKG_VERSION").expect("CARGO_PKG_VERSION");
    write_if_changed(&dir.join("version.h"), &version_h(&version));
    write_if_changed(&dir.join("status.h"), &status_h(&root));
    write_if_changed(&dir.join("nats.h"), &nats_h(&root, &out));

    println!("cargo:rustc-env=RNATS_GENERATED_HEADERS={}", out.display());
}

fn base_config(root: &Path) -> cbindgen::Config {
    cbindgen::Config::from_file(root.join("cbindgen.toml"))
        .unwrap_or_else(|e| panic!("cannot read cbindgen.toml: {e}"))
}

fn render(builder: cbindgen::Builder, what: &str) -> String {
    let bindings = builder
        .generate()
        .unwrap_or_else(|e| panic!("cbindgen failed to generate {what}: {e}"));
    let mut buf = Vec::new();
    bindings.write(&mut buf);
    String::from_utf8(buf).expect("cbindgen output is UTF-8")
}

/// nats.h: everything under src/ffi and nothing else. natsStatus / natsConnStatus are
/// not parsed here: cbindgen writes their names as they are, and status.h defines them.
fn nats_h(root: &Path, out: &Path) -> String {
    let ffi = root.join("src/ffi");
    let mut builder = cbindgen::Builder::new()
        .with_config(base_config(root))
        .with_src(ffi.join("mod.rs"));

    let missing = missing_types(&ffi);
    if !missing.is_empty() {
        let mut text = String::from(
            "// Fallback declarations for API types src/ffi does not define yet.\n",
        );
        for (_, decl) in REQUIRED_TYPES.iter().filter(|(n, _)| missing.contains(n)) {
            text.push_str(decl);
        }
        let path = out.join("ffi_fallback_types.rs");
        write_if_changed(&path, &text);
        builder = builder.with_src(path);
    }
    untag_references(&render(builder, "nats.h"))
}

/// cbindgen's "both" style gives every struct and enum a tag, as nats.c's header does
/// (`typedef struct jsStreamConfig { ... } jsStreamConfig;`), but it then also writes
/// `struct X *` wherever the type is used. Uses go back to the typedef name, so prototypes
/// read exactly like nats.c's; only the `typedef` lines keep the tags.
fn untag_references(header: &str) -> String {
    let mut out = String::with_capacity(header.len());
    for line in header.split_inclusive('\n') {
        let code = line.trim_start();
        let definition = code.starts_with("typedef struct ") || code.starts_with("typedef enum ");
        if definition || code.starts_with('*') || code.starts_with("/*") {
            out.push_str(line);
            continue;
        }
        let mut rest = line;
        while let Some(i) = rest.find("struct ") {
            let word_start = !rest[..i].chars().next_back().is_some_and(|c| c.is_alphanumeric() || c == '_');
            out.push_str(&rest[..i]);
            if !word_start {
                out.push_str("struct ");
            }
            rest = &rest[i + "struct ".len()..];
        }
        out.push_str(rest);
    }
    out
}

/// status.h: the three enums of src/status.rs, nothing else from that file.
fn status_h(root: &Path) -> String {
    let mut config = base_config(root);
    config.include_guard = Some("RNATS_STATUS_H".into());
    config.autogen_warning = Some(
        "/* Generated by cbindgen from src/status.rs; do not edit. Run scripts/update-headers.sh. */"
            .into(),
    );
    config.sys_includes.clear();
    config.includes.clear();
    config.after_includes = Some(
        "\n#if defined(NATS_CONN_STATUS_NO_PREFIX)\n\
         /* Deprecated unprefixed names of the connection states. */\n\
         #define DISCONNECTED  NATS_CONN_STATUS_DISCONNECTED\n\
         #define CONNECTING    NATS_CONN_STATUS_CONNECTING\n\
         #define CONNECTED     NATS_CONN_STATUS_CONNECTED\n\
         #define CLOSED        NATS_CONN_STATUS_CLOSED\n\
         #define RECONNECTING  NATS_CONN_STATUS_RECONNECTING\n\
         #define DRAINING_SUBS NATS_CONN_STATUS_DRAINING_SUBS\n\
         #define DRAINING_PUBS NATS_CONN_STATUS_DRAINING_PUBS\n\
         #endif\n"
            .into(),
    );
    config.export.include = vec!["natsStatus".into(), "natsConnStatus".into(), "jsErrCode".into()];
    config.export.exclude.clear();
    // Only the enums: no constants, functions or other types from that file.
    config.export.item_types = vec![cbindgen::ItemType::Enums];
    let builder = cbindgen::Builder::new()
        .with_config(config)
        .with_src(root.join("src/status.rs"));
    render(builder, "status.h")
}

fn version_h(version: &str) -> String {
    let mut parts = version.split(['.', '-', '+']);
    let mut next = || parts.next().unwrap_or("0").to_string();
    let (major, minor, patch) = (next(), next(), next());
    format!(
        "/*
 * rnats: the NATS client for C, written in Rust.
 * API and ABI compatible with the core (non-JetStream) API of nats.c 3.4.1.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef RNATS_VERSION_H
#define RNATS_VERSION_H

/* Generated by build.rs; do not edit. Run scripts/update-headers.sh. */

/* Version of the nats.c API this library implements. */
#define NATS_VERSION_MAJOR 3
#define NATS_VERSION_MINOR 4
#define NATS_VERSION_PATCH 1
#define NATS_VERSION_STRING \"3.4.1\"
#define NATS_VERSION_NUMBER ((NATS_VERSION_MAJOR << 16) | (NATS_VERSION_MINOR << 8) | NATS_VERSION_PATCH)
/* Oldest header version (as a number) this library accepts, see nats_CheckCompatibility(). */
#define NATS_VERSION_REQUIRED_NUMBER 0x030400

/* Version of rnats itself. */
#define RNATS_VERSION_MAJOR {major}
#define RNATS_VERSION_MINOR {minor}
#define RNATS_VERSION_PATCH {patch}
#define RNATS_VERSION_STRING \"{version}\"

#endif  /* RNATS_VERSION_H */
"
    )
}

/// Names from REQUIRED_TYPES that no `struct NAME` / `type NAME` / `enum NAME` under `dir`
/// declares (comments ignored).
fn missing_types(dir: &Path) -> Vec<&'static str> {
    let mut words = Vec::new();
    collect_words(dir, &mut words);
    let declared = |name: &str| {
        words
            .windows(2)
            .any(|w| matches!(w[0].as_str(), "struct" | "type" | "enum") && w[1] == name)
    };
    REQUIRED_TYPES.iter().map(|(n, _)| *n).filter(|n| !declared(n)).collect()
}

fn collect_words(dir: &Path, words: &mut Vec<String>) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            collect_words(&path, words);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = fs::read_to_string(&path).unwrap_or_default();
            for line in text.lines() {
                let code = line.split("//").next().unwrap_or("");
                words.extend(
                    code.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                        .filter(|w| !w.is_empty())
                        .map(str::to_string),
                );
            }
        }
    }
}

fn write_if_changed(path: &Path, text: &str) {
    if fs::read_to_string(path).ok().as_deref() != Some(text) {
        fs::write(path, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    }
}
