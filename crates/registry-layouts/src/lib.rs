//! The registry's account layouts (Config, Zone, User, Meter), their enums, PDA seeds and pause
//! flags, and the registry's errors: what the registry program and the programs that read its
//! accounts directly (trading, energy_token, governance) share, as one set of types.
//!
//! A program crate cannot be that shared crate: cargo also builds a dependency's `cdylib`, which
//! for the offline pipeline's target needs a linker and, without its entrypoint, a panic handler
//! and an allocator. So the registry's `state` and `errors` modules live in this plain library, and
//! the registry re-exports them as `registry::state` and `registry::errors`. Their unit tests run here
//! (`cargo test -p solgrid-registry-layouts`); `programs/registry/tests/idl.rs` pins them to
//! `idl/registry.json`.
#![no_std]

#[cfg(test)]
extern crate std;

pub mod errors;
pub mod state;
