//! JetStream management (streams, stored messages, consumers, account) against a real
//! nats-server with JetStream.

mod common;

use common::js::JsServer;
use common::Server;
use nats::conn::Connection;
use nats::js::account::account_info;
use nats::js::consumer::*;
use nats::js::stream::*;
use nats::js::{Context, ContextOptions, InfoOptions, PurgeOptions};
use nats::options::Options;
use nats::proto::headers::Headers;
use nats::status::natsStatus;

fn connect(url: &str) -> Connection {
    let mut o = Options::default();
    o.set_url(Some(url)).unwrap();
    o.allow_reconnect = false;
    let c = Connection::new(o);
    c.connect().expect("connect");
    c
}

fn js(url: &str) -> (Connection, Context) {
    let c = connect(url);
    let ctx = Context::new(c.clone(), &ContextOptions::default()).unwrap();
    (c, ctx)
}

/// The context with jsOptions.Stream.Info set.
fn info_ctx(ctx: &Context, deleted_details: bool, filter: Option<&str>) -> Context {
    let info = InfoOptions { deleted_details, subjects_filter: filter.map(str::to_string) };
    ctx.with(Some(&ContextOptions { info, ..Default::default() })).unwrap()
}

/// The context with jsOptions.Stream.Purge set.
fn purge_ctx(ctx: &Context, subject: Option<&str>, sequence: u64, keep: u64) -> Context {
    let purge = PurgeOptions { subject: subject.map(str::to_string), sequence, keep };
    ctx.with(Some(&ContextOptions { purge, ..Default::default() })).unwrap()
}

fn mem_stream(name: &str, subjects: &[&str]) -> StreamConfig {
    let mut cfg = StreamConfig::init(name);
    cfg.subjects = subjects.iter().map(|s| s.to_string()).collect();
    cfg.storage = StorageType::Memory;
    cfg
}

/// Publishes and waits for the stream's ack; returns the acked sequence.
fn publish(c: &Connection, subject: &str, headers: Option<&Headers>, data: &[u8]) -> u64 {
    let inbox = c.new_inbox();
    let sub = c.subscribe_sync(&inbox, None).unwrap();
    c.publish_full(subject, Some(&inbox), headers, data).unwrap();
    let ack = sub.next_msg(5000).expect("publish ack");
    let v: serde_json::Value = serde_json::from_slice(ack.data()).unwrap();
    assert!(v.get("error").is_none(), "publish refused: {v}");
    v["seq"].as_u64().unwrap()
}

