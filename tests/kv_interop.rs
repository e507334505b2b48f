//! Key/Value interoperability with nats.c 3.4.1: a C program built against Debian's libnats
//! (pkg-config libnats) writes a bucket and reads one back, once with that library and once
//! with ours in its place (LD_LIBRARY_PATH, same SONAME), in both directions; the Rust core
//! reads what nats.c wrote. Skipped (with a note) when gcc or libnats-dev is missing.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::Server;
use nats::conn::Connection;
use nats::js::{Context, ContextOptions};
use nats::kv::{Operation, Store};
use nats::options::Options;

fn pkg_config_libnats() -> Option<Vec<String>> {
    let out = Command::new("pkg-config").args(["--cflags", "--libs", "libnats"]).output().ok()?;
    if !out.status.success() {
        return None;
    }
    Some(String::from_utf8_lossy(&out.stdout).split_whitespace().map(str::to_string).collect())
}

/// The directory holding this build's libnats.so (target/<profile>).
fn our_lib_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().and_then(Path::parent).unwrap().to_path_buf()
}

fn run(prog: &Path, lib_dir: Option<&Path>, args: &[&str]) -> String {
    let mut cmd = Command::new(prog);
    cmd.args(args);
    if let Some(d) = lib_dir {
        cmd.env("LD_LIBRARY_PATH", d);
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{:?} {args:?} failed: {}\n{}",
        prog,
        stdout,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("\nok\n") || stdout.starts_with("ok\n"), "{stdout}");
    stdout
}

#[test]
fn nats_c_and_rnats_read_each_others_buckets() {
    let Some(flags) = pkg_config_libnats() else {
        eprintln!("skipped: pkg-config libnats (libnats-dev) not available");
        return;
    };
    let work = std::env::temp_dir().join(format!("rnats-kv-interop-{}-{}", std::process::id(), nuid::next()));
    std::fs::create_dir_all(&work).unwrap();
    let prog = work.join("kv_interop");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/kv_interop.c");
    let cc = Command::new("gcc").arg("-o").arg(&prog).arg(&src).args(&flags).arg("-ldl").output();
    match cc {
        Ok(o) if o.status.success() => {}
        Ok(o) => panic!("gcc failed: {}", String::from_utf8_lossy(&o.stderr)),
        Err(e) => {
            eprintln!("skipped: gcc not available ({e})");
            return;
        }
    }
    // Our library under nats.c's SONAME, alone in a directory.
    let ours = work.join("lib");
    std::fs::create_dir_all(&ours).unwrap();
    let so = our_lib_dir().join("libnats.so");
    assert!(so.exists(), "{} not built", so.display());
    std::os::unix::fs::symlink(&so, ours.join("libnats.so.3.4")).unwrap();

    let dir = work.join("js");
    let srv = Server::start(&["-js", "-sd", dir.to_str().unwrap()]);
    let url = srv.url();

    // nats.c writes, rnats reads (and updates).
    let out = run(&prog, None, &[&url, "write", "c"]);
    assert!(out.contains("library: /") && !out.contains(work.to_str().unwrap()), "the system's nats.c: {out}");
    let out = run(&prog, Some(&ours), &[&url, "read", "c"]);
    assert!(out.contains(&format!("library: {}", ours.display())) || out.contains(so.to_str().unwrap()), "{out}");
    // rnats writes, nats.c reads (and updates).
    run(&prog, Some(&ours), &[&url, "write", "r"]);
    run(&prog, None, &[&url, "read", "r"]);

    // The Rust core sees both.
    let mut o = Options::default();
    o.set_url(Some(&url)).unwrap();
    let c = Connection::new(o);
    c.connect().unwrap();
    let ctx = Context::new(c.clone(), &ContextOptions::default()).unwrap();
    let kv = Store::bind(&ctx, "interop").unwrap();
    assert_eq!(kv.get("c.key", 0).unwrap().value, b"written by c");
    assert_eq!(kv.get("r.key", 0).unwrap().value, b"written by r");
    assert_eq!(kv.get("c.n", 0).unwrap().value, b"4");
    assert_eq!(kv.get("r.n", 0).unwrap().value, b"4");
    assert_eq!(kv.entry("c.gone", 0).unwrap().operation, Operation::Delete);
    c.destroy();
    drop(srv);
    let _ = std::fs::remove_dir_all(&work);
}
