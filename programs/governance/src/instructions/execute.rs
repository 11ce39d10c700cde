//! `execute()`: anyone executes a proposal whose approvals by current regulators reach the
//! registry's current threshold (votes that count: see `vote`), once its timelock has passed since
//! the recorded quorum (`QuorumNotRecorded` while none is: `record_quorum`) and before its
//! deadline. The proposal is marked Executed *before* its instruction is invoked (a proposal executes
//! once, whatever the instruction does), then the instruction runs by CPI with the governance PDA
//! signing; if it fails, the whole transaction fails and the proposal stays Open.
//!
//! Accounts:
//! 0. `[writable]` proposal.
//! 1. `[]` config.
//! 2. `[]` registry_config: the registry's Config (current regulators and threshold).
//! 3. `[]` governance: this program's `["governance"]` PDA (`InvalidGovernanceAuthority`).
//! 4. `[]` target_program: the proposal's target (`TargetMismatch`), one of SolGrid's programs, or
//!    the upgradeable loader (a proposal `propose` checked to govern one of their upgrade
//!    authorities).
//! 5. and after: the proposal's accounts, in the stored order (`AccountMismatch`), writable where
//!    the proposal says so (the runtime refuses the CPI otherwise).
//!
//! A loader `Upgrade` executes only while its buffer holds the program bytes pinned at `propose`
//! (`BufferChanged`; one `sol_sha256` over the buffer: see `upgrade_authority`).
//!
//! Emits `ProposalExecuted` after the CPI returns.

use pinocchio::{
    address::address_eq,
    cpi::{invoke_signed_with_bounds, Seed, Signer},
    instruction::{InstructionAccount, InstructionView},
    AccountView, Address, ProgramResult,
};
use solgrid_governance_core::proposal::{check_target, Status};
use solgrid_program_kit::{clock, discriminator, event::emit, instruction, pod::PodI64, KitError};

use crate::{
    auth,
    errors::{self, GovernanceError},
    events::ProposalExecuted,
    proposals,
    state::{GOVERNANCE_SEED, MAX_PROPOSAL_ACCOUNTS, META_SIGNER, META_WRITABLE},
    upgrade_authority,
};

pub const DISCRIMINATOR: u64 = discriminator::as_u64(discriminator::instruction("execute"));
pub const DATA_LEN: usize = discriminator::LEN;
pub const ACCOUNTS_LEN: usize = 5;
/// The fixed accounts and a proposal's most accounts.
pub const MAX_ACCOUNTS: usize = ACCOUNTS_LEN + MAX_PROPOSAL_ACCOUNTS;

pub fn process(program_id: &Address, accounts: &mut [AccountView], args: &[u8]) -> ProgramResult {
    instruction::no_args(args)?;
    let ([proposal, config, registry_config, governance, target], remaining) =
        auth::split::<ACCOUNTS_LEN>(accounts)?;
    let config = auth::config(program_id, config)?;
    let governance_bump = config.governance_bump;
    if !address_eq(
        governance.address(),
        &auth::governance_address(program_id, &config)?,
    ) {
        return Err(GovernanceError::InvalidGovernanceAuthority.into());
    }
    let now = clock::unix_timestamp()?;
    let proposal_address = *proposal.address();
    let mut flags = [0u8; MAX_PROPOSAL_ACCOUNTS];
    let (id, approvals, count, data_len) = {
        let registry = auth::registry_config(&config, registry_config)?;
        let since = proposals::since(&registry);
        let regulators = proposals::regulators(&registry, &since);
        let mut state = proposals::load_mut(program_id, proposal)?;
        let versions = proposals::versions(&state.approval_versions);
        let approvals = proposals::state(&state)?
            .can_execute(now, &proposals::approvals(&state, &versions), &regulators)
            .map_err(errors::proposal)?;
        check_target(
            state.target_program.as_ref(),
            &[
                config.registry_program,
                config.trading_program,
                config.energy_token_program,
                *program_id,
                upgrade_authority::LOADER,
            ],
        )
        .map_err(errors::proposal)?;
        if !address_eq(target.address(), &state.target_program) {
            return Err(GovernanceError::TargetMismatch.into());
        }
        let metas = state.account_metas();
        if remaining.len() < metas.len() {
            return Err(KitError::NotEnoughAccounts.into());
        }
        for ((meta, account), flag) in metas.iter().zip(remaining.iter()).zip(flags.iter_mut()) {
            if !address_eq(account.address(), &meta.address) {
                return Err(GovernanceError::AccountMismatch.into());
            }
            *flag = meta.flags;
        }
        let count = metas.len();
        let data_len = state.instruction_data().len();
        if upgrade_authority::is_loader(&state.target_program) {
            upgrade_authority::check_execution(
                governance.address(),
                &state.data,
                data_len,
                remaining,
            )?;
        }
        state.status = Status::Executed as u8;
        state.executed_at = PodI64::new(now);
        (state.id, approvals, count, data_len)
    };
    drop(config);

    let metas: [InstructionAccount; MAX_PROPOSAL_ACCOUNTS] = core::array::from_fn(|i| {
        let flag = flags[i];
        let address = remaining.get(i).map_or(target.address(), |a| a.address());
        InstructionAccount::new(address, flag & META_WRITABLE != 0, flag & META_SIGNER != 0)
    });
    // SAFETY: no borrow of the proposal is held from here on, and the runtime copies the instruction
    // data before the callee runs, so the slice may point into the proposal's data even if the
    // proposal is one of the instruction's accounts.
    let data = unsafe {
        let bytes = proposal.borrow_unchecked();
        let offset = core::mem::offset_of!(crate::state::Proposal, data) + discriminator::LEN;
        &bytes[offset..offset + data_len]
    };
    let instruction = InstructionView {
        program_id: target.address(),
        data,
        accounts: &metas[..count],
    };
    let bump = [governance_bump];
    let seeds = [Seed::from(GOVERNANCE_SEED), Seed::from(&bump)];
    invoke_signed_with_bounds::<MAX_PROPOSAL_ACCOUNTS, AccountView>(
        &instruction,
        &remaining[..count],
        &[Signer::from(&seeds)],
    )?;
    emit(ProposalExecuted {
        proposal: proposal_address,
        id,
        target_program: *target.address(),
        approvals,
        executed_at: PodI64::new(now),
    });
    Ok(())
}
