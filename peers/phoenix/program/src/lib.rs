//! Phoenix's program: the `entrypoint` (and `security_txt`) of `phoenix-v1` 0.2.4, linked into a cdylib.

pub use phoenix::*;
