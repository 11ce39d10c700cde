//! The epoch account's layout, zero-copy: a fixed header, then one byte region.
//!
//! ```text
//! [ EpochHeader ][ Level; level_count (ascending price) | free | Order; order_count (index 0 last) ]
//! ```
//!
//! The program puts an 8-byte Anchor discriminator in front; the bytes handed to [`Epoch::load`]
//! start at the header, at an 8-byte aligned address. Levels grow from the region's start, sorted
//! by price (inserting or removing one moves the levels above it). Orders grow from the region's
//! end backwards: order `i` sits at `region_len - (i + 1) * ORDER_LEN`, so an index never changes
//! (growing the account moves the order block to the new end). Index order is the order in which
//! orders joined this epoch's auction: time priority. A cancelled order stays as a tombstone
//! (`lots == 0`).
//!
//! An account is reused: a slot that is `Empty` or `Settled` is reset for the next epoch of its
//! parity ([`Epoch::prepare_for`]), keeping its size.

use core::mem::{align_of, size_of};

use super::price::{clear, Clearing, Level};
use crate::{
    error::BookError,
    layout::{Key, Order, ORDER_LEN},
    math,
    types::Side,
};

/// An epoch account's state (a byte in [`EpochHeader::state`]).
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EpochState {
    /// Never used.
    Empty = 0,
    /// Accepting orders while `now < ends_at`; afterwards closed, waiting for the clearing.
    Collecting = 1,
    /// The clearing price is fixed; the orders are being settled.
    PriceFixed = 2,
    /// Every order is settled; the slot may be reused.
    Settled = 3,
}

impl EpochState {
    pub const ALL: &'static [EpochState] = &[
        EpochState::Empty,
        EpochState::Collecting,
        EpochState::PriceFixed,
        EpochState::Settled,
    ];

    pub const fn from_u8(value: u8) -> Option<Self> {
        match value {
            0 => Some(EpochState::Empty),
            1 => Some(EpochState::Collecting),
            2 => Some(EpochState::PriceFixed),
            3 => Some(EpochState::Settled),
            _ => None,
        }
    }
}

/// The epoch account's header (after the discriminator). `#[repr(C)]`, naturally aligned, no
/// implicit padding: its memory layout is its borsh encoding.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EpochHeader {
    /// The market this account belongs to.
    pub market: Key,
    /// The epoch `E` it holds (meaningless while `Empty`).
    pub epoch: u64,
    /// `E * epoch_secs`.
    pub starts_at: i64,
    /// `(E + 1) * epoch_secs`: the auction's gate closure.
    pub ends_at: i64,
    /// The market's last clearing price when `E` was cleared (0: none).
    pub reference_price: u64,
    /// Ticks; 0 = nothing executed (or not cleared yet).
    pub clearing_price: u64,
    /// Lots executed on each side.
    pub volume_lots: u64,
    /// `D(p*)`: bid lots priced at or above the clearing price.
    pub demand_lots: u64,
    /// `S(p*)`: ask lots priced at or below the clearing price.
    pub supply_lots: u64,
    /// Lots of the live bids in the auction.
    pub total_bid_lots: u64,
    /// Lots of the live asks in the auction.
    pub total_ask_lots: u64,
    /// Lots still to allot to the bids priced exactly `bid_marginal_price` (time priority).
    pub bid_marginal_left: u64,
    /// Lots still to allot to the asks priced exactly `ask_marginal_price`.
    pub ask_marginal_left: u64,
    /// The bid side's marginal price (see [`crate::auction::price`]; 0 with no volume).
    pub bid_marginal_price: u64,
    /// The ask side's marginal price.
    pub ask_marginal_price: u64,
    /// Base atoms sellers delivered so far (settlement).
    pub base_delivered: u64,
    /// Base atoms buyers received so far.
    pub base_received: u64,
    /// Quote atoms buyers paid so far (before fees).
    pub quote_paid: u64,
    /// Quote atoms sellers received so far (before fees).
    pub quote_received: u64,
    /// Quote atoms of fees charged in this auction so far.
    pub fees: u64,
    /// Cluster time of the clearing (0: not yet).
    pub cleared_at: i64,
    /// Cluster time of the last settlement chunk (0: not yet).
    pub settled_at: i64,
    /// Order slots used, tombstones included.
    pub order_count: u32,
    /// Orders not cancelled.
    pub live_orders: u32,
    pub level_count: u32,
    /// Bytes after the header (a multiple of 8).
    pub region_len: u32,
    /// Index of the next order to settle.
    pub cursor: u32,
    /// Orders that traded (settled so far).
    pub matched_orders: u32,
    /// Orders rolled into the next epoch (settled so far).
    pub rolled_orders: u32,
    /// Orders of this epoch that rolled in from the previous one.
    pub rolled_in: u32,
    /// 0 or 1: this account holds the epochs of this parity.
    pub slot: u8,
    /// An [`EpochState`].
    pub state: u8,
    pub bump: u8,
    pub padding: [u8; 5],
    pub reserved: [u8; 16],
}
const _: () = assert!(size_of::<EpochHeader>() == 32 + 21 * 8 + 8 * 4 + 3 + 5 + 16);
const _: () = assert!(size_of::<EpochHeader>().is_multiple_of(8) && align_of::<EpochHeader>() <= 8);
const _: () = assert!(core::mem::offset_of!(EpochHeader, reserved) + 16 == EPOCH_HEADER_LEN);

