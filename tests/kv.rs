//! The Key/Value core against a real JetStream server (`nats-server -js -sd <tmp>`).

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::js::{js_server_in, TempDir};
use common::{free_port, Server};
use nats::conn::Connection;
use nats::js::{Context, ContextOptions};
use nats::kv::{BucketConfig, Operation, PurgeOptions, StorageType, Store, WatchOptions};
use nats::options::Options;
use nats::status::natsStatus;

fn connect(url: &str, reconnect: bool) -> Connection {
    let mut o = Options::default();
    o.set_url(Some(url)).unwrap();
    o.allow_reconnect = reconnect;
    o.max_reconnect = -1;
    o.reconnect_wait_ms = 100;
    let c = Connection::new(o);
    c.connect().expect("connect");
    c
}

fn ctx(c: &Connection) -> Context {
    Context::new(c.clone(), &ContextOptions::default()).unwrap()
}

fn bucket(ctx: &Context, name: &str, history: u8) -> Store {
    Store::create(ctx, &BucketConfig { bucket: name.into(), history, ..Default::default() }).expect("create bucket")
}

#[test]
fn put_get_update_create_delete_purge() {
    let dir = TempDir::new("basic");
    let srv = js_server_in(&dir);
    let c = connect(&srv.url(), false);
    let ctx = ctx(&c);
    let kv = bucket(&ctx, "basic", 10);
    assert!(kv.uses_direct_get());
    assert_eq!(kv.bucket(), "basic");

    let r1 = kv.put("a", b"one").unwrap();
    assert_eq!(r1, 1);
    let e = kv.get("a", 0).unwrap();
    assert_eq!((e.key.as_str(), e.value.as_slice(), e.revision, e.operation), ("a", &b"one"[..], 1, Operation::Put));
    assert_eq!(e.bucket, "basic");
    let age = nats::kv::time::now_ns() - e.created;
    assert!((0..10_000_000_000).contains(&age), "created {} is not about now", e.created);

    // Update needs the latest revision.
    let r2 = kv.update("a", b"two", r1).unwrap();
    assert_eq!(r2, 2);
    let e = kv.update("a", b"three", r1).unwrap_err();
    assert_eq!((e.status(), e.code), (natsStatus::NATS_ERR, 10071), "{e}");
    assert!(e.err.text.contains("wrong last sequence"), "{e}");
    // Create only when the key does not exist.
    let e = kv.create_key("a", b"x").unwrap_err();
    assert_eq!((e.status(), e.code), (natsStatus::NATS_ERR, 10071));
    assert_eq!(kv.create_key("b", b"bee").unwrap(), 3);

    // Revisions.
    assert_eq!(kv.get("a", 1).unwrap().value, b"one");
    assert_eq!(kv.get("a", 3).unwrap_err().status(), natsStatus::NATS_NOT_FOUND, "revision 3 is b's");
    assert_eq!(kv.get("a", 99).unwrap_err().status(), natsStatus::NATS_NOT_FOUND);
    assert_eq!(kv.get("zz", 0).unwrap_err().status(), natsStatus::NATS_NOT_FOUND);

    // Delete: a marker; Get says not found; Create works again on top of the marker.
    kv.delete("a").unwrap();
    assert_eq!(kv.get("a", 0).unwrap_err().status(), natsStatus::NATS_NOT_FOUND);
    let m = kv.entry("a", 0).unwrap();
    assert_eq!(m.operation, Operation::Delete);
    assert!(m.value.is_empty());
    let r = kv.create_key("a", b"again").unwrap();
    assert_eq!(kv.get("a", 0).unwrap().revision, r);

    // History: every revision, markers included.
    let h = kv.history("a", None).unwrap();
    let ops: Vec<_> = h.iter().map(|e| (e.value.clone(), e.operation)).collect();
    assert_eq!(
        ops,
        vec![
            (b"one".to_vec(), Operation::Put),
            (b"two".to_vec(), Operation::Put),
            (vec![], Operation::Delete),
            (b"again".to_vec(), Operation::Put)
        ]
    );
    assert_eq!(h.last().unwrap().delta, 0);
    assert_eq!(h[0].delta, 3);
    let h = kv.history("a", Some(&WatchOptions { ignore_deletes: true, ..Default::default() })).unwrap();
    assert_eq!(h.len(), 3);
    assert_eq!(kv.history("nothing", None).unwrap_err().status(), natsStatus::NATS_NOT_FOUND);

    // Purge: one purge marker remains.
    kv.purge("a", None).unwrap();
    let h = kv.history("a", None).unwrap();
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].operation, Operation::Purge);
    assert_eq!(kv.get("a", 0).unwrap_err().status(), natsStatus::NATS_NOT_FOUND);

    // Keys: live keys only.
    kv.put("c.d", b"x").unwrap();
    kv.put("e", b"x").unwrap();
    kv.delete("e").unwrap();
    let mut keys = kv.keys(None).unwrap();
    keys.sort();
    assert_eq!(keys, vec!["b", "c.d"]);

    let st = kv.status().unwrap();
    assert_eq!((st.bucket.as_str(), st.history, st.ttl, st.replicas), ("basic", 10, 0, 1));
    assert_eq!(st.values, 5, "b, purge marker of a, c.d, e, delete marker of e");

    c.destroy();
}

