//! Establishing one connection to one server: TCP connect, INFO, CONNECT, PING/PONG.
//!
//! Runs on the thread that connects (blocking, bounded by the connect timeout); the socket is
//! handed to the event loop afterwards, with any bytes read past the PONG.
#![forbid(unsafe_code)]

use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use crate::options::Options;
use crate::proto::encoder;
use crate::proto::info::{parse_info, ConnectInfo, ServerInfo};
use crate::proto::url::ServerUrl;
use crate::status::{err, natsStatus, Error, Result};

use super::transport::Transport;

/// At most this many bytes wait unsent in the kernel's socket buffer (TCP_NOTSENT_LOWAT): a
/// flood reaches the server in a steady stream rather than in a pile it must dig through.
/// Measured with `bench/run.sh` against a local nats-server: 5 to 35 % more messages per
/// second for 128 B to 16 KiB payloads than with the system default.
const NOTSENT_LOWAT: u32 = 64 * 1024;

/// The API level announced in CONNECT.
pub const CLIENT_VERSION: &str = "3.4.1";

/// Longest handshake line accepted (an INFO with many connect_urls can be long).
const MAX_HANDSHAKE_LINE: usize = 64 * 1024;

/// A connected, handshaken socket.
pub struct Established {
    pub stream: TcpStream,
    /// Clear text or TLS, already handshaken.
    pub transport: Transport,
    pub info: ServerInfo,
    /// Bytes received after the PONG that ends the handshake.
    pub leftover: Vec<u8>,
    pub local: Option<SocketAddr>,
}

/// Connects to `url` and runs the handshake, all within `opts.timeout_ms`.
pub fn establish(url: &ServerUrl, opts: &Options) -> Result<Established> {
    let timeout = Duration::from_millis(opts.timeout_ms.max(1) as u64);
    let deadline = Instant::now() + timeout;
    let addrs: Vec<SocketAddr> = (url.host.as_str(), url.port)
        .to_socket_addrs()
        .map_err(|e| Error::new(natsStatus::NATS_NO_SERVER, format!("cannot resolve '{}': {e}", url.host)))?
        .collect();
    let addrs = order_addrs(addrs, opts.ip_resolution_order);
    let mut last = Error::new(natsStatus::NATS_NO_SERVER, format!("no address for '{}'", url.host));
    let mut stream = None;
    for addr in addrs {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            last = Error::new(natsStatus::NATS_NO_SERVER, format!("timed out connecting to {}", url.host_port()));
            break;
        }
        match TcpStream::connect_timeout(&addr, left) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => {
                last = Error::new(natsStatus::NATS_NO_SERVER, format!("cannot connect to {}: {e}", url.host_port()));
            }
        }
    }
    let mut stream = stream.ok_or(last)?;
    let _ = stream.set_nodelay(true);
    // Best effort: without it the connection works as before, only less smoothly under a flood.
    let _ = crate::ffi::sys::set_tcp_notsent_lowat(&stream, NOTSENT_LOWAT);
    let mut reader = LineReader { buf: Vec::with_capacity(4096), deadline };
    let mut transport = Transport::Plain;

    let line = reader.line(&mut transport, &mut stream)?;
    let info_json = strip_op(&line, "INFO")
        .ok_or_else(|| Error::new(natsStatus::NATS_PROTOCOL_ERROR, format!("expected INFO from the server, got '{}'", printable(&line))))?;
    let mut info = parse_info(info_json)?;

    // TLS: wanted by the client (SetSecure or a tls:// URL), or required by the server, in
    // which case nats.c upgrades without being asked (and then verifies the server as usual).
    let wants_tls = opts.tls.secure || url.is_tls();
    if wants_tls && !info.tls_required && !info.tls_available {
        return err(natsStatus::NATS_SECURE_CONNECTION_WANTED, "Secure Connection not available");
    }
    let use_tls = wants_tls || info.tls_required;
    if use_tls {
        // The server says nothing more until the client starts TLS.
        reader.buf.clear();
        let session = super::tls::handshake(&mut stream, &url.host, &opts.tls, deadline)?;
        transport = Transport::Tls(Box::new(session));
    }

    let auth = super::auth::connect_auth(&opts.credentials, url, info.nonce.as_deref())?;
    let mut connect = connect_info(opts, &info, use_tls, auth);
    // The CONNECT holds credentials: sized so it never reallocates (which would leave copies
    // behind), and wiped, with the secrets it was built from, once sent.
    let secrets_len: usize = [&connect.user, &connect.pass, &connect.auth_token, &connect.jwt, &connect.nkey, &connect.sig]
        .iter()
        .map(|f| f.as_ref().map_or(0, |s| s.len()))
        .sum();
    let name_len = connect.name.as_ref().map_or(0, |n| n.len());
    let mut out = zeroize::Zeroizing::new(Vec::with_capacity(1024 + 6 * (secrets_len + name_len)));
    encoder::connect_frame(&mut out, &connect);
    out.extend_from_slice(encoder::PING);
    {
        use zeroize::Zeroize;
        connect.pass.zeroize();
        connect.auth_token.zeroize();
        connect.sig.zeroize();
    }
    write_all(&mut transport, &mut stream, &out, deadline)
        .map_err(|e| Error::new(e.status, format!("cannot send CONNECT: {}", e.text)))?;

    loop {
        let line = reader.line(&mut transport, &mut stream)?;
        if strip_op(&line, "PONG").is_some() {
            break;
        } else if strip_op(&line, "+OK").is_some() {
            continue;
        } else if let Some(text) = strip_op(&line, "-ERR") {
            return Err(server_error(text));
        } else if let Some(json) = strip_op(&line, "INFO") {
            info = parse_info(json)?;
        } else if strip_op(&line, "PING").is_some() {
            let _ = write_all(&mut transport, &mut stream, encoder::PONG, deadline);
        } else {
            return err(natsStatus::NATS_PROTOCOL_ERROR, format!("unexpected reply to CONNECT: '{}'", printable(&line)));
        }
    }
    let _ = stream.set_read_timeout(None);
    let _ = stream.set_write_timeout(None);
    let local = stream.local_addr().ok();
    let mut leftover = reader.buf;
    // Bytes the TLS session decrypted already: the event loop would not see them as socket
    // readiness.
    leftover.extend_from_slice(&transport.take_buffered());
    Ok(Established { stream, transport, info, leftover, local })
}

