//! Seats and what they hold: deposits, withdrawals, the funds resting orders lock, and settlement
//! of a fill. Shared by continuous matching and (later) the call auction.
//!
//! A resting ask locks `lots * base_atoms_per_lot`. A resting bid locks the quote it can still
//! spend, `lots * unit`, plus the maker fee it may still owe, `fee(initial * unit) -
//! fee(filled * unit)` at its own maker fee rate, where `unit = price * quote_per_lot_tick` and
//! `filled = initial - lots`. Maker fees are charged on the cumulative fill (each fill pays
//! `fee(filled_after * unit) - fee(filled_before * unit)`), so a bid's lock always covers the rest
//! exactly, and the sum of an order's maker fees is one rounding of its whole traded amount.

use crate::{
    error::BookError,
    layout::{Key, Market, Order, Seat},
    math::{self, fee},
    records::Removal,
    types::{RemovalReason, Side},
    EPOCH_SECS,
};

/// Which of the market's two tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Asset {
    Base,
    Quote,
}

impl Seat {
    /// The seat's free balance of `asset`.
    #[inline(always)]
    pub fn free_mut(&mut self, asset: Asset) -> &mut u64 {
        match asset {
            Asset::Base => &mut self.base_free,
            Asset::Quote => &mut self.quote_free,
        }
    }
}

/// What resting `order` locks (base atoms for an ask, quote atoms for a bid).
#[inline(always)]
pub fn locked_by(
    order: &Order,
    base_atoms_per_lot: u64,
    quote_per_lot_tick: u64,
) -> Result<u64, BookError> {
    if order.side == Side::Ask as u8 {
        return math::mul(order.lots, base_atoms_per_lot);
    }
    let unit = math::mul(order.price, quote_per_lot_tick)?;
    let rest = math::mul(order.lots, unit)?;
    let initial = math::mul(order.initial_lots, unit)?;
    let filled = initial - rest;
    math::add(
        rest,
        fee(initial, order.maker_fee_bps) - fee(filled, order.maker_fee_bps),
    )
}

