//! `collect_fees()`: the market's fee recipient collects the accrued fees (quote) from the quote
//! vault. Fees accrue in the market itself (no global writable account on the trading path).
//!
//! Accounts:
//! 0. `[signer]` fee_recipient: `MarketHeader.fee_recipient`.
//! 1. `[]` config.
//! 2. `[writable]` market: signs the transfer as the vault's owner (PDA).
//! 3. `[writable]` quote_vault: the market's quote vault.
//! 4. `[writable]` destination: an SPL Token account of the quote mint (else `WrongTokenMint`), of
//!    any owner (the recipient chooses it; not the vault).
//! 5. `[]` token_program: SPL Token.
//! 6. `[]` event_authority.
//! 7. `[]` program.
//!
//! Fails with `ZeroQuantity` when nothing accrued. Emits `FeesCollected`.

use pinocchio::{address::address_eq, cpi::Signer, AccountView, Address, ProgramResult};
use pinocchio_token::instructions::Transfer;
use solgrid_program_kit::{
    checks, clock, discriminator, instruction,
    pod::{PodI64, PodU64},
    KitError,
};

use crate::{
    errors::{book_error, TradingError},
    events::{self, EventAccounts, FeesCollected},
    instructions::withdraw::MarketSeeds,
    state,
};

pub const DISCRIMINATOR: u64 = discriminator::as_u64(discriminator::instruction("collect_fees"));
pub const ACCOUNTS_LEN: usize = 8;

pub fn process(program_id: &Address, accounts: &mut [AccountView], args: &[u8]) -> ProgramResult {
    instruction::no_args(args)?;
    let [fee_recipient, config, market, quote_vault, destination, token_program, event_authority, program, ..] =
        accounts
    else {
        return Err(KitError::NotEnoughAccounts.into());
    };
    checks::signer(fee_recipient)?;
    checks::writable(quote_vault)?;
    checks::writable(destination)?;
    state::check_token_program(token_program)?;
    let event_accounts = EventAccounts::load(program_id, config, event_authority, program)?;
    let (amount, seeds) = {
        // SAFETY: the view is dropped before the CPI.
        let mut book = unsafe { state::load_market(program_id, market)? };
        if !address_eq(
            fee_recipient.address(),
            &Address::new_from_array(book.header.fee_recipient),
        ) {
            return Err(TradingError::NotFeeRecipient.into());
        }
        if !address_eq(
            quote_vault.address(),
            &Address::new_from_array(book.header.quote_vault),
        ) || address_eq(destination.address(), quote_vault.address())
        {
            return Err(TradingError::InvalidVault.into());
        }
        // SAFETY: the token account's data is only read, and the reference dropped before the CPI.
        unsafe {
            state::token_account_of(
                destination,
                &Address::new_from_array(book.header.quote_mint),
            )?
        };
        let seeds = MarketSeeds::of(book.header);
        (book.collect_fees().map_err(book_error)?, seeds)
    };
    if amount == 0 {
        return Err(TradingError::ZeroQuantity.into());
    }
    Transfer::new(quote_vault, destination, market, amount)
        .invoke_signed(&[Signer::from(&seeds.seeds())])?;
    events::emit(
        program_id,
        &event_accounts,
        &FeesCollected {
            market: *market.address(),
            recipient: *fee_recipient.address(),
            destination: *destination.address(),
            amount: PodU64::new(amount),
            timestamp: PodI64::new(clock::unix_timestamp()?),
        },
    )
}
