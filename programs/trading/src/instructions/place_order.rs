//! `place_order(args: PlaceOrderArgs)`: a Verified trader places a limit, post-only or
//! immediate-or-cancel order. It trades at once against the resting orders it crosses (price-time
//! priority, each fill at the maker's price, settled between the two seats in this instruction),
//! and what is left rests (limit, post-only) or is dropped (IOC). Refused while the registry pauses
//! trading in the market's zone or market-wide (`TradingPaused`).
//!
//! Accounts:
//! 0. `[signer, writable]` trader: pays for eight new order slots when what is left of the order
//!    rests and the market has no free slot (an order that trades completely pays nothing).
//! 1. `[]` config.
//! 2. `[]` registry_config: the registry's Config (trading not paused market-wide).
//! 3. `[]` user: the trader's registry User: Verified; to sell, a prosumer or grid operator of the
//!    market's zone (the energy a zone's market sells comes from that zone's producers). Buyers may be
//!    any verified user of any zone. Market makers follow the same rules (they are exempt from the
//!    per-epoch order limit only).
//! 4. `[]` zone: the market's registry Zone (not Halted, trading not paused).
//! 5. `[writable]` market (continuous, Active).
//! 6. `[]` system_program.
//! 7. `[]` event_authority.
//! 8. `[]` program.
//!
//! Emits one `OrderPlaced` whose `steps` list every fill and every resting order removed on the
//! way (expired, or by the self-trade mode), however many: one self-CPI, never truncated.

use pinocchio::{AccountView, Address, ProgramResult};
use solgrid_order_book::{NewOrder, OrderKind, SelfTradeMode, Side};
use solgrid_program_kit::{
    checks, clock, discriminator, impl_pod, instruction,
    pod::{PodI64, PodU32, PodU64},
    KitError,
};

use crate::{
    errors::{book_error, TradingError},
    events::{EventAccounts, EventBuffer, OrderPlaced, StepWriter},
    growth,
    state::{self, MarketStatus},
};

pub const DISCRIMINATOR: u64 = discriminator::as_u64(discriminator::instruction("place_order"));
pub const ACCOUNTS_LEN: usize = 9;

#[repr(C)]
pub struct PlaceOrderArgs {
    pub seat: PodU32,
    /// A `Side`.
    pub side: u8,
    /// An `OrderKind`.
    pub kind: u8,
    /// A `SelfTradeMode`.
    pub self_trade: u8,
    /// Limit price, ticks.
    pub price: PodU64,
    pub lots: PodU64,
    /// 0, or greater than every client order id the trader used in this market.
    pub client_order_id: PodU64,
    /// Cluster Unix time from which the order no longer matches; 0 = good till cancelled.
    pub expires_at: PodI64,
    /// Most fills and removals (1 ..= 80).
    pub max_matches: u8,
}

impl_pod!(PlaceOrderArgs {
    seat: PodU32,
    side: u8,
    kind: u8,
    self_trade: u8,
    price: PodU64,
    lots: PodU64,
    client_order_id: PodU64,
    expires_at: PodI64,
    max_matches: u8,
});

pub fn process(program_id: &Address, accounts: &mut [AccountView], args: &[u8]) -> ProgramResult {
    let args: &PlaceOrderArgs = instruction::args(args)?;
    let (Some(side), Some(kind), Some(self_trade)) = (
        Side::from_u8(args.side),
        OrderKind::from_u8(args.kind),
        SelfTradeMode::from_u8(args.self_trade),
    ) else {
        return Err(TradingError::InvalidOrderArgs.into());
    };
    let [trader, config, registry_config, user, zone, market, system_program, event_authority, program, ..] =
        accounts
    else {
        return Err(KitError::NotEnoughAccounts.into());
    };
    checks::signer(trader)?;
    let event_accounts = EventAccounts::load(program_id, config, event_authority, program)?;
    let seat = args.seat.get();
    let key = trader.address().as_array();
    let now = clock::unix_timestamp()?;
    let order = NewOrder {
        side,
        kind,
        price: args.price.get(),
        lots: args.lots.get(),
        client_order_id: args.client_order_id.get(),
        expires_at: args.expires_at.get(),
        self_trade,
        max_matches: args.max_matches as u32,
    };
    // The steps are written into the heap region as matching reports them; a growth (a System
    // transfer CPI and a resize) does not touch it.
    let mut buffer = EventBuffer::with_vec::<OrderPlaced>()?;
    let mut writer = StepWriter {
        buffer: &mut buffer,
        count: 0,
    };
    // Match first; the market grows only when the remainder rests and no order slot is free, so an
    // order that trades completely never pays for slots.
    // SAFETY: the registry's accounts are only read; this view of the market's data is not used after
    // the growth's CPI and resize (the resting phase then uses the grown market's view) nor after the
    // event's CPI.
    let mut book = unsafe { state::load_market(program_id, market)? };
    state::continuous(&book)?;
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
    let matched = book
        .match_order(seat, key, &order, now, &mut writer)
        .map_err(book_error)?;
    let mut book = if book.free_order_slots() == 0 && book.rests(&order, &matched) {
        growth::grow(
            program_id,
            trader,
            market,
            system_program,
            0,
            growth::ORDER_SLOTS_PER_GROWTH,
        )?
        .1
    } else {
        book
    };
    let outcome = book
        .finish_order(seat, &order, &matched, now)
        .map_err(book_error)?;
    let steps = writer.count;
    buffer.finish_vec::<OrderPlaced>(steps);
    buffer.finish_head(&OrderPlaced {
        market: *market.address(),
        trader: *trader.address(),
        seat: args.seat,
        order_id: PodU64::new(outcome.order_id),
        client_order_id: args.client_order_id,
        side: args.side,
        kind: args.kind,
        self_trade: args.self_trade,
        price: args.price,
        lots: args.lots,
        expires_at: args.expires_at,
        filled_lots: PodU64::new(outcome.filled_lots),
        base_traded: PodU64::new(outcome.base_traded),
        quote_traded: PodU64::new(outcome.quote_traded),
        taker_fee: PodU64::new(outcome.taker_fee),
        rested_lots: PodU64::new(outcome.rested_lots),
        cancelled_lots: PodU64::new(outcome.cancelled_lots),
        state: outcome.state as u8,
        timestamp: PodI64::new(now),
    });
    buffer.emit(program_id, &event_accounts)
}
