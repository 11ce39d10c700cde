//! SolGrid registry: the market's configuration and its participants.
//!
//! Instructions so far: `initialize` (creates the Config singleton) and `register_user` (creates a
//! participant's User account). Zones, meters, regulators and signed meter readings build on the
//! same state (see `state.rs`).
//!
//! Written with pinocchio, but with Anchor's wire format so that `idl/registry.json` describes it
//! exactly and anchorpy drives it: 8-byte `sha256` discriminators, borsh argument and account
//! layouts, events through `sol_log_data`, custom errors from 6000. The program checks accounts
//! against the `program_id` it runs under, so the same ELF works at any address.
#![no_std]

// Runtime symbols that SolGrid's offline pipeline (upstream `bpfel-unknown-none`) needs; Solana's
// own platform-tools provide them itself.
#[cfg(all(target_arch = "bpf", not(target_os = "solana")))]
extern crate sbf_support;

// On the host (tests, or another crate linking this one with `no-entrypoint`) std provides the panic
// handler and allocator that the cdylib needs.
#[cfg(not(any(target_os = "solana", target_arch = "bpf")))]
extern crate std;

pub mod errors;
pub mod events;
pub mod instructions;
pub mod state;

use pinocchio::{AccountView, Address, ProgramResult};
use solgrid_program_kit::{instruction, KitError};

pinocchio::address::declare_id!("Hu5R8SX8juSQ3cUYxf1daxaPsUSDHKwGza2u5wUiitxg");

/// The entrypoint parses at most this many accounts (every registry instruction takes fewer); any
/// further accounts are ignored.
pub const MAX_ACCOUNTS: usize = 8;

#[cfg(not(feature = "no-entrypoint"))]
#[allow(dead_code)]
mod entrypoint {
    pinocchio::program_entrypoint!(crate::process_instruction, { crate::MAX_ACCOUNTS });
    // No heap: every buffer lives on the stack or in account data.
    pinocchio::no_allocator!();
    pinocchio::nostd_panic_handler!();
}

/// Dispatches on the 8-byte Anchor instruction discriminator.
pub fn process_instruction(
    program_id: &Address,
    accounts: &mut [AccountView],
    data: &[u8],
) -> ProgramResult {
    let (discriminator, args) = instruction::split(data)?;
    match discriminator {
        instructions::initialize::DISCRIMINATOR => {
            instructions::initialize::process(program_id, accounts, args)
        }
        instructions::register_user::DISCRIMINATOR => {
            instructions::register_user::process(program_id, accounts, args)
        }
        _ => Err(KitError::UnknownInstruction.into()),
    }
}
