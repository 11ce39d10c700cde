//! `request_certificate(bump: u8)`: a meter's owner requests a certificate for the meter's renewable
//! production that the registry accepted through device-signed readings and that no certificate
//! covers yet. Status Pending until a regulator validates it.
//!
//! Accounts:
//! 0. `[signer, writable]` owner: the meter's owner (`Meter.owner`, `NotMeterOwner`); funds the
//!    Certificate account.
//! 1. `[]` config: this program's Config.
//! 2. `[]` registry_config: the registry's Config (checked by the registry: it names this program its
//!    governance and holds the `["certificates"]` bump).
//! 3. `[writable]` meter: a registry Meter (owner = `Config.registry_program`, `account:Meter`;
//!    `WrongMeter` otherwise).
//! 4. `[]` user: the owner's registry User (`Meter.user`, `UserMismatch`); the registry requires it
//!    Verified.
//! 5. `[writable]` certificate: PDA `["certificate", meter, generation_start as i64 LE]` with `bump`,
//!    the canonical one (`InvalidPda` otherwise), created here. generation_start is where the meter's last certificate ended, or its first
//!    accepted window, or its registration (`solgrid_governance_core::certificate::interval_start`).
//! 6. `[]` certificates_authority: this program's `["certificates"]` PDA (`Config.certificates_bump`;
//!    `InvalidCertificatesAuthority`). It signs the CPI.
//! 7. `[]` registry_program: `Config.registry_program` (`InvalidRegistryProgram`).
//! 8. `[]` system_program.
//! 9. `[]` zone: the meter's registry Zone, passed on to `certify_meter`, which binds it to the
//!    meter (`ZoneMismatch`) and refuses with the registry's `MintingPaused` while MINTING is paused
//!    for it (market-wide or for the zone). Last, so that the other accounts keep their positions.
//!
//! The core's `request_interval` decides from the meter's counters what may be certified (renewable
//! source, `certified_wh - certificate_wh > 0`, from the interval start to the last accepted window);
//! then the registry's `certify_meter` (CPI, signed by the certificates PDA) moves the meter's
//! `certificate_wh` up to `certified_wh` and `certificate_until` to `last_window_end`, so the same
//! production can never be certified twice, whatever account the certificate lives at. The
//! certificate records what the registry moved, read back from the meter (owned by the registry, so
//! only it can have written it): `CertifyFailed` unless the counters are exactly what the rule
//! expects. Emits `CertificateRequested` (the registry emits `MeterCertified` inside the CPI).

use core::mem::{offset_of, MaybeUninit};
use pinocchio::{
    address::address_eq,
    cpi::{invoke_signed_unchecked, CpiAccount, Seed, Signer},
    instruction::{InstructionAccount, InstructionView},
    AccountView, Address, ProgramResult,
};
use solgrid_governance_core::certificate::{request_interval, MeterCounters};
use solgrid_program_kit::{
    account::{self, AccountLayout},
    checks, clock, create, discriminator,
    event::emit,
    instruction,
    pod::{PodI64, PodU16, PodU64},
    rent::Rent,
    KitError,
};

use crate::{
    auth,
    certificates::is_renewable,
    errors::{self, GovernanceError},
    events::CertificateRequested,
    state::{Certificate, CertificateStatus, RegistryMeter, CERTIFICATES_SEED, CERTIFICATE_SEED},
};

pub const DISCRIMINATOR: u64 =
    discriminator::as_u64(discriminator::instruction("request_certificate"));
/// The discriminator and the certificate's bump.
pub const DATA_LEN: usize = discriminator::LEN + 1;
pub const ACCOUNTS_LEN: usize = 10;

/// The registry instruction this one invokes (Anchor discriminator `global:certify_meter`, no args).
pub const CERTIFY_METER_DISCRIMINATOR: [u8; discriminator::LEN] =
    discriminator::instruction("certify_meter");

/// Offsets of the counters `certify_meter` moves, in a registry Meter account's data.
pub const CERTIFICATE_WH_OFFSET: usize =
    discriminator::LEN + offset_of!(RegistryMeter, certificate_wh);
