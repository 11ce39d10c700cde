//! SolGrid energy token: GRID, an SPL Token mint (9 decimals, 1 GRID = 1 kWh) that is minted only
//! for verified, settled meter surplus.
//!
//! Instructions: `initialize` (Config and the GRID mint, whose only minting authority is this
//! program's PDA `["mint_authority"]`, with no freeze authority), `settle_and_mint` (the registry's
//! `settle_meter` through CPI, then MintTo of what it settled to the meter owner's GRID account) and
//! `burn` (a holder burns GRID, recorded as an event). The mint authority PDA signs only inside
//! `settle_and_mint`, so nobody can mint outside the settlement path.
//!
//! Written with pinocchio, but with Anchor's wire format so that `idl/energy_token.json` describes
//! it exactly and anchorpy drives it: 8-byte `sha256` discriminators, borsh argument and account
//! layouts, events through `sol_log_data`, custom errors from 6000 (kit) and 6100 (this program).
//! The program checks accounts against the `program_id` it runs under, so the same ELF works at any
//! address.
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

pinocchio::address::declare_id!("Dso7G7TunWSbiHQu8k7jZQiNuXfyRvUsnFkUFzxrcscu");

/// The entrypoint parses at most this many accounts (`settle_and_mint` takes the most); any further
/// accounts are ignored.
pub const MAX_ACCOUNTS: usize = instructions::settle_and_mint::ACCOUNTS_LEN;

#[cfg(not(feature = "no-entrypoint"))]
#[allow(dead_code)]
mod entrypoint {
    // Logs Anchor's error line when the instruction fails with a kit or program error.
    solgrid_program_kit::entrypoint!(
        crate::process_instruction,
        crate::MAX_ACCOUNTS,
        crate::describe_error
    );
    // No heap: every buffer lives on the stack or in account data.
    pinocchio::no_allocator!();
    pinocchio::nostd_panic_handler!();
}

/// `(name, message)` of each of this program's own errors, in code order from 6100 (contiguous), built
/// at compile time: a table in the binary's read-only data, not the code of two `match`es.
const ERROR_TABLE: [(&str, &str); errors::EnergyTokenError::ALL.len()] = {
    let mut table = [("", ""); errors::EnergyTokenError::ALL.len()];
    let mut i = 0;
    while i < table.len() {
        let error = errors::EnergyTokenError::ALL[i];
        table[i] = (error.name(), error.message());
        i += 1;
    }
    table
};

/// `(name, message)` of one of this program's own error codes (from 6100), for Anchor's error line
/// (`solgrid_program_kit::anchor_error`); the kit names its own codes.
pub fn describe_error(code: u32) -> Option<(&'static str, &'static str)> {
    let index = code.checked_sub(solgrid_program_kit::error::PROGRAM_ERROR_BASE)?;
    ERROR_TABLE.get(index as usize).copied()
}

/// Dispatches on the 8-byte Anchor instruction discriminator.
pub fn process_instruction(
    program_id: &Address,
    accounts: &mut [AccountView],
    data: &[u8],
) -> ProgramResult {
    let (discriminator, args) = instruction::split(data)?;
    match discriminator {
        instructions::settle_and_mint::DISCRIMINATOR => {
            instructions::settle_and_mint::process(program_id, accounts, args)
        }
        instructions::burn::DISCRIMINATOR => {
            instructions::burn::process(program_id, accounts, args)
        }
        instructions::initialize::DISCRIMINATOR => {
            instructions::initialize::process(program_id, accounts, args)
        }
        // Anchor's IDL-account instructions (`anchor idl init` / `upgrade`), in program-kit; a guard
        // after every constant, so the other instructions' dispatch is unchanged.
        tag if tag == solgrid_program_kit::idl_account::IDL_IX_TAG => {
            solgrid_program_kit::idl_account::process(program_id, accounts, args)
        }
        _ => Err(KitError::UnknownInstruction.into()),
    }
}

#[cfg(test)]
mod describe_error_tests {
    use super::*;
    use solgrid_program_kit::anchor_error::Line;

    #[test]
    fn names_every_own_error_and_its_anchor_line_fits() {
        for error in errors::EnergyTokenError::ALL.iter().copied() {
            assert_eq!(
                describe_error(error.code()),
                Some((error.name(), error.message()))
            );
            assert!(Line::new(error.name(), error.code(), error.message()).is_complete());
        }
        // Kit codes are the kit's to name; past the last own code there is nothing.
        assert_eq!(describe_error(6000), None);
        let next = 6100 + errors::EnergyTokenError::ALL.len() as u32;
        assert_eq!(describe_error(next), None);
    }
}
