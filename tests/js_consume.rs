//! JetStream consuming (push, pull, ordered, acks, metadata) against a real nats-server
//! with JetStream enabled.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::security::TempDir;
use common::Server;
use nats::conn::Connection;
use nats::js::ack::{ack, AckKind};
use nats::js::meta;
use nats::js::pull::{fetch, FetchRequest};
use nats::js::consumer::{AckPolicy, DeliverPolicy};
use nats::js::sub_consumer::{self as cons, ConsumerConfig};
use nats::js::subscribe::{subscribe, JsSub, Mode, SubOptions};
use nats::js::{Context, ContextOptions};
use nats::msg::Msg;
use nats::options::Options;
use nats::status::natsStatus;
use nats::sub::Subscription;

fn js_server(dir: &TempDir) -> Server {
    Server::start(&["-js", "-sd", dir.path().to_str().unwrap()])
}

fn connect_with(url: &str, f: impl FnOnce(&mut Options)) -> Connection {
    let mut o = Options::default();
    o.set_url(Some(url)).unwrap();
    f(&mut o);
    let c = Connection::new(o);
    c.connect().expect("connect");
    c
}

fn setup(url: &str) -> (Connection, Context) {
    let c = connect_with(url, |o| o.allow_reconnect = false);
    let ctx = Context::new(c.clone(), &ContextOptions::default()).unwrap();
    (c, ctx)
}

fn add_stream(ctx: &Context, name: &str, subjects: &[&str]) {
    let body = serde_json::json!({"name": name, "subjects": subjects, "storage": "file"});
    let _: serde_json::Value = ctx.request_ok(&format!("STREAM.CREATE.{name}"), body.to_string().as_bytes()).unwrap();
}

fn publish(c: &Connection, subject: &str, n: usize) {
    for i in 0..n {
        let r = c.request(subject, None, format!("m{i}").as_bytes(), 5000).unwrap();
        assert!(std::str::from_utf8(r.data()).unwrap().contains("\"seq\""), "{:?}", r.data());
    }
}

fn reply_of(m: &Msg) -> String {
    String::from_utf8(m.reply().unwrap().to_vec()).unwrap()
}

fn pull_sub(ctx: &Context, subject: &str, durable: Option<&str>) -> Arc<Subscription> {
    subscribe(ctx, subject, durable, Mode::Pull, &SubOptions::default()).unwrap()
}

fn fetch_n(sub: &Subscription, batch: i64, ms: i64) -> Result<Vec<Msg>, natsStatus> {
    fetch(sub, FetchRequest { batch, expires: ms * 1_000_000, ..Default::default() }, true).map_err(|e| e.status())
}

