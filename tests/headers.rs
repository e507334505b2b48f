//! The committed headers in include/nats/ must be exactly what build.rs generates from
//! the current sources. When this fails, run `scripts/update-headers.sh` and commit.

use std::fs;
use std::path::{Path, PathBuf};

const HEADERS: &[&str] = &["nats.h", "status.h", "version.h"];

fn generated_dir() -> PathBuf {
    Path::new(env!("RNATS_GENERATED_HEADERS")).join("nats")
}

fn committed_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("include").join("nats")
}

/// First differing line, as a hint in the failure message.
fn first_difference(committed: &str, generated: &str) -> String {
    let (mut c, mut g) = (committed.lines(), generated.lines());
    let mut n = 1;
    loop {
        match (c.next(), g.next()) {
            (None, None) => return "only line endings differ".into(),
            (a, b) if a != b => {
                return format!(
                    "line {n}:\n  committed: {}\n  generated: {}",
                    a.unwrap_or("<end of file>"),
                    b.unwrap_or("<end of file>")
                )
            }
            _ => n += 1,
        }
    }
}

#[test]
fn committed_headers_match_generated() {
    let mut stale = Vec::new();
    for name in HEADERS {
        let generated_path = generated_dir().join(name);
        let generated = fs::read_to_string(&generated_path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", generated_path.display()));
        let committed_path = committed_dir().join(name);
        match fs::read_to_string(&committed_path) {
            Ok(committed) if committed == generated => {}
            Ok(committed) => stale.push(format!(
                "include/nats/{name} differs from the generated header, {}",
                first_difference(&committed, &generated)
            )),
            Err(e) => stale.push(format!("include/nats/{name}: {e}")),
        }
    }
    assert!(
        stale.is_empty(),
        "committed headers are stale:\n{}\n\nRun scripts/update-headers.sh and commit include/ and README.md.",
        stale.join("\n")
    );
}

#[test]
fn no_unexpected_headers_committed() {
    let mut extra: Vec<String> = fs::read_dir(committed_dir())
        .expect("include/nats exists")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".h") && !HEADERS.contains(&n.as_str()))
        .collect();
    extra.sort();
    assert!(
        extra.is_empty(),
        "include/nats/ holds headers build.rs does not generate: {extra:?}; remove them or \
         generate them in build.rs"
    );
}

/// include/nats/adapters/ holds the hand-written event loop adapters (not generated, so
/// neither test above looks at them): they must be there, with nats.c's function names.
#[test]
fn adapters_are_committed() {
    let dir = committed_dir().join("adapters");
    for (file, names) in [
        (
            "libuv.h",
            &["natsLibuv_Init", "natsLibuv_SetThreadLocalLoop", "natsLibuv_Attach", "natsLibuv_Read", "natsLibuv_Write", "natsLibuv_Detach"][..],
        ),
        ("libevent.h", &["natsLibevent_Init", "natsLibevent_Attach", "natsLibevent_Read", "natsLibevent_Write", "natsLibevent_Detach"][..]),
    ] {
        let text = fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("include/nats/adapters/{file}: {e}"));
        for name in names {
            assert!(text.contains(&format!("\n{name}(")), "include/nats/adapters/{file} does not define {name}");
        }
    }
}
