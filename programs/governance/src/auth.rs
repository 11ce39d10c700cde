//! Who may do what: loading this program's Config and the registry's Config it trusts, and the
//! regulator / quorum / governance-PDA checks shared by the instructions. The regulators and the
//! threshold are always the registry's *current* ones (one source of truth).

use pinocchio::{
    account::{Ref, RefMut},
    address::address_eq,
    error::ProgramError,
    AccountView, Address,
};
use solgrid_program_kit::{account, checks, signers, KitError};

use crate::{
    errors::GovernanceError,
    state::{Config, RegistryConfig, CERTIFICATES_SEED, GOVERNANCE_SEED},
};

/// `config` is this program's Config (owner + discriminator: it exists only at its PDA) and borrows it.
#[inline(always)]
pub fn config<'a>(
    program_id: &Address,
    config: &'a AccountView,
) -> Result<Ref<'a, Config>, ProgramError> {
    checks::owned_by(config, program_id)?;
    account::borrow::<Config>(config)
}

/// As [`config`], writable and mutably borrowed.
#[inline(always)]
pub fn config_mut<'a>(
    program_id: &Address,
    config: &'a mut AccountView,
) -> Result<RefMut<'a, Config>, ProgramError> {
    checks::writable(config)?;
    checks::owned_by(config, program_id)?;
    account::borrow_mut::<Config>(config)
}

/// `registry_config` is the Config of the registry `config` trusts (owned by it, `account:Config`);
/// borrows it.
#[inline(always)]
pub fn registry_config<'a>(
    config: &Config,
    registry_config: &'a AccountView,
) -> Result<Ref<'a, RegistryConfig>, ProgramError> {
    if !registry_config.owned_by(&config.registry_program) {
        return Err(GovernanceError::InvalidRegistryConfig.into());
    }
    account::borrow::<RegistryConfig>(registry_config)
        .map_err(|_| GovernanceError::InvalidRegistryConfig.into())
}

/// `regulator` signs and is one of the registry's current regulators.
#[inline(always)]
pub fn regulator(registry: &RegistryConfig, regulator: &AccountView) -> Result<(), ProgramError> {
    checks::signer(regulator)?;
    if signers::is_member_signer(registry.regulator_set(), regulator) {
        Ok(())
    } else {
        Err(GovernanceError::NotRegulator.into())
    }
}

/// The address of this program's `["governance"]` PDA (one `sol_sha256`).
#[inline(always)]
pub fn governance_address(program_id: &Address, config: &Config) -> Result<Address, ProgramError> {
    Address::try_derive_address(&[GOVERNANCE_SEED], Some(config.governance_bump), program_id)
        .map_err(|_| GovernanceError::InvalidGovernanceAuthority.into())
}

/// The address of this program's `["certificates"]` PDA (one `sol_sha256`).
#[inline(always)]
pub fn certificates_address(
    program_id: &Address,
    config: &Config,
) -> Result<Address, ProgramError> {
    Address::try_derive_address(
        &[CERTIFICATES_SEED],
        Some(config.certificates_bump),
        program_id,
    )
    .map_err(|_| GovernanceError::InvalidCertificatesAuthority.into())
}

/// Whether the governance PDA signed among `accounts` (a CPI of an executed proposal).
#[inline(always)]
pub fn governance_signed(governance: &Address, accounts: &[AccountView]) -> bool {
    accounts
        .iter()
        .any(|a| a.is_signer() && address_eq(a.address(), governance))
}

/// A quorum acts: the governance PDA signed (an executed proposal), or at least the registry's
/// threshold of distinct current regulators signed among `cosigners` (duplicates count once).
#[inline(always)]
pub fn quorum(
    program_id: &Address,
    config: &Config,
    registry: &RegistryConfig,
    cosigners: &[AccountView],
) -> Result<(), ProgramError> {
    if governance_signed(&governance_address(program_id, config)?, cosigners) {
        return Ok(());
    }
    if registry.regulator_count == 0 {
        return Err(GovernanceError::NoRegulators.into());
    }
    if signers::distinct_signers(registry.regulator_set(), cosigners)
        >= registry.regulator_threshold as usize
    {
        Ok(())
    } else {
        Err(GovernanceError::QuorumNotMet.into())
    }
}

/// The privileged gate of this program's own quorum actions (`revoke_certificate`), as the
/// registry's: while the registry names no governance program, [`quorum`] (the governance PDA or M
/// current regulators co-signing); once it names one, only the governance PDA signing among
/// `cosigners` (an executed proposal, with its timelock and record), `NotGovernance` otherwise.
#[inline(always)]
pub fn privileged(
    program_id: &Address,
    config: &Config,
    registry: &RegistryConfig,
    cosigners: &[AccountView],
) -> Result<(), ProgramError> {
    if solgrid_governance_core::is_zero(registry.governance_program.as_ref()) {
        return quorum(program_id, config, registry, cosigners);
    }
    if governance_signed(&governance_address(program_id, config)?, cosigners) {
        Ok(())
    } else {
        Err(GovernanceError::NotGovernance.into())
    }
}

/// Splits `accounts` into the first `N` and the rest.
#[inline(always)]
pub fn split<const N: usize>(
    accounts: &mut [AccountView],
) -> Result<(&mut [AccountView; N], &mut [AccountView]), ProgramError> {
    if accounts.len() < N {
        return Err(KitError::NotEnoughAccounts.into());
    }
    let (head, rest) = accounts.split_at_mut(N);
    let head: &mut [AccountView; N] = head.try_into().map_err(|_| KitError::NotEnoughAccounts)?;
    Ok((head, rest))
}
