//! Manifest's on-chain program, unchanged: this crate only links `manifest-dex` (its `entrypoint`,
//! from `solana_program::entrypoint!`) into a `cdylib` that SolGrid's offline pipeline builds.

pub use manifest;
