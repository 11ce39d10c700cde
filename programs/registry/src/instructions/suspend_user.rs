//! `suspend_user()`: Pending or Verified -> Suspended: a suspended user's meters stop submitting readings and settling.
//!
//! Accounts (see [`super::user_status`]):
//! 0. `[signer]` regulator: a configured regulator.
//! 1. `[]` config.
//! 2. `[writable]` user.
//!
//! Emits `UserStatusChanged`.

use pinocchio::{AccountView, Address, ProgramResult};
use solgrid_program_kit::discriminator;

use super::user_status;
use crate::state::UserStatus;

pub const DISCRIMINATOR: u64 = discriminator::as_u64(discriminator::instruction("suspend_user"));
pub const DATA_LEN: usize = discriminator::LEN;
pub const ACCOUNTS_LEN: usize = user_status::ACCOUNTS_LEN;

pub fn process(program_id: &Address, accounts: &mut [AccountView], args: &[u8]) -> ProgramResult {
    user_status::change(
        program_id,
        accounts,
        args,
        &[UserStatus::Pending, UserStatus::Verified],
        UserStatus::Suspended,
    )
}
