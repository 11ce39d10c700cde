//! Auction orders on a [`Market`]: placing one into its epoch's auction, cancelling it before the
//! gate closure, clearing an epoch, and settling its orders in chunks.
//!
//! Settlement walks the orders in index order (time priority). For a live order with `lots` left
//! and limit `price`, its fill `q` at the clearing price `p*` is: a bid above the bid side's
//! marginal price `pb` fills completely, a bid at `pb` takes `min(lots, bid_marginal_left)` (which
//! shrinks by it), any other bid nothing; asks mirror this around `pa`. The order's whole lock is
//! released to its owner's free balance, then:
//! * a bid pays `cost = q * p* * quote_per_lot_tick` plus its maker fee
//!   `min(fee(cost), fee(lots * unit) - fee((lots - q) * unit))` (`unit` = its limit price's
//!   quote per lot: never more than its lock reserved for those lots, so a rolled remainder can
//!   always lock again) and receives `q * base_atoms_per_lot`;
//! * an ask delivers `q * base_atoms_per_lot` and receives `cost - fee(cost)`.
//!
//! Every auction order pays the maker fee rate stored in it (all auction orders rest). A remainder
//! `r = lots - q > 0` of an order with the rollover flag whose expiry is 0 or at or after the end
//! of the next epoch rolls: it joins the next epoch's auction (same order id, client order id,
//! price, side, expiry, seat, fee rate) with `lots = initial_lots = r` and locks again; otherwise
//! it is refunded (its lock was released) and the order leaves. A remainder that should roll is
//! refunded too when the next epoch cannot take it ([`Epoch::admits`]: it holds
//! [`MAX_AUCTION_ORDERS`](super::MAX_AUCTION_ORDERS) orders, or
//! [`MAX_AUCTION_LEVELS`](super::MAX_AUCTION_LEVELS) levels and none at the order's price), reported
//! as [`SettlementOutcome::EpochFull`] or [`SettlementOutcome::PartiallyFilledEpochFull`]:
//! settlement never fails for a full next epoch.
//!
//! Between the delivering and the receiving side's chunks, tokens are in transit: the epoch header
//! counts `base_delivered - base_received` and `quote_paid - quote_received`, so that at every
//! chunk boundary the vaults hold exactly the seats' balances, the accrued fees and the transit.

use crate::{
    auction::{
        epoch::{Epoch, EpochHeader, EpochState, LEVEL_LEN},
        epoch_at,
        price::Clearing,
        slot_of, MAX_SETTLE_CHUNK,
    },
    error::BookError,
    escrow::locked_by,
    layout::{Key, Market, Order, FLAG_ROLLED_IN, FLAG_ROLLOVER, ORDER_LEN},
    math::{self, fee},
    records::Removal,
    types::{RemovalReason, Side},
    MAX_PRICE_TICKS,
};

/// An order for the call auction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuctionOrder {
    pub side: Side,
    /// Limit price, ticks.
    pub price: u64,
    pub lots: u64,
    /// 0, or greater than every client order id the trader used before.
    pub client_order_id: u64,
    /// 0 = good till cancelled; else at or after the end of the order's first epoch.
    pub expires_at: i64,
    /// What is not matched in an epoch rolls into the next one (else it is refunded).
    pub rollover: bool,
}

/// Where an auction order went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuctionPlaced {
    pub order_id: u64,
    /// The epoch whose auction it joined.
    pub epoch: u64,
    /// Its index in that epoch (its time priority).
    pub index: u32,
    /// Atoms it locks: base for an ask, quote (price and maker fee) for a bid.
    pub locked: u64,
}

crate::types::byte_enum!(
    /// What the settlement of one auction order did.
    SettlementOutcome {
        /// Every lot traded.
        Filled = 0,
        /// Some lots traded; the rest rolled into the next epoch.
        PartiallyFilledRolled = 1,
        /// Some lots traded; the rest was refunded.
        PartiallyFilledExpired = 2,
        /// Nothing traded; the order rolled into the next epoch.
        Rolled = 3,
        /// Nothing traded; the order was refunded.
        Expired = 4,
        /// Some lots traded; the rest would have rolled, but the next epoch was full (at its most
        /// orders, or at its most price levels with none at the order's price), so it was refunded.
        PartiallyFilledEpochFull = 5,
        /// Nothing traded; the order would have rolled, but the next epoch was full, so it was
        /// refunded.
        EpochFull = 6,
    }
);

