//! `reject()`: a current regulator rejects an open, unexpired proposal, once per key. The proposal
//! becomes Rejected when the current regulators who have not rejected it can no longer reach the
//! registry's threshold.
//!
//! Accounts (see `vote`):
//! 0. `[signer]` regulator: a current registry regulator.
//! 1. `[]` config.
//! 2. `[]` registry_config.
//! 3. `[writable]` proposal.
//!
//! Emits `VoteCast` (approve = 0).

use pinocchio::{AccountView, Address, ProgramResult};
use solgrid_program_kit::discriminator;

use super::vote;

pub const DISCRIMINATOR: u64 = discriminator::as_u64(discriminator::instruction("reject"));
pub const DATA_LEN: usize = discriminator::LEN;
pub const ACCOUNTS_LEN: usize = vote::ACCOUNTS_LEN;

pub fn process(program_id: &Address, accounts: &mut [AccountView], args: &[u8]) -> ProgramResult {
    vote::process(program_id, accounts, args, false)
}
