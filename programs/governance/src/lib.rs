//! SolGrid governance: who may change the market, and what proves that a kWh was green.
//!
//! * **Proposals**: a current registry regulator proposes one instruction of a SolGrid program;
//!   regulators approve or reject it each in their own transaction; once the registry's threshold of
//!   *current* regulators approved and the timelock passed, anyone executes it, once, by CPI signed by
//!   the `["governance"]` PDA (which the registry and trading accept for their privileged actions once
//!   the registry names this program its governance). Proposals expire; the proposer, the governance
//!   PDA or a quorum cancels them.
//! * **Certificates** (ERC-1888 / EnergyTag / I-REC header): requested by a meter's owner for
//!   renewable production the registry accepted and no certificate covered yet (the registry's
//!   `certify_meter`, signed by the `["certificates"]` PDA), validated by a regulator, transferred or
//!   split, retired for a beneficiary, revoked by a quorum or expired.
//!
//! The regulators, the threshold and the pauses live in the registry's Config (one source of truth);
//! the rules are `solgrid_governance_core`'s. Written with pinocchio in Anchor's wire format so that
//! `idl/governance.json` describes it exactly: 8-byte `sha256` discriminators, borsh argument and
//! account layouts, events through `sol_log_data`, custom errors from 6000. The program checks
//! accounts against the `program_id` it runs under, so the same ELF works at any address.
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
pub mod certificates;
pub mod errors;
pub mod events;
pub mod instructions;
pub mod proposals;
pub mod state;
pub mod upgrade_authority;
pub mod wire;

use pinocchio::{AccountView, Address, ProgramResult};
use solgrid_program_kit::{instruction, KitError};

pinocchio::address::declare_id!("BdPUwUKG2E53jRSoB4vjpe5cDpk2FTf22W2tkDmiSw1b");

/// The entrypoint parses at most this many accounts (`execute`: its fixed accounts and a proposal's
/// 24; every other instruction takes fewer); any further accounts are ignored.
pub const MAX_ACCOUNTS: usize = instructions::execute::MAX_ACCOUNTS;

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
const ERROR_TABLE: [(&str, &str); errors::GovernanceError::ALL.len()] = {
    let mut table = [("", ""); errors::GovernanceError::ALL.len()];
    let mut i = 0;
    while i < table.len() {
        let error = errors::GovernanceError::ALL[i];
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
        instructions::update_config::DISCRIMINATOR => {
            instructions::update_config::process(program_id, accounts, args)
        }
        instructions::propose::DISCRIMINATOR => {
            instructions::propose::process(program_id, accounts, args)
        }
        instructions::approve::DISCRIMINATOR => {
            instructions::approve::process(program_id, accounts, args)
        }
        instructions::reject::DISCRIMINATOR => {
            instructions::reject::process(program_id, accounts, args)
        }
        instructions::execute::DISCRIMINATOR => {
            instructions::execute::process(program_id, accounts, args)
        }
        instructions::cancel::DISCRIMINATOR => {
            instructions::cancel::process(program_id, accounts, args)
        }
        instructions::close_proposal::DISCRIMINATOR => {
            instructions::close_proposal::process(program_id, accounts, args)
        }
        instructions::record_quorum::DISCRIMINATOR => {
            instructions::record_quorum::process(program_id, accounts, args)
        }
        instructions::request_certificate::DISCRIMINATOR => {
            instructions::request_certificate::process(program_id, accounts, args)
        }
        instructions::validate_certificate::DISCRIMINATOR => {
            instructions::validate_certificate::process(program_id, accounts, args)
        }
        instructions::transfer_certificate::DISCRIMINATOR => {
            instructions::transfer_certificate::process(program_id, accounts, args)
        }
        instructions::split_certificate::DISCRIMINATOR => {
            instructions::split_certificate::process(program_id, accounts, args)
        }
        instructions::retire_certificate::DISCRIMINATOR => {
            instructions::retire_certificate::process(program_id, accounts, args)
        }
        instructions::revoke_certificate::DISCRIMINATOR => {
            instructions::revoke_certificate::process(program_id, accounts, args)
        }
        instructions::expire_certificate::DISCRIMINATOR => {
            instructions::expire_certificate::process(program_id, accounts, args)
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
        for error in errors::GovernanceError::ALL.iter().copied() {
            assert_eq!(
                describe_error(error.code()),
                Some((error.name(), error.message()))
            );
            assert!(Line::new(error.name(), error.code(), error.message()).is_complete());
        }
        // Kit codes are the kit's to name; past the last own code there is nothing.
        assert_eq!(describe_error(6000), None);
        let next = 6100 + errors::GovernanceError::ALL.len() as u32;
        assert_eq!(describe_error(next), None);
    }
}