/// The settlement of one live auction order. `#[repr(C)]` with naturally aligned fields: its
/// first [`Settlement::BORSH_LEN`] bytes are its borsh encoding.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settlement {
    pub trader: Key,
    pub order_id: u64,
    pub client_order_id: u64,
    /// The order's limit price, ticks (it traded at the epoch's clearing price).
    pub price: u64,
    pub filled_lots: u64,
    /// Base atoms delivered (ask) or received (bid).
    pub base_amount: u64,
    /// Quote atoms paid (bid) or received (ask), before fees.
    pub quote_amount: u64,
    /// Quote atoms of maker fee charged.
    pub fee: u64,
    /// Base atoms returned from locked to free beyond what traded (an ask's refund).
    pub base_released: u64,
    /// Quote atoms returned from locked to free beyond what was paid (a bid's refund: its limit
    /// minus the clearing price, unused fee reserve, and an unmatched remainder).
    pub quote_released: u64,
    /// Lots that did not trade (rolled or refunded).
    pub remaining_lots: u64,
    /// The order's index in this epoch.
    pub index: u32,
    /// Its index in the next epoch when it rolled, else `u32::MAX`.
    pub rolled_index: u32,
    pub side: Side,
    pub outcome: SettlementOutcome,
}

impl Settlement {
    pub const BORSH_LEN: usize = 32 + 10 * 8 + 2 * 4 + 2;
    /// `rolled_index` of an order that did not roll.
    pub const NOT_ROLLED: u32 = u32::MAX;
}
const _: () = assert!(core::mem::offset_of!(Settlement, outcome) + 1 == Settlement::BORSH_LEN);

/// Receives the settlement records of a chunk, in index order.
pub trait SettlementSink {
    fn settlement(&mut self, settlement: &Settlement) -> Result<(), BookError>;
}

/// What one settlement chunk did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChunkOutcome {
    /// First index walked.
    pub from: u32,
    /// One past the last index walked (the epoch's cursor afterwards).
    pub to: u32,
    /// Live orders settled (one record each).
    pub settled: u32,
    /// Of those, orders that traded.
    pub matched: u32,
    /// Of those, orders that rolled into the next epoch.
    pub rolled: u32,
    /// The epoch is settled.
    pub done: bool,
}

