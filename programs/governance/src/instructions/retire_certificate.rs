//! `retire_certificate(beneficiary: Pubkey, beneficiary_name: string, purpose: string,
//! consumption_start: i64, consumption_end: i64)`: the owner claims a Valid, unexpired certificate
//! for a beneficiary: who used the energy, for what, and when it was consumed. Final: the proof a
//! consumer shows.
//!
//! Accounts:
//! 0. `[signer]` owner: the certificate's owner (`NotCertificateOwner`).
//! 1. `[writable]` certificate.
//! 2. `[]` original: the certificate's `original` (`WrongOriginal` otherwise): the certificate itself
//!    when it was requested (nothing more is read), else the requested certificate it was split from,
//!    which must be neither Revoked nor have its lineage revoked (`OriginalRevoked`: revoking an
//!    original, whatever its status, reaches every certificate split
//!    from it).
//!
//! The beneficiary must not be all zeroes (`InvalidBeneficiary`); the name and the purpose are UTF-8
//! of at most 64 bytes each (`TextTooLong`, `InvalidText`; either may be empty); consumption_start <
//! consumption_end (`InvalidConsumptionPeriod`) — the core's `check_retirement`. The status rule is
//! the core's `Status::retire`. Emits `CertificateRetired`.

use pinocchio::{AccountView, Address, ProgramResult};
use solgrid_governance_core::{certificate::check_retirement, is_zero};
use solgrid_program_kit::{clock, discriminator, event::emit, pod::PodI64, KitError};

use crate::{
    certificates::{self, padded, status},
    errors::{self, GovernanceError},
    events::CertificateRetired,
    state::{Retirement, TEXT_LEN},
    wire::Reader,
};

pub const DISCRIMINATOR: u64 =
    discriminator::as_u64(discriminator::instruction("retire_certificate"));
pub const ACCOUNTS_LEN: usize = 3;

pub fn process(program_id: &Address, accounts: &mut [AccountView], args: &[u8]) -> ProgramResult {
    let mut reader = Reader::new(args);
    let beneficiary = *reader.address()?;
    let beneficiary_name = reader.bytes(TEXT_LEN, GovernanceError::TextTooLong)?;
    let purpose = reader.bytes(TEXT_LEN, GovernanceError::TextTooLong)?;
    let consumption_start = reader.i64()?;
    let consumption_end = reader.i64()?;
    reader.finish()?;
    if is_zero(beneficiary.as_ref()) {
        return Err(GovernanceError::InvalidBeneficiary.into());
    }
    check_retirement(
        beneficiary_name,
        purpose,
        consumption_start,
        consumption_end,
    )
    .map_err(errors::certificate)?;

    let [owner, certificate, original, ..] = accounts else {
        return Err(KitError::NotEnoughAccounts.into());
    };
    let certificate_address = *certificate.address();
    let mut state = certificates::load_owned(program_id, owner, certificate)?;
    let now = clock::unix_timestamp()?;
    let next = status(&state)?
        .retire(now, state.expires_at.get())
        .map_err(errors::certificate)?;
    certificates::check_original(program_id, &certificate_address, &state.original, original)?;
    let retirement = Retirement {
        beneficiary,
        beneficiary_name: padded(beneficiary_name),
        purpose: padded(purpose),
        consumption_start: PodI64::new(consumption_start),
        consumption_end: PodI64::new(consumption_end),
        retired_at: PodI64::new(now),
    };
    state.status = next as u8;
    state.retirement = retirement;
    emit(CertificateRetired {
        certificate: certificate_address,
        owner: *owner.address(),
        retirement,
        volume_wh: state.volume_wh,
        co2_avoided_g: state.co2_avoided_g,
    });
    Ok(())
}
