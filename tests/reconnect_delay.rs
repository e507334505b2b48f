//! The custom reconnect delay callback runs off the event-loop thread (like every user
//! callback), and a callback that takes its time does not hold up Close.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::Server;
use nats::conn::Connection;
use nats::options::Options;
use nats::status::natsConnStatus;

fn wait_until(mut f: impl FnMut() -> bool, secs: u64) -> bool {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    false
}

#[derive(Default)]
struct Seen {
    calls: AtomicUsize,
    threads: Mutex<Vec<Option<String>>>,
    release: AtomicBool,
}

fn options(url: &str, seen: &Arc<Seen>, hold: bool) -> Options {
    let mut o = Options::default();
    o.set_url(Some(url)).unwrap();
    o.max_reconnect = -1;
    let s = Arc::clone(seen);
    o.callbacks.reconnect_delay = Some(Arc::new(move |_nc: usize, _attempts: i32| {
        s.threads.lock().unwrap().push(std::thread::current().name().map(str::to_string));
        s.calls.fetch_add(1, Ordering::SeqCst);
        let end = Instant::now() + Duration::from_secs(20);
        while hold && !s.release.load(Ordering::SeqCst) && Instant::now() < end {
            std::thread::sleep(Duration::from_millis(2));
        }
        20
    }));
    o
}

#[test]
fn custom_reconnect_delay_runs_off_the_event_loop() {
    let srv = Server::start(&[]);
    let seen = Arc::new(Seen::default());
    let c = Connection::new(options(&srv.url(), &seen, false));
    c.connect().unwrap();
    let port = srv.port;
    srv.kill();
    assert!(wait_until(|| seen.calls.load(Ordering::SeqCst) >= 2, 10));
    let threads = seen.threads.lock().unwrap().clone();
    for t in &threads {
        assert_ne!(t.as_deref(), Some("nats-loop"), "the reconnect delay ran on the event loop");
        assert_eq!(t.as_deref(), Some("nats-callbacks"));
    }
    // The delay is still honoured: the connection comes back once the server does.
    let _srv = Server::start_on(port, &[]);
    assert!(wait_until(|| c.status() == natsConnStatus::NATS_CONN_STATUS_CONNECTED, 10));
    c.flush(5000).unwrap();
    c.destroy();
}

#[test]
fn close_does_not_wait_for_a_slow_reconnect_delay() {
    let srv = Server::start(&[]);
    let seen = Arc::new(Seen::default());
    let c = Connection::new(options(&srv.url(), &seen, true));
    c.connect().unwrap();
    srv.kill();
    assert!(wait_until(|| seen.calls.load(Ordering::SeqCst) >= 1, 10));
    // The callback is still running (held): Close ends the reconnect at once.
    let t = Instant::now();
    c.close();
    assert!(t.elapsed() < Duration::from_secs(2), "close took {:?}", t.elapsed());
    assert_eq!(c.status(), natsConnStatus::NATS_CONN_STATUS_CLOSED);
    seen.release.store(true, Ordering::SeqCst);
    // Destroy waits for the callback thread: no callback runs after it.
    c.destroy();
    assert_eq!(seen.calls.load(Ordering::SeqCst), 1);
}
