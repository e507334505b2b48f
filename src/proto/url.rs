//! Server URLs: `[scheme://][user[:password]@]host[:port]`.
//!
//! The scheme is `nats` (the default) or `tls`; the port defaults to 4222. Host names are
//! kept as written (not lowercased); IPv6 addresses are written in brackets.
#![forbid(unsafe_code)]

use std::net::Ipv6Addr;

use crate::status::{err, natsStatus::*, Result};

/// The port used when a URL does not give one.
pub const DEFAULT_PORT: u16 = 4222;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerUrl {
    /// "nats" (also when absent) or "tls", lowercase.
    pub scheme: String,
    /// Without IPv6 brackets.
    pub host: String,
    /// 4222 when absent.
    pub port: u16,
    /// Percent-decoded.
    pub user: Option<String>,
    /// Percent-decoded.
    pub password: Option<String>,
    /// "scheme://[user[:pass]@]host:port" (user information as written), IPv6 host in brackets.
    pub full: String,
}

impl ServerUrl {
    /// Whether the scheme asks for TLS.
    pub fn is_tls(&self) -> bool {
        self.scheme == "tls"
    }

    /// "host:port", or "[v6-address]:port", suitable for resolving and connecting.
    pub fn host_port(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// Parses one server URL; surrounding whitespace is ignored.
pub fn parse_url(s: &str) -> Result<ServerUrl> {
    let s = s.trim();
    if s.is_empty() {
        return err(NATS_INVALID_ARG, "server URL is empty");
    }
    let (scheme, rest) = match s.find("://") {
        Some(i) => (s[..i].to_ascii_lowercase(), &s[i + 3..]),
        None => ("nats".to_string(), s),
    };
    match scheme.as_str() {
        "nats" | "tls" => {}
        "" => {
            return err(
                NATS_INVALID_ARG,
                format!("missing scheme in server URL '{s}'"),
            )
        }
        other => {
            return err(
                NATS_INVALID_ARG,
                format!(
                    "unsupported scheme '{other}' in server URL '{s}' (expected 'nats' or 'tls')"
                ),
            )
        }
    }

    // User information ends at the last '@', so a password may contain '@', '/' or ':'.
    let (userinfo, after) = match rest.rfind('@') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => ("", rest),
    };
    let end = after.find(['/', '?', '#']).unwrap_or(after.len());
    let (hostport, tail) = after.split_at(end);
    if !(tail.is_empty() || tail == "/") {
        return err(
            NATS_INVALID_ARG,
            format!("unexpected path or query '{tail}' in server URL '{s}'"),
        );
    }

    let (host, port) = split_host_port(hostport, s)?;
    let port = match port {
        None => DEFAULT_PORT,
        Some(p) => parse_port(p, s)?,
    };

    let (user, password) = match userinfo.split_once(':') {
        Some((u, p)) => (u, Some(p)),
        None => (userinfo, None),
    };
    let user = if user.is_empty() {
        None
    } else {
        Some(percent_decode(user, s)?)
    };
    let password = password.map(|p| percent_decode(p, s)).transpose()?;

    let mut full = format!("{scheme}://");
    if !userinfo.is_empty() {
        full.push_str(userinfo);
        full.push('@');
    }
    if host.contains(':') {
        full.push('[');
        full.push_str(host);
        full.push(']');
    } else {
        full.push_str(host);
    }
    full.push(':');
    full.push_str(itoa::Buffer::new().format(port));

    Ok(ServerUrl {
        scheme,
        host: host.to_string(),
        port,
        user,
        password,
        full,
    })
}

/// Parses a comma-separated list of server URLs; every entry must be non-empty.
pub fn parse_url_list(s: &str) -> Result<Vec<ServerUrl>> {
    if s.trim().is_empty() {
        return err(NATS_INVALID_ARG, "server URL list is empty");
    }
    s.split(',')
        .enumerate()
        .map(|(i, item)| {
            if item.trim().is_empty() {
                err(
                    NATS_INVALID_ARG,
                    format!("empty entry #{} in server URL list '{s}'", i + 1),
                )
            } else {
                parse_url(item)
            }
        })
        .collect()
}

/// Splits "host", "host:port", "[v6]", "[v6]:port" or a bare v6 address; checks the host.
fn split_host_port<'a>(hostport: &'a str, url: &str) -> Result<(&'a str, Option<&'a str>)> {
    let (host, port) = if let Some(r) = hostport.strip_prefix('[') {
        let Some(close) = r.find(']') else {
            return err(
                NATS_INVALID_ARG,
                format!("missing ']' after IPv6 address in server URL '{url}'"),
            );
        };
        let (host, after) = (&r[..close], &r[close + 1..]);
        let port = if after.is_empty() {
            None
        } else if let Some(p) = after.strip_prefix(':') {
            Some(p)
        } else {
            return err(
                NATS_INVALID_ARG,
                format!("unexpected '{after}' after IPv6 address in server URL '{url}'"),
            );
        };
        if host.is_empty() {
            return err(
                NATS_ADDRESS_MISSING,
                format!("no host in server URL '{url}'"),
            );
        }
        // A zone ("fe80::1%eth0") is allowed after the address.
        let addr = host.split_once('%').map_or(host, |(a, _)| a);
        if addr.parse::<Ipv6Addr>().is_err() {
            return err(
                NATS_INVALID_ARG,
                format!("invalid IPv6 address '{host}' in server URL '{url}'"),
            );
        }
        return Ok((host, port));
    } else if hostport.bytes().filter(|&b| b == b':').count() > 1 {
        // Only a bare IPv6 address (without a port) has several colons.
        if hostport.parse::<Ipv6Addr>().is_err() {
            return err(
                NATS_INVALID_ARG,
                format!("invalid address in server URL '{url}' (write IPv6 addresses in brackets)"),
            );
        }
        return Ok((hostport, None));
    } else {
        match hostport.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        }
    };
    // As nats.c: a URL without a host ("nats://", "nats://:4222") means this machine.
    let host = if host.is_empty() { "localhost" } else { host };
    // Validation only: the host is kept as written.
    if host.contains('%') || ::url::Host::parse(host).is_err() {
        return err(
            NATS_INVALID_ARG,
            format!("invalid host '{host}' in server URL '{url}'"),
        );
    }
    Ok((host, port))
}

