//! Runtime support for crates that SolGrid's offline pipeline builds with std (`solgrid build
//! --manifest-path`: programs written against `solana-program`).
//!
//! The pipeline builds std for its `os = "solana"` target from a copy of std's sources in which
//! Solana takes std's `zkvm` platform layer (`solgrid.build.std_sources`). That layer reaches the
//! platform through a few `sys_*` C functions; this crate defines the ones that mean something on
//! Solana, with syscalls:
//!
//! | std calls        | for                                   | here                       |
//! |------------------|---------------------------------------|----------------------------|
//! | `sys_halt`       | `std::process::abort`, `exit`         | the `abort` syscall        |
//! | `sys_panic`      | a message, then abort                 | `sol_log_`, then `abort`   |
//! | `sys_log`        | diagnostics                           | `sol_log_`                 |
//! | `sys_write`      | `print!`, `eprint!` (stdout, stderr)  | `sol_log_`, one line each  |
//!
//! The others (`sys_read`, `sys_rand`, `sys_getenv`, `sys_argc`/`sys_argv`, `sys_alloc_*`,
//! `sys_cycle_count`, ...) have no Solana meaning and are left undefined on purpose: a program that
//! still calls one after dead-code elimination fails to link, naming the symbol and its caller.
//! (`sys_alloc_*` back std's `System` allocator; `solana-program`'s `entrypoint!` installs its own
//! bump allocator on the program heap instead.)
//!
//! `sbf_invoke_signed_rust_legacy` (module `legacy_cpi`) makes cross-program invocations for crates
//! built against `solana-program` < 1.16, whose structs today's rustc lays out otherwise than the
//! runtime reads them; the pipeline points those crates' `sol_invoke_signed_rust` calls at it.
//!
//! It also links `sbf-support` with its `solana-os` feature: the `sbf_*` helpers the pipeline's IR
//! rewrites call. The pipeline builds this crate as a static library for its target and links the
//! module into the program's before the rewrites; only the symbols above stay public.
//!
//! On every other target (the host, Solana's own platform-tools) the crate is empty.
#![no_std]

extern crate sbf_support;

#[cfg(any(
    test,
    all(target_arch = "bpf", target_os = "solana", target_vendor = "solana")
))]
extern crate alloc;

// On the host for its tests: the layouts the shim assumes, checked with the pipeline's rustc.
#[cfg(any(
    test,
    all(target_arch = "bpf", target_os = "solana", target_vendor = "solana")
))]
mod legacy_cpi;
#[cfg(all(target_arch = "bpf", target_os = "solana", target_vendor = "solana"))]
mod solana;
