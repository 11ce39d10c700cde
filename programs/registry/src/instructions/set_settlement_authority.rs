//! `set_settlement_authority(settlement_authority: pubkey)`: names the only signer `settle_meter`
//! accepts: energy_token's `["settlement"]` PDA (privileged; the zero address disables settlement).
//!
//! Accounts:
//! 0. `[writable]` config.
//! 1.. `[signer]` cosigners: `regulator_threshold` distinct configured regulators.
//!
//! Emits `SettlementAuthoritySet`.

use pinocchio::{AccountView, Address, ProgramResult};
use solgrid_program_kit::{discriminator, event::emit, instruction};

use crate::{auth, events::SettlementAuthoritySet};

pub const DISCRIMINATOR: u64 =
    discriminator::as_u64(discriminator::instruction("set_settlement_authority"));
pub const DATA_LEN: usize = discriminator::LEN + 32;
pub const ACCOUNTS_LEN: usize = 1;

pub fn process(program_id: &Address, accounts: &mut [AccountView], args: &[u8]) -> ProgramResult {
    let settlement_authority: &Address = instruction::args(args)?;
    let ([config], cosigners) = auth::split::<ACCOUNTS_LEN>(accounts)?;
    let config_address = *config.address();
    let mut config = auth::config_mut(program_id, config)?;
    auth::threshold(&config, cosigners)?;
    config.settlement_authority = *settlement_authority;
    emit(SettlementAuthoritySet {
        config: config_address,
        settlement_authority: *settlement_authority,
    });
    Ok(())
}
