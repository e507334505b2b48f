//! Test helpers: a real nats-server on a free loopback port, and a scripted fake server for
//! faults a real server does not produce.
#![allow(dead_code)]

pub mod cluster;
pub mod js;
pub mod security;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A nats-server child process, killed on drop.
pub struct Server {
    child: Child,
    pub port: u16,
}

impl Server {
    pub fn start(extra: &[&str]) -> Server {
        for _ in 0..5 {
            if let Some(s) = Server::spawn(free_port(), extra) {
                return s;
            }
        }
        panic!("nats-server did not start");
    }

    /// Starts nats-server on `port` and waits until it says it listens there; None when it
    /// exits first (the port was taken meanwhile) or does not listen within 10 s. The
    /// server's own log line is the proof: a successful TCP connect alone could reach
    /// another test's server that took the same port a moment earlier.
    fn spawn(port: u16, extra: &[&str]) -> Option<Server> {
        let bin = std::env::var("NATS_SERVER").unwrap_or_else(|_| "nats-server".to_string());
        let mut child = Command::new(&bin)
            .args(["-a", "127.0.0.1", "-p", &port.to_string()])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {bin}: {e}"));
        let (tx, rx) = std::sync::mpsc::channel();
        let stderr = child.stderr.take().expect("piped stderr");
        let want = format!("Listening for client connections on 127.0.0.1:{port}");
        // Reads the log to its end (so the server never blocks on a full pipe) and reports
        // the listening line once.
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if line.contains(&want) {
                    if let Some(t) = tx.take() {
                        let _ = t.send(());
                    }
                }
            }
        });
        let mut s = Server { child, port };
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if rx.recv_timeout(Duration::from_millis(20)).is_ok() {
                // Listening; wait until it accepts as well.
                while Instant::now() < deadline {
                    if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                        return Some(s);
                    }
                    std::thread::sleep(Duration::from_millis(10));
                }
                break;
            }
            if let Ok(Some(_)) = s.child.try_wait() {
                return None;
            }
        }
        let _ = s.child.kill();
        None
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Options for `url` without reconnecting (a fault then closes the connection).
pub fn opts_no_reconnect(url: &str) -> nats::options::Options {
    let mut o = nats::options::Options::default();
    o.set_url(Some(url)).unwrap();
    o.allow_reconnect = false;
    o
}

/// A connection to `url` without reconnecting.
pub fn connect_no_reconnect(url: &str) -> nats::conn::Connection {
    let c = nats::conn::Connection::new(opts_no_reconnect(url));
    c.connect().expect("connect");
    c
}

/// What the fake server does once the client has connected.
#[derive(Clone, Copy, Debug)]
pub enum Script {
    /// Answer nothing after the handshake (PINGs stay unanswered).
    Silent,
    /// Answer each PING after this delay.
    SlowPong(Duration),
    /// Send this raw text, then stay silent.
    Send(&'static str),
    /// Send this raw text, then close the socket.
    SendAndClose(&'static str),
    /// Stay silent for this long, then close the socket.
    CloseAfter(Duration),
    /// Answer the first PING after the handshake (a flush's) with `first`, then after
    /// `pause` send `second`, then close the socket when `close`, else keep reading (the
    /// lines read are in `Fake::lines`).
    AnswerFlush { first: &'static str, pause: Duration, second: &'static str, close: bool },
}

/// A fake server accepting one client.
pub struct Fake {
    pub port: u16,
    handle: Option<JoinHandle<()>>,
    /// Lines the client sent after the handshake (with `Script::AnswerFlush`).
    pub lines: Arc<Mutex<Vec<String>>>,
}

impl Fake {
    pub fn start(script: Script) -> Fake {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&lines);
        let handle = std::thread::spawn(move || {
            let Ok((mut s, _)) = l.accept() else { return };
            let _ = s.write_all(
                b"INFO {\"server_id\":\"FAKE\",\"version\":\"2.10.0\",\"proto\":1,\"headers\":true,\"max_payload\":1048576}\r\n",
            );
            let mut r = BufReader::new(s.try_clone().unwrap());
            let mut line = String::new();
            // CONNECT then PING
            loop {
                line.clear();
                if r.read_line(&mut line).unwrap_or(0) == 0 {
                    return;
                }
                if line.starts_with("PING") {
                    let _ = s.write_all(b"PONG\r\n");
                    break;
                }
            }
            match script {
                Script::Silent => drain(r),
                Script::SlowPong(d) => loop {
                    line.clear();
                    if r.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    if line.starts_with("PING") {
                        std::thread::sleep(d);
                        if s.write_all(b"PONG\r\n").is_err() {
                            return;
                        }
                    }
                },
                Script::Send(t) => {
                    let _ = s.write_all(t.as_bytes());
                    drain(r)
                }
                Script::CloseAfter(d) => {
                    std::thread::sleep(d);
                    let _ = s.shutdown(std::net::Shutdown::Both);
                }
                Script::SendAndClose(t) => {
                    let _ = s.write_all(t.as_bytes());
                    let _ = s.shutdown(std::net::Shutdown::Both);
                }
                Script::AnswerFlush { first, pause, second, close } => {
                    let mut answered = false;
                    loop {
                        line.clear();
                        if r.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        seen.lock().unwrap().push(line.trim_end().to_string());
                        if !answered && line.starts_with("PING") {
                            answered = true;
                            let _ = s.write_all(first.as_bytes());
                            std::thread::sleep(pause);
                            let _ = s.write_all(second.as_bytes());
                            if close {
                                let _ = s.shutdown(std::net::Shutdown::Both);
                                return;
                            }
                        }
                    }
                }
            }
        });
        Fake { port, handle: Some(handle), lines }
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }
}

fn drain(mut r: BufReader<TcpStream>) {
    let mut buf = [0u8; 4096];
    while let Ok(n) = r.read(&mut buf) {
        if n == 0 {
            break;
        }
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        // The thread ends when the client closes its socket.
        self.handle.take();
    }
}

impl Server {
    /// Starts a server on a given port (for restarts on the same port).
    pub fn start_on(port: u16, extra: &[&str]) -> Server {
        Server::spawn(port, extra).unwrap_or_else(|| panic!("nats-server did not start on port {port}"))
    }

    /// kill -9.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}