impl Default for EpochHeader {
    fn default() -> Self {
        // SAFETY: every field is an integer or a byte array; all zeroes is a valid value.
        unsafe { core::mem::zeroed() }
    }
}

impl EpochHeader {
    /// Reads the header of an epoch account's data (after the discriminator) without a mutable
    /// borrow (checks as [`Epoch::load`]).
    pub fn read(data: &[u8]) -> Result<&EpochHeader, BookError> {
        if data.len() < EPOCH_HEADER_LEN || !(data.as_ptr() as usize).is_multiple_of(8) {
            return Err(BookError::InvalidLayout);
        }
        // SAFETY: length checked, address 8-aligned, every bit pattern is a valid header.
        let header = unsafe { &*(data.as_ptr() as *const EpochHeader) };
        header.check(data.len())?;
        Ok(header)
    }

    /// The state byte as an [`EpochState`] (`load` refuses unknown bytes).
    #[inline(always)]
    pub fn state(&self) -> EpochState {
        EpochState::from_u8(self.state).unwrap_or(EpochState::Empty)
    }

    /// Base atoms in transit (delivered by sellers, not yet received by buyers). Negative while
    /// buyers settled before the sellers; 0 once settled.
    pub fn base_in_transit(&self) -> i128 {
        self.base_delivered as i128 - self.base_received as i128
    }

    /// Quote atoms in transit (paid by buyers, not yet received by sellers); 0 once settled.
    pub fn quote_in_transit(&self) -> i128 {
        self.quote_paid as i128 - self.quote_received as i128
    }

    /// The auction of this epoch has closed at cluster time `now` (its gate closure passed).
    #[inline(always)]
    pub fn closed(&self, now: i64) -> bool {
        now >= self.ends_at
    }

    fn check(&self, data_len: usize) -> Result<(), BookError> {
        let region = self.region_len as usize;
        let used =
            self.level_count as u64 * LEVEL_LEN as u64 + self.order_count as u64 * ORDER_LEN as u64;
        let ok = data_len == EPOCH_HEADER_LEN + region
            && region.is_multiple_of(8)
            && used <= region as u64
            && self.live_orders <= self.order_count
            && self.cursor <= self.order_count
            && self.slot <= 1
            && EpochState::from_u8(self.state).is_some();
        if ok {
            Ok(())
        } else {
            Err(BookError::InvalidLayout)
        }
    }
}

pub const EPOCH_HEADER_LEN: usize = size_of::<EpochHeader>();
pub const LEVEL_LEN: usize = size_of::<Level>();

/// Bytes (after the discriminator) of an epoch account with a region of `region_len` bytes.
pub const fn data_len(region_len: usize) -> usize {
    EPOCH_HEADER_LEN + region_len
}

/// An epoch account viewed in place over its bytes.
pub struct Epoch<'a> {
    pub header: &'a mut EpochHeader,
    /// `region_len` bytes: levels at the start, orders at the end.
    pub region: &'a mut [u8],
}

