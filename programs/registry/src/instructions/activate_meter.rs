//! `activate_meter()`: a regulator activates an Inactive or Maintenance meter; its readings are
//! accepted from now on (windows starting at or after the activation time).
//!
//! Accounts (see [`super::meter_status`]):
//! 0. `[signer]` regulator.
//! 1. `[]` config.
//! 2. `[writable]` meter.
//!
//! Emits `MeterStatusChanged`.

use pinocchio::{AccountView, Address, ProgramResult};
use solgrid_program_kit::{discriminator, instruction};

use super::meter_status;
use crate::state::MeterStatus;

pub const DISCRIMINATOR: u64 = discriminator::as_u64(discriminator::instruction("activate_meter"));
pub const DATA_LEN: usize = discriminator::LEN;
pub const ACCOUNTS_LEN: usize = meter_status::ACCOUNTS_LEN;

pub fn process(program_id: &Address, accounts: &mut [AccountView], args: &[u8]) -> ProgramResult {
    instruction::no_args(args)?;
    meter_status::change(program_id, accounts, MeterStatus::Active)
}
