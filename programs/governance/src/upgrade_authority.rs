//! Proposals for the upgradeable BPF loader: the upgrade authority of SolGrid's four programs under
//! governance. `solgrid_governance_core::upgrade` holds the rule (`Upgrade`, `SetAuthority`,
//! `SetAuthorityChecked` only; which account is the ProgramData, the authority, the new authority);
//! this module gives it the governance PDA, the four programs (the three configured targets and this
//! program) and the derivation of a program's ProgramData (`["<program>"]` under the loader: one
//! `sol_try_find_program_address` per program tried, in that order, until one matches).
//!
//! `propose` calls [`check_proposal`] when the target is the loader; `execute` then accepts the
//! loader as a target (the stored accounts are matched one by one there, and only `propose` writes
//! them). Executed, the loader instruction runs by CPI with the governance PDA signing as the
//! current upgrade authority; the loader program account is `execute`'s `target_program`.
//!
//! An `Upgrade`'s buffer is pinned: `propose` reads it (a loader Buffer whose authority is already the
//! governance PDA) and stores the length and SHA-256 of its program bytes in the proposal's data area
//! right after the instruction's 4 bytes ([`PIN_OFFSET`]; never part of the instruction the CPI
//! carries); `execute` hashes the buffer again and refuses one that differs (`BufferChanged`). Each
//! hash is one `sol_sha256` over the whole program (about 1 CU per 2 bytes: ~88k CU for a 175 KB
//! ELF), paid twice per upgrade.

use pinocchio::{address::address_eq, error::ProgramError, AccountView, Address};
use solgrid_governance_core::upgrade::{
    buffer_program, check_buffer_unchanged, check_loader_proposal, BufferPin, LoaderInstruction,
    ProposedAccount, UpgradeError, LOADER_V3,
};
use solgrid_program_kit::sha256;

use crate::{
    auth,
    errors::GovernanceError,
    state::{Config, ProposalAccount, META_SIGNER, META_WRITABLE},
};

/// `BPFLoaderUpgradeab1e11111111111111111111111`.
pub const LOADER: Address = Address::new_from_array(LOADER_V3);

impl ProposedAccount for ProposalAccount {
    #[inline(always)]
    fn address(&self) -> &[u8] {
        self.address.as_ref()
    }

    #[inline(always)]
    fn flags(&self) -> u8 {
        self.flags
    }
}

/// Whether a proposal targets the upgradeable loader.
#[inline(always)]
pub fn is_loader(target: &Address) -> bool {
    pinocchio::address::address_eq(target, &LOADER)
}

/// SolGrid's four programs: the proposal targets `config` trusts, and this program.
#[inline(always)]
pub fn solgrid_programs(program_id: &Address, config: &Config) -> [Address; 4] {
    [
        config.registry_program,
        config.trading_program,
        config.energy_token_program,
        *program_id,
    ]
}

/// Where an `Upgrade` proposal keeps its [`BufferPin`] in `Proposal.data`: after the 4 bytes of the
/// instruction (`data_len` stays 4; the CPI carries only those).
pub const PIN_OFFSET: usize = 4;

/// A loader proposal's instruction is `Upgrade`, `SetAuthority` or `SetAuthorityChecked` of the
/// ProgramData of one of SolGrid's programs, with the governance PDA as the signing authority. For
/// `Upgrade`, `buffer` (the account after `propose`'s own) must be the proposed buffer, a loader
/// Buffer whose authority is the governance PDA; the returned pin is stored with the proposal.
pub fn check_proposal(
    program_id: &Address,
    config: &Config,
    accounts: &[ProposalAccount],
    data: &[u8],
    buffer: Option<&AccountView>,
) -> Result<Option<BufferPin>, ProgramError> {
    if accounts
        .iter()
        .any(|meta| meta.flags & !(META_WRITABLE | META_SIGNER) != 0)
    {
        return Err(GovernanceError::InvalidAccountFlags.into());
    }
    let governance = auth::governance_address(program_id, config)?;
    let instruction = check_loader_proposal(
        data,
        accounts,
        governance.as_ref(),
        &solgrid_programs(program_id, config),
        |program| {
            let program = Address::new_from_array(<[u8; 32]>::try_from(program).ok()?);
            Address::try_find_program_address(&[program.as_ref()], &LOADER)
                .map(|(address, _)| address.to_bytes())
        },
    )
    .map_err(error)?;
    let Some(index) = instruction.buffer_index() else {
        return Ok(None);
    };
    let buffer = buffer.ok_or(GovernanceError::InvalidUpgradeBuffer)?;
    if !address_eq(buffer.address(), &accounts[index].address) {
        return Err(GovernanceError::AccountMismatch.into());
    }
    let data = buffer.try_borrow()?;
    let program =
        buffer_program(buffer.owner().as_ref(), &data, governance.as_ref()).map_err(error)?;
    BufferPin::of(program, |bytes| sha256::hashv(&[bytes]))
        .map(Some)
        .map_err(error)
}

/// `execute`'s check of a loader proposal: for `Upgrade`, its buffer (`accounts[2]`, already matched
/// to the stored address) still holds the program bytes pinned at `propose` (`stored_data` is the
/// proposal's whole data area). Other loader instructions pass.
pub fn check_execution(
    governance: &Address,
    stored_data: &[u8],
    data_len: usize,
    accounts: &[AccountView],
) -> Result<(), ProgramError> {
    let instruction = LoaderInstruction::parse(&stored_data[..data_len]).map_err(error)?;
    let Some(index) = instruction.buffer_index() else {
        return Ok(());
    };
    let pinned = stored_data
        .get(PIN_OFFSET..)
        .and_then(BufferPin::from_bytes)
        .ok_or(GovernanceError::BufferChanged)?;
    let buffer = accounts
        .get(index)
        .ok_or(GovernanceError::InvalidUpgradeBuffer)?;
    let data = buffer.try_borrow()?;
    check_buffer_unchanged(
        &pinned,
        buffer.owner().as_ref(),
        &data,
        governance.as_ref(),
        |bytes| sha256::hashv(&[bytes]),
    )
    .map_err(error)
}

/// The code of a loader rule's refusal.
#[inline(always)]
pub fn error(error: UpgradeError) -> ProgramError {
    match error {
        UpgradeError::InstructionNotAllowed => GovernanceError::LoaderInstructionNotAllowed,
        UpgradeError::InvalidAccounts => GovernanceError::InvalidLoaderAccounts,
        UpgradeError::NotSolGridProgramData => GovernanceError::NotSolGridProgramData,
        UpgradeError::AuthorityNotGovernance => GovernanceError::LoaderAuthorityNotGovernance,
        UpgradeError::UnexpectedSigner => GovernanceError::SignerNotGovernance,
        UpgradeError::InvalidBuffer => GovernanceError::InvalidUpgradeBuffer,
        UpgradeError::BufferAuthorityNotGovernance => GovernanceError::BufferAuthorityNotGovernance,
        UpgradeError::BufferChanged => GovernanceError::BufferChanged,
    }
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loader_address() {
        assert_eq!(
            LOADER,
            Address::from_str_const("BPFLoaderUpgradeab1e11111111111111111111111")
        );
        assert!(is_loader(&LOADER));
        assert!(!is_loader(&crate::ID));
    }

    #[test]
    fn errors_map_to_named_codes() {
        assert_eq!(
            error(UpgradeError::NotSolGridProgramData),
            GovernanceError::NotSolGridProgramData.into()
        );
        assert_eq!(
            error(UpgradeError::UnexpectedSigner),
            GovernanceError::SignerNotGovernance.into()
        );
    }
}
