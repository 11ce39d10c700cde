//! `propose_authority(new_authority: pubkey)`: step 1 of the authority hand-over. The current
//! authority names a successor (the zero address cancels a pending proposal); nothing changes until
//! the successor accepts.
//!
//! Accounts:
//! 0. `[signer]` authority: the current `Config.authority`; once a governance program is set, its
//!    governance PDA instead (`NotGovernance`: the authority alone no longer suffices).
//! 1. `[writable]` config.
//!
//! Emits `AuthorityProposed`.

use pinocchio::{address::address_eq, AccountView, Address, ProgramResult};
use solgrid_program_kit::{checks, discriminator, event::emit, instruction, KitError};

use crate::{auth, errors::RegistryError, events::AuthorityProposed};

pub const DISCRIMINATOR: u64 =
    discriminator::as_u64(discriminator::instruction("propose_authority"));
pub const DATA_LEN: usize = discriminator::LEN + 32;
pub const ACCOUNTS_LEN: usize = 2;

pub fn process(program_id: &Address, accounts: &mut [AccountView], args: &[u8]) -> ProgramResult {
    let new_authority: &Address = instruction::args(args)?;
    let [authority, config, ..] = accounts else {
        return Err(KitError::NotEnoughAccounts.into());
    };
    checks::signer(authority)?;
    let config_address = *config.address();
    let mut config = auth::config_mut(program_id, config)?;
    if auth::governance_set(&config) {
        if !auth::is_governance_signer(&config, authority) {
            return Err(RegistryError::NotGovernance.into());
        }
    } else if !address_eq(authority.address(), &config.authority) {
        return Err(RegistryError::NotAuthority.into());
    }
    config.pending_authority = *new_authority;
    emit(AuthorityProposed {
        config: config_address,
        authority: config.authority,
        pending_authority: *new_authority,
    });
    Ok(())
}
