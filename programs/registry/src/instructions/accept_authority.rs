//! `accept_authority()`: step 2 of the authority hand-over; the proposed successor signs.
//!
//! Accounts:
//! 0. `[signer]` new_authority: `Config.pending_authority`.
//! 1. `[writable]` config.
//!
//! Emits `AuthorityTransferred`.

use pinocchio::{address::address_eq, AccountView, Address, ProgramResult};
use solgrid_program_kit::{checks, discriminator, event::emit, instruction, KitError};

use crate::{auth, errors::RegistryError, events::AuthorityTransferred};

pub const DISCRIMINATOR: u64 =
    discriminator::as_u64(discriminator::instruction("accept_authority"));
pub const DATA_LEN: usize = discriminator::LEN;
pub const ACCOUNTS_LEN: usize = 2;

pub fn process(program_id: &Address, accounts: &mut [AccountView], args: &[u8]) -> ProgramResult {
    instruction::no_args(args)?;
    let [new_authority, config, ..] = accounts else {
        return Err(KitError::NotEnoughAccounts.into());
    };
    checks::signer(new_authority)?;
    let config_address = *config.address();
    let mut config = auth::config_mut(program_id, config)?;
    // The pending slot is zero when nothing is proposed, and the zero address cannot sign.
    if !address_eq(new_authority.address(), &config.pending_authority) {
        return Err(RegistryError::NotPendingAuthority.into());
    }
    let previous = config.authority;
    config.authority = config.pending_authority;
    config.pending_authority = Address::new_from_array([0; 32]);
    emit(AuthorityTransferred {
        config: config_address,
        previous_authority: previous,
        new_authority: *new_authority.address(),
    });
    Ok(())
}
