//! `certify_meter()`: marks a meter's renewable production not yet covered by a certificate as
//! covered; the CPI target of the governance program's `request_certificate` (issue 14), as
//! `settle_meter` is energy_token's.
//!
//! Accounts:
//! 0. `[signer]` certificates_authority: the `["certificates"]` PDA of `Config.governance_program`
//!    with `Config.certificates_bump` (the governance program signs through `invoke_signed`).
//! 1. `[]` config.
//! 2. `[writable]` meter.
//! 3. `[]` user: the meter owner's User (`Meter.user`); must be Verified.
//! 4. `[]` zone: the meter's Zone (bound by `zone_id`, `ZoneMismatch`); refused with `MintingPaused`
//!    while MINTING is paused for it (market-wide or for the zone): a certificate is issuance of an
//!    attribute of the production, stopped by the same switch as minting GRID for it.
//!
//! The meter's source must be renewable (`NotRenewable`). volume = `certified_wh - certificate_wh`;
//! 0 fails with `NothingToCertify`. Then `certificate_wh = certified_wh` and `certificate_until =
//! last_window_end`, so certified volume never exceeds accepted renewable production and no window
//! is covered twice. Emits `MeterCertified { from, to }`: from = the previous `certificate_until`,
//! else `first_window_start`, else `registered_at`; to = `last_window_end`. No return data: the
//! caller reads the meter's fields before and after the CPI.

use pinocchio::{address::address_eq, AccountView, Address, ProgramResult};
use solgrid_program_kit::{
    account, checks, discriminator,
    event::emit,
    instruction,
    pod::{PodI64, PodU64},
    KitError,
};

use crate::{
    auth,
    errors::RegistryError,
    events::MeterCertified,
    state::{pause, Config, EnergySource, Meter, User, UserStatus, Zone},
};

pub const DISCRIMINATOR: u64 = discriminator::as_u64(discriminator::instruction("certify_meter"));
pub const DATA_LEN: usize = discriminator::LEN;
pub const ACCOUNTS_LEN: usize = 5;

/// Start of the production a new certificate covers: where the last one ended, else the first
/// accepted window's start, else the meter's registration.
#[inline(always)]
pub fn interval_start(certificate_until: i64, first_window_start: i64, registered_at: i64) -> i64 {
    if certificate_until != 0 {
        certificate_until
    } else if first_window_start != 0 {
        first_window_start
    } else {
        registered_at
    }
}

pub fn process(program_id: &Address, accounts: &mut [AccountView], args: &[u8]) -> ProgramResult {
    instruction::no_args(args)?;
    let [authority, config, meter, user, zone, ..] = accounts else {
        return Err(KitError::NotEnoughAccounts.into());
    };
    checks::signer(authority)?;
    // Config exists only at its PDA (see state.rs), so owner + discriminator identify it.
    checks::owned_by(config, program_id)?;
    let market_paused = {
        let config = account::borrow::<Config>(config)?;
        match auth::certificates_authority(&config) {
            Some(pda) if address_eq(authority.address(), &pda) => {}
            _ => return Err(RegistryError::NotCertificateAuthority.into()),
        }
        config.paused
    };
    checks::writable(meter)?;
    checks::owned_by(meter, program_id)?;
    checks::owned_by(user, program_id)?;
    let meter_address = *meter.address();
    let mut state = account::borrow_mut::<Meter>(meter)?;
    if !address_eq(user.address(), &state.user) {
        return Err(RegistryError::UserMismatch.into());
    }
    match UserStatus::try_from(account::borrow::<User>(user)?.status)? {
        UserStatus::Verified => {}
        UserStatus::Suspended => return Err(RegistryError::UserSuspended.into()),
        UserStatus::Pending => return Err(RegistryError::UserNotVerified.into()),
    }
    // The meter is borrowed mutably: its own address in the zone slot is a substitution.
    if address_eq(zone.address(), &meter_address) {
        return Err(RegistryError::ZoneMismatch.into());
    }
    checks::owned_by(zone, program_id)?;
    {
        let zone = account::borrow::<Zone>(zone)?;
        if zone.zone_id.0 != state.zone_id.0 {
            return Err(RegistryError::ZoneMismatch.into());
        }
        if pause::is_paused(market_paused, zone.paused, pause::MINTING) {
            return Err(RegistryError::MintingPaused.into());
        }
    }
    if !EnergySource::try_from(state.source)?.is_renewable() {
        return Err(RegistryError::NotRenewable.into());
    }
    let certified = state.certified_wh.get();
    let volume = certified
        .checked_sub(state.certificate_wh.get())
        .ok_or(KitError::ArithmeticOverflow)?;
    if volume == 0 {
        return Err(RegistryError::NothingToCertify.into());
    }
    let from = interval_start(
        state.certificate_until.get(),
        state.first_window_start.get(),
        state.registered_at.get(),
    );
    let to = state.last_window_end.get();
    state.certificate_wh.set(certified);
    state.certificate_until.set(to);
    emit(MeterCertified {
        meter: meter_address,
        from: PodI64::new(from),
        to: PodI64::new(to),
        volume_wh: PodU64::new(volume),
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certificate_starts_where_the_last_ended() {
        assert_eq!(interval_start(5_000, 1_000, 900), 5_000);
        assert_eq!(interval_start(0, 1_000, 900), 1_000);
        assert_eq!(interval_start(0, 0, 900), 900);
        assert_eq!(DATA_LEN, 8);
    }
}
