//! The market account's layout, zero-copy: a fixed header, then the seats, then the orders.
//!
//! ```text
//! [ MarketHeader ][ Seat; seat_capacity ][ Order; order_capacity                          ]
//!                                         [ bids (worst .. best) | free | asks (best .. worst) ]
//! ```
//!
//! The program puts an 8-byte Anchor discriminator in front; the bytes handed to [`Market::load`]
//! start at the header, which the runtime places at an 8-byte aligned address. Every struct here is
//! `#[repr(C)]` with naturally aligned fields and no implicit padding (checked at compile time), so
//! its memory layout *is* its borsh encoding and the IDL describes the header field by field, while
//! loads and stores stay single machine instructions.
//!
//! Both sides of the book live in one order region: bids grow from its start with the best bid
//! last, asks grow from its end with the best ask first, so both best orders sit next to the free
//! gap and taking the best is O(1). Inserting or removing elsewhere shifts one side's tail (one
//! `memmove`). Seats never move: an order names its owner by seat index. The account grows at the
//! end ([`grow`]); growing moves the asks to the new end of the order region, and new seat slots
//! move the whole order region.

use core::mem::{align_of, size_of};

use crate::{error::BookError, math, BASE_ATOMS_PER_WH, MAX_FEE_BPS};

/// A 32-byte address (the program converts from and to its own address type).
pub type Key = [u8; 32];

macro_rules! assert_packed {
    ($ty:ty, $size:expr) => {
        const _: () = assert!(size_of::<$ty>() == $size);
        const _: () = assert!(size_of::<$ty>() % 8 == 0 && align_of::<$ty>() <= 8);
    };
}

/// The market's parameters, as a regulator sets them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params {
    /// Quote atoms per kWh of one price tick.
    pub tick_size: u64,
    /// Wh per lot (the quantity unit).
    pub lot_size_wh: u64,
    /// Smallest order, lots.
    pub min_order_lots: u64,
    pub taker_fee_bps: u16,
    pub maker_fee_bps: u16,
    /// Most orders a trader (not a market maker) may rest per 15-minute epoch.
    pub max_orders_per_epoch: u32,
}

impl Params {
    /// Ranges: tick, lot, minimum and epoch limit at least 1; fees at most [`MAX_FEE_BPS`]; one lot
    /// at one tick must be a whole number of quote atoms (`tick_size * lot_size_wh` divisible by
    /// 1,000, as the tick is per kWh), so that every amount is exact.
    pub fn validate(&self) -> Result<(), BookError> {
        let ok = self.tick_size >= 1
            && self.lot_size_wh >= 1
            && self.min_order_lots >= 1
            && self.max_orders_per_epoch >= 1
            && self.taker_fee_bps <= MAX_FEE_BPS
            && self.maker_fee_bps <= MAX_FEE_BPS;
        if !ok {
            return Err(BookError::InvalidParams);
        }
        let per_kwh =
            math::mul(self.tick_size, self.lot_size_wh).map_err(|_| BookError::InvalidParams)?;
        if per_kwh % 1_000 != 0 {
            return Err(BookError::InvalidParams);
        }
        math::mul(self.lot_size_wh, BASE_ATOMS_PER_WH).map_err(|_| BookError::InvalidParams)?;
        Ok(())
    }

    /// Base atoms (GRID has 9 decimals: 10^6 per Wh) in one lot.
    pub fn base_atoms_per_lot(&self) -> u64 {
        self.lot_size_wh * BASE_ATOMS_PER_WH
    }

    /// Quote atoms of one lot at one tick.
    pub fn quote_per_lot_tick(&self) -> u64 {
        self.tick_size * self.lot_size_wh / 1_000
    }
}

