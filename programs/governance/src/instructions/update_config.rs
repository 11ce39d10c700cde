//! `update_config(params: ConfigParams)`: replaces the durations (proposal timelock minimum and
//! lifetime maximum, certificate validity). Only an executed proposal can do this: the governance PDA
//! signs the self-CPI.
//!
//! Accounts:
//! 0. `[signer]` governance: this program's `["governance"]` PDA (`NotGovernance` otherwise).
//! 1. `[writable]` config.
//!
//! Proposals already open keep the timelock and deadline they were created with. Emits
//! `GovernanceConfigUpdated`.

use core::mem::size_of;
use pinocchio::{address::address_eq, AccountView, Address, ProgramResult};
use solgrid_program_kit::{checks, discriminator, event::emit, instruction};

use crate::{auth, errors::GovernanceError, events::GovernanceConfigUpdated, state::ConfigParams};

pub const DISCRIMINATOR: u64 = discriminator::as_u64(discriminator::instruction("update_config"));
pub const DATA_LEN: usize = discriminator::LEN + size_of::<ConfigParams>();
pub const ACCOUNTS_LEN: usize = 2;

pub fn process(program_id: &Address, accounts: &mut [AccountView], args: &[u8]) -> ProgramResult {
    let params: &ConfigParams = instruction::args(args)?;
    params.validate()?;
    let ([governance, config], _) = auth::split::<ACCOUNTS_LEN>(accounts)?;
    checks::signer(governance)?;
    let config_address = *config.address();
    let mut config = auth::config_mut(program_id, config)?;
    if !address_eq(
        governance.address(),
        &auth::governance_address(program_id, &config)?,
    ) {
        return Err(GovernanceError::NotGovernance.into());
    }
    config.set_params(params);
    emit(GovernanceConfigUpdated {
        config: config_address,
        params: *params,
    });
    Ok(())
}
