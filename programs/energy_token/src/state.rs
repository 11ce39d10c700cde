//! The energy token's account (Config), the seeds of its PDAs, and read-only views of the foreign
//! accounts it inspects: the registry's Meter (the registry's own type) and SPL Token accounts.
//!
//! Config is zero-copy in Anchor's layout (8-byte `account:Config` discriminator, then the fields in
//! borsh order with no padding) and carries a `reserved` tail so later fields need no reallocation.

use pinocchio::{address::address_eq, error::ProgramError, AccountView, Address};
use solgrid_program_kit::{
    account::{self, AccountLayout},
    checks, discriminator, impl_pod, KitError,
};

use crate::errors::EnergyTokenError;

/// Seeds of the Config PDA: `["config"]`.
pub const CONFIG_SEED: &[u8] = b"config";
/// Seeds of the GRID mint PDA: `["mint"]`.
pub const MINT_SEED: &[u8] = b"mint";
/// Seeds of the PDA that is the mint's only minting authority: `["mint_authority"]`.
pub const MINT_AUTHORITY_SEED: &[u8] = b"mint_authority";
/// Seeds of the PDA the registry accepts as its settlement authority: `["settlement"]`.
pub const SETTLEMENT_SEED: &[u8] = b"settlement";

/// GRID has 9 decimals: 1 GRID = 1 kWh, so 1 Wh = 10^6 base units.
pub const DECIMALS: u8 = 9;
/// Base units minted per settled Wh.
pub const BASE_UNITS_PER_WH: u64 = 1_000_000;

/// The SPL Token program (the only token program GRID lives under).
pub const TOKEN_PROGRAM_ID: Address = pinocchio_token::ID;

/// The energy token singleton (PDA `["config"]`). Written once by `initialize`, read-only after that:
/// the minting path writes no global account of this program.
#[repr(C)]
pub struct Config {
    /// Who initialised the deployment (its upgrade authority when deployed through loader v3).
    pub authority: Address,
    /// The registry program whose `settle_meter` decides what may be minted.
    pub registry_program: Address,
    /// The GRID mint, PDA `["mint"]`.
    pub mint: Address,
    /// The mint's minting authority, PDA `["mint_authority"]`; it signs only inside `settle_and_mint`.
    pub mint_authority: Address,
    /// The registry's settlement authority, PDA `["settlement"]`; it signs only the `settle_meter` CPI.
    pub settlement_authority: Address,
    /// Canonical bump of the config PDA.
    pub bump: u8,
    pub mint_bump: u8,
    pub mint_authority_bump: u8,
    pub settlement_bump: u8,
    pub reserved: [u8; 64],
}

impl_pod!(Config {
    authority: Address,
    registry_program: Address,
    mint: Address,
    mint_authority: Address,
    settlement_authority: Address,
    bump: u8,
    mint_bump: u8,
    mint_authority_bump: u8,
    settlement_bump: u8,
    reserved: [u8; 64],
});

impl AccountLayout for Config {
    const DISCRIMINATOR: [u8; 8] = discriminator::account("Config");
}

/// The registry's Meter (owned by the registry, `account:Meter`), as the registry defines it (its
/// `tests/idl.rs` pins it to `idl/registry.json`). This program reads `owner` and `settled_wh`.
pub use solgrid_registry_layouts::state::Meter as RegistryMeter;

/// SPL Token account layout: the fields this program reads.
pub mod token_account {
    /// Size of an SPL Token account.
    pub const LEN: usize = 165;
    /// `mint: Pubkey` at 0, `owner: Pubkey` at 32.
    pub const MINT_OFFSET: usize = 0;
    pub const OWNER_OFFSET: usize = 32;
}

/// SPL Token mint layout.
pub mod mint {
    /// Size of an SPL Token mint.
    pub const LEN: usize = 82;
}

/// `account` is an SPL Token account for `mint` owned by `owner`.
///
/// Errors, in order: `InvalidOwner` (not a token program account), `InvalidAccountData` (not the
/// token-account size), `WrongTokenMint`, `WrongTokenOwner`. The token program itself refuses an
/// uninitialised or frozen account.
///
/// # Safety
///
/// As for [`view`]: no mutable borrow of `account`'s data exists during the call.
#[inline(always)]
pub unsafe fn check_token_account(
    account: &AccountView,
    mint: &Address,
    owner: &Address,
) -> Result<(), ProgramError> {
    checks::owned_by(account, &TOKEN_PROGRAM_ID)?;
    check_token_account_data(account.borrow_unchecked(), mint, owner)
}

/// `account`'s data as a `T` (exact size and discriminator checked, see
/// `solgrid_program_kit::account::load`), read without touching the account's borrow state: the
/// settlement path only reads account data, and the tracked borrow would cost CU there.
///
/// # Safety
///
/// No mutable borrow of `account`'s data may exist while the returned reference lives, and it must
/// not be held across a CPI that may write the account. The caller checks the owner first.
#[inline(always)]
pub unsafe fn view<T: AccountLayout>(account: &AccountView) -> Result<&T, ProgramError> {
    account::load::<T>(account.borrow_unchecked())
}

