//! `resume_market(flags: u8)`: clears market-wide pause flags (privileged: a single regulator may
//! pause, but resuming takes the quorum, or the governance PDA once governance is set).
//!
//! Accounts:
//! 0. `[writable]` config.
//! 1.. `[signer]` cosigners: `regulator_threshold` distinct configured regulators, or the
//!    governance PDA once governance is set.
//!
//! `flags`: a non-empty set of `READINGS = 1`, `MINTING = 2`, `TRADING = 4` (`InvalidPauseFlags`),
//! cleared from `Config.paused` (a zone's own flags stay). Emits `Resumed` (zone_id None).

use pinocchio::{AccountView, Address, ProgramResult};
use solgrid_program_kit::discriminator;

use crate::{auth, instructions::pause};

pub const DISCRIMINATOR: u64 = discriminator::as_u64(discriminator::instruction("resume_market"));
pub const DATA_LEN: usize = pause::DATA_LEN;
pub const ACCOUNTS_LEN: usize = 1;

pub fn process(program_id: &Address, accounts: &mut [AccountView], args: &[u8]) -> ProgramResult {
    let flags = pause::flags(args)?;
    let ([config], cosigners) = auth::split::<ACCOUNTS_LEN>(accounts)?;
    let mut config = auth::config_mut(program_id, config)?;
    auth::threshold(&config, cosigners)?;
    config.paused = pause::clear(config.paused, flags, None);
    Ok(())
}
