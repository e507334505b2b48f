//! Connection options as a plain, cloneable, safe struct.
//!
//! `natsOptions` (the C handle) wraps one of these; `natsConnection_Connect` takes a clone, so a
//! caller may change or destroy its options after connecting, as with nats.c.
#![forbid(unsafe_code)]

use std::fmt;
use std::sync::Arc;

use crate::proto::url::{parse_url_list, ServerUrl};
use crate::status::{err, natsStatus, Result};

/// The URL used when none is given.
pub const DEFAULT_URL: &str = "nats://localhost:4222";

/// A connection event callback; receives the C handle of the connection.
pub type ConnCallback = Arc<dyn Fn(usize) + Send + Sync>;
/// The asynchronous error callback; receives the connection handle, the subscription handle
/// (0 when none) and the status.
pub type ErrCallback = Arc<dyn Fn(usize, usize, natsStatus) + Send + Sync>;

/// An application's event loop (`natsOptions_SetEventLoop`), bound to its C callbacks by
/// the FFI layer. `user` is the adapter's own pointer, 0 until the first attach. Each call
/// returns the adapter's status (NATS_OK when it did what was asked).
pub trait LoopAdapter: Send + Sync {
    /// Start polling `fd` for reading (after a connect, or a reconnect when `*user` != 0).
    fn attach(&self, user: &mut usize, conn: usize, fd: i32) -> natsStatus;
    /// Start (`add`) or stop polling for reading.
    fn read(&self, user: usize, add: bool) -> natsStatus;
    /// Start (`add`) or stop polling for writing.
    fn write(&self, user: usize, add: bool) -> natsStatus;
    /// The connection is closed: the adapter lets go of it (called once).
    fn detach(&self, user: usize) -> natsStatus;
}

/// The event loop option: the adapter, shared by the connections made with these options.
#[derive(Clone)]
pub struct EventLoop(pub Arc<dyn LoopAdapter>);

impl fmt::Debug for EventLoop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EventLoop")
    }
}

/// User callbacks, already bound to their C closures by the FFI layer.
#[derive(Clone, Default)]
pub struct Callbacks {
    pub closed: Option<ConnCallback>,
    pub disconnected: Option<ConnCallback>,
    pub reconnected: Option<ConnCallback>,
    pub connected: Option<ConnCallback>,
    pub lame_duck: Option<ConnCallback>,
    /// Custom reconnect delay: (connection handle, attempts) -> milliseconds.
    pub reconnect_delay: Option<Arc<dyn Fn(usize, i32) -> i64 + Send + Sync>>,
    pub discovered_servers: Option<ConnCallback>,
    pub error: Option<ErrCallback>,
}

impl fmt::Debug for Callbacks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Callbacks")
            .field("closed", &self.closed.is_some())
            .field("disconnected", &self.disconnected.is_some())
            .field("reconnected", &self.reconnected.is_some())
            .field("connected", &self.connected.is_some())
            .field("lame_duck", &self.lame_duck.is_some())
            .field("discovered_servers", &self.discovered_servers.is_some())
            .field("error", &self.error.is_some())
            .finish()
    }
}

/// Every setting a connection reads. Defaults are nats.c's.
#[derive(Clone, Debug)]
pub struct Options {
    /// From `SetURL` (may be a comma-separated list), parsed when connecting as nats.c does.
    pub url: Option<String>,
    /// From `SetServers`, parsed when connecting.
    pub servers: Vec<String>,
    pub no_randomize: bool,
    /// Connect timeout in milliseconds (also bounds the flush done by Close).
    pub timeout_ms: i64,
    pub name: Option<String>,
    pub verbose: bool,
    pub pedantic: bool,
    pub ping_interval_ms: i64,
    pub max_pings_out: i32,
    pub io_buf_size: usize,
    pub send_asap: bool,
    pub no_echo: bool,
    /// 0: no deadline. 10 s by default (nats.c has none: its blocking writes can freeze).
    pub write_deadline_ms: i64,
    pub allow_reconnect: bool,
    pub ignore_discovered_servers: bool,
    pub max_pending_msgs: i32,
    pub max_pending_bytes: i64,
    pub global_delivery: bool,
    pub old_request_style: bool,
    pub no_responders_disabled: bool,
    pub inbox_prefix: Option<String>,
    pub fail_requests_on_disconnect: bool,
    /// Reconnect attempts per server (-1: no limit).
    pub max_reconnect: i32,
    pub reconnect_wait_ms: i64,
    pub reconnect_jitter_ms: i64,
    pub reconnect_jitter_tls_ms: i64,
    /// Bytes of publishes kept while reconnecting.
    pub reconnect_buf_size: usize,
    pub retry_on_failed_connect: bool,
    /// 46 (IPv4 then IPv6), 64, 4, 6 or 0 (as resolved).
    pub ip_resolution_order: i32,
    pub callbacks: Callbacks,
    /// An application's event loop drives the socket instead of our own I/O thread.
    pub event_loop: Option<EventLoop>,
    // Security (auth, TLS)
    /// User/password, token, NKEY, user JWT (see `conn::auth`).
    pub credentials: crate::conn::auth::Credentials,
    /// TLS settings (see `conn::tls`).
    pub tls: crate::conn::tls::TlsOptions,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            url: None,
            servers: Vec::new(),
            no_randomize: false,
            timeout_ms: 2000,
            name: None,
            verbose: false,
            pedantic: false,
            ping_interval_ms: 120_000,
            max_pings_out: 2,
            io_buf_size: 32 * 1024,
            send_asap: false,
            no_echo: false,
            write_deadline_ms: 10_000,
            allow_reconnect: true,
            ignore_discovered_servers: false,
            max_pending_msgs: 65536,
            max_pending_bytes: 64 * 1024 * 1024,
            global_delivery: false,
            old_request_style: false,
            no_responders_disabled: false,
            inbox_prefix: None,
            fail_requests_on_disconnect: false,
            max_reconnect: 60,
            reconnect_wait_ms: 2000,
            reconnect_jitter_ms: 100,
            reconnect_jitter_tls_ms: 1000,
            reconnect_buf_size: 8 * 1024 * 1024,
            retry_on_failed_connect: false,
            ip_resolution_order: 0,
            callbacks: Callbacks::default(),
            event_loop: None,
            // Security (auth, TLS)
            credentials: Default::default(),
            tls: Default::default(),
        }
    }
}