#[test]
fn pull_fetch_ack_and_metadata() {
    let dir = TempDir::new("js-pull");
    let srv = js_server(&dir);
    let (c, ctx) = setup(&srv.url());
    add_stream(&ctx, "S", &["s.>"]);
    publish(&c, "s.a", 5);
    let sub = pull_sub(&ctx, "s.>", Some("dur"));
    let mut got = fetch_n(&sub, 3, 2000).unwrap();
    assert_eq!(got.len(), 3);
    for (i, m) in got.iter().enumerate() {
        assert_eq!(m.data(), format!("m{i}").as_bytes());
        let md = meta::parse(&reply_of(m)).unwrap();
        assert_eq!((md.stream.as_str(), md.consumer.as_str()), ("S", "dur"));
        assert_eq!((md.stream_seq, md.consumer_seq, md.num_delivered), (i as u64 + 1, i as u64 + 1, 1));
        assert_eq!(md.num_pending, 4 - i as u64);
        assert!(md.timestamp > 1_600_000_000_000_000_000);
    }
    // Plain ack, synchronous ack, and a second ack that does nothing.
    ack(&mut got[0], AckKind::Ack, false, 0).unwrap();
    ack(&mut got[1], AckKind::Ack, true, 0).unwrap();
    ack(&mut got[2], AckKind::Ack, false, 1000).unwrap();
    ack(&mut got[2], AckKind::Ack, true, 0).unwrap();
    // Fewer left than asked: returns early with what there is.
    let t = Instant::now();
    let mut rest = fetch_n(&sub, 10, 3000).unwrap();
    assert_eq!(rest.len(), 2);
    assert!(t.elapsed() < Duration::from_millis(2500), "{:?}", t.elapsed());
    for m in &mut rest {
        ack(m, AckKind::Ack, true, 0).unwrap();
    }
    // Nothing left: NATS_TIMEOUT after about the timeout.
    let t = Instant::now();
    assert_eq!(fetch_n(&sub, 1, 300).unwrap_err(), natsStatus::NATS_TIMEOUT);
    assert!(t.elapsed() >= Duration::from_millis(250) && t.elapsed() < Duration::from_millis(2000), "{:?}", t.elapsed());
    assert_eq!(fetch_n(&sub, 5, 300).unwrap_err(), natsStatus::NATS_TIMEOUT);
    let info = JsSub::of(&sub).unwrap().consumer_info(None).unwrap();
    assert_eq!((info.name.as_str(), info.num_ack_pending, info.num_pending), ("dur", 0, 0));
    // No-wait request with nothing there: NATS_NOT_FOUND.
    let r = fetch(&sub, FetchRequest { batch: 2, no_wait: true, ..Default::default() }, false);
    assert_eq!(r.unwrap_err().status(), natsStatus::NATS_NOT_FOUND);
    // Unsubscribe deletes the consumer the library created.
    c.unsubscribe(&sub, None).unwrap();
    sub.hooks.get().unwrap().unsubscribed().unwrap();
    assert_eq!(cons::info(&ctx, "S", "dur").unwrap_err().status(), natsStatus::NATS_NOT_FOUND);
}

#[test]
fn nak_term_in_progress_and_redelivery() {
    let dir = TempDir::new("js-nak");
    let srv = js_server(&dir);
    let (c, ctx) = setup(&srv.url());
    add_stream(&ctx, "N", &["n"]);
    publish(&c, "n", 2);
    let sub = pull_sub(&ctx, "n", None);
    let mut m = fetch_n(&sub, 1, 2000).unwrap().remove(0);
    ack(&mut m, AckKind::InProgress, false, 0).unwrap();
    // In progress is not final: a Nak still goes out (with a wait: confirmed, so that the
    // server has it before the next fetch).
    ack(&mut m, AckKind::Nak, false, 2000).unwrap();
    let mut again = fetch_n(&sub, 1, 2000).unwrap().remove(0);
    assert_eq!(again.data(), b"m0");
    assert_eq!(meta::parse(&reply_of(&again)).unwrap().num_delivered, 2);
    // Nak with a delay: not redelivered before it.
    ack(&mut again, AckKind::NakWithDelay(1500), false, 2000).unwrap();
    let mut second = fetch_n(&sub, 1, 1000).unwrap().remove(0);
    assert_eq!(second.data(), b"m1");
    ack(&mut second, AckKind::Term, false, 2000).unwrap();
    let t = Instant::now();
    let mut third = fetch_n(&sub, 1, 3000).unwrap().remove(0);
    assert_eq!(third.data(), b"m0");
    assert!(t.elapsed() >= Duration::from_millis(300), "redelivered after {:?}", t.elapsed());
    ack(&mut third, AckKind::Ack, true, 0).unwrap();
    // Terminated: never redelivered.
    assert_eq!(fetch_n(&sub, 1, 500).unwrap_err(), natsStatus::NATS_TIMEOUT);
}

