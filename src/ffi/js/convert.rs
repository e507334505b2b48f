//! Reading borrowed data out of the C structs the application passes in (configurations,
//! options). Everything is copied into owned Rust values; the error names the field
//! (`what`, for instance "jsStreamConfig.Subjects") and is `NATS_INVALID_ARG`.
//!
//! These functions trust the pointers they are given as C's contract requires: non-NULL
//! pointers are valid for the stated number of elements during the call.

use std::ffi::{c_char, c_int, CStr};

use crate::ffi::boundary::invalid_arg;
use crate::status::Result;

/// A string field: NULL gives `None`; invalid UTF-8 is an error.
pub fn c_str_opt(p: *const c_char, what: &str) -> Result<Option<String>> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: a non-NULL string field points to a NUL-terminated string (C's contract).
    let s = unsafe { CStr::from_ptr(p) };
    s.to_str().map(|s| Some(s.to_owned())).map_err(|_| invalid_arg(format!("{what} is not valid UTF-8")))
}

/// A string field where NULL and "" both mean "not set", as nats.c treats them.
pub fn c_str_set(p: *const c_char, what: &str) -> Result<Option<String>> {
    Ok(c_str_opt(p, what)?.filter(|s| !s.is_empty()))
}

/// A required string field: NULL and "" are errors.
pub fn c_str_req(p: *const c_char, what: &str) -> Result<String> {
    c_str_set(p, what)?.ok_or_else(|| invalid_arg(format!("{what} must be set")))
}

/// The elements of an array field given as pointer + count: `n` may be 0 with any pointer;
/// a negative count, or a NULL pointer with a positive count, is an error.
pub fn c_slice<'a, T>(p: *const T, n: c_int, what: &str) -> Result<&'a [T]> {
    if n < 0 {
        return Err(invalid_arg(format!("{what}: negative count ({n})")));
    }
    if n == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(invalid_arg(format!("{what} is NULL but its count is {n}")));
    }
    // SAFETY: a non-NULL array field holds `n` elements (C's contract).
    Ok(unsafe { std::slice::from_raw_parts(p, n as usize) })
}

/// An array of strings (`const char **X; int XLen`): every element must be a non-NULL,
/// valid UTF-8 string.
pub fn c_str_array<P: Copy + Into<*const c_char>>(p: *const P, n: c_int, what: &str) -> Result<Vec<String>> {
    c_slice(p, n, what)?
        .iter()
        .enumerate()
        .map(|(i, &s)| {
            let s: *const c_char = s.into();
            c_str_opt(s, &format!("{what}[{i}]"))?.ok_or_else(|| invalid_arg(format!("{what}[{i}] is NULL")))
        })
        .collect()
}

/// A nested struct given by pointer (`jsPlacement *Placement`): NULL gives `None`.
pub fn c_ref<'a, T>(p: *const T) -> Option<&'a T> {
    // SAFETY: a non-NULL struct pointer field is valid for the call (C's contract).
    unsafe { p.as_ref() }
}

/// An array of pointers to structs (`jsStreamSource **Sources; int SourcesLen`): every
/// element must be non-NULL.
pub fn c_ref_array<'a, T>(p: *const *mut T, n: c_int, what: &str) -> Result<Vec<&'a T>> {
    c_slice(p, n, what)?
        .iter()
        .enumerate()
        .map(|(i, &e)| c_ref(e.cast_const()).ok_or_else(|| invalid_arg(format!("{what}[{i}] is NULL"))))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffi::js::{jsStreamConfig, jsStreamSource};
    use crate::status::natsStatus;

    #[test]
    fn strings_and_arrays_are_copied_with_checks() {
        assert_eq!(c_str_opt(std::ptr::null(), "x").unwrap(), None);
        assert_eq!(c_str_opt(c"".as_ptr(), "x").unwrap(), Some(String::new()));
        assert_eq!(c_str_set(c"".as_ptr(), "x").unwrap(), None);
        assert_eq!(c_str_req(c"S".as_ptr(), "x").unwrap(), "S");
        let e = c_str_req(std::ptr::null(), "jsStreamConfig.Name").unwrap_err();
        assert_eq!(e.status, natsStatus::NATS_INVALID_ARG);
        assert!(e.text.contains("jsStreamConfig.Name"), "{}", e.text);
        let bad = [0xffu8, 0];
        let e = c_str_opt(bad.as_ptr() as *const c_char, "jsOptions.Prefix").unwrap_err();
        assert!(e.text.contains("jsOptions.Prefix is not valid UTF-8"), "{}", e.text);

        let subjects = [c"a".as_ptr(), c"b.>".as_ptr()];
        let cfg = jsStreamConfig { Subjects: subjects.as_ptr() as *mut _, SubjectsLen: 2, ..Default::default() };
        assert_eq!(c_str_array(cfg.Subjects, cfg.SubjectsLen, "Subjects").unwrap(), ["a", "b.>"]);
        assert!(c_str_array(cfg.Subjects, -1, "Subjects").is_err());
        assert!(c_str_array::<*const c_char>(std::ptr::null(), 1, "Subjects").is_err());
        assert!(c_str_array::<*const c_char>(std::ptr::null(), 0, "Subjects").unwrap().is_empty());
        let with_null = [c"a".as_ptr(), std::ptr::null()];
        let e = c_str_array(with_null.as_ptr(), 2, "jsStreamConfig.Subjects").unwrap_err();
        assert!(e.text.contains("jsStreamConfig.Subjects[1] is NULL"), "{}", e.text);

        let backoff = [1_000_000i64, 2_000_000];
        assert_eq!(c_slice(backoff.as_ptr(), 2, "BackOff").unwrap(), &backoff);

        let mut s1 = jsStreamSource { OptStartSeq: 5, ..Default::default() };
        let sources = [&mut s1 as *mut jsStreamSource];
        let refs = c_ref_array(sources.as_ptr(), 1, "Sources").unwrap();
        assert_eq!(refs[0].OptStartSeq, 5);
        let nulls = [std::ptr::null_mut::<jsStreamSource>()];
        assert!(c_ref_array(nulls.as_ptr(), 1, "Sources").is_err());
        assert!(c_ref::<jsStreamSource>(std::ptr::null()).is_none());
    }
}
