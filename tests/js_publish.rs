//! JetStream publish, synchronous and asynchronous, against a real `nats-server -js`.

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::js::{JsServer, TempDir};
use common::Server;
use nats::conn::Connection;
use nats::js::{Context, ContextOptions, JsError, PubAck, PubOptions, PublishAsyncOptions};
use nats::msg::Msg;
use nats::options::Options;
use nats::status::natsStatus;

fn connect(url: &str) -> Connection {
    let mut o = Options::default();
    o.set_url(Some(url)).unwrap();
    o.allow_reconnect = false;
    let c = Connection::new(o);
    c.connect().expect("connect");
    c
}

fn context(c: &Connection, pa: PublishAsyncOptions) -> Context {
    Context::new(c.clone(), &ContextOptions { publish_async: pa, ..Default::default() }).unwrap()
}

fn add_stream(ctx: &Context, name: &str, subjects: &[&str], storage: &str) {
    let body = serde_json::json!({"name": name, "subjects": subjects, "storage": storage, "duplicate_window": 60_000_000_000i64});
    let _: serde_json::Value = ctx.request_ok(&format!("STREAM.CREATE.{name}"), body.to_string().as_bytes()).unwrap();
}

fn stream_msgs(ctx: &Context, name: &str) -> u64 {
    let v: serde_json::Value = ctx.request_ok(&format!("STREAM.INFO.{name}"), b"").unwrap();
    v["state"]["messages"].as_u64().unwrap()
}

fn opts() -> PubOptions {
    PubOptions::default()
}

#[test]
fn sync_publish_returns_the_ack() {
    let srv = JsServer::start();
    let c = connect(&srv.url());
    let js = context(&c, Default::default());
    add_stream(&js, "ORDERS", &["orders.*"], "memory");
    let a = js.publish("orders.new", b"one", None).unwrap();
    assert_eq!(a, PubAck { stream: "ORDERS".into(), seq: 1, domain: None, duplicate: false });
    let mut m = Msg::new(b"orders.new", None, b"two");
    let a = js.publish_msg(&mut m, None).unwrap();
    assert_eq!((a.stream.as_str(), a.seq, a.duplicate), ("ORDERS", 2, false));
    assert_eq!(stream_msgs(&js, "ORDERS"), 2);
    assert_eq!(c.pending_requests(), 0);
    c.destroy();
}

#[test]
fn msg_id_deduplicates() {
    let srv = JsServer::start();
    let c = connect(&srv.url());
    let js = context(&c, Default::default());
    add_stream(&js, "D", &["d"], "memory");
    let o = PubOptions { msg_id: Some("id-1".into()), ..opts() };
    let a = js.publish("d", b"x", Some(&o)).unwrap();
    assert_eq!((a.seq, a.duplicate), (1, false));
    let a = js.publish("d", b"x", Some(&o)).unwrap();
    assert_eq!((a.seq, a.duplicate), (1, true));
    let mut m = Msg::new(b"d", None, b"y");
    js.publish_msg(&mut m, Some(&o)).unwrap();
    // As nats.c: the options' headers are set on the message itself.
    assert_eq!(m.headers().unwrap().get("Nats-Msg-Id").unwrap().to_str().unwrap(), "id-1");
    assert_eq!(stream_msgs(&js, "D"), 1);
    c.destroy();
}

fn expect_err(r: Result<PubAck, JsError>, code: u16) {
    let e = r.unwrap_err();
    assert_eq!(e.status(), natsStatus::NATS_ERR, "{e:?}");
    assert_eq!(e.code, code, "{e:?}");
    assert!(!e.err.text.is_empty());
}

