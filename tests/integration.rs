//! The connection core against a real nats-server (and a fake one for faults).

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{connect_no_reconnect as connect, opts_no_reconnect as opts, Fake, Script, Server};
use nats::conn::Connection;
use nats::status::{natsConnStatus, natsStatus};


#[test]
fn publish_flush_and_receive() {
    let srv = Server::start(&[]);
    let sub_conn = connect(&srv.url());
    let sub = sub_conn.subscribe_sync("foo.*", None).unwrap();
    sub_conn.flush(2000).unwrap();
    let c = connect(&srv.url());
    for i in 0..100 {
        c.publish("foo.bar", Some("reply.x"), format!("msg {i}").as_bytes()).unwrap();
    }
    c.flush(2000).unwrap();
    for i in 0..100 {
        let m = sub.next_msg(2000).unwrap();
        assert_eq!(m.subject(), b"foo.bar");
        assert_eq!(m.reply(), Some(&b"reply.x"[..]));
        assert_eq!(m.data(), format!("msg {i}").as_bytes());
    }
    assert_eq!(sub.next_msg(50).unwrap_err().status, natsStatus::NATS_TIMEOUT);
    let st = c.stats();
    assert_eq!(st.out_msgs, 100);
    assert_eq!(sub_conn.stats().in_msgs, 100);
    c.destroy();
    sub_conn.destroy();
}

#[test]
fn flush_rejects_bad_timeouts_and_closed() {
    let srv = Server::start(&[]);
    let c = connect(&srv.url());
    assert_eq!(c.flush(0).unwrap_err().status, natsStatus::NATS_INVALID_TIMEOUT);
    assert_eq!(c.flush(-5).unwrap_err().status, natsStatus::NATS_INVALID_TIMEOUT);
    c.close();
    assert_eq!(c.flush(1000).unwrap_err().status, natsStatus::NATS_CONNECTION_CLOSED);
    assert_eq!(c.publish("a", None, b"x").unwrap_err().status, natsStatus::NATS_CONNECTION_CLOSED);
    assert_eq!(c.status(), natsConnStatus::NATS_CONN_STATUS_CLOSED);
}