fn parse_port(p: &str, url: &str) -> Result<u16> {
    if p.is_empty() {
        return err(
            NATS_INVALID_ARG,
            format!("missing port number after ':' in server URL '{url}'"),
        );
    }
    match p.parse::<u16>() {
        Ok(n) if n != 0 && p.bytes().all(|b| b.is_ascii_digit()) => Ok(n),
        _ => err(
            NATS_INVALID_ARG,
            format!("invalid port '{p}' in server URL '{url}' (expected 1 to 65535)"),
        ),
    }
}

/// Decodes %XX escapes; a '%' not followed by two hex digits is kept as is.
fn percent_decode(s: &str, url: &str) -> Result<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8(out).or_else(|_| {
        err(
            NATS_INVALID_ARG,
            format!("user information of server URL '{url}' is not UTF-8"),
        )
    })
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::natsStatus;

    fn url(s: &str) -> ServerUrl {
        parse_url(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn fails(s: &str, status: natsStatus) {
        match parse_url(s) {
            Ok(u) => panic!("{s:?} parsed as {u:?}"),
            Err(e) => {
                assert_eq!(e.status, status, "{s:?}: {}", e.text);
                assert!(!e.text.is_empty());
            }
        }
    }

    #[test]
    fn plain_hosts() {
        let u = url("localhost");
        assert_eq!(
            u,
            ServerUrl {
                scheme: "nats".into(),
                host: "localhost".into(),
                port: 4222,
                user: None,
                password: None,
                full: "nats://localhost:4222".into(),
            }
        );
        assert!(!u.is_tls());
        assert_eq!(u.host_port(), "localhost:4222");
        let u = url("host");
        assert_eq!((u.host.as_str(), u.port), ("host", 4222));
        let u = url("MyHost.Example.COM:4333");
        assert_eq!((u.host.as_str(), u.port), ("MyHost.Example.COM", 4333));
        assert_eq!(u.full, "nats://MyHost.Example.COM:4333");
        let u = url("  127.0.0.1:65535 \t");
        assert_eq!((u.host.as_str(), u.port), ("127.0.0.1", 65535));
    }

    #[test]
    fn with_scheme() {
        let u = url("nats://demo.nats.io:4443");
        assert_eq!(
            (u.scheme.as_str(), u.host.as_str(), u.port),
            ("nats", "demo.nats.io", 4443)
        );
        let u = url("tls://secure:4443");
        assert!(u.is_tls());
        assert_eq!(u.full, "tls://secure:4443");
        let u = url("TLS://secure");
        assert_eq!((u.scheme.as_str(), u.port), ("tls", 4222));
        assert_eq!(url("nats://host:4222/").full, "nats://host:4222");
    }

    #[test]
    fn user_information() {
        let u = url("nats://derek:s3cr3t@host:4222");
        assert_eq!(
            (u.user.as_deref(), u.password.as_deref()),
            (Some("derek"), Some("s3cr3t"))
        );
        assert_eq!(u.full, "nats://derek:s3cr3t@host:4222");
        let u = url("nats://mytoken@host");
        assert_eq!((u.user.as_deref(), u.password), (Some("mytoken"), None));
        assert_eq!(u.full, "nats://mytoken@host:4222");
        let u = url("nats://us%40er:p%3Aa%2Fs%25s@host:1");
        assert_eq!(
            (u.user.as_deref(), u.password.as_deref()),
            (Some("us@er"), Some("p:a/s%s"))
        );
        assert_eq!(u.full, "nats://us%40er:p%3Aa%2Fs%25s@host:1");
        // Unescaped specials in the password, and an invalid escape kept as is.
        let u = url("nats://u:p@ss/w:rd%zz@host");
        assert_eq!(
            (u.user.as_deref(), u.password.as_deref()),
            (Some("u"), Some("p@ss/w:rd%zz"))
        );
        let u = url("nats://u:@host");
        assert_eq!(u.password.as_deref(), Some(""));
        let u = url("nats://:tok@host");
        assert_eq!((u.user, u.password.as_deref()), (None, Some("tok")));
        fails("nats://%ff@host", NATS_INVALID_ARG);
    }

    #[test]
    fn ipv6() {
        let u = url("[::1]:4222");
        assert_eq!((u.host.as_str(), u.port), ("::1", 4222));
        assert_eq!(u.full, "nats://[::1]:4222");
        assert_eq!(u.host_port(), "[::1]:4222");
        let u = url("nats://[::1]:4333");
        assert_eq!((u.host.as_str(), u.port), ("::1", 4333));
        let u = url("tls://user:pw@[fe80::1%eth0]");
        assert_eq!((u.host.as_str(), u.port), ("fe80::1%eth0", 4222));
        assert_eq!(u.full, "tls://user:pw@[fe80::1%eth0]:4222");
        let u = url("2001:db8::7");
        assert_eq!((u.host.as_str(), u.port), ("2001:db8::7", 4222));
        assert_eq!(u.host_port(), "[2001:db8::7]:4222");
        fails("[::1", NATS_INVALID_ARG);
        fails("[::1]x", NATS_INVALID_ARG);
        fails("[zz::1]:4222", NATS_INVALID_ARG);
        fails("a:b:c", NATS_INVALID_ARG);
        fails("nats://[]:4222", NATS_ADDRESS_MISSING);
    }

    #[test]
    fn errors() {
        for s in ["", " ", "\t\n"] {
            fails(s, NATS_INVALID_ARG);
        }
        for s in ["nats://:4222", "nats://", "nats://user:pw@", ":4222", "tls://:1"] {
            assert_eq!(parse_url(s).unwrap().host, "localhost", "{s}");
        }
        for s in [
            "host:abc",
            "host:99999",
            "host:0",
            "host:",
            "host:-1",
            "host:+80",
            "nats://host:12ab",
        ] {
            fails(s, NATS_INVALID_ARG);
        }
        for s in ["ws://host:80", "http://host", "://host", "wss://h"] {
            fails(s, NATS_INVALID_ARG);
        }
        for s in ["ho st:4222", "host/path", "host?x", "h<o>st", "host%20"] {
            fails(s, NATS_INVALID_ARG);
        }
        let e = parse_url("ws://host").unwrap_err();
        assert!(e.text.contains("unsupported scheme 'ws'"), "{}", e.text);
        let e = parse_url("host:99999").unwrap_err();
        assert!(e.text.contains("invalid port '99999'"), "{}", e.text);
    }

    #[test]
    fn lists() {
        let l = parse_url_list("nats://a:1, tls://b:2 ,c").unwrap();
        let fulls: Vec<&str> = l.iter().map(|u| u.full.as_str()).collect();
        assert_eq!(fulls, ["nats://a:1", "tls://b:2", "nats://c:4222"]);
        assert_eq!(
            parse_url_list("  [::1]:5 ").unwrap()[0].host_port(),
            "[::1]:5"
        );
        for s in ["", " ", ",", "a,,b", "a,", ",a", "a, ,b"] {
            let e = parse_url_list(s).unwrap_err();
            assert_eq!(e.status, NATS_INVALID_ARG, "{s:?}");
        }
        assert_eq!(parse_url_list("a,nats://").unwrap()[1].host, "localhost");
        assert_eq!(
            parse_url_list("a,b:0").unwrap_err().status,
            NATS_INVALID_ARG
        );
    }
}
