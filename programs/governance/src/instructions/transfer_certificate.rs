//! `transfer_certificate(new_owner: Pubkey)`: the owner transfers a Valid, unexpired certificate as a
//! whole (for part of it, `split_certificate`).
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
//! The new owner must not be all zeroes (`InvalidNewOwner`). The status rule is the core's
//! (`Status::transfer`: Valid and before `expires_at`). Emits `CertificateTransferred`.

use pinocchio::{AccountView, Address, ProgramResult};
use solgrid_governance_core::is_zero;
use solgrid_program_kit::{clock, discriminator, event::emit, instruction, KitError};

use crate::{
    certificates::{self, status},
    errors::{self, GovernanceError},
    events::CertificateTransferred,
};

pub const DISCRIMINATOR: u64 =
    discriminator::as_u64(discriminator::instruction("transfer_certificate"));
/// The discriminator and the new owner.
pub const DATA_LEN: usize = discriminator::LEN + 32;
pub const ACCOUNTS_LEN: usize = 3;

pub fn process(program_id: &Address, accounts: &mut [AccountView], args: &[u8]) -> ProgramResult {
    let new_owner: &Address = instruction::args(args)?;
    if is_zero(new_owner.as_ref()) {
        return Err(GovernanceError::InvalidNewOwner.into());
    }
    let [owner, certificate, original, ..] = accounts else {
        return Err(KitError::NotEnoughAccounts.into());
    };
    let certificate_address = *certificate.address();
    let mut state = certificates::load_owned(program_id, owner, certificate)?;
    let now = clock::unix_timestamp()?;
    let next = status(&state)?
        .transfer(now, state.expires_at.get())
        .map_err(errors::certificate)?;
    certificates::check_original(program_id, &certificate_address, &state.original, original)?;
    state.status = next as u8;
    state.owner = *new_owner;
    emit(CertificateTransferred {
        certificate: certificate_address,
        from: *owner.address(),
        to: *new_owner,
        volume_wh: state.volume_wh,
        co2_avoided_g: state.co2_avoided_g,
    });
    Ok(())
}
