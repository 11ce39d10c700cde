//! `register_user(role: UserRole)`: a wallet registers itself as a market participant.
//!
//! Accounts:
//! 0. `[signer, writable]` payer: funds the User account.
//! 1. `[signer]` authority: the wallet being registered.
//! 2. `[writable]` config: PDA `["config"]`; its `user_count` gives the new user's index.
//! 3. `[writable]` user: PDA `["user", authority]`, created here.
//! 4. `[]` system_program.
//!
//! Emits `UserRegistered`.

use core::mem::size_of;
use pinocchio::{cpi::Seed, error::ProgramError, AccountView, Address, ProgramResult};
use solgrid_program_kit::{
    account::{self, AccountLayout},
    checks, clock, create, discriminator,
    event::emit,
    impl_pod, instruction,
    pod::{PodI64, PodU16, PodU32, PodU64},
    rent::Rent,
    KitError,
};

use crate::{
    events::UserRegistered,
    state::{Config, User, UserRole, UserStatus, CONFIG_SEED, NO_ZONE, USER_SEED},
};

pub const DISCRIMINATOR: u64 = discriminator::as_u64(discriminator::instruction("register_user"));
/// Instruction data length: discriminator plus arguments.
pub const DATA_LEN: usize = discriminator::LEN + size_of::<RegisterUserArgs>();
pub const ACCOUNTS_LEN: usize = 5;

#[repr(C)]
pub struct RegisterUserArgs {
    /// A [`UserRole`] (borsh enum index).
    pub role: u8,
}

impl_pod!(RegisterUserArgs { role: u8 });

/// The checked accounts of `register_user`.
pub struct RegisterUserAccounts<'a> {
    pub payer: &'a AccountView,
    pub authority: &'a AccountView,
    pub config: &'a mut AccountView,
    pub user: &'a mut AccountView,
    /// Canonical bump of the user PDA.
    pub user_bump: u8,
}

impl<'a> RegisterUserAccounts<'a> {
    pub fn load(
        program_id: &Address,
        accounts: &'a mut [AccountView],
    ) -> Result<Self, ProgramError> {
        let [payer, authority, config, user, system_program, ..] = accounts else {
            return Err(KitError::NotEnoughAccounts.into());
        };
        checks::payer(payer)?;
        checks::signer(authority)?;
        checks::writable(config)?;
        checks::owned_by(config, program_id)?;
        let config_bump = account::borrow::<Config>(config)?.bump;
        checks::pda(config, &[CONFIG_SEED], config_bump, program_id)?;
        checks::writable(user)?;
        checks::system_program(system_program)?;
        let user_bump =
            checks::canonical_pda(user, &[USER_SEED, authority.address().as_ref()], program_id)?;
        checks::uninitialized(user)?;
        Ok(Self {
            payer,
            authority,
            config,
            user,
            user_bump,
        })
    }
}

pub fn process(program_id: &Address, accounts: &mut [AccountView], args: &[u8]) -> ProgramResult {
    let args: &RegisterUserArgs = instruction::args(args)?;
    let role = UserRole::try_from(args.role)?;
    let accounts = RegisterUserAccounts::load(program_id, accounts)?;

    let user_index = {
        let mut config = account::borrow_mut::<Config>(accounts.config)?;
        let index = config.user_count.get();
        config
            .user_count
            .set(index.checked_add(1).ok_or(KitError::ArithmeticOverflow)?);
        index
    };

    let bump = [accounts.user_bump];
    let seeds = [
        Seed::from(USER_SEED),
        Seed::from(accounts.authority.address().as_ref()),
        Seed::from(&bump),
    ];
    create::create_pda_account(
        accounts.payer,
        accounts.user,
        User::LEN,
        program_id,
        &seeds,
        &Rent::get()?,
    )?;

    let now = clock::unix_timestamp()?;
    {
        let mut user = account::borrow_init::<User>(accounts.user)?;
        user.authority = *accounts.authority.address();
        user.role = role as u8;
        user.status = UserStatus::Active as u8;
        user.bump = accounts.user_bump;
        user.zone_id = PodU32::new(NO_ZONE);
        user.meter_count = PodU16::new(0);
        user.user_index = PodU64::new(user_index);
        user.registered_at = PodI64::new(now);
    }

    emit(UserRegistered {
        user: *accounts.user.address(),
        authority: *accounts.authority.address(),
        role: role as u8,
        user_index: PodU64::new(user_index),
        timestamp: PodI64::new(now),
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_len_is_discriminator_plus_borsh_args() {
        assert_eq!(DATA_LEN, 9);
    }
}
