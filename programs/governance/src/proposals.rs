//! What the proposal instructions share: loading a Proposal, and handing its fields and the
//! registry's current regulators to `solgrid_governance_core::proposal`, whose rules decide.

use pinocchio::{
    account::{Ref, RefMut},
    error::ProgramError,
    AccountView, Address,
};
use solgrid_governance_core::proposal::{ProposalState, Regulators, Status, Votes};
use solgrid_program_kit::{account, checks};

use crate::{
    errors,
    state::{Proposal, RegistryConfig},
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

/// The votes `proposal` records.
#[inline(always)]
pub fn votes(proposal: &Proposal) -> Votes<'_, Address> {
    Votes {
        approvals: proposal.approval_set(),
        rejections: proposal.rejection_set(),
    }
}

/// The registry's current regulators and threshold.
#[inline(always)]
pub fn regulators(registry: &RegistryConfig) -> Regulators<'_, Address> {
    Regulators {
        set: registry.regulator_set(),
        threshold: registry.regulator_threshold,
    }
}
