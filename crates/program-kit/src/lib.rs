//! On-chain building blocks shared by SolGrid's programs (registry, energy_token, trading, governance).
//!
//! The programs are written with pinocchio but speak Anchor's wire format, so that Anchor IDLs
//! describe them and anchorpy drives them:
//!
//! * [`discriminator`]: the 8-byte `sha256("<namespace>:<name>")` prefixes, computed at compile time;
//! * [`pod`] and [`account`]: zero-copy account layouts (alignment 1, borsh-compatible byte order),
//!   loaded in place behind a discriminator check;
//! * [`checks`]: signer / writable / owner / PDA / program-id checks, each failing with a typed
//!   [`KitError`];
//! * [`rent`], [`clock`] and [`create`]: PDA account creation through the System program with the
//!   rent-exempt minimum computed from the Rent sysvar in integer arithmetic;
//! * [`anchor_error`]: Anchor's `AnchorError occurred. ...` log line on the failure path, through
//!   the [`entrypoint!`] wrapper every program uses;
//! * [`event`]: Anchor events (`sol_log_data` of the event discriminator followed by the borsh bytes);
//! * [`instruction`]: splitting instruction data into discriminator and fixed-size arguments;
//! * [`idl_account`]: the IDL on-chain in Anchor's IDL account (`anchor idl init` / `upgrade`),
//!   which `Program.at` of Anchor's TypeScript client and anchorpy read;
//! * [`deployer`]: the deployer gate for one-time initialisation (loader v3 and v4);
//! * [`ed25519`]: strict parsing of the Ed25519 precompile instruction (offset-redirection safe),
//!   and whether 32 bytes decompress to a curve point (`sol_curve_validate_point`);
//! * [`signers`]: M-of-N co-signer counting; [`sha256`]: `sol_sha256` with a host fallback.
//!
//! Everything here avoids the heap and floating point. Pure logic is tested on the host with
//! `cargo test -p solgrid-program-kit`.
#![no_std]

#[cfg(any(test, feature = "testing"))]
extern crate std;

pub mod account;
pub mod anchor_error;
pub mod checks;
pub mod clock;
pub mod create;
pub mod deployer;
pub mod discriminator;
pub mod ed25519;
pub mod error;
pub mod event;
pub mod idl_account;
pub mod instruction;
pub mod pod;
pub mod rent;
pub mod sha256;
pub mod signers;

/// Host-side fake accounts for unit tests (also for other crates' tests: feature `testing`).
#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use error::KitError;

/// The error type `byte_enum!` names (the macro expands in other crates).
#[doc(hidden)]
pub use pinocchio::error::ProgramError as __ProgramError;

#[doc(hidden)]
pub use pinocchio as __pinocchio;
/// What [`entrypoint!`] names in the program crate it expands in.
#[doc(hidden)]
pub use pinocchio::{
    AccountView as __AccountView, Address as __Address, ProgramResult as __ProgramResult,
};