impl Market<'_> {
    /// The seat at `index`, which must be `trader`'s.
    #[inline(always)]
    pub fn seat(&mut self, index: u32, trader: &Key) -> Result<&mut Seat, BookError> {
        if index >= self.header.seat_count {
            return Err(BookError::WrongSeat);
        }
        let seat = &mut self.seats[index as usize];
        if seat.trader != *trader {
            return Err(BookError::WrongSeat);
        }
        Ok(seat)
    }

    /// Index of `trader`'s seat, if it has one (a linear search: clients use it to find the index
    /// that instructions take).
    pub fn seat_of(&self, trader: &Key) -> Option<u32> {
        self.seats[..self.header.seat_count as usize]
            .iter()
            .position(|s| s.trader == *trader)
            .map(|i| i as u32)
    }

    /// Gives `trader` a seat (one per trader) in a free slot and returns its index.
    pub fn claim_seat(&mut self, trader: &Key) -> Result<u32, BookError> {
        if self.seat_of(trader).is_some() {
            return Err(BookError::SeatExists);
        }
        if self.free_seat_slots() == 0 {
            return Err(BookError::SeatsFull);
        }
        let index = self.header.seat_count;
        self.seats[index as usize] = Seat {
            trader: *trader,
            ..Seat::default()
        };
        self.header.seat_count += 1;
        Ok(index)
    }

    /// Credits a deposit to the seat's free balance; returns the new free balance.
    pub fn deposit(
        &mut self,
        index: u32,
        trader: &Key,
        asset: Asset,
        amount: u64,
    ) -> Result<u64, BookError> {
        if amount == 0 {
            return Err(BookError::ZeroQuantity);
        }
        let free = self.seat(index, trader)?.free_mut(asset);
        *free = math::add(*free, amount)?;
        Ok(*free)
    }

    /// Debits a withdrawal from the seat's free balance (never what orders lock); returns the new
    /// free balance.
    pub fn withdraw(
        &mut self,
        index: u32,
        trader: &Key,
        asset: Asset,
        amount: u64,
    ) -> Result<u64, BookError> {
        if amount == 0 {
            return Err(BookError::ZeroQuantity);
        }
        let free = self.seat(index, trader)?.free_mut(asset);
        *free = math::spend(*free, amount)?;
        Ok(*free)
    }

    /// Hands the accrued fees over for collection; returns the amount (possibly 0).
    pub fn collect_fees(&mut self) -> Result<u64, BookError> {
        let amount = self.header.fees_accrued;
        self.header.fees_collected = math::add(self.header.fees_collected, amount)?;
        self.header.fees_accrued = 0;
        Ok(amount)
    }

    /// Moves `amount` atoms of the seat's free balance of `side`'s asset (quote for a bid, base
    /// for an ask) to its locked balance and counts one open order more.
    pub(crate) fn lock(&mut self, seat: u32, side: Side, amount: u64) -> Result<(), BookError> {
        let seat = &mut self.seats[seat as usize];
        match side {
            Side::Bid => {
                seat.quote_free = math::spend(seat.quote_free, amount)?;
                seat.quote_locked = math::add(seat.quote_locked, amount)?;
            }
            Side::Ask => {
                seat.base_free = math::spend(seat.base_free, amount)?;
                seat.base_locked = math::add(seat.base_locked, amount)?;
            }
        }
        seat.open_orders += 1;
        Ok(())
    }

    /// Counts one more order of the seat in the 15-minute epoch of `now` (`OrderLimitReached` at
    /// the market's limit; market makers are exempt).
    pub(crate) fn count_order(&mut self, seat: u32, now: i64) -> Result<(), BookError> {
        let max_per_epoch = self.header.max_orders_per_epoch;
        let trader = &mut self.seats[seat as usize];
        if trader.market_maker != 0 {
            return Ok(());
        }
        let epoch = now.div_euclid(EPOCH_SECS) as u64;
        if trader.epoch != epoch {
            trader.epoch = epoch;
            trader.orders_in_epoch = 0;
        }
        if trader.orders_in_epoch >= max_per_epoch {
            return Err(BookError::OrderLimitReached);
        }
        trader.orders_in_epoch += 1;
        Ok(())
    }

    /// Moves what `order` locks back to its owner's free balance and counts one open order less.
    pub(crate) fn release(&mut self, order: &Order) -> Result<(u64, u64), BookError> {
        let amount = locked_by(
            order,
            self.header.base_atoms_per_lot,
            self.header.quote_per_lot_tick,
        )?;
        let seat = &mut self.seats[order.seat as usize];
        seat.open_orders -= 1;
        if order.side == Side::Ask as u8 {
            seat.base_locked = math::sub(seat.base_locked, amount)?;
            seat.base_free = math::add(seat.base_free, amount)?;
            Ok((amount, 0))
        } else {
            seat.quote_locked = math::sub(seat.quote_locked, amount)?;
            seat.quote_free = math::add(seat.quote_free, amount)?;
            Ok((0, amount))
        }
    }

    /// Removes the order at `index`, releases its funds and describes it.
    pub(crate) fn remove_released(
        &mut self,
        index: usize,
        reason: RemovalReason,
    ) -> Result<Removal, BookError> {
        let order = self.remove(index);
        let (base_released, quote_released) = self.release(&order)?;
        Ok(Removal {
            trader: self.seats[order.seat as usize].trader,
            order_id: order.order_id,
            client_order_id: order.client_order_id,
            price: order.price,
            lots: order.lots,
            remaining_lots: 0,
            base_released,
            quote_released,
            side: if order.side == Side::Bid as u8 {
                Side::Bid
            } else {
                Side::Ask
            },
            reason,
        })
    }
}