impl<'a> Epoch<'a> {
    /// Views `data` (the account data after the discriminator) as an epoch account, checking that
    /// the length matches `region_len`, that the counts fit the region and the state is known.
    pub fn load(data: &'a mut [u8]) -> Result<Self, BookError> {
        if data.len() < EPOCH_HEADER_LEN || !(data.as_ptr() as usize).is_multiple_of(8) {
            return Err(BookError::InvalidLayout);
        }
        let len = data.len();
        let (head, region) = data.split_at_mut(EPOCH_HEADER_LEN);
        // SAFETY: length checked, address 8-aligned, every bit pattern is a valid header.
        let header = unsafe { &mut *(head.as_mut_ptr() as *mut EpochHeader) };
        header.check(len)?;
        Ok(Self { header, region })
    }

    /// Writes a fresh (`Empty`) header for `market`'s epoch account of slot `slot` over `data`
    /// (header plus a region of a multiple of 8 bytes, else `InvalidLayout`) and views it.
    pub fn init(data: &'a mut [u8], market: &Key, slot: u8, bump: u8) -> Result<Self, BookError> {
        if data.len() < EPOCH_HEADER_LEN
            || !(data.as_ptr() as usize).is_multiple_of(8)
            || !(data.len() - EPOCH_HEADER_LEN).is_multiple_of(8)
            || slot > 1
        {
            return Err(BookError::InvalidLayout);
        }
        let region_len =
            u32::try_from(data.len() - EPOCH_HEADER_LEN).map_err(|_| BookError::InvalidLayout)?;
        // SAFETY: as in `load`.
        let header = unsafe { &mut *(data.as_mut_ptr() as *mut EpochHeader) };
        *header = EpochHeader {
            market: *market,
            region_len,
            slot,
            bump,
            ..EpochHeader::default()
        };
        Self::load(data)
    }

    /// Grows an epoch account in place after its data was resized to `data_len(region_len +
    /// extra_bytes)` (`region_len` as the header still records it; `extra_bytes` a multiple of 8):
    /// moves the order block to the new end of the region, zeroes the gap, records the new length.
    pub fn grow(data: &mut [u8], extra_bytes: usize) -> Result<(), BookError> {
        if data.len() < EPOCH_HEADER_LEN || !(data.as_ptr() as usize).is_multiple_of(8) {
            return Err(BookError::InvalidLayout);
        }
        // SAFETY: as in `load`.
        let header = unsafe { &mut *(data.as_mut_ptr() as *mut EpochHeader) };
        let old = header.region_len as usize;
        let new = old.checked_add(extra_bytes).ok_or(BookError::Overflow)?;
        let new_len = u32::try_from(new).map_err(|_| BookError::Overflow)?;
        header.check(data.len() - extra_bytes.min(data.len()))?;
        if data.len() != data_len(new) || !extra_bytes.is_multiple_of(8) {
            return Err(BookError::InvalidLayout);
        }
        let orders = header.order_count as usize * ORDER_LEN;
        header.region_len = new_len;
        let from = EPOCH_HEADER_LEN + old - orders;
        let to = from + extra_bytes;
        data.copy_within(from..from + orders, to);
        data[from..to].fill(0);
        Ok(())
    }

    /// The levels, ascending by price.
    #[inline(always)]
    pub fn levels(&self) -> &[Level] {
        // SAFETY: `load` checked that `level_count` levels fit the region, which starts 8-aligned
        // (EPOCH_HEADER_LEN is a multiple of 8); every bit pattern is a valid level.
        unsafe {
            core::slice::from_raw_parts(
                self.region.as_ptr() as *const Level,
                self.header.level_count as usize,
            )
        }
    }

    /// The order at `index` (tombstones included), if `index < order_count`.
    #[inline(always)]
    pub fn order(&self, index: u32) -> Option<&Order> {
        if index >= self.header.order_count {
            return None;
        }
        let at = self.region.len() - (index as usize + 1) * ORDER_LEN;
        // SAFETY: in bounds (the order block fits the region), 8-aligned (region_len and ORDER_LEN
        // are multiples of 8), every bit pattern is a valid order.
        Some(unsafe { &*(self.region.as_ptr().add(at) as *const Order) })
    }

