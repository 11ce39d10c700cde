//! `validate_certificate()`: a current regulator validates a Pending certificate against the meter's
//! data: PENDING -> VALID, issued now by the regulator, expiring after the configured validity, with
//! the CO2 its volume avoided at its zone's emission factor.
//!
//! Accounts:
//! 0. `[signer]` regulator: one of the registry's current regulators (`NotRegulator`).
//! 1. `[]` config: this program's Config (`certificate_validity_secs`).
//! 2. `[]` registry_config: the registry's Config (its regulators, the market-wide pause flags).
//! 3. `[]` zone: the certificate's registry Zone (owner = the registry, `account:Zone`, same
//!    `zone_id`; `WrongZone` otherwise); its emission factor must be set (`EmissionFactorNotSet`).
//!    Refused with `MintingPaused` while MINTING is paused for it (market-wide or for the zone), as
//!    the registry refuses `certify_meter` (so `request_certificate`) then.
//! 4. `[writable]` certificate: Pending, and not owned by the validating regulator
//!    (`ValidatorOwnsCertificate`: no one validates their own production).
//!
//! `co2_avoided_g = floor(volume_wh * g_per_kwh / 1000)` (the core's `issue`). Emits
//! `CertificateValidated`.

use pinocchio::{address::address_eq, AccountView, Address, ProgramResult};
use solgrid_governance_core::{certificate::issue, pause};
use solgrid_program_kit::{
    account, clock, discriminator,
    event::emit,
    instruction,
    pod::{PodI64, PodU32, PodU64},
};

use crate::{
    auth,
    certificates::{self, status},
    errors::{self, GovernanceError},
    events::CertificateValidated,
    state::RegistryZone,
};

pub const DISCRIMINATOR: u64 =
    discriminator::as_u64(discriminator::instruction("validate_certificate"));
pub const DATA_LEN: usize = discriminator::LEN;
pub const ACCOUNTS_LEN: usize = 5;

pub fn process(program_id: &Address, accounts: &mut [AccountView], args: &[u8]) -> ProgramResult {
    instruction::no_args(args)?;
    let ([regulator, config, registry_config, zone, certificate], _) =
        auth::split::<ACCOUNTS_LEN>(accounts)?;
    let (registry_id, validity_secs, market_paused) = {
        let config = auth::config(program_id, config)?;
        let registry = auth::registry_config(&config, registry_config)?;
        auth::regulator(&registry, regulator)?;
        (
            config.registry_program,
            config.certificate_validity_secs.get(),
            registry.paused,
        )
    };
    let certificate_address = *certificate.address();
    let mut state = certificates::load_mut(program_id, certificate)?;
    let current = status(&state)?;
    current.validate().map_err(errors::certificate)?;
    if address_eq(regulator.address(), &state.owner) {
        return Err(GovernanceError::ValidatorOwnsCertificate.into());
    }

    if !zone.owned_by(&registry_id) {
        return Err(GovernanceError::WrongZone.into());
    }
    let g_per_kwh = {
        let zone = account::borrow::<RegistryZone>(zone).map_err(|_| GovernanceError::WrongZone)?;
        if zone.zone_id != state.zone_id {
            return Err(GovernanceError::WrongZone.into());
        }
        if pause::is_paused(market_paused, zone.paused, pause::MINTING) {
            return Err(GovernanceError::MintingPaused.into());
        }
        zone.emission_factor.get()
    };
    if g_per_kwh == 0 {
        return Err(GovernanceError::EmissionFactorNotSet.into());
    }

    let now = clock::unix_timestamp()?;
    let issued = issue(
        current,
        now,
        validity_secs,
        state.volume_wh.get(),
        g_per_kwh,
    )
    .map_err(errors::certificate)?;
    state.status = issued.status as u8;
    state.issued_at = PodI64::new(issued.issued_at);
    state.issuer = *regulator.address();
    state.expires_at = PodI64::new(issued.expires_at);
    state.co2_avoided_g = PodU64::new(issued.co2_avoided_g);
    emit(CertificateValidated {
        certificate: certificate_address,
        issuer: *regulator.address(),
        volume_wh: state.volume_wh,
        emission_factor: PodU32::new(g_per_kwh),
        co2_avoided_g: PodU64::new(issued.co2_avoided_g),
        issued_at: PodI64::new(issued.issued_at),
        expires_at: PodI64::new(issued.expires_at),
    });
    Ok(())
}
