//! `deposit(seat: u32, amount: u64)`: a Verified trader moves tokens from its own token account into
//! the market's vault; the amount becomes free balance of its seat.
//!
//! Accounts:
//! 0. `[signer]` trader: the owner of `source` (not a delegate; the token program checks the
//!    signature).
//! 1. `[]` config.
//! 2. `[]` user: the trader's registry User (Verified).
//! 3. `[writable]` market.
//! 4. `[writable]` source: an SPL Token account of the vault's mint (else `WrongTokenMint`) owned by
//!    the trader (else `WrongTokenOwner`).
//! 5. `[writable]` vault: the market's base vault (deposits GRID) or quote vault (deposits quote).
//! 6. `[]` token_program: SPL Token.
//! 7. `[]` event_authority.
//! 8. `[]` program.
//!
//! Emits `Deposited`.

use pinocchio::{address::address_eq, AccountView, Address, ProgramResult};
use pinocchio_token::instructions::Transfer;
use solgrid_order_book::Asset;
use solgrid_program_kit::{
    checks, clock, discriminator, impl_pod, instruction,
    pod::{PodI64, PodU32, PodU64},
    KitError,
};

use crate::{
    errors::{book_error, TradingError},
    events::{self, Deposited, EventAccounts},
    state,
};

pub const DISCRIMINATOR: u64 = discriminator::as_u64(discriminator::instruction("deposit"));
pub const ACCOUNTS_LEN: usize = 9;

#[repr(C)]
pub struct AmountArgs {
    pub seat: PodU32,
    pub amount: PodU64,
}

impl_pod!(AmountArgs {
    seat: PodU32,
    amount: PodU64
});

/// Which of `market`'s vaults `vault` is, and that vault's mint.
pub fn vault_asset(
    header: &solgrid_order_book::MarketHeader,
    vault: &AccountView,
) -> Result<(Asset, Address), TradingError> {
    if address_eq(vault.address(), &Address::new_from_array(header.base_vault)) {
        Ok((Asset::Base, Address::new_from_array(header.base_mint)))
    } else if address_eq(
        vault.address(),
        &Address::new_from_array(header.quote_vault),
    ) {
        Ok((Asset::Quote, Address::new_from_array(header.quote_mint)))
    } else {
        Err(TradingError::InvalidVault)
    }
}

pub fn process(program_id: &Address, accounts: &mut [AccountView], args: &[u8]) -> ProgramResult {
    let args: &AmountArgs = instruction::args(args)?;
    let amount = args.amount.get();
    if amount == 0 {
        return Err(TradingError::ZeroQuantity.into());
    }
    let [trader, config, user, market, source, vault, token_program, event_authority, program, ..] =
        accounts
    else {
        return Err(KitError::NotEnoughAccounts.into());
    };
    checks::signer(trader)?;
    checks::writable(source)?;
    checks::writable(vault)?;
    state::check_token_program(token_program)?;
    let event_accounts = EventAccounts::load(program_id, config, event_authority, program)?;
    // SAFETY: Config and the registry's accounts are only read by this program; the market view is
    // dropped before the CPI.
    let registry_program = unsafe { state::config(program_id, config)? }.registry_program;
    unsafe { state::verified_user(user, &registry_program, trader.address())? };
    let (asset, mint) = {
        let mut book = unsafe { state::load_market(program_id, market)? };
        let found = vault_asset(book.header, vault)?;
        // The seat must be the trader's before any token moves.
        book.seat(args.seat.get(), trader.address().as_array())
            .map_err(book_error)?;
        found
    };
    // SAFETY: the token account's data is only read, and the reference dropped before the CPI.
    let owner = unsafe { state::token_account_of(source, &mint)? };
    if owner != trader.address().as_array() {
        return Err(TradingError::WrongTokenOwner.into());
    }
    Transfer::new(source, vault, trader, amount).invoke()?;
    let free_after = unsafe { state::load_market(program_id, market)? }
        .deposit(args.seat.get(), trader.address().as_array(), asset, amount)
        .map_err(book_error)?;
    events::emit(
        program_id,
        &event_accounts,
        &Deposited {
            market: *market.address(),
            trader: *trader.address(),
            seat: args.seat,
            mint,
            amount: args.amount,
            free_after: PodU64::new(free_after),
            timestamp: PodI64::new(clock::unix_timestamp()?),
        },
    )
}
