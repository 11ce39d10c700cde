//! `register_user(role: UserRole, zone_id: u32)`: a wallet registers itself as a participant in a
//! zone, with status Pending until a regulator verifies it.
//!
//! Accounts:
//! 0. `[signer, writable]` payer: funds the User account.
//! 1. `[signer]` authority: the wallet being registered.
//! 2. `[writable]` config: its `user_count` gives the new user's index.
//! 3. `[]` zone: the Zone `zone_id` (must exist and not be Halted).
//! 4. `[writable]` user: PDA `["user", authority]`, created here.
//! 5. `[]` system_program.
//!
//! Emits `UserRegistered`.

use core::mem::size_of;
use pinocchio::{cpi::Seed, error::ProgramError, AccountView, Address, ProgramResult};
use solgrid_program_kit::{
    account::{self, AccountLayout},
    checks, clock, create, discriminator,
    event::emit,
    impl_pod, instruction,
    pod::{PodI64, PodU32, PodU64},
    rent::Rent,
    KitError,
};

use crate::{
    auth,
    errors::RegistryError,
    events::UserRegistered,
    state::{User, UserRole, UserStatus, Zone, ZoneStatus, USER_SEED},
};

pub const DISCRIMINATOR: u64 = discriminator::as_u64(discriminator::instruction("register_user"));
pub const DATA_LEN: usize = discriminator::LEN + size_of::<RegisterUserArgs>();
pub const ACCOUNTS_LEN: usize = 6;

#[repr(C)]
pub struct RegisterUserArgs {
    /// A [`UserRole`] (borsh enum index).
    pub role: u8,
    pub zone_id: PodU32,
}

impl_pod!(RegisterUserArgs {
    role: u8,
    zone_id: PodU32
});

/// Checks that `zone` is the program's Zone `zone_id` and is not Halted; returns its capacity (kW).
pub fn check_zone(
    program_id: &Address,
    zone: &AccountView,
    zone_id: u32,
) -> Result<u64, ProgramError> {
    checks::owned_by(zone, program_id)?;
    let zone = account::borrow::<Zone>(zone)?;
    if zone.zone_id.get() != zone_id {
        return Err(RegistryError::ZoneMismatch.into());
    }
    if zone.status == ZoneStatus::Halted as u8 {
        return Err(RegistryError::ZoneHalted.into());
    }
    Ok(zone.max_capacity_kw.get())
}

pub fn process(program_id: &Address, accounts: &mut [AccountView], args: &[u8]) -> ProgramResult {
    let args: &RegisterUserArgs = instruction::args(args)?;
    let role = UserRole::try_from(args.role)?;
    let [payer, authority, config, zone, user, system_program, ..] = accounts else {
        return Err(KitError::NotEnoughAccounts.into());
    };
    checks::payer(payer)?;
    checks::signer(authority)?;
    let user_index = {
        let mut config = auth::config_mut(program_id, config)?;
        let index = config.user_count.get();
        config
            .user_count
            .set(index.checked_add(1).ok_or(KitError::ArithmeticOverflow)?);
        index
    };
    check_zone(program_id, zone, args.zone_id.get())?;
    checks::writable(user)?;
    checks::system_program(system_program)?;
    let user_bump =
        checks::canonical_pda(user, &[USER_SEED, authority.address().as_ref()], program_id)?;
    checks::uninitialized(user)?;

    let bump = [user_bump];
    let seeds = [
        Seed::from(USER_SEED),
        Seed::from(authority.address().as_ref()),
        Seed::from(&bump),
    ];
    create::create_pda_account(payer, user, User::LEN, program_id, &seeds, &Rent::get()?)?;
    let now = clock::unix_timestamp()?;
    {
        let mut state = account::borrow_init::<User>(user)?;
        state.authority = *authority.address();
        state.role = role as u8;
        state.status = UserStatus::Pending as u8;
        state.bump = user_bump;
        state.zone_id = args.zone_id;
        state.user_index = PodU64::new(user_index);
        state.registered_at = PodI64::new(now);
    }
    emit(UserRegistered {
        user: *user.address(),
        authority: *authority.address(),
        role: role as u8,
        zone_id: args.zone_id,
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
        assert_eq!(DATA_LEN, 8 + 1 + 4);
    }
}
