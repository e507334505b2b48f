//! Objects the library hands to C and C frees with one `*_Destroy(ptr)` call.
//!
//! A returned C struct (`jsStreamInfo`, `jsPubAck`, ...) points to strings, arrays and
//! nested structs. [`Owned<T>`] keeps the struct and all of that in one heap object: the
//! struct is its first field, so the pointer C receives is the pointer to the whole, and
//! [`destroy`] frees everything from it. The pointed-to memory is allocated by a
//! [`Builder`] while the struct is filled in; each piece is a separate heap allocation
//! that never moves, so the pointers stay valid when the builder's storage is moved into
//! the `Owned` box.
//!
//! ```ignore
//! let b = Builder::new();
//! let (subjects, n) = b.const_strs(&cfg.subjects);
//! let config = b.boxed(jsStreamConfig { Name: b.str(&cfg.name), Subjects: subjects, SubjectsLen: n, ..Default::default() });
//! let si: *mut jsStreamInfo = b.finish(jsStreamInfo { Config: config, Created: created, ..Default::default() });
//! // ... later, from jsStreamInfo_Destroy(si):
//! unsafe { destroy(si) };
//! ```
//!
//! Lists whose elements C may destroy one by one (`jsStreamInfoList`, ...) hold elements
//! that are each their own `Owned` object: build each with its own builder, then
//! [`Builder::array`] the element pointers into the list's builder.
//!
//! Lists that the library fills in a caller's struct (`kvKeysList`, `natsMsgList`, ...)
//! have no owning object: their arrays and strings come from `malloc`
//! ([`malloc_array`], `boundary::malloc_str_array`) so that their `*_Destroy` (or the
//! application, for an entry it took out of the list) frees them with `free`.

use std::cell::RefCell;
use std::ffi::{c_char, c_int, CString};
use std::mem::size_of;

use crate::ffi::boundary::malloc_str_array;
use crate::status::{natsStatus, Error, Result};

/// Something kept alive by an [`Owned`] object and released with it.
trait Held {}
impl<T: ?Sized> Held for T {}

/// A heap allocation known by its raw pointer (the `Box` is rebuilt to free it). Keeping
/// the raw pointer rather than the `Box` means moving the storage never asserts unique
/// ownership over memory that C-visible pointers point into.
struct RawBox<S: ?Sized>(*mut S);

impl<S: ?Sized> Drop for RawBox<S> {
    fn drop(&mut self) {
        // SAFETY: the pointer came from Box::into_raw in Builder and is dropped once, here.
        drop(unsafe { Box::from_raw(self.0) });
    }
}

/// A string given to C, freed as the `CString` it came from.
struct RawCString(*mut c_char);

impl Drop for RawCString {
    fn drop(&mut self) {
        // SAFETY: the pointer came from CString::into_raw in Builder and is dropped once.
        drop(unsafe { CString::from_raw(self.0) });
    }
}

/// A C struct `T` plus the storage its pointers point into. `#[repr(C)]` with `value`
/// first: a `*mut Owned<T>` is a valid `*mut T` for C.
#[repr(C)]
pub struct Owned<T> {
    value: T,
    storage: Vec<Box<dyn Held>>,
}

/// Collects the memory a C struct will point to; [`Builder::finish`] bundles it with the
/// struct into an [`Owned`] object.
///
/// Its methods take `&self` (the storage is a `RefCell`), so calls nest naturally:
/// `b.boxed(jsPubAck { Stream: b.str(name), .. })`.
#[derive(Default)]
pub struct Builder {
    storage: RefCell<Vec<Box<dyn Held>>>,
}

/// A NUL-terminated copy of `s`, cut at an embedded NUL (where C would stop reading anyway).
fn c_string(s: &str) -> CString {
    let bytes = s.as_bytes();
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    CString::new(&bytes[..end]).unwrap_or_default()
}

/// A length as C's `int`; lists longer than `c_int::MAX` cannot be expressed.
fn c_len(n: usize) -> c_int {
    c_int::try_from(n).expect("list longer than INT_MAX")
}

impl Builder {
    pub fn new() -> Builder {
        Builder::default()
    }

    fn keep(&self, allocation: Box<dyn Held>) {
        self.storage.borrow_mut().push(allocation);
    }

    /// A string owned by the object. Never NULL (an empty string for "").
    pub fn str(&self, s: &str) -> *mut c_char {
        let p = c_string(s).into_raw();
        self.keep(Box::new(RawCString(p)));
        p
    }

    /// A string owned by the object, or NULL for `None`.
    pub fn opt_str(&self, s: Option<&str>) -> *mut c_char {
        s.map_or(std::ptr::null_mut(), |s| self.str(s))
    }

