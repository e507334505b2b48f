//! The connection driven by an application's event loop (natsOptions_SetEventLoop), seen
//! from the safe core: a minimal loop on a thread of its own that, while the connection
//! asks for read or write polling, calls the read and write events every millisecond
//! (readiness is only a hint to the library, so events without readiness must be
//! harmless). The C tests run the real libuv and libevent adapters.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use common::Server;
use nats::conn::Connection;
use nats::options::{EventLoop, LoopAdapter, Options};
use nats::status::natsStatus;

#[derive(Default)]
struct TestLoop {
    conn: Mutex<Option<Connection>>,
    attached_fd: AtomicUsize,
    attaches: AtomicUsize,
    detaches: AtomicUsize,
    read_on: AtomicBool,
    write_on: AtomicBool,
    stop: AtomicBool,
    /// Work for the loop thread, run between two rounds of events.
    task: Mutex<Option<Box<dyn FnOnce(&Connection) + Send>>>,
    task_done: AtomicBool,
}

impl LoopAdapter for TestLoop {
    fn attach(&self, user: &mut usize, _conn: usize, fd: i32) -> natsStatus {
        *user = 1;
        self.attached_fd.store(fd as usize, Ordering::SeqCst);
        self.attaches.fetch_add(1, Ordering::SeqCst);
        self.read_on.store(true, Ordering::SeqCst);
        natsStatus::NATS_OK
    }
    fn read(&self, _user: usize, add: bool) -> natsStatus {
        self.read_on.store(add, Ordering::SeqCst);
        natsStatus::NATS_OK
    }
    fn write(&self, _user: usize, add: bool) -> natsStatus {
        self.write_on.store(add, Ordering::SeqCst);
        natsStatus::NATS_OK
    }
    fn detach(&self, _user: usize) -> natsStatus {
        self.detaches.fetch_add(1, Ordering::SeqCst);
        self.read_on.store(false, Ordering::SeqCst);
        self.write_on.store(false, Ordering::SeqCst);
        natsStatus::NATS_OK
    }
}

fn run_loop(l: Arc<TestLoop>) -> JoinHandle<()> {
    std::thread::spawn(move || {
        while !l.stop.load(Ordering::SeqCst) {
            let conn = l.conn.lock().unwrap().clone();
            if let Some(c) = conn {
                if l.read_on.load(Ordering::SeqCst) {
                    c.process_read_event();
                }
                if l.write_on.load(Ordering::SeqCst) {
                    c.process_write_event();
                }
                let task = l.task.lock().unwrap().take();
                if let Some(t) = task {
                    t(&c);
                    l.task_done.store(true, Ordering::SeqCst);
                }
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    })
}

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

fn connect(url: &str) -> (Connection, Arc<TestLoop>, JoinHandle<()>) {
    let l = Arc::new(TestLoop::default());
    let mut o = Options::default();
    o.set_url(Some(url)).unwrap();
    o.reconnect_wait_ms = 50;
    o.event_loop = Some(EventLoop(Arc::clone(&l) as Arc<dyn LoopAdapter>));
    let c = Connection::new(o);
    *l.conn.lock().unwrap() = Some(c.clone());
    let h = run_loop(Arc::clone(&l));
    c.connect().unwrap();
    (c, l, h)
}

fn finish(c: Connection, l: Arc<TestLoop>, h: JoinHandle<()>) {
    c.destroy();
    assert_eq!(l.detaches.load(Ordering::SeqCst), 1, "detach once");
    l.stop.store(true, Ordering::SeqCst);
    h.join().unwrap();
    *l.conn.lock().unwrap() = None;
}

#[test]
fn publish_flush_subscribe_and_close_with_one_detach() {
    let srv = Server::start(&[]);
    let (c, l, h) = connect(&srv.url());
    assert_eq!(l.attaches.load(Ordering::SeqCst), 1);
    let sub = c.subscribe_sync("ev.rs", None).unwrap();
    for _ in 0..1000 {
        c.publish("ev.rs", None, b"hello").unwrap();
    }
    c.flush(5000).unwrap();
    let mut got = 0;
    while got < 1000 {
        let m = sub.next_msg(5000).unwrap();
        assert_eq!(m.data(), b"hello");
        got += 1;
    }
    // Output ran out: the write interest was given back.
    assert!(wait_until(|| !l.write_on.load(Ordering::SeqCst), 5));
    finish(c, l, h);
}

/// On the loop's own thread a flush (and Close) cannot wait for the loop to deliver the
/// PONG: they drive the socket themselves.
#[test]
fn flush_and_close_on_the_loop_thread() {
    let srv = Server::start(&[]);
    let (c, l, h) = connect(&srv.url());
    let result = Arc::new(Mutex::new(None));
    let r = Arc::clone(&result);
    *l.task.lock().unwrap() = Some(Box::new(move |c: &Connection| {
        c.publish("ev.loop", None, b"x").unwrap();
        let started = Instant::now();
        let flushed = c.flush(5000);
        *r.lock().unwrap() = Some((flushed.map_err(|e| e.status), started.elapsed()));
        c.close();
    }));
    assert!(wait_until(|| l.task_done.load(Ordering::SeqCst), 15));
    let (flushed, took) = result.lock().unwrap().take().unwrap();
    assert_eq!(flushed, Ok(()));
    assert!(took < Duration::from_secs(2), "flush on the loop thread took {took:?}");
    assert!(c.is_closed());
    assert_eq!(l.detaches.load(Ordering::SeqCst), 1);
    finish(c, l, h);
}

/// Events that come after Destroy (an adapter may learn of the detach late) do nothing.
#[test]
fn events_after_destroy_are_ignored() {
    let srv = Server::start(&[]);
    let (c, l, h) = connect(&srv.url());
    c.flush(5000).unwrap();
    c.destroy();
    for _ in 0..100 {
        c.process_read_event();
        c.process_write_event();
    }
    assert_eq!(l.detaches.load(Ordering::SeqCst), 1);
    l.stop.store(true, Ordering::SeqCst);
    h.join().unwrap();
    *l.conn.lock().unwrap() = None;
}
