//! `set_market_maker(trader: Pubkey, enabled: bool)`: a regulator quorum registers (or unregisters)
//! a market maker, who is exempt from the per-epoch order limit (privileged); every other rule of
//! placing still applies to it. Gives the trader a seat if it has none.
//!
//! Accounts:
//! 0. `[signer, writable]` payer: pays for the seat when one is created and no seat slot is free.
//! 1. `[]` config.
//! 2. `[]` registry_config: the registry's Config.
//! 3. `[writable]` market.
//! 4. `[]` system_program.
//! 5. `[]` event_authority.
//! 6. `[]` program.
//! 7. and after: `[signer]` cosigners: at least the registry's `regulator_threshold` distinct
//!    regulators; once the registry has a governance program, its authority PDA instead.
//!
//! Emits one `MarketMakerSet` (`seat_created` when the trader got its seat here).

use pinocchio::{AccountView, Address, ProgramResult};
use solgrid_program_kit::{
    clock, discriminator, impl_pod, instruction,
    pod::{PodI64, PodU32},
    KitError,
};

use crate::{
    errors::book_error,
    events::{self, EventAccounts, MarketMakerSet},
    growth, state,
};

pub const DISCRIMINATOR: u64 =
    discriminator::as_u64(discriminator::instruction("set_market_maker"));
pub const ACCOUNTS_LEN: usize = 7;

#[repr(C)]
pub struct SetMarketMakerArgs {
    pub trader: Address,
    /// borsh bool: 0 or 1.
    pub enabled: u8,
}

impl_pod!(SetMarketMakerArgs {
    trader: Address,
    enabled: u8
});

pub fn process(program_id: &Address, accounts: &mut [AccountView], args: &[u8]) -> ProgramResult {
    let args: &SetMarketMakerArgs = instruction::args(args)?;
    if args.enabled > 1 {
        return Err(KitError::InvalidInstructionData.into());
    }
    if accounts.len() < ACCOUNTS_LEN {
        return Err(KitError::NotEnoughAccounts.into());
    }
    let (accounts, cosigners) = accounts.split_at_mut(ACCOUNTS_LEN);
    let [payer, config, registry_config, market, system_program, event_authority, program] =
        accounts
    else {
        return Err(KitError::NotEnoughAccounts.into());
    };
    let event_accounts = EventAccounts::load(program_id, config, event_authority, program)?;
    // SAFETY: Config and the registry's accounts are only read by this program.
    unsafe { state::regulator_quorum(program_id, config, registry_config, cosigners)? };
    let trader = args.trader.as_array();
    // SAFETY: no view of the market's data is used after the growth's CPI and resize (the grown
    // market's view replaces it) nor after the event's CPI.
    let book = unsafe { state::load_market(program_id, market)? };
    let existing = book.seat_of(trader);
    let mut book = if existing.is_none() && book.free_seat_slots() == 0 {
        growth::grow(program_id, payer, market, system_program, 1, 0)?.1
    } else {
        book
    };
    let seat = match existing {
        Some(seat) => seat,
        None => book.claim_seat(trader).map_err(book_error)?,
    };
    book.set_market_maker(seat, trader, args.enabled == 1)
        .map_err(book_error)?;
    events::emit(
        program_id,
        &event_accounts,
        &MarketMakerSet {
            market: *market.address(),
            trader: args.trader,
            seat: PodU32::new(seat),
            enabled: args.enabled,
            seat_created: existing.is_none() as u8,
            timestamp: PodI64::new(clock::unix_timestamp()?),
        },
    )
}
