//! How bytes cross the socket: in the clear, or through a TLS session. The event loop only
//! talks to a [`Transport`]; readiness semantics are those of the underlying non-blocking
//! socket (`WouldBlock` means wait for the next event).
#![forbid(unsafe_code)]

use std::io::{self, Read, Write};

/// The byte channel of one connection.
pub enum Transport {
    Plain,
}

impl Transport {
    /// Reads decrypted bytes into `buf`. `Ok(0)` is end of stream.
    pub fn read<S: Read + Write>(&mut self, sock: &mut S, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Transport::Plain => sock.read(buf),
        }
    }

    /// Writes (part of) `data`; returns how many bytes of `data` were taken.
    pub fn write<S: Read + Write>(&mut self, sock: &mut S, data: &[u8]) -> io::Result<usize> {
        match self {
            Transport::Plain => sock.write(data),
        }
    }

    /// Pushes bytes the transport itself buffered (TLS records). `Ok(true)` when nothing is
    /// left to push.
    pub fn flush<S: Read + Write>(&mut self, sock: &mut S) -> io::Result<bool> {
        let _ = sock;
        match self {
            Transport::Plain => Ok(true),
        }
    }
}