#[test]
fn expectations_pass_and_fail_with_the_servers_code() {
    let srv = JsServer::start();
    let c = connect(&srv.url());
    let js = context(&c, Default::default());
    add_stream(&js, "E", &["e.*"], "memory");

    // ExpectStream
    js.publish("e.a", b"1", Some(&PubOptions { expect_stream: Some("E".into()), ..opts() })).unwrap();
    expect_err(js.publish("e.a", b"x", Some(&PubOptions { expect_stream: Some("OTHER".into()), ..opts() })), 10060);

    // ExpectLastSeq: the stream holds 1 message.
    js.publish("e.a", b"2", Some(&PubOptions { expect_last_seq: 1, ..opts() })).unwrap();
    expect_err(js.publish("e.a", b"x", Some(&PubOptions { expect_last_seq: 1, ..opts() })), 10071);

    // ExpectLastSubjectSeq: e.a's last is 2; e.b has none.
    js.publish("e.a", b"3", Some(&PubOptions { expect_last_subject_seq: 2, ..opts() })).unwrap();
    expect_err(js.publish("e.a", b"x", Some(&PubOptions { expect_last_subject_seq: 2, ..opts() })), 10071);

    // ExpectNoMessage
    js.publish("e.b", b"4", Some(&PubOptions { expect_no_message: true, ..opts() })).unwrap();
    expect_err(js.publish("e.b", b"x", Some(&PubOptions { expect_no_message: true, ..opts() })), 10071);

    // ExpectLastMsgId
    js.publish("e.c", b"5", Some(&PubOptions { msg_id: Some("m5".into()), ..opts() })).unwrap();
    js.publish("e.c", b"6", Some(&PubOptions { msg_id: Some("m6".into()), expect_last_msg_id: Some("m5".into()), ..opts() }))
        .unwrap();
    expect_err(js.publish("e.c", b"x", Some(&PubOptions { expect_last_msg_id: Some("m5".into()), ..opts() })), 10070);

    assert_eq!(stream_msgs(&js, "E"), 6);
    c.destroy();
}

#[test]
fn no_stream_fails_at_once_with_no_responders() {
    let srv = JsServer::start();
    let c = connect(&srv.url());
    let js = context(&c, Default::default());
    let t = Instant::now();
    let e = js.publish("nothing.here", b"x", Some(&PubOptions { max_wait_ms: 3000, ..opts() })).unwrap_err();
    assert_eq!(e.status(), natsStatus::NATS_NO_RESPONDERS);
    assert_eq!(e.code, 10076);
    assert!(t.elapsed() < Duration::from_millis(1000), "{:?}", t.elapsed());
    c.destroy();
}

#[test]
fn bad_arguments() {
    let srv = JsServer::start();
    let c = connect(&srv.url());
    let js = context(&c, Default::default());
    assert_eq!(js.publish("", b"x", None).unwrap_err().status(), natsStatus::NATS_INVALID_ARG);
    let o = PubOptions { max_wait_ms: -1, ..opts() };
    assert_eq!(js.publish("a", b"x", Some(&o)).unwrap_err().status(), natsStatus::NATS_INVALID_ARG);
    assert_eq!(js.publish_async_complete(Some(&o)).unwrap_err().status(), natsStatus::NATS_INVALID_ARG);
    let bad = PublishAsyncOptions { stall_wait_ms: -1, ..Default::default() };
    let e = Context::new(c.clone(), &ContextOptions { publish_async: bad, ..Default::default() }).unwrap_err();
    assert_eq!(e.status(), natsStatus::NATS_INVALID_ARG);
    // Waits too long to compute a deadline from are as good as no limit.
    let huge = PubOptions { max_wait_ms: i64::MAX, ..opts() };
    assert_eq!(js.publish("nothing", b"x", Some(&huge)).unwrap_err().status(), natsStatus::NATS_NO_RESPONDERS);
    // Nothing published asynchronously: complete at once, no pending list.
    js.publish_async_complete(None).unwrap();
    assert_eq!(js.publish_async_pending().unwrap_err().status(), natsStatus::NATS_NOT_FOUND);
    c.destroy();
}

#[test]
fn sync_publish_without_jetstream_is_no_responders() {
    let srv = Server::start(&[]);
    let c = connect(&srv.url());
    let js = context(&c, Default::default());
    let e = js.publish("a", b"x", None).unwrap_err();
    assert_eq!((e.status(), e.code), (natsStatus::NATS_NO_RESPONDERS, 10076));
    c.destroy();
}

/// Outcomes seen by an ack handler, per message payload.
#[derive(Default)]
struct Seen {
    ok: Mutex<HashMap<Vec<u8>, PubAck>>,
    err: Mutex<HashMap<Vec<u8>, JsError>>,
    calls: AtomicUsize,
    threads: Mutex<Vec<String>>,
}