/// Writes all of `data` through the transport on the blocking socket, within `deadline`.
fn write_all(transport: &mut Transport, stream: &mut TcpStream, data: &[u8], deadline: Instant) -> Result<()> {
    let mut off = 0;
    while off < data.len() || !transport.flush(stream).map_err(|e| io_error(transport, &e, "writing"))? {
        set_write_timeout(stream, deadline)?;
        if off == data.len() {
            continue;
        }
        match transport.write(stream, &data[off..]) {
            Ok(0) => return err(natsStatus::NATS_IO_ERROR, "the socket accepted nothing"),
            Ok(n) => off += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io_error(transport, &e, "writing")),
        }
    }
    Ok(())
}

/// Maps an I/O error of the handshake: TLS errors are SSL errors, timeouts are timeouts.
fn io_error(transport: &Transport, e: &std::io::Error, doing: &str) -> Error {
    if transport.is_tls() {
        return super::tls::map_io_error(e, doing);
    }
    match e.kind() {
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
            Error::new(natsStatus::NATS_TIMEOUT, "timed out during the connection handshake")
        }
        _ => Error::new(natsStatus::NATS_IO_ERROR, format!("I/O error {doing}: {e}")),
    }
}

/// Applies `natsOptions_IPResolutionOrder`: 4 or 6 keep one family, 46 and 64 put one
/// first, 0 keeps the resolver's order.
pub fn order_addrs(mut addrs: Vec<SocketAddr>, order: i32) -> Vec<SocketAddr> {
    match order {
        4 => addrs.retain(|a| a.is_ipv4()),
        6 => addrs.retain(|a| a.is_ipv6()),
        46 => addrs.sort_by_key(|a| a.is_ipv6()),
        64 => addrs.sort_by_key(|a| a.is_ipv4()),
        _ => {}
    }
    addrs
}

/// Maps the text of a server -ERR to a status, as nats.c does.
pub fn server_error(text: &str) -> Error {
    let t = text.trim().trim_matches('\'').trim();
    let lower = t.to_ascii_lowercase();
    let status = if lower.contains("authorization violation")
        || lower.contains("authentication")
        || lower.contains("user authentication")
    {
        natsStatus::NATS_CONNECTION_AUTH_FAILED
    } else if lower.contains("stale connection") {
        natsStatus::NATS_STALE_CONNECTION
    } else if lower.contains("permissions violation") {
        natsStatus::NATS_NOT_PERMITTED
    } else if lower.contains("secure connection") && lower.contains("required") {
        natsStatus::NATS_SECURE_CONNECTION_REQUIRED
    } else {
        natsStatus::NATS_ERR
    };
    Error::new(status, t.to_string())
}