#[test]
fn stream_lifecycle() {
    let srv = JsServer::start();
    let (_c, ctx) = js(&srv.url());

    let mut cfg = mem_stream("ORDERS", &["orders.*"]);
    cfg.description = "the orders".into();
    cfg.max_msgs_per_subject = 10;
    cfg.duplicates = 60_000_000_000;
    cfg.allow_direct = true;
    cfg.allow_rollup = true;
    cfg.deny_delete = true;
    let si = add_stream(&ctx, &cfg).unwrap();
    let got = si.config.as_ref().unwrap();
    assert_eq!(got.name, "ORDERS");
    assert_eq!(got.description, "the orders");
    assert_eq!(got.subjects, vec!["orders.*"]);
    assert_eq!(got.storage, StorageType::Memory);
    assert_eq!((got.max_msgs, got.max_msgs_per_subject, got.duplicates), (-1, 10, 60_000_000_000));
    assert!(got.allow_direct && got.allow_rollup && got.deny_delete);
    assert!(si.created > 1_600_000_000_000_000_000, "created {}", si.created);
    assert_eq!(si.state.msgs, 0);

    // Creating it again with the same config is fine, with another is refused.
    add_stream(&ctx, &cfg).unwrap();
    let mut other = cfg.clone();
    other.subjects = vec!["other".into()];
    let e = add_stream(&ctx, &other).unwrap_err();
    assert_eq!(e.status(), natsStatus::NATS_ERR);
    assert_eq!(e.code, 10058, "{e:?}"); // stream name already in use

    // Update.
    let mut upd = cfg.clone();
    upd.subjects.push("returns.*".into());
    upd.description = "more".into();
    let si = update_stream(&ctx, &upd).unwrap();
    assert_eq!(si.config.unwrap().subjects, vec!["orders.*", "returns.*"]);
    let mut missing = cfg.clone();
    missing.name = "NOPE".into();
    let e = update_stream(&ctx, &missing).unwrap_err();
    assert_eq!((e.status(), e.code), (natsStatus::NATS_NOT_FOUND, 10059));

    // Info, with the state.
    let c = ctx.conn();
    for i in 0..5 {
        publish(c, &format!("orders.{}", i % 2), None, b"x");
    }
    let si = stream_info(&ctx, "ORDERS").unwrap();
    assert_eq!((si.state.msgs, si.state.first_seq, si.state.last_seq), (5, 1, 5));
    assert!(si.state.first_time > 0 && si.state.last_time >= si.state.first_time);
    assert_eq!(si.state.num_subjects, 2);
    assert!(si.state.subjects.is_empty(), "subjects only when asked for");
    let e = stream_info(&ctx, "NOPE").unwrap_err();
    assert_eq!((e.status(), e.code), (natsStatus::NATS_NOT_FOUND, 10059));

    // Subjects and deleted details.
    let si = stream_info(&info_ctx(&ctx, false, Some(">")), "ORDERS").unwrap();
    assert_eq!(si.state.subjects.get("orders.0"), Some(&3));
    assert_eq!(si.state.subjects.get("orders.1"), Some(&2));

    // Deleting messages is denied on this stream: an API error with its code.
    let e = delete_msg(&ctx, "ORDERS", 2, false).unwrap_err();
    assert_eq!(e.status(), natsStatus::NATS_ERR);
    assert!(e.code != 0);

    // Purge: by subject, keep, up to a sequence, everything.
    purge_stream(&purge_ctx(&ctx, Some("orders.1"), 0, 0), "ORDERS").unwrap();
    assert_eq!(stream_info(&ctx, "ORDERS").unwrap().state.msgs, 3);
    purge_stream(&purge_ctx(&ctx, None, 0, 1), "ORDERS").unwrap();
    assert_eq!(stream_info(&ctx, "ORDERS").unwrap().state.msgs, 1);
    let e = purge_stream(&purge_ctx(&ctx, None, 2, 1), "ORDERS").unwrap_err();
    assert_eq!(e.status(), natsStatus::NATS_INVALID_ARG);
    for _ in 0..3 {
        publish(c, "orders.9", None, b"y");
    }
    purge_stream(&purge_ctx(&ctx, None, 7, 0), "ORDERS").unwrap();
    let st = stream_info(&ctx, "ORDERS").unwrap().state;
    assert_eq!((st.msgs, st.first_seq), (2, 7));
    purge_stream(&ctx, "ORDERS").unwrap();
    assert_eq!(stream_info(&ctx, "ORDERS").unwrap().state.msgs, 0);
    let e = purge_stream(&ctx, "NOPE").unwrap_err();
    assert_eq!((e.status(), e.code), (natsStatus::NATS_NOT_FOUND, 10059));

    // Delete.
    delete_stream(&ctx, "ORDERS").unwrap();
    let e = delete_stream(&ctx, "ORDERS").unwrap_err();
    assert_eq!((e.status(), e.code), (natsStatus::NATS_NOT_FOUND, 10059));
    let e = stream_names(&ctx).unwrap_err();
    assert_eq!(e.status(), natsStatus::NATS_NOT_FOUND, "no stream left");
    assert_eq!(streams(&ctx).unwrap_err().status(), natsStatus::NATS_NOT_FOUND);
}

