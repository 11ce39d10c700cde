//! Helpers of the call auction's host tests: epoch account buffers, a periodic market with its two
//! epoch slots driven as the program drives them, a settlement recorder, the brute-force clearing
//! reference and a small seeded random generator.

use std::collections::BTreeMap;

use solgrid_order_book::{
    auction::{self, epoch::data_len, Epoch, EpochHeader, EpochLimits, EpochState, Level},
    AuctionOrder, AuctionPlaced, BookError, ChunkOutcome, Clearing, Key, Order, Params, Removal,
    Settlement, SettlementSink, Side,
};

use super::{key, MarketBuf};

/// The market's address in these tests.
pub const MARKET: Key = [0xAA; 32];

/// An epoch account's data (after the discriminator), 8-byte aligned.
#[derive(Clone)]
pub struct EpochBuf {
    words: Vec<u64>,
    /// The limits every view of this account uses (the program's: `EpochLimits::MAX`).
    pub limits: EpochLimits,
}

impl EpochBuf {
    /// A fresh account of slot `slot` with a region of `region` bytes (a multiple of 8).
    pub fn new(market: &Key, slot: u8, region: usize) -> Self {
        let mut buf = EpochBuf {
            words: vec![0; data_len(region) / 8],
            limits: EpochLimits::MAX,
        };
        Epoch::init(buf.bytes(), market, slot, 254 - slot).expect("init");
        buf
    }

    pub fn bytes(&mut self) -> &mut [u8] {
        let len = self.words.len() * 8;
        // SAFETY: the words own `len` initialised bytes.
        unsafe { std::slice::from_raw_parts_mut(self.words.as_mut_ptr() as *mut u8, len) }
    }

    pub fn epoch(&mut self) -> Epoch<'_> {
        let limits = self.limits;
        Epoch::load(self.bytes())
            .expect("a valid epoch account")
            .with_limits(limits)
    }

    pub fn header(&self) -> EpochHeader {
        let len = self.words.len() * 8;
        // SAFETY: as in `bytes`, read-only.
        let bytes = unsafe { std::slice::from_raw_parts(self.words.as_ptr() as *const u8, len) };
        *EpochHeader::read(bytes).expect("a valid epoch header")
    }

    pub fn len(&self) -> usize {
        self.words.len() * 8
    }

    /// Resizes the account as the program does (new bytes zeroed) and grows the region in it.
    pub fn grow(&mut self, extra: usize) -> Result<(), BookError> {
        self.words.resize((self.len() + extra).div_ceil(8), 0);
        Epoch::grow(self.bytes(), extra)
    }

    /// Every order slot, index order (tombstones included).
    pub fn orders(&mut self) -> Vec<Order> {
        let e = self.epoch();
        (0..e.header.order_count)
            .map(|i| *e.order(i).unwrap())
            .collect()
    }

    pub fn levels(&mut self) -> Vec<Level> {
        self.epoch().levels().to_vec()
    }

    pub fn snapshot(&self) -> Vec<u64> {
        self.words.clone()
    }

    pub fn restore(&mut self, words: &[u64]) {
        self.words.clear();
        self.words.extend_from_slice(words);
    }
}

/// Keeps every settlement record.
#[derive(Default, Debug)]
pub struct Settlements {
    pub records: Vec<Settlement>,
    /// Refuse records after this many (`EventsFull`), if set.
    pub room: Option<usize>,
}

impl SettlementSink for Settlements {
    fn settlement(&mut self, s: &Settlement) -> Result<(), BookError> {
        if self.room.is_some_and(|room| self.records.len() >= room) {
            return Err(BookError::EventsFull);
        }
        self.records.push(*s);
        Ok(())
    }
}

/// A periodic market with its two epoch accounts, operated as the program operates them: each
/// operation snapshots every buffer and restores them all when it fails.
pub struct Auction {
    pub market: MarketBuf,
    pub slots: [EpochBuf; 2],
}

