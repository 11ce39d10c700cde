//! `initialize(params: ConfigParams)`: creates the Config singleton and names the SolGrid programs
//! that proposals may target.
//!
//! Accounts:
//! 0. `[signer, writable]` payer: funds the Config account.
//! 1. `[signer]` authority: must be the program's upgrade authority (no front-running the deployer;
//!    see `solgrid_program_kit::deployer`). It keeps no power afterwards: changes go through proposals.
//! 2. `[writable]` config: PDA `["config"]`, created here.
//! 3. `[]` program: this program's own account, whose loader says where its authority is recorded.
//! 4. `[]` program_data: this program's ProgramData, PDA `[program_id]` of BPFLoaderUpgradeable
//!    (read only when that loader owns the program).
//! 5. `[]` system_program.
//! 6. `[]` registry_program: SolGrid's registry; its Config holds the regulators.
//! 7. `[]` trading_program.
//! 8. `[]` energy_token_program.
//!
//! Each of the three must be a deployed SBF program: executable and owned by BPFLoaderUpgradeable
//! (or loader v4, BPFLoader2/1, which `solgrid build` programs may also be loaded with), so no
//! builtin or native program, nor a loader itself, can be named (`NotAProgram`).
//!
//! The three programs must be distinct and none may be this program (`TargetProgramsNotDistinct`):
//! they are the targets proposals may name besides this program itself.
//!
//! Stores the canonical bumps of the `["governance"]` and `["certificates"]` PDAs. Emits
//! `GovernanceInitialized`.

use core::mem::size_of;
use pinocchio::{cpi::Seed, error::ProgramError, AccountView, Address, ProgramResult};
use solgrid_program_kit::{
    account::{self, AccountLayout},
    checks, clock, create, deployer, discriminator,
    event::emit,
    instruction,
    pod::PodI64,
    rent::Rent,
    KitError,
};

use crate::{
    errors::GovernanceError,
    events::GovernanceInitialized,
    state::{Config, ConfigParams, CERTIFICATES_SEED, CONFIG_SEED, GOVERNANCE_SEED},
};

pub const DISCRIMINATOR: u64 = discriminator::as_u64(discriminator::instruction("initialize"));
pub const DATA_LEN: usize = discriminator::LEN + size_of::<ConfigParams>();
pub const ACCOUNTS_LEN: usize = 9;

/// The checked accounts of `initialize`.
pub struct InitializeAccounts<'a> {
    pub payer: &'a AccountView,
    pub config: &'a mut AccountView,
    pub config_bump: u8,
    pub registry_program: Address,
    pub trading_program: Address,
    pub energy_token_program: Address,
}

impl<'a> InitializeAccounts<'a> {
    pub fn load(
        program_id: &Address,
        accounts: &'a mut [AccountView],
    ) -> Result<Self, ProgramError> {
        let [payer, authority, config, program, program_data, system_program, registry, trading, energy_token, ..] =
            accounts
        else {
            return Err(KitError::NotEnoughAccounts.into());
        };
        checks::payer(payer)?;
        checks::signer(authority)?;
        checks::writable(config)?;
        checks::system_program(system_program)?;
        let config_bump = checks::canonical_pda(config, &[CONFIG_SEED], program_id)?;
        checks::uninitialized(config)?;
        deployer::check_initializer(program, program_data, program_id, authority.address())?;
        for target in [&*registry, &*trading, &*energy_token] {
            if !is_sbf_program(target) {
                return Err(GovernanceError::NotAProgram.into());
            }
        }
        check_targets(
            program_id,
            registry.address(),
            trading.address(),
            energy_token.address(),
        )?;
        Ok(Self {
            payer,
            config,
            config_bump,
            registry_program: *registry.address(),
            trading_program: *trading.address(),
            energy_token_program: *energy_token.address(),
        })
    }
}

/// An executable account owned by one of the loaders that run deployed SBF programs (v3, v4, v2,
/// v1): not a builtin or native program, nor a loader itself (those belong to the native loader).
fn is_sbf_program(account: &AccountView) -> bool {
    account.executable()
        && [
            &deployer::LOADER_V3_ID,
            &deployer::LOADER_V4_ID,
            &deployer::BPF_LOADER_2_ID,
            &deployer::BPF_LOADER_1_ID,
        ]
        .into_iter()
        .any(|loader| account.owned_by(loader))
}

pub fn process(program_id: &Address, accounts: &mut [AccountView], args: &[u8]) -> ProgramResult {
    let params: &ConfigParams = instruction::args(args)?;
    params.validate()?;
    let accounts = InitializeAccounts::load(program_id, accounts)?;
    let (_, governance_bump) = Address::try_find_program_address(&[GOVERNANCE_SEED], program_id)
        .ok_or(GovernanceError::InvalidGovernanceAuthority)?;
    let (_, certificates_bump) =
        Address::try_find_program_address(&[CERTIFICATES_SEED], program_id)
            .ok_or(GovernanceError::InvalidCertificatesAuthority)?;
    let bump = [accounts.config_bump];
    let seeds = [Seed::from(CONFIG_SEED), Seed::from(&bump)];
    create::create_pda_account(
        accounts.payer,
        accounts.config,
        Config::LEN,
        program_id,
        &seeds,
        &Rent::get()?,
    )?;
    let now = clock::unix_timestamp()?;
    {
        let mut config = account::borrow_init::<Config>(accounts.config)?;
        config.registry_program = accounts.registry_program;
        config.trading_program = accounts.trading_program;
        config.energy_token_program = accounts.energy_token_program;
        config.set_params(params);
        config.bump = accounts.config_bump;
        config.governance_bump = governance_bump;
        config.certificates_bump = certificates_bump;
    }
    emit(GovernanceInitialized {
        config: *accounts.config.address(),
        registry_program: accounts.registry_program,
        trading_program: accounts.trading_program,
        energy_token_program: accounts.energy_token_program,
        params: *params,
        timestamp: PodI64::new(now),
    });
    Ok(())
}

/// The registry, trading and energy_token programs are three distinct programs, none of them this
/// one (`TargetProgramsNotDistinct`).
pub fn check_targets(
    program_id: &Address,
    registry: &Address,
    trading: &Address,
    energy_token: &Address,
) -> Result<(), GovernanceError> {
    use pinocchio::address::address_eq;
    let targets = [registry, trading, energy_token];
    let repeated = targets
        .iter()
        .enumerate()
        .any(|(i, a)| address_eq(a, program_id) || targets[..i].iter().any(|b| address_eq(a, b)));
    if repeated {
        Err(GovernanceError::TargetProgramsNotDistinct)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_three_distinct_other_programs() {
        let [me, r, t, e] = [0u8, 1, 2, 3].map(|n| Address::new_from_array([n; 32]));
        assert_eq!(check_targets(&me, &r, &t, &e), Ok(()));
        let refused = Err(GovernanceError::TargetProgramsNotDistinct);
        for (a, b, c) in [
            (&r, &r, &e),
            (&r, &t, &r),
            (&r, &t, &t),
            (&me, &t, &e),
            (&r, &me, &e),
            (&r, &t, &me),
            (&r, &r, &r),
        ] {
            assert_eq!(check_targets(&me, a, b, c), refused);
        }
    }

    #[test]
    fn data_len_is_discriminator_plus_borsh_args() {
        assert_eq!(DATA_LEN, 8 + 4 * 3);
    }
}
