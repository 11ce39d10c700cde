//! `set_zone_status(status: ZoneStatus)`: e.g. halts a zone, which stops its readings (privileged).
//!
//! Accounts:
//! 0. `[]` config.
//! 1. `[writable]` zone.
//! 2.. `[signer]` cosigners: `regulator_threshold` distinct configured regulators.
//!
//! Leaving Halted records the time in `Zone.reopened_at`: readings must start at or after it, so
//! energy from the halt is never credited later. Emits `ZoneStatusChanged`.

use pinocchio::{AccountView, Address, ProgramResult};
use solgrid_program_kit::{account, checks, clock, discriminator, event::emit, instruction};

use crate::{
    auth,
    events::ZoneStatusChanged,
    state::{Zone, ZoneStatus},
};

pub const DISCRIMINATOR: u64 = discriminator::as_u64(discriminator::instruction("set_zone_status"));
pub const DATA_LEN: usize = discriminator::LEN + 1;
pub const ACCOUNTS_LEN: usize = 2;

pub fn process(program_id: &Address, accounts: &mut [AccountView], args: &[u8]) -> ProgramResult {
    let status: &u8 = instruction::args(args)?;
    let status = ZoneStatus::try_from(*status)?;
    let ([config, zone], cosigners) = auth::split::<ACCOUNTS_LEN>(accounts)?;
    {
        let config = auth::config(program_id, config)?;
        auth::threshold(&config, cosigners)?;
    }
    checks::writable(zone)?;
    checks::owned_by(zone, program_id)?;
    let zone_address = *zone.address();
    let mut state = account::borrow_mut::<Zone>(zone)?;
    let old = state.status;
    if old == ZoneStatus::Halted as u8 && status != ZoneStatus::Halted {
        state.reopened_at.set(clock::unix_timestamp()?);
    }
    state.status = status as u8;
    emit(ZoneStatusChanged {
        zone: zone_address,
        zone_id: state.zone_id,
        old_status: old,
        new_status: status as u8,
    });
    Ok(())
}
