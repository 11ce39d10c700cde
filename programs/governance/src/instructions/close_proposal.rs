//! `close_proposal()`: anyone closes a final proposal (Executed, Cancelled, Rejected, or Open past
//! its deadline, `ProposalNotFinal` otherwise); its lamports go back to the proposer, who paid them.
//!
//! Accounts:
//! 0. `[writable]` proposal.
//! 1. `[writable]` proposer: the proposal's proposer (`NotProposer`).
//!
//! Emits `ProposalClosed` (its status, and whether it closed as expired).

use pinocchio::{address::address_eq, AccountView, Address, ProgramResult};
use solgrid_governance_core::proposal::Status;
use solgrid_program_kit::{
    checks, clock, discriminator, event::emit, instruction, pod::PodU64, KitError,
};

use crate::{
    auth,
    errors::{self, GovernanceError},
    events::ProposalClosed,
    proposals,
};

pub const DISCRIMINATOR: u64 = discriminator::as_u64(discriminator::instruction("close_proposal"));
pub const DATA_LEN: usize = discriminator::LEN;
pub const ACCOUNTS_LEN: usize = 2;

pub fn process(program_id: &Address, accounts: &mut [AccountView], args: &[u8]) -> ProgramResult {
    instruction::no_args(args)?;
    let ([proposal, proposer], _) = auth::split::<ACCOUNTS_LEN>(accounts)?;
    checks::writable(proposal)?;
    checks::writable(proposer)?;
    let now = clock::unix_timestamp()?;
    let (id, status, expired) = {
        let state = proposals::load(program_id, proposal)?;
        if !address_eq(proposer.address(), &state.proposer) {
            return Err(GovernanceError::NotProposer.into());
        }
        let rules = proposals::state(&state)?;
        rules.can_close(now).map_err(errors::proposal)?;
        (state.id, state.status, rules.status == Status::Open)
    };
    let lamports = proposal.lamports();
    let refunded = proposer
        .lamports()
        .checked_add(lamports)
        .ok_or(KitError::ArithmeticOverflow)?;
    proposer.set_lamports(refunded);
    proposal.set_lamports(0);
    proposal.close()?;
    emit(ProposalClosed {
        proposal: *proposal.address(),
        id,
        proposer: *proposer.address(),
        status,
        expired: expired as u8,
        lamports: PodU64::new(lamports),
    });
    Ok(())
}