#[test]
fn every_config_field_reaches_the_server() {
    let srv = JsServer::start();
    let (_c, ctx) = js(&srv.url());
    add_stream(&ctx, &mem_stream("SRC", &["src.>"])).unwrap();
    let mut cfg = StreamConfig::init("ALL");
    cfg.description = "d".into();
    cfg.subjects = vec!["all.>".into()];
    cfg.retention = RetentionPolicy::Interest;
    cfg.max_consumers = 10;
    cfg.max_msgs = 1000;
    cfg.max_bytes = 1 << 20;
    cfg.max_age = 3_600_000_000_000;
    cfg.max_msgs_per_subject = 5;
    cfg.max_msg_size = 1024;
    cfg.discard = DiscardPolicy::New;
    cfg.discard_new_per_subject = true;
    cfg.storage = StorageType::File;
    cfg.duplicates = 10_000_000_000;
    cfg.sources = vec![StreamSource { name: "SRC".into(), opt_start_seq: 1, filter_subject: Some("src.a".into()), ..Default::default() }];
    cfg.deny_purge = true;
    cfg.republish = Some(RePublish { source: "all.>".into(), destination: "rp.>".into(), headers_only: true });
    cfg.allow_direct = true;
    let si = add_stream(&ctx, &cfg).unwrap();
    let got = si.config.unwrap();
    assert_eq!(got, cfg, "the server's config is the one sent");

    // A mirror, with mirror direct.
    let mut m = mem_stream("MIR", &[]);
    m.mirror = Some(StreamSource { name: "SRC".into(), ..Default::default() });
    m.mirror_direct = true;
    let si = add_stream(&ctx, &m).unwrap();
    assert_eq!(si.config.as_ref().unwrap().mirror.as_ref().unwrap().name, "SRC");
    let si = stream_info(&ctx, "MIR").unwrap();
    assert_eq!(si.mirror.unwrap().name, "SRC");
    let si = stream_info(&ctx, "ALL").unwrap();
    assert_eq!(si.sources.len(), 1);
    assert_eq!(si.sources[0].name, "SRC");

    // A sealed stream refuses deletes. Sealing is an update.
    let mut sealed = mem_stream("SEAL", &["seal"]);
    add_stream(&ctx, &sealed).unwrap();
    sealed.sealed = true;
    assert!(update_stream(&ctx, &sealed).unwrap().config.unwrap().sealed);
}

#[test]
fn server_refusals_carry_the_error_code() {
    let srv = JsServer::start();
    let (_c, ctx) = js(&srv.url());
    let mut cfg = mem_stream("R3", &["r3"]);
    cfg.num_replicas = 3;
    let e = add_stream(&ctx, &cfg).unwrap_err();
    assert_eq!(e.status(), natsStatus::NATS_ERR);
    assert!(e.code != 0, "{e:?}");
    assert!(!e.err.text.is_empty());

    // Names are checked before any request.
    for bad in ["", "a.b", "a b", "a*", "a>"] {
        let e = add_stream(&ctx, &mem_stream(bad, &["x"])).unwrap_err();
        assert_eq!(e.status(), natsStatus::NATS_INVALID_ARG, "{bad:?}");
        assert_eq!(stream_info(&ctx, bad).unwrap_err().status(), natsStatus::NATS_INVALID_ARG);
        assert_eq!(delete_stream(&ctx, bad).unwrap_err().status(), natsStatus::NATS_INVALID_ARG);
        let cc = ConsumerConfig { durable: bad.into(), ..Default::default() };
        if !bad.is_empty() {
            assert_eq!(add_consumer(&ctx, "S", &cc).unwrap_err().status(), natsStatus::NATS_INVALID_ARG, "{bad:?}");
        }
        assert_eq!(consumer_info(&ctx, "S", bad).unwrap_err().status(), natsStatus::NATS_INVALID_ARG);
    }
}

#[test]
fn without_jetstream_there_are_no_responders() {
    let srv = Server::start(&[]);
    let (_c, ctx) = js(&srv.url());
    let t = std::time::Instant::now();
    let e = account_info(&ctx).unwrap_err();
    assert_eq!((e.status(), e.code), (natsStatus::NATS_NO_RESPONDERS, 10076));
    let e = add_stream(&ctx, &mem_stream("S", &["s"])).unwrap_err();
    assert_eq!((e.status(), e.code), (natsStatus::NATS_NO_RESPONDERS, 10076));
    let e = stream_names(&ctx).unwrap_err();
    assert_eq!(e.status(), natsStatus::NATS_NO_RESPONDERS);
    assert!(t.elapsed() < std::time::Duration::from_secs(2), "no waiting for the timeout");
}

