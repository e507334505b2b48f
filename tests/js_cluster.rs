//! JetStream on a real 3-node cluster: an R3 stream survives the SIGKILL of its leader's
//! node, and the client carries on against the new leader.

mod common;

use std::time::{Duration, Instant};

use common::cluster::Cluster;
use nats::conn::Connection;
use nats::js::{Context, ContextOptions};
use nats::options::Options;

fn connect(urls: &str) -> Connection {
    let mut o = Options::default();
    o.set_url(Some(urls)).unwrap();
    o.max_reconnect = -1;
    o.reconnect_wait_ms = 100;
    let c = Connection::new(o);
    c.connect().unwrap();
    c
}

#[derive(serde::Deserialize)]
struct StreamInfo {
    cluster: Option<ClusterInfo>,
    state: State,
}

#[derive(serde::Deserialize)]
struct ClusterInfo {
    leader: Option<String>,
}

#[derive(serde::Deserialize)]
struct State {
    messages: u64,
}

/// Retries an API call until it succeeds (elections take a few seconds).
fn eventually<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "{what}: not within 30 s");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn an_r3_stream_survives_its_leaders_node() {
    let mut cluster = Cluster::start("r3");
    let conn = connect(&cluster.urls());
    let js = Context::new(conn.clone(), &ContextOptions::default()).unwrap();
    let cfg = br#"{"name":"R3","subjects":["r3.>"],"num_replicas":3,"storage":"file"}"#;
    let info: StreamInfo = eventually("create the R3 stream", || js.request_ok("STREAM.CREATE.R3", cfg).ok());
    let _ = info;
    for i in 0..50 {
        eventually("publish", || conn.request("r3.a", None, format!("m{i}").as_bytes(), 2000).ok());
    }
    let info: StreamInfo = eventually("a stream leader", || {
        js.request_ok::<StreamInfo>("STREAM.INFO.R3", b"").ok().filter(|i| i.cluster.as_ref().and_then(|c| c.leader.as_ref()).is_some())
    });
    assert_eq!(info.state.messages, 50);
    let leader = info.cluster.unwrap().leader.unwrap();
    let idx = cluster.index_of(&leader).expect("the leader is one of our nodes");
    cluster.kill_node(idx);
    // A new leader is elected and has every message; publishing goes on.
    let info: StreamInfo = eventually("a new stream leader", || {
        js.request_ok::<StreamInfo>("STREAM.INFO.R3", b"")
            .ok()
            .filter(|i| i.cluster.as_ref().and_then(|c| c.leader.as_deref()).is_some_and(|l| l != leader))
    });
    assert_eq!(info.state.messages, 50);
    eventually("publish after failover", || conn.request("r3.a", None, b"after", 2000).ok());
    let info: StreamInfo = js.request_ok("STREAM.INFO.R3", b"").unwrap();
    assert_eq!(info.state.messages, 51);
    conn.destroy();
}
