//! `cancel_auction_order(seat: u32, epoch: u64, index: u32, order_id: u64)`: a trader cancels one
//! of its auction orders (located by the epoch it joined and its index there, as
//! `AuctionOrderPlaced` gives them) while that epoch collects orders, i.e. before the epoch ends
//! (gate closure): afterwards the order is committed to the clearing (`AuctionClosed`), unless the
//! market is paused or the registry pauses trading in its zone or market-wide (neither clears, so
//! the funds may leave). What the order locked returns to the trader's free balance; the order
//! stays in the epoch account as a tombstone. Allowed whatever the trader's registry standing or the
//! zone's status.
//!
//! Accounts:
//! 0. `[signer]` trader.
//! 1. `[]` config.
//! 2. `[]` registry_config: the registry's Config (its pause flags).
//! 3. `[]` zone: the market's registry Zone (its pause flags).
//! 4. `[writable]` market: periodic.
//! 5. `[writable]` epoch_account: the market's epoch account of slot `epoch % 2`, holding `epoch`.
//! 6. `[]` event_authority.
//! 7. `[]` program.
//!
//! Emits `AuctionOrderCancelled`.

use pinocchio::{AccountView, Address, ProgramResult};
use solgrid_order_book::auction;
use solgrid_program_kit::{
    checks, clock, discriminator, impl_pod, instruction,
    pod::{PodI64, PodU32, PodU64},
    KitError,
};

use crate::{
    errors::book_error,
    events::{self, AuctionOrderCancelled, EventAccounts},
    state,
};

pub const DISCRIMINATOR: u64 =
    discriminator::as_u64(discriminator::instruction("cancel_auction_order"));
pub const ACCOUNTS_LEN: usize = 8;

#[repr(C)]
pub struct CancelAuctionOrderArgs {
    pub seat: PodU32,
    /// The epoch the order joined.
    pub epoch: PodU64,
    /// Its index in that epoch's account.
    pub index: PodU32,
    pub order_id: PodU64,
}

impl_pod!(CancelAuctionOrderArgs {
    seat: PodU32,
    epoch: PodU64,
    index: PodU32,
    order_id: PodU64,
});

pub fn process(program_id: &Address, accounts: &mut [AccountView], args: &[u8]) -> ProgramResult {
    let args: &CancelAuctionOrderArgs = instruction::args(args)?;
    let [trader, config, registry_config, zone, market, epoch_account, event_authority, program, ..] =
        accounts
    else {
        return Err(KitError::NotEnoughAccounts.into());
    };
    checks::signer(trader)?;
    let event_accounts = EventAccounts::load(program_id, config, event_authority, program)?;
    let now = clock::unix_timestamp()?;
    let epoch = args.epoch.get();
    let market_key = *market.address();
    // SAFETY: one view of each account, not used after the call below (the event's CPI passes only
    // the event authority and Config).
    let mut book = unsafe { state::load_market(program_id, market)? };
    state::periodic(&book)?;
    let (trading_paused, _) = unsafe { state::trading_pause(book.header, registry_config, zone)? };
    let mut view = unsafe {
        state::load_epoch(
            program_id,
            epoch_account,
            &market_key,
            auction::slot_of(epoch),
        )?
    };
    state::holds_epoch(&view, epoch)?;
    let removal = book
        .cancel_auction(
            &mut view,
            args.seat.get(),
            trader.address().as_array(),
            args.index.get(),
            args.order_id.get(),
            now,
            trading_paused,
        )
        .map_err(book_error)?;
    events::emit(
        program_id,
        &event_accounts,
        &AuctionOrderCancelled {
            market: market_key,
            trader: *trader.address(),
            epoch: args.epoch,
            index: args.index,
            order_id: args.order_id,
            client_order_id: PodU64::new(removal.client_order_id),
            side: removal.side as u8,
            price: PodU64::new(removal.price),
            lots: PodU64::new(removal.lots),
            base_released: PodU64::new(removal.base_released),
            quote_released: PodU64::new(removal.quote_released),
            timestamp: PodI64::new(now),
        },
    )
}
