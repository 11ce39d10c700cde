//! `place_auction_order(seat: u32, side: Side, price: u64, lots: u64, client_order_id: u64,
//! expires_at: i64, rollover: bool)`: a Verified trader places an order in the call auction of the
//! current epoch `E = floor(now / epoch_secs)` of a periodic market. It never matches on arrival: it
//! joins `E`'s auction (the epoch account of slot `E % 2`), locks its funds in the trader's seat as a
//! resting order does, and waits for `clear_epoch` and `settle_epoch` after `E` ends. Refused while
//! the registry pauses trading in the market's zone or market-wide (`TradingPaused`).
//!
//! Accounts:
//! 0. `[signer, writable]` trader: pays to grow the epoch account (room for 8 orders and levels)
//!    when it has no room for this order.
//! 1. `[]` config.
//! 2. `[]` registry_config: the registry's Config (trading not paused market-wide).
//! 3. `[]` user: the trader's registry User (Verified; to sell, a prosumer or grid operator of the
//!    market's zone), as for `place_order`.
//! 4. `[]` zone: the market's registry Zone (not Halted, trading not paused).
//! 5. `[writable]` market: periodic, Active.
//! 6. `[writable]` epoch_0: the market's epoch account of slot 0 (PDA `["epoch", market, [0]]`).
//! 7. `[writable]` epoch_1: the market's epoch account of slot 1.
//! 8. `[]` system_program.
//! 9. `[]` event_authority.
//! 10. `[]` program.
//!
//! Both epoch accounts are passed so that a client need not guess which epoch its transaction lands
//! in; both are bound to the market and their slot. The slot of `E` must hold `E` (collecting) or
//! nothing to settle (`Empty` or `Settled`, then it is reset to `E`), and the other slot no unsettled
//! epoch older than `E - 1` (whose rolled orders still go to `E - 1`, in `E`'s slot); otherwise the
//! order is refused (`EpochNotSettled`: anyone may crank first). An epoch holds at most
//! `MAX_AUCTION_LEVELS` (4,096) price levels, so that `clear_epoch` always fits one transaction: an
//! order at a new price beyond them is refused (`TooManyPriceLevels`; one at a price the epoch has
//! still joins), and at most `MAX_AUCTION_ORDERS` (131,072) orders, cancelled ones included
//! (`TooManyAuctionOrders`), so that its account never nears the 10 MiB limit. Emits
//! `AuctionOrderPlaced`.

use pinocchio::{AccountView, Address, ProgramResult};
use solgrid_order_book::{
    auction::{self, AuctionOrder},
    Side,
};
use solgrid_program_kit::{
    checks, clock, discriminator, impl_pod, instruction,
    pod::{PodI64, PodU32, PodU64},
    KitError,
};

use crate::{
    errors::{book_error, TradingError},
    events::{self, AuctionOrderPlaced, EventAccounts},
    growth,
    state::{self, MarketStatus},
};

pub const DISCRIMINATOR: u64 =
    discriminator::as_u64(discriminator::instruction("place_auction_order"));
pub const ACCOUNTS_LEN: usize = 11;

#[repr(C)]
pub struct PlaceAuctionOrderArgs {
    pub seat: PodU32,
    /// A `Side`.
    pub side: u8,
    /// Limit price, ticks.
    pub price: PodU64,
    pub lots: PodU64,
    /// 0, or greater than every client order id the trader used in this market.
    pub client_order_id: PodU64,
    /// 0 = good till cancelled; else not before the end of the order's epoch.
    pub expires_at: PodI64,
    /// 1: an unmatched remainder rolls into the next epoch; 0: it is refunded.
    pub rollover: u8,
}

impl_pod!(PlaceAuctionOrderArgs {
    seat: PodU32,
    side: u8,
    price: PodU64,
    lots: PodU64,
    client_order_id: PodU64,
    expires_at: PodI64,
    rollover: u8,
});

