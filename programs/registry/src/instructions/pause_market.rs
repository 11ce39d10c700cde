//! `pause_market(flags: u8)`: emergency pause of the whole market (issue 14). One regulator acts at
//! once; resuming takes a quorum (`resume_market`).
//!
//! Accounts:
//! 0. `[signer]` regulator: a configured regulator, or the governance PDA.
//! 1. `[writable]` config.
//!
//! `flags`: a non-empty set of `READINGS = 1`, `MINTING = 2`, `TRADING = 4` (`InvalidPauseFlags`),
//! ORed into `Config.paused`. Emits `Paused` (zone_id None).

use pinocchio::{AccountView, Address, ProgramResult};
use solgrid_program_kit::{discriminator, KitError};

use crate::{auth, instructions::pause};

pub const DISCRIMINATOR: u64 = discriminator::as_u64(discriminator::instruction("pause_market"));
pub const DATA_LEN: usize = pause::DATA_LEN;
pub const ACCOUNTS_LEN: usize = 2;

pub fn process(program_id: &Address, accounts: &mut [AccountView], args: &[u8]) -> ProgramResult {
    let flags = pause::flags(args)?;
    let [regulator, config, ..] = accounts else {
        return Err(KitError::NotEnoughAccounts.into());
    };
    let mut config = auth::config_mut(program_id, config)?;
    auth::regulator_or_governance(&config, regulator)?;
    config.paused = pause::set(config.paused, flags, regulator.address(), None);
    Ok(())
}
