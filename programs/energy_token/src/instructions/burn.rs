//! `burn(amount: u64)`: a holder burns GRID from its own token account (e.g. energy consumed or
//! retired), recorded as an event.
//!
//! Accounts:
//! 0. `[signer]` holder: owner of `token_account` (delegates are not accepted: the event names the
//!    holder who burned).
//! 1. `[writable]` token_account: the holder's GRID token account.
//! 2. `[writable]` mint: the GRID mint.
//! 3. `[]` token_program: SPL Token.
//! 4. `[]` config: this program's Config.
//!
//! Emits `GridBurned`.

use core::mem::size_of;
use pinocchio::{error::ProgramError, AccountView, Address, ProgramResult};
use pinocchio_token::instructions::Burn;
use solgrid_program_kit::{
    checks, discriminator, event::emit, impl_pod, instruction, pod::PodU64, KitError,
};

use crate::{
    errors::EnergyTokenError,
    events::GridBurned,
    state::{self, Config},
};

pub const DISCRIMINATOR: u64 = discriminator::as_u64(discriminator::instruction("burn"));
/// Instruction data length: discriminator plus arguments.
pub const DATA_LEN: usize = discriminator::LEN + size_of::<BurnArgs>();
pub const ACCOUNTS_LEN: usize = 5;

#[repr(C)]
pub struct BurnArgs {
    /// GRID base units to burn (10^9 per GRID).
    pub amount: PodU64,
}

impl_pod!(BurnArgs { amount: PodU64 });

/// The checked accounts of `burn`.
pub struct BurnAccounts<'a> {
    pub holder: &'a AccountView,
    pub token_account: &'a AccountView,
    pub mint: &'a AccountView,
}

impl<'a> BurnAccounts<'a> {
    pub fn load(program_id: &Address, accounts: &'a [AccountView]) -> Result<Self, ProgramError> {
        let [holder, token_account, mint, token_program, config, ..] = accounts else {
            return Err(KitError::NotEnoughAccounts.into());
        };
        checks::signer(holder)?;
        checks::owned_by(config, program_id)?;
        // SAFETY (`state::view`, `state::check_token_account`): this instruction never borrows
        // account data mutably, and nothing read here outlives `load`, which ends before the CPI.
        let config = unsafe { state::view::<Config>(config)? };
        state::check_address(mint, &config.mint, EnergyTokenError::InvalidMint)?;
        checks::writable(mint)?;
        state::check_token_program(token_program)?;
        checks::writable(token_account)?;
        // SAFETY: as above.
        unsafe { state::check_token_account(token_account, &config.mint, holder.address())? };
        Ok(Self {
            holder,
            token_account,
            mint,
        })
    }
}

pub fn process(program_id: &Address, accounts: &mut [AccountView], args: &[u8]) -> ProgramResult {
    let args: &BurnArgs = instruction::args(args)?;
    let amount = args.amount.get();
    if amount == 0 {
        return Err(EnergyTokenError::ZeroAmount.into());
    }
    let accounts = BurnAccounts::load(program_id, accounts)?;

    Burn::new(
        accounts.token_account,
        accounts.mint,
        accounts.holder,
        amount,
    )
    .invoke()?;

    emit(GridBurned {
        holder: *accounts.holder.address(),
        token_account: *accounts.token_account.address(),
        amount: PodU64::new(amount),
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_len_is_discriminator_plus_borsh_args() {
        assert_eq!(DATA_LEN, 16);
    }
}