#[test]
fn stored_messages() {
    let srv = JsServer::start();
    let (c, ctx) = js(&srv.url());
    let mut cfg = mem_stream("MSGS", &["m.>"]);
    cfg.allow_direct = true;
    add_stream(&ctx, &cfg).unwrap();
    let mut h = Headers::new();
    h.set("Hdr", "one").unwrap();
    h.add("Hdr", "two").unwrap();
    publish(&c, "m.a", Some(&h), b"first");
    publish(&c, "m.b", None, b"second");
    publish(&c, "m.a", None, b"third");

    let m = get_msg(&ctx, "MSGS", 1).unwrap();
    assert_eq!((m.subject(), m.data(), m.js_seq()), (&b"m.a"[..], &b"first"[..], 1));
    assert!(m.js_time() > 1_600_000_000_000_000_000);
    let hv = m.headers().unwrap().values("Hdr").unwrap();
    assert_eq!(hv.iter().map(|v| v.to_str().unwrap()).collect::<Vec<_>>(), ["one", "two"]);
    let m = get_msg(&ctx, "MSGS", 2).unwrap();
    assert!(m.headers().is_none());
    assert_eq!(m.data(), b"second");

    let m = get_last_msg(&ctx, "MSGS", "m.a").unwrap();
    assert_eq!((m.data(), m.js_seq()), (&b"third"[..], 3));
    let e = get_msg(&ctx, "MSGS", 99).unwrap_err();
    assert_eq!((e.status(), e.code), (natsStatus::NATS_NOT_FOUND, 10037));
    let e = get_last_msg(&ctx, "MSGS", "m.none").unwrap_err();
    assert_eq!(e.status(), natsStatus::NATS_NOT_FOUND);
    assert_eq!(get_msg(&ctx, "MSGS", 0).unwrap_err().status(), natsStatus::NATS_INVALID_ARG);
    assert_eq!(get_msg(&ctx, "", 1).unwrap_err().status(), natsStatus::NATS_INVALID_ARG);
    let e = get_msg(&ctx, "NOPE", 1).unwrap_err();
    assert_eq!((e.status(), e.code), (natsStatus::NATS_ERR, 10059));

    // Direct get: by sequence, next by subject, last by subject.
    let m = direct_get_msg(&ctx, "MSGS", &DirectGetOptions { sequence: 1, ..Default::default() }).unwrap();
    assert_eq!((m.subject(), m.data(), m.js_seq()), (&b"m.a"[..], &b"first"[..], 1));
    assert!(m.js_time() > 1_600_000_000_000_000_000);
    let hd = m.headers().unwrap();
    assert_eq!(hd.get("Nats-Stream").unwrap().to_str().unwrap(), "MSGS");
    assert_eq!(hd.values("Hdr").unwrap().len(), 2);
    let m = direct_get_msg(&ctx, "MSGS", &DirectGetOptions { sequence: 2, next_by_subject: Some("m.a".into()), ..Default::default() }).unwrap();
    assert_eq!(m.js_seq(), 3);
    let m = direct_get_msg(&ctx, "MSGS", &DirectGetOptions { last_by_subject: Some("m.b".into()), ..Default::default() }).unwrap();
    assert_eq!((m.data(), m.js_seq()), (&b"second"[..], 2));
    let e = direct_get_msg(&ctx, "MSGS", &DirectGetOptions { sequence: 99, ..Default::default() }).unwrap_err();
    assert_eq!(e.status(), natsStatus::NATS_NOT_FOUND);

    // Delete and erase (inside the stream, so that they count as deleted).
    publish(&c, "m.c", None, b"fourth");
    delete_msg(&ctx, "MSGS", 2, false).unwrap();
    delete_msg(&ctx, "MSGS", 3, true).unwrap();
    assert_eq!(get_msg(&ctx, "MSGS", 2).unwrap_err().status(), natsStatus::NATS_NOT_FOUND);
    let e = delete_msg(&ctx, "MSGS", 2, false).unwrap_err();
    assert_eq!(e.status(), natsStatus::NATS_ERR);
    let si = stream_info(&info_ctx(&ctx, true, None), "MSGS").unwrap();
    assert_eq!(si.state.msgs, 2);
    assert_eq!(si.state.num_deleted, 2);
    let mut del = si.state.deleted.clone();
    del.sort();
    assert_eq!(del, vec![2, 3]);
}

