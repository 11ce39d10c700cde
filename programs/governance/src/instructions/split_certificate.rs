//! `split_certificate(volume_wh: u64, new_owner: Pubkey, bump: u8)`: the owner moves part of a Valid,
//! unexpired certificate to a child certificate of `new_owner`; the parent keeps the rest.
//!
//! Accounts:
//! 0. `[signer, writable]` owner: the certificate's owner (`NotCertificateOwner`); funds the child.
//! 1. `[writable]` certificate: the parent.
//! 2. `[writable]` child: PDA `["certificate", certificate, split_index as u16 LE]` with `bump`,
//!    the canonical one (`InvalidPda` otherwise), created here; split_index = the parent's `split_count` before the split.
//! 3. `[]` system_program.
//! 4. `[]` original: the certificate's `original` (`WrongOriginal` otherwise): the certificate itself
//!    when it was requested (nothing more is read), else the requested certificate it was split from,
//!    which must be neither Revoked nor have its lineage revoked (`OriginalRevoked`: revoking an
//!    original, whatever its status, reaches every certificate split
//!    from it).
//!
//! The child keeps the parent's header (meter, zone, source, generation interval, request, issuer,
//! issuance and expiry) and its `original`, records the parent as `parent`, and gets `volume_wh` and
//! its share of the CO2; the parent keeps the rest of both (the core's `split_volumes`: 0 <
//! volume_wh < the parent's volume, `InvalidSplitVolume`; both sums unchanged). The parent's
//! `split_count` goes up by one (`TooManySplits` past u16). The new owner must not be all zeroes
//! (`InvalidNewOwner`). Emits `CertificateSplit`.

use core::mem::size_of;
use pinocchio::{cpi::Seed, AccountView, Address, ProgramResult};
use solgrid_governance_core::{
    certificate::{next_split, split_volumes},
    is_zero,
};
use solgrid_program_kit::{
    account::{self, AccountLayout},
    checks, clock, create, discriminator,
    event::emit,
    impl_pod, instruction,
    pod::{PodU16, PodU64},
    rent::Rent,
    KitError,
};

use crate::{
    certificates::{self, status},
    errors::{self, GovernanceError},
    events::CertificateSplit,
    state::{Certificate, CERTIFICATE_SEED},
};

pub const DISCRIMINATOR: u64 =
    discriminator::as_u64(discriminator::instruction("split_certificate"));
pub const DATA_LEN: usize = discriminator::LEN + size_of::<SplitCertificateArgs>();
pub const ACCOUNTS_LEN: usize = 5;

#[repr(C)]
pub struct SplitCertificateArgs {
    pub volume_wh: PodU64,
    pub new_owner: Address,
    pub bump: u8,
}

impl_pod!(SplitCertificateArgs {
    volume_wh: PodU64,
    new_owner: Address,
    bump: u8,
});

pub fn process(program_id: &Address, accounts: &mut [AccountView], args: &[u8]) -> ProgramResult {
    let args: &SplitCertificateArgs = instruction::args(args)?;
    if is_zero(args.new_owner.as_ref()) {
        return Err(GovernanceError::InvalidNewOwner.into());
    }
    let [owner, certificate, child, system_program, original, ..] = accounts else {
        return Err(KitError::NotEnoughAccounts.into());
    };
    checks::payer(owner)?;
    let parent_address = *certificate.address();
    let part = args.volume_wh.get();
    let (index, parent_volume, parent_co2, child_co2) = {
        let mut parent = certificates::load_owned(program_id, owner, certificate)?;
        let now = clock::unix_timestamp()?;
        status(&parent)?
            .split(now, parent.expires_at.get())
            .map_err(errors::certificate)?;
        certificates::check_original(program_id, &parent_address, &parent.original, original)?;
        let (parent_volume, parent_co2, child_co2) =
            split_volumes(parent.volume_wh.get(), parent.co2_avoided_g.get(), part)
                .map_err(errors::certificate)?;
        let index = parent.split_count.get();
        parent
            .split_count
            .set(next_split(index).map_err(errors::certificate)?);
        parent.volume_wh.set(parent_volume);
        parent.co2_avoided_g.set(parent_co2);
        (index, parent_volume, parent_co2, child_co2)
    };

    checks::writable(child)?;
    checks::system_program(system_program)?;
    let index_seed = index.to_le_bytes();
    checks::canonical_bump(
        child,
        &[CERTIFICATE_SEED, parent_address.as_ref(), &index_seed],
        args.bump,
        program_id,
    )?;
    checks::uninitialized(child)?;
    let bump_seed = [args.bump];
    let seeds = [
        Seed::from(CERTIFICATE_SEED),
        Seed::from(parent_address.as_ref()),
        Seed::from(&index_seed),
        Seed::from(&bump_seed),
    ];
    create::create_pda_account(
        owner,
        child,
        Certificate::LEN,
        program_id,
        &seeds,
        &Rent::get()?,
    )?;
    let child_address = *child.address();
    {
        let parent = account::borrow::<Certificate>(certificate)?;
        let mut state = account::borrow_init::<Certificate>(child)?;
        state.meter = parent.meter;
        state.zone_id = parent.zone_id;
        state.source = parent.source;
        state.status = parent.status;
        state.generation_start = parent.generation_start;
        state.generation_end = parent.generation_end;
        state.volume_wh = PodU64::new(part);
        state.requested_at = parent.requested_at;
        state.issued_at = parent.issued_at;
        state.issuer = parent.issuer;
        state.expires_at = parent.expires_at;
        state.owner = args.new_owner;
        state.co2_avoided_g = PodU64::new(child_co2);
        state.parent = parent_address;
        state.original = parent.original;
        state.split_count = PodU16::new(0);
        state.bump = args.bump;
    }
    emit(CertificateSplit {
        parent: parent_address,
        child: child_address,
        split_index: PodU16::new(index),
        owner: *owner.address(),
        new_owner: args.new_owner,
        volume_wh: PodU64::new(part),
        co2_avoided_g: PodU64::new(child_co2),
        parent_volume_wh: PodU64::new(parent_volume),
        parent_co2_avoided_g: PodU64::new(parent_co2),
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn args_are_the_borsh_layout() {
        assert_eq!(DATA_LEN, 8 + 8 + 32 + 1);
    }
}