fn recording(seen: &Arc<Seen>) -> nats::js::AckHandler {
    let s = Arc::clone(seen);
    Arc::new(move |_h, msg: Msg, r: Result<PubAck, JsError>| {
        s.calls.fetch_add(1, Ordering::SeqCst);
        let name = std::thread::current().name().unwrap_or("").to_string();
        s.threads.lock().unwrap().push(name);
        let key = msg.data().to_vec();
        match r {
            Ok(a) => assert!(s.ok.lock().unwrap().insert(key, a).is_none(), "two outcomes for one message"),
            Err(e) => assert!(s.err.lock().unwrap().insert(key, e).is_none(), "two outcomes for one message"),
        }
    })
}

#[test]
fn async_handlers_run_once_per_message_off_the_event_loop() {
    let srv = JsServer::start();
    let c = connect(&srv.url());
    let seen = Arc::new(Seen::default());
    let js = context(&c, PublishAsyncOptions { max_pending: 64, handler: Some(recording(&seen)), ..Default::default() });
    add_stream(&js, "A", &["a.*"], "memory");
    let n = 1000;
    for i in 0..n {
        let m = Msg::new(b"a.x", None, format!("{i}").as_bytes());
        js.publish_async(m, None).map_err(|(e, _)| e).unwrap();
    }
    // One failing expectation and one subject without a stream.
    let bad = PubOptions { expect_stream: Some("NOPE".into()), ..opts() };
    js.publish_async(Msg::new(b"a.x", None, b"bad"), Some(&bad)).map_err(|(e, _)| e).unwrap();
    js.publish_async(Msg::new(b"nostream", None, b"lost"), None).map_err(|(e, _)| e).unwrap();
    js.publish_async(Msg::new(b"a.x", None, b"long"), Some(&PubOptions { max_wait_ms: i64::MAX, ..opts() }))
        .map_err(|(e, _)| e)
        .unwrap();
    js.publish_async_complete(Some(&PubOptions { max_wait_ms: i64::MAX, ..opts() })).unwrap();
    assert_eq!(js.publish_async_in_flight(), 0);
    assert_eq!(seen.calls.load(Ordering::SeqCst), n + 3);
    let ok = seen.ok.lock().unwrap();
    assert_eq!(ok.len(), n + 1);
    let mut seqs: Vec<u64> = ok.values().map(|a| a.seq).collect();
    seqs.sort();
    assert_eq!(seqs, (1..=n as u64 + 1).collect::<Vec<_>>());
    let err = seen.err.lock().unwrap();
    let e = &err[&b"bad".to_vec()];
    assert_eq!((e.status(), e.code), (natsStatus::NATS_ERR, 10060));
    assert_eq!(err[&b"lost".to_vec()].status(), natsStatus::NATS_NO_RESPONDERS);
    assert!(seen.threads.lock().unwrap().iter().all(|t| t == "nats-js-acks"));
    assert_eq!(stream_msgs(&js, "A"), n as u64 + 1);
    c.destroy();
}

#[test]
fn async_window_stalls_then_fails_with_timeout() {
    let srv = JsServer::start();
    let c = connect(&srv.url());
    // A handler that holds the window shut until released.
    let gate = Arc::new(Mutex::new(()));
    let held = gate.lock().unwrap();
    let g = Arc::clone(&gate);
    let calls = Arc::new(AtomicUsize::new(0));
    let k = Arc::clone(&calls);
    let handler: nats::js::AckHandler = Arc::new(move |_, _m, r| {
        drop(g.lock().unwrap());
        assert!(r.is_ok());
        k.fetch_add(1, Ordering::SeqCst);
    });
    let js = context(&c, PublishAsyncOptions { max_pending: 3, handler: Some(handler), stall_wait_ms: 300 });
    add_stream(&js, "W", &["w"], "memory");
    for i in 0..3 {
        js.publish_async(Msg::new(b"w", None, format!("{i}").as_bytes()), None).map_err(|(e, _)| e).unwrap();
    }
    let t = Instant::now();
    let (e, back) = js.publish_async(Msg::new(b"w", None, b"fourth"), None).unwrap_err();
    let took = t.elapsed();
    assert_eq!(e.status(), natsStatus::NATS_TIMEOUT);
    assert_eq!(back.data(), b"fourth", "the caller gets its message back");
    assert!(took >= Duration::from_millis(280) && took < Duration::from_millis(2000), "{took:?}");
    assert_eq!(js.publish_async_in_flight(), 3);
    // Complete with a short MaxWait times out while the handler is held.
    let e = js.publish_async_complete(Some(&PubOptions { max_wait_ms: 100, ..opts() })).unwrap_err();
    assert_eq!(e.status(), natsStatus::NATS_TIMEOUT);
    drop(held);
    js.publish_async_complete(Some(&PubOptions { max_wait_ms: 5000, ..opts() })).unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    // With room again, a publish goes through at once.
    js.publish_async(back, None).map_err(|(e, _)| e).unwrap();
    js.publish_async_complete(None).unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 4);
    c.destroy();
}

