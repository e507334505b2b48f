//! Message headers: the `NATS/1.0` block of HPUB/HMSG, parsed and encoded.
//!
//! Keys are case-sensitive and keep their insertion order; a key may have several values.
//! An inline status line (`NATS/1.0 503 No Responders`) is exposed as the `Status` and
//! `Description` headers, as nats.c does.
#![forbid(unsafe_code)]

use std::ffi::{CStr, CString};

use crate::status::{err, natsStatus, Result};

/// The header holding an inline status code.
pub const STATUS_HDR: &str = "Status";
/// The header holding the description that follows an inline status code.
pub const DESCRIPTION_HDR: &str = "Description";
const VERSION_LINE: &[u8] = b"NATS/1.0";

/// An ordered multimap of header keys to values, stored as C strings so the C API can hand
/// out pointers that live as long as the message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers {
    entries: Vec<(CString, Vec<CString>)>,
}

fn check_key(key: &str) -> Result<()> {
    if key.is_empty() {
        return err(natsStatus::NATS_INVALID_ARG, "header key must not be empty");
    }
    // A colon or a line break would change the meaning of the header block on the wire.
    // Surrounding blanks would be lost when the block is parsed on the other side.
    let edge_blank = key.starts_with([' ', '\t']) || key.ends_with([' ', '\t']);
    if edge_blank || key.bytes().any(|b| b == b':' || b == b'\r' || b == b'\n' || b == 0) {
        return err(natsStatus::NATS_INVALID_ARG, format!("header key '{}' contains ':', a line break or surrounding blanks", key.escape_debug()));
    }
    Ok(())
}

fn check_value(value: &str) -> Result<()> {
    if value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
        return err(natsStatus::NATS_INVALID_ARG, "header value must not contain CR or LF");
    }
    Ok(())
}

fn cstring(s: &str) -> CString {
    CString::new(s).unwrap_or_default()
}

impl Headers {
    pub fn new() -> Headers {
        Headers::default()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn find(&self, key: &str) -> Option<usize> {
        self.entries.iter().position(|(k, _)| k.as_bytes() == key.as_bytes())
    }

    /// Replaces every value of `key` with `value`.
    pub fn set(&mut self, key: &str, value: &str) -> Result<()> {
        check_key(key)?;
        check_value(value)?;
        match self.find(key) {
            Some(i) => self.entries[i].1 = vec![cstring(value)],
            None => self.entries.push((cstring(key), vec![cstring(value)])),
        }
        Ok(())
    }

    /// Adds `value` to the values of `key`.
    pub fn add(&mut self, key: &str, value: &str) -> Result<()> {
        check_key(key)?;
        check_value(value)?;
        match self.find(key) {
            Some(i) => self.entries[i].1.push(cstring(value)),
            None => self.entries.push((cstring(key), vec![cstring(value)])),
        }
        Ok(())
    }

    /// The first value of `key`.
    pub fn get(&self, key: &str) -> Option<&CStr> {
        self.find(key).and_then(|i| self.entries[i].1.first()).map(|v| v.as_c_str())
    }

    /// Every value of `key`.
    pub fn values(&self, key: &str) -> Option<&[CString]> {
        self.find(key).map(|i| self.entries[i].1.as_slice())
    }

    /// Every key, in insertion order.
    pub fn keys(&self) -> impl Iterator<Item = &CStr> {
        self.entries.iter().map(|(k, _)| k.as_c_str())
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Removes `key`; false when it was not there.
    pub fn delete(&mut self, key: &str) -> bool {
        match self.find(key) {
            Some(i) => {
                self.entries.remove(i);
                true
            }
            None => false,
        }
    }

    /// The inline status code, if any (e.g. 503).
    pub fn status(&self) -> Option<u16> {
        self.get(STATUS_HDR).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse().ok())
    }

    /// Appends the header block (`NATS/1.0\r\n` + `Key: Value\r\n`... + `\r\n`).
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(VERSION_LINE);
        out.extend_from_slice(b"\r\n");
        for (k, vs) in &self.entries {
            for v in vs {
                out.extend_from_slice(k.as_bytes());
                out.extend_from_slice(b": ");
                out.extend_from_slice(v.as_bytes());
                out.extend_from_slice(b"\r\n");
            }
        }
        out.extend_from_slice(b"\r\n");
    }

    pub fn encoded(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(64);
        self.encode(&mut v);
        v
    }

