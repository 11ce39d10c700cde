//! SolGrid's order book core: the market account's layout, continuous price-time matching, escrow
//! of traders' funds and the fee and rounding rules, in plain Rust with no Solana types (like
//! Phoenix's `state/`). The `trading` program is the glue around it: account checks, token
//! transfers and events. Everything is tested on the host (`cargo test -p solgrid-order-book`),
//! including a property test of its invariants over random operation sequences.
//!
//! Units. Base is GRID (9 decimals, 1 Wh = 10^6 atoms); quantities are lots of `lot_size_wh` Wh.
//! Prices are ticks of `tick_size` quote atoms per kWh. A lot at one tick is worth
//! `quote_per_lot_tick = tick_size * lot_size_wh / 1000` quote atoms, a whole number by market rule,
//! so a fill of `lots` at `price` moves exactly `lots * price * quote_per_lot_tick` quote atoms and
//! `lots * lot_size_wh * 10^6` base atoms.
//!
//! Fees are charged in quote, rounded up (`ceil(amount * bps / 10_000)`): the taker's on its
//! cumulative traded quote within the instruction, a maker's on its order's cumulative fill at the
//! rate in force when the order was placed. Fees only move quote from traders to the market's
//! accrued fees, so rounding never creates or destroys a token: the vaults always hold exactly the
//! traders' free and locked balances plus the accrued fees.
//!
//! Periodic markets (`epoch_secs > 0`) trade in a uniform-price call auction per epoch instead
//! ([`auction`]): orders join the epoch's auction with their funds locked in the same seats, one
//! price is fixed from per-price aggregates after the epoch ends, and the orders are settled in
//! chunks, in the order they joined.
//!
//! Operations are not transactional on their own: on an error the caller must discard the market's
//! bytes (on chain the failed instruction writes nothing).
#![no_std]

#[cfg(test)]
extern crate std;

pub mod auction;
pub mod book;
pub mod error;
pub mod escrow;
pub mod layout;
pub mod matching;
pub mod math;
pub mod records;
pub mod types;

pub use auction::{
    AuctionOrder, AuctionPlaced, ChunkOutcome, Clearing, Epoch, EpochHeader, EpochState, Level,
    Settlement, SettlementOutcome, SettlementSink,
};
pub use error::BookError;
pub use escrow::Asset;
pub use layout::{Key, Market, MarketHeader, Order, Params, Seat};
pub use matching::Matched;
pub use records::{Fill, NewOrder, PlaceOutcome, Removal, Sink};
pub use types::{OrderKind, OrderState, RemovalReason, SelfTradeMode, Side};

/// GRID base atoms per Wh (9 decimals, 1 GRID = 1 kWh).
pub const BASE_ATOMS_PER_WH: u64 = 1_000_000;
/// Length of the order-limit epoch (and of the call auction's epoch): 15 minutes.
pub const EPOCH_SECS: i64 = 900;
/// Highest price, ticks.
pub const MAX_PRICE_TICKS: u64 = 1 << 40;
/// Highest fee rate: 10 %.
pub const MAX_FEE_BPS: u16 = 1_000;
/// Most fills and removals one incoming order may cause (bounded by the size of the one event
/// that reports them all).
pub const MAX_MATCHES: u32 = 80;
