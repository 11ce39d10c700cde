//! `expire_certificate()`: anyone marks a Valid certificate whose validity period is over as Expired
//! (final). A valid certificate past its expiry can already no longer be transferred, split or
//! retired; this records it.
//!
//! Accounts:
//! 0. `[writable]` certificate.
//!
//! The rule is the core's `Status::expire` (Valid and `now >= expires_at`; `CertificateNotExpired`
//! before, `CertificatePending` while Pending, `CertificateRetired` / `CertificateRevoked` /
//! `CertificateExpired` once final). Emits `CertificateExpired`.

use pinocchio::{AccountView, Address, ProgramResult};
use solgrid_program_kit::{clock, discriminator, event::emit, instruction, pod::PodI64, KitError};

use crate::{certificates, errors, events::CertificateExpired};

pub const DISCRIMINATOR: u64 =
    discriminator::as_u64(discriminator::instruction("expire_certificate"));
pub const DATA_LEN: usize = discriminator::LEN;
pub const ACCOUNTS_LEN: usize = 1;

pub fn process(program_id: &Address, accounts: &mut [AccountView], args: &[u8]) -> ProgramResult {
    instruction::no_args(args)?;
    let [certificate, ..] = accounts else {
        return Err(KitError::NotEnoughAccounts.into());
    };
    let certificate_address = *certificate.address();
    let mut state = certificates::load_mut(program_id, certificate)?;
    let now = clock::unix_timestamp()?;
    let next = certificates::status(&state)?
        .expire(now, state.expires_at.get())
        .map_err(errors::certificate)?;
    state.status = next as u8;
    emit(CertificateExpired {
        certificate: certificate_address,
        owner: state.owner,
        volume_wh: state.volume_wh,
        timestamp: PodI64::new(now),
    });
    Ok(())
}