impl Market<'_> {
    /// Places `order` for the trader of seat `seat` at cluster time `now` into `epoch`, which must
    /// hold the current epoch `E = epoch_at(now, epoch_secs)` in its slot `E % 2` and collect orders
    /// (`WrongEpoch`, `WrongEpochAccount`; the caller prepares it with [`Epoch::prepare_for`] and
    /// grows it to fit [`Epoch::bytes_for_order`], else `BookFull`). `other` is the market's other
    /// slot: while it holds an epoch older than `E - 1` that is not settled, that epoch's rolled
    /// orders must still go to `E - 1`, in this slot, so `E` cannot start (`EpochNotSettled`: crank
    /// first). Checks as a resting order
    /// (quantity, minimum, price, client order id, the per-seat order limit unless market maker,
    /// every amount within 64 bits), plus an expiry of 0 or at or after the epoch's end
    /// (`ExpiresBeforeAuction`) and room in the epoch's limits ([`Epoch::admits`]:
    /// `TooManyAuctionOrders`, `TooManyPriceLevels`). Locks the funds as a resting order with
    /// `initial_lots = lots`, and adds the lots to the epoch's level.
    pub fn place_auction(
        &mut self,
        epoch: &mut Epoch,
        other: &EpochHeader,
        seat: u32,
        trader: &Key,
        order: &AuctionOrder,
        now: i64,
    ) -> Result<AuctionPlaced, BookError> {
        let header = &*self.header;
        if header.epoch_secs == 0 {
            return Err(BookError::WrongMarketMode);
        }
        let number = epoch_at(now, header.epoch_secs);
        if epoch.header.state() != EpochState::Collecting || epoch.header.epoch != number {
            return Err(BookError::WrongEpoch);
        }
        if epoch.header.slot != slot_of(number)
            || other.market != epoch.header.market
            || other.slot == epoch.header.slot
        {
            return Err(BookError::WrongEpochAccount);
        }
        let pending = matches!(
            other.state(),
            EpochState::Collecting | EpochState::PriceFixed
        );
        if pending && other.epoch.saturating_add(1) < number {
            return Err(BookError::EpochNotSettled);
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
        if order.expires_at != 0 && order.expires_at < epoch.header.ends_at {
            return Err(BookError::ExpiresBeforeAuction);
        }
        // Every amount of this order fits in 64 bits: the whole order at its limit price with its
        // fee, and its base atoms (settlement computes nothing larger).
        let unit = math::mul(order.price, header.quote_per_lot_tick)?;
        let whole = math::mul(order.lots, unit)?;
        math::add(whole, fee(whole, header.maker_fee_bps))?;
        math::mul(order.lots, header.base_atoms_per_lot)?;
        epoch.admits(order.price)?;
        let auction_orders = header
            .auction_orders
            .checked_add(1)
            .ok_or(BookError::Overflow)?;

        let owner = self.seat(seat, trader)?;
        if order.client_order_id != 0 {
            if order.client_order_id <= owner.last_client_order_id {
                return Err(BookError::ClientOrderIdReused);
            }
            owner.last_client_order_id = order.client_order_id;
        }
        let order_id = self.header.next_order_id;
        self.header.next_order_id = math::add(order_id, 1)?;
        let joined = Order {
            price: order.price,
            order_id,
            lots: order.lots,
            initial_lots: order.lots,
            client_order_id: order.client_order_id,
            expires_at: order.expires_at,
            seat,
            side: order.side as u8,
            flags: if order.rollover { FLAG_ROLLOVER } else { 0 },
            maker_fee_bps: self.header.maker_fee_bps,
        };
        let locked = locked_by(
            &joined,
            self.header.base_atoms_per_lot,
            self.header.quote_per_lot_tick,
        )?;
        self.count_order(seat, now)?;
        self.lock(seat, order.side, locked)?;
        self.header.auction_orders = auction_orders;
        let index = epoch.push(&joined, order.side)?;
        Ok(AuctionPlaced {
            order_id,
            epoch: number,
            index,
            locked,
        })
    }

    /// Cancels the trader's auction order at `index` of `epoch` (its id must be `order_id`:
    /// `OrderNotFound`, also for a cancelled one; another trader's: `NotOrderOwner`) while the
    /// epoch collects and has not ended (`AuctionClosed` afterwards, unless the market is not
    /// active or `trading_paused`, trading being paused for the market's zone by governance:
    /// neither can clear, so its funds may leave). Releases its lock and leaves a tombstone.
    #[allow(clippy::too_many_arguments)]
    pub fn cancel_auction(
        &mut self,
        epoch: &mut Epoch,
        seat: u32,
        trader: &Key,
        index: u32,
        order_id: u64,
        now: i64,
        trading_paused: bool,
    ) -> Result<Removal, BookError> {
        if self.header.epoch_secs == 0 {
            return Err(BookError::WrongMarketMode);
        }
        self.seat(seat, trader)?;
        let active = self.header.status == 0 && !trading_paused;
        if epoch.header.state() != EpochState::Collecting || (active && epoch.header.closed(now)) {
            return Err(BookError::AuctionClosed);
        }
        let order = match epoch.order(index) {
            Some(o) if o.order_id == order_id && o.lots > 0 => *o,
            _ => return Err(BookError::OrderNotFound),
        };
        if order.seat != seat {
            return Err(BookError::NotOrderOwner);
        }
        let side = side_of(&order)?;
        epoch.tombstone(index, side)?;
        let (base_released, quote_released) = self.release(&order)?;
        self.header.auction_orders = self
            .header
            .auction_orders
            .checked_sub(1)
            .ok_or(BookError::Overflow)?;
        Ok(Removal {
            trader: *trader,
            order_id,
            client_order_id: order.client_order_id,
            price: order.price,
            lots: order.lots,
            remaining_lots: 0,
            base_released,
            quote_released,
            side,
            reason: RemovalReason::Cancelled,
        })
    }

    /// Clears `epoch` at cluster time `now` ([`Epoch::fix_price`] with the market's last clearing
    /// price as reference) once `other` (the market's other slot: `WrongEpochAccount`) holds no
    /// older epoch that is not settled (`EpochOutOfOrder`); records the price as the market's last
    /// when it executed a volume.
    pub fn clear_auction(
        &mut self,
        epoch: &mut Epoch,
        other: &EpochHeader,
        now: i64,
    ) -> Result<Clearing, BookError> {
        if self.header.epoch_secs == 0 {
            return Err(BookError::WrongMarketMode);
        }
        if other.market != epoch.header.market || other.slot == epoch.header.slot {
            return Err(BookError::WrongEpochAccount);
        }
        epoch.check_clearable(now)?;
        let pending = matches!(
            other.state(),
            EpochState::Collecting | EpochState::PriceFixed
        );
        if pending && other.epoch < epoch.header.epoch {
            return Err(BookError::EpochOutOfOrder);
        }
        let clearing = epoch.fix_price(now, self.header.last_clearing_price)?;
        if clearing.volume > 0 {
            self.header.last_clearing_price = clearing.price;
        }
        Ok(clearing)
    }

    /// Settles the orders `cursor .. min(cursor + max_orders, order_count)` of the price-fixed
    /// `epoch` (`EpochNotPriceFixed`, `EpochAlreadySettled`; `cursor` must be the epoch's cursor:
    /// `ChunkOutOfOrder`; `max_orders` 1 ..= [`MAX_SETTLE_CHUNK`]: `InvalidChunk`), reporting one
    /// [`Settlement`] per live order to `sink`. Rolled orders join `next` (the market's other slot:
    /// `WrongEpochAccount`; it must hold epoch `E + 1` collecting, or be `Empty`/`Settled`, then it
    /// is reset to `E + 1`; else `EpochOutOfOrder`), which must have room for them
    /// ([`Self::rollover_bytes_needed`], else `BookFull`); a remainder that `next` does not admit
    /// (its limits, [`Epoch::admits`]) is refunded instead ([`SettlementOutcome::EpochFull`]).
    /// The chunk that reaches the end checks that the settlement adds up (`SettlementMismatch`)
    /// and marks the epoch settled.
    pub fn settle_chunk(
        &mut self,
        epoch: &mut Epoch,
        next: &mut Epoch,
        cursor: u32,
        max_orders: u32,
        now: i64,
        sink: &mut impl SettlementSink,
    ) -> Result<ChunkOutcome, BookError> {
        let epoch_secs = self.header.epoch_secs;
        if epoch_secs == 0 {
            return Err(BookError::WrongMarketMode);
        }
        match epoch.header.state() {
            EpochState::PriceFixed => {}
            EpochState::Settled => return Err(BookError::EpochAlreadySettled),
            EpochState::Empty | EpochState::Collecting => {
                return Err(BookError::EpochNotPriceFixed)
            }
        }
        if max_orders == 0 || max_orders > MAX_SETTLE_CHUNK {
            return Err(BookError::InvalidChunk);
        }
        if cursor != epoch.header.cursor {
            return Err(BookError::ChunkOutOfOrder);
        }
        if next.header.market != epoch.header.market || next.header.slot == epoch.header.slot {
            return Err(BookError::WrongEpochAccount);
        }
        let number = epoch.header.epoch;
        let next_number = math::add(number, 1)?;
        let next_ends = math::add(epoch.header.ends_at as u64, epoch_secs as u64)?;
        // The market's units are those the epoch's live orders were placed and locked in: the tick
        // and lot size cannot change while an auction order is live. Once the last one is settled
        // they may change while tombstones remain to walk, so nothing below depends on the units
        // unless a live order is settled (and the final check uses none).
        let bpl = self.header.base_atoms_per_lot;
        let qplt = self.header.quote_per_lot_tick;
        let end = cursor
            .saturating_add(max_orders)
            .min(epoch.header.order_count);
        let mut out = ChunkOutcome {
            from: cursor,
            to: end,
            ..ChunkOutcome::default()
        };
        let mut next_ready = false;
        for index in cursor..end {
            let order = match epoch.order(index) {
                Some(o) if o.lots > 0 => *o,
                _ => continue, // a tombstone
            };
            let side = side_of(&order)?;
            if order.seat >= self.header.seat_count {
                return Err(BookError::InvalidLayout);
            }
            let lots = order.lots;
            let filled = allot(epoch.header, &order, side);
            let rest = math::sub(lots, filled)?;
            let base = math::mul(filled, bpl)?;
            let cost = math::mul(filled, math::mul(epoch.header.clearing_price, qplt)?)?;
            let (base_released, quote_released) = self.release(&order)?;
            let trade_fee = match side {
                Side::Bid => {
                    // Never more than the lock reserved for the filled lots.
                    let unit = math::mul(order.price, qplt)?;
                    let reserved = math::sub(
                        fee(math::mul(lots, unit)?, order.maker_fee_bps),
                        fee(math::mul(rest, unit)?, order.maker_fee_bps),
                    )?;
                    let trade_fee = fee(cost, order.maker_fee_bps).min(reserved);
                    let seat = &mut self.seats[order.seat as usize];
                    seat.quote_free = math::spend(seat.quote_free, math::add(cost, trade_fee)?)?;
                    seat.base_free = math::add(seat.base_free, base)?;
                    let h = &mut *epoch.header;
                    h.base_received = math::add(h.base_received, base)?;
                    h.quote_paid = math::add(h.quote_paid, cost)?;
                    if filled > 0 {
                        let m = &mut *self.header;
                        m.base_volume = math::add(m.base_volume, base)?;
                        m.quote_volume = math::add(m.quote_volume, cost)?;
                        m.trade_count = math::add(m.trade_count, 1)?;
                    }
                    trade_fee
                }
                Side::Ask => {
                    let trade_fee = fee(cost, order.maker_fee_bps);
                    let seat = &mut self.seats[order.seat as usize];
                    seat.base_free = math::spend(seat.base_free, base)?;
                    seat.quote_free = math::add(seat.quote_free, math::sub(cost, trade_fee)?)?;
                    let h = &mut *epoch.header;
                    h.base_delivered = math::add(h.base_delivered, base)?;
                    h.quote_received = math::add(h.quote_received, cost)?;
                    trade_fee
                }
            };
            self.header.fees_accrued = math::add(self.header.fees_accrued, trade_fee)?;
            epoch.header.fees = math::add(epoch.header.fees, trade_fee)?;

            let mut rolled_index = Settlement::NOT_ROLLED;
            let mut relocked = 0;
            let mut next_full = false;
            let roll = rolls(&order, rest, next_ends);
            if roll {
                if !next_ready {
                    next.prepare_for(next_number, epoch_secs)
                        .map_err(|e| match e {
                            BookError::EpochNotSettled => BookError::EpochOutOfOrder,
                            e => e,
                        })?;
                    next_ready = true;
                }
                next_full = next.admits(order.price).is_err();
            }
            if roll && !next_full {
                let rolled = Order {
                    lots: rest,
                    initial_lots: rest,
                    flags: order.flags | FLAG_ROLLED_IN,
                    ..order
                };
                relocked = locked_by(&rolled, bpl, qplt)?;
                self.lock(order.seat, side, relocked)?;
                rolled_index = next.push(&rolled, side)?;
                next.header.rolled_in += 1;
                epoch.header.rolled_orders += 1;
                out.rolled += 1;
            } else {
                self.header.auction_orders = self
                    .header
                    .auction_orders
                    .checked_sub(1)
                    .ok_or(BookError::Overflow)?;
            }
            if filled > 0 {
                epoch.header.matched_orders += 1;
                out.matched += 1;
            }
            out.settled += 1;
            // The refund: what the released lock returned beyond what traded and what locks again.
            let (base_released, quote_released) = match side {
                Side::Bid => {
                    let spent = math::add(math::add(cost, trade_fee)?, relocked)?;
                    (0, math::sub(quote_released, spent)?)
                }
                Side::Ask => (math::sub(base_released, math::add(base, relocked)?)?, 0),
            };
            let rolled = rolled_index != Settlement::NOT_ROLLED;
            let outcome = match (filled > 0, rest > 0, rolled, next_full) {
                (true, false, _, _) => SettlementOutcome::Filled,
                (true, true, true, _) => SettlementOutcome::PartiallyFilledRolled,
                (true, true, false, true) => SettlementOutcome::PartiallyFilledEpochFull,
                (true, true, false, false) => SettlementOutcome::PartiallyFilledExpired,
                (false, _, true, _) => SettlementOutcome::Rolled,
                (false, _, false, true) => SettlementOutcome::EpochFull,
                (false, _, false, false) => SettlementOutcome::Expired,
            };
            sink.settlement(&Settlement {
                trader: self.seats[order.seat as usize].trader,
                order_id: order.order_id,
                client_order_id: order.client_order_id,
                price: order.price,
                filled_lots: filled,
                base_amount: base,
                quote_amount: cost,
                fee: trade_fee,
                base_released,
                quote_released,
                remaining_lots: rest,
                index,
                rolled_index,
                side,
                outcome,
            })?;
        }
        epoch.header.cursor = end;
        if end == epoch.header.order_count {
            let h = &*epoch.header;
            let adds_up = h.bid_marginal_left == 0
                && h.ask_marginal_left == 0
                && h.base_delivered == h.base_received
                && h.quote_paid == h.quote_received
                && (h.volume_lots == 0) == (h.base_delivered == 0);
            if !adds_up {
                return Err(BookError::SettlementMismatch);
            }
            epoch.header.state = EpochState::Settled as u8;
            epoch.header.settled_at = now;
            self.header.last_settled_epoch = number;
            self.header.auctions_settled = math::add(self.header.auctions_settled, 1)?;
            out.done = true;
        }
        Ok(out)
    }

    /// Bytes by which `next` must grow before [`Self::settle_chunk`] settles the chunk `cursor ..
    /// cursor + max_orders` of `epoch` (0: the rolled orders fit, or the chunk would be refused
    /// anyway). A pure function of the two accounts: the program computes it before the chunk,
    /// grows the account, then settles. Exact: it follows the chunk's allotment and its decisions
    /// to roll, including the remainders `next`'s limits turn into refunds.
    pub fn rollover_bytes_needed(
        &self,
        epoch: &Epoch,
        next: &Epoch,
        cursor: u32,
        max_orders: u32,
    ) -> usize {
        let epoch_secs = self.header.epoch_secs as u64;
        let h = &*epoch.header;
        if epoch_secs == 0
            || h.state() != EpochState::PriceFixed
            || cursor != h.cursor
            || max_orders == 0
            || max_orders > MAX_SETTLE_CHUNK
        {
            return 0;
        }
        let Some(next_ends) = (h.ends_at as u64).checked_add(epoch_secs) else {
            return 0;
        };
        // The next slot keeps its levels and orders only when it already collects epoch E + 1.
        let keeps = next.header.state() == EpochState::Collecting
            && Some(next.header.epoch) == h.epoch.checked_add(1);
        let (free, next_levels, next_orders) = if keeps {
            (next.free_bytes(), next.levels(), next.header.order_count)
        } else {
            (next.region.len(), &[][..], 0)
        };
        let limits = next.limits();
        // What the chunk's allotment would leave: simulate the marginal lots left.
        let mut sim = *h;
        let mut new_prices = [0u64; MAX_SETTLE_CHUNK as usize];
        let mut new_count = 0usize;
        let mut orders = 0usize;
        let end = cursor.saturating_add(max_orders).min(h.order_count);
        for index in cursor..end {
            let order = match epoch.order(index) {
                Some(o) if o.lots > 0 => *o,
                _ => continue,
            };
            let Ok(side) = side_of(&order) else {
                return 0;
            };
            let rest = order.lots.saturating_sub(allot(&mut sim, &order, side));
            if !rolls(&order, rest, next_ends) {
                continue;
            }
            // As `Epoch::admits` decides in the chunk: a full next epoch refunds the remainder.
            if next_orders as usize + orders >= limits.orders as usize {
                continue;
            }
            let known = next_levels
                .binary_search_by(|l| l.price.cmp(&order.price))
                .is_ok();
            if !known {
                match new_prices[..new_count].binary_search(&order.price) {
                    Ok(_) => {}
                    Err(_) if next_levels.len() + new_count >= limits.levels as usize => continue,
                    Err(at) => {
                        new_prices.copy_within(at..new_count, at + 1);
                        new_prices[at] = order.price;
                        new_count += 1;
                    }
                }
            }
            orders += 1;
        }
        (orders * ORDER_LEN + new_count * LEVEL_LEN).saturating_sub(free)
    }
}

