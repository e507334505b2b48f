//! How bytes cross the socket: in the clear, or through a TLS session. The event loop only
//! talks to a [`Transport`]; readiness semantics are those of the underlying non-blocking
//! socket (`WouldBlock` means wait for the next event).
#![forbid(unsafe_code)]

use std::io::{self, Read, Write};

use rustls::ClientConnection;

/// The byte channel of one connection.
pub enum Transport {
    Plain,
    /// A TLS session whose handshake is complete. Decrypted bytes may wait inside it: a read
    /// returns those before touching the socket, so read until `WouldBlock` as with a socket.
    Tls(Box<ClientConnection>),
}

impl Transport {
    /// Clear text: callers may write to the socket directly.
    pub fn is_plain(&self) -> bool {
        matches!(self, Transport::Plain)
    }

    /// Reads decrypted bytes into `buf`. `Ok(0)` is end of stream. TLS failures (a bad
    /// record, an alert from the server) are `InvalidData` errors carrying the rustls error.
    pub fn read<S: Read + Write>(&mut self, sock: &mut S, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Transport::Plain => sock.read(buf),
            Transport::Tls(c) => super::tls::read(c, sock, buf),
        }
    }

    /// Writes (part of) `data`; returns how many bytes of `data` were taken. With TLS the
    /// bytes taken may still wait as records in the session: call [`Transport::flush`].
    pub fn write<S: Read + Write>(&mut self, sock: &mut S, data: &[u8]) -> io::Result<usize> {
        match self {
            Transport::Plain => sock.write(data),
            Transport::Tls(c) => super::tls::write(c, sock, data),
        }
    }

    /// Pushes bytes the transport itself buffered (TLS records). `Ok(true)` when nothing is
    /// left to push.
    pub fn flush<S: Read + Write>(&mut self, sock: &mut S) -> io::Result<bool> {
        match self {
            Transport::Plain => Ok(true),
            Transport::Tls(c) => super::tls::flush(c, sock),
        }
    }

    /// Decrypted bytes already held by the transport, taken without reading the socket.
    pub fn take_buffered(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        if let Transport::Tls(c) = self {
            let mut chunk = [0u8; 4096];
            while let Ok(n) = c.reader().read(&mut chunk) {
                if n == 0 {
                    break;
                }
                out.extend_from_slice(&chunk[..n]);
            }
        }
        out
    }

    /// Before closing the socket: tells a TLS server the session ends (best effort, never
    /// blocks on a non-blocking socket).
    pub fn close<S: Read + Write>(&mut self, sock: &mut S) {
        if let Transport::Tls(c) = self {
            c.send_close_notify();
            let _ = super::tls::flush(c, sock);
        }
    }

    /// Whether this is a TLS session.
    pub fn is_tls(&self) -> bool {
        matches!(self, Transport::Tls(_))
    }
}