    /// A string owned by the object, or NULL for an empty string (nats.c leaves optional
    /// fields such as `Domain` NULL when the server sends nothing).
    pub fn str_or_null(&self, s: &str) -> *mut c_char {
        if s.is_empty() {
            std::ptr::null_mut()
        } else {
            self.str(s)
        }
    }

    /// An array of strings, for `char **List; int Count` fields. `(NULL, 0)` when empty.
    pub fn strs<S: AsRef<str>>(&self, items: &[S]) -> (*mut *mut c_char, c_int) {
        let ptrs: Vec<*mut c_char> = items.iter().map(|s| self.str(s.as_ref())).collect();
        self.slice(ptrs)
    }

    /// An array of strings, for `const char **Subjects; int SubjectsLen` fields.
    /// `(NULL, 0)` when empty.
    pub fn const_strs<S: AsRef<str>>(&self, items: &[S]) -> (*mut *const c_char, c_int) {
        let ptrs: Vec<*const c_char> = items.iter().map(|s| self.str(s.as_ref()).cast_const()).collect();
        self.slice(ptrs)
    }

    /// An array of values (integers, or structs such as `jsStreamStateSubject`), for
    /// `S *List; int Count` fields. `(NULL, 0)` when empty.
    pub fn slice<S: 'static>(&self, items: Vec<S>) -> (*mut S, c_int) {
        if items.is_empty() {
            return (std::ptr::null_mut(), 0);
        }
        let n = c_len(items.len());
        let p: *mut [S] = Box::into_raw(items.into_boxed_slice());
        self.keep(Box::new(RawBox(p)));
        (p as *mut S, n)
    }

    /// An array of pointers to elements that are owned elsewhere (each element its own
    /// `Owned` object, as in `jsStreamInfoList`). Same as [`Builder::slice`].
    pub fn array<S: 'static>(&self, ptrs: Vec<*mut S>) -> (*mut *mut S, c_int) {
        self.slice(ptrs)
    }

    /// A nested struct owned by the object, for `S *Field` members.
    pub fn boxed<S: 'static>(&self, value: S) -> *mut S {
        let p = Box::into_raw(Box::new(value));
        self.keep(Box::new(RawBox(p)));
        p
    }

    /// A nested struct owned by the object, or NULL for `None`.
    pub fn opt_boxed<S: 'static>(&self, value: Option<S>) -> *mut S {
        value.map_or(std::ptr::null_mut(), |v| self.boxed(v))
    }

    /// An array of pointers to nested structs owned by the object, for `S **List; int Count`
    /// members (`Sources`, `Replicas`, `Tiers`). `(NULL, 0)` when empty.
    pub fn boxed_all<S: 'static>(&self, values: Vec<S>) -> (*mut *mut S, c_int) {
        let ptrs: Vec<*mut S> = values.into_iter().map(|v| self.boxed(v)).collect();
        self.slice(ptrs)
    }

    /// The finished object: `value` plus everything allocated through this builder. The
    /// pointer goes to C, which frees it with the type's `*_Destroy` (that is, [`destroy`]).
    pub fn finish<T: 'static>(self, value: T) -> *mut T {
        let owned = Box::new(Owned { value, storage: self.storage.into_inner() });
        Box::into_raw(owned) as *mut T
    }
}

/// Frees an object made by [`Builder::finish`] with the same `T`: the struct and everything
/// its builder allocated. NULL is ignored.
///
/// # Safety
/// `p` is NULL or came from `Builder::finish::<T>` and was not destroyed before; nothing
/// may use the struct or the memory it points to afterwards.
pub unsafe fn destroy<T>(p: *mut T) {
    if !p.is_null() {
        // SAFETY: per the contract, `p` is the start of a Box<Owned<T>> (value at offset 0).
        drop(unsafe { Box::from_raw(p as *mut Owned<T>) });
    }
}

/// Reads the element pointers of a list struct (`List`, `Count`) as C left them (C may
/// have set entries to NULL after taking them out). NULL or a non-positive count gives none.
///
/// # Safety
/// `list` is NULL or points to `count` readable pointers.
pub unsafe fn list_entries<S>(list: *mut *mut S, count: c_int) -> Vec<*mut S> {
    if list.is_null() || count <= 0 {
        return Vec::new();
    }
    // SAFETY: per the contract.
    unsafe { std::slice::from_raw_parts(list, count as usize) }.to_vec()
}

