//! `set_emission_factor(g_per_kwh: u32)`: the zone's grid-mix emission factor, g CO2 per kWh, that
//! certificates use for the CO2 their volume avoided (privileged).
//!
//! Accounts:
//! 0. `[]` config.
//! 1. `[writable]` zone.
//! 2.. `[signer]` cosigners: `regulator_threshold` distinct configured regulators, or the
//!    governance PDA once governance is set.
//!
//! `g_per_kwh <= 2_000` (`InvalidEmissionFactor`); 0 means not set. Emits `EmissionFactorSet`.

use pinocchio::{AccountView, Address, ProgramResult};
use solgrid_program_kit::{account, checks, discriminator, event::emit, instruction, pod::PodU32};

use crate::{
    auth,
    errors::RegistryError,
    events::EmissionFactorSet,
    state::{Zone, MAX_EMISSION_FACTOR},
};

pub const DISCRIMINATOR: u64 =
    discriminator::as_u64(discriminator::instruction("set_emission_factor"));
pub const DATA_LEN: usize = discriminator::LEN + 4;
pub const ACCOUNTS_LEN: usize = 2;

pub fn process(program_id: &Address, accounts: &mut [AccountView], args: &[u8]) -> ProgramResult {
    let factor: &PodU32 = instruction::args(args)?;
    if factor.get() > MAX_EMISSION_FACTOR {
        return Err(RegistryError::InvalidEmissionFactor.into());
    }
    let ([config, zone], cosigners) = auth::split::<ACCOUNTS_LEN>(accounts)?;
    {
        let config = auth::config(program_id, config)?;
        auth::threshold(&config, cosigners)?;
    }
    checks::writable(zone)?;
    checks::owned_by(zone, program_id)?;
    let zone_address = *zone.address();
    let mut state = account::borrow_mut::<Zone>(zone)?;
    let old = state.emission_factor;
    state.emission_factor = *factor;
    emit(EmissionFactorSet {
        zone: zone_address,
        zone_id: state.zone_id,
        old_factor: old,
        emission_factor: *factor,
    });
    Ok(())
}
