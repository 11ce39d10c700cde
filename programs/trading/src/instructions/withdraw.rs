//! `withdraw(seat: u32, amount: u64)`: a trader takes free balance (never what its resting orders
//! lock) out of the market's vault, with only its own signature. Suspended users and paused markets
//! included: a trader's funds are never held hostage.
//!
//! Accounts:
//! 0. `[signer]` trader.
//! 1. `[]` config.
//! 2. `[writable]` market: signs the transfer as the vault's owner (PDA).
//! 3. `[writable]` vault: the market's base or quote vault.
//! 4. `[writable]` destination: an SPL Token account of the vault's mint (else `WrongTokenMint`), of
//!    any owner (the trader chooses it; not the vault itself).
//! 5. `[]` token_program: SPL Token.
//! 6. `[]` event_authority.
//! 7. `[]` program.
//!
//! Emits `Withdrawn`.

use pinocchio::{
    address::address_eq,
    cpi::{Seed, Signer},
    AccountView, Address, ProgramResult,
};
use pinocchio_token::instructions::Transfer;
use solgrid_program_kit::{
    checks, clock, discriminator, instruction,
    pod::{PodI64, PodU64},
    KitError,
};

use crate::{
    errors::{book_error, TradingError},
    events::{self, EventAccounts, Withdrawn},
    instructions::deposit::{vault_asset, AmountArgs},
    state::{self, MARKET_SEED},
};

pub const DISCRIMINATOR: u64 = discriminator::as_u64(discriminator::instruction("withdraw"));
pub const ACCOUNTS_LEN: usize = 8;

/// The market PDA's seeds (for signing as the vaults' owner): zone id, quote mint, bump.
pub struct MarketSeeds {
    pub zone: [u8; 4],
    pub quote_mint: [u8; 32],
    pub bump: [u8; 1],
}

impl MarketSeeds {
    pub fn of(header: &solgrid_order_book::MarketHeader) -> Self {
        Self {
            zone: header.zone_id.to_le_bytes(),
            quote_mint: header.quote_mint,
            bump: [header.bump],
        }
    }

    pub fn seeds(&self) -> [Seed<'_>; 4] {
        [
            Seed::from(MARKET_SEED),
            Seed::from(&self.zone),
            Seed::from(&self.quote_mint),
            Seed::from(&self.bump),
        ]
    }
}

pub fn process(program_id: &Address, accounts: &mut [AccountView], args: &[u8]) -> ProgramResult {
    let args: &AmountArgs = instruction::args(args)?;
    let amount = args.amount.get();
    if amount == 0 {
        return Err(TradingError::ZeroQuantity.into());
    }
    let [trader, config, market, vault, destination, token_program, event_authority, program, ..] =
        accounts
    else {
        return Err(KitError::NotEnoughAccounts.into());
    };
    checks::signer(trader)?;
    checks::writable(vault)?;
    checks::writable(destination)?;
    state::check_token_program(token_program)?;
    let event_accounts = EventAccounts::load(program_id, config, event_authority, program)?;
    if address_eq(destination.address(), vault.address()) {
        // SPL Token accepts a transfer to itself: the seat would be debited and the tokens stranded.
        return Err(TradingError::InvalidVault.into());
    }
    let (mint, free_after, seeds) = {
        // SAFETY: the view is dropped before the CPI.
        let mut book = unsafe { state::load_market(program_id, market)? };
        let (asset, mint) = vault_asset(book.header, vault)?;
        let seeds = MarketSeeds::of(book.header);
        let free_after = book
            .withdraw(args.seat.get(), trader.address().as_array(), asset, amount)
            .map_err(book_error)?;
        (mint, free_after, seeds)
    };
    // SAFETY: the token account's data is only read, and the reference dropped before the CPI.
    unsafe { state::token_account_of(destination, &mint)? };
    Transfer::new(vault, destination, market, amount)
        .invoke_signed(&[Signer::from(&seeds.seeds())])?;
    events::emit(
        program_id,
        &event_accounts,
        &Withdrawn {
            market: *market.address(),
            trader: *trader.address(),
            seat: args.seat,
            mint,
            amount: args.amount,
            free_after: PodU64::new(free_after),
            destination: *destination.address(),
            timestamp: PodI64::new(clock::unix_timestamp()?),
        },
    )
}
