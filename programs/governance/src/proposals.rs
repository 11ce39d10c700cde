//! What the proposal instructions share: loading a Proposal, and handing its fields and the
//! registry's current regulators to `solgrid_governance_core::proposal`, whose rules decide.

use pinocchio::{
    account::{Ref, RefMut},
    address::address_eq,
    error::ProgramError,
    AccountView, Address,
};
use solgrid_governance_core::proposal::{ProposalState, Regulators, Status, VoteList, Votes};
use solgrid_program_kit::{account, checks, pod::PodU16};

use crate::{
    errors,
    state::{Proposal, RegistryConfig, MAX_REGULATORS},
};

/// `proposal` is one of this program's Proposals (owner + discriminator: Proposals exist only at
/// their PDA); borrows it.
#[inline(always)]
pub fn load<'a>(
    program_id: &Address,
    proposal: &'a AccountView,
) -> Result<Ref<'a, Proposal>, ProgramError> {
    checks::owned_by(proposal, program_id)?;
    account::borrow::<Proposal>(proposal)
}

/// As [`load`], writable and mutably borrowed.
#[inline(always)]
pub fn load_mut<'a>(
    program_id: &Address,
    proposal: &'a mut AccountView,
) -> Result<RefMut<'a, Proposal>, ProgramError> {
    checks::writable(proposal)?;
    checks::owned_by(proposal, program_id)?;
    account::borrow_mut::<Proposal>(proposal)
}

/// The fields of `proposal` the rules read.
#[inline(always)]
pub fn state(proposal: &Proposal) -> Result<ProposalState, ProgramError> {
    Ok(ProposalState {
        status: Status::try_from(proposal.status).map_err(errors::proposal)?,
        expires_at: proposal.expires_at.get(),
        timelock_secs: proposal.timelock_secs.get(),
        quorum_at: proposal.quorum_at.get(),
    })
}

/// Stored `u16` versions as the rules read them.
#[inline(always)]
pub fn versions(stored: &[PodU16; MAX_REGULATORS]) -> [u16; MAX_REGULATORS] {
    core::array::from_fn(|i| stored[i].get())
}

/// The approvals `proposal` records, with `versions` (from [`versions`] of its
/// `approval_versions`).
#[inline(always)]
pub fn approvals<'a>(proposal: &'a Proposal, versions: &'a [u16]) -> VoteList<'a, Address> {
    VoteList {
        keys: proposal.approval_set(),
        versions,
    }
}

/// The votes `proposal` records (`approval_versions` and `rejection_versions` as [`versions`]).
#[inline(always)]
pub fn votes<'a>(
    proposal: &'a Proposal,
    approval_versions: &'a [u16],
    rejection_versions: &'a [u16],
) -> Votes<'a, Address> {
    Votes {
        approvals: approvals(proposal, approval_versions),
        rejections: VoteList {
            keys: proposal.rejection_set(),
            versions: rejection_versions,
        },
    }
}

/// The registry's `regulator_since` as the rules read it.
#[inline(always)]
pub fn since(registry: &RegistryConfig) -> [u16; MAX_REGULATORS] {
    versions(&registry.regulator_since)
}

/// The registry's current regulators, their appointment versions (`since`, from [`since`]), the
/// current version and the threshold.
#[inline(always)]
pub fn regulators<'a>(registry: &'a RegistryConfig, since: &'a [u16]) -> Regulators<'a, Address> {
    Regulators {
        set: registry.regulator_set(),
        since,
        version: registry.regulators_version.get(),
        threshold: registry.regulator_threshold,
    }
}

/// Whether the registry names a governance program (its privileged actions then take only that
/// program's governance PDA, and co-signing regulators no longer act).
#[inline(always)]
pub fn governance_set(registry: &RegistryConfig) -> bool {
    !address_eq(
        &registry.governance_program,
        &Address::new_from_array([0; 32]),
    )
}
