//! The periodic uniform-price call auction of a periodic market (`epoch_secs > 0`).
//!
//! Orders placed during epoch `E` (`E = floor(now / epoch_secs)`) join `E`'s auction instead of
//! matching on arrival, and lock their funds in the trader's seat as resting orders do. After `E`
//! ends, anyone cranks it: [`Market::clear_auction`](crate::Market::clear_auction) fixes one price
//! from the per-price-level aggregates ([`price::clear`], O(levels)), then
//! [`Market::settle_chunk`](crate::Market::settle_chunk) settles the orders in chunks, in the order
//! they joined the auction. An epoch's state machine is `Collecting → PriceFixed → Settled`
//! ([`epoch::EpochState`]); a settled slot is reused by the epoch two later.
//!
//! * [`price`]: the clearing-price rule and the rationing of the long side.
//! * [`epoch`]: the epoch account's layout (header, sorted price levels, orders by arrival).
//! * [`settlement`]: placing, cancelling, clearing and settling auction orders on a [`Market`](crate::Market).
//!
//! Epoch accounts live in two slots per market: epoch `E` in slot `E % 2`. Rolled orders move from
//! `E`'s slot to `E + 1`'s, so two consecutive epochs are never in the same account.

pub mod epoch;
pub mod price;
pub mod settlement;

pub use epoch::{Epoch, EpochHeader, EpochLimits, EpochState, EPOCH_HEADER_LEN, LEVEL_LEN};
pub use price::{clear, Clearing, Level};
pub use settlement::{
    AuctionOrder, AuctionPlaced, ChunkOutcome, Settlement, SettlementOutcome, SettlementSink,
};

use crate::{error::BookError, layout::ORDER_LEN};

/// Default auction epoch: 15 minutes (aligned to wall-clock quarter hours).
pub const DEFAULT_EPOCH_SECS: u32 = 900;
/// Longest auction epoch: one day.
pub const MAX_EPOCH_SECS: u32 = 86_400;
/// Most orders one settlement chunk walks (tombstones included).
pub const MAX_SETTLE_CHUNK: u32 = 64;

/// Most price levels one epoch's auction holds. `clear_epoch` walks every level (on SBF about 70 CU
/// a level where nothing could execute, up to about 180 where every level and gap improves on the
/// last): measured in LiteSVM on that costliest book, clearing an epoch at this cap takes 735,270 CU
/// of the 1,400,000 one transaction may use (`tests/programs/test_trading_auction_levels.py`), so
/// every epoch can be cleared in one transaction, with room to spare. An order that would add a level beyond it is refused
/// (`TooManyPriceLevels`; at an existing price it still joins); a remainder that would need a new
/// level in a next epoch at the cap is refunded instead of rolled
/// ([`SettlementOutcome::EpochFull`]). Orders placed and rolled count alike, so no epoch ever
/// exceeds it, however many epochs' prices roll into it.
pub const MAX_AUCTION_LEVELS: u32 = 4_096;
/// Most orders one epoch's auction holds, cancelled ones (tombstones) included. It bounds the epoch
/// account ([`MAX_EPOCH_REGION_USED`], about 7.1 MiB) well under the 10 MiB account limit, so an
/// account can always grow for the orders it admits: growth never fails, and a settlement chunk
/// never gets stuck for want of room in the next epoch. An order beyond it is refused
/// (`TooManyAuctionOrders`); a remainder that would roll into a next epoch at the cap is refunded
/// ([`SettlementOutcome::EpochFull`]).
pub const MAX_AUCTION_ORDERS: u32 = 131_072;
/// Most bytes an epoch account's levels and orders use (its region may hold at most one growth's
/// free bytes more).
pub const MAX_EPOCH_REGION_USED: usize =
    MAX_AUCTION_LEVELS as usize * LEVEL_LEN + MAX_AUCTION_ORDERS as usize * ORDER_LEN;

/// `epoch_secs` is 0 (a continuous market) or 1 ..= [`MAX_EPOCH_SECS`] (`InvalidEpochLength`).
pub fn validate_epoch_secs(epoch_secs: u32) -> Result<(), BookError> {
    if epoch_secs > MAX_EPOCH_SECS {
        return Err(BookError::InvalidEpochLength);
    }
    Ok(())
}

/// The epoch containing cluster time `now` (`floor(now / epoch_secs)`; times before 1970 count as
/// epoch 0). `epoch_secs` must be positive.
#[inline(always)]
pub fn epoch_at(now: i64, epoch_secs: u32) -> u64 {
    (now.max(0) as u64) / epoch_secs.max(1) as u64
}

/// The slot (0 or 1) of the account that holds epoch `epoch`.
#[inline(always)]
pub const fn slot_of(epoch: u64) -> u8 {
    (epoch % 2) as u8
}
