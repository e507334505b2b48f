//! A real 3-node JetStream cluster on loopback ports, for failover tests: each node is a
//! nats-server child with its own store directory, routes to the two others, and can be
//! killed (SIGKILL) and started again on the same ports and store.

use std::time::{Duration, Instant};

use super::security::TempDir;
use super::{free_port, Server};

pub struct Node {
    pub name: String,
    pub port: u16,
    pub cluster_port: u16,
    pub server: Option<Server>,
}

pub struct Cluster {
    pub nodes: Vec<Node>,
    dir: TempDir,
    routes: String,
}

impl Cluster {
    /// Starts three JetStream nodes and waits until they route to each other and have
    /// elected a JetStream meta leader.
    pub fn start(tag: &str) -> Cluster {
        let dir = TempDir::new(&format!("cluster-{tag}"));
        let mut nodes = Vec::new();
        for i in 0..3 {
            nodes.push(Node { name: format!("{tag}-n{i}"), port: free_port(), cluster_port: free_port(), server: None });
        }
        let routes =
            nodes.iter().map(|n| format!("nats://127.0.0.1:{}", n.cluster_port)).collect::<Vec<_>>().join(",");
        let mut c = Cluster { nodes, dir, routes };
        for i in 0..3 {
            c.start_node(i);
        }
        c.wait_ready();
        c
    }

    fn args(&self, i: usize) -> Vec<String> {
        let n = &self.nodes[i];
        let store = self.dir.path().join(&n.name);
        vec![
            "-js".into(),
            "-sd".into(),
            store.to_str().unwrap().into(),
            "-n".into(),
            n.name.clone(),
            "--cluster_name".into(),
            "rnats-test".into(),
            "-cluster".into(),
            format!("nats://127.0.0.1:{}", n.cluster_port),
            "-routes".into(),
            self.routes.clone(),
        ]
    }

    /// Starts node `i` (again) on its ports with its store.
    pub fn start_node(&mut self, i: usize) {
        let args = self.args(i);
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let port = self.nodes[i].port;
        self.nodes[i].server = Some(Server::start_on(port, &refs));
    }

    /// SIGKILL node `i`.
    pub fn kill_node(&mut self, i: usize) {
        if let Some(s) = self.nodes[i].server.take() {
            s.kill();
        }
    }

    /// All nodes' client URLs, comma separated (a natsOptions_SetServers-style list).
    pub fn urls(&self) -> String {
        self.nodes.iter().map(|n| format!("nats://127.0.0.1:{}", n.port)).collect::<Vec<_>>().join(",")
    }

    pub fn url(&self, i: usize) -> String {
        format!("nats://127.0.0.1:{}", self.nodes[i].port)
    }

    /// The index of the node whose name is `name`.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.nodes.iter().position(|n| n.name == name)
    }

    /// Waits until every running node reports JetStream ready through its monitoring-free
    /// path: a `$JS.API.INFO` request answered without error on each node.
    pub fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        for i in 0..self.nodes.len() {
            if self.nodes[i].server.is_none() {
                continue;
            }
            loop {
                if account_info_ok(&self.url(i)) {
                    break;
                }
                assert!(Instant::now() < deadline, "the JetStream cluster did not become ready");
                std::thread::sleep(Duration::from_millis(200));
            }
        }
    }
}

/// A `$JS.API.INFO` request answered without an error object.
fn account_info_ok(url: &str) -> bool {
    let mut o = nats::options::Options::default();
    if o.set_url(Some(url)).is_err() {
        return false;
    }
    o.max_reconnect = 0;
    let c = nats::conn::Connection::new(o);
    let ok = c.connect().is_ok()
        && c.request("$JS.API.INFO", None, b"", 2000)
            .map(|m| !String::from_utf8_lossy(m.data()).contains("\"error\""))
            .unwrap_or(false);
    c.destroy();
    ok
}
