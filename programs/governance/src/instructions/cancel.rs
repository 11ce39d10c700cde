//! `cancel()`: cancels an open, unexpired proposal.
//!
//! Accounts:
//! 0. `[signer]` authority: the proposer while still a current regulator (`NotRegulator` once
//!    removed), the governance PDA (a cancel executed through another
//!    proposal) or, only while the registry names no governance program, a current regulator.
//! 1. `[]` config.
//! 2. `[]` registry_config: the registry's Config (current regulators, threshold, governance).
//! 3. `[writable]` proposal.
//! 4. and after: `[signer]` cosigners: when the authority is neither the proposer nor the governance
//!    PDA, the authority and these must be at least the registry's threshold of distinct current
//!    regulators (`CancelNotAllowed` otherwise). As the registry's privileged gate, co-signing
//!    regulators act only until the registry names a governance program: from then on only the
//!    proposer or the governance PDA cancels (`NotGovernance`).
//!
//! Emits `ProposalCancelled`.

use pinocchio::{address::address_eq, AccountView, Address, ProgramResult};
use solgrid_governance_core::proposal::{Canceller, Status};
use solgrid_program_kit::{checks, clock, discriminator, event::emit, instruction, pod::PodI64};

use crate::{auth, errors, events::ProposalCancelled, proposals};

pub const DISCRIMINATOR: u64 = discriminator::as_u64(discriminator::instruction("cancel"));
pub const DATA_LEN: usize = discriminator::LEN;
pub const ACCOUNTS_LEN: usize = 4;

pub fn process(program_id: &Address, accounts: &mut [AccountView], args: &[u8]) -> ProgramResult {
    instruction::no_args(args)?;
    let ([authority, config, registry_config, proposal], cosigners) =
        auth::split::<ACCOUNTS_LEN>(accounts)?;
    checks::signer(authority)?;
    let config = auth::config(program_id, config)?;
    let registry = auth::registry_config(&config, registry_config)?;
    let regulators = proposals::regulators(&registry, &[]);
    let governance_set = proposals::governance_set(&registry);
    let proposal_address = *proposal.address();
    let mut state = proposals::load_mut(program_id, proposal)?;
    let by = if address_eq(authority.address(), &state.proposer) {
        Canceller::Proposer(state.proposer.to_bytes())
    } else if address_eq(
        authority.address(),
        &auth::governance_address(program_id, &config)?,
    ) {
        Canceller::Governance
    } else if governance_set {
        // Refused below whoever co-signs: no need to count them.
        Canceller::Regulators(0)
    } else {
        Canceller::Regulators(signed_regulators(
            registry.regulator_set(),
            authority,
            cosigners,
        ))
    };
    let now = clock::unix_timestamp()?;
    proposals::state(&state)?
        .can_cancel(now, by, &regulators, governance_set)
        .map_err(errors::proposal)?;
    state.status = Status::Cancelled as u8;
    emit(ProposalCancelled {
        proposal: proposal_address,
        id: state.id,
        cancelled_by: *authority.address(),
        timestamp: PodI64::new(now),
    });
    Ok(())
}

/// Distinct members of `regulators` that signed as the authority or among the cosigners.
fn signed_regulators(
    regulators: &[Address],
    authority: &AccountView,
    cosigners: &[AccountView],
) -> u8 {
    regulators
        .iter()
        .filter(|member| {
            core::iter::once(authority)
                .chain(cosigners.iter())
                .any(|account| account.is_signer() && address_eq(account.address(), member))
        })
        .count() as u8
}
