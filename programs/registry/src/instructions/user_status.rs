//! The shared body of `verify_user`, `suspend_user` and `reinstate_user` (routine regulator
//! actions: one configured regulator signs).
//!
//! Accounts of all three:
//! 0. `[signer]` regulator: a configured regulator.
//! 1. `[]` config.
//! 2. `[writable]` user.
//!
//! Becoming Verified (verify, reinstate) records the time in `User.verified_at`: readings of the
//! user's meters must start at or after it. Each emits `UserStatusChanged`.

use pinocchio::{AccountView, Address, ProgramResult};
use solgrid_program_kit::{
    account, checks, clock, event::emit, instruction, pod::PodI64, KitError,
};

use crate::{
    auth,
    errors::RegistryError,
    events::UserStatusChanged,
    state::{User, UserStatus},
};

pub const ACCOUNTS_LEN: usize = 3;

/// Moves the user to `to` if its status is one of `from`.
pub fn change(
    program_id: &Address,
    accounts: &mut [AccountView],
    args: &[u8],
    from: &[UserStatus],
    to: UserStatus,
) -> ProgramResult {
    instruction::no_args(args)?;
    let [regulator, config, user, ..] = accounts else {
        return Err(KitError::NotEnoughAccounts.into());
    };
    {
        let config = auth::config(program_id, config)?;
        auth::regulator(&config, regulator)?;
    }
    checks::writable(user)?;
    checks::owned_by(user, program_id)?;
    let user_address = *user.address();
    let mut state = account::borrow_mut::<User>(user)?;
    let old = state.status;
    if !from.iter().any(|s| *s as u8 == old) {
        return Err(RegistryError::InvalidStatusTransition.into());
    }
    let now = clock::unix_timestamp()?;
    state.status = to as u8;
    if to == UserStatus::Verified {
        state.verified_at.set(now);
    }
    emit(UserStatusChanged {
        user: user_address,
        authority: state.authority,
        regulator: *regulator.address(),
        old_status: old,
        new_status: to as u8,
        timestamp: PodI64::new(now),
    });
    Ok(())
}
