//! The current time in nanoseconds since the Unix epoch (entries' creation times are on
//! that scale; the server's RFC 3339 times are read with `js::rfc3339`).

/// Now, in nanoseconds since the Unix epoch.
pub fn now_ns() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as i64)
}
