//! `natsConnection_Buffered` (Connection::buffered) counts bytes that really wait: while the
//! socket cannot take more (a server that stops reading, a stopped server) and while
//! reconnecting; 0 again once everything was written.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::Server;
use nats::conn::Connection;
use nats::options::Options;

fn connect(url: &str) -> Connection {
    let mut o = Options::default();
    o.set_url(Some(url)).unwrap();
    o.allow_reconnect = false;
    let c = Connection::new(o);
    c.connect().expect("connect");
    c
}

fn wait_until(mut f: impl FnMut() -> bool, secs: u64) -> bool {
    let end = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < end {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    f()
}

/// Publishes 1 KB messages until `buffered()` is above 256 KB (at most 64 MB); returns the
/// bytes published.
fn publish_until_buffered(c: &Connection) -> usize {
    let payload = vec![b'x'; 1024];
    let mut sent = 0usize;
    while sent < 64 * 1024 * 1024 {
        c.publish("buffered", None, &payload).unwrap();
        sent += "PUB buffered 1024\r\n".len() + payload.len() + 2;
        if c.buffered().unwrap() > 256 * 1024 {
            return sent;
        }
    }
    panic!("buffered() stayed small after {sent} bytes to a server that does not read");
}

#[test]
fn counts_what_a_server_that_stops_reading_leaves_waiting() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("nats://{}", l.local_addr().unwrap());
    let resume = Arc::new(AtomicBool::new(false));
    let resume2 = Arc::clone(&resume);
    let server = std::thread::spawn(move || {
        let (mut s, _) = l.accept().unwrap();
        s.write_all(b"INFO {\"server_id\":\"FAKE\",\"version\":\"2.10.0\",\"proto\":1,\"max_payload\":1048576}\r\n").unwrap();
        let mut r = BufReader::new(s.try_clone().unwrap());
        let mut line = String::new();
        loop {
            line.clear();
            if r.read_line(&mut line).unwrap() == 0 {
                return;
            }
            if line.starts_with("PING") {
                s.write_all(b"PONG\r\n").unwrap();
                break;
            }
        }
        // Stop reading until told to resume, then read everything and answer PINGs.
        while !resume2.load(Ordering::Acquire) {
            std::thread::sleep(Duration::from_millis(5));
        }
        let mut buf = vec![0u8; 64 * 1024];
        let mut tail = Vec::new();
        loop {
            let n = match r.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            tail.extend_from_slice(&buf[..n]);
            let pings = tail.windows(6).filter(|w| w == b"PING\r\n").count();
            for _ in 0..pings {
                let _ = s.write_all(b"PONG\r\n");
            }
            let keep = tail.len().saturating_sub(5);
            tail.drain(..keep);
        }
    });

    let c = connect(&url);
    assert_eq!(c.buffered(), Some(0));
    let sent = publish_until_buffered(&c);
    let held = c.buffered().unwrap();
    assert!(held > 0 && held <= sent, "buffered {held} of {sent} published");
    // Nothing drains while the server does not read: the count stays.
    std::thread::sleep(Duration::from_millis(200));
    let later = c.buffered().unwrap();
    assert!(later > 0 && later <= held, "buffered {later} after {held}");

    resume.store(true, Ordering::Release);
    c.flush(20_000).unwrap();
    assert_eq!(c.buffered(), Some(0));
    c.destroy();
    assert_eq!(c.buffered(), None);
    server.join().unwrap();
}

#[test]
fn counts_what_waits_for_a_stopped_server() {
    let srv = Server::start(&[]);
    let c = connect(&srv.url());
    c.flush(5000).unwrap();
    let pid = srv.pid().to_string();
    assert!(std::process::Command::new("kill").args(["-STOP", &pid]).status().unwrap().success());
    let sent = publish_until_buffered(&c);
    let held = c.buffered().unwrap();
    assert!(held > 0 && held <= sent);
    assert!(std::process::Command::new("kill").args(["-CONT", &pid]).status().unwrap().success());
    c.flush(20_000).unwrap();
    assert!(wait_until(|| c.buffered() == Some(0), 5));
    c.destroy();
}
