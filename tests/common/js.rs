//! JetStream test helpers: a nats-server with JetStream in its own store directory.

use super::Server;
pub use super::security::TempDir;

/// A JetStream-enabled server and its store directory (removed on drop).
pub struct JsServer {
    // Dropped in this order: the server stops before its directory goes.
    pub server: Server,
    _dir: TempDir,
}

/// A JetStream-enabled server storing in `dir` (which outlives it, e.g. across restarts).
pub fn js_server_in(dir: &TempDir) -> Server {
    Server::start(&["-js", "-sd", dir.path().to_str().unwrap()])
}

impl JsServer {
    pub fn start() -> JsServer {
        let dir = TempDir::new("js");
        let server = js_server_in(&dir);
        JsServer { server, _dir: dir }
    }

    pub fn url(&self) -> String {
        self.server.url()
    }
}
