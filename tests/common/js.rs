//! JetStream test helpers: a nats-server with JetStream in its own store directory.

use super::Server;

/// A JetStream-enabled server and its store directory (removed on drop).
pub struct JsServer {
    // Dropped in this order: the server stops before its directory goes.
    pub server: Server,
    _dir: StoreDir,
}

struct StoreDir(std::path::PathBuf);

impl Drop for StoreDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl JsServer {
    pub fn start() -> JsServer {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("rnats-js-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("store dir");
        let server = Server::start(&["-js", "-sd", dir.to_str().unwrap()]);
        JsServer { server, _dir: StoreDir(dir) }
    }

    pub fn url(&self) -> String {
        self.server.url()
    }
}
