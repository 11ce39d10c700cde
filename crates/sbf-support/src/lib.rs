//! Runtime symbols for programs built by SolGrid's offline pipeline.
//!
//! The upstream `bpfel-unknown-none` backend cannot emit calls to `memcpy`, `__udivti3` and friends.
//! The pipeline's IR rewrites (`solgrid.build.ir`) turn those into calls to the `sbf_*` symbols
//! defined here, which forward to the Solana `sol_mem*_` syscalls or do the arithmetic with 64-bit
//! operations only. With Solana's platform-tools (`cargo build-sbf`, `target_os = "solana"`) the
//! toolchain provides all of this itself, so the memory and division symbols are only defined for the
//! upstream target. The soft-float helpers ([`softfloat`], targets of the rewrite of float
//! operations) are plain integer code with `sbf_`-prefixed names, compiled everywhere so that the host
//! tests run them; builds keep only those the program calls.
//!
//! A program links it with `extern crate sbf_support;`. The pipeline's own `os = "solana"` target
//! (for crates written against `solana-program`) needs the symbols too: `sbf-std-support` turns them
//! on there with the `solana-os` feature.
#![no_std]

#[cfg(all(
    target_arch = "bpf",
    any(not(target_os = "solana"), feature = "solana-os")
))]
mod mem;

pub mod math;
pub mod softfloat;