/// A `malloc`ed copy of `items`, for the arrays of caller-held lists (`kvEntryList`,
/// `natsMsgList`) that their `*_Destroy` releases with `free`. NULL when empty.
pub fn malloc_array<P: Copy>(items: &[P]) -> Result<*mut P> {
    if items.is_empty() {
        return Ok(std::ptr::null_mut());
    }
    let bytes = items
        .len()
        .checked_mul(size_of::<P>())
        .ok_or_else(|| Error::new(natsStatus::NATS_NO_MEMORY, "list too long"))?;
    // SAFETY: plain allocation, checked for NULL below.
    let p = unsafe { libc::malloc(bytes) } as *mut P;
    if p.is_null() {
        return Err(Error::new(natsStatus::NATS_NO_MEMORY, "out of memory"));
    }
    // SAFETY: `p` has room for items.len() elements and does not overlap `items`.
    unsafe { std::ptr::copy_nonoverlapping(items.as_ptr(), p, items.len()) };
    Ok(p)
}

/// Fills a caller's string list (`kvKeysList`-like: `char **` plus a count) with `malloc`ed
/// copies of `items`; [`free_malloc_strs`] releases them. `(NULL, 0)` when empty.
pub fn malloc_strs(items: &[String]) -> Result<(*mut *mut c_char, c_int)> {
    let n = c_int::try_from(items.len())
        .map_err(|_| Error::new(natsStatus::NATS_NO_MEMORY, "list longer than INT_MAX"))?;
    Ok((malloc_str_array(items)?, n))
}

