//! Dispatcher threads: where handlers of asynchronous subscriptions run (never on the event
//! loop). A subscription gets a dedicated dispatcher by default, or one of the library-wide
//! pool when its connection uses global message delivery. Messages of one subscription are
//! always handled by one thread at a time, in order.
#![forbid(unsafe_code)]

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::{Kind, Subscription};

/// Messages handled for one subscription before a pool thread serves the next one.
const POOL_BATCH: usize = 64;

#[derive(Default)]
struct Ready {
    subs: VecDeque<Arc<Subscription>>,
    stop: bool,
}

/// A queue of subscriptions with messages to deliver, served by one thread.
#[derive(Default)]
pub struct Dispatcher {
    ready: Mutex<Ready>,
    cond: Condvar,
}

impl Dispatcher {
    fn lock(&self) -> MutexGuard<'_, Ready> {
        self.ready.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `sub` has work (messages, or it closed). Ignored once the dispatcher stopped: no
    /// thread would serve the queue, and the reference would keep the subscription (which
    /// owns its dedicated dispatcher) alive forever.
    pub fn schedule(&self, sub: Arc<Subscription>) {
        let mut r = self.lock();
        if r.stop {
            return;
        }
        r.subs.push_back(sub);
        drop(r);
        self.cond.notify_one();
    }

    pub fn stop(&self) {
        self.lock().stop = true;
        self.cond.notify_all();
    }

    /// Starts a dedicated dispatcher for one subscription; the thread ends when the
    /// subscription is finished.
    pub fn start_dedicated(sub: &Arc<Subscription>) -> std::io::Result<()> {
        let d = Arc::new(Dispatcher::default());
        let _ = sub.dispatcher.set(Arc::clone(&d));
        let s = Arc::clone(sub);
        let h = std::thread::Builder::new().name("nats-sub".into()).spawn(move || d.run_dedicated(s))?;
        *sub.worker.lock().unwrap_or_else(|p| p.into_inner()) = Some(h);
        Ok(())
    }

    fn run_dedicated(&self, sub: Arc<Subscription>) {
        self.serve_dedicated(&sub);
        // Drop what was scheduled after the last look (a cycle with the subscription).
        let mut r = self.lock();
        r.stop = true;
        r.subs.clear();
    }

    fn serve_dedicated(&self, sub: &Arc<Subscription>) {
        let (handler, idle) = match &sub.kind {
            Kind::Async { handler, idle } => (Arc::clone(handler), *idle),
            _ => return,
        };
        let mut last = Instant::now();
        loop {
            let mut got = false;
            while let Some(m) = sub.take_for_dispatch() {
                got = true;
                let h = sub.handle();
                if h != 0 {
                    let _ = catch_unwind(AssertUnwindSafe(|| handler(h, Some(m))));
                }
                sub.handler_done();
            }
            if got {
                last = Instant::now();
            }
            if sub.is_finished() {
                break;
            }
            let mut r = self.lock();
            loop {
                if r.stop {
                    return;
                }
                if !r.subs.is_empty() {
                    r.subs.clear();
                    break;
                }
                match idle {
                    None => r = self.cond.wait(r).unwrap_or_else(|p| p.into_inner()),
                    Some(d) => {
                        let now = Instant::now();
                        if now >= last + d {
                            break;
                        }
                        r = self.cond.wait_timeout(r, last + d - now).unwrap_or_else(|p| p.into_inner()).0;
                    }
                }
            }
            drop(r);
            if let Some(d) = idle {
                if Instant::now() >= last + d && !got {
                    if sub.begin_idle_call() {
                        let h = sub.handle();
                        if h != 0 {
                            let _ = catch_unwind(AssertUnwindSafe(|| handler(h, None)));
                        }
                        sub.handler_done();
                    }
                    last = Instant::now();
                }
            }
        }
        sub.complete();
    }

    fn run_pool(&self) {
        loop {
            let sub = {
                let mut r = self.lock();
                loop {
                    if r.stop {
                        return;
                    }
                    if let Some(s) = r.subs.pop_front() {
                        break s;
                    }
                    r = self.cond.wait(r).unwrap_or_else(|p| p.into_inner());
                }
            };
            let Kind::Async { handler, .. } = &sub.kind else { continue };
            let mut n = 0;
            let mut more = false;
            while let Some(m) = sub.take_for_dispatch() {
                let h = sub.handle();
                if h != 0 {
                    let _ = catch_unwind(AssertUnwindSafe(|| handler(h, Some(m))));
                }
                sub.handler_done();
                n += 1;
                if n == POOL_BATCH {
                    more = true;
                    break;
                }
            }
            if more {
                self.schedule(Arc::clone(&sub));
            } else if sub.is_finished() {
                sub.complete();
            }
        }
    }
}

/// The library-wide delivery pool (`natsOptions_UseGlobalMessageDelivery`).
struct Pool {
    size: usize,
    workers: Vec<(Arc<Dispatcher>, Option<JoinHandle<()>>)>,
    next: usize,
}

static POOL: Mutex<Pool> = Mutex::new(Pool { size: 1, workers: Vec::new(), next: 0 });

fn pool() -> MutexGuard<'static, Pool> {
    POOL.lock().unwrap_or_else(|p| p.into_inner())
}

/// `nats_SetMessageDeliveryPoolSize`: the pool only grows.
pub fn set_pool_size(max: usize) {
    let mut p = pool();
    if max > p.size {
        p.size = max;
    }
}

/// Assigns `sub` to a pool thread (started on demand), round-robin.
pub fn attach_to_pool(sub: &Arc<Subscription>) -> std::io::Result<()> {
    let mut p = pool();
    if p.workers.len() < p.size {
        let d = Arc::new(Dispatcher::default());
        let d2 = Arc::clone(&d);
        let h = std::thread::Builder::new().name("nats-pool".into()).spawn(move || d2.run_pool())?;
        p.workers.push((d, Some(h)));
    }
    let i = p.next % p.workers.len();
    p.next = p.next.wrapping_add(1);
    let _ = sub.dispatcher.set(Arc::clone(&p.workers[i].0));
    Ok(())
}

/// Stops the pool threads and waits for them, up to `timeout` (None: no limit). Returns
/// false when some did not end in time.
pub fn shutdown_pool(timeout: Option<Duration>) -> bool {
    let workers: Vec<_> = {
        let mut p = pool();
        p.next = 0;
        p.workers.drain(..).collect()
    };
    for (d, _) in &workers {
        d.stop();
    }
    let deadline = timeout.map(|t| Instant::now() + t);
    let mut all = true;
    for (_, h) in workers {
        let Some(h) = h else { continue };
        if h.thread().id() == std::thread::current().id() {
            continue;
        }
        match deadline {
            None => {
                let _ = h.join();
            }
            Some(d) => {
                while !h.is_finished() && Instant::now() < d {
                    std::thread::sleep(Duration::from_millis(5));
                }
                if h.is_finished() {
                    let _ = h.join();
                } else {
                    all = false;
                }
            }
        }
    }
    all
}
