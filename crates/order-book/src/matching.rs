//! Continuous matching with price-time priority, cancellation and pruning of expired orders.
//!
//! An incoming order trades against the best opposite orders while they cross its limit price, each
//! fill at the resting (maker) order's price, and settles every fill between the two seats at once:
//! makers are credited without being online. What is left rests (limit, post-only) or is dropped
//! (immediate-or-cancel). Expired resting orders met on the way are removed and their funds
//! released; a resting order of the same trader is handled by the incoming order's self-trade mode.

use crate::{
    error::BookError,
    layout::{Key, Market, Order, FLAG_FILLED_ON_ENTRY},
    math::{self, fee},
    records::{Fill, NewOrder, PlaceOutcome, Removal, Sink},
    types::{OrderKind, OrderState, RemovalReason, SelfTradeMode, Side},
    MAX_MATCHES, MAX_PRICE_TICKS,
};

/// An incoming order after matching ([`Market::match_order`]): what it traded so far and the lots
/// left, which [`Market::finish_order`] rests or drops. It holds no reference into the market, so the
/// market's bytes may be reloaded (and the account grown) between the two phases.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Matched {
    pub outcome: PlaceOutcome,
    /// Lots neither traded nor dropped yet.
    pub remaining: u64,
}

impl Market<'_> {
    /// Places `order` for the trader of seat `seat` at cluster time `now`: [`Self::match_order`]
    /// then [`Self::finish_order`] (a remainder that rests needs a free order slot). Continuous
    /// markets only (`WrongMarketMode`; so are `cancel` and `prune_expired`).
    pub fn place(
        &mut self,
        seat: u32,
        trader: &Key,
        order: &NewOrder,
        now: i64,
        sink: &mut impl Sink,
    ) -> Result<PlaceOutcome, BookError> {
        let matched = self.match_order(seat, trader, order, now, sink)?;
        self.finish_order(seat, order, &matched, now)
    }

    /// The first phase of placing `order`: checks it, takes its order id (and client order id) and
    /// trades it against the resting orders it crosses, reporting every fill and removal to `sink`.
    /// Nothing rests yet and no order slot is needed.
    pub fn match_order(
        &mut self,
        seat: u32,
        trader: &Key,
        order: &NewOrder,
        now: i64,
        sink: &mut impl Sink,
    ) -> Result<Matched, BookError> {
        let header = &*self.header;
        if header.epoch_secs != 0 {
            return Err(BookError::WrongMarketMode);
        }
        if order.lots == 0 {
            return Err(BookError::ZeroQuantity);
        }
        if order.lots < header.min_order_lots {
            return Err(BookError::BelowMinimumOrder);
        }
        if order.price == 0 || order.price > MAX_PRICE_TICKS {
            return Err(BookError::InvalidPrice);
        }
        if order.max_matches == 0 || order.max_matches > MAX_MATCHES {
            return Err(BookError::InvalidMatchLimit);
        }
        if order.expires_at != 0 && order.expires_at <= now {
            return Err(BookError::AlreadyExpired);
        }
        // Every amount of this order fits in 64 bits: the whole order at its limit price, with the
        // larger fee rate on top, and its base atoms.
        let bpl = header.base_atoms_per_lot;
        let qplt = header.quote_per_lot_tick;
        let taker_bps = header.taker_fee_bps;
        let limit_unit = math::mul(order.price, qplt)?;
        let whole = math::mul(order.lots, limit_unit)?;
        math::add(whole, fee(whole, taker_bps.max(header.maker_fee_bps)))?;
        math::mul(order.lots, bpl)?;

        let taker = self.seat(seat, trader)?;
        if order.client_order_id != 0 {
            if order.client_order_id <= taker.last_client_order_id {
                return Err(BookError::ClientOrderIdReused);
            }
            taker.last_client_order_id = order.client_order_id;
        }
        let order_id = self.header.next_order_id;
        self.header.next_order_id = math::add(order_id, 1)?;

        let mut out = PlaceOutcome {
            order_id,
            filled_lots: 0,
            base_traded: 0,
            quote_traded: 0,
            taker_fee: 0,
            rested_lots: 0,
            cancelled_lots: 0,
            state: OrderState::Active,
            fills: 0,
            removals: 0,
        };
        let mut remaining = order.lots;
        let mut steps = 0u32;
        let maker_side = order.side.opposite();
        while remaining > 0 && steps < order.max_matches {
            let Some(best) = self.best(maker_side) else {
                break;
            };
            let maker = self.orders[best];
            let crosses = match order.side {
                Side::Bid => maker.price <= order.price,
                Side::Ask => maker.price >= order.price,
            };
            if !crosses {
                break;
            }
            steps += 1;
            if maker.is_expired(now) {
                let removal = self.remove_released(best, RemovalReason::Expired)?;
                sink.removal(&removal)?;
                out.removals += 1;
                continue;
            }
            if order.kind == OrderKind::PostOnly {
                return Err(BookError::PostOnlyWouldCross);
            }
            if maker.seat == seat {
                match order.self_trade {
                    SelfTradeMode::Abort => return Err(BookError::SelfTrade),
                    SelfTradeMode::CancelResting => {
                        let removal =
                            self.remove_released(best, RemovalReason::SelfTradeCancelled)?;
                        sink.removal(&removal)?;
                    }
                    SelfTradeMode::DecrementBoth => {
                        let lots = remaining.min(maker.lots);
                        let removal = self.decrement(best, lots)?;
                        sink.removal(&removal)?;
                        remaining -= lots;
                        out.cancelled_lots += lots;
                    }
                }
                out.removals += 1;
                continue;
            }
            let fill = self.fill(
                best,
                seat,
                order.side,
                remaining,
                out.quote_traded,
                out.taker_fee,
            )?;
            sink.fill(&fill)?;
            remaining -= fill.lots;
            out.fills += 1;
            out.filled_lots += fill.lots;
            out.base_traded += fill.base_amount;
            out.quote_traded += fill.quote_amount;
            out.taker_fee += fill.taker_fee;
        }
        Ok(Matched {
            outcome: out,
            remaining,
        })
    }

    /// The remainder of `matched` (an incoming `order` after [`Self::match_order`]) will rest: it is
    /// not IOC and the book no longer crosses it. It then needs a free order slot.
    #[inline]
    pub fn rests(&self, order: &NewOrder, matched: &Matched) -> bool {
        matched.remaining > 0
            && order.kind != OrderKind::ImmediateOrCancel
            && !self.crosses(order.side, order.price)
    }

    /// The second phase of placing `order` for the trader of seat `seat`: rests the remainder of
    /// `matched` (when [`Self::rests`]: counting the epoch limit and locking its funds) or drops it,
    /// and gives the order's final outcome.
    #[inline]
    pub fn finish_order(
        &mut self,
        seat: u32,
        order: &NewOrder,
        matched: &Matched,
        now: i64,
    ) -> Result<PlaceOutcome, BookError> {
        let mut out = matched.outcome;
        let remaining = matched.remaining;
        if self.rests(order, matched) {
            self.rest(
                seat,
                order,
                out.order_id,
                remaining,
                out.filled_lots > 0,
                now,
            )?;
            out.rested_lots = remaining;
        } else {
            // Nothing rests: IOC by definition; a limit order whose match limit stopped matching
            // against a book that still crosses it would leave a crossed book.
            out.cancelled_lots += remaining;
        }
        out.state = if out.rested_lots > 0 {
            if out.filled_lots > 0 {
                OrderState::PartiallyFilled
            } else {
                OrderState::Active
            }
        } else if out.filled_lots == order.lots {
            OrderState::Filled
        } else {
            OrderState::Cancelled
        };
        Ok(out)
    }

    /// Trades up to `wanted` lots of the incoming order against the resting order at `best` and
    /// settles the fill between the two seats. `taker_quote_before` is the quote the incoming order
    /// traded so far and `taker_fee_before` the taker fee it paid on it: its taker fee is charged on
    /// the cumulative amount, so what it paid so far is `fee(taker_quote_before)` (the increments
    /// telescope from `fee(0) = 0`).
    fn fill(
        &mut self,
        best: usize,
        taker_seat: u32,
        taker_side: Side,
        wanted: u64,
        taker_quote_before: u64,
        taker_fee_before: u64,
    ) -> Result<Fill, BookError> {
        let qplt = self.header.quote_per_lot_tick;
        let bpl = self.header.base_atoms_per_lot;
        let taker_bps = self.header.taker_fee_bps;
        let maker = &mut self.orders[best];
        let lots = wanted.min(maker.lots);
        // The maker's own placement checked that its whole order fits in 64 bits.
        let unit = math::mul(maker.price, qplt)?;
        let quote = math::mul(lots, unit)?;
        let base = math::mul(lots, bpl)?;
        let filled_before = math::mul(maker.filled_as_maker(), unit)?;
        let maker_fee = fee(filled_before + quote, maker.maker_fee_bps)
            - fee(filled_before, maker.maker_fee_bps);
        let taker_quote_after = math::add(taker_quote_before, quote)?;
        let taker_fee = fee(taker_quote_after, taker_bps) - taker_fee_before;
        maker.lots -= lots;
        let maker_order = *maker;

        let taker = &mut self.seats[taker_seat as usize];
        match taker_side {
            Side::Bid => {
                taker.quote_free = math::spend(taker.quote_free, quote + taker_fee)?;
                taker.base_free = math::add(taker.base_free, base)?;
            }
            Side::Ask => {
                taker.base_free = math::spend(taker.base_free, base)?;
                taker.quote_free = math::add(taker.quote_free, quote - taker_fee)?;
            }
        }
        let maker_seat = &mut self.seats[maker_order.seat as usize];
        match taker_side {
            Side::Bid => {
                maker_seat.base_locked = math::sub(maker_seat.base_locked, base)?;
                maker_seat.quote_free = math::add(maker_seat.quote_free, quote - maker_fee)?;
            }
            Side::Ask => {
                maker_seat.quote_locked = math::sub(maker_seat.quote_locked, quote + maker_fee)?;
                maker_seat.base_free = math::add(maker_seat.base_free, base)?;
            }
        }
        let maker_key = maker_seat.trader;
        if maker_order.lots == 0 {
            maker_seat.open_orders -= 1;
            self.remove(best);
        }
        let header = &mut *self.header;
        header.fees_accrued = math::add(header.fees_accrued, maker_fee + taker_fee)?;
        header.base_volume = math::add(header.base_volume, base)?;
        header.quote_volume = math::add(header.quote_volume, quote)?;
        header.trade_count += 1;
        Ok(Fill {
            maker: maker_key,
            maker_order_id: maker_order.order_id,
            maker_client_order_id: maker_order.client_order_id,
            price: maker_order.price,
            lots,
            base_amount: base,
            quote_amount: quote,
            maker_fee,
            taker_fee,
            maker_remaining_lots: maker_order.lots,
        })
    }

    /// Reduces the resting order at `index` by `lots` without a trade (self-trade DecrementBoth),
    /// releasing what those lots locked; removes it when nothing is left.
    fn decrement(&mut self, index: usize, lots: u64) -> Result<Removal, BookError> {
        let order = self.orders[index];
        if lots == order.lots {
            let mut removal = self.remove_released(index, RemovalReason::SelfTradeDecremented)?;
            removal.lots = lots;
            return Ok(removal);
        }
        let bpl = self.header.base_atoms_per_lot;
        let qplt = self.header.quote_per_lot_tick;
        let before = crate::escrow::locked_by(&order, bpl, qplt)?;
        // The lots leave as if they had never rested: the lock formula stays that of an order of
        // `initial_lots - lots` of which the same amount traded.
        let order = {
            let resting = &mut self.orders[index];
            resting.lots -= lots;
            resting.initial_lots -= lots;
            *resting
        };
        let after = crate::escrow::locked_by(&order, bpl, qplt)?;
        let released = before - after;
        let seat = &mut self.seats[order.seat as usize];
        let (base_released, quote_released) = if order.side == Side::Ask as u8 {
            seat.base_locked = math::sub(seat.base_locked, released)?;
            seat.base_free = math::add(seat.base_free, released)?;
            (released, 0)
        } else {
            seat.quote_locked = math::sub(seat.quote_locked, released)?;
            seat.quote_free = math::add(seat.quote_free, released)?;
            (0, released)
        };
        Ok(Removal {
            trader: seat.trader,
            order_id: order.order_id,
            client_order_id: order.client_order_id,
            price: order.price,
            lots,
            remaining_lots: order.lots,
            base_released,
            quote_released,
            side: if order.side == Side::Bid as u8 {
                Side::Bid
            } else {
                Side::Ask
            },
            reason: RemovalReason::SelfTradeDecremented,
        })
    }

    /// Rests `lots` of `order` under `order_id`: counts it against the trader's epoch limit (market
    /// makers are exempt), locks its funds and inserts it.
    fn rest(
        &mut self,
        seat: u32,
        order: &NewOrder,
        order_id: u64,
        lots: u64,
        filled_on_entry: bool,
        now: i64,
    ) -> Result<(), BookError> {
        let maker_fee_bps = self.header.maker_fee_bps;
        let resting = Order {
            price: order.price,
            order_id,
            lots,
            initial_lots: lots,
            client_order_id: order.client_order_id,
            expires_at: order.expires_at,
            seat,
            side: order.side as u8,
            flags: if filled_on_entry {
                FLAG_FILLED_ON_ENTRY
            } else {
                0
            },
            maker_fee_bps,
        };
        let lock = crate::escrow::locked_by(
            &resting,
            self.header.base_atoms_per_lot,
            self.header.quote_per_lot_tick,
        )?;
        self.count_order(seat, now)?;
        self.lock(seat, order.side, lock)?;
        self.insert(resting)?;
        Ok(())
    }

    /// Cancels the trader's resting order `order_id` of `side` at `price`, releasing its funds.
    pub fn cancel(
        &mut self,
        seat: u32,
        trader: &Key,
        side: Side,
        price: u64,
        order_id: u64,
    ) -> Result<Removal, BookError> {
        if self.header.epoch_secs != 0 {
            return Err(BookError::WrongMarketMode);
        }
        self.seat(seat, trader)?;
        let index = self
            .find(side, price, order_id)
            .ok_or(BookError::OrderNotFound)?;
        if self.orders[index].seat != seat {
            return Err(BookError::NotOrderOwner);
        }
        self.remove_released(index, RemovalReason::Cancelled)
    }

    /// Removes up to `max` expired orders (anywhere in the book) and releases their funds; returns
    /// how many it removed. Anyone may run it.
    pub fn prune_expired(
        &mut self,
        now: i64,
        max: u32,
        sink: &mut impl Sink,
    ) -> Result<u32, BookError> {
        if self.header.epoch_secs != 0 {
            return Err(BookError::WrongMarketMode);
        }
        let mut removed = 0;
        // Bids: worst first, so walk from the best (last) down; asks: best first.
        let mut index = self.header.bid_count as usize;
        while index > 0 && removed < max {
            index -= 1;
            if self.orders[index].is_expired(now) {
                sink.removal(&self.remove_released(index, RemovalReason::Expired)?)?;
                removed += 1;
            }
        }
        let mut index = self.orders.len() - self.header.ask_count as usize;
        while index < self.orders.len() && removed < max {
            if self.orders[index].is_expired(now) {
                sink.removal(&self.remove_released(index, RemovalReason::Expired)?)?;
                removed += 1;
                // The asks before `index` shifted right by one: the next unvisited ask is at index + 1.
            }
            index += 1;
        }
        Ok(removed)
    }

    /// Registers or unregisters the trader of seat `index` as a market maker.
    pub fn set_market_maker(
        &mut self,
        index: u32,
        trader: &Key,
        enabled: bool,
    ) -> Result<(), BookError> {
        self.seat(index, trader)?.market_maker = enabled as u8;
        Ok(())
    }
}