pub fn process(program_id: &Address, accounts: &mut [AccountView], args: &[u8]) -> ProgramResult {
    let args: &PlaceAuctionOrderArgs = instruction::args(args)?;
    let side = Side::from_u8(args.side).ok_or(TradingError::InvalidOrderArgs)?;
    if args.rollover > 1 {
        return Err(TradingError::InvalidOrderArgs.into());
    }
    let [trader, config, registry_config, user, zone, market, epoch_0, epoch_1, system_program, event_authority, program, ..] =
        accounts
    else {
        return Err(KitError::NotEnoughAccounts.into());
    };
    checks::signer(trader)?;
    let event_accounts = EventAccounts::load(program_id, config, event_authority, program)?;
    let now = clock::unix_timestamp()?;
    let order = AuctionOrder {
        side,
        price: args.price.get(),
        lots: args.lots.get(),
        client_order_id: args.client_order_id.get(),
        expires_at: args.expires_at.get(),
        rollover: args.rollover == 1,
    };

    // The market's mode, status and the trader's standing, then the epoch it joins.
    // SAFETY: the registry's accounts are only read; this view of the market is dropped before the
    // epoch account grows (a CPI) and reloaded afterwards.
    let (epoch, slot, epoch_secs) = {
        let book = unsafe { state::load_market(program_id, market)? };
        let epoch_secs = state::periodic(&book)?;
        let header = &*book.header;
        if header.status != MarketStatus::Active as u8 {
            return Err(TradingError::MarketPaused.into());
        }
        unsafe { state::trading_open(header, registry_config, zone)? };
        let registry_program = Address::new_from_array(header.registry_program);
        let user_view = unsafe { state::verified_user(user, &registry_program, trader.address())? };
        if side == Side::Ask {
            if user_view.zone_id.get() != header.zone_id {
                return Err(TradingError::WrongZone.into());
            }
            if !state::may_sell(user_view) {
                return Err(TradingError::RoleCannotSell.into());
            }
        }
        let epoch = auction::epoch_at(now, epoch_secs);
        (epoch, auction::slot_of(epoch), epoch_secs)
    };
    let market_key = *market.address();
    let (account, other) = if slot == 0 {
        (epoch_0, epoch_1)
    } else {
        (epoch_1, epoch_0)
    };
    // The other slot is only read (an unsettled epoch older than E - 1 there keeps E from starting),
    // but both are bound (and writable, as the IDL lists them). A copy of its header outlives the
    // growth's CPI.
    checks::writable(other)?;
    // SAFETY: read only; no mutable view of it exists.
    let other = *unsafe { state::epoch_header(program_id, other, &market_key, 1 - slot)? };
    // Ready the slot for `E` (a reset is written in place and survives the growth) and make room.
    let room = {
        // SAFETY: no other view of the account exists; dropped before the growth.
        let mut view = unsafe { state::load_epoch(program_id, account, &market_key, slot)? };
        view.prepare_for(epoch, epoch_secs).map_err(book_error)?;
        view.bytes_for_order(order.price)
            .saturating_sub(view.free_bytes())
    };
    let (lamports_paid, mut view) = if room > 0 {
        growth::grow_epoch(
            trader,
            account,
            system_program,
            growth::EPOCH_ORDERS_PER_GROWTH * growth::EPOCH_BYTES_PER_ORDER,
        )?
    } else {
        // SAFETY: as above.
        (0, unsafe {
            state::load_epoch(program_id, account, &market_key, slot)?
        })
    };
    // SAFETY: the earlier view of the market was dropped; neither view is used after this call (the
    // event's CPI passes only the event authority and Config).
    let placed = unsafe { state::load_market(program_id, market)? }
        .place_auction(
            &mut view,
            &other,
            args.seat.get(),
            trader.address().as_array(),
            &order,
            now,
        )
        .map_err(book_error)?;
    events::emit(
        program_id,
        &event_accounts,
        &AuctionOrderPlaced {
            market: market_key,
            trader: *trader.address(),
            seat: args.seat,
            epoch: PodU64::new(placed.epoch),
            index: PodU32::new(placed.index),
            order_id: PodU64::new(placed.order_id),
            client_order_id: args.client_order_id,
            side: args.side,
            price: args.price,
            lots: args.lots,
            expires_at: args.expires_at,
            rollover: args.rollover,
            locked: PodU64::new(placed.locked),
            lamports_paid: PodU64::new(lamports_paid),
            timestamp: PodI64::new(now),
        },
    )
}
