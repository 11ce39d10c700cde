//! `initialize(max_meters_per_user: u16, max_reading_age_secs: u32)`: creates the Config singleton.
//!
//! Accounts:
//! 0. `[signer, writable]` payer: funds the Config account.
//! 1. `[signer]` authority: becomes `Config.authority`. If the program is deployed through
//!    BPFLoaderUpgradeable it must be the upgrade authority (no front-running the deployer).
//! 2. `[writable]` config: PDA `["config"]`, created here.
//! 3. `[]` program_data: this program's ProgramData, PDA `[program_id]` of BPFLoaderUpgradeable
//!    (an empty address when the program is not upgradeable).
//! 4. `[]` system_program.
//!
//! Emits `ConfigInitialized`.

use core::mem::size_of;
use pinocchio::{cpi::Seed, AccountView, Address, ProgramResult};
use solgrid_program_kit::{
    account::{self, AccountLayout},
    checks, clock, create, discriminator,
    event::emit,
    impl_pod, instruction, loader_v3,
    pod::{PodI64, PodU16, PodU32},
    rent::Rent,
    KitError,
};

use crate::{
    errors::RegistryError,
    events::ConfigInitialized,
    state::{Config, CONFIG_SEED, MAX_READING_AGE_SECS_LIMIT},
};

pub const DISCRIMINATOR: u64 = discriminator::as_u64(discriminator::instruction("initialize"));
/// Instruction data length: discriminator plus arguments.
pub const DATA_LEN: usize = discriminator::LEN + size_of::<InitializeArgs>();
pub const ACCOUNTS_LEN: usize = 5;

#[repr(C)]
pub struct InitializeArgs {
    pub max_meters_per_user: PodU16,
    pub max_reading_age_secs: PodU32,
}

impl_pod!(InitializeArgs {
    max_meters_per_user: PodU16,
    max_reading_age_secs: PodU32
});

impl InitializeArgs {
    fn validate(&self) -> Result<(), RegistryError> {
        let age = self.max_reading_age_secs.get();
        if self.max_meters_per_user.get() == 0 || age == 0 || age > MAX_READING_AGE_SECS_LIMIT {
            return Err(RegistryError::InvalidLimits);
        }
        Ok(())
    }
}

/// The checked accounts of `initialize`.
pub struct InitializeAccounts<'a> {
    pub payer: &'a AccountView,
    pub authority: &'a AccountView,
    pub config: &'a mut AccountView,
    /// Canonical bump of the config PDA.
    pub config_bump: u8,
}

impl<'a> InitializeAccounts<'a> {
    pub fn load(
        program_id: &Address,
        accounts: &'a mut [AccountView],
    ) -> Result<Self, pinocchio::error::ProgramError> {
        let [payer, authority, config, program_data, system_program, ..] = accounts else {
            return Err(KitError::NotEnoughAccounts.into());
        };
        checks::payer(payer)?;
        checks::signer(authority)?;
        checks::writable(config)?;
        checks::system_program(system_program)?;
        let config_bump = checks::canonical_pda(config, &[CONFIG_SEED], program_id)?;
        checks::uninitialized(config)?;
        loader_v3::check_initializer(program_data, program_id, authority.address())?;
        Ok(Self {
            payer,
            authority,
            config,
            config_bump,
        })
    }
}

pub fn process(program_id: &Address, accounts: &mut [AccountView], args: &[u8]) -> ProgramResult {
    let args: &InitializeArgs = instruction::args(args)?;
    args.validate()?;
    let accounts = InitializeAccounts::load(program_id, accounts)?;

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
        config.authority = *accounts.authority.address();
        config.max_meters_per_user = PodU16::new(args.max_meters_per_user.get());
        config.max_reading_age_secs = PodU32::new(args.max_reading_age_secs.get());
        config.bump = accounts.config_bump;
    }

    emit(ConfigInitialized {
        config: *accounts.config.address(),
        authority: *accounts.authority.address(),
        max_meters_per_user: PodU16::new(args.max_meters_per_user.get()),
        max_reading_age_secs: PodU32::new(args.max_reading_age_secs.get()),
        timestamp: PodI64::new(now),
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(meters: u16, age: u32) -> InitializeArgs {
        InitializeArgs {
            max_meters_per_user: PodU16::new(meters),
            max_reading_age_secs: PodU32::new(age),
        }
    }

    #[test]
    fn data_len_is_discriminator_plus_borsh_args() {
        assert_eq!(DATA_LEN, 8 + 2 + 4);
    }

    #[test]
    fn limits_are_validated() {
        assert_eq!(args(16, 900).validate(), Ok(()));
        assert_eq!(args(1, MAX_READING_AGE_SECS_LIMIT).validate(), Ok(()));
        assert_eq!(args(0, 900).validate(), Err(RegistryError::InvalidLimits));
        assert_eq!(args(16, 0).validate(), Err(RegistryError::InvalidLimits));
        assert_eq!(
            args(16, MAX_READING_AGE_SECS_LIMIT + 1).validate(),
            Err(RegistryError::InvalidLimits)
        );
    }
}
