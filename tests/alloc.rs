//! The publish path allocates nothing per message, and neither does taking received
//! messages and destroying them: a counting allocator tallies the allocations made by the
//! publishing (or receiving) thread while it goes through the C entry points.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::ffi::{c_void, CString};

use common::Server;
use nats::ffi::connection::{
    natsConnection, natsConnection_ConnectTo, natsConnection_Destroy, natsConnection_FlushTimeout, natsConnection_Publish, natsConnection_PublishString,
    natsConnection_SubscribeSync,
};
use nats::ffi::msg::{natsMsg, natsMsg_Destroy, natsMsg_GetDataLength};
use nats::ffi::subscription::{natsSubscription, natsSubscription_Destroy, natsSubscription_NextMsg, natsSubscription_SetPendingLimits};
use nats::status::natsStatus;

struct Counting;

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator; the counter is a plain thread-local cell.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static A: Counting = Counting;

fn allocs() -> u64 {
    ALLOCS.with(|c| c.get())
}

fn connect(srv: &Server) -> *mut natsConnection {
    let url = CString::new(srv.url()).unwrap();
    let mut nc: *mut natsConnection = std::ptr::null_mut();
    assert_eq!(natsConnection_ConnectTo(&mut nc, url.as_ptr()), natsStatus::NATS_OK);
    nc
}

#[test]
fn publishing_allocates_nothing_per_message() {
    let srv = Server::start(&[]);
    let nc = connect(&srv);
    let subj = CString::new("alloc.test").unwrap();
    let text = CString::new("hello").unwrap();
    let payload = [7u8; 128];
    const N: u64 = 200_000;

    // Warm up: the outgoing buffers reach their working size.
    for _ in 0..N {
        assert_eq!(natsConnection_Publish(nc, subj.as_ptr(), payload.as_ptr() as *const c_void, 128), natsStatus::NATS_OK);
    }
    assert_eq!(natsConnection_FlushTimeout(nc, 10_000), natsStatus::NATS_OK);

    let before = allocs();
    for i in 0..N {
        let s = if i % 2 == 0 {
            natsConnection_Publish(nc, subj.as_ptr(), payload.as_ptr() as *const c_void, 128)
        } else {
            natsConnection_PublishString(nc, subj.as_ptr(), text.as_ptr())
        };
        assert_eq!(s, natsStatus::NATS_OK);
    }
    let during = allocs() - before;
    assert_eq!(natsConnection_FlushTimeout(nc, 10_000), natsStatus::NATS_OK);
    natsConnection_Destroy(nc);
    // A few allocations may come from the buffer growing once more; none per message.
    assert!(during < 16, "{during} allocations for {N} publishes");
}

#[test]
fn receiving_allocates_nothing_per_message() {
    let srv = Server::start(&[]);
    let nc = connect(&srv);
    let subj = CString::new("alloc.recv").unwrap();
    let mut sub: *mut natsSubscription = std::ptr::null_mut();
    assert_eq!(natsConnection_SubscribeSync(&mut sub, nc, subj.as_ptr()), natsStatus::NATS_OK);
    assert_eq!(natsSubscription_SetPendingLimits(sub, -1, -1), natsStatus::NATS_OK);
    assert_eq!(natsConnection_FlushTimeout(nc, 10_000), natsStatus::NATS_OK);
    let payload = [7u8; 128];
    const N: usize = 20_000;

    // Messages arrive while earlier ones are taken and destroyed, as in a steady stream:
    // 100 at a time, each batch published and flushed (not counted) before it is taken.
    let receive = |n: usize| {
        let mut counted = 0;
        for _ in 0..n / 100 {
            for _ in 0..100 {
                assert_eq!(natsConnection_Publish(nc, subj.as_ptr(), payload.as_ptr() as *const c_void, 128), natsStatus::NATS_OK);
            }
            assert_eq!(natsConnection_FlushTimeout(nc, 10_000), natsStatus::NATS_OK);
            let before = allocs();
            for _ in 0..100 {
                let mut m: *mut natsMsg = std::ptr::null_mut();
                assert_eq!(natsSubscription_NextMsg(&mut m, sub, 10_000), natsStatus::NATS_OK);
                assert_eq!(natsMsg_GetDataLength(m), 128);
                natsMsg_Destroy(m);
            }
            counted += allocs() - before;
        }
        counted
    };
    // Warm up: the message pool and the subscription's queue reach their working size.
    receive(N);
    let during = receive(N);
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
    // A few allocations may come from a queue growing once more; none per message.
    assert!(during < 16, "{during} allocations for {N} received messages");
}
