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

use pinocchio::{error::ProgramError, Address, ProgramResult};
use solgrid_governance_core::upgrade::{
    check_loader_proposal, ProposedAccount, UpgradeError, LOADER_V3,
};

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

/// A loader proposal's instruction is `Upgrade`, `SetAuthority` or `SetAuthorityChecked` of the
/// ProgramData of one of SolGrid's programs, with the governance PDA as the signing authority.
pub fn check_proposal(
    program_id: &Address,
    config: &Config,
    accounts: &[ProposalAccount],
    data: &[u8],
) -> ProgramResult {
    if accounts
        .iter()
        .any(|meta| meta.flags & !(META_WRITABLE | META_SIGNER) != 0)
    {
        return Err(GovernanceError::InvalidAccountFlags.into());
    }
    let governance = auth::governance_address(program_id, config)?;
    check_loader_proposal(
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
    Ok(())
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