type Snapshot = (Vec<u64>, Vec<u64>, Vec<u64>);

impl Auction {
    /// A periodic market of `epoch_secs` with traders `1..=traders` seated, each holding `base`
    /// and `quote` free; both epoch accounts with a region of `region` bytes.
    pub fn new(
        params: &Params,
        epoch_secs: u32,
        traders: u8,
        base: u64,
        quote: u64,
        region: usize,
    ) -> Self {
        let mut market = MarketBuf::with_traders(params, traders, base, quote);
        market.market().header.epoch_secs = epoch_secs;
        Auction {
            market,
            slots: [
                EpochBuf::new(&MARKET, 0, region),
                EpochBuf::new(&MARKET, 1, region),
            ],
        }
    }

    /// Lowers both epoch accounts' limits (as every view of them will use).
    pub fn with_limits(mut self, levels: u32, orders: u32) -> Self {
        for slot in &mut self.slots {
            slot.limits = EpochLimits { levels, orders };
        }
        self
    }

    pub fn epoch_secs(&mut self) -> u32 {
        self.market.header().epoch_secs
    }

    pub fn snapshot(&self) -> Snapshot {
        (
            self.market.snapshot(),
            self.slots[0].snapshot(),
            self.slots[1].snapshot(),
        )
    }

    pub fn restore(&mut self, s: &Snapshot) {
        self.market.restore(&s.0);
        self.slots[0].restore(&s.1);
        self.slots[1].restore(&s.2);
    }

    /// The slot of epoch `e`.
    pub fn slot(&mut self, e: u64) -> &mut EpochBuf {
        &mut self.slots[auction::slot_of(e) as usize]
    }

    /// Places an auction order for trader `n` at `now` as `place_auction_order` does: prepares the
    /// current epoch's slot, grows it when the order needs room (by `grow_extra` bytes more than
    /// needed), places. Restores everything on an error.
    pub fn place(
        &mut self,
        n: u8,
        order: &AuctionOrder,
        now: i64,
        grow_extra: usize,
    ) -> Result<AuctionPlaced, BookError> {
        let snapshot = self.snapshot();
        let result = self.try_place(n, order, now, grow_extra);
        if result.is_err() {
            self.restore(&snapshot);
        }
        result
    }

    fn try_place(
        &mut self,
        n: u8,
        order: &AuctionOrder,
        now: i64,
        grow_extra: usize,
    ) -> Result<AuctionPlaced, BookError> {
        let secs = self.epoch_secs();
        if secs == 0 {
            return Err(BookError::WrongMarketMode);
        }
        let e = auction::epoch_at(now, secs);
        let seat = self.market.market().seat_of(&key(n)).unwrap_or(u32::MAX);
        let slot = self.slot(e);
        let need = {
            let mut epoch = slot.epoch();
            epoch.prepare_for(e, secs)?;
            epoch
                .bytes_for_order(order.price)
                .saturating_sub(epoch.free_bytes())
        };
        if need > 0 {
            slot.grow(need + grow_extra)?;
        }
        let other = self.slots[1 - auction::slot_of(e) as usize].header();
        let slot = &mut self.slots[auction::slot_of(e) as usize];
        let mut epoch = slot.epoch();
        self.market
            .market()
            .place_auction(&mut epoch, &other, seat, &key(n), order, now)
    }

    /// `place` that must succeed.
    pub fn placed(&mut self, n: u8, order: &AuctionOrder, now: i64) -> AuctionPlaced {
        self.place(n, order, now, 0)
            .unwrap_or_else(|e| panic!("placing {order:?} for trader {n}: {e:?}"))
    }

    /// Cancels trader `n`'s order `index` of epoch `e` (its slot). Restores on an error.
    pub fn cancel(
        &mut self,
        n: u8,
        e: u64,
        index: u32,
        order_id: u64,
        now: i64,
    ) -> Result<Removal, BookError> {
        self.cancel_with(n, e, index, order_id, now, false)
    }

