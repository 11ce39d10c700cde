//! `set_regulators(regulators: [pubkey; 8], regulator_count: u8, regulator_threshold: u8)`: replaces
//! the regulator set and the M-of-N threshold of privileged actions.
//!
//! Accounts:
//! 0. `[writable]` config.
//! 1.. `[signer]` cosigners: once a governance program is set, its governance PDA alone; before,
//!    while no regulators are configured, the config authority; afterwards `regulator_threshold`
//!    distinct current regulators (duplicates count once).
//!
//! The first `regulator_count` (1..=8) entries must be distinct and non-zero, the rest zero, and
//! `1 <= regulator_threshold <= regulator_count`. A key that is not a regulator now is appointed at
//! `regulators_version + 1`, which becomes the version (`RegulatorsVersionExhausted` past 65535);
//! keys that stay keep their `regulator_since` (`solgrid_governance_core::proposal::appoint`: the
//! governance program counts a proposal vote only if cast at or after its key's appointment).
//! Emits `RegulatorsSet`.

use core::mem::size_of;
use pinocchio::{address::address_eq, AccountView, Address, ProgramResult};
use solgrid_governance_core::{proposal::appoint, ProposalError};
use solgrid_program_kit::{discriminator, event::emit, impl_pod, instruction, pod::PodU16};

use crate::{auth, errors::RegistryError, events::RegulatorsSet, state::MAX_REGULATORS};

pub const DISCRIMINATOR: u64 = discriminator::as_u64(discriminator::instruction("set_regulators"));
pub const DATA_LEN: usize = discriminator::LEN + size_of::<SetRegulatorsArgs>();
pub const ACCOUNTS_LEN: usize = 1;

#[repr(C)]
pub struct SetRegulatorsArgs {
    pub regulators: [Address; MAX_REGULATORS],
    pub regulator_count: u8,
    pub regulator_threshold: u8,
}

impl_pod!(SetRegulatorsArgs {
    regulators: [Address; MAX_REGULATORS],
    regulator_count: u8,
    regulator_threshold: u8,
});

impl SetRegulatorsArgs {
    pub fn validate(&self) -> Result<(), RegistryError> {
        let count = self.regulator_count as usize;
        let threshold = self.regulator_threshold as usize;
        if count == 0 || count > MAX_REGULATORS || threshold == 0 || threshold > count {
            return Err(RegistryError::InvalidRegulators);
        }
        let zero = Address::new_from_array([0; 32]);
        for (i, regulator) in self.regulators.iter().enumerate() {
            let used = i < count;
            if address_eq(regulator, &zero) == used {
                return Err(RegistryError::InvalidRegulators);
            }
            if used
                && self.regulators[..i]
                    .iter()
                    .any(|r| address_eq(r, regulator))
            {
                return Err(RegistryError::InvalidRegulators);
            }
        }
        Ok(())
    }
}

pub fn process(program_id: &Address, accounts: &mut [AccountView], args: &[u8]) -> ProgramResult {
    let args: &SetRegulatorsArgs = instruction::args(args)?;
    args.validate()?;
    let ([config], cosigners) = auth::split::<ACCOUNTS_LEN>(accounts)?;
    let config_address = *config.address();
    let mut config = auth::config_mut(program_id, config)?;
    if config.regulator_count == 0 && !auth::governance_set(&config) {
        auth::authority_among(&config, cosigners)?;
    } else {
        auth::threshold(&config, cosigners)?;
    }
    let old_since: [u16; MAX_REGULATORS] =
        core::array::from_fn(|i| config.regulator_since[i].get());
    let mut since = [0u16; MAX_REGULATORS];
    let version = appoint(
        config.regulator_set(),
        &old_since,
        config.regulators_version.get(),
        &args.regulators[..args.regulator_count as usize],
        &mut since,
    )
    .map_err(|error| match error {
        ProposalError::VersionExhausted => RegistryError::RegulatorsVersionExhausted,
        _ => RegistryError::InvalidRegulators,
    })?;
    config.regulators_version = PodU16::new(version);
    config.regulator_since = since.map(PodU16::new);
    config.regulators = args.regulators;
    config.regulator_count = args.regulator_count;
    config.regulator_threshold = args.regulator_threshold;
    emit(RegulatorsSet {
        config: config_address,
        regulators: args.regulators,
        regulator_count: args.regulator_count,
        regulator_threshold: args.regulator_threshold,
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(keys: &[u8], count: u8, threshold: u8) -> SetRegulatorsArgs {
        let mut regulators = [Address::new_from_array([0; 32]); MAX_REGULATORS];
        for (slot, key) in regulators.iter_mut().zip(keys) {
            *slot = Address::new_from_array([*key; 32]);
        }
        SetRegulatorsArgs {
            regulators,
            regulator_count: count,
            regulator_threshold: threshold,
        }
    }

    #[test]
    fn validation() {
        assert_eq!(args(&[1, 2, 3], 3, 2).validate(), Ok(()));
        assert_eq!(args(&[1, 2, 3, 4, 5, 6, 7, 8], 8, 8).validate(), Ok(()));
        let bad = [
            args(&[1, 2, 3], 3, 0),
            args(&[1, 2, 3], 3, 4),
            args(&[], 0, 0),
            args(&[1, 2, 3], 2, 1),
            args(&[1, 0, 3], 3, 1),
            args(&[1, 1], 2, 1),
            args(&[1, 2, 3, 4, 5, 6, 7, 8], 9, 1),
        ];
        for a in bad {
            assert_eq!(a.validate(), Err(RegistryError::InvalidRegulators));
        }
        assert_eq!(DATA_LEN, 8 + 256 + 2);
    }
}