/// The market header (account data after the discriminator).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MarketHeader {
    pub base_mint: Key,
    pub quote_mint: Key,
    /// SPL Token accounts owned by the market PDA holding every trader's deposits.
    pub base_vault: Key,
    pub quote_vault: Key,
    /// The registry's Zone account of `zone_id`.
    pub zone: Key,
    pub registry_program: Key,
    /// The only signer `collect_fees` accepts.
    pub fee_recipient: Key,
    pub tick_size: u64,
    pub lot_size_wh: u64,
    /// Derived: `lot_size_wh * 10^6`.
    pub base_atoms_per_lot: u64,
    /// Derived: `tick_size * lot_size_wh / 1000`.
    pub quote_per_lot_tick: u64,
    pub min_order_lots: u64,
    /// Id of the next order (ids are unique per market and increase).
    pub next_order_id: u64,
    /// Quote atoms of fees not yet collected.
    pub fees_accrued: u64,
    /// Quote atoms of fees collected so far.
    pub fees_collected: u64,
    /// Totals of every fill.
    pub base_volume: u64,
    pub quote_volume: u64,
    pub trade_count: u64,
    /// Cluster Unix time of creation.
    pub created_at: i64,
    pub zone_id: u32,
    pub max_orders_per_epoch: u32,
    pub seat_count: u32,
    pub seat_capacity: u32,
    pub bid_count: u32,
    pub ask_count: u32,
    pub order_capacity: u32,
    pub taker_fee_bps: u16,
    pub maker_fee_bps: u16,
    /// The program's market status (0 = active).
    pub status: u8,
    pub bump: u8,
    pub base_vault_bump: u8,
    pub quote_vault_bump: u8,
    pub quote_decimals: u8,
    pub padding: [u8; 3],
    /// Length of a periodic market's auction epoch in seconds; 0 = continuous market.
    pub epoch_secs: u32,
    /// Live auction orders across both epoch slots (the tick and lot size change only at 0).
    pub auction_orders: u32,
    /// Price of the last epoch that executed a volume (ticks; 0: none yet): the clearing
    /// tie-break's reference.
    pub last_clearing_price: u64,
    /// The last epoch settled (meaningful once `auctions_settled > 0`).
    pub last_settled_epoch: u64,
    /// Epochs settled so far.
    pub auctions_settled: u64,
    /// Bumps of the epoch accounts of slots 0 and 1.
    pub epoch_bumps: [u8; 2],
    pub reserved: [u8; 30],
}
assert_packed!(
    MarketHeader,
    7 * 32 + 12 * 8 + 7 * 4 + 2 * 2 + 5 + 3 + (2 * 4 + 3 * 8 + 2 + 30)
);
const _: () = assert!(size_of::<MarketHeader>() == 424);
const _: () = assert!(core::mem::offset_of!(MarketHeader, epoch_secs) == 360);

impl Default for MarketHeader {
    fn default() -> Self {
        // SAFETY: every field is an integer or a byte array; all zeroes is a valid value.
        unsafe { core::mem::zeroed() }
    }
}

impl MarketHeader {
    pub fn params(&self) -> Params {
        Params {
            tick_size: self.tick_size,
            lot_size_wh: self.lot_size_wh,
            min_order_lots: self.min_order_lots,
            taker_fee_bps: self.taker_fee_bps,
            maker_fee_bps: self.maker_fee_bps,
            max_orders_per_epoch: self.max_orders_per_epoch,
        }
    }

    /// Stores validated parameters and their derived amounts. The tick and lot sizes cannot
    /// change while orders rest or wait in an auction (`InvalidParams`): what an order locks is
    /// computed from them.
    pub fn set_params(&mut self, params: &Params) -> Result<(), BookError> {
        params.validate()?;
        let resting = self.bid_count != 0 || self.ask_count != 0 || self.auction_orders != 0;
        let resized = params.tick_size != self.tick_size || params.lot_size_wh != self.lot_size_wh;
        if resting && resized {
            return Err(BookError::InvalidParams);
        }
        if resized {
            // The last clearing price is in the old ticks: it no longer breaks an auction's ties.
            self.last_clearing_price = 0;
        }
        self.tick_size = params.tick_size;
        self.lot_size_wh = params.lot_size_wh;
        self.base_atoms_per_lot = params.base_atoms_per_lot();
        self.quote_per_lot_tick = params.quote_per_lot_tick();
        self.min_order_lots = params.min_order_lots;
        self.taker_fee_bps = params.taker_fee_bps;
        self.maker_fee_bps = params.maker_fee_bps;
        self.max_orders_per_epoch = params.max_orders_per_epoch;
        Ok(())
    }
}

