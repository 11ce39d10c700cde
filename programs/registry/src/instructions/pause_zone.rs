//! `pause_zone(flags: u8)`: emergency pause of one zone (issue 14). One regulator acts at once;
//! resuming takes a quorum (`resume_zone`).
//!
//! Accounts:
//! 0. `[signer]` regulator: a configured regulator, or the governance PDA.
//! 1. `[]` config.
//! 2. `[writable]` zone.
//!
//! `flags`: a non-empty set of `READINGS = 1`, `MINTING = 2`, `TRADING = 4` (`InvalidPauseFlags`),
//! ORed into `Zone.paused`. Emits `Paused` (zone_id Some).

use pinocchio::{AccountView, Address, ProgramResult};
use solgrid_program_kit::{discriminator, KitError};

use crate::{auth, instructions::pause};

pub const DISCRIMINATOR: u64 = discriminator::as_u64(discriminator::instruction("pause_zone"));
pub const DATA_LEN: usize = pause::DATA_LEN;
pub const ACCOUNTS_LEN: usize = 3;

pub fn process(program_id: &Address, accounts: &mut [AccountView], args: &[u8]) -> ProgramResult {
    let flags = pause::flags(args)?;
    let [regulator, config, zone, ..] = accounts else {
        return Err(KitError::NotEnoughAccounts.into());
    };
    {
        let config = auth::config(program_id, config)?;
        auth::regulator_or_governance(&config, regulator)?;
    }
    let mut zone = pause::zone(program_id, zone)?;
    zone.paused = pause::set(zone.paused, flags, regulator.address(), Some(zone.zone_id));
    Ok(())
}