fn connect_info(opts: &Options, info: &ServerInfo, tls: bool, auth: super::auth::ConnectAuth) -> ConnectInfo {
    ConnectInfo {
        verbose: opts.verbose,
        pedantic: opts.pedantic,
        tls_required: tls,
        name: opts.name.clone(),
        lang: "C".to_string(),
        version: CLIENT_VERSION.to_string(),
        protocol: 1,
        echo: !opts.no_echo,
        headers: info.headers,
        no_responders: info.headers && !opts.no_responders_disabled,
        user: auth.user,
        pass: auth.pass,
        auth_token: auth.auth_token,
        jwt: auth.jwt,
        nkey: auth.nkey,
        sig: auth.sig,
    }
}

fn set_write_timeout(stream: &TcpStream, deadline: Instant) -> Result<()> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return err(natsStatus::NATS_TIMEOUT, "timed out during the connection handshake");
    }
    let _ = stream.set_write_timeout(Some(left));
    Ok(())
}

/// `Some(rest)` when `line` starts with the (case-insensitive) op.
fn strip_op<'a>(line: &'a str, op: &str) -> Option<&'a str> {
    let head = line.get(..op.len())?;
    if !head.eq_ignore_ascii_case(op) {
        return None;
    }
    let rest = &line[op.len()..];
    if rest.is_empty() || rest.starts_with([' ', '\t']) {
        Some(rest.trim())
    } else {
        None
    }
}

fn printable(s: &str) -> String {
    s.chars().take(80).map(|c| if c.is_control() { '?' } else { c }).collect()
}

/// Reads CRLF-terminated lines with a deadline, keeping whatever follows.
struct LineReader {
    buf: Vec<u8>,
    deadline: Instant,
}

impl LineReader {
    fn line(&mut self, transport: &mut Transport, stream: &mut TcpStream) -> Result<String> {
        loop {
            if let Some(pos) = self.buf.iter().position(|&b| b == b'\n') {
                let mut line: Vec<u8> = self.buf.drain(..=pos).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return String::from_utf8(line)
                    .map_err(|_| Error::new(natsStatus::NATS_PROTOCOL_ERROR, "the server sent a line that is not UTF-8"));
            }
            if self.buf.len() > MAX_HANDSHAKE_LINE {
                return err(natsStatus::NATS_LINE_TOO_LONG, "handshake line from the server is too long");
            }
            let left = self.deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return err(natsStatus::NATS_TIMEOUT, "timed out waiting for the server during the handshake");
            }
            let _ = stream.set_read_timeout(Some(left));
            let mut chunk = [0u8; 4096];
            match transport.read(stream, &mut chunk) {
                Ok(0) => {
                    return err(natsStatus::NATS_CONNECTION_CLOSED, "the server closed the connection during the handshake")
                }
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                    return err(natsStatus::NATS_TIMEOUT, "timed out waiting for the server during the handshake")
                }
                Err(e) if transport.is_tls() => return Err(super::tls::map_io_error(&e, "during the handshake")),
                Err(e) => return err(natsStatus::NATS_IO_ERROR, format!("read error during the handshake: {e}")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn op_matching() {
        assert_eq!(strip_op("INFO {}", "INFO"), Some("{}"));
        assert_eq!(strip_op("pong", "PONG"), Some(""));
        assert_eq!(strip_op("PONGX", "PONG"), None);
        assert_eq!(strip_op("-ERR 'Authorization Violation'", "-ERR"), Some("'Authorization Violation'"));
        assert_eq!(server_error("'Authorization Violation'").status, natsStatus::NATS_CONNECTION_AUTH_FAILED);
        assert_eq!(server_error("'Stale Connection'").status, natsStatus::NATS_STALE_CONNECTION);
        assert_eq!(server_error("'Unknown Protocol Operation'").status, natsStatus::NATS_ERR);
        assert_eq!(server_error("'Unknown Protocol Operation'").text, "Unknown Protocol Operation");
    }
}
