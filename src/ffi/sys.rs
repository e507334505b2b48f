//! The operating-system calls the standard library does not wrap. They live here because this
//! is the one module allowed `unsafe`; the connection core calls them as safe functions.

use std::io;
use std::os::fd::AsRawFd;

/// Linux's TCP_NOTSENT_LOWAT: the socket accepts more data (and reports writable) only while
/// less than `bytes` of what it holds are still unsent. Keeping that queue short lets the
/// kernel hand the data on as it is written instead of piling it up in front of a busy
/// receiver, which measurably speeds up a local nats-server taking a publish flood.
#[cfg(target_os = "linux")]
pub fn set_tcp_notsent_lowat(sock: &impl AsRawFd, bytes: u32) -> io::Result<()> {
    let v: libc::c_int = bytes.min(libc::c_int::MAX as u32) as libc::c_int;
    // SAFETY: a valid socket descriptor and a pointer to a c_int that outlives the call,
    // with its exact size.
    let rc = unsafe {
        libc::setsockopt(
            sock.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_NOTSENT_LOWAT,
            &v as *const libc::c_int as *const libc::c_void,
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Elsewhere the option does not exist; the socket keeps the system's behaviour.
#[cfg(not(target_os = "linux"))]
pub fn set_tcp_notsent_lowat(_sock: &impl AsRawFd, _bytes: u32) -> io::Result<()> {
    Ok(())
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::net::{TcpListener, TcpStream};

    #[test]
    fn notsent_lowat_is_set() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let s = TcpStream::connect(l.local_addr().unwrap()).unwrap();
        set_tcp_notsent_lowat(&s, 65536).unwrap();
        let mut v: libc::c_int = 0;
        let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: valid descriptor, out-pointers to a c_int and its length.
        let rc = unsafe {
            libc::getsockopt(
                s.as_raw_fd(),
                libc::IPPROTO_TCP,
                libc::TCP_NOTSENT_LOWAT,
                &mut v as *mut libc::c_int as *mut libc::c_void,
                &mut len,
            )
        };
        assert_eq!(rc, 0);
        assert_eq!(v, 65536);
    }
}
