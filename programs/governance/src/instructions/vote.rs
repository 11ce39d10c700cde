//! The body `approve` and `reject` share.
//!
//! Accounts:
//! 0. `[signer]` regulator: a current registry regulator.
//! 1. `[]` config.
//! 2. `[]` registry_config: the registry's Config (current regulators and threshold).
//! 3. `[writable]` proposal.
//!
//! The proposal must be Open and before its deadline, and the key must not have a vote that counts
//! either way (`AlreadyVoted`). Each vote is stored with the registry's `regulators_version`; votes
//! count against the registry's current regulators: an approval by a regulator who has since been
//! removed no longer counts, nor after the regulator is appointed again (who may then vote anew,
//! over its old vote); a slot whose vote no longer counts is reused once the list is full. Emits
//! `VoteCast`.

use pinocchio::{AccountView, Address, ProgramResult};
use solgrid_program_kit::{
    checks, clock,
    event::emit,
    instruction,
    pod::{PodI64, PodU16},
    KitError,
};

use crate::{auth, errors, events::VoteCast, proposals};

pub const ACCOUNTS_LEN: usize = 4;

pub fn process(
    program_id: &Address,
    accounts: &mut [AccountView],
    args: &[u8],
    approve: bool,
) -> ProgramResult {
    instruction::no_args(args)?;
    let [regulator, config, registry_config, proposal, ..] = accounts else {
        return Err(KitError::NotEnoughAccounts.into());
    };
    checks::signer(regulator)?;
    let config = auth::config(program_id, config)?;
    let registry = auth::registry_config(&config, registry_config)?;
    let since = proposals::since(&registry);
    let regulators = proposals::regulators(&registry, &since);
    let proposal_address = *proposal.address();
    let mut state = proposals::load_mut(program_id, proposal)?;
    let now = clock::unix_timestamp()?;
    let voter = regulator.address();
    let rules = proposals::state(&state)?;
    let approval_versions = proposals::versions(&state.approval_versions);
    let rejection_versions = proposals::versions(&state.rejection_versions);
    let votes = proposals::votes(&state, &approval_versions, &rejection_versions);
    let voted = if approve {
        rules.approve(now, &votes, &regulators, voter.as_ref())
    } else {
        rules.reject(now, &votes, &regulators, voter.as_ref())
    }
    .map_err(errors::proposal)?;
    let slot = voted.slot as usize;
    if approve {
        state.approvals[slot] = *voter;
        state.approval_versions[slot] = PodU16::new(voted.version);
        state.approval_count = voted.len;
    } else {
        state.rejections[slot] = *voter;
        state.rejection_versions[slot] = PodU16::new(voted.version);
        state.rejection_count = voted.len;
    }
    state.quorum_at = PodI64::new(voted.quorum_at);
    state.status = voted.status as u8;
    emit(VoteCast {
        proposal: proposal_address,
        id: state.id,
        regulator: *voter,
        approve: approve as u8,
        approvals: voted.approvals,
        rejections: voted.rejections,
        threshold: regulators.threshold,
        quorum_at: PodI64::new(voted.quorum_at),
        status: voted.status as u8,
        timestamp: PodI64::new(now),
    });
    Ok(())
}