    /// [`Auction::cancel`], with trading paused for the market's zone or not.
    pub fn cancel_with(
        &mut self,
        n: u8,
        e: u64,
        index: u32,
        order_id: u64,
        now: i64,
        trading_paused: bool,
    ) -> Result<Removal, BookError> {
        let snapshot = self.snapshot();
        let seat = self.market.market().seat_of(&key(n)).unwrap_or(u32::MAX);
        let slot = &mut self.slots[auction::slot_of(e) as usize];
        if slot.header().epoch != e {
            return Err(BookError::WrongEpoch);
        }
        let mut epoch = slot.epoch();
        let result = self.market.market().cancel_auction(
            &mut epoch,
            seat,
            &key(n),
            index,
            order_id,
            now,
            trading_paused,
        );
        if result.is_err() {
            self.restore(&snapshot);
        }
        result
    }

    /// Clears epoch `e` (its slot, the other slot as `other`). Restores on an error.
    pub fn clear(&mut self, e: u64, now: i64) -> Result<Clearing, BookError> {
        let snapshot = self.snapshot();
        let [a, b] = &mut self.slots;
        let (this, other) = if auction::slot_of(e) == 0 {
            (a, b)
        } else {
            (b, a)
        };
        let other = other.header();
        let mut epoch = this.epoch();
        let result = if epoch.header.epoch != e && epoch.header.state() != EpochState::Empty {
            Err(BookError::WrongEpoch)
        } else {
            self.market.market().clear_auction(&mut epoch, &other, now)
        };
        if result.is_err() {
            self.restore(&snapshot);
        }
        result
    }

    /// What the next chunk of epoch `e` needs its next slot to grow by.
    pub fn bytes_needed(&mut self, e: u64, cursor: u32, max_orders: u32) -> usize {
        let [a, b] = &mut self.slots;
        let (this, next) = if auction::slot_of(e) == 0 {
            (a, b)
        } else {
            (b, a)
        };
        let epoch = this.epoch();
        let next = next.epoch();
        self.market
            .market()
            .rollover_bytes_needed(&epoch, &next, cursor, max_orders)
    }

    /// Settles one chunk of epoch `e` without growing anything. Restores on an error.
    pub fn settle_raw(
        &mut self,
        e: u64,
        cursor: u32,
        max_orders: u32,
        now: i64,
        sink: &mut Settlements,
    ) -> Result<ChunkOutcome, BookError> {
        let snapshot = self.snapshot();
        let before = sink.records.len();
        let [a, b] = &mut self.slots;
        let (this, next) = if auction::slot_of(e) == 0 {
            (a, b)
        } else {
            (b, a)
        };
        let mut epoch = this.epoch();
        let mut next = next.epoch();
        let result = self
            .market
            .market()
            .settle_chunk(&mut epoch, &mut next, cursor, max_orders, now, sink);
        if result.is_err() {
            self.restore(&snapshot);
            sink.records.truncate(before);
        }
        result
    }

    /// Settles one chunk as `settle_epoch` does: grows the next slot by exactly what it needs
    /// first.
    pub fn settle(
        &mut self,
        e: u64,
        max_orders: u32,
        now: i64,
        sink: &mut Settlements,
    ) -> Result<ChunkOutcome, BookError> {
        let cursor = self.slot(e).header().cursor;
        let need = self.bytes_needed(e, cursor, max_orders);
        let snapshot = self.snapshot();
        if need > 0 {
            let next = &mut self.slots[1 - auction::slot_of(e) as usize];
            next.grow(need)?;
        }
        let result = self.settle_raw(e, cursor, max_orders, now, sink);
        if result.is_err() {
            self.restore(&snapshot);
        }
        result
    }