/// The order's side byte (`InvalidLayout` for an unknown one).
#[inline(always)]
fn side_of(order: &Order) -> Result<Side, BookError> {
    Side::from_u8(order.side).ok_or(BookError::InvalidLayout)
}

/// The lots of the live `order` that execute at the epoch's clearing, taking the marginal lots it
/// gets from the header's `*_marginal_left`.
#[inline(always)]
fn allot(header: &mut EpochHeader, order: &Order, side: Side) -> u64 {
    if header.volume_lots == 0 {
        return 0;
    }
    let (marginal_price, left, beyond) = match side {
        Side::Bid => (
            header.bid_marginal_price,
            &mut header.bid_marginal_left,
            order.price > header.bid_marginal_price,
        ),
        Side::Ask => (
            header.ask_marginal_price,
            &mut header.ask_marginal_left,
            order.price < header.ask_marginal_price,
        ),
    };
    if beyond {
        order.lots
    } else if order.price == marginal_price {
        let lots = order.lots.min(*left);
        *left -= lots;
        lots
    } else {
        0
    }
}

/// The remainder `rest` of `order` rolls into the next epoch (which ends at `next_ends`).
#[inline(always)]
fn rolls(order: &Order, rest: u64, next_ends: u64) -> bool {
    rest > 0
        && order.flags & FLAG_ROLLOVER != 0
        && (order.expires_at == 0 || order.expires_at as u64 >= next_ends)
}