pub const CERTIFICATE_UNTIL_OFFSET: usize =
    discriminator::LEN + offset_of!(RegistryMeter, certificate_until);

/// What the request reads from the meter before the CPI.
struct MeterView {
    zone_id: [u8; 4],
    source: u8,
    counters: MeterCounters,
}

pub fn process(program_id: &Address, accounts: &mut [AccountView], args: &[u8]) -> ProgramResult {
    let bump = instruction::args::<[u8; 1]>(args)?[0];
    let [owner, config, registry_config, meter, user, certificate, certificates_authority, registry_program, system_program, zone, ..] =
        accounts
    else {
        return Err(KitError::NotEnoughAccounts.into());
    };
    checks::payer(owner)?;
    let (registry_id, certificates_bump) = {
        let config = auth::config(program_id, config)?;
        if !address_eq(
            certificates_authority.address(),
            &auth::certificates_address(program_id, &config)?,
        ) {
            return Err(GovernanceError::InvalidCertificatesAuthority.into());
        }
        (config.registry_program, config.certificates_bump)
    };
    if !address_eq(registry_program.address(), &registry_id) {
        return Err(GovernanceError::InvalidRegistryProgram.into());
    }

    checks::writable(meter)?;
    if !meter.owned_by(&registry_id) {
        return Err(GovernanceError::WrongMeter.into());
    }
    let view = {
        let state =
            account::borrow::<RegistryMeter>(meter).map_err(|_| GovernanceError::WrongMeter)?;
        if !address_eq(owner.address(), &state.owner) {
            return Err(GovernanceError::NotMeterOwner.into());
        }
        if !address_eq(user.address(), &state.user) {
            return Err(GovernanceError::UserMismatch.into());
        }
        MeterView {
            zone_id: state.zone_id.0,
            source: state.source,
            counters: MeterCounters {
                renewable: is_renewable(state.source),
                certified_wh: state.certified_wh.get(),
                certificate_wh: state.certificate_wh.get(),
                certificate_until: state.certificate_until.get(),
                first_window_start: state.first_window_start.get(),
                registered_at: state.registered_at.get(),
                last_window_end: state.last_window_end.get(),
            },
        }
    };
    let interval = request_interval(&view.counters).map_err(errors::certificate)?;

    checks::writable(certificate)?;
    checks::system_program(system_program)?;
    let meter_address = *meter.address();
    let start = interval.start.to_le_bytes();
    checks::canonical_bump(
        certificate,
        &[CERTIFICATE_SEED, meter_address.as_ref(), &start],
        bump,
        program_id,
    )?;
    checks::uninitialized(certificate)?;
    let bump_seed = [bump];
    let seeds = [
        Seed::from(CERTIFICATE_SEED),
        Seed::from(meter_address.as_ref()),
        Seed::from(&start),
        Seed::from(&bump_seed),
    ];
    create::create_pda_account(
        owner,
        certificate,
        Certificate::LEN,
        program_id,
        &seeds,
        &Rent::get()?,
    )?;

    certify_meter(
        certificates_authority,
        registry_program,
        registry_config,
        meter,
        user,
        zone,
        certificates_bump,
    );
    // SAFETY: the CPI has returned; no reference into the meter's data is alive, and it was checked
    // to be a registry Meter (exact size) above.
    let (certificate_wh, certificate_until) = unsafe {
        (
            read_u64(meter, CERTIFICATE_WH_OFFSET),
            read_u64(meter, CERTIFICATE_UNTIL_OFFSET) as i64,
        )
    };
    if certificate_wh != view.counters.certified_wh || certificate_until != interval.end {
        return Err(GovernanceError::CertifyFailed.into());
    }

    let now = clock::unix_timestamp()?;
    let certificate_address = *certificate.address();
    {
        let mut state = account::borrow_init::<Certificate>(certificate)?;
        state.meter = meter_address;
        state.zone_id.0 = view.zone_id;
        state.source = view.source;
        state.status = CertificateStatus::Pending as u8;
        state.generation_start = PodI64::new(interval.start);
        state.generation_end = PodI64::new(interval.end);
        state.volume_wh = PodU64::new(interval.volume_wh);
        state.requested_at = PodI64::new(now);
        state.owner = *owner.address();
        state.original = certificate_address;
        state.split_count = PodU16::new(0);
        state.bump = bump;
    }
    emit(CertificateRequested {
        certificate: certificate_address,
        meter: meter_address,
        owner: *owner.address(),
        zone_id: solgrid_program_kit::pod::PodU32(view.zone_id),
        source: view.source,
        generation_start: PodI64::new(interval.start),
        generation_end: PodI64::new(interval.end),
        volume_wh: PodU64::new(interval.volume_wh),
        requested_at: PodI64::new(now),
    });
    Ok(())
}

