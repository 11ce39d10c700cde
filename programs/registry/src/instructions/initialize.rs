//! `initialize(limits: Limits)`: creates the Config singleton.
//!
//! Accounts:
//! 0. `[signer, writable]` payer: funds the Config account.
//! 1. `[signer]` authority: becomes `Config.authority`; must be the program's upgrade authority
//!    (no front-running the deployer; see `solgrid_program_kit::deployer`).
//! 2. `[writable]` config: PDA `["config"]`, created here.
//! 3. `[]` program: this program's own account, whose loader says where its authority is recorded.
//! 4. `[]` program_data: this program's ProgramData, PDA `[program_id]` of BPFLoaderUpgradeable
//!    (read only when that loader owns the program).
//! 5. `[]` system_program.
//!
//! No regulators yet: the authority appoints the first set with `set_regulators`. Emits
//! `ConfigInitialized`.

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
    events::ConfigInitialized,
    state::{Config, Limits, CONFIG_SEED},
};

pub const DISCRIMINATOR: u64 = discriminator::as_u64(discriminator::instruction("initialize"));
pub const DATA_LEN: usize = discriminator::LEN + size_of::<Limits>();
pub const ACCOUNTS_LEN: usize = 6;

/// The checked accounts of `initialize`.
pub struct InitializeAccounts<'a> {
    pub payer: &'a AccountView,
    pub authority: &'a AccountView,
    pub config: &'a mut AccountView,
    pub config_bump: u8,
}

impl<'a> InitializeAccounts<'a> {
    pub fn load(
        program_id: &Address,
        accounts: &'a mut [AccountView],
    ) -> Result<Self, ProgramError> {
        let [payer, authority, config, program, program_data, system_program, ..] = accounts else {
            return Err(KitError::NotEnoughAccounts.into());
        };
        checks::payer(payer)?;
        checks::signer(authority)?;
        checks::writable(config)?;
        checks::system_program(system_program)?;
        let config_bump = checks::canonical_pda(config, &[CONFIG_SEED], program_id)?;
        checks::uninitialized(config)?;
        deployer::check_initializer(program, program_data, program_id, authority.address())?;
        Ok(Self {
            payer,
            authority,
            config,
            config_bump,
        })
    }
}

pub fn process(program_id: &Address, accounts: &mut [AccountView], args: &[u8]) -> ProgramResult {
    let limits: &Limits = instruction::args(args)?;
    limits.validate()?;
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
        config.limits = *limits;
        config.bump = accounts.config_bump;
    }
    emit(ConfigInitialized {
        config: *accounts.config.address(),
        authority: *accounts.authority.address(),
        limits: *limits,
        timestamp: PodI64::new(now),
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_len_is_discriminator_plus_borsh_args() {
        assert_eq!(DATA_LEN, 8 + 2 + 4 * 4 + 2);
    }
}
