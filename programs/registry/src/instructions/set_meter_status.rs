//! `set_meter_status(status: MeterStatus)`: a regulator takes a meter out of service (Inactive or
//! Maintenance). Returning to Active goes through `activate_meter`.
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
use crate::{errors::RegistryError, state::MeterStatus};

pub const DISCRIMINATOR: u64 =
    discriminator::as_u64(discriminator::instruction("set_meter_status"));
pub const DATA_LEN: usize = discriminator::LEN + 1;
pub const ACCOUNTS_LEN: usize = meter_status::ACCOUNTS_LEN;

pub fn process(program_id: &Address, accounts: &mut [AccountView], args: &[u8]) -> ProgramResult {
    let status: &u8 = instruction::args(args)?;
    let status = MeterStatus::try_from(*status)?;
    if status == MeterStatus::Active {
        return Err(RegistryError::InvalidStatusTransition.into());
    }
    meter_status::change(program_id, accounts, status)
}