#[test]
fn fetch_refuses_bad_requests() {
    let dir = TempDir::new("js-fetchbad");
    let srv = js_server(&dir);
    let (c, ctx) = setup(&srv.url());
    add_stream(&ctx, "F", &["f"]);
    let sub = pull_sub(&ctx, "f", Some("fd"));
    let st = |r: FetchRequest| fetch(&sub, r, false).unwrap_err().status();
    assert_eq!(st(FetchRequest { batch: 0, expires: 1_000_000, ..Default::default() }), natsStatus::NATS_INVALID_ARG);
    assert_eq!(st(FetchRequest { batch: 1, max_bytes: -1, expires: 1_000_000, ..Default::default() }), natsStatus::NATS_INVALID_ARG);
    assert_eq!(st(FetchRequest { batch: 1, ..Default::default() }), natsStatus::NATS_INVALID_TIMEOUT);
    // A push subscription, and a plain one.
    let push = subscribe(&ctx, "f", None, Mode::Sync, &SubOptions::default()).unwrap();
    let e = fetch_n(&push, 1, 100).unwrap_err();
    assert_eq!(e, natsStatus::NATS_INVALID_SUBSCRIPTION);
    let plain = c.subscribe_sync("x", None).unwrap();
    assert_eq!(fetch_n(&plain, 1, 100).unwrap_err(), natsStatus::NATS_INVALID_SUBSCRIPTION);
    // NextMsg on a pull subscription.
    assert_eq!(sub.check_next().unwrap_err().status, natsStatus::NATS_INVALID_SUBSCRIPTION);
    // Concurrent fetches.
    let s2 = Arc::clone(&sub);
    let h = std::thread::spawn(move || fetch_n(&s2, 1, 1500));
    std::thread::sleep(Duration::from_millis(300));
    let e = fetch(&sub, FetchRequest { batch: 1, expires: 100_000_000, ..Default::default() }, false).unwrap_err();
    assert_eq!(e.status(), natsStatus::NATS_ERR);
    assert_eq!(e.err.text, "concurrent fetch request not allowed");
    assert_eq!(h.join().unwrap().unwrap_err(), natsStatus::NATS_TIMEOUT);
    // Max bytes smaller than a message: the server's 409 ends the fetch with its text.
    publish(&c, "f", 1);
    let e = fetch(&sub, FetchRequest { batch: 1, max_bytes: 1, expires: 1_000_000_000, ..Default::default() }, false).unwrap_err();
    assert_eq!(e.status(), natsStatus::NATS_ERR, "{}", e.err.text);
    assert!(e.err.text.to_lowercase().contains("exceeds"), "{}", e.err.text);
}

#[test]
fn bad_subscribe_arguments() {
    let dir = TempDir::new("js-badsub");
    let srv = js_server(&dir);
    let (_c, ctx) = setup(&srv.url());
    add_stream(&ctx, "B", &["b.>"]);
    let st = |subject: &str, durable: Option<&str>, mode: Mode, o: SubOptions| subscribe(&ctx, subject, durable, mode, &o).unwrap_err();
    assert_eq!(st("", None, Mode::Sync, SubOptions::default()).status(), natsStatus::NATS_INVALID_ARG);
    for bad in ["a.b", "a b", "a*", "a>"] {
        let e = st("b.x", Some(bad), Mode::Pull, SubOptions::default());
        assert_eq!(e.status(), natsStatus::NATS_INVALID_ARG, "{bad}");
        assert!(e.err.text.contains("invalid durable name"), "{}", e.err.text);
    }
    let e = st("nomatch", None, Mode::Sync, SubOptions::default());
    assert_eq!((e.status(), e.err.text.as_str()), (natsStatus::NATS_ERR, "no stream matches subject"));
    let ordered = |f: fn(&mut SubOptions)| {
        let mut o = SubOptions { ordered: true, ..Default::default() };
        f(&mut o);
        o
    };
    assert_eq!(st("b.x", None, Mode::Pull, ordered(|_| {})).status(), natsStatus::NATS_INVALID_ARG);
    assert_eq!(st("b.x", None, Mode::Sync, ordered(|o| o.config.durable_name = Some("d".into()))).status(), natsStatus::NATS_INVALID_ARG);
    assert_eq!(st("b.x", None, Mode::Sync, ordered(|o| o.config.ack_policy = Some(AckPolicy::All))).status(), natsStatus::NATS_INVALID_ARG);
    assert_eq!(st("b.x", None, Mode::Sync, ordered(|o| o.queue = Some("q".into()))).status(), natsStatus::NATS_INVALID_ARG);
    let q = SubOptions { queue: Some("q".into()), config: ConsumerConfig { idle_heartbeat: 1_000_000_000, ..Default::default() }, ..Default::default() };
    assert_eq!(st("b.x", None, Mode::Sync, q).status(), natsStatus::NATS_INVALID_ARG);
    // Binding to a consumer that does not exist.
    let o = SubOptions { stream: Some("B".into()), consumer: Some("nope".into()), ..Default::default() };
    assert_eq!(st("b.x", None, Mode::Sync, o).status(), natsStatus::NATS_NOT_FOUND);
    // A push subscription binding to a pull consumer and the other way round.
    let pull = pull_sub(&ctx, "b.x", Some("pd"));
    let o = SubOptions { stream: Some("B".into()), consumer: Some("pd".into()), ..Default::default() };
    let e = st("b.x", None, Mode::Sync, o);
    assert_eq!(e.err.text, "must use pull subscribe to bind to pull based consumer");
    drop(pull);
}

