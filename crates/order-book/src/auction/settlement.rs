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
//! it is refunded (its lock was released) and the order leaves.
//!
//! Between the delivering and the receiving side's chunks, tokens are in transit: the epoch header
//! counts `base_delivered - base_received` and `quote_paid - quote_received`, so that at every
//! chunk boundary the vaults hold exactly the seats' balances, the accrued fees and the transit.

use crate::{
    auction::{epoch::Epoch, price::Clearing},
    error::BookError,
    layout::{Key, Market},
    records::Removal,
    types::Side,
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
const _: () =
    assert!(core::mem::offset_of!(Settlement, outcome) + 1 == Settlement::BORSH_LEN);

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
    /// (the caller prepares it with [`Epoch::prepare_for`] and grows it to fit
    /// [`Epoch::bytes_for_order`]). Checks as a resting order (quantity, minimum, price, client
    /// order id, the per-seat order limit unless market maker, every amount within 64 bits), plus
    /// an expiry of 0 or at or after the epoch's end (`ExpiresBeforeAuction`). Locks the funds as a
    /// resting order with `initial_lots = lots`, and adds the lots to the epoch's level.
    pub fn place_auction(
        &mut self,
        epoch: &mut Epoch,
        seat: u32,
        trader: &Key,
        order: &AuctionOrder,
        now: i64,
    ) -> Result<AuctionPlaced, BookError> {
        unimplemented!("{:?} {seat} {trader:?} {order:?} {now}", epoch.header.epoch)
    }

    /// Cancels the trader's auction order at `index` of `epoch` (its id must be `order_id`) while
    /// the epoch collects and has not ended (`AuctionClosed` afterwards, unless the market is not
    /// active: a paused market cannot clear, so its funds may leave). Releases its lock and leaves
    /// a tombstone.
    pub fn cancel_auction(
        &mut self,
        epoch: &mut Epoch,
        seat: u32,
        trader: &Key,
        index: u32,
        order_id: u64,
        now: i64,
    ) -> Result<Removal, BookError> {
        unimplemented!("{:?} {seat} {trader:?} {index} {order_id} {now}", epoch.header.epoch)
    }

    /// Clears `epoch` at cluster time `now` ([`Epoch::fix_price`] with the market's last clearing
    /// price as reference) once `other` (the market's other slot) holds no older epoch that is not
    /// settled (`EpochOutOfOrder`); records the price as the market's last when it executed a
    /// volume.
    pub fn clear_auction(
        &mut self,
        epoch: &mut Epoch,
        other: &crate::auction::EpochHeader,
        now: i64,
    ) -> Result<Clearing, BookError> {
        unimplemented!("{:?} {:?} {now}", epoch.header.epoch, other.epoch)
    }

    /// Settles the orders `cursor .. min(cursor + max_orders, order_count)` of the price-fixed
    /// `epoch` (`cursor` must be the epoch's cursor: `ChunkOutOfOrder`; `max_orders` 1 ..=
    /// [`crate::auction::MAX_SETTLE_CHUNK`]: `InvalidChunk`), reporting one [`Settlement`] per live
    /// order to `sink`. Rolled orders join `next` (the market's other slot, which must hold epoch
    /// `E + 1` collecting, or be `Empty`/`Settled`, then reset to `E + 1`; else `EpochOutOfOrder`),
    /// which must have room for them ([`Self::rollover_bytes_needed`]). The chunk that reaches the
    /// end checks that the settlement adds up (`SettlementMismatch`) and marks the epoch settled.
    pub fn settle_chunk(
        &mut self,
        epoch: &mut Epoch,
        next: &mut Epoch,
        cursor: u32,
        max_orders: u32,
        now: i64,
        sink: &mut impl SettlementSink,
    ) -> Result<ChunkOutcome, BookError> {
        let _ = sink;
        unimplemented!("{:?} {:?} {cursor} {max_orders} {now}", epoch.header.epoch, next.header.epoch)
    }

    /// Bytes by which `next` must grow before [`Self::settle_chunk`] settles the chunk `cursor ..
    /// cursor + max_orders` of `epoch` (0: the rolled orders fit). A pure function of the two
    /// accounts: the program computes it before the chunk, grows the account, then settles.
    pub fn rollover_bytes_needed(
        &self,
        epoch: &Epoch,
        next: &Epoch,
        cursor: u32,
        max_orders: u32,
    ) -> usize {
        unimplemented!("{:?} {:?} {cursor} {max_orders}", epoch.header.epoch, next.header.epoch)
    }
}
