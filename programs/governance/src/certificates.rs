//! What the certificate instructions share: the registry's renewable sources, a certificate's status
//! as the core's, loading a Certificate (for its owner), and the standing of the original a split
//! child's volume came from.
//!
//! Every rule (the status machine, the request interval, splits, CO2, texts) is the core crate's;
//! its errors map to this program's codes through `errors::certificate`.

use pinocchio::{account::RefMut, address::address_eq, error::ProgramError, AccountView, Address};
use solgrid_governance_core::certificate::{self, Status};
use solgrid_program_kit::{account, checks};
use solgrid_registry_layouts::state::EnergySource;

use crate::{
    errors::{self, GovernanceError},
    state::Certificate,
};

/// Whether a registry Meter's `source` byte is a renewable `EnergySource` by the registry's own rule
/// (Solar, Wind, Hydro; Battery storage and Grid are not; an unknown byte is not).
#[inline(always)]
pub fn is_renewable(source: u8) -> bool {
    EnergySource::try_from(source).is_ok_and(EnergySource::is_renewable)
}

/// A certificate's stored status as the core's [`Status`].
#[inline(always)]
pub fn status(certificate: &Certificate) -> Result<Status, ProgramError> {
    Status::try_from(certificate.status).map_err(errors::certificate)
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

/// The `original` account of transfer, split and retire: the certificate at `stored` (the
/// certificate's `original` field, `WrongOriginal` otherwise) does not have its lineage revoked nor
/// is Revoked (`OriginalRevoked`, the core's `check_original`), so that revoking a requested
/// certificate reaches every certificate split from it, however many times and to whomever its volume
/// moved since, whatever the original's own status (a Retired or Expired original's lineage is
/// revoked too).
///
/// A requested certificate is its own original (`stored == certificate`): the caller passes the
/// certificate itself in this slot and nothing more is read (its own status is checked by the
/// caller). A child's original cannot be faked: its address is the one the program stored at the
/// split (copied from the parent, set by `request_certificate`), and the account there must be owned
/// by this program with the Certificate discriminator.
#[inline(always)]
pub fn check_original(
    program_id: &Address,
    certificate: &Address,
    stored: &Address,
    original: &AccountView,
) -> Result<(), ProgramError> {
    if !address_eq(original.address(), stored) {
        return Err(GovernanceError::WrongOriginal.into());
    }
    if address_eq(stored, certificate) {
        return Ok(());
    }
    if !original.owned_by(program_id) {
        return Err(GovernanceError::WrongOriginal.into());
    }
    let original =
        account::borrow::<Certificate>(original).map_err(|_| GovernanceError::WrongOriginal)?;
    certificate::check_original(status(&original)?, original.lineage_revoked != 0)
        .map_err(errors::certificate)
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
    fn texts_are_zero_padded() {
        assert_eq!(padded::<4>(b"ab"), *b"ab\0\0");
        assert_eq!(padded::<2>(b"abc"), *b"ab");
    }
}
