//! `update_limits(limits: Limits)`: replaces the market limits (privileged).
//!
//! Accounts:
//! 0. `[writable]` config.
//! 1.. `[signer]` cosigners: `regulator_threshold` distinct configured regulators.
//!
//! Emits `LimitsUpdated`.

use core::mem::size_of;
use pinocchio::{AccountView, Address, ProgramResult};
use solgrid_program_kit::{discriminator, event::emit, instruction};

use crate::{auth, events::LimitsUpdated, state::Limits};

pub const DISCRIMINATOR: u64 = discriminator::as_u64(discriminator::instruction("update_limits"));
pub const DATA_LEN: usize = discriminator::LEN + size_of::<Limits>();
pub const ACCOUNTS_LEN: usize = 1;

pub fn process(program_id: &Address, accounts: &mut [AccountView], args: &[u8]) -> ProgramResult {
    let limits: &Limits = instruction::args(args)?;
    limits.validate()?;
    let ([config], cosigners) = auth::split::<ACCOUNTS_LEN>(accounts)?;
    let config_address = *config.address();
    let mut config = auth::config_mut(program_id, config)?;
    auth::threshold(&config, cosigners)?;
    config.limits = *limits;
    emit(LimitsUpdated {
        config: config_address,
        limits: *limits,
    });
    Ok(())
}
