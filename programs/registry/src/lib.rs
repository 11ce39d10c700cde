//! SolGrid registry: the market's configuration and its participants.
//!
//! Config (authority, M-of-N regulators, limits), grid zones, users (Pending -> Verified /
//! Suspended), meters with device keys, device-signed readings verified through the Ed25519
//! precompile (`submit_readings`), and settlement of a meter's net surplus for energy_token's CPI
//! (`settle_meter`). Issue 14: privileged actions pass to a governance program once one is set
//! (`set_governance`), emergency pauses (`pause_*`, `resume_*`), zone emission factors, and the
//! certificate counters that governance's `request_certificate` moves (`certify_meter`). See
//! `instructions/` for each instruction's accounts and rules.
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

pub mod auth;
pub mod device_key;
pub mod events;
pub mod instructions;
pub mod logic;

// The account layouts and errors live in solgrid-registry-layouts, which the programs that read
// registry accounts share.
pub use solgrid_registry_layouts::{errors, state};

use pinocchio::{AccountView, Address, ProgramResult};
use solgrid_program_kit::{instruction, KitError};

pinocchio::address::declare_id!("Hu5R8SX8juSQ3cUYxf1daxaPsUSDHKwGza2u5wUiitxg");

/// The entrypoint parses at most this many accounts (a full `submit_readings` batch; every other
/// instruction takes fewer); any further accounts are ignored.
pub const MAX_ACCOUNTS: usize = instructions::submit_readings::MAX_ACCOUNTS;

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
const ERROR_TABLE: [(&str, &str); errors::RegistryError::ALL.len()] = {
    let mut table = [("", ""); errors::RegistryError::ALL.len()];
    let mut i = 0;
    while i < table.len() {
        let error = errors::RegistryError::ALL[i];
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
        instructions::initialize::DISCRIMINATOR => {
            instructions::initialize::process(program_id, accounts, args)
        }
        instructions::propose_authority::DISCRIMINATOR => {
            instructions::propose_authority::process(program_id, accounts, args)
        }
        instructions::accept_authority::DISCRIMINATOR => {
            instructions::accept_authority::process(program_id, accounts, args)
        }
        instructions::set_regulators::DISCRIMINATOR => {
            instructions::set_regulators::process(program_id, accounts, args)
        }
        instructions::update_limits::DISCRIMINATOR => {
            instructions::update_limits::process(program_id, accounts, args)
        }
        instructions::set_settlement_authority::DISCRIMINATOR => {
            instructions::set_settlement_authority::process(program_id, accounts, args)
        }
        instructions::create_zone::DISCRIMINATOR => {
            instructions::create_zone::process(program_id, accounts, args)
        }
        instructions::set_zone_status::DISCRIMINATOR => {
            instructions::set_zone_status::process(program_id, accounts, args)
        }
        instructions::register_user::DISCRIMINATOR => {
            instructions::register_user::process(program_id, accounts, args)
        }
        instructions::verify_user::DISCRIMINATOR => {
            instructions::verify_user::process(program_id, accounts, args)
        }
        instructions::suspend_user::DISCRIMINATOR => {
            instructions::suspend_user::process(program_id, accounts, args)
        }
        instructions::reinstate_user::DISCRIMINATOR => {
            instructions::reinstate_user::process(program_id, accounts, args)
        }
        instructions::register_meter::DISCRIMINATOR => {
            instructions::register_meter::process(program_id, accounts, args)
        }
        instructions::activate_meter::DISCRIMINATOR => {
            instructions::activate_meter::process(program_id, accounts, args)
        }
        instructions::set_meter_status::DISCRIMINATOR => {
            instructions::set_meter_status::process(program_id, accounts, args)
        }
        instructions::rotate_device_key::DISCRIMINATOR => {
            instructions::rotate_device_key::process(program_id, accounts, args)
        }
        instructions::settle_meter::DISCRIMINATOR => {
            instructions::settle_meter::process(program_id, accounts, args)
        }
        instructions::submit_readings::DISCRIMINATOR => {
            instructions::submit_readings::process(program_id, accounts, args)
        }
        instructions::set_governance::DISCRIMINATOR => {
            instructions::set_governance::process(program_id, accounts, args)
        }
        instructions::pause_market::DISCRIMINATOR => {
            instructions::pause_market::process(program_id, accounts, args)
        }
        instructions::pause_zone::DISCRIMINATOR => {
            instructions::pause_zone::process(program_id, accounts, args)
        }
        instructions::resume_market::DISCRIMINATOR => {
            instructions::resume_market::process(program_id, accounts, args)
        }
        instructions::resume_zone::DISCRIMINATOR => {
            instructions::resume_zone::process(program_id, accounts, args)
        }
        instructions::set_emission_factor::DISCRIMINATOR => {
            instructions::set_emission_factor::process(program_id, accounts, args)
        }
        instructions::certify_meter::DISCRIMINATOR => {
            instructions::certify_meter::process(program_id, accounts, args)
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
        for error in errors::RegistryError::ALL.iter().copied() {
            assert_eq!(
                describe_error(error.code()),
                Some((error.name(), error.message()))
            );
            assert!(Line::new(error.name(), error.code(), error.message()).is_complete());
        }
        // Kit codes are the kit's to name; past the last own code there is nothing.
        assert_eq!(describe_error(6000), None);
        let next = 6100 + errors::RegistryError::ALL.len() as u32;
        assert_eq!(describe_error(next), None);
    }
}