#[test]
fn jetstream_not_enabled() {
    let srv = Server::start(&[]);
    let (_c, ctx) = setup(&srv.url());
    let e = subscribe(&ctx, "foo", None, Mode::Sync, &SubOptions::default()).unwrap_err();
    assert_eq!((e.status(), e.code), (natsStatus::NATS_NO_RESPONDERS, 10076));
    let e = subscribe(&ctx, "foo", Some("d"), Mode::Pull, &SubOptions::default()).unwrap_err();
    assert_eq!(e.status(), natsStatus::NATS_NO_RESPONDERS);
}

#[test]
fn push_sync_ephemeral_and_durable_bind() {
    let dir = TempDir::new("js-push");
    let srv = js_server(&dir);
    let (c, ctx) = setup(&srv.url());
    add_stream(&ctx, "P", &["p.*"]);
    publish(&c, "p.1", 3);
    let sub = subscribe(&ctx, "p.*", None, Mode::Sync, &SubOptions::default()).unwrap();
    for i in 0..3 {
        let mut m = sub.next_msg(2000).unwrap();
        assert_eq!(m.data(), format!("m{i}").as_bytes());
        ack(&mut m, AckKind::Ack, true, 0).unwrap();
    }
    assert_eq!(sub.next_msg(200).unwrap_err().status, natsStatus::NATS_TIMEOUT);
    let name = JsSub::of(&sub).unwrap().consumer();
    assert!(cons::info(&ctx, "P", &name).is_ok());
    // A consumer made beforehand, bound by stream + consumer: not deleted by Unsubscribe.
    let cfg = ConsumerConfig {
        durable_name: Some("pushd".into()),
        deliver_subject: Some(c.new_inbox()),
        ack_policy: Some(AckPolicy::Explicit),
        ..Default::default()
    };
    cons::create(&ctx, "P", &cfg).unwrap();
    let o = SubOptions { stream: Some("P".into()), consumer: Some("pushd".into()), ..Default::default() };
    let bound = subscribe(&ctx, "", None, Mode::Sync, &o).unwrap();
    assert_eq!(bound.next_msg(2000).unwrap().data(), b"m0");
    // Bound already: a second push subscription is refused.
    let e = subscribe(&ctx, "", None, Mode::Sync, &o).unwrap_err();
    assert_eq!(e.err.text, "consumer is already bound to a subscription");
    c.unsubscribe(&bound, None).unwrap();
    bound.hooks.get().unwrap().unsubscribed().unwrap();
    assert!(cons::info(&ctx, "P", "pushd").is_ok());
    // The library's own consumer goes with Unsubscribe.
    c.unsubscribe(&sub, None).unwrap();
    sub.hooks.get().unwrap().unsubscribed().unwrap();
    assert_eq!(cons::info(&ctx, "P", &name).unwrap_err().status(), natsStatus::NATS_NOT_FOUND);
}

/// An async handler as the C boundary builds it: counts messages and acks unless told not to.
fn counting_handler(seen: Arc<Mutex<Vec<Vec<u8>>>>) -> Mode {
    Mode::Async {
        make: Box::new(move |auto_ack| {
            let seen = Arc::clone(&seen);
            Arc::new(move |_h: usize, m: Option<Msg>| {
                if let Some(mut m) = m {
                    seen.lock().unwrap().push(m.data().to_vec());
                    if auto_ack {
                        let _ = ack(&mut m, AckKind::Ack, false, 0);
                    }
                }
            })
        }),
    }
}

fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn push_async_with_flow_control_and_heartbeats_and_queue() {
    let dir = TempDir::new("js-async");
    let srv = js_server(&dir);
    let (c, ctx) = setup(&srv.url());
    add_stream(&ctx, "A", &["a"]);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let o = SubOptions {
        config: ConsumerConfig { flow_control: true, idle_heartbeat: 200_000_000, ..Default::default() },
        ..Default::default()
    };
    let sub = subscribe(&ctx, "a", None, counting_handler(Arc::clone(&seen)), &o).unwrap();
    sub.handle.store(1, Ordering::Release);
    // Enough data for the server to ask for flow control.
    let big = vec![b'x'; 64 * 1024];
    for _ in 0..200 {
        c.publish("a", None, &big).unwrap();
    }
    c.flush(5000).unwrap();
    wait_for("200 messages", || seen.lock().unwrap().len() >= 200);
    // Heartbeats keep coming and are never handed out.
    std::thread::sleep(Duration::from_millis(700));
    assert_eq!(seen.lock().unwrap().len(), 200);
    assert!(seen.lock().unwrap().iter().all(|d| d.len() == big.len()));
    let name = JsSub::of(&sub).unwrap().consumer();
    wait_for("acks", || cons::info(&ctx, "A", &name).unwrap().num_ack_pending == 0);

    // A queue group: two members share the messages.
    let (s1, s2) = (Arc::new(Mutex::new(Vec::new())), Arc::new(Mutex::new(Vec::new())));
    let q = SubOptions { queue: Some("grp".into()), config: ConsumerConfig { deliver_policy: Some(DeliverPolicy::New), ..Default::default() }, ..Default::default() };
    let m1 = subscribe(&ctx, "a", None, counting_handler(Arc::clone(&s1)), &q).unwrap();
    let m2 = subscribe(&ctx, "a", None, counting_handler(Arc::clone(&s2)), &q).unwrap();
    m1.handle.store(1, Ordering::Release);
    m2.handle.store(1, Ordering::Release);
    publish(&c, "a", 40);
    wait_for("queue messages", || s1.lock().unwrap().len() + s2.lock().unwrap().len() >= 40);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(s1.lock().unwrap().len() + s2.lock().unwrap().len(), 40);
    assert_eq!(JsSub::of(&m1).unwrap().consumer(), "grp");
}

#[test]
fn ordered_consumer_recovers_from_a_lost_consumer() {
    let dir = TempDir::new("js-ordered");
    let srv = js_server(&dir);
    let errors = Arc::new(AtomicUsize::new(0));
    let e2 = Arc::clone(&errors);
    let c = connect_with(&srv.url(), |o| {
        o.allow_reconnect = false;
        o.callbacks.error = Some(Arc::new(move |_, _, s| {
            if s == natsStatus::NATS_MISSED_HEARTBEAT {
                e2.fetch_add(1, Ordering::SeqCst);
            }
        }));
    });
    let ctx = Context::new(c.clone(), &ContextOptions::default()).unwrap();
    add_stream(&ctx, "O", &["o"]);
    publish(&c, "o", 5);
    let o = SubOptions { ordered: true, config: ConsumerConfig { idle_heartbeat: 150_000_000, ..Default::default() }, ..Default::default() };
    let sub = subscribe(&ctx, "o", None, Mode::Sync, &o).unwrap();
    sub.handle.store(1, Ordering::Release);
    for i in 0..5 {
        let mut m = sub.next_msg(2000).unwrap();
        assert_eq!(m.data(), format!("m{i}").as_bytes());
        // AckNone: acks are no-ops.
        ack(&mut m, AckKind::Ack, false, 0).unwrap();
    }
    // The consumer goes away under the subscription: heartbeats stop, the library makes a
    // new one from the next stream sequence.
    let first = JsSub::of(&sub).unwrap().consumer();
    cons::delete(&ctx, "O", &first).unwrap();
    for i in 5..10 {
        c.request("o", None, format!("m{i}").as_bytes(), 5000).unwrap();
    }
    for i in 5..10 {
        let m = sub.next_msg(5000).unwrap();
        assert_eq!(m.data(), format!("m{i}").as_bytes());
    }
    assert_eq!(sub.next_msg(300).unwrap_err().status, natsStatus::NATS_TIMEOUT);
    assert!(errors.load(Ordering::SeqCst) >= 1);
    assert_ne!(JsSub::of(&sub).unwrap().consumer(), first);
}