    /// Clears epoch `e` and settles it completely in chunks of `chunk`.
    pub fn crank(&mut self, e: u64, chunk: u32, now: i64) -> (Clearing, Vec<Settlement>) {
        let clearing = self.clear(e, now).expect("clear");
        let mut sink = Settlements::default();
        loop {
            let out = self.settle(e, chunk, now, &mut sink).expect("settle");
            if out.done {
                break;
            }
        }
        (clearing, sink.records)
    }
}

/// An auction order.
pub fn auction_order(side: Side, price: u64, lots: u64) -> AuctionOrder {
    AuctionOrder {
        side,
        price,
        lots,
        client_order_id: 0,
        expires_at: 0,
        rollover: false,
    }
}

pub fn abid(price: u64, lots: u64) -> AuctionOrder {
    auction_order(Side::Bid, price, lots)
}

pub fn aask(price: u64, lots: u64) -> AuctionOrder {
    auction_order(Side::Ask, price, lots)
}

/// The levels that `orders` (side, price, lots) aggregate to.
pub fn levels_of(orders: &[(Side, u64, u64)]) -> Vec<Level> {
    let mut by_price: BTreeMap<u64, (u128, u128)> = BTreeMap::new();
    for &(side, price, lots) in orders {
        let entry = by_price.entry(price).or_default();
        match side {
            Side::Bid => entry.0 += lots as u128,
            Side::Ask => entry.1 += lots as u128,
        }
    }
    by_price
        .into_iter()
        .filter(|(_, (b, a))| b + a > 0)
        .map(|(price, (b, a))| Level {
            price,
            bid_lots: b as u64,
            ask_lots: a as u64,
        })
        .collect()
}

/// The clearing computed by brute force from the orders themselves (side, limit price, lots), in
/// time order: every candidate price from 1 to the highest limit + 1, evaluated directly; the
/// optimal set (checked contiguous); within it the market-pressure set, the prices where the bids
/// above and the asks below fit in the volume (`D(p + 1) <= V`, `S(p - 1) <= V`, evaluated
/// directly and checked non-empty and contiguous); the reference rule; and each order's fill by
/// price-time priority of the long side (checked: every order priced better than the price fills
/// completely). Returns the clearing price, volume, demand and supply at it (all 0 when nothing
/// executes) and the fill of each order.
pub struct Reference {
    /// The prices of most volume and least surplus, `[lo, hi]` (0, 0 when nothing executes).
    pub optimal: (u64, u64),
    /// Within them, the market-pressure prices the reference chooses from.
    pub pressure: (u64, u64),
    pub price: u64,
    pub volume: u64,
    pub demand: u64,
    pub supply: u64,
    pub fills: Vec<u64>,
}

