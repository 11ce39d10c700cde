//! `cancel_order(seat: u32, side: Side, price: u64, order_id: u64)`: a trader cancels one of its
//! resting orders (the side and price locate it in the book, as the `OrderPlaced` event and the
//! book give them); what it locked returns to the trader's free balance. Allowed whatever the
//! trader's registry standing, the market's status or the zone's.
//!
//! Accounts:
//! 0. `[signer]` trader.
//! 1. `[]` config.
//! 2. `[writable]` market (continuous).
//! 3. `[]` event_authority.
//! 4. `[]` program.
//!
//! Emits `OrderCancelled`.

use pinocchio::{AccountView, Address, ProgramResult};
use solgrid_order_book::Side;
use solgrid_program_kit::{
    checks, clock, discriminator, impl_pod, instruction,
    pod::{PodI64, PodU32, PodU64},
    KitError,
};

use crate::{
    errors::{book_error, TradingError},
    events::{self, EventAccounts, OrderCancelled},
    state,
};

pub const DISCRIMINATOR: u64 = discriminator::as_u64(discriminator::instruction("cancel_order"));
pub const ACCOUNTS_LEN: usize = 5;

#[repr(C)]
pub struct CancelOrderArgs {
    pub seat: PodU32,
    /// A `Side`.
    pub side: u8,
    pub price: PodU64,
    pub order_id: PodU64,
}

impl_pod!(CancelOrderArgs {
    seat: PodU32,
    side: u8,
    price: PodU64,
    order_id: PodU64,
});

pub fn process(program_id: &Address, accounts: &mut [AccountView], args: &[u8]) -> ProgramResult {
    let args: &CancelOrderArgs = instruction::args(args)?;
    let side = Side::from_u8(args.side).ok_or(TradingError::InvalidOrderArgs)?;
    let [trader, config, market, event_authority, program, ..] = accounts else {
        return Err(KitError::NotEnoughAccounts.into());
    };
    checks::signer(trader)?;
    let event_accounts = EventAccounts::load(program_id, config, event_authority, program)?;
    // SAFETY: no other reference into the market's data exists; dropped before the CPI.
    let mut book = unsafe { state::load_market(program_id, market)? };
    state::continuous(&book)?;
    let removal = book
        .cancel(
            args.seat.get(),
            trader.address().as_array(),
            side,
            args.price.get(),
            args.order_id.get(),
        )
        .map_err(book_error)?;
    events::emit(
        program_id,
        &event_accounts,
        &OrderCancelled {
            market: *market.address(),
            trader: *trader.address(),
            order_id: args.order_id,
            client_order_id: PodU64::new(removal.client_order_id),
            side: args.side,
            price: args.price,
            lots: PodU64::new(removal.lots),
            base_released: PodU64::new(removal.base_released),
            quote_released: PodU64::new(removal.quote_released),
            timestamp: PodI64::new(clock::unix_timestamp()?),
        },
    )
}