#[test]
fn pull_and_push_survive_a_server_restart() {
    let dir = TempDir::new("js-restart");
    let srv = js_server(&dir);
    let port = srv.port;
    let c = connect_with(&srv.url(), |o| {
        o.allow_reconnect = true;
        o.max_reconnect = -1;
        o.reconnect_wait_ms = 100;
    });
    let ctx = Context::new(c.clone(), &ContextOptions::default()).unwrap();
    add_stream(&ctx, "R", &["r"]);
    publish(&c, "r", 2);
    let pull = pull_sub(&ctx, "r", Some("rp"));
    let o = SubOptions { config: ConsumerConfig { durable_name: Some("rpush".into()), ..Default::default() }, ..Default::default() };
    let push = subscribe(&ctx, "r", None, Mode::Sync, &o).unwrap();
    for mut m in fetch_n(&pull, 2, 2000).unwrap() {
        ack(&mut m, AckKind::Ack, true, 0).unwrap();
    }
    for _ in 0..2 {
        let mut m = push.next_msg(2000).unwrap();
        ack(&mut m, AckKind::Ack, true, 0).unwrap();
    }
    srv.kill();
    let srv = Server::start_on(port, &["-js", "-sd", dir.path().to_str().unwrap()]);
    wait_for("reconnect", || c.status() == nats::status::natsConnStatus::NATS_CONN_STATUS_CONNECTED);
    let deadline = Instant::now() + Duration::from_secs(10);
    while c.request("r", None, b"after", 1000).is_err() {
        assert!(Instant::now() < deadline, "stream not back");
    }
    // The server writes consumer state to disk in the background: after a SIGKILL it may
    // deliver m0/m1 again although they were acked. Only those may come before "after".
    let deadline = Instant::now() + Duration::from_secs(10);
    'pull: loop {
        assert!(Instant::now() < deadline, "the pull consumer never got the new message");
        for mut m in fetch_n(&pull, 5, 1000).unwrap_or_default() {
            if m.data() == b"after" {
                break 'pull;
            }
            assert!(m.data() == b"m0" || m.data() == b"m1", "unexpected {:?}", m.data());
            ack(&mut m, AckKind::Ack, false, 0).unwrap();
        }
    }
    loop {
        let mut m = push.next_msg(5000).unwrap();
        if m.data() == b"after" {
            break;
        }
        assert!(m.data() == b"m0" || m.data() == b"m1", "unexpected {:?}", m.data());
        ack(&mut m, AckKind::Ack, false, 0).unwrap();
    }
    drop(srv);
}

#[test]
fn drain_deletes_the_consumer_the_library_created() {
    let dir = TempDir::new("js-drain");
    let srv = js_server(&dir);
    let (c, ctx) = setup(&srv.url());
    add_stream(&ctx, "D", &["d"]);
    publish(&c, "d", 2);
    let sub = pull_sub(&ctx, "d", Some("dd"));
    assert_eq!(fetch_n(&sub, 2, 2000).unwrap().len(), 2);
    c.drain_subscription(&sub, 0).unwrap();
    sub.wait_drain_completion(5000).unwrap();
    assert_eq!(cons::info(&ctx, "D", "dd").unwrap_err().status(), natsStatus::NATS_NOT_FOUND);
    // Destroy alone (no Unsubscribe) keeps it.
    let keep = pull_sub(&ctx, "d", Some("keep"));
    c.unsubscribe(&keep, None).unwrap();
    assert!(cons::info(&ctx, "D", "keep").is_ok());
}