#[test]
fn many_threads_flush_at_once() {
    let srv = Server::start(&[]);
    let c = connect(&srv.url());
    let ok = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let c = c.clone();
            let ok = ok.clone();
            std::thread::spawn(move || {
                for i in 0..50 {
                    c.publish("t", None, format!("{t}-{i}").as_bytes()).unwrap();
                    if c.flush(5000).is_ok() {
                        ok.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(ok.load(Ordering::Relaxed), 400);
    c.destroy();
}

#[test]
fn close_delivers_everything_buffered() {
    let srv = Server::start(&[]);
    let rc = connect(&srv.url());
    let sub = rc.subscribe_sync("bulk", None).unwrap();
    sub.set_pending_limits(-1, -1).unwrap();
    rc.flush(2000).unwrap();
    let c = connect(&srv.url());
    const N: usize = 50_000;
    for _ in 0..N {
        c.publish("bulk", None, b"0123456789").unwrap();
    }
    c.close();
    let mut got = 0;
    while sub.next_msg(2000).is_ok() {
        got += 1;
        if got == N {
            break;
        }
    }
    assert_eq!(got, N);
    rc.destroy();
}

#[test]
fn payload_over_max_is_rejected() {
    let conf = std::env::temp_dir().join(format!("rnats-maxpayload-{}.conf", std::process::id()));
    std::fs::write(&conf, "max_payload: 1024\n").unwrap();
    let srv = Server::start(&["-c", conf.to_str().unwrap()]);
    let c = connect(&srv.url());
    assert_eq!(c.max_payload(), 1024);
    assert!(c.publish("p", None, &[0u8; 1024]).is_ok());
    assert_eq!(c.publish("p", None, &[0u8; 1025]).unwrap_err().status, natsStatus::NATS_MAX_PAYLOAD);
    c.flush(2000).unwrap();
    c.destroy();
}

#[test]
fn invalid_subjects() {
    let srv = Server::start(&[]);
    let c = connect(&srv.url());
    for s in ["", " ", "foo bar", "a..b", "foo\r\n"] {
        assert_eq!(c.publish(s, None, b"").unwrap_err().status, natsStatus::NATS_INVALID_SUBJECT, "{s:?}");
    }
    assert_eq!(c.subscribe_sync("foo.>.bar", None).unwrap_err().status, natsStatus::NATS_INVALID_SUBJECT);
    assert_eq!(c.subscribe_sync("foo", Some("q 1")).unwrap_err().status, natsStatus::NATS_INVALID_QUEUE_NAME);
    c.destroy();
}

#[test]
fn no_server() {
    let port = common::free_port();
    let c = Connection::new(opts(&format!("nats://127.0.0.1:{port}")));
    assert_eq!(c.connect().unwrap_err().status, natsStatus::NATS_NO_SERVER);
}

#[test]
fn flush_times_out_and_late_pong_releases_nobody() {
    let fake = Fake::start(Script::SlowPong(Duration::from_millis(300)));
    let c = connect(&fake.url());
    let t0 = Instant::now();
    assert_eq!(c.flush(100).unwrap_err().status, natsStatus::NATS_TIMEOUT);
    assert!(t0.elapsed() < Duration::from_secs(5));
    // The fake answers one PING per 300 ms, in order: the abandoned PING's PONG comes ~300 ms
    // after t0, the second flush's own PONG not before ~600 ms. Released by the late PONG, the
    // second flush would end near 300 ms.
    c.flush(5000).unwrap();
    assert!(t0.elapsed() >= Duration::from_millis(550), "released by the late PONG after {:?}", t0.elapsed());
    c.destroy();
}

#[test]
fn keepalive_declares_stale_but_flush_pings_do_not() {
    let fake = Fake::start(Script::Silent);
    let mut o = opts(&fake.url());
    o.ping_interval_ms = 100;
    o.max_pings_out = 2;
    let c = Connection::new(o);
    c.connect().unwrap();
    // A flush waiting while the connection goes stale ends with an error, never OK.
    let e = c.flush(5000).unwrap_err();
    assert_eq!(e.status, natsStatus::NATS_CONNECTION_CLOSED);
    assert!(c.is_closed());
    assert_eq!(c.last_error().0, natsStatus::NATS_STALE_CONNECTION);
    c.destroy();

    // Many outstanding flush PINGs with keepalive effectively off: never stale.
    let fake = Fake::start(Script::Silent);
    let c = connect(&fake.url());
    for _ in 0..10 {
        assert_eq!(c.flush(20).unwrap_err().status, natsStatus::NATS_TIMEOUT);
    }
    assert_eq!(c.status(), natsConnStatus::NATS_CONN_STATUS_CONNECTED);
    c.destroy();
}

#[test]
fn server_err_text_is_kept() {
    let fake = Fake::start(Script::Send("-ERR 'Something Bad'\r\n"));
    let c = connect(&fake.url());
    let t = Instant::now();
    while !c.is_closed() && t.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(10));
    }
    let (st, text) = c.last_error();
    assert_eq!(st, natsStatus::NATS_ERR);
    assert_eq!(text.unwrap().to_str().unwrap(), "Something Bad");
    c.destroy();
}

#[test]
fn garbage_is_a_protocol_error() {
    let fake = Fake::start(Script::Send("FOO BAR\r\n"));
    let c = connect(&fake.url());
    let t = Instant::now();
    while !c.is_closed() && t.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(c.is_closed());
    assert_eq!(c.last_error().0, natsStatus::NATS_PROTOCOL_ERROR);
    c.destroy();
}

#[test]
fn closed_mid_message() {
    let fake = Fake::start(Script::SendAndClose("MSG foo 1 10\r\nabc"));
    let c = connect(&fake.url());
    // The server may already be gone: then subscribing reports the closed connection.
    match c.subscribe_sync("foo", None) {
        Ok(sub) => assert_eq!(sub.next_msg(5000).unwrap_err().status, natsStatus::NATS_CONNECTION_CLOSED),
        Err(e) => assert_eq!(e.status, natsStatus::NATS_CONNECTION_CLOSED),
    }
    let t = Instant::now();
    while !c.is_closed() && t.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(c.is_closed());
    assert_eq!(c.last_error().0, natsStatus::NATS_CONNECTION_CLOSED);
    c.destroy();
}

#[test]
fn bounded_buffer_under_a_flood() {
    let srv = Server::start(&[]);
    let c = connect(&srv.url());
    let payload = vec![7u8; 16 * 1024];
    for _ in 0..5_000 {
        c.publish("flood", None, &payload).unwrap();
        assert!(c.buffered().unwrap() <= 2 * 2 * 1024 * 1024 + 64 * 1024);
    }
    c.flush(10_000).unwrap();
    assert_eq!(c.buffered(), Some(0));
    c.destroy();
}

#[test]
fn requests_that_end_leave_nothing_behind() {
    let srv = Server::start(&[]);
    let c = connect(&srv.url());
    // Nobody listens: the server's 503 ends the request at once.
    assert_eq!(c.request("nobody.here", None, b"x", 2000).unwrap_err().status, natsStatus::NATS_NO_RESPONDERS);
    // Someone listens but never answers: every request times out.
    let silent = connect(&srv.url());
    let _sub = silent.subscribe_sync("silent.svc", None).unwrap();
    silent.flush(2000).unwrap();
    for _ in 0..20 {
        assert_eq!(c.request("silent.svc", None, b"x", 30).unwrap_err().status, natsStatus::NATS_TIMEOUT);
    }
    assert_eq!(c.pending_requests(), 0, "timed-out requests must not stay registered");
    c.destroy();
    silent.destroy();
}