/// The registry's `certify_meter`, signed by the certificates PDA. The registry checks the signer
/// against its Config's governance program and certificates bump, the meter's owner User (Verified),
/// the meter's Zone and its pause flags, the source and the volume, and fails the transaction
/// otherwise.
fn certify_meter(
    authority: &AccountView,
    registry_program: &AccountView,
    registry_config: &AccountView,
    meter: &AccountView,
    user: &AccountView,
    zone: &AccountView,
    bump: u8,
) {
    let metas = [
        InstructionAccount::readonly_signer(authority.address()),
        InstructionAccount::readonly(registry_config.address()),
        InstructionAccount::writable(meter.address()),
        InstructionAccount::readonly(user.address()),
        InstructionAccount::readonly(zone.address()),
    ];
    let ix = InstructionView {
        program_id: registry_program.address(),
        accounts: &metas,
        data: &CERTIFY_METER_DISCRIMINATOR,
    };
    let mut views = [const { MaybeUninit::<CpiAccount>::uninit() }; 5];
    CpiAccount::init_from_account_view(authority, &mut views[0]);
    CpiAccount::init_from_account_view(registry_config, &mut views[1]);
    CpiAccount::init_from_account_view(meter, &mut views[2]);
    CpiAccount::init_from_account_view(user, &mut views[3]);
    CpiAccount::init_from_account_view(zone, &mut views[4]);
    let bump = [bump];
    let seeds = [Seed::from(CERTIFICATES_SEED), Seed::from(&bump)];
    // SAFETY: all five views were initialised above, in the order of `metas`. No borrow of any of
    // these accounts' data is alive (the meter's view was dropped before), so the registry writing
    // the meter aliases nothing this program holds. The checked `invoke_signed` would verify exactly
    // that, at a cost on the request path.
    unsafe {
        invoke_signed_unchecked(
            &ix,
            core::slice::from_raw_parts(views.as_ptr() as *const CpiAccount, views.len()),
            &[Signer::from(&seeds)],
        );
    }
}

/// A little-endian u64 of `account`'s data at `offset`.
///
/// # Safety
///
/// `offset + 8` is within the account's data and no mutable reference to it is alive. Read through
/// a raw pointer (not a reference held across the CPI) so that the value the registry wrote is the
/// one read.
#[inline(always)]
unsafe fn read_u64(account: &AccountView, offset: usize) -> u64 {
    u64::from_le(core::ptr::read_unaligned(
        account.data_ptr().add(offset) as *const u64
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certify_meter_discriminator_is_anchors() {
        assert_eq!(
            CERTIFY_METER_DISCRIMINATOR,
            discriminator::sighash("global", "certify_meter")
        );
        assert_eq!(DATA_LEN, 9);
    }

    #[test]
    fn counter_offsets_are_the_meters() {
        // serial, owner, user, zone_id, device_key, source, status, bump, then capacity_w,
        // last_window_end, produced, consumed, settled, certified, reading_count, registered_at.
        assert_eq!(CERTIFICATE_WH_OFFSET, 8 + 32 * 3 + 4 + 32 + 3 + 8 * 8);
        assert_eq!(CERTIFICATE_UNTIL_OFFSET, CERTIFICATE_WH_OFFSET + 8);
        const { assert!(CERTIFICATE_UNTIL_OFFSET + 8 <= RegistryMeter::LEN) };
    }
}