/// A trader's place in a market: balances held in the vaults on the trader's behalf.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Seat {
    pub trader: Key,
    /// Base atoms the trader may withdraw or sell.
    pub base_free: u64,
    /// Base atoms that the trader's resting asks lock.
    pub base_locked: u64,
    pub quote_free: u64,
    /// Quote atoms that the trader's resting bids lock (price and maker fee).
    pub quote_locked: u64,
    /// Highest client order id used (0: none); a new non-zero id must be greater.
    pub last_client_order_id: u64,
    /// The 15-minute epoch `orders_in_epoch` counts (Unix time / 900).
    pub epoch: u64,
    pub orders_in_epoch: u32,
    /// Resting orders.
    pub open_orders: u32,
    /// 1 when regulators registered the trader as a market maker (no per-epoch limit).
    pub market_maker: u8,
    pub padding: [u8; 7],
}
assert_packed!(Seat, 32 + 6 * 8 + 2 * 4 + 1 + 7);

/// Order flag: part of the order traded when it was placed (it rests partially filled).
pub const FLAG_FILLED_ON_ENTRY: u8 = 1;
/// Auction order flag: what is not matched in its epoch rolls into the next one.
pub const FLAG_ROLLOVER: u8 = 2;
/// Auction order flag: it rolled into this epoch from the previous one.
pub const FLAG_ROLLED_IN: u8 = 4;

/// A resting order.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Order {
    /// Limit price, ticks.
    pub price: u64,
    pub order_id: u64,
    /// Lots still resting (in an auction: lots offered; 0 = cancelled).
    pub lots: u64,
    /// Lots when it started resting (in an auction: when it joined this epoch).
    pub initial_lots: u64,
    pub client_order_id: u64,
    /// Cluster Unix time from which it no longer matches; 0 = good till cancelled.
    pub expires_at: i64,
    /// Index of the owner's seat.
    pub seat: u32,
    /// A [`crate::Side`].
    pub side: u8,
    pub flags: u8,
    /// The maker fee in force when it was placed (its lock reserves this fee).
    pub maker_fee_bps: u16,
}
assert_packed!(Order, 6 * 8 + 4 + 1 + 1 + 2);

impl Order {
    #[inline(always)]
    pub fn is_expired(&self, now: i64) -> bool {
        self.expires_at != 0 && self.expires_at <= now
    }

    /// Lots traded while resting.
    #[inline(always)]
    pub fn filled_as_maker(&self) -> u64 {
        self.initial_lots - self.lots
    }
}

pub const HEADER_LEN: usize = size_of::<MarketHeader>();
pub const SEAT_LEN: usize = size_of::<Seat>();
pub const ORDER_LEN: usize = size_of::<Order>();

/// Bytes (after the discriminator) of a market with these capacities.
pub const fn data_len(seat_capacity: u32, order_capacity: u32) -> usize {
    HEADER_LEN + seat_capacity as usize * SEAT_LEN + order_capacity as usize * ORDER_LEN
}

/// A market viewed in place over its account bytes.
pub struct Market<'a> {
    pub header: &'a mut MarketHeader,
    /// `seat_capacity` slots, the first `seat_count` in use.
    pub seats: &'a mut [Seat],
    /// `order_capacity` slots: bids at the start, asks at the end.
    pub orders: &'a mut [Order],
}

/// `T` over the start of `bytes` (length and alignment checked by the caller).
///
/// # Safety
/// `bytes` holds at least `size_of::<T>() * len` bytes at an address aligned for `T`, and `T`
/// accepts every bit pattern (all types of this module do).
unsafe fn cast_slice<T>(bytes: &mut [u8], len: usize) -> &mut [T] {
    core::slice::from_raw_parts_mut(bytes.as_mut_ptr() as *mut T, len)
}

