//! The C boundary: every `extern "C"` function of the library lives below this module.
#![allow(non_camel_case_types, non_snake_case, clippy::missing_safety_doc)]

pub mod library;