    /// Bytes between the levels and the orders.
    #[inline(always)]
    pub fn free_bytes(&self) -> usize {
        self.region.len()
            - self.header.level_count as usize * LEVEL_LEN
            - self.header.order_count as usize * ORDER_LEN
    }

    /// Bytes a new order at `price` takes: an order slot, plus a level when none exists at that
    /// price.
    pub fn bytes_for_order(&self, price: u64) -> usize {
        match self.find_level(price) {
            Ok(_) => ORDER_LEN,
            Err(_) => ORDER_LEN + LEVEL_LEN,
        }
    }

    /// Resets the account to hold epoch `epoch` (`Collecting`): zeroes the results, the counts
    /// and the levels, keeps the market, slot, bump and size. Refused (`EpochNotSettled`) unless
    /// the account is `Empty` or `Settled`, and (`EpochOutOfOrder`) for an epoch not after the
    /// one it holds or of the other slot's parity.
    pub fn reset(&mut self, epoch: u64, epoch_secs: u32) -> Result<(), BookError> {
        match self.header.state() {
            EpochState::Empty => {}
            EpochState::Settled if epoch > self.header.epoch => {}
            EpochState::Settled => return Err(BookError::EpochOutOfOrder),
            EpochState::Collecting | EpochState::PriceFixed => {
                return Err(BookError::EpochNotSettled)
            }
        }
        if super::slot_of(epoch) != self.header.slot {
            return Err(BookError::WrongEpochAccount);
        }
        if epoch_secs == 0 {
            return Err(BookError::WrongMarketMode);
        }
        let secs = epoch_secs as u64;
        let starts_at = math::mul(epoch, secs)?;
        let ends_at = math::add(starts_at, secs)?;
        if ends_at > i64::MAX as u64 {
            return Err(BookError::Overflow);
        }
        let h = &mut *self.header;
        *h = EpochHeader {
            market: h.market,
            epoch,
            starts_at: starts_at as i64,
            ends_at: ends_at as i64,
            region_len: h.region_len,
            slot: h.slot,
            state: EpochState::Collecting as u8,
            bump: h.bump,
            ..EpochHeader::default()
        };
        Ok(())
    }

    /// Makes the account ready to take orders of epoch `epoch`: nothing to do when it already
    /// collects them, else [`Self::reset`].
    pub fn prepare_for(&mut self, epoch: u64, epoch_secs: u32) -> Result<(), BookError> {
        if self.header.state() == EpochState::Collecting && self.header.epoch == epoch {
            return Ok(());
        }
        self.reset(epoch, epoch_secs)
    }

    /// Fixes the clearing price of the epoch at cluster time `now` from its levels, with
    /// `reference` the market's previous clearing price (0: none): records the result, the marginal
    /// lots to ration and `cleared_at`, and moves to `PriceFixed`. Refused while the auction
    /// collects (`EpochNotEnded`), after it was cleared (`EpochAlreadyCleared`), or for a slot
    /// holding no epoch (`WrongEpoch`).
    pub fn fix_price(&mut self, now: i64, reference: u64) -> Result<Clearing, BookError> {
        self.check_clearable(now)?;
        let clearing = clear(self.levels(), reference)?;
        let h = &mut *self.header;
        h.reference_price = reference;
        h.clearing_price = clearing.price;
        h.volume_lots = clearing.volume;
        h.demand_lots = clearing.demand;
        h.supply_lots = clearing.supply;
        h.bid_marginal_price = clearing.bid_marginal_price;
        h.bid_marginal_left = clearing.bid_marginal;
        h.ask_marginal_price = clearing.ask_marginal_price;
        h.ask_marginal_left = clearing.ask_marginal;
        h.cleared_at = now;
        h.state = EpochState::PriceFixed as u8;
        Ok(clearing)
    }

    /// The epoch collected orders and its auction has ended at `now`.
    pub(crate) fn check_clearable(&self, now: i64) -> Result<(), BookError> {
        match self.header.state() {
            EpochState::Collecting => {}
            EpochState::PriceFixed | EpochState::Settled => {
                return Err(BookError::EpochAlreadyCleared)
            }
            EpochState::Empty => return Err(BookError::WrongEpoch),
        }
        if !self.header.closed(now) {
            return Err(BookError::EpochNotEnded);
        }
        Ok(())
    }

