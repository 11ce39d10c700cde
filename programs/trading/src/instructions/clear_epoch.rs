//! `clear_epoch(epoch: u64)`: anyone fixes the uniform clearing price of an epoch of a periodic
//! market once it has ended, from the per-price aggregates its account kept as orders arrived
//! (O(price levels), at most `MAX_AUCTION_LEVELS`, which keeps the clearing within one transaction's
//! compute budget; nothing is read from the instruction but the epoch's number). The price
//! maximises the executed volume, then minimises the surplus between supply and demand, then lets
//! every order priced better than it fill completely (market pressure), then is the one closest to
//! the market's previous clearing price (see `solgrid_order_book::auction::price`).
//! Epochs clear in order and once: the other slot must not hold an older epoch that is not settled
//! (`EpochOutOfOrder`), and a cleared epoch is refused (`EpochAlreadyCleared`). Nothing clears while
//! the market is paused, its zone Halted or trading paused there by the registry (`TradingPaused`);
//! an epoch already cleared still settles.
//!
//! Accounts:
//! 0. `[]` config.
//! 1. `[]` registry_config: the registry's Config (trading not paused market-wide).
//! 2. `[]` zone: the market's registry Zone (not Halted, trading not paused).
//! 3. `[writable]` market: periodic, Active.
//! 4. `[writable]` epoch_account: the market's epoch account of slot `epoch % 2`, holding `epoch`
//!    (collecting, ended).
//! 5. `[]` other_epoch_account: the market's epoch account of the other slot.
//! 6. `[]` event_authority.
//! 7. `[]` program.
//!
//! Emits `EpochCleared` (the result the epoch account also records).

use pinocchio::{AccountView, Address, ProgramResult};
use solgrid_order_book::auction;
use solgrid_program_kit::{
    clock, discriminator, impl_pod, instruction,
    pod::{PodI64, PodU32, PodU64},
    KitError,
};

use crate::{
    errors::{book_error, TradingError},
    events::{self, EpochCleared, EventAccounts},
    state::{self, MarketStatus},
};

pub const DISCRIMINATOR: u64 = discriminator::as_u64(discriminator::instruction("clear_epoch"));
pub const ACCOUNTS_LEN: usize = 8;

#[repr(C)]
pub struct ClearEpochArgs {
    pub epoch: PodU64,
}

impl_pod!(ClearEpochArgs { epoch: PodU64 });

pub fn process(program_id: &Address, accounts: &mut [AccountView], args: &[u8]) -> ProgramResult {
    let args: &ClearEpochArgs = instruction::args(args)?;
    let [config, registry_config, zone, market, epoch_account, other_epoch_account, event_authority, program, ..] =
        accounts
    else {
        return Err(KitError::NotEnoughAccounts.into());
    };
    let event_accounts = EventAccounts::load(program_id, config, event_authority, program)?;
    let now = clock::unix_timestamp()?;
    let epoch = args.epoch.get();
    let slot = auction::slot_of(epoch);
    let market_key = *market.address();
    // SAFETY: one view of each account (the other epoch account read-only, the registry's Zone
    // only read); none is used after the event is built (its CPI passes only the event authority
    // and Config).
    let mut book = unsafe { state::load_market(program_id, market)? };
    state::periodic(&book)?;
    let header = &*book.header;
    if header.status != MarketStatus::Active as u8 {
        return Err(TradingError::MarketPaused.into());
    }
    unsafe { state::trading_open(header, registry_config, zone)? };
    let zone_id = header.zone_id;
    let other =
        unsafe { state::epoch_header(program_id, other_epoch_account, &market_key, 1 - slot)? };
    let mut view = unsafe { state::load_epoch(program_id, epoch_account, &market_key, slot)? };
    state::holds_epoch(&view, epoch)?;
    let clearing = book
        .clear_auction(&mut view, other, now)
        .map_err(book_error)?;
    let h = &*view.header;
    let event = EpochCleared {
        market: market_key,
        zone_id: PodU32::new(zone_id),
        epoch: args.epoch,
        starts_at: PodI64::new(h.starts_at),
        ends_at: PodI64::new(h.ends_at),
        price: PodU64::new(clearing.price),
        volume_lots: PodU64::new(clearing.volume),
        demand_lots: PodU64::new(clearing.demand),
        supply_lots: PodU64::new(clearing.supply),
        total_bid_lots: PodU64::new(h.total_bid_lots),
        total_ask_lots: PodU64::new(h.total_ask_lots),
        bid_marginal_price: PodU64::new(clearing.bid_marginal_price),
        bid_marginal_lots: PodU64::new(clearing.bid_marginal),
        ask_marginal_price: PodU64::new(clearing.ask_marginal_price),
        ask_marginal_lots: PodU64::new(clearing.ask_marginal),
        reference_price: PodU64::new(h.reference_price),
        orders: PodU32::new(h.live_orders),
        levels: PodU32::new(h.level_count),
        timestamp: PodI64::new(now),
    };
    events::emit(program_id, &event_accounts, &event)
}