#[test]
fn values_binary_empty_and_size_limit() {
    let dir = TempDir::new("values");
    let srv = js_server_in(&dir);
    let c = connect(&srv.url(), false);
    let ctx = ctx(&c);
    let kv = Store::create(&ctx, &BucketConfig { bucket: "vals".into(), max_value_size: 1024, storage: StorageType::Memory, ..Default::default() })
        .unwrap();
    let bin: Vec<u8> = (0..=255u8).chain(0..=255u8).collect();
    kv.put("bin", &bin).unwrap();
    assert_eq!(kv.get("bin", 0).unwrap().value, bin);
    kv.put("empty", b"").unwrap();
    let e = kv.get("empty", 0).unwrap();
    assert!(e.value.is_empty());
    assert_eq!(e.operation, Operation::Put);
    let max = vec![7u8; 1024];
    kv.put("max", &max).unwrap();
    assert_eq!(kv.get("max", 0).unwrap().value, max);
    let e = kv.put("big", &vec![7u8; 1025]).unwrap_err();
    assert_eq!(e.status(), natsStatus::NATS_ERR, "{e}");
    assert_eq!(kv.get("big", 0).unwrap_err().status(), natsStatus::NATS_NOT_FOUND);
    for key in ["a/b\\c=d_e-f.g", "0", "Z"] {
        kv.put(key, key.as_bytes()).unwrap();
        assert_eq!(kv.get(key, 0).unwrap().value, key.as_bytes());
    }
    c.destroy();
}