impl<'a> Market<'a> {
    /// Views `data` (the account data after the discriminator) as a market, checking that the
    /// length matches the capacities in the header and that the counts fit them.
    pub fn load(data: &'a mut [u8]) -> Result<Self, BookError> {
        if data.len() < HEADER_LEN || !(data.as_ptr() as usize).is_multiple_of(8) {
            return Err(BookError::InvalidLayout);
        }
        let (head, rest) = data.split_at_mut(HEADER_LEN);
        // SAFETY: length checked, address 8-aligned, every bit pattern is a valid header.
        let header = unsafe { &mut *(head.as_mut_ptr() as *mut MarketHeader) };
        let seat_capacity = header.seat_capacity;
        let order_capacity = header.order_capacity;
        if rest.len() != data_len(seat_capacity, order_capacity) - HEADER_LEN
            || header.seat_count > seat_capacity
            || header.bid_count as u64 + header.ask_count as u64 > order_capacity as u64
        {
            return Err(BookError::InvalidLayout);
        }
        let (seats, orders) = rest.split_at_mut(seat_capacity as usize * SEAT_LEN);
        // SAFETY: lengths match the capacities; HEADER_LEN and SEAT_LEN are multiples of 8.
        let seats = unsafe { cast_slice::<Seat>(seats, seat_capacity as usize) };
        let orders = unsafe { cast_slice::<Order>(orders, order_capacity as usize) };
        Ok(Self {
            header,
            seats,
            orders,
        })
    }

    /// The header of a market account that is not loaded yet (creation writes it).
    pub fn header_mut(data: &mut [u8]) -> Result<&mut MarketHeader, BookError> {
        if data.len() < HEADER_LEN || !(data.as_ptr() as usize).is_multiple_of(8) {
            return Err(BookError::InvalidLayout);
        }
        // SAFETY: as in `load`.
        Ok(unsafe { &mut *(data.as_mut_ptr() as *mut MarketHeader) })
    }

    /// Resting bids, worst first (the best bid is last).
    #[inline(always)]
    pub fn bids(&self) -> &[Order] {
        &self.orders[..self.header.bid_count as usize]
    }

    /// Resting asks, best first.
    #[inline(always)]
    pub fn asks(&self) -> &[Order] {
        &self.orders[self.orders.len() - self.header.ask_count as usize..]
    }

    /// Free order slots.
    #[inline(always)]
    pub fn free_order_slots(&self) -> u32 {
        self.header.order_capacity - self.header.bid_count - self.header.ask_count
    }

    /// Free seat slots.
    #[inline(always)]
    pub fn free_seat_slots(&self) -> u32 {
        self.header.seat_capacity - self.header.seat_count
    }
}

/// Grows a market in place after its account was resized to
/// `data_len(seat_capacity + extra_seats, order_capacity + extra_orders)` (capacities as the header
/// still records them): moves the orders so that both sides border the free gap again, zeroes the
/// new seat slots and records the new capacities.
pub fn grow(data: &mut [u8], extra_seats: u32, extra_orders: u32) -> Result<(), BookError> {
    let header = Market::header_mut(data)?;
    let old_seats = header.seat_capacity;
    let old_orders = header.order_capacity;
    let bids = header.bid_count as usize;
    let asks = header.ask_count as usize;
    let new_seats = old_seats
        .checked_add(extra_seats)
        .ok_or(BookError::Overflow)?;
    let new_orders = old_orders
        .checked_add(extra_orders)
        .ok_or(BookError::Overflow)?;
    if data.len() != data_len(new_seats, new_orders) || bids + asks > old_orders as usize {
        return Err(BookError::InvalidLayout);
    }
    let old_region = HEADER_LEN + old_seats as usize * SEAT_LEN;
    let new_region = HEADER_LEN + new_seats as usize * SEAT_LEN;
    // Everything moves towards the end: the asks (rightmost) first, then the bids.
    let asks_from = old_region + (old_orders as usize - asks) * ORDER_LEN;
    let asks_to = new_region + (new_orders as usize - asks) * ORDER_LEN;
    data.copy_within(asks_from..asks_from + asks * ORDER_LEN, asks_to);
    if new_region != old_region {
        data.copy_within(old_region..old_region + bids * ORDER_LEN, new_region);
        data[old_region..new_region].fill(0);
    }
    let header = Market::header_mut(data)?;
    header.seat_capacity = new_seats;
    header.order_capacity = new_orders;
    Ok(())
}