    /// Parses a header block as received in HMSG.
    pub fn parse(block: &[u8]) -> Result<Headers> {
        let text = std::str::from_utf8(block)
            .map_err(|_| crate::status::Error::new(natsStatus::NATS_PROTOCOL_ERROR, "message headers are not valid UTF-8"))?;
        let mut lines = text.split("\r\n");
        let first = lines.next().unwrap_or("");
        let rest = first
            .strip_prefix("NATS/1.0")
            .ok_or_else(|| crate::status::Error::new(natsStatus::NATS_PROTOCOL_ERROR, "message headers do not start with NATS/1.0"))?;
        let mut h = Headers::new();
        let rest = rest.trim();
        if !rest.is_empty() {
            let (code, desc) = match rest.split_once([' ', '\t']) {
                Some((c, d)) => (c, d.trim()),
                None => (rest, ""),
            };
            if code.len() == 3 && code.bytes().all(|b| b.is_ascii_digit()) {
                h.entries.push((cstring(STATUS_HDR), vec![cstring(code)]));
                if !desc.is_empty() {
                    h.entries.push((cstring(DESCRIPTION_HDR), vec![cstring(desc)]));
                }
            } else {
                return err(natsStatus::NATS_PROTOCOL_ERROR, format!("invalid status in message headers: '{rest}'"));
            }
        }
        for line in lines {
            if line.is_empty() {
                continue;
            }
            let Some((k, v)) = line.split_once(':') else {
                return err(natsStatus::NATS_PROTOCOL_ERROR, format!("invalid header line '{line}'"));
            };
            let k = k.trim();
            if k.is_empty() {
                return err(natsStatus::NATS_PROTOCOL_ERROR, format!("invalid header line '{line}'"));
            }
            let v = v.trim();
            match h.find(k) {
                Some(i) => h.entries[i].1.push(cstring(v)),
                None => h.entries.push((cstring(k), vec![cstring(v)])),
            }
        }
        Ok(h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_add_get_values_keys_delete() {
        let mut h = Headers::new();
        h.set("A", "1").unwrap();
        h.add("A", "2").unwrap();
        h.add("b", "x").unwrap();
        assert_eq!(h.get("A").unwrap().to_bytes(), b"1");
        assert!(h.get("a").is_none(), "keys are case-sensitive");
        assert_eq!(h.values("A").unwrap().len(), 2);
        let keys: Vec<_> = h.keys().map(|k| k.to_str().unwrap().to_string()).collect();
        assert_eq!(keys, ["A", "b"]);
        h.set("A", "3").unwrap();
        assert_eq!(h.values("A").unwrap().len(), 1);
        assert!(h.delete("A"));
        assert!(!h.delete("A"));
        assert_eq!(h.len(), 1);
    }

    #[test]
    fn rejects_bad_keys_and_values() {
        let mut h = Headers::new();
        assert_eq!(h.set("", "v").unwrap_err().status, natsStatus::NATS_INVALID_ARG);
        assert!(h.set("a b", "v").is_ok());
        assert_eq!(h.set("a\r\nb", "v").unwrap_err().status, natsStatus::NATS_INVALID_ARG);
        assert_eq!(h.set("a:b", "v").unwrap_err().status, natsStatus::NATS_INVALID_ARG);
        assert_eq!(h.set("k", "a\r\nb").unwrap_err().status, natsStatus::NATS_INVALID_ARG);
        assert_eq!(h.add("k", "a\nb").unwrap_err().status, natsStatus::NATS_INVALID_ARG);
    }

    #[test]
    fn encode_parse_round_trip() {
        let mut h = Headers::new();
        h.add("Key", "v1").unwrap();
        h.add("Key", "v2").unwrap();
        h.set("Other", "with: colon").unwrap();
        let block = h.encoded();
        assert_eq!(block, b"NATS/1.0\r\nKey: v1\r\nKey: v2\r\nOther: with: colon\r\n\r\n");
        let p = Headers::parse(&block).unwrap();
        assert_eq!(p, h);
    }

    #[test]
    fn status_line() {
        let h = Headers::parse(b"NATS/1.0 503\r\n\r\n").unwrap();
        assert_eq!(h.status(), Some(503));
        let h = Headers::parse(b"NATS/1.0 408 Request Timeout\r\nX: y\r\n\r\n").unwrap();
        assert_eq!(h.status(), Some(408));
        assert_eq!(h.get(DESCRIPTION_HDR).unwrap().to_bytes(), b"Request Timeout");
        assert_eq!(h.get("X").unwrap().to_bytes(), b"y");
        assert!(Headers::parse(b"HTTP/1.1\r\n\r\n").is_err());
        assert!(Headers::parse(b"NATS/1.0\r\nnocolon\r\n\r\n").is_err());
    }
}