/// The data part of [`check_token_account`] (host-testable).
#[inline(always)]
pub fn check_token_account_data(
    data: &[u8],
    mint: &Address,
    owner: &Address,
) -> Result<(), ProgramError> {
    if data.len() != token_account::LEN {
        return Err(KitError::InvalidAccountData.into());
    }
    // SAFETY: `Address` is 32 bytes with alignment 1; both ranges lie inside the checked length.
    let (held_mint, held_owner) = unsafe {
        (
            &*(data.as_ptr().add(token_account::MINT_OFFSET) as *const Address),
            &*(data.as_ptr().add(token_account::OWNER_OFFSET) as *const Address),
        )
    };
    if !address_eq(held_mint, mint) {
        return Err(EnergyTokenError::WrongTokenMint.into());
    }
    if !address_eq(held_owner, owner) {
        return Err(EnergyTokenError::WrongTokenOwner.into());
    }
    Ok(())
}

/// The token program account is SPL Token.
#[inline(always)]
pub fn check_token_program(account: &AccountView) -> Result<(), ProgramError> {
    if address_eq(account.address(), &TOKEN_PROGRAM_ID) {
        Ok(())
    } else {
        Err(EnergyTokenError::InvalidTokenProgram.into())
    }
}

/// `account`'s address is `expected`, else `error`.
#[inline(always)]
pub fn check_address(
    account: &AccountView,
    expected: &Address,
    error: EnergyTokenError,
) -> Result<(), ProgramError> {
    if address_eq(account.address(), expected) {
        Ok(())
    } else {
        Err(error.into())
    }
}

/// Most Wh whose base units fit in a u64 (18.4 TWh).
pub const MAX_MINTABLE_WH: u64 = u64::MAX / BASE_UNITS_PER_WH;

/// Base units of GRID for `amount_wh` settled Wh.
///
/// A comparison with a constant instead of `checked_mul`: SBPFv0 has no high-multiply, so an
/// overflow-checked 64-bit multiplication costs a 128-bit emulation.
#[inline(always)]
pub fn base_units(amount_wh: u64) -> Result<u64, ProgramError> {
    if amount_wh > MAX_MINTABLE_WH {
        return Err(KitError::ArithmeticOverflow.into());
    }
    Ok(amount_wh * BASE_UNITS_PER_WH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_sizes() {
        assert_eq!(Config::LEN, 8 + 5 * 32 + 4 + 64);
    }

    #[test]
    fn one_wh_is_a_millionth_of_a_grid() {
        assert_eq!(10u64.pow(DECIMALS as u32) / BASE_UNITS_PER_WH, 1_000);
        assert_eq!(base_units(1), Ok(1_000_000));
        assert_eq!(base_units(0), Ok(0));
        let largest = MAX_MINTABLE_WH;
        assert_eq!(
            largest.checked_mul(BASE_UNITS_PER_WH),
            Some(largest * BASE_UNITS_PER_WH)
        );
        assert_eq!((largest + 1).checked_mul(BASE_UNITS_PER_WH), None);
        assert_eq!(base_units(largest), Ok(largest * BASE_UNITS_PER_WH));
        assert_eq!(
            base_units(u64::MAX),
            Err(KitError::ArithmeticOverflow.into())
        );
        assert_eq!(
            base_units(largest + 1),
            Err(KitError::ArithmeticOverflow.into())
        );
    }

    fn token_account_bytes(mint: &Address, owner: &Address) -> [u8; token_account::LEN] {
        let mut data = [0u8; token_account::LEN];
        data[..32].copy_from_slice(mint.as_ref());
        data[32..64].copy_from_slice(owner.as_ref());
        data
    }

    #[test]
    fn token_account_checks() {
        let mint = Address::new_from_array([1; 32]);
        let owner = Address::new_from_array([2; 32]);
        let other = Address::new_from_array([3; 32]);
        let data = token_account_bytes(&mint, &owner);
        assert_eq!(check_token_account_data(&data, &mint, &owner), Ok(()));
        assert_eq!(
            check_token_account_data(&data, &other, &owner),
            Err(EnergyTokenError::WrongTokenMint.into())
        );
        assert_eq!(
            check_token_account_data(&data, &mint, &other),
            Err(EnergyTokenError::WrongTokenOwner.into())
        );
        assert_eq!(
            check_token_account_data(&data[..164], &mint, &owner),
            Err(KitError::InvalidAccountData.into())
        );
        // A mint (82 bytes) is not a token account even if its first bytes happen to match.
        assert_eq!(
            check_token_account_data(&data[..mint::LEN], &mint, &owner),
            Err(KitError::InvalidAccountData.into())
        );
    }
}
