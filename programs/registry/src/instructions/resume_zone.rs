//! `resume_zone(flags: u8)`: clears a zone's pause flags (privileged: a single regulator may pause,
//! but resuming takes the quorum, or the governance PDA once governance is set).
//!
//! Accounts:
//! 0. `[]` config.
//! 1. `[writable]` zone.
//! 2.. `[signer]` cosigners: `regulator_threshold` distinct configured regulators, or the
//!    governance PDA once governance is set.
//!
//! `flags`: a non-empty set of `READINGS = 1`, `MINTING = 2`, `TRADING = 4` (`InvalidPauseFlags`),
//! cleared from `Zone.paused` (market-wide flags stay). Emits `Resumed` (zone_id Some).

use pinocchio::{AccountView, Address, ProgramResult};
use solgrid_program_kit::discriminator;

use crate::{auth, instructions::pause};

pub const DISCRIMINATOR: u64 = discriminator::as_u64(discriminator::instruction("resume_zone"));
pub const DATA_LEN: usize = pause::DATA_LEN;
pub const ACCOUNTS_LEN: usize = 2;

pub fn process(program_id: &Address, accounts: &mut [AccountView], args: &[u8]) -> ProgramResult {
    let flags = pause::flags(args)?;
    let ([config, zone], cosigners) = auth::split::<ACCOUNTS_LEN>(accounts)?;
    {
        let config = auth::config(program_id, config)?;
        auth::threshold(&config, cosigners)?;
    }
    let mut zone = pause::zone(program_id, zone)?;
    zone.paused = pause::clear(zone.paused, flags, Some(zone.zone_id));
    Ok(())
}