#[test]
fn consumers_lifecycle() {
    let srv = JsServer::start();
    let (c, ctx) = js(&srv.url());
    add_stream(&ctx, &mem_stream("S", &["s.>"])).unwrap();
    for i in 0..4 {
        publish(&c, &format!("s.{}", i % 2), None, b"x");
    }
    // A durable (DURABLE.CREATE).
    let cfg = ConsumerConfig {
        durable: "dur".into(),
        description: "a durable".into(),
        ack_policy: AckPolicy::Explicit,
        ack_wait: 10_000_000_000,
        max_deliver: 5,
        backoff: vec![1_000_000_000, 2_000_000_000],
        filter_subject: "s.0".into(),
        max_ack_pending: 100,
        max_waiting: 16,
        max_request_batch: 10,
        max_request_expires: 5_000_000_000,
        max_request_max_bytes: 1 << 20,
        headers_only: true,
        ..Default::default()
    };
    let ci = add_consumer(&ctx, "S", &cfg).unwrap();
    assert_eq!((ci.stream.as_str(), ci.name.as_str()), ("S", "dur"));
    assert_eq!(ci.num_pending, 2);
    let got = ci.config.unwrap();
    // With a backoff list, the server takes its first delay as the ack wait.
    assert_eq!((got.durable.as_str(), got.description.as_str(), got.ack_wait, got.max_deliver), ("dur", "a durable", 1_000_000_000, 5));
    assert_eq!(got.backoff, cfg.backoff);
    assert_eq!((got.max_request_batch, got.max_request_expires, got.max_request_max_bytes), (10, 5_000_000_000, 1 << 20));
    assert!(got.headers_only);
    assert!(ci.created > 0);

    // A named ephemeral with a filter (CONSUMER.CREATE.<stream>.<name>.<filter>), push.
    let named = ConsumerConfig {
        name: "eph".into(),
        filter_subject: "s.1".into(),
        deliver_subject: "push.here".into(),
        deliver_policy: DeliverPolicy::Last,
        ack_policy: AckPolicy::None,
        inactive_threshold: 60_000_000_000,
        flow_control: true,
        heartbeat: 5_000_000_000,
        replay_policy: ReplayPolicy::Original,
        memory_storage: true,
        ..Default::default()
    };
    let ci = add_consumer(&ctx, "S", &named).unwrap();
    let got = ci.config.unwrap();
    assert_eq!((ci.name.as_str(), got.deliver_subject.as_str(), got.deliver_policy), ("eph", "push.here", DeliverPolicy::Last));
    assert_eq!((got.ack_policy, got.replay_policy, got.heartbeat, got.inactive_threshold), (AckPolicy::None, ReplayPolicy::Original, 5_000_000_000, 60_000_000_000));
    assert!(got.flow_control && got.memory_storage);

    // An unnamed ephemeral (CONSUMER.CREATE.<stream>): the server names it.
    let eph = add_consumer(
        &ctx,
        "S",
        &ConsumerConfig { deliver_policy: DeliverPolicy::ByStartSequence, opt_start_seq: 3, ..Default::default() },
    )
    .unwrap();
    assert!(!eph.name.is_empty());
    assert_eq!(eph.num_pending, 2);
    let start = ConsumerConfig { durable: "bytime".into(), deliver_policy: DeliverPolicy::ByStartTime, opt_start_time: 1_000_000_000_000_000_000, ..Default::default() };
    let ci = add_consumer(&ctx, "S", &start).unwrap();
    assert_eq!(ci.config.unwrap().opt_start_time, 1_000_000_000_000_000_000);

    // Update: needs the durable name; changes what may change.
    let mut upd = cfg.clone();
    upd.description = "changed".into();
    upd.max_ack_pending = 50;
    let ci = update_consumer(&ctx, "S", &upd).unwrap();
    assert_eq!(ci.config.as_ref().unwrap().description, "changed");
    assert_eq!(ci.config.unwrap().max_ack_pending, 50);
    let e = update_consumer(&ctx, "S", &ConsumerConfig { name: "eph".into(), ..Default::default() }).unwrap_err();
    assert_eq!(e.status(), natsStatus::NATS_INVALID_ARG);
    // A change the server refuses.
    let mut bad = cfg.clone();
    bad.deliver_subject = "now.push".into();
    let e = update_consumer(&ctx, "S", &bad).unwrap_err();
    assert_eq!(e.status(), natsStatus::NATS_ERR);
    assert!(e.code != 0);

    // Info, lists.
    let ci = consumer_info(&ctx, "S", "dur").unwrap();
    assert_eq!((ci.name.as_str(), ci.num_pending, ci.num_ack_pending), ("dur", 2, 0));
    let e = consumer_info(&ctx, "S", "nope").unwrap_err();
    assert_eq!((e.status(), e.code), (natsStatus::NATS_NOT_FOUND, 10014));
    let e = consumer_info(&ctx, "NOPE", "dur").unwrap_err();
    assert_eq!((e.status(), e.code), (natsStatus::NATS_ERR, 10059));
    let mut names = consumer_names(&ctx, "S").unwrap();
    names.sort();
    let mut expect = vec!["bytime".to_string(), "dur".into(), "eph".into(), eph.name.clone()];
    expect.sort();
    assert_eq!(names, expect);
    let list = consumers(&ctx, "S").unwrap();
    assert_eq!(list.len(), 4);
    assert!(list.iter().all(|c| c.config.is_some() && c.stream == "S"));
    let e = consumers(&ctx, "NOPE").unwrap_err();
    assert_eq!((e.status(), e.code), (natsStatus::NATS_NOT_FOUND, 10059));

    // Delete.
    delete_consumer(&ctx, "S", "dur").unwrap();
    let e = delete_consumer(&ctx, "S", "dur").unwrap_err();
    assert_eq!((e.status(), e.code), (natsStatus::NATS_NOT_FOUND, 10014));
    let e = delete_consumer(&ctx, "NOPE", "dur").unwrap_err();
    assert_eq!((e.status(), e.code), (natsStatus::NATS_NOT_FOUND, 10059));
    for n in ["eph", "bytime", eph.name.as_str()] {
        delete_consumer(&ctx, "S", n).unwrap();
    }
    assert_eq!(consumer_names(&ctx, "S").unwrap_err().status(), natsStatus::NATS_NOT_FOUND);
    assert_eq!(consumers(&ctx, "S").unwrap_err().status(), natsStatus::NATS_NOT_FOUND);
}

