//! `record_quorum()`: anyone records the quorum of an open proposal whose approvals that count reach
//! the registry's current threshold although no approval recorded it: the regulator set or the
//! threshold changed after the approvals (e.g. the threshold was lowered when every current
//! regulator had voted already, so no further approval can come). Sets `quorum_at = now`; the
//! timelock runs from there (`execute` refuses with `QuorumNotRecorded` until then).
//!
//! Accounts:
//! 0. `[]` config.
//! 1. `[]` registry_config: the registry's Config (current regulators and threshold).
//! 2. `[writable]` proposal.
//!
//! Refused when the proposal is not open (`AlreadyExecuted`, `ProposalCancelled`,
//! `ProposalRejected`, `ProposalExpired`), without a quorum (`QuorumNotMet`) or with a quorum time
//! recorded already (`QuorumAlreadyRecorded`). Emits `QuorumRecorded`.

use pinocchio::{AccountView, Address, ProgramResult};
use solgrid_program_kit::{clock, discriminator, event::emit, instruction, pod::PodI64, KitError};

use crate::{auth, errors, events::QuorumRecorded, proposals};

pub const DISCRIMINATOR: u64 = discriminator::as_u64(discriminator::instruction("record_quorum"));
pub const DATA_LEN: usize = discriminator::LEN;
pub const ACCOUNTS_LEN: usize = 3;

pub fn process(program_id: &Address, accounts: &mut [AccountView], args: &[u8]) -> ProgramResult {
    instruction::no_args(args)?;
    let [config, registry_config, proposal, ..] = accounts else {
        return Err(KitError::NotEnoughAccounts.into());
    };
    let config = auth::config(program_id, config)?;
    let registry = auth::registry_config(&config, registry_config)?;
    let since = proposals::since(&registry);
    let regulators = proposals::regulators(&registry, &since);
    let proposal_address = *proposal.address();
    let mut state = proposals::load_mut(program_id, proposal)?;
    let now = clock::unix_timestamp()?;
    let versions = proposals::versions(&state.approval_versions);
    let approvals = proposals::approvals(&state, &versions);
    let quorum_at = proposals::state(&state)?
        .record_quorum(now, &approvals, &regulators)
        .map_err(errors::proposal)?;
    let count = regulators.count(&approvals);
    state.quorum_at = PodI64::new(quorum_at);
    emit(QuorumRecorded {
        proposal: proposal_address,
        id: state.id,
        approvals: count,
        threshold: regulators.threshold,
        quorum_at: PodI64::new(quorum_at),
    });
    Ok(())
}