/// Refuses a URL list with an empty entry.
fn check_list_shape(list: &str) -> Result<()> {
    if list.split(',').any(|e| e.trim().is_empty()) {
        return err(natsStatus::NATS_INVALID_ARG, format!("invalid server URL list '{list}': it has an empty entry"));
    }
    Ok(())
}

impl Options {
    /// `SetURL`: `None` or "" clears it; a list is comma-separated. The URLs themselves are
    /// parsed when connecting (as nats.c), but a list with an empty entry (" ", ",", "a,,b")
    /// is refused here: nats.c corrupts its heap on those.
    pub fn set_url(&mut self, url: Option<&str>) -> Result<()> {
        match url {
            None | Some("") => self.url = None,
            Some(u) => {
                check_list_shape(u)?;
                self.url = Some(u.to_string());
            }
        }
        Ok(())
    }

    /// `SetServers`: an empty list clears it.
    pub fn set_servers(&mut self, servers: &[&str]) -> Result<()> {
        for s in servers {
            check_list_shape(s)?;
        }
        self.servers = servers.iter().map(|s| s.to_string()).collect();
        Ok(())
    }

    /// The servers to try, in configuration order: the URL first (nats.c puts it first), then
    /// the `SetServers` list; the default URL when neither is set.
    pub fn server_list(&self) -> Result<Vec<ServerUrl>> {
        let mut list: Vec<ServerUrl> = match &self.url {
            Some(u) => parse_url_list(u)?,
            None => Vec::new(),
        };
        for s in &self.servers {
            for u in parse_url_list(s)? {
                if !list.contains(&u) {
                    list.push(u);
                }
            }
        }
        if list.is_empty() {
            list = parse_url_list(DEFAULT_URL)?;
        }
        Ok(list)
    }

    pub fn set_timeout(&mut self, ms: i64) -> Result<()> {
        if ms < 0 {
            return err(natsStatus::NATS_INVALID_ARG, "timeout must not be negative");
        }
        // nats.c: 0 means the default (no explicit timeout) is used.
        self.timeout_ms = if ms == 0 { 2000 } else { ms };
        Ok(())
    }

    pub fn set_ping_interval(&mut self, ms: i64) -> Result<()> {
        // nats.c: 0 or negative disables... it accepts any value; <= 0 means the default.
        self.ping_interval_ms = if ms <= 0 { 120_000 } else { ms };
        Ok(())
    }

    pub fn set_io_buf_size(&mut self, size: i32) -> Result<()> {
        if size < 0 {
            return err(natsStatus::NATS_INVALID_ARG, "I/O buffer size must not be negative");
        }
        self.io_buf_size = if size == 0 { 32 * 1024 } else { size as usize };
        Ok(())
    }

    pub fn set_write_deadline(&mut self, ms: i64) -> Result<()> {
        if ms < 0 {
            return err(natsStatus::NATS_INVALID_ARG, "write deadline must not be negative");
        }
        self.write_deadline_ms = ms;
        Ok(())
    }

    /// `SetCustomInboxPrefix`: NULL or "" restores `_INBOX`; wildcards, whitespace and
    /// empty tokens are rejected.
    pub fn set_inbox_prefix(&mut self, prefix: Option<&str>) -> Result<()> {
        match prefix {
            None | Some("") => self.inbox_prefix = None,
            Some(p) => {
                let bad = p.split('.').any(|t| t.is_empty() || t == "*" || t == ">")
                    || p.chars().any(|c| c.is_whitespace() || c == '*' || c == '>');
                if bad {
                    return err(natsStatus::NATS_INVALID_ARG, format!("invalid inbox prefix '{p}'"));
                }
                self.inbox_prefix = Some(p.to_string());
            }
        }
        Ok(())
    }

    /// The inbox prefix, without the trailing dot.
    pub fn inbox_prefix(&self) -> &str {
        self.inbox_prefix.as_deref().unwrap_or("_INBOX")
    }

    pub fn set_max_pending_msgs(&mut self, n: i32) -> Result<()> {
        if n <= 0 {
            return err(natsStatus::NATS_INVALID_ARG, "max pending messages must be positive");
        }
        self.max_pending_msgs = n;
        // As nats.c: the bytes limit follows, at 1 KiB per message.
        self.max_pending_bytes = n as i64 * 1024;
        Ok(())
    }
}