#[test]
fn async_max_wait_times_out_each_message_once() {
    // A subscriber that never answers stands in for a stream that does not ack.
    let srv = JsServer::start();
    let c = connect(&srv.url());
    let silent = c.subscribe_sync("quiet", None).unwrap();
    c.flush(1000).unwrap();
    let seen = Arc::new(Seen::default());
    let js = context(&c, PublishAsyncOptions { handler: Some(recording(&seen)), ..Default::default() });
    let o = PubOptions { max_wait_ms: 200, ..opts() };
    for i in 0..10 {
        js.publish_async(Msg::new(b"quiet", None, format!("{i}").as_bytes()), Some(&o)).map_err(|(e, _)| e).unwrap();
    }
    let t = Instant::now();
    js.publish_async_complete(Some(&PubOptions { max_wait_ms: 5000, ..opts() })).unwrap();
    assert!(t.elapsed() < Duration::from_millis(1500));
    assert_eq!(seen.calls.load(Ordering::SeqCst), 10);
    assert!(seen.err.lock().unwrap().values().all(|e| e.status() == natsStatus::NATS_TIMEOUT));
    assert_eq!(silent.next_msg(1000).unwrap().data(), b"0");
    c.destroy();
}

#[test]
fn pending_list_hands_back_unacknowledged_messages() {
    let srv = JsServer::start();
    let c = connect(&srv.url());
    let _silent = c.subscribe_sync("quiet.*", None).unwrap();
    c.flush(1000).unwrap();
    let seen = Arc::new(Seen::default());
    let js = context(&c, PublishAsyncOptions { handler: Some(recording(&seen)), ..Default::default() });
    for i in 0..5 {
        js.publish_async(Msg::new(b"quiet.x", None, format!("{i}").as_bytes()), None).map_err(|(e, _)| e).unwrap();
    }
    c.flush(1000).unwrap();
    let pending = js.publish_async_pending().unwrap();
    let data: Vec<&[u8]> = pending.iter().map(|m| m.data()).collect();
    assert_eq!(data, vec![&b"0"[..], b"1", b"2", b"3", b"4"]);
    assert_eq!(js.publish_async_in_flight(), 0);
    assert_eq!(js.publish_async_pending().unwrap_err().status(), natsStatus::NATS_NOT_FOUND);
    js.publish_async_complete(Some(&PubOptions { max_wait_ms: 100, ..opts() })).unwrap();
    assert_eq!(seen.calls.load(Ordering::SeqCst), 0);
    c.destroy();
}

#[test]
fn destroy_drops_in_flight_messages_and_stops_handlers() {
    let srv = JsServer::start();
    let c = connect(&srv.url());
    let _silent = c.subscribe_sync("quiet", None).unwrap();
    c.flush(1000).unwrap();
    let seen = Arc::new(Seen::default());
    let js = context(&c, PublishAsyncOptions { handler: Some(recording(&seen)), ..Default::default() });
    let o = PubOptions { max_wait_ms: 100, ..opts() };
    for i in 0..5 {
        js.publish_async(Msg::new(b"quiet", None, format!("{i}").as_bytes()), Some(&o)).map_err(|(e, _)| e).unwrap();
    }
    js.async_state().destroy();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(seen.calls.load(Ordering::SeqCst), 0, "no handler after destroy");
    let (e, _) = js.publish_async(Msg::new(b"quiet", None, b"late"), None).unwrap_err();
    assert_eq!(e.status(), natsStatus::NATS_ILLEGAL_STATE);
    c.destroy();
}

