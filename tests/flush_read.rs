//! A flush reads its own PONG from the socket (clear-text connections): what it reads besides
//! the PONG must reach the connection as if the event loop had read it. Fakes for what the
//! server sends around the PONG; a real server for traffic during flushes.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{connect_no_reconnect as connect, Fake, Script, Server};
use nats::status::natsStatus;


fn answer(first: &'static str, pause_ms: u64, second: &'static str, close: bool) -> Fake {
    Fake::start(Script::AnswerFlush {
        first,
        pause: Duration::from_millis(pause_ms),
        second,
        close,
    })
}

fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let t = Instant::now();
    while !f() {
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Flushes against `fake`, which sends a PING around the PONG: the client must answer it.
fn ping_is_answered(fake: Fake) {
    let c = connect(&fake.url());
    c.flush(2000).unwrap();
    wait_for("the client's PONG", || fake.lines.lock().unwrap().iter().any(|l| l == "PONG"));
    c.destroy();
}

#[test]
fn a_server_ping_read_with_the_pong_is_answered() {
    ping_is_answered(answer("PONG\r\nPING\r\n", 0, "", false));
}

#[test]
fn a_server_ping_after_the_pong_is_answered() {
    ping_is_answered(answer("PONG\r\n", 30, "PING\r\n", false));
}

#[test]
fn messages_with_and_after_the_pong_are_delivered() {
    // The subscription is the first: sid 1.
    let fake = answer(
        "PONG\r\nMSG foo 1 5\r\nfirst\r\n",
        30,
        "MSG foo 1 6\r\nsecond\r\n",
        false,
    );
    let c = connect(&fake.url());
    let sub = c.subscribe_sync("foo", None).unwrap();
    c.flush(2000).unwrap();
    assert_eq!(sub.next_msg(2000).unwrap().data(), b"first");
    assert_eq!(sub.next_msg(2000).unwrap().data(), b"second");
    c.destroy();
}

/// Flushes (which succeeds: the PONG comes first), then waits for what follows the PONG to
/// close the connection. Returns the connection's last error.
fn flush_then_closed(fake: Fake) -> (natsStatus, Option<String>) {
    let c = connect(&fake.url());
    c.flush(2000).unwrap();
    wait_for("the close", || c.is_closed());
    let (st, text) = c.last_error();
    c.destroy();
    (st, text.map(|t| t.to_string_lossy().into_owned()))
}

#[test]
fn the_server_closing_with_the_pong_ends_the_connection() {
    let (st, _) = flush_then_closed(answer("PONG\r\n", 0, "", true));
    assert_eq!(st, natsStatus::NATS_CONNECTION_CLOSED);
}

#[test]
fn the_server_closing_after_the_pong_ends_the_connection() {
    let (st, _) = flush_then_closed(answer("PONG\r\n", 30, "", true));
    assert_eq!(st, natsStatus::NATS_CONNECTION_CLOSED);
}

#[test]
fn the_server_closing_before_the_pong_fails_the_flush() {
    let fake = answer("", 0, "", true);
    let c = connect(&fake.url());
    let t = Instant::now();
    let e = c.flush(10_000).unwrap_err();
    assert_eq!(e.status, natsStatus::NATS_CONNECTION_CLOSED);
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "the flush waited {:?}",
        t.elapsed()
    );
    c.destroy();
}

#[test]
fn garbage_after_the_pong_is_a_protocol_error() {
    let (st, _) = flush_then_closed(answer("PONG\r\nFOO BAR\r\n", 0, "", false));
    assert_eq!(st, natsStatus::NATS_PROTOCOL_ERROR);
}

#[test]
fn a_server_error_after_the_pong_closes_with_its_text() {
    let (st, text) = flush_then_closed(answer("PONG\r\n-ERR 'Something Bad'\r\n", 0, "", false));
    assert_eq!(st, natsStatus::NATS_ERR);
    assert_eq!(text.as_deref(), Some("Something Bad"));
}

/// Flushes on the receiving connection while a stream arrives: every message is delivered
/// once and in order, whichever thread read it.
#[test]
fn flushes_during_a_stream_lose_nothing() {
    const N: usize = 50_000;
    let srv = Server::start(&[]);
    let rx = connect(&srv.url());
    let sub = rx.subscribe_sync("stream", None).unwrap();
    sub.set_pending_limits(-1, -1).unwrap();
    rx.flush(2000).unwrap();
    let tx = connect(&srv.url());
    let done = Arc::new(AtomicBool::new(false));
    let flushes = Arc::new(AtomicUsize::new(0));
    let flusher = {
        let rx = rx.clone();
        let done = Arc::clone(&done);
        let flushes = Arc::clone(&flushes);
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                rx.flush(5000).unwrap();
                flushes.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    for i in 0..N {
        tx.publish("stream", None, format!("{i}").as_bytes())
            .unwrap();
        if i % 500 == 0 {
            // Lets the flushes interleave with the stream rather than follow a single burst.
            std::thread::sleep(Duration::from_micros(200));
        }
    }
    tx.flush(5000).unwrap();
    for i in 0..N {
        let m = sub
            .next_msg(5000)
            .unwrap_or_else(|e| panic!("message {i}: {e:?}"));
        assert_eq!(m.data(), format!("{i}").as_bytes());
    }
    done.store(true, Ordering::Relaxed);
    flusher.join().unwrap();
    assert!(flushes.load(Ordering::Relaxed) > 0);
    assert_eq!(
        sub.next_msg(100).unwrap_err().status,
        natsStatus::NATS_TIMEOUT
    );
    tx.destroy();
    rx.destroy();
}

/// Several threads flush one connection at once: one reads, the others wait; all end OK.
#[test]
fn concurrent_flushes_all_complete() {
    let srv = Server::start(&[]);
    let c = connect(&srv.url());
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let c = c.clone();
            std::thread::spawn(move || {
                for _ in 0..300 {
                    c.flush(5000).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    c.destroy();
}

/// A flush from a message handler (the dispatcher thread reads the socket meanwhile).
#[test]
fn flush_from_a_handler() {
    let srv = Server::start(&[]);
    let c = connect(&srv.url());
    let got = Arc::new(AtomicUsize::new(0));
    let handler: nats::sub::MsgHandler = {
        let c = c.clone();
        let got = Arc::clone(&got);
        Arc::new(move |_: usize, _: Option<nats::msg::Msg>| {
            c.flush(5000).unwrap();
            got.fetch_add(1, Ordering::SeqCst);
        })
    };
    let sub = c
        .subscribe(
            "h",
            None,
            nats::sub::Kind::Async {
                handler,
                idle: None,
            },
        )
        .unwrap();
    // The dispatcher calls the handler once the subscription has a (C) handle.
    sub.handle.store(1, Ordering::Release);
    c.flush(2000).unwrap();
    for _ in 0..200 {
        c.publish("h", None, b"x").unwrap();
    }
    c.flush(2000).unwrap();
    wait_for("200 handled", || got.load(Ordering::SeqCst) == 200);
    c.destroy();
}