pub fn brute_force(orders: &[(Side, u64, u64)], reference: u64) -> Reference {
    let top = orders.iter().map(|o| o.1).max().unwrap_or(0);
    let mut best: Option<(u128, u128)> = None; // (volume, surplus)
    let mut optimal: Vec<u64> = Vec::new();
    let at = |p: u64| {
        let mut d = 0u128;
        let mut s = 0u128;
        for &(side, price, lots) in orders {
            match side {
                Side::Bid if price >= p => d += lots as u128,
                Side::Ask if price <= p => s += lots as u128,
                _ => {}
            }
        }
        (d, s)
    };
    for p in 1..=top + 1 {
        let (d, s) = at(p);
        let v = d.min(s);
        if v == 0 {
            continue;
        }
        let surplus = d.abs_diff(s);
        let better = match best {
            None => true,
            Some((bv, bs)) => v > bv || (v == bv && surplus < bs),
        };
        if better {
            best = Some((v, surplus));
            optimal.clear();
        }
        if best == Some((v, surplus)) {
            optimal.push(p);
        }
    }
    let Some((volume, _)) = best else {
        return Reference {
            optimal: (0, 0),
            pressure: (0, 0),
            price: 0,
            volume: 0,
            demand: 0,
            supply: 0,
            fills: vec![0; orders.len()],
        };
    };
    for w in optimal.windows(2) {
        assert_eq!(w[0] + 1, w[1], "the optimal prices are not contiguous");
    }
    let pressure: Vec<u64> = optimal
        .iter()
        .copied()
        .filter(|&p| at(p + 1).0 <= volume && at(p - 1).1 <= volume)
        .collect();
    assert!(!pressure.is_empty(), "market pressure left no price");
    for w in pressure.windows(2) {
        assert_eq!(
            w[0] + 1,
            w[1],
            "the market-pressure prices are not contiguous"
        );
    }
    let (lo, hi) = (pressure[0], *pressure.last().unwrap());
    let price = if reference == 0 {
        // The middle, rounded down.
        let mid = pressure[(pressure.len() - 1) / 2];
        assert_eq!(mid, lo + (hi - lo) / 2);
        mid
    } else {
        // The closest to the reference (unique in an interval).
        *pressure
            .iter()
            .min_by_key(|p| p.abs_diff(reference))
            .unwrap()
    };
    let (demand, supply) = at(price);
    // Price-time priority on each side: better price first, then earlier.
    let mut fills = vec![0u64; orders.len()];
    for side in [Side::Bid, Side::Ask] {
        let mut idx: Vec<usize> = (0..orders.len())
            .filter(|&i| orders[i].0 == side)
            .filter(|&i| match side {
                Side::Bid => orders[i].1 >= price,
                Side::Ask => orders[i].1 <= price,
            })
            .collect();
        idx.sort_by_key(|&i| match side {
            Side::Bid => (u64::MAX - orders[i].1, i),
            Side::Ask => (orders[i].1, i),
        });
        let mut left = volume;
        for i in idx {
            let q = left.min(orders[i].2 as u128);
            fills[i] = q as u64;
            left -= q;
        }
        assert_eq!(left, 0);
    }
    // The rule's property: only orders limited exactly at the price are rationed.
    for (&(side, limit, lots), &q) in orders.iter().zip(&fills) {
        let better = match side {
            Side::Bid => limit > price,
            Side::Ask => limit < price,
        };
        assert!(
            !better || q == lots,
            "an order priced beyond the price is rationed"
        );
    }
    Reference {
        optimal: (optimal[0], *optimal.last().unwrap()),
        pressure: (lo, hi),
        price,
        volume: volume as u64,
        demand: demand as u64,
        supply: supply as u64,
        fills,
    }
}

/// Each order's fill under `clearing`'s rationing (as settlement allots them, in time order).
pub fn fills_under(clearing: &Clearing, orders: &[(Side, u64, u64)]) -> Vec<u64> {
    let mut bid_left = clearing.bid_marginal;
    let mut ask_left = clearing.ask_marginal;
    orders
        .iter()
        .map(|&(side, price, lots)| {
            if clearing.volume == 0 {
                return 0;
            }
            let (marginal, left, beyond) = match side {
                Side::Bid => (
                    clearing.bid_marginal_price,
                    &mut bid_left,
                    price > clearing.bid_marginal_price,
                ),
                Side::Ask => (
                    clearing.ask_marginal_price,
                    &mut ask_left,
                    price < clearing.ask_marginal_price,
                ),
            };
            if beyond {
                lots
            } else if price == marginal {
                let q = lots.min(*left);
                *left -= q;
                q
            } else {
                0
            }
        })
        .collect()
}

/// SplitMix64: a small seeded generator (deterministic runs, seed printed on failure).
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo ..= hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi == u64::MAX && lo == 0 {
            return self.next();
        }
        lo + self.next() % (hi - lo + 1)
    }

    /// True with probability `num / den`.
    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        self.next() % den < num
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.range(0, items.len() as u64 - 1) as usize]
    }
}

/// The seed of a randomised test: `SOLGRID_SEED` if set, else `default`.
pub fn seed(default: u64) -> u64 {
    std::env::var("SOLGRID_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}
