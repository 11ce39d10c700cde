//! What the certificate instructions share: the registry's renewable sources, a certificate's status
//! as the core's, and loading a Certificate (for its owner).
//!
//! Every rule (the status machine, the request interval, splits, CO2, texts) is the core crate's;
//! its errors map to this program's codes through `errors::certificate`.

use pinocchio::{account::RefMut, address::address_eq, error::ProgramError, AccountView, Address};
use solgrid_governance_core::certificate::Status;
use solgrid_program_kit::{account, checks};

use crate::{
    errors::{self, GovernanceError},
    state::Certificate,
};

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