#[test]
fn invalid_names_and_missing_buckets() {
    let dir = TempDir::new("names");
    let srv = js_server_in(&dir);
    let c = connect(&srv.url(), false);
    let ctx = ctx(&c);
    for bad in ["", "a.b", "a b", "a*", ">"] {
        let e = Store::create(&ctx, &BucketConfig { bucket: bad.into(), ..Default::default() }).unwrap_err();
        assert_eq!((e.status(), e.err.text.as_str()), (natsStatus::NATS_INVALID_ARG, "invalid bucket name"), "{bad}");
        assert_eq!(Store::bind(&ctx, bad).unwrap_err().status(), natsStatus::NATS_INVALID_ARG);
        assert_eq!(Store::delete_bucket(&ctx, bad).unwrap_err().status(), natsStatus::NATS_INVALID_ARG);
    }
    let e = Store::create(&ctx, &BucketConfig { bucket: "h".into(), history: 65, ..Default::default() }).unwrap_err();
    assert_eq!(e.status(), natsStatus::NATS_INVALID_ARG);
    assert_eq!(Store::bind(&ctx, "missing").unwrap_err().status(), natsStatus::NATS_NOT_FOUND);
    assert_eq!(Store::delete_bucket(&ctx, "missing").unwrap_err().status(), natsStatus::NATS_NOT_FOUND);

    let kv = bucket(&ctx, "names", 1);
    for bad in ["", ".a", "a.", "a..b", "a b", "a*", "a.>", "é"] {
        assert_eq!(kv.put(bad, b"x").unwrap_err().status(), natsStatus::NATS_INVALID_ARG, "{bad}");
        assert_eq!(kv.get(bad, 0).unwrap_err().status(), natsStatus::NATS_INVALID_ARG, "{bad}");
        assert_eq!(kv.delete(bad).unwrap_err().status(), natsStatus::NATS_INVALID_ARG, "{bad}");
        assert_eq!(kv.create_key(bad, b"x").unwrap_err().err.text, "invalid key", "{bad}");
    }
    // The same configuration again binds; a different one is refused.
    bucket(&ctx, "names", 1).put("k", b"v").unwrap();
    let e = Store::create(&ctx, &BucketConfig { bucket: "names".into(), history: 3, ..Default::default() }).unwrap_err();
    assert_eq!((e.status(), e.err.text.as_str()), (natsStatus::NATS_ERR, "Existing configuration is different"));
    // A stream that is not a bucket (no per-subject limit).
    ctx.request_ok::<serde_json::Value>("STREAM.CREATE.KV_plain", br#"{"name":"KV_plain","subjects":["plain.>"]}"#).unwrap();
    let e = Store::bind(&ctx, "plain").unwrap_err();
    assert_eq!((e.status(), e.err.text.as_str()), (natsStatus::NATS_INVALID_ARG, "bucket not valid key-value store"));

    Store::delete_bucket(&ctx, "names").unwrap();
    assert_eq!(Store::bind(&ctx, "names").unwrap_err().status(), natsStatus::NATS_NOT_FOUND);
    c.destroy();
}

#[test]
fn without_direct_get_reads_go_through_stream_msg_get() {
    let dir = TempDir::new("nodirect");
    let srv = js_server_in(&dir);
    let c = connect(&srv.url(), false);
    let ctx = ctx(&c);
    ctx.request_ok::<serde_json::Value>(
        "STREAM.CREATE.KV_nd",
        br#"{"name":"KV_nd","subjects":["$KV.nd.>"],"max_msgs_per_subject":5,"allow_rollup_hdrs":true,"deny_delete":true}"#,
    )
    .unwrap();
    let kv = Store::bind(&ctx, "nd").unwrap();
    assert!(!kv.uses_direct_get());
    kv.put("k", b"\x00bin\xff").unwrap();
    let r = kv.put("k", b"v2").unwrap();
    let e = kv.get("k", 0).unwrap();
    assert_eq!((e.value.as_slice(), e.revision), (&b"v2"[..], r));
    assert!((nats::kv::time::now_ns() - e.created).abs() < 10_000_000_000);
    assert_eq!(kv.get("k", 1).unwrap().value, b"\x00bin\xff");
    assert_eq!(kv.get("other", 0).unwrap_err().status(), natsStatus::NATS_NOT_FOUND);
    kv.delete("k").unwrap();
    assert_eq!(kv.get("k", 0).unwrap_err().status(), natsStatus::NATS_NOT_FOUND);
    assert_eq!(kv.entry("k", 0).unwrap().operation, Operation::Delete);
    c.destroy();
}

#[test]
fn watchers() {
    let dir = TempDir::new("watch");
    let srv = js_server_in(&dir);
    let c = connect(&srv.url(), false);
    let ctx = ctx(&c);
    let kv = bucket(&ctx, "w", 5);

    // Nothing yet: the end-of-initial-values marker comes at once.
    let w = kv.watch(">", &WatchOptions::default()).unwrap();
    assert!(w.next(1000).unwrap().is_none());
    assert_eq!(w.next(100).unwrap_err().status(), natsStatus::NATS_TIMEOUT);
    kv.put("a", b"1").unwrap();
    let e = w.next(2000).unwrap().unwrap();
    assert_eq!((e.key.as_str(), e.value.as_slice(), e.delta), ("a", &b"1"[..], 0));
    w.stop();
    assert_eq!(w.next(100).unwrap_err().status(), natsStatus::NATS_ILLEGAL_STATE);
    w.stop();

    kv.put("a", b"2").unwrap();
    kv.put("b.x", b"3").unwrap();
    kv.put("b.y", b"4").unwrap();
    kv.delete("b.y").unwrap();

    // Latest values first, then the marker, then live updates.
    let w = kv.watch(">", &WatchOptions::default()).unwrap();
    let mut got = vec![];
    while let Some(e) = w.next(2000).unwrap() {
        got.push((e.key, e.value, e.operation));
    }
    assert_eq!(
        got,
        vec![
            ("a".to_string(), b"2".to_vec(), Operation::Put),
            ("b.x".to_string(), b"3".to_vec(), Operation::Put),
            ("b.y".to_string(), vec![], Operation::Delete)
        ]
    );
    kv.put("c", b"5").unwrap();
    let e = w.next(2000).unwrap().unwrap();
    assert_eq!((e.key.as_str(), e.revision), ("c", 6));

    // A subset with wildcards, ignoring deletes, values left out.
    let w2 = kv.watch("b.*", &WatchOptions { ignore_deletes: true, meta_only: true, ..Default::default() }).unwrap();
    let e = w2.next(2000).unwrap().unwrap();
    assert_eq!((e.key.as_str(), e.value.len(), e.revision), ("b.x", 0, 3));
    assert!(w2.next(2000).unwrap().is_none(), "b.y's marker is skipped, and the marker comes");
    kv.put("b.z", b"big value").unwrap();
    kv.put("q", b"not watched").unwrap();
    let e = w2.next(2000).unwrap().unwrap();
    assert_eq!((e.key.as_str(), e.value.len()), ("b.z", 0));
    assert_eq!(w2.next(200).unwrap_err().status(), natsStatus::NATS_TIMEOUT);

    // Include history: every revision of a.
    let w3 = kv.watch("a", &WatchOptions { include_history: true, ..Default::default() }).unwrap();
    let vals: Vec<_> = (0..2).map(|_| w3.next(2000).unwrap().unwrap().value).collect();
    assert_eq!(vals, vec![b"1".to_vec(), b"2".to_vec()]);
    assert!(w3.next(2000).unwrap().is_none());

    // Stop wakes a blocked next().
    let w4 = w3.clone();
    let t = std::thread::spawn(move || {
        let start = Instant::now();
        let r = w4.next(20_000);
        (r.map(|_| ()).unwrap_err().status(), start.elapsed())
    });
    std::thread::sleep(Duration::from_millis(300));
    w3.stop();
    let (status, took) = t.join().unwrap();
    assert_eq!(status, natsStatus::NATS_ILLEGAL_STATE);
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert_eq!(w.next(0).unwrap_err().status(), natsStatus::NATS_INVALID_ARG);
    drop(w);
    drop(w2);
    c.destroy();
}

#[test]
fn many_updates_arrive_in_order_with_flow_control() {
    let dir = TempDir::new("many");
    let srv = js_server_in(&dir);
    let c = connect(&srv.url(), false);
    let ctx = ctx(&c);
    // History 64 keeps every revision (60 per key), so even a recreated consumer must give
    // them all, in order.
    let kv = bucket(&ctx, "many", 64);
    let w = kv.watch(">", &WatchOptions::default()).unwrap();
    assert!(w.next(1000).unwrap().is_none());
    let value = vec![b'x'; 4000];
    let n = 3000;
    let producer = {
        let kv = kv.clone();
        let value = value.clone();
        std::thread::spawn(move || {
            for i in 0..n {
                kv.put(&format!("k{}", i % 50), &value).unwrap();
            }
        })
    };
    for i in 1..=n {
        let e = w.next(5000).unwrap_or_else(|e| panic!("update {i}: {e}")).unwrap();
        assert_eq!(e.revision, i as u64);
    }
    producer.join().unwrap();
    eprintln!("consumer recreated {} times", w.resets());
    c.destroy();
}

#[test]
fn purge_deletes_removes_old_markers() {
    let dir = TempDir::new("pd");
    let srv = js_server_in(&dir);
    let c = connect(&srv.url(), false);
    let ctx = ctx(&c);
    let kv = bucket(&ctx, "pd", 5);
    kv.put("a", b"1").unwrap();
    kv.put("a", b"2").unwrap();
    kv.delete("a").unwrap();
    kv.put("b", b"1").unwrap();
    kv.purge("b", None).unwrap();
    kv.put("c", b"1").unwrap();
    assert_eq!(kv.status().unwrap().values, 5);
    // Markers younger than the default 30 minutes stay; the values under them go.
    kv.purge_deletes(None).unwrap();
    assert_eq!(kv.status().unwrap().values, 3);
    assert_eq!(kv.history("a", None).unwrap().len(), 1);
    // A negative limit removes every marker.
    kv.purge_deletes(Some(&PurgeOptions { delete_markers_older_than: -1, ..Default::default() })).unwrap();
    assert_eq!(kv.status().unwrap().values, 1);
    assert_eq!(kv.history("a", None).unwrap_err().status(), natsStatus::NATS_NOT_FOUND);
    assert_eq!(kv.keys(None).unwrap(), vec!["c"]);
    c.destroy();
}

/// A server on a fixed port and store directory, to be killed and started again.
fn spawn_on(port: u16, dir: &TempDir) -> Child {
    let bin = std::env::var("NATS_SERVER").unwrap_or_else(|_| "nats-server".to_string());
    let child = Command::new(bin)
        .args(["-a", "127.0.0.1", "-p", &port.to_string(), "-js", "-sd", dir.path().to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "server did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

#[test]
fn watcher_survives_a_server_restart_without_gap_or_duplicate() {
    let dir = TempDir::new("restart");
    let port = free_port();
    let mut srv = spawn_on(port, &dir);
    let url = format!("nats://127.0.0.1:{port}");
    let c = connect(&url, true);
    let ctx = ctx(&c);
    let kv = bucket(&ctx, "rs", 1);
    for i in 1..=5u64 {
        kv.put(&format!("k{i}"), format!("{i}").as_bytes()).unwrap();
    }
    let w = kv.watch(">", &WatchOptions::default()).unwrap();
    for i in 1..=5u64 {
        assert_eq!(w.next(2000).unwrap().unwrap().revision, i);
    }
    assert!(w.next(2000).unwrap().is_none());
    kv.put("k6", b"6").unwrap();
    assert_eq!(w.next(2000).unwrap().unwrap().revision, 6);

    let _ = srv.kill();
    let _ = srv.wait();
    srv = spawn_on(port, &dir);
    // Writes from another connection while the watcher's connection reconnects.
    let c2 = connect(&url, false);
    let ctx2 = self::ctx(&c2);
    let deadline = Instant::now() + Duration::from_secs(20);
    let kv2 = loop {
        match Store::bind(&ctx2, "rs") {
            Ok(kv) => break kv,
            Err(e) => {
                assert!(Instant::now() < deadline, "bucket not back: {e}");
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    };
    for i in 7..=12u64 {
        assert_eq!(kv2.put(&format!("k{i}"), b"x").unwrap(), i);
    }
    let start = Instant::now();
    for i in 7..=12u64 {
        let e = w.next(20_000).unwrap_or_else(|e| panic!("revision {i}: {e}")).unwrap();
        assert_eq!(e.revision, i, "no gap, no duplicate");
    }
    assert!(start.elapsed() < Duration::from_secs(15), "{:?}", start.elapsed());
    assert!(w.resets() >= 1, "the consumer was recreated after the restart");
    assert_eq!(w.next(500).unwrap_err().status(), natsStatus::NATS_TIMEOUT);
    kv2.put("k13", b"x").unwrap();
    assert_eq!(w.next(5000).unwrap().unwrap().revision, 13);
    w.stop();
    c.destroy();
    c2.destroy();
    let _ = srv.kill();
    let _ = srv.wait();
}

#[test]
fn watcher_recovers_when_its_consumer_is_deleted() {
    let dir = TempDir::new("cdel");
    let srv = js_server_in(&dir);
    let c = connect(&srv.url(), false);
    let ctx = ctx(&c);
    // History 5: the revisions written meanwhile are all kept (with 1, the new consumer
    // would rightly start at the latest).
    let kv = bucket(&ctx, "cdel", 5);
    kv.put("a", b"1").unwrap();
    let w = kv.watch(">", &WatchOptions::default()).unwrap();
    assert_eq!(w.next(2000).unwrap().unwrap().revision, 1);
    assert!(w.next(2000).unwrap().is_none());
    let names: serde_json::Value = ctx.request_ok("CONSUMER.NAMES.KV_cdel", b"").unwrap();
    let names = names["consumers"].as_array().unwrap().clone();
    assert_eq!(names.len(), 1);
    let _: serde_json::Value = ctx.request_ok(&format!("CONSUMER.DELETE.KV_cdel.{}", names[0].as_str().unwrap()), b"").unwrap();
    for i in 2..=4u64 {
        kv.put("a", format!("{i}").as_bytes()).unwrap();
    }
    let start = Instant::now();
    for i in 2..=4u64 {
        let e = w.next(20_000).unwrap_or_else(|e| panic!("revision {i}: {e}")).unwrap();
        assert_eq!((e.revision, e.value), (i, format!("{i}").into_bytes()));
    }
    assert!(start.elapsed() < Duration::from_secs(15), "{:?}", start.elapsed());
    assert_eq!(w.next(300).unwrap_err().status(), natsStatus::NATS_TIMEOUT);
    assert_eq!(w.resets(), 1);
    // The replaced consumer is gone; only the new one remains.
    let names: serde_json::Value = ctx.request_ok("CONSUMER.NAMES.KV_cdel", b"").unwrap();
    assert_eq!(names["consumers"].as_array().unwrap().len(), 1);
    w.stop();
    c.destroy();
}

#[test]
fn without_jetstream_calls_fail_with_no_responders() {
    let srv = Server::start(&[]);
    let c = connect(&srv.url(), false);
    let ctx = ctx(&c);
    let e = Store::create(&ctx, &BucketConfig { bucket: "x".into(), ..Default::default() }).unwrap_err();
    assert_eq!(e.status(), natsStatus::NATS_NO_RESPONDERS, "{e}");
    assert!(e.err.text.contains("JetStream"), "{e}");
    assert_eq!(Store::bind(&ctx, "x").unwrap_err().status(), natsStatus::NATS_NO_RESPONDERS);
    assert_eq!(Store::delete_bucket(&ctx, "x").unwrap_err().status(), natsStatus::NATS_NO_RESPONDERS);
    c.destroy();
}