#[test]
fn lists_follow_every_page() {
    let srv = JsServer::start();
    let (_c, ctx) = js(&srv.url());
    // STREAM.LIST pages by 256, CONSUMER.LIST too.
    let n = 300;
    for i in 0..n {
        add_stream(&ctx, &mem_stream(&format!("S{i:03}"), &[&format!("s.{i}")])).unwrap();
    }
    let mut names = stream_names(&ctx).unwrap();
    names.sort();
    assert_eq!(names.len(), n);
    assert_eq!(names[0], "S000");
    assert_eq!(names[n - 1], format!("S{:03}", n - 1));
    let list = streams(&ctx).unwrap();
    assert_eq!(list.len(), n);
    let filtered = stream_names(&info_ctx(&ctx, false, Some("s.7"))).unwrap();
    assert_eq!(filtered, vec!["S007"]);
    let filtered = streams(&info_ctx(&ctx, false, Some("s.12"))).unwrap();
    assert_eq!(filtered.len(), 1);
    assert_eq!(stream_names(&info_ctx(&ctx, false, Some("nothing"))).unwrap_err().status(), natsStatus::NATS_NOT_FOUND);

    for i in 0..n {
        add_consumer(&ctx, "S000", &ConsumerConfig { durable: format!("C{i:03}"), ..Default::default() }).unwrap();
    }
    assert_eq!(consumer_names(&ctx, "S000").unwrap().len(), n);
    assert_eq!(consumers(&ctx, "S000").unwrap().len(), n);
}

#[test]
fn account_information() {
    let srv = JsServer::start();
    let (_c, ctx) = js(&srv.url());
    add_stream(&ctx, &mem_stream("A", &["a"])).unwrap();
    add_consumer(&ctx, "A", &ConsumerConfig { durable: "d".into(), ..Default::default() }).unwrap();
    let ai = account_info(&ctx).unwrap();
    assert_eq!((ai.streams, ai.consumers), (1, 1));
    assert!(ai.api.total >= 2);
    assert_eq!(ai.limits.max_streams, -1);
}

