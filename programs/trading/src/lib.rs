//! SolGrid trading: a non-custodial order book for GRID per grid zone and quote mint.
//!
//! Traders (Verified registry users) deposit GRID and quote into vaults owned by the market PDA;
//! their free and locked balances live in their seat in the market account. In a continuous market
//! orders (limit, post-only, immediate-or-cancel; optional expiry; client order ids) match with
//! price-time priority at the makers' prices, settled atomically between seats in the placing
//! instruction. In a periodic market orders join the uniform-price call auction of their epoch
//! (15 minutes by default), which anyone clears after the epoch ends (`clear_epoch`) and settles in
//! chunks (`settle_epoch`). Regulator quorums (the registry's M-of-N), or the governance program once
//! the registry names one, create markets, change their parameters and register market makers; a
//! market stops matching while its zone is Halted or the registry pauses trading (in the zone or
//! market-wide), while cancelling and withdrawing go on. Fees accrue in the market and are
//! collected by its fee recipient.
//!
//! The book, escrow and fee rules are the plain-Rust core `solgrid_order_book`; this crate is the
//! glue: account checks, token transfers, growth of the market account and events (one self-CPI per
//! instruction in Anchor's `emit_cpi` format, see [`events`]).
//!
//! Written with pinocchio, in Anchor's wire format so that `idl/trading.json` describes it exactly:
//! 8-byte `sha256` discriminators, borsh arguments and accounts, custom errors from 6000 (kit) and
//! 6100 (this program). The program checks accounts against the `program_id` it runs under, so the
//! same ELF works at any address.
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
pub mod growth;
pub mod instructions;
pub mod state;

use pinocchio::{AccountView, Address, ProgramResult};
use solgrid_program_kit::{instruction, KitError};

pinocchio::address::declare_id!("E3hjhsQVFZ1Bb9Tzpdua6PMJTxpEC75tmcJQwCqmHVbF");

/// The entrypoint parses at most this many accounts: `create_market` and its regulator cosigners.
pub const MAX_ACCOUNTS: usize = instructions::create_market::ACCOUNTS_LEN + 8;

#[cfg(not(feature = "no-entrypoint"))]
#[allow(dead_code)]
mod entrypoint {
    // Logs Anchor's error line when the instruction fails with a kit or program error.
    solgrid_program_kit::entrypoint!(
        crate::process_instruction,
        crate::MAX_ACCOUNTS,
        crate::describe_error
    );
    // No heap allocator: the heap region is the events' scratch buffer (see `events`).
    pinocchio::no_allocator!();
    pinocchio::nostd_panic_handler!();
}

/// `(name, message)` of each of this program's own errors, in code order from 6100 (contiguous), built
/// at compile time: a table in the binary's read-only data, not the code of two `match`es.
const ERROR_TABLE: [(&str, &str); errors::TradingError::ALL.len()] = {
    let mut table = [("", ""); errors::TradingError::ALL.len()];
    let mut i = 0;
    while i < table.len() {
        let error = errors::TradingError::ALL[i];
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

/// Dispatches on the 8-byte Anchor instruction discriminator (the hot paths first).
pub fn process_instruction(
    program_id: &Address,
    accounts: &mut [AccountView],
    data: &[u8],
) -> ProgramResult {
    let (discriminator, args) = instruction::split(data)?;
    match discriminator {
        instructions::place_order::DISCRIMINATOR => {
            instructions::place_order::process(program_id, accounts, args)
        }
        events::EVENT_IX_TAG => events::handle(program_id, accounts),
        instructions::place_auction_order::DISCRIMINATOR => {
            instructions::place_auction_order::process(program_id, accounts, args)
        }
        instructions::settle_epoch::DISCRIMINATOR => {
            instructions::settle_epoch::process(program_id, accounts, args)
        }
        instructions::cancel_auction_order::DISCRIMINATOR => {
            instructions::cancel_auction_order::process(program_id, accounts, args)
        }
        instructions::clear_epoch::DISCRIMINATOR => {
            instructions::clear_epoch::process(program_id, accounts, args)
        }
        instructions::cancel_order::DISCRIMINATOR => {
            instructions::cancel_order::process(program_id, accounts, args)
        }
        instructions::deposit::DISCRIMINATOR => {
            instructions::deposit::process(program_id, accounts, args)
        }
        instructions::withdraw::DISCRIMINATOR => {
            instructions::withdraw::process(program_id, accounts, args)
        }
        instructions::prune_expired::DISCRIMINATOR => {
            instructions::prune_expired::process(program_id, accounts, args)
        }
        instructions::claim_seat::DISCRIMINATOR => {
            instructions::claim_seat::process(program_id, accounts, args)
        }
        instructions::collect_fees::DISCRIMINATOR => {
            instructions::collect_fees::process(program_id, accounts, args)
        }
        instructions::grow_market::DISCRIMINATOR => {
            instructions::grow_market::process(program_id, accounts, args)
        }
        instructions::create_market::DISCRIMINATOR => {
            instructions::create_market::process(program_id, accounts, args)
        }
        instructions::update_market::DISCRIMINATOR => {
            instructions::update_market::process(program_id, accounts, args)
        }
        instructions::set_market_maker::DISCRIMINATOR => {
            instructions::set_market_maker::process(program_id, accounts, args)
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
        for error in errors::TradingError::ALL.iter().copied() {
            assert_eq!(
                describe_error(error.code()),
                Some((error.name(), error.message()))
            );
            assert!(Line::new(error.name(), error.code(), error.message()).is_complete());
        }
        // Kit codes are the kit's to name; past the last own code there is nothing.
        assert_eq!(describe_error(6000), None);
        let next = 6100 + errors::TradingError::ALL.len() as u32;
        assert_eq!(describe_error(next), None);
    }
}
