//! Who may do what: loading the Config and the authority / regulator / threshold checks shared by
//! the instructions (ISSUE3 decision 3).

use pinocchio::{
    account::{Ref, RefMut},
    address::address_eq,
    error::ProgramError,
    AccountView, Address,
};
use solgrid_program_kit::{account, checks, signers, KitError};

use crate::{
    errors::RegistryError,
    state::{Config, CONFIG_SEED},
};

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

/// Privileged actions: at least `regulator_threshold` distinct configured regulators signed among
/// `cosigners` (duplicates count once).
#[inline(always)]
pub fn threshold(config: &Config, cosigners: &[AccountView]) -> Result<(), ProgramError> {
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