#[test]
fn async_memory_follows_the_window() {
    let srv = JsServer::start();
    let c = connect(&srv.url());
    let js = context(&c, PublishAsyncOptions { max_pending: 100, stall_wait_ms: 5000, ..Default::default() });
    add_stream(&js, "M", &["m"], "memory");
    let max_seen = Arc::new(AtomicUsize::new(0));
    for i in 0..5000 {
        let o = PubOptions { max_wait_ms: 5000, ..opts() };
        js.publish_async(Msg::new(b"m", None, format!("{i}").as_bytes()), Some(&o)).map_err(|(e, _)| e).unwrap();
        max_seen.fetch_max(js.publish_async_in_flight(), Ordering::Relaxed);
    }
    js.publish_async_complete(Some(&PubOptions { max_wait_ms: 10_000, ..opts() })).unwrap();
    assert!(max_seen.load(Ordering::Relaxed) <= 100);
    assert_eq!(stream_msgs(&js, "M"), 5000);
    c.destroy();
}

#[test]
fn server_restart_mid_async_publish_reports_every_message() {
    let dir = TempDir::new("jspub");
    let args = ["-js", "-sd", dir.path().to_str().unwrap()];
    let srv = Server::start(&args);
    let port = srv.port;
    let mut o = Options::default();
    o.set_url(Some(&srv.url())).unwrap();
    o.reconnect_wait_ms = 50;
    o.reconnect_jitter_ms = 0;
    o.max_reconnect = -1;
    o.reconnect_buf_size = 64 * 1024 * 1024;
    let c = Connection::new(o);
    c.connect().unwrap();
    let seen = Arc::new(Seen::default());
    let js = Context::new(
        c.clone(),
        &ContextOptions {
            wait_ms: 1500,
            publish_async: PublishAsyncOptions { max_pending: 256, handler: Some(recording(&seen)), stall_wait_ms: 10_000 },
            ..Default::default()
        },
    )
    .unwrap();
    add_stream(&js, "R", &["r"], "file");
    let total = Arc::new(AtomicUsize::new(0));
    let publisher = {
        let js = js.clone();
        let total = Arc::clone(&total);
        std::thread::spawn(move || {
            let start = Instant::now();
            let mut i = 0;
            while start.elapsed() < Duration::from_secs(3) {
                let o = PubOptions { msg_id: Some(format!("m{i}")), ..PubOptions::default() };
                match js.publish_async(Msg::new(b"r", None, format!("{i}").as_bytes()), Some(&o)) {
                    Ok(()) => {
                        total.fetch_add(1, Ordering::SeqCst);
                    }
                    // A full window while the server is away: the message is ours again.
                    Err((e, _)) => assert_eq!(e.status(), natsStatus::NATS_TIMEOUT, "{e:?}"),
                }
                i += 1;
            }
        })
    };
    std::thread::sleep(Duration::from_millis(700));
    srv.kill();
    std::thread::sleep(Duration::from_millis(300));
    let _srv2 = Server::start_on(port, &args);
    publisher.join().unwrap();
    js.publish_async_complete(Some(&PubOptions { max_wait_ms: 15_000, ..PubOptions::default() })).unwrap();
    let total = total.load(Ordering::SeqCst);
    assert!(total > 0);
    let ok = seen.ok.lock().unwrap().len();
    let err = seen.err.lock().unwrap();
    assert_eq!(seen.calls.load(Ordering::SeqCst), total, "one outcome per message");
    assert_eq!(ok + err.len(), total);
    for e in err.values() {
        assert!(
            matches!(e.status(), natsStatus::NATS_TIMEOUT | natsStatus::NATS_NO_RESPONDERS),
            "unexpected outcome {e:?}"
        );
    }
    assert!(ok > 0);
    c.destroy();
}