#[test]
fn per_call_options_reach_the_requests() {
    let srv = JsServer::start();
    let (c, _ctx) = js(&srv.url());
    // A wrong prefix: nobody answers.
    let bad = Context::new(c.clone(), &ContextOptions { prefix: Some("$NOPE.API".into()), ..Default::default() }).unwrap();
    assert_eq!(account_info(&bad).unwrap_err().status(), natsStatus::NATS_NO_RESPONDERS);
    let good = bad.with(Some(&ContextOptions { prefix: Some("$JS.API".into()), ..Default::default() })).unwrap();
    account_info(&good).unwrap();
}

/// Answers JetStream API requests on `subject` with `answer(request body)` from a thread,
/// until `count` requests have been answered.
fn responder(url: &str, subject: &str, count: usize, answer: impl Fn(&[u8]) -> String + Send + 'static) -> std::thread::JoinHandle<Vec<String>> {
    let c = connect(url);
    let sub = c.subscribe_sync(subject, None).unwrap();
    c.flush(2000).unwrap();
    std::thread::spawn(move || {
        let mut seen = Vec::new();
        for _ in 0..count {
            let m = sub.next_msg(5000).expect("request");
            seen.push(String::from_utf8_lossy(m.data()).into_owned());
            let reply = std::str::from_utf8(m.reply().unwrap()).unwrap().to_string();
            c.publish(&reply, None, answer(m.data()).as_bytes()).unwrap();
        }
        c.flush(2000).unwrap();
        seen
    })
}

#[test]
fn stream_info_joins_the_pages_of_subjects() {
    let srv = Server::start(&[]);
    let (_c, ctx) = js(&srv.url());
    // Three pages of two subjects out of five.
    let h = responder(&srv.url(), "$JS.API.STREAM.INFO.P", 3, |body| {
        let req: serde_json::Value = serde_json::from_slice(body).unwrap();
        let offset = req["offset"].as_u64().unwrap_or(0);
        let subjects: serde_json::Map<String, serde_json::Value> =
            (offset..(offset + 2).min(5)).map(|i| (format!("sub.{i}"), serde_json::json!(i + 1))).collect();
        serde_json::json!({"type":"x","total":5,"offset":offset,"limit":2,
            "config":{"name":"P"},"state":{"messages":15,"subjects":subjects}})
        .to_string()
    });
    let si = stream_info(&info_ctx(&ctx, true, Some("sub.*")), "P").unwrap();
    let seen = h.join().unwrap();
    assert_eq!(si.state.subjects.len(), 5);
    assert_eq!(si.state.subjects["sub.4"], 5);
    assert_eq!(si.state.msgs, 15);
    let first: serde_json::Value = serde_json::from_str(&seen[0]).unwrap();
    assert_eq!(first, serde_json::json!({"deleted_details":true,"subjects_filter":"sub.*"}));
    let last: serde_json::Value = serde_json::from_str(&seen[2]).unwrap();
    assert_eq!(last["offset"], 4);
}

#[test]
fn malformed_replies_are_errors() {
    let srv = Server::start(&[]);
    let (_c, ctx) = js(&srv.url());
    // One responder per malformed answer, each checked on the call it breaks.
    let h = responder(&srv.url(), "$JS.API.STREAM.INFO.M", 1, |_| "{".into());
    assert_eq!(stream_info(&ctx, "M").unwrap_err().status(), natsStatus::NATS_ERR);
    h.join().unwrap();
    let h = responder(&srv.url(), "$JS.API.STREAM.INFO.M", 1, |_| r#"{"config":{"retention":7}}"#.into());
    assert_eq!(stream_info(&ctx, "M").unwrap_err().status(), natsStatus::NATS_ERR);
    h.join().unwrap();
    let h = responder(&srv.url(), "$JS.API.STREAM.MSG.GET.M", 1, |_| r#"{"message":{"subject":"a","data":"***"}}"#.into());
    assert_eq!(get_msg(&ctx, "M", 1).unwrap_err().status(), natsStatus::NATS_ERR);
    h.join().unwrap();
    let h = responder(&srv.url(), "$JS.API.CONSUMER.INFO.M.C", 1, |_| "[1,2]".into());
    assert_eq!(consumer_info(&ctx, "M", "C").unwrap_err().status(), natsStatus::NATS_ERR);
    h.join().unwrap();
}