    /// Index of the level at `price`, or where it would be inserted.
    fn find_level(&self, price: u64) -> Result<usize, usize> {
        self.levels().binary_search_by(|l| l.price.cmp(&price))
    }

    fn levels_mut(&mut self) -> &mut [Level] {
        // SAFETY: as in `levels`.
        unsafe {
            core::slice::from_raw_parts_mut(
                self.region.as_mut_ptr() as *mut Level,
                self.header.level_count as usize,
            )
        }
    }

    fn order_mut(&mut self, index: u32) -> &mut Order {
        let at = self.region.len() - (index as usize + 1) * ORDER_LEN;
        // SAFETY: callers pass `index < order_count` (in bounds, 8-aligned as in `order`).
        unsafe { &mut *(self.region.as_mut_ptr().add(at) as *mut Order) }
    }

    /// Adds `lots` of `side` at `price` to its level (inserted when missing) and to the side's
    /// total. The caller checked the free bytes.
    fn add_lots(&mut self, side: Side, price: u64, lots: u64) -> Result<(), BookError> {
        let total = match side {
            Side::Bid => &mut self.header.total_bid_lots,
            Side::Ask => &mut self.header.total_ask_lots,
        };
        *total = math::add(*total, lots)?;
        let at = match self.find_level(price) {
            Ok(at) => at,
            Err(at) => {
                if self.free_bytes() < LEVEL_LEN {
                    return Err(BookError::BookFull);
                }
                let count = self.header.level_count as usize;
                let start = at * LEVEL_LEN;
                self.region
                    .copy_within(start..count * LEVEL_LEN, start + LEVEL_LEN);
                self.header.level_count += 1;
                self.levels_mut()[at] = Level {
                    price,
                    bid_lots: 0,
                    ask_lots: 0,
                };
                at
            }
        };
        let level = &mut self.levels_mut()[at];
        match side {
            Side::Bid => level.bid_lots += lots, // at most the side's total
            Side::Ask => level.ask_lots += lots,
        }
        Ok(())
    }

    /// Removes `lots` of `side` at `price` from its level (removed when empty) and the total.
    fn remove_lots(&mut self, side: Side, price: u64, lots: u64) -> Result<(), BookError> {
        let at = self
            .find_level(price)
            .map_err(|_| BookError::InvalidLayout)?;
        let total = match side {
            Side::Bid => &mut self.header.total_bid_lots,
            Side::Ask => &mut self.header.total_ask_lots,
        };
        *total = math::sub(*total, lots)?;
        let level = &mut self.levels_mut()[at];
        let side_lots = match side {
            Side::Bid => &mut level.bid_lots,
            Side::Ask => &mut level.ask_lots,
        };
        *side_lots = math::sub(*side_lots, lots)?;
        let level = *level;
        if level.bid_lots == 0 && level.ask_lots == 0 {
            let count = self.header.level_count as usize;
            let start = at * LEVEL_LEN;
            self.region
                .copy_within(start + LEVEL_LEN..count * LEVEL_LEN, start);
            self.header.level_count -= 1;
        }
        Ok(())
    }

    /// Appends `order` (index `order_count`) and adds its lots to its level and side total.
    pub(crate) fn push(&mut self, order: &Order, side: Side) -> Result<u32, BookError> {
        if self.free_bytes() < self.bytes_for_order(order.price) {
            return Err(BookError::BookFull);
        }
        self.add_lots(side, order.price, order.lots)?;
        let index = self.header.order_count;
        self.header.order_count += 1;
        self.header.live_orders += 1;
        *self.order_mut(index) = *order;
        Ok(index)
    }

    /// Tombstones the order at `index` (`lots = 0`) and removes its lots from its level and side.
    pub(crate) fn tombstone(&mut self, index: u32, side: Side) -> Result<Order, BookError> {
        let order = *self.order_mut(index);
        self.remove_lots(side, order.price, order.lots)?;
        self.order_mut(index).lots = 0;
        self.header.live_orders -= 1;
        Ok(order)
    }
}
