//! Times in the JetStream API: RFC 3339 strings in JSON (`2024-01-02T03:04:05.123456789Z`,
//! any UTC offset) and, on the C side, nanoseconds since the epoch (UTC). Go's zero time
//! (`0001-01-01T00:00:00Z`) is 0, as nats.c reads it.

use serde::{Deserialize, Deserializer, Serializer};

const NANOS: i64 = 1_000_000_000;

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// The date of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = if z >= 0 { z } else { z - 146096 } / 146097;
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn num(s: &str) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Nanoseconds since the epoch of an RFC 3339 time; None when malformed.
pub fn parse(s: &str) -> Option<i64> {
    if s == "0001-01-01T00:00:00Z" {
        return Some(0);
    }
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (y, mo, d) = (num(&s[0..4])?, num(&s[5..7])?, num(&s[8..10])?);
    let (h, mi, sec) = (num(&s[11..13])?, num(&s[14..16])?, num(&s[17..19])?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut rest = &s[19..];
    let mut frac = 0i64;
    if let Some(r) = rest.strip_prefix('.') {
        let n = r.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 || n > 9 {
            return None;
        }
        frac = num(&r[..n])? * 10i64.pow(9 - n as u32);
        rest = &r[n..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        o if o.len() == 6 && (o.starts_with('+') || o.starts_with('-')) && o.as_bytes()[3] == b':' => {
            let secs = num(&o[1..3])? * 3600 + num(&o[4..6])? * 60;
            if o.starts_with('-') {
                -secs
            } else {
                secs
            }
        }
        _ => return None,
    };
    let secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset;
    secs.checked_mul(NANOS)?.checked_add(frac)
}

/// The RFC 3339 UTC form of nanoseconds since the epoch, with nanoseconds when not whole.
pub fn format(ns: i64) -> String {
    let secs = ns.div_euclid(NANOS);
    let frac = ns.rem_euclid(NANOS);
    let (y, m, d) = civil_from_days(secs.div_euclid(86400));
    let t = secs.rem_euclid(86400);
    let mut s = format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60);
    if frac != 0 {
        s.push_str(format!(".{frac:09}").trim_end_matches('0'));
    }
    s.push('Z');
    s
}

/// serde for an `i64` of nanoseconds held as an RFC 3339 string; 0 is written as nothing
/// (callers skip it) and a missing or null field reads as 0.
pub mod serde_ns {
    use super::*;

    pub fn serialize<S: Serializer>(ns: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format(*ns))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        let v: Option<String> = Option::deserialize(d)?;
        match v {
            None => Ok(0),
            Some(t) => parse(&t).ok_or_else(|| serde::de::Error::custom(format!("invalid time '{t}'"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats() {
        assert_eq!(parse("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse("0001-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse("2021-07-22T17:05:03.123456789Z"), Some(1626973503123456789));
        assert_eq!(parse("2021-07-22T19:05:03.5+02:00"), Some(1626973503500000000));
        assert_eq!(parse("2021-07-22T12:05:03-05:00"), Some(1626973503000000000));
        for bad in ["", "2021-07-22", "2021-07-22T17:05:03", "2021-13-22T17:05:03Z", "2021-07-22T17:05:03.Z", "x021-07-22T17:05:03Z"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
        assert_eq!(format(1626973503123456789), "2021-07-22T17:05:03.123456789Z");
        assert_eq!(format(1626973503000000000), "2021-07-22T17:05:03Z");
        assert_eq!(format(1626973503500000000), "2021-07-22T17:05:03.5Z");
        for ns in [0, 1, 951782400000000001, 4102444800123000000] {
            assert_eq!(parse(&format(ns)), Some(ns));
        }
    }
}
