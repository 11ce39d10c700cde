//! What the book reports while it works: one record per fill and per order that leaves the book (or
//! shrinks) without trading, handed to a [`Sink`] in execution order. The program turns them into
//! events; tests collect them.
//!
//! [`Fill`] and [`Removal`] are `#[repr(C)]` with naturally aligned fields and no interior padding,
//! so their first [`Fill::BORSH_LEN`] / [`Removal::BORSH_LEN`] bytes are their borsh encoding.

use core::mem::size_of;

use crate::{
    layout::Key,
    types::{OrderState, RemovalReason, Side},
};

/// One trade between a resting (maker) order and the incoming (taker) order, at the maker's price.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Fill {
    /// The maker's wallet.
    pub maker: Key,
    pub maker_order_id: u64,
    pub maker_client_order_id: u64,
    /// Ticks (the maker's limit price).
    pub price: u64,
    pub lots: u64,
    /// Base atoms that changed hands.
    pub base_amount: u64,
    /// Quote atoms that changed hands (before fees).
    pub quote_amount: u64,
    /// Quote atoms the maker paid.
    pub maker_fee: u64,
    /// Quote atoms the taker paid for this fill.
    pub taker_fee: u64,
    /// Lots of the maker order left resting (0: it is filled).
    pub maker_remaining_lots: u64,
}

impl Fill {
    pub const BORSH_LEN: usize = 32 + 9 * 8;
}
const _: () = assert!(size_of::<Fill>() == Fill::BORSH_LEN);

/// A resting order removed (or reduced) without trading, and the funds it released to its owner.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Removal {
    pub trader: Key,
    pub order_id: u64,
    pub client_order_id: u64,
    pub price: u64,
    /// Lots removed.
    pub lots: u64,
    /// Lots still resting afterwards (only a self-trade decrement leaves some).
    pub remaining_lots: u64,
    /// Base atoms moved from locked to free.
    pub base_released: u64,
    /// Quote atoms moved from locked to free.
    pub quote_released: u64,
    pub side: Side,
    pub reason: RemovalReason,
}

impl Removal {
    pub const BORSH_LEN: usize = 32 + 7 * 8 + 2;
}
const _: () = assert!(core::mem::offset_of!(Removal, reason) + 1 == Removal::BORSH_LEN);

/// Receives the records of an operation, in order.
pub trait Sink {
    fn fill(&mut self, fill: &Fill) -> Result<(), crate::BookError>;
    fn removal(&mut self, removal: &Removal) -> Result<(), crate::BookError>;
}

/// An incoming order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NewOrder {
    pub side: Side,
    pub kind: crate::OrderKind,
    /// Limit price, ticks.
    pub price: u64,
    pub lots: u64,
    /// 0, or greater than every client order id the trader used before.
    pub client_order_id: u64,
    /// 0 = good till cancelled.
    pub expires_at: i64,
    pub self_trade: crate::SelfTradeMode,
    /// Most fills and removals this order may cause (1 ..= [`crate::MAX_MATCHES`]).
    pub max_matches: u32,
}

/// What became of an incoming order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlaceOutcome {
    pub order_id: u64,
    pub filled_lots: u64,
    /// Base and quote atoms traded (quote before fees), and the taker fee paid in total.
    pub base_traded: u64,
    pub quote_traded: u64,
    pub taker_fee: u64,
    /// Lots now resting under `order_id` (0: nothing rests).
    pub rested_lots: u64,
    /// Lots dropped without trading: an IOC remainder, what a self-trade decrement took, or what
    /// could not rest because the match limit stopped matching against a still crossing book.
    pub cancelled_lots: u64,
    pub state: OrderState,
    pub fills: u32,
    pub removals: u32,
}
