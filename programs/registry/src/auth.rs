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

#[cfg(test)]
mod tests {
    use super::*;
    use solgrid_program_kit::{pod, testing::FakeAccount};
    use std::vec::Vec;

    const PROGRAM: Address = Address::new_from_array([9; 32]);
    const GOVERNANCE: Address = Address::new_from_array([4; 32]);

    /// A Config (zeroed, then `setup`) in a byte buffer.
    fn config(setup: impl FnOnce(&mut Config)) -> Vec<u8> {
        let mut bytes = std::vec![0u8; core::mem::size_of::<Config>()];
        setup(pod::from_bytes_mut::<Config>(&mut bytes).unwrap());
        bytes
    }

    fn regulators(config: &mut Config, count: u8, threshold: u8) {
        for i in 0..count as usize {
            config.regulators[i] = Address::new_from_array([10 + i as u8; 32]);
        }
        config.regulator_count = count;
        config.regulator_threshold = threshold;
    }

    fn governed(config: &mut Config) {
        regulators(config, 3, 2);
        let (_, g) = Address::find_program_address(&[GOVERNANCE_SEED], &GOVERNANCE);
        let (_, c) = Address::find_program_address(&[CERTIFICATES_SEED], &GOVERNANCE);
        config.governance_program = GOVERNANCE;
        config.governance_bump = g;
        config.certificates_bump = c;
    }

    fn signer(address: Address, signs: bool) -> FakeAccount {
        let mut account = FakeAccount::new(address.to_bytes(), PROGRAM, 0);
        account.signer = signs;
        account
    }

    fn regulator(i: u8) -> FakeAccount {
        signer(Address::new_from_array([10 + i; 32]), true)
    }

    fn pda(seed: &[u8]) -> Address {
        Address::find_program_address(&[seed], &GOVERNANCE).0
    }

    #[test]
    fn without_governance_the_quorum_cosigns() {
        let bytes = config(|c| regulators(c, 3, 2));
        let c = pod::from_bytes::<Config>(&bytes).unwrap();
        assert!(!governance_set(c));
        assert_eq!(governance_authority(c), None);
        assert_eq!(certificates_authority(c), None);
        let (mut a, mut b) = (regulator(0), regulator(2));
        assert_eq!(threshold(c, &[a.view(), b.view()]), Ok(()));
        assert_eq!(
            threshold(c, &[a.view(), a.view()]),
            Err(RegistryError::RegulatorThresholdNotMet.into())
        );
        // Nothing signs as a governance PDA while none is set, not even the PDA a program would have.
        let mut g = signer(pda(GOVERNANCE_SEED), true);
        assert!(!is_governance_signer(c, &g.view()));
        assert_eq!(
            threshold(c, &[g.view(), a.view()]),
            Err(RegistryError::RegulatorThresholdNotMet.into())
        );
        let empty = config(|_| {});
        assert_eq!(
            threshold(pod::from_bytes::<Config>(&empty).unwrap(), &[]),
            Err(RegistryError::NoRegulators.into())
        );
    }

    #[test]
    fn with_governance_only_its_pda_is_privileged() {
        let bytes = config(governed);
        let c = pod::from_bytes::<Config>(&bytes).unwrap();
        assert!(governance_set(c));
        assert_eq!(governance_authority(c), Some(pda(GOVERNANCE_SEED)));
        assert_eq!(certificates_authority(c), Some(pda(CERTIFICATES_SEED)));
        let mut g = signer(pda(GOVERNANCE_SEED), true);
        assert_eq!(threshold(c, &[g.view()]), Ok(()));
        // Among other accounts, in any position.
        let mut stranger = signer(Address::new_from_array([1; 32]), true);
        assert_eq!(threshold(c, &[stranger.view(), g.view()]), Ok(()));
        // Every regulator co-signing is refused.
        let (mut a, mut b, mut d) = (regulator(0), regulator(1), regulator(2));
        assert_eq!(
            threshold(c, &[a.view(), b.view(), d.view()]),
            Err(RegistryError::NotGovernance.into())
        );
        // The PDA's address without its signature; the certificates PDA; no cosigner at all.
        let mut unsigned = signer(pda(GOVERNANCE_SEED), false);
        assert_eq!(
            threshold(c, &[unsigned.view()]),
            Err(RegistryError::NotGovernance.into())
        );
        let mut certificates = signer(pda(CERTIFICATES_SEED), true);
        assert_eq!(
            threshold(c, &[certificates.view()]),
            Err(RegistryError::NotGovernance.into())
        );
        assert_eq!(threshold(c, &[]), Err(RegistryError::NotGovernance.into()));
        assert_eq!(governance_among(c, &[g.view()]), Ok(()));
    }

    #[test]
    fn governance_counts_even_without_regulators() {
        // Governance set and the regulator set emptied: the PDA still acts (it can appoint regulators).
        let bytes = config(|c| {
            governed(c);
            regulators(c, 0, 0);
        });
        let c = pod::from_bytes::<Config>(&bytes).unwrap();
        let mut g = signer(pda(GOVERNANCE_SEED), true);
        assert_eq!(threshold(c, &[g.view()]), Ok(()));
    }

    #[test]
    fn pauses_take_one_regulator_or_the_governance_pda() {
        let plain = config(|c| regulators(c, 3, 2));
        let with_governance = config(governed);
        let (plain, with_governance) = (
            pod::from_bytes::<Config>(&plain).unwrap(),
            pod::from_bytes::<Config>(&with_governance).unwrap(),
        );
        for c in [plain, with_governance] {
            let mut r = regulator(1);
            assert_eq!(regulator_or_governance(c, &r.view()), Ok(()));
            let mut unsigned = signer(Address::new_from_array([11; 32]), false);
            assert_eq!(
                regulator_or_governance(c, &unsigned.view()),
                Err(KitError::MissingSigner.into())
            );
            let mut stranger = signer(Address::new_from_array([1; 32]), true);
            assert_eq!(
                regulator_or_governance(c, &stranger.view()),
                Err(RegistryError::NotRegulator.into())
            );
        }
        let mut g = signer(pda(GOVERNANCE_SEED), true);
        assert_eq!(regulator_or_governance(with_governance, &g.view()), Ok(()));
        assert_eq!(
            regulator_or_governance(plain, &g.view()),
            Err(RegistryError::NotRegulator.into())
        );
        let mut certificates = signer(pda(CERTIFICATES_SEED), true);
        assert_eq!(
            regulator_or_governance(with_governance, &certificates.view()),
            Err(RegistryError::NotRegulator.into())
        );
    }

    #[test]
    fn the_stored_bumps_name_the_pdas() {
        // A bump that is not the stored one derives another address: the gate compares addresses.
        let bytes = config(|c| {
            governed(c);
            c.governance_bump = c.governance_bump.wrapping_sub(1);
        });
        let c = pod::from_bytes::<Config>(&bytes).unwrap();
        let mut g = signer(pda(GOVERNANCE_SEED), true);
        assert_eq!(
            threshold(c, &[g.view()]),
            Err(RegistryError::NotGovernance.into())
        );
    }
}
