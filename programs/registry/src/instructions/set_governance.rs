//! `set_governance(program: pubkey, governance_bump: u8, certificates_bump: u8)`: hands privileged
//! actions to a governance program (issue 14), or takes them back (`program` = all zeroes).
//!
//! Accounts:
//! 0. `[writable]` config.
//! 1.. `[signer]` cosigners: while no governance is set, the config authority *and*
//!    `regulator_threshold` distinct configured regulators; once set, the governance PDA
//!    (`["governance"]` of the current governance program, through an executed proposal).
//!
//! The bumps must be the canonical bumps of `program`'s `["governance"]` and `["certificates"]`
//! PDAs (`InvalidGovernance`): any other bump would name a PDA the governance program never signs
//! with, leaving privileged actions unreachable. `program` must not be the registry itself. Clearing
//! takes bumps 0. From then on the privileged gate accepts only the governance PDA, and
//! `certify_meter` only the certificates PDA. Emits `GovernanceSet`.

use core::mem::size_of;
use pinocchio::{address::address_eq, AccountView, Address, ProgramResult};
use solgrid_program_kit::{discriminator, event::emit, impl_pod, instruction};

use crate::{
    auth,
    errors::RegistryError,
    events::GovernanceSet,
    state::{CERTIFICATES_SEED, GOVERNANCE_SEED},
};

pub const DISCRIMINATOR: u64 = discriminator::as_u64(discriminator::instruction("set_governance"));
pub const DATA_LEN: usize = discriminator::LEN + size_of::<SetGovernanceArgs>();
pub const ACCOUNTS_LEN: usize = 1;

#[repr(C)]
pub struct SetGovernanceArgs {
    pub program: Address,
    pub governance_bump: u8,
    pub certificates_bump: u8,
}

impl_pod!(SetGovernanceArgs {
    program: Address,
    governance_bump: u8,
    certificates_bump: u8,
});

impl SetGovernanceArgs {
    /// Clearing takes zero bumps; setting takes the canonical bumps of both PDAs of a program other
    /// than the registry.
    pub fn validate(&self, registry: &Address) -> Result<(), RegistryError> {
        if address_eq(&self.program, &Address::new_from_array([0; 32])) {
            return if self.governance_bump == 0 && self.certificates_bump == 0 {
                Ok(())
            } else {
                Err(RegistryError::InvalidGovernance)
            };
        }
        if address_eq(&self.program, registry) {
            return Err(RegistryError::InvalidGovernance);
        }
        let canonical = |seed: &[u8], bump: u8| {
            Address::try_find_program_address(&[seed], &self.program)
                .is_some_and(|(_, canonical)| canonical == bump)
        };
        if canonical(GOVERNANCE_SEED, self.governance_bump)
            && canonical(CERTIFICATES_SEED, self.certificates_bump)
        {
            Ok(())
        } else {
            Err(RegistryError::InvalidGovernance)
        }
    }
}

pub fn process(program_id: &Address, accounts: &mut [AccountView], args: &[u8]) -> ProgramResult {
    let args: &SetGovernanceArgs = instruction::args(args)?;
    let ([config], cosigners) = auth::split::<ACCOUNTS_LEN>(accounts)?;
    let config_address = *config.address();
    let mut config = auth::config_mut(program_id, config)?;
    if auth::governance_set(&config) {
        auth::governance_among(&config, cosigners)?;
    } else {
        auth::authority_among(&config, cosigners)?;
        auth::threshold(&config, cosigners)?;
    }
    args.validate(program_id)?;
    config.governance_program = args.program;
    config.governance_bump = args.governance_bump;
    config.certificates_bump = args.certificates_bump;
    emit(GovernanceSet {
        config: config_address,
        governance_program: args.program,
        governance_bump: args.governance_bump,
        certificates_bump: args.certificates_bump,
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const REGISTRY: Address = Address::new_from_array([5; 32]);
    const GOVERNANCE: Address = Address::new_from_array([6; 32]);

    fn args(program: Address, governance_bump: u8, certificates_bump: u8) -> SetGovernanceArgs {
        SetGovernanceArgs {
            program,
            governance_bump,
            certificates_bump,
        }
    }

    #[test]
    fn bumps_must_be_canonical() {
        let (_, g) = Address::find_program_address(&[GOVERNANCE_SEED], &GOVERNANCE);
        let (_, c) = Address::find_program_address(&[CERTIFICATES_SEED], &GOVERNANCE);
        assert_eq!(args(GOVERNANCE, g, c).validate(&REGISTRY), Ok(()));
        let invalid = Err(RegistryError::InvalidGovernance);
        assert_eq!(
            args(GOVERNANCE, g.wrapping_sub(1), c).validate(&REGISTRY),
            invalid
        );
        assert_eq!(
            args(GOVERNANCE, g, c.wrapping_add(1)).validate(&REGISTRY),
            invalid
        );
        assert_eq!(args(GOVERNANCE, c, g).validate(&REGISTRY), {
            if c == g {
                Ok(())
            } else {
                invalid
            }
        });
        // The registry's own PDAs could never sign.
        let (_, rg) = Address::find_program_address(&[GOVERNANCE_SEED], &REGISTRY);
        let (_, rc) = Address::find_program_address(&[CERTIFICATES_SEED], &REGISTRY);
        assert_eq!(args(REGISTRY, rg, rc).validate(&REGISTRY), invalid);
    }

    #[test]
    fn clearing_takes_zero_bumps() {
        let zero = Address::new_from_array([0; 32]);
        assert_eq!(args(zero, 0, 0).validate(&REGISTRY), Ok(()));
        assert_eq!(
            args(zero, 1, 0).validate(&REGISTRY),
            Err(RegistryError::InvalidGovernance)
        );
        assert_eq!(
            args(zero, 0, 255).validate(&REGISTRY),
            Err(RegistryError::InvalidGovernance)
        );
        assert_eq!(DATA_LEN, 8 + 32 + 2);
    }
}
