//! What the certificate instructions share: the mapping of `solgrid_governance_core`'s certificate
//! errors to this program's codes, the registry's renewable sources, and loading a Certificate for
//! its owner.
//!
//! Every rule (the status machine, the request interval, splits, CO2, texts) is the core crate's;
//! this module only connects it to accounts and error codes.

use pinocchio::{account::RefMut, address::address_eq, error::ProgramError, AccountView, Address};
use solgrid_governance_core::{certificate::Status, CertificateError};
use solgrid_program_kit::{account, checks, KitError};

use crate::{errors::GovernanceError, state::Certificate};

/// The registry's `EnergySource` values (its borsh index) that are renewable: Solar, Wind, Hydro.
/// Battery (storage) and Grid are not generation from a renewable source.
pub const SOURCE_SOLAR: u8 = 0;
pub const SOURCE_WIND: u8 = 1;
pub const SOURCE_HYDRO: u8 = 3;

/// Whether a registry `EnergySource` byte is a renewable source.
#[inline(always)]
pub const fn is_renewable(source: u8) -> bool {
    matches!(source, SOURCE_SOLAR | SOURCE_WIND | SOURCE_HYDRO)
}

/// This program's error for each refusal of the core's certificate rules. Exhaustive on purpose (no
/// wildcard arm): a variant the core adds does not compile here until it has a code.
#[inline(always)]
pub fn error(error: CertificateError) -> ProgramError {
    let code = match error {
        CertificateError::InvalidStatus => GovernanceError::InvalidStatus,
        CertificateError::NotRenewable => GovernanceError::NotRenewable,
        CertificateError::NothingToCertify => GovernanceError::NothingToCertify,
        // The registry's counters would give an interval that does not end after it starts: the
        // registry could not have advanced the meter consistently.
        CertificateError::InvalidInterval => GovernanceError::CertifyFailed,
        CertificateError::NotValidated => GovernanceError::CertificateNotValid,
        CertificateError::AlreadyValidated => GovernanceError::CertificateNotPending,
        CertificateError::AlreadyRetired => GovernanceError::CertificateFinal,
        CertificateError::CertificateRevoked => GovernanceError::CertificateFinal,
        CertificateError::CertificateExpired => GovernanceError::CertificateExpired,
        CertificateError::NotYetExpired => GovernanceError::CertificateNotExpired,
        CertificateError::InvalidSplitVolume => GovernanceError::InvalidSplitVolume,
        CertificateError::TooManySplits => GovernanceError::TooManySplits,
        CertificateError::InvalidConsumptionPeriod => GovernanceError::InvalidConsumptionPeriod,
        CertificateError::TextTooLong => GovernanceError::TextTooLong,
        CertificateError::InvalidText => GovernanceError::InvalidText,
        CertificateError::MissingReason => GovernanceError::MissingReason,
        CertificateError::InvalidEmissionFactor => GovernanceError::InvalidEmissionFactor,
        CertificateError::Overflow => return KitError::ArithmeticOverflow.into(),
    };
    code.into()
}

/// A certificate's stored status as the core's [`Status`].
#[inline(always)]
pub fn status(certificate: &Certificate) -> Result<Status, ProgramError> {
    Status::try_from(certificate.status).map_err(error)
}

/// `certificate` is one of this program's Certificates (owner + discriminator: certificates exist
/// only at their PDAs), writable; borrows it mutably.
#[inline(always)]
pub fn load_mut<'a>(
    program_id: &Address,
    certificate: &'a mut AccountView,
) -> Result<RefMut<'a, Certificate>, ProgramError> {
    checks::writable(certificate)?;
    checks::owned_by(certificate, program_id)?;
    account::borrow_mut::<Certificate>(certificate)
}

/// As [`load_mut`], and `owner` signed and is the certificate's owner (`NotCertificateOwner`).
#[inline(always)]
pub fn load_owned<'a>(
    program_id: &Address,
    owner: &AccountView,
    certificate: &'a mut AccountView,
) -> Result<RefMut<'a, Certificate>, ProgramError> {
    checks::signer(owner)?;
    let loaded = load_mut(program_id, certificate)?;
    if !address_eq(owner.address(), &loaded.owner) {
        return Err(GovernanceError::NotCertificateOwner.into());
    }
    Ok(loaded)
}

/// A text argument zero-padded to its field.
#[inline(always)]
pub fn padded<const N: usize>(text: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    let len = text.len().min(N);
    out[..len].copy_from_slice(&text[..len]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renewable_sources_are_the_registrys() {
        // The registry's EnergySource: Solar, Wind, Battery, Hydro, Grid.
        let renewable: [bool; 5] = core::array::from_fn(|i| is_renewable(i as u8));
        assert_eq!(renewable, [true, true, false, true, false]);
        assert!(!is_renewable(5));
    }

    #[test]
    fn every_core_error_has_a_code() {
        assert_eq!(
            error(CertificateError::AlreadyRetired),
            GovernanceError::CertificateFinal.into()
        );
        assert_eq!(
            error(CertificateError::CertificateExpired),
            GovernanceError::CertificateExpired.into()
        );
        assert_eq!(
            error(CertificateError::Overflow),
            KitError::ArithmeticOverflow.into()
        );
        assert_eq!(padded::<4>(b"ab"), *b"ab\0\0");
    }
}
