//! Who may do what: loading the Config and the authority / regulator / privileged checks shared by
//! the instructions (ISSUE3 decision 3; issue 14 for governance).
//!
//! Privileged actions are co-signed by M distinct regulators until a governance program is set
//! (`set_governance`); from then on only that program's `["governance"]` PDA performs them (it signs
//! the CPI of an executed proposal), and co-signing regulators no longer suffice.

use pinocchio::{
    account::{Ref, RefMut},
    address::address_eq,
    error::ProgramError,
    AccountView, Address,
};
use solgrid_program_kit::{account, checks, signers, KitError};

use crate::{
    errors::RegistryError,
    state::{Config, CERTIFICATES_SEED, CONFIG_SEED, GOVERNANCE_SEED},
};

const ZERO: Address = Address::new_from_array([0; 32]);

/// Whether a governance program is set (privileged actions then need its `["governance"]` PDA).
#[inline(always)]
pub fn governance_set(config: &Config) -> bool {
    !address_eq(&config.governance_program, &ZERO)
}

/// `create_program_address([seed, [bump]], config.governance_program)` without the off-curve check
/// (one `sol_sha256`): the bumps were checked canonical by `set_governance`. `None` when no
/// governance is set.
#[inline(always)]
fn governance_pda(config: &Config, seed: &[u8], bump: u8) -> Option<Address> {
    if !governance_set(config) {
        return None;
    }
    Address::try_derive_address(&[seed], Some(bump), &config.governance_program).ok()
}

/// The governance program's `["governance"]` PDA, when governance is set.
#[inline(always)]
pub fn governance_authority(config: &Config) -> Option<Address> {
    governance_pda(config, GOVERNANCE_SEED, config.governance_bump)
}

/// The governance program's `["certificates"]` PDA, when governance is set.
#[inline(always)]
pub fn certificates_authority(config: &Config) -> Option<Address> {
    governance_pda(config, CERTIFICATES_SEED, config.certificates_bump)
}

/// Whether `account` signed and is the governance PDA (false while no governance is set).
#[inline(always)]
pub fn is_governance_signer(config: &Config, account: &AccountView) -> bool {
    account.is_signer()
        && governance_authority(config).is_some_and(|pda| address_eq(account.address(), &pda))
}

/// The governance PDA signed, among `cosigners` (`NotGovernance` otherwise).
#[inline(always)]
pub fn governance_among(config: &Config, cosigners: &[AccountView]) -> Result<(), ProgramError> {
    if cosigners.iter().any(|a| is_governance_signer(config, a)) {
        Ok(())
    } else {
        Err(RegistryError::NotGovernance.into())
    }
}

/// Checks that `config` is this program's Config at its PDA (stored bump) and borrows it.
#[inline(always)]
pub fn config<'a>(
    program_id: &Address,
    config: &'a AccountView,
) -> Result<Ref<'a, Config>, ProgramError> {
    checks::owned_by(config, program_id)?;
    let loaded = account::borrow::<Config>(config)?;
    checks::pda(config, &[CONFIG_SEED], loaded.bump, program_id)?;
    Ok(loaded)
}

/// As [`config`], writable and mutably borrowed.
#[inline(always)]
pub fn config_mut<'a>(
    program_id: &Address,
    config: &'a mut AccountView,
) -> Result<RefMut<'a, Config>, ProgramError> {
    checks::writable(config)?;
    checks::owned_by(config, program_id)?;
    let bump = account::borrow::<Config>(config)?.bump;
    checks::pda(config, &[CONFIG_SEED], bump, program_id)?;
    account::borrow_mut::<Config>(config)
}

/// Routine regulator actions: `regulator` signs and is a configured regulator.
#[inline(always)]
pub fn regulator(config: &Config, regulator: &AccountView) -> Result<(), ProgramError> {
    checks::signer(regulator)?;
    if signers::is_member_signer(config.regulator_set(), regulator) {
        Ok(())
    } else {
        Err(RegistryError::NotRegulator.into())
    }
}

/// An emergency pause: one configured regulator signs, or the governance PDA (a pause executed as a
/// proposal).
#[inline(always)]
pub fn regulator_or_governance(config: &Config, signer: &AccountView) -> Result<(), ProgramError> {
    checks::signer(signer)?;
    if signers::is_member_signer(config.regulator_set(), signer)
        || is_governance_signer(config, signer)
    {
        Ok(())
    } else {
        Err(RegistryError::NotRegulator.into())
    }
}

/// The privileged gate. Without governance: at least `regulator_threshold` distinct configured
/// regulators signed among `cosigners` (duplicates count once). With governance: the governance PDA
/// signed among `cosigners` (`NotGovernance`); regulators' signatures no longer count.
#[inline(always)]
pub fn threshold(config: &Config, cosigners: &[AccountView]) -> Result<(), ProgramError> {
    if governance_set(config) {
        return governance_among(config, cosigners);
    }
    regulator_quorum(config, cosigners)
}

/// M of N: at least `regulator_threshold` distinct configured regulators signed among `cosigners`.
#[inline(always)]
fn regulator_quorum(config: &Config, cosigners: &[AccountView]) -> Result<(), ProgramError> {
    if config.regulator_count == 0 {
        return Err(RegistryError::NoRegulators.into());
    }
    if signers::distinct_signers(config.regulator_set(), cosigners)
        >= config.regulator_threshold as usize
    {
        Ok(())
    } else {
        Err(RegistryError::RegulatorThresholdNotMet.into())
    }
}

/// The config authority signed, among `cosigners`.
#[inline(always)]
pub fn authority_among(config: &Config, cosigners: &[AccountView]) -> Result<(), ProgramError> {
    if cosigners
        .iter()
        .any(|a| a.is_signer() && address_eq(a.address(), &config.authority))
    {
        Ok(())
    } else {
        Err(RegistryError::NotAuthority.into())
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