/// Frees what [`malloc_strs`] made: every non-NULL string of the array, then the array.
///
/// # Safety
/// `list` is NULL or a `malloc`ed array of `count` pointers, each NULL or a `malloc`ed string.
pub unsafe fn free_malloc_strs(list: *mut *mut c_char, count: c_int) {
    // SAFETY: per the contract.
    for s in unsafe { list_entries(list, count) } {
        // SAFETY: each non-NULL entry is a malloc'ed string owned by the list.
        unsafe { libc::free(s as *mut libc::c_void) };
    }
    // SAFETY: the array came from malloc (or is NULL).
    unsafe { libc::free(list as *mut libc::c_void) };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffi::js::*;
    use std::ffi::CStr;

    fn text<'a>(p: *const c_char) -> &'a str {
        assert!(!p.is_null());
        // SAFETY: test pointers come from the builder and are alive.
        unsafe { CStr::from_ptr(p) }.to_str().unwrap()
    }

    /// A stream information object shaped like what the stream functions return.
    fn sample_stream_info(name: &str) -> *mut jsStreamInfo {
        let b = Builder::new();
        let (subjects, subjects_len) = b.const_strs(&["orders.>", "returns.*"]);
        let external = b.boxed(jsExternalStream { APIPrefix: b.str("$JS.hub.API"), DeliverPrefix: std::ptr::null() });
        let (sources, sources_len) = b.boxed_all(vec![
            jsStreamSource { Name: b.str("A"), OptStartSeq: 10, ..Default::default() },
            jsStreamSource { Name: b.str("B"), External: external, ..Default::default() },
        ]);
        let config = b.boxed(jsStreamConfig {
            Name: b.str(name),
            Subjects: subjects,
            SubjectsLen: subjects_len,
            Storage: jsStorageType::js_MemoryStorage.into(),
            Sources: sources,
            SourcesLen: sources_len,
            MaxMsgs: -1,
            ..Default::default()
        });
        let (list, count) = b.slice(vec![
            jsStreamStateSubject { Subject: b.str("orders.new"), Msgs: 3 },
            jsStreamStateSubject { Subject: b.str("returns.x"), Msgs: 1 },
        ]);
        let subjects_state = b.boxed(jsStreamStateSubjects { List: list, Count: count });
        let (deleted, deleted_len) = b.slice(vec![2u64, 5, 7]);
        let (replicas, replicas_len) = b.boxed_all(vec![jsPeerInfo {
            Name: b.str("n2"),
            Current: true,
            Lag: 4,
            ..Default::default()
        }]);
        let cluster = b.boxed(jsClusterInfo {
            Name: b.str("east"),
            Leader: b.str("n1"),
            Replicas: replicas,
            ReplicasLen: replicas_len,
        });
        b.finish(jsStreamInfo {
            Config: config,
            Created: 1_700_000_000_000_000_000,
            State: jsStreamState {
                Msgs: 4,
                Subjects: subjects_state,
                Deleted: deleted,
                DeletedLen: deleted_len,
                ..Default::default()
            },
            Cluster: cluster,
            ..Default::default()
        })
    }

    #[test]
    fn a_stream_info_reads_back_through_its_pointers_and_is_freed_whole() {
        let si = sample_stream_info("ORDERS");
        // SAFETY: read as C would, while the object is alive.
        unsafe {
            let si = &*si;
            let cfg = &*si.Config;
            assert_eq!(text(cfg.Name), "ORDERS");
            assert_eq!(cfg.SubjectsLen, 2);
            assert_eq!(text(*cfg.Subjects.add(1)), "returns.*");
            assert_eq!(cfg.Storage.get().unwrap(), jsStorageType::js_MemoryStorage);
            assert_eq!(cfg.MaxMsgs, -1);
            assert_eq!(cfg.SourcesLen, 2);
            let s0 = &**cfg.Sources;
            let s1 = &**cfg.Sources.add(1);
            assert_eq!((text(s0.Name), s0.OptStartSeq, s0.External.is_null()), ("A", 10, true));
            assert_eq!(text((*s1.External).APIPrefix), "$JS.hub.API");
            assert!((*s1.External).DeliverPrefix.is_null());
            assert_eq!(si.Created, 1_700_000_000_000_000_000);
            let subj = &*si.State.Subjects;
            assert_eq!(subj.Count, 2);
            assert_eq!((text((*subj.List.add(1)).Subject), (*subj.List.add(1)).Msgs), ("returns.x", 1));
            assert_eq!(std::slice::from_raw_parts(si.State.Deleted, si.State.DeletedLen as usize), &[2, 5, 7]);
            assert!(si.State.Lost.is_null());
            let cl = &*si.Cluster;
            assert_eq!((text(cl.Name), text(cl.Leader), cl.ReplicasLen), ("east", "n1", 1));
            assert_eq!((text((**cl.Replicas).Name), (**cl.Replicas).Current, (**cl.Replicas).Lag), ("n2", true, 4));
            assert!(si.Mirror.is_null() && si.Sources.is_null() && si.SourcesLen == 0);
        }
        // SAFETY: made by Builder::finish::<jsStreamInfo>, destroyed once.
        unsafe { destroy(si) };
        // SAFETY: NULL is ignored.
        unsafe { destroy::<jsStreamInfo>(std::ptr::null_mut()) };
    }

    #[test]
    fn empty_arrays_and_missing_strings_are_null() {
        let b = Builder::new();
        let (l, n) = b.strs::<&str>(&[]);
        assert!(l.is_null() && n == 0);
        assert!(b.opt_str(None).is_null());
        assert!(b.str_or_null("").is_null());
        assert_eq!(text(b.str("")), "");
        assert_eq!(text(b.str("cut\0here")), "cut");
        assert!(b.opt_boxed::<jsPeerInfo>(None).is_null());
        let (names, count) = b.strs(&["S1".to_string(), "S2".to_string()]);
        let list = b.finish(jsStreamNamesList { List: names, Count: count });
        // SAFETY: read while alive, then destroyed once.
        unsafe {
            assert_eq!(((*list).Count, text(*(*list).List.add(1))), (2, "S2"));
            destroy(list);
        }
    }

    #[test]
    fn list_elements_are_owned_objects_of_their_own() {
        let elems = vec![sample_stream_info("A"), sample_stream_info("B")];
        let b = Builder::new();
        let (l, n) = b.array(elems);
        let list = b.finish(jsStreamInfoList { List: l, Count: n });
        // SAFETY: as jsStreamInfoList_Destroy does it, with one entry taken out by "C".
        unsafe {
            let taken = *(*list).List;
            *(*list).List = std::ptr::null_mut();
            for e in list_entries((*list).List, (*list).Count) {
                destroy(e);
            }
            destroy(list);
            assert_eq!(text((*(*taken).Config).Name), "A");
            destroy(taken);
        }
    }

    #[test]
    fn malloced_lists_are_freed_entry_by_entry() {
        let (keys, n) = malloc_strs(&["a".to_string(), "b".to_string()]).unwrap();
        assert_eq!(n, 2);
        // SAFETY: the list is valid; entry 0 is taken out and freed by "the application".
        unsafe {
            assert_eq!(text(*keys.add(1)), "b");
            libc::free(*keys as *mut libc::c_void);
            *keys = std::ptr::null_mut();
            free_malloc_strs(keys, n);
        }
        let (none, zero) = malloc_strs(&[]).unwrap();
        assert!(none.is_null() && zero == 0);
        let arr = malloc_array(&[1u64, 2, 3]).unwrap();
        // SAFETY: three elements, malloc'ed.
        unsafe {
            assert_eq!(std::slice::from_raw_parts(arr, 3), &[1, 2, 3]);
            libc::free(arr as *mut libc::c_void);
        }
        assert!(malloc_array::<u64>(&[]).unwrap().is_null());
    }
}
