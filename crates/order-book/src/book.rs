//! Keeping both sides sorted: insertion at the position price-time priority gives, lookup by
//! `(side, price, order_id)`, removal. See [`crate::layout`] for where each side lives.
//!
//! Bids are sorted ascending by `(price, !order_id)` with the best last; asks ascending by
//! `(price, order_id)` with the best first. So a better price always wins, and at one price the
//! older order (smaller id) wins, on both sides.

use crate::{
    error::BookError,
    layout::{Market, Order},
    types::Side,
};

#[inline(always)]
fn bid_key(order: &Order) -> (u64, u64) {
    (order.price, !order.order_id)
}

#[inline(always)]
fn ask_key(order: &Order) -> (u64, u64) {
    (order.price, order.order_id)
}

impl Market<'_> {
    /// Index of the best resting order of `side`, if any.
    #[inline(always)]
    pub fn best(&self, side: Side) -> Option<usize> {
        match side {
            Side::Bid => (self.header.bid_count > 0).then(|| self.header.bid_count as usize - 1),
            Side::Ask => (self.header.ask_count > 0)
                .then(|| self.orders.len() - self.header.ask_count as usize),
        }
    }

    /// An incoming `side` order at `price` would trade with the best opposite order (expired or not).
    #[inline(always)]
    pub fn crosses(&self, side: Side, price: u64) -> bool {
        match self.best(side.opposite()) {
            None => false,
            Some(best) => match side {
                Side::Bid => self.orders[best].price <= price,
                Side::Ask => self.orders[best].price >= price,
            },
        }
    }

    /// Inserts a resting order behind every order of its side with equal or better priority (a new
    /// best order moves nothing).
    pub fn insert(&mut self, order: Order) -> Result<usize, BookError> {
        if self.free_order_slots() == 0 {
            return Err(BookError::BookFull);
        }
        let capacity = self.orders.len();
        if order.side == Side::Bid as u8 {
            let count = self.header.bid_count as usize;
            let key = bid_key(&order);
            let at = self.orders[..count].partition_point(|o| bid_key(o) < key);
            if at < count {
                self.orders.copy_within(at..count, at + 1);
            }
            self.orders[at] = order;
            self.header.bid_count += 1;
            Ok(at)
        } else {
            let start = capacity - self.header.ask_count as usize;
            let key = ask_key(&order);
            let at = start + self.orders[start..].partition_point(|o| ask_key(o) < key);
            if start < at {
                self.orders.copy_within(start..at, start - 1);
            }
            self.orders[at - 1] = order;
            self.header.ask_count += 1;
            Ok(at - 1)
        }
    }

    /// Index of the resting order `order_id` of `side` at `price`.
    pub fn find(&self, side: Side, price: u64, order_id: u64) -> Option<usize> {
        let probe = Order {
            price,
            order_id,
            ..Order::default()
        };
        let (start, end, at) = match side {
            Side::Bid => {
                let end = self.header.bid_count as usize;
                let key = bid_key(&probe);
                (
                    0,
                    end,
                    self.orders[..end].partition_point(|o| bid_key(o) < key),
                )
            }
            Side::Ask => {
                let start = self.orders.len() - self.header.ask_count as usize;
                let key = ask_key(&probe);
                (
                    start,
                    self.orders.len(),
                    start + self.orders[start..].partition_point(|o| ask_key(o) < key),
                )
            }
        };
        (at >= start
            && at < end
            && self.orders[at].order_id == order_id
            && self.orders[at].price == price)
            .then_some(at)
    }

    /// Removes the order at `index` (a bid index below `bid_count`, else an ask) and returns it.
    ///
    /// Taking the best order of a side moves nothing (the copy is skipped: even an empty one is a
    /// `memmove` call).
    pub fn remove(&mut self, index: usize) -> Order {
        let order = self.orders[index];
        let bids = self.header.bid_count as usize;
        if index < bids {
            if index + 1 < bids {
                self.orders.copy_within(index + 1..bids, index);
            }
            self.header.bid_count -= 1;
        } else {
            let start = self.orders.len() - self.header.ask_count as usize;
            if start < index {
                self.orders.copy_within(start..index, start + 1);
            }
            self.header.ask_count -= 1;
        }
        order
    }
}
