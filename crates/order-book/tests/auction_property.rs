//! Property test of the call auction: random sequences of placing, cancelling, time passing,
//! clearing, settling in random chunk sizes (with and without rollover, with expiries), deposits,
//! withdrawals, fee collection and pauses, by several traders in a periodic market, driven as the
//! program and a keeper drive them. After every operation (each settlement chunk is one):
//! (a) conservation: the vaults hold exactly the seats' free and locked balances, the accrued fees
//!     and what is in transit in the epochs (`base_delivered - base_received`, `quote_paid -
//!     quote_received`), and the free balances never exceed the vaults;
//! (b) every seat's locked balances and open order count are what its pending auction orders lock
//!     (live orders of a collecting epoch, or of a price-fixed one not settled yet), and the
//!     market's `auction_orders` counts them;
//! (c) the epochs' levels and totals are the aggregates of their live orders; the orders that rolled
//!     into an epoch are exactly those the previous epoch's settlement reported, once each;
//! (d) every trader's balance is what its deposits, withdrawals and settlements make it.
//! At each clearing the result equals the brute-force reference computed from the live orders
//! themselves; each settlement record is checked against that reference (fill by price-time
//! priority, the one price, limits respected, every order priced beyond the price filled
//! completely, amounts, fee rule, rollover rule, refund), no order is settled twice, and a settled
//! epoch's bid lots == ask lots == its volume.
//!
//! Half of the sequences lower the epochs' limits (a few price levels, a few orders) so that
//! placements are refused at the caps (`TooManyPriceLevels`, `TooManyAuctionOrders`) and remainders
//! that should roll into a full next epoch are refunded (`EpochFull`), with all of the above
//! still holding.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use common::{auction::*, *};
use solgrid_order_book::{
    auction::{self, EpochState, MAX_AUCTION_LEVELS, MAX_AUCTION_ORDERS},
    layout::{FLAG_ROLLED_IN, FLAG_ROLLOVER},
    Asset, AuctionOrder, BookError, Level, Order, Params, Settlement, SettlementOutcome, Side,
    EPOCH_SECS, MAX_FEE_BPS,
};

const SEQUENCES: u64 = 400;
const OPS: u64 = 300;
const TRADERS: u8 = 4;

/// What the test knows about a cleared epoch.
struct Cleared {
    price: u64,
    volume: u64,
    /// Live orders at the clearing, by index, and their expected fill.
    orders: BTreeMap<u32, (Order, u64)>,
    settled: BTreeSet<u32>,
    bid_lots: u64,
    ask_lots: u64,
    next_ends: i64,
}

#[derive(Default)]
struct Coverage {
    placed: u64,
    refused: BTreeMap<String, u64>,
    cancelled: u64,
    cleared_with_volume: u64,
    cleared_without: u64,
    chunks: u64,
    outcomes: BTreeMap<String, u64>,
    epochs_settled: u64,
    grew_for_rollover: u64,
    book_full_checked: u64,
    limited_sequences: u64,
}

struct Sim {
    seed: u64,
    step: u64,
    rng: Rng,
    a: Auction,
    /// The epochs' limits: (levels, orders).
    limits: (u32, u32),
    secs: u32,
    now: i64,
    params: Params,
    vault_base: u128,
    vault_quote: u128,
    base_total: [u128; TRADERS as usize + 1],
    quote_total: [u128; TRADERS as usize + 1],
    cleared: HashMap<u64, Cleared>,
    /// Orders each epoch received from the previous one's settlement: (index, order id).
    rolled_into: HashMap<u64, BTreeSet<(u32, u64)>>,
    last_client_id: [u64; TRADERS as usize + 1],
    /// Trading paused for the market's zone (the registry's TRADING flag, which the program reads):
    /// nothing clears, and auction orders may be cancelled after their gate closure.
    trading_paused: bool,
    cov: Coverage,
}

fn lock(o: &Order, p: &Params) -> u64 {
    lock_of(o, p.base_atoms_per_lot(), p.quote_per_lot_tick())
}

impl Sim {
    fn new(seed: u64) -> Self {
        let mut rng = Rng(seed);
        let (tick, lot) = rng.pick(&[(10u64, 100u64), (5, 1_000), (250, 4), (1, 1_000), (40, 25)]);
        let maker = match rng.range(0, 3) {
            0 => 0,
            1 => rng.range(1, 30) as u16,
            _ => rng.range(0, MAX_FEE_BPS as u64) as u16,
        };
        let params = Params {
            tick_size: tick,
            lot_size_wh: lot,
            min_order_lots: rng.range(1, 2),
            taker_fee_bps: 25,
            maker_fee_bps: maker,
            max_orders_per_epoch: rng.range(8, 60) as u32,
        };
        let secs = rng.pick(&[7u32, 60, 900]);
        let region = rng.pick(&[0usize, 0, 56, 400]);
        let limits = if rng.chance(1, 2) {
            (rng.range(1, 4) as u32, rng.range(3, 16) as u32)
        } else {
            (MAX_AUCTION_LEVELS, MAX_AUCTION_ORDERS)
        };
        let a = Auction::new(&params, secs, TRADERS, 0, 0, region).with_limits(limits.0, limits.1);
        let now = 1_700_000_000 + rng.range(0, 10_000) as i64;
        let mut sim = Sim {
            seed,
            step: 0,
            rng,
            a,
            limits,
            secs,
            now,
            params,
            vault_base: 0,
            vault_quote: 0,
            base_total: [0; TRADERS as usize + 1],
            quote_total: [0; TRADERS as usize + 1],
            cleared: HashMap::new(),
            rolled_into: HashMap::new(),
            last_client_id: [0; TRADERS as usize + 1],
            trading_paused: false,
            cov: Coverage::default(),
        };
        let bpl = params.base_atoms_per_lot();
        let qplt = params.quote_per_lot_tick();
        for n in 1..=TRADERS {
            let base = sim.rng.range(5, 60) * bpl;
            let quote = sim.rng.range(50, 2_000) * qplt * 10;
            sim.deposit_exact(n, Asset::Base, base);
            sim.deposit_exact(n, Asset::Quote, quote);
        }
        sim
    }

    fn ctx(&self) -> String {
        format!("seed {} step {} now {}", self.seed, self.step, self.now)
    }

    fn deposit_exact(&mut self, n: u8, asset: Asset, amount: u64) {
        let seat = n as u32 - 1;
        self.a
            .market
            .market()
            .deposit(seat, &key(n), asset, amount)
            .unwrap();
        match asset {
            Asset::Base => {
                self.vault_base += amount as u128;
                self.base_total[n as usize] += amount as u128;
            }
            Asset::Quote => {
                self.vault_quote += amount as u128;
                self.quote_total[n as usize] += amount as u128;
            }
        }
    }

    fn run(&mut self) {
        for step in 0..OPS {
            self.step = step;
            match self.rng.range(0, 99) {
                0..=39 => self.place(),
                40..=49 => self.cancel(),
                50..=62 => self.advance(),
                63..=86 => {
                    // The keeper: a few steps (a whole catch-up now and then).
                    let steps = self.rng.pick(&[1u64, 1, 2, 4, 8, 30]);
                    for _ in 0..steps {
                        self.crank();
                        self.invariants();
                    }
                }
                87..=91 => self.deposit(),
                92..=95 => self.withdraw(),
                96 => self.collect(),
                97 => self.pause(),
                _ => self.market_maker(),
            }
            self.invariants();
        }
        // Finish: let the current epoch end and crank until every ended epoch is settled (rolling
        // orders keep the latest epoch collecting), checking after each chunk.
        self.a.market.market().header.status = 0;
        self.trading_paused = false;
        self.now += self.secs as i64;
        let limit = 10_000;
        for _ in 0..limit {
            let now = self.now;
            let pending = self.pending_epochs();
            let waiting = pending.iter().any(|&(_, slot)| {
                let h = self.a.slots[slot].header();
                h.state() == EpochState::PriceFixed || h.ends_at <= now
            });
            if !waiting {
                break;
            }
            self.crank();
            self.invariants();
        }
        for (_, slot) in self.pending_epochs() {
            let h = self.a.slots[slot].header();
            assert!(
                h.state() == EpochState::Collecting && h.ends_at > self.now,
                "{}",
                self.ctx()
            );
        }
    }

    fn epoch_now(&self) -> u64 {
        auction::epoch_at(self.now, self.secs)
    }

    // ---- operations -------------------------------------------------------------------------

    fn place(&mut self) {
        let n = if self.rng.chance(1, 40) {
            TRADERS + 1
        } else {
            self.rng.range(1, TRADERS as u64) as u8
        };
        let side = self.rng.pick(&[Side::Bid, Side::Ask]);
        let price = if self.rng.chance(1, 60) {
            0
        } else {
            let top = self.rng.pick(&[4u64, 12, 30]);
            self.rng.range(1, top)
        };
        let lots = match self.rng.range(0, 30) {
            0 => 0,
            1 => u64::MAX / self.rng.range(1, 1_000),
            2 => self.rng.range(20, 80),
            _ => self.rng.range(1, 8),
        };
        let e = self.epoch_now();
        let ends = (e as i64 + 1) * self.secs as i64;
        let expires_at = match self.rng.range(0, 9) {
            0..=5 => 0,
            6 => ends - self.rng.range(1, 3) as i64,
            _ => {
                ends + self.rng.range(0, 3) as i64 * self.secs as i64 - self.rng.range(0, 1) as i64
            }
        };
        let last = self.last_client_id[n.min(TRADERS) as usize];
        let client_order_id = match self.rng.range(0, 5) {
            0..=2 => 0,
            3 => last.saturating_sub(self.rng.range(0, 1)),
            _ => last + self.rng.range(1, 3),
        };
        let order = AuctionOrder {
            side,
            price,
            lots,
            client_order_id,
            expires_at,
            rollover: self.rng.chance(1, 2),
        };
        let expected = self.expected_place(n, &order);
        let grow_extra = self.rng.pick(&[0usize, 0, 8, 56 * 4]);
        let before = self.a.market.header();
        let seat_before = (n <= TRADERS).then(|| self.a.market.seat(n));
        let result = self.a.place(n, &order, self.now, grow_extra);
        match (result, expected) {
            (Ok(placed), Ok(lock_expected)) => {
                self.cov.placed += 1;
                let seat_before = seat_before.unwrap();
                assert_eq!(placed.locked, lock_expected, "{}", self.ctx());
                assert_eq!(placed.epoch, e, "{}", self.ctx());
                assert_eq!(placed.order_id, before.next_order_id, "{}", self.ctx());
                let stored = *self
                    .a
                    .slot(e)
                    .epoch()
                    .order(placed.index)
                    .expect("the placed order");
                assert_eq!(
                    stored,
                    Order {
                        price,
                        order_id: placed.order_id,
                        lots,
                        initial_lots: lots,
                        client_order_id,
                        expires_at,
                        seat: n as u32 - 1,
                        side: side as u8,
                        flags: if order.rollover { FLAG_ROLLOVER } else { 0 },
                        maker_fee_bps: self.params.maker_fee_bps,
                    },
                    "{}",
                    self.ctx()
                );
                assert_eq!(placed.index + 1, self.a.slot(e).header().order_count);
                let seat = self.a.market.seat(n);
                let (free_before, free_after) = match side {
                    Side::Bid => (seat_before.quote_free, seat.quote_free),
                    Side::Ask => (seat_before.base_free, seat.base_free),
                };
                assert_eq!(free_before - free_after, lock_expected, "{}", self.ctx());
                if client_order_id != 0 {
                    self.last_client_id[n as usize] = client_order_id;
                }
            }
            (Err(got), Err(want)) => {
                assert_eq!(got, want, "{} placing {order:?} for {n}", self.ctx());
                *self.cov.refused.entry(format!("{got:?}")).or_default() += 1;
            }
            (got, want) => panic!(
                "{}: placing {order:?} for {n}: got {got:?}, expected {want:?}",
                self.ctx()
            ),
        }
    }

    /// The outcome of placing `order` for trader `n` now, from the state before: the lock, or the
    /// first refusal in the rules' order.
    fn expected_place(&mut self, n: u8, order: &AuctionOrder) -> Result<u64, BookError> {
        let e = self.epoch_now();
        let h = self.a.slot(e).header();
        let ready = match h.state() {
            EpochState::Collecting => h.epoch == e,
            EpochState::Empty => true,
            EpochState::Settled => h.epoch < e,
            EpochState::PriceFixed => false,
        };
        let other = self.a.slots[1 - auction::slot_of(e) as usize].header();
        let older_waits = matches!(
            other.state(),
            EpochState::Collecting | EpochState::PriceFixed
        ) && other.epoch + 1 < e;
        if !ready || older_waits {
            return Err(BookError::EpochNotSettled);
        }
        let p = self.params;
        if order.lots == 0 {
            return Err(BookError::ZeroQuantity);
        }
        if order.lots < p.min_order_lots {
            return Err(BookError::BelowMinimumOrder);
        }
        if order.price == 0 || order.price > solgrid_order_book::MAX_PRICE_TICKS {
            return Err(BookError::InvalidPrice);
        }
        let ends = (e as i64 + 1) * self.secs as i64;
        if order.expires_at != 0 && order.expires_at < ends {
            return Err(BookError::ExpiresBeforeAuction);
        }
        let whole = order.lots as u128 * order.price as u128 * p.quote_per_lot_tick() as u128;
        let with_fee = whole + (whole * p.maker_fee_bps as u128).div_ceil(10_000);
        let base = order.lots as u128 * p.base_atoms_per_lot() as u128;
        if with_fee > u64::MAX as u128 || base > u64::MAX as u128 {
            return Err(BookError::Overflow);
        }
        // The epoch's limits, counted after the slot is (re)set for `e`.
        let (orders, levels) = if h.state() == EpochState::Collecting {
            (h.order_count, self.a.slot(e).levels())
        } else {
            (0, Vec::new())
        };
        if orders >= self.limits.1 {
            return Err(BookError::TooManyAuctionOrders);
        }
        if levels.len() as u32 >= self.limits.0 && levels.iter().all(|l| l.price != order.price) {
            return Err(BookError::TooManyPriceLevels);
        }
        if n > TRADERS {
            return Err(BookError::WrongSeat);
        }
        let seat = self.a.market.seat(n);
        if order.client_order_id != 0 && order.client_order_id <= seat.last_client_order_id {
            return Err(BookError::ClientOrderIdReused);
        }
        if seat.market_maker == 0 {
            let epoch900 = self.now.div_euclid(EPOCH_SECS) as u64;
            let used = if seat.epoch == epoch900 {
                seat.orders_in_epoch
            } else {
                0
            };
            if used >= p.max_orders_per_epoch {
                return Err(BookError::OrderLimitReached);
            }
        }
        let lock = match order.side {
            Side::Bid => with_fee as u64,
            Side::Ask => base as u64,
        };
        let free = match order.side {
            Side::Bid => seat.quote_free,
            Side::Ask => seat.base_free,
        };
        if free < lock {
            return Err(BookError::InsufficientFunds);
        }
        Ok(lock)
    }

    fn cancel(&mut self) {
        // An order of a slot that collects (or any slot, sometimes).
        let slot = self.rng.range(0, 1) as usize;
        let h = self.a.slots[slot].header();
        let orders = self.a.slots[slot].orders();
        if orders.is_empty() {
            return;
        }
        let index = self.rng.range(0, orders.len() as u64 - 1) as u32;
        let o = orders[index as usize];
        let n = if self.rng.chance(1, 8) {
            self.rng.range(1, TRADERS as u64 + 1) as u8
        } else {
            o.seat as u8 + 1
        };
        let order_id = if self.rng.chance(1, 12) {
            o.order_id + 1
        } else {
            o.order_id
        };
        let index = if self.rng.chance(1, 20) {
            index + orders.len() as u32
        } else {
            index
        };
        let paused = self.a.market.header().status != 0 || self.trading_paused;
        let expected = if n > TRADERS {
            Err(BookError::WrongSeat)
        } else if h.state() != EpochState::Collecting || (!paused && self.now >= h.ends_at) {
            Err(BookError::AuctionClosed)
        } else if index as usize >= orders.len() || order_id != o.order_id || o.lots == 0 {
            Err(BookError::OrderNotFound)
        } else if o.seat != n as u32 - 1 {
            Err(BookError::NotOrderOwner)
        } else {
            Ok(lock(&o, &self.params))
        };
        let result = self
            .a
            .cancel_with(n, h.epoch, index, order_id, self.now, self.trading_paused);
        match (result, expected) {
            (Ok(removal), Ok(released)) => {
                self.cov.cancelled += 1;
                let got = removal.base_released + removal.quote_released;
                assert_eq!(got, released, "{}", self.ctx());
                assert_eq!((removal.order_id, removal.lots), (o.order_id, o.lots));
                let after = self.a.slots[slot].orders()[index as usize];
                assert_eq!(after, Order { lots: 0, ..o }, "{}", self.ctx());
            }
            (Err(got), Err(want)) => {
                assert_eq!(got, want, "{} cancelling {o:?} by {n}", self.ctx());
                *self
                    .cov
                    .refused
                    .entry(format!("cancel {got:?}"))
                    .or_default() += 1;
            }
            (got, want) => panic!(
                "{}: cancelling {o:?} by {n}: got {got:?}, expected {want:?}",
                self.ctx()
            ),
        }
    }

    fn advance(&mut self) {
        let secs = self.secs as i64;
        self.now += match self.rng.range(0, 9) {
            0..=2 => 1,
            3..=4 => self.rng.range(1, secs as u64) as i64,
            5 => secs / 3 + 1,
            6..=7 => secs,
            8 => 2 * secs,
            _ => 5 * secs + 3,
        };
    }

    /// Epochs with work left, oldest first: (epoch, slot).
    fn pending_epochs(&mut self) -> Vec<(u64, usize)> {
        let mut out = Vec::new();
        for slot in 0..2 {
            let h = self.a.slots[slot].header();
            if matches!(h.state(), EpochState::Collecting | EpochState::PriceFixed) {
                out.push((h.epoch, slot));
            }
        }
        out.sort();
        out
    }

    fn crank(&mut self) {
        let pending = self.pending_epochs();
        let Some(&(e, slot)) = pending.first() else {
            return;
        };
        let h = self.a.slots[slot].header();
        // Now and then a wrong crank: the younger epoch first, or a stale cursor.
        if pending.len() == 2 && self.rng.chance(1, 10) {
            let (young, yslot) = pending[1];
            let yh = self.a.slots[yslot].header();
            let got = self.a.clear(young, self.now).err();
            let want = if yh.state() != EpochState::Collecting {
                BookError::EpochAlreadyCleared
            } else if self.now < yh.ends_at {
                BookError::EpochNotEnded
            } else {
                BookError::EpochOutOfOrder
            };
            assert_eq!(got, Some(want), "{}", self.ctx());
        }
        match h.state() {
            EpochState::Collecting => {
                if self.now < h.ends_at {
                    assert_eq!(
                        self.a.clear(e, self.now).err(),
                        Some(BookError::EpochNotEnded),
                        "{}",
                        self.ctx()
                    );
                    return;
                }
                if self.a.market.header().status != 0 || self.trading_paused {
                    return; // the program refuses to clear a paused market, or while trading is paused
                }
                self.clear(e, slot);
            }
            EpochState::PriceFixed => self.settle(e, slot),
            _ => unreachable!(),
        }
    }

    fn clear(&mut self, e: u64, slot: usize) {
        let orders = self.a.slots[slot].orders();
        let live: Vec<(u32, Order)> = orders
            .iter()
            .enumerate()
            .filter(|(_, o)| o.lots > 0)
            .map(|(i, o)| (i as u32, *o))
            .collect();
        let book: Vec<(Side, u64, u64)> = live
            .iter()
            .map(|(_, o)| (Side::from_u8(o.side).unwrap(), o.price, o.lots))
            .collect();
        let reference = self.a.market.header().last_clearing_price;
        let want = brute_force(&book, reference);
        let c = self
            .a
            .clear(e, self.now)
            .unwrap_or_else(|err| panic!("{}: clear {e}: {err:?}", self.ctx()));
        assert_eq!(
            (c.price, c.volume, c.demand, c.supply),
            (want.price, want.volume, want.demand, want.supply),
            "{}: clearing {book:?} reference {reference}",
            self.ctx()
        );
        let h = self.a.slots[slot].header();
        assert_eq!(
            (
                h.state(),
                h.clearing_price,
                h.volume_lots,
                h.reference_price,
                h.cleared_at
            ),
            (
                EpochState::PriceFixed,
                c.price,
                c.volume,
                reference,
                self.now
            )
        );
        let last = self.a.market.header().last_clearing_price;
        assert_eq!(last, if c.volume > 0 { c.price } else { reference });
        if c.volume > 0 {
            self.cov.cleared_with_volume += 1;
        } else {
            self.cov.cleared_without += 1;
        }
        let orders = live
            .iter()
            .zip(&want.fills)
            .map(|((i, o), q)| (*i, (*o, *q)))
            .collect();
        self.cleared.insert(
            e,
            Cleared {
                price: c.price,
                volume: c.volume,
                orders,
                settled: BTreeSet::new(),
                bid_lots: 0,
                ask_lots: 0,
                next_ends: h.ends_at + self.secs as i64,
            },
        );
    }

    fn settle(&mut self, e: u64, slot: usize) {
        let h = self.a.slots[slot].header();
        let max = match self.rng.range(0, 3) {
            0 => 1,
            1 => self.rng.range(1, 4) as u32,
            2 => self.rng.range(1, 64) as u32,
            _ => 64,
        };
        if self.rng.chance(1, 15) && h.cursor > 0 {
            let mut sink = Settlements::default();
            let got = self.a.settle_raw(e, h.cursor - 1, max, self.now, &mut sink);
            assert_eq!(
                got.err(),
                Some(BookError::ChunkOutOfOrder),
                "{}",
                self.ctx()
            );
        }
        let need = self.a.bytes_needed(e, h.cursor, max);
        let mut sink = Settlements::default();
        if need > 0 && self.rng.chance(1, 3) {
            // Without the room the chunk is refused, and nothing changes.
            let before = self.a.snapshot();
            let got = self.a.settle_raw(e, h.cursor, max, self.now, &mut sink);
            assert_eq!(got.err(), Some(BookError::BookFull), "{}", self.ctx());
            assert!(self.a.snapshot() == before && sink.records.is_empty());
            self.cov.book_full_checked += 1;
        }
        let next_slot = 1 - slot;
        // What the next epoch holds before the chunk (nothing when its slot is reset for e + 1):
        // its order count and prices, to tell which remainders it admits.
        let nh = self.a.slots[next_slot].header();
        let (mut next_count, mut next_prices) =
            if nh.state() == EpochState::Collecting && nh.epoch == e + 1 {
                let prices: BTreeSet<u64> = self.a.slots[next_slot]
                    .levels()
                    .iter()
                    .map(|l| l.price)
                    .collect();
                (nh.order_count, prices)
            } else {
                (0, BTreeSet::new())
            };
        let limits = self.limits;
        let out = self
            .a
            .settle(e, max, self.now, &mut sink)
            .unwrap_or_else(|err| panic!("{}: settle {e} chunk {max}: {err:?}", self.ctx()));
        if need > 0 {
            self.cov.grew_for_rollover += 1;
            // The growth was exact.
            assert_eq!(
                self.a.slots[next_slot].epoch().free_bytes(),
                0,
                "{}",
                self.ctx()
            );
        }
        self.cov.chunks += 1;
        assert_eq!(out.from, h.cursor);
        assert_eq!(out.to, (h.cursor + max).min(h.order_count));
        assert_eq!(out.settled as usize, sink.records.len());
        let p = self.params;
        let bpl = p.base_atoms_per_lot();
        let qplt = p.quote_per_lot_tick();
        let next_orders = self.a.slots[next_slot].orders();
        let next_epoch = self.a.slots[next_slot].header().epoch;
        let ctx = self.ctx();
        let cleared = self.cleared.get_mut(&e).expect("cleared");
        let mut rolled = 0;
        for r in &sink.records {
            let ctx = format!(
                "seed {} step {} epoch {e} record {r:?}",
                self.seed, self.step
            );
            assert!(r.index >= out.from && r.index < out.to, "{ctx}");
            assert!(cleared.settled.insert(r.index), "settled twice: {ctx}");
            let (o, q) = *cleared.orders.get(&r.index).expect(&ctx);
            let side = Side::from_u8(o.side).unwrap();
            assert_eq!(
                (r.order_id, r.client_order_id, r.price, r.side, r.trader),
                (
                    o.order_id,
                    o.client_order_id,
                    o.price,
                    side,
                    key(o.seat as u8 + 1)
                ),
                "{ctx}"
            );
            assert_eq!(r.filled_lots, q, "{ctx}");
            assert_eq!(r.remaining_lots, o.lots - q, "{ctx}");
            let cost = q as u128 * cleared.price as u128 * qplt as u128;
            assert_eq!(r.quote_amount as u128, cost, "{ctx}");
            assert_eq!(r.base_amount, q * bpl, "{ctx}");
            if q > 0 {
                match side {
                    Side::Bid => assert!(o.price >= cleared.price, "{ctx}"),
                    Side::Ask => assert!(o.price <= cleared.price, "{ctx}"),
                }
            }
            // The clearing rule's property: an order priced beyond the price fills completely;
            // only orders limited exactly at it are rationed.
            let beyond = match side {
                Side::Bid => o.price > cleared.price,
                Side::Ask => o.price < cleared.price,
            };
            if cleared.volume > 0 && beyond {
                assert_eq!(r.filled_lots, o.lots, "{ctx}");
            }
            let bps = o.maker_fee_bps;
            let fee = match side {
                Side::Bid => {
                    let unit = o.price * qplt;
                    let reserved =
                        ceil_fee(o.lots * unit, bps) - ceil_fee((o.lots - q) * unit, bps);
                    ceil_fee(cost as u64, bps).min(reserved)
                }
                Side::Ask => ceil_fee(cost as u64, bps),
            };
            assert_eq!(r.fee, fee, "{ctx}");
            let rest = o.lots - q;
            let wants_roll = rest > 0
                && o.flags & FLAG_ROLLOVER != 0
                && (o.expires_at == 0 || o.expires_at >= cleared.next_ends);
            let admitted = next_count < limits.1
                && (next_prices.contains(&o.price) || (next_prices.len() as u32) < limits.0);
            let rolls = wants_roll && admitted;
            let full = wants_roll && !admitted;
            if rolls {
                next_count += 1;
                next_prices.insert(o.price);
            }
            let relock = if rolls {
                assert_ne!(r.rolled_index, Settlement::NOT_ROLLED, "{ctx}");
                assert_eq!(next_epoch, e + 1, "{ctx}");
                let n = next_orders[r.rolled_index as usize];
                let expected = Order {
                    lots: rest,
                    initial_lots: rest,
                    flags: o.flags | FLAG_ROLLED_IN,
                    ..o
                };
                assert_eq!(n, expected, "{ctx}");
                assert!(self
                    .rolled_into
                    .entry(e + 1)
                    .or_default()
                    .insert((r.rolled_index, o.order_id)));
                rolled += 1;
                lock(&expected, &p)
            } else {
                assert_eq!(r.rolled_index, Settlement::NOT_ROLLED, "{ctx}");
                0
            };
            let outcome = match (q > 0, rest > 0, rolls, full) {
                (true, false, _, _) => SettlementOutcome::Filled,
                (true, true, true, _) => SettlementOutcome::PartiallyFilledRolled,
                (true, true, false, true) => SettlementOutcome::PartiallyFilledEpochFull,
                (true, true, false, false) => SettlementOutcome::PartiallyFilledExpired,
                (false, _, true, _) => SettlementOutcome::Rolled,
                (false, _, false, true) => SettlementOutcome::EpochFull,
                (false, _, false, false) => SettlementOutcome::Expired,
            };
            assert_eq!(r.outcome, outcome, "{ctx}");
            *self.cov.outcomes.entry(format!("{outcome:?}")).or_default() += 1;
            let n = o.seat as usize + 1;
            match side {
                Side::Bid => {
                    assert_eq!(
                        (r.base_released, r.quote_released as u128),
                        (
                            0,
                            lock(&o, &p) as u128 - cost - fee as u128 - relock as u128
                        ),
                        "{ctx}"
                    );
                    self.quote_total[n] -= cost + fee as u128;
                    self.base_total[n] += (q * bpl) as u128;
                    cleared.bid_lots += q;
                }
                Side::Ask => {
                    assert_eq!(
                        (r.base_released, r.quote_released),
                        (o.lots * bpl - q * bpl - relock, 0),
                        "{ctx}"
                    );
                    self.base_total[n] -= (q * bpl) as u128;
                    self.quote_total[n] += cost - fee as u128;
                    cleared.ask_lots += q;
                }
            }
        }
        assert_eq!(out.rolled, rolled, "{}", ctx);
        // Every live order of the chunk's range was settled, tombstones skipped.
        for index in out.from..out.to {
            assert_eq!(
                cleared.orders.contains_key(&index),
                cleared.settled.contains(&index),
                "{}: index {index}",
                ctx
            );
        }
        let after = self.a.slots[slot].header();
        assert_eq!(after.cursor, out.to);
        assert_eq!(out.done, out.to == h.order_count);
        if out.done {
            self.cov.epochs_settled += 1;
            assert_eq!(after.state(), EpochState::Settled, "{}", ctx);
            assert_eq!(after.settled_at, self.now);
            let keys: BTreeSet<u32> = cleared.orders.keys().copied().collect();
            assert_eq!(cleared.settled, keys, "{}", ctx);
            assert_eq!(
                (cleared.bid_lots, cleared.ask_lots),
                (cleared.volume, cleared.volume),
                "{}",
                self.ctx()
            );
            let m = self.a.market.header();
            assert_eq!(m.last_settled_epoch, e);
            assert_eq!((after.base_in_transit(), after.quote_in_transit()), (0, 0));
        } else {
            assert_eq!(after.state(), EpochState::PriceFixed, "{}", ctx);
        }
    }

    fn deposit(&mut self) {
        let n = self.rng.range(1, TRADERS as u64) as u8;
        let asset = self.rng.pick(&[Asset::Base, Asset::Quote]);
        let amount = match asset {
            Asset::Base => self.rng.range(1, 20) * self.params.base_atoms_per_lot(),
            Asset::Quote => self.rng.range(1, 5_000),
        };
        self.deposit_exact(n, asset, amount);
    }

    fn withdraw(&mut self) {
        let n = self.rng.range(1, TRADERS as u64) as u8;
        let asset = self.rng.pick(&[Asset::Base, Asset::Quote]);
        let seat = self.a.market.seat(n);
        let free = match asset {
            Asset::Base => seat.base_free,
            Asset::Quote => seat.quote_free,
        };
        let amount = if self.rng.chance(1, 6) {
            free + 1
        } else {
            self.rng.range(0, free / 2) + 1
        };
        let result = self
            .a
            .market
            .market()
            .withdraw(n as u32 - 1, &key(n), asset, amount);
        if amount > free {
            assert_eq!(result, Err(BookError::InsufficientFunds), "{}", self.ctx());
            return;
        }
        assert_eq!(result, Ok(free - amount), "{}", self.ctx());
        match asset {
            Asset::Base => {
                self.vault_base -= amount as u128;
                self.base_total[n as usize] -= amount as u128;
            }
            Asset::Quote => {
                self.vault_quote -= amount as u128;
                self.quote_total[n as usize] -= amount as u128;
            }
        }
    }

    fn collect(&mut self) {
        let amount = self.a.market.market().collect_fees().unwrap();
        self.vault_quote -= amount as u128;
    }

    /// Pauses or resumes the market (its status), or trading in its zone (governance).
    fn pause(&mut self) {
        if self.rng.chance(1, 2) {
            self.trading_paused = !self.trading_paused;
        } else {
            let m = self.a.market.market();
            m.header.status = 1 - m.header.status.min(1);
        }
    }

    fn market_maker(&mut self) {
        let n = self.rng.range(1, TRADERS as u64) as u8;
        let on = self.rng.chance(1, 2);
        self.a
            .market
            .market()
            .set_market_maker(n as u32 - 1, &key(n), on)
            .unwrap();
    }

    // ---- invariants -------------------------------------------------------------------------

    fn invariants(&mut self) {
        let ctx = self.ctx();
        let p = self.params;
        let m = self.a.market.header();
        let seats: Vec<_> = (1..=TRADERS).map(|n| self.a.market.seat(n)).collect();
        let headers = [self.a.slots[0].header(), self.a.slots[1].header()];
        // No epoch exceeds its limits, however its orders came (placed or rolled).
        for h in &headers {
            assert!(
                h.level_count <= self.limits.0 && h.order_count <= self.limits.1,
                "{ctx}: epoch {} holds {} levels and {} orders",
                h.epoch,
                h.level_count,
                h.order_count
            );
        }
        // (a) conservation
        let base_transit: i128 = headers.iter().map(|h| h.base_in_transit()).sum();
        let quote_transit: i128 = headers.iter().map(|h| h.quote_in_transit()).sum();
        let seats_base: i128 = seats
            .iter()
            .map(|s| s.base_free as i128 + s.base_locked as i128)
            .sum();
        let seats_quote: i128 = seats
            .iter()
            .map(|s| s.quote_free as i128 + s.quote_locked as i128)
            .sum();
        assert_eq!(
            self.vault_base as i128,
            seats_base + base_transit,
            "{ctx}: base"
        );
        assert_eq!(
            self.vault_quote as i128,
            seats_quote + m.fees_accrued as i128 + quote_transit,
            "{ctx}: quote"
        );
        let free_base: u128 = seats.iter().map(|s| s.base_free as u128).sum();
        let free_quote: u128 = seats.iter().map(|s| s.quote_free as u128).sum();
        assert!(
            free_base <= self.vault_base && free_quote <= self.vault_quote,
            "{ctx}"
        );
        for h in &headers {
            if h.state() != EpochState::PriceFixed {
                assert_eq!((h.base_in_transit(), h.quote_in_transit()), (0, 0), "{ctx}");
            }
        }
        // (d) every trader's balance
        for (i, s) in seats.iter().enumerate() {
            let n = i + 1;
            assert_eq!(
                s.base_free as u128 + s.base_locked as u128,
                self.base_total[n],
                "{ctx}: trader {n} base"
            );
            assert_eq!(
                s.quote_free as u128 + s.quote_locked as u128,
                self.quote_total[n],
                "{ctx}: trader {n} quote"
            );
        }
        // (b) locks and counts of pending orders; (c) levels, totals, rolled-in orders
        let mut base_locked = [0u64; TRADERS as usize];
        let mut quote_locked = [0u64; TRADERS as usize];
        let mut open = [0u32; TRADERS as usize];
        let mut pending = 0u32;
        for slot in 0..2 {
            let h = headers[slot];
            let orders = self.a.slots[slot].orders();
            let levels = self.a.slots[slot].levels();
            if h.state() == EpochState::Empty {
                assert_eq!((h.order_count, h.level_count), (0, 0), "{ctx}");
                continue;
            }
            // Epochs clear in order: a younger epoch never has its price while an older one waits.
            let other = headers[1 - slot];
            if h.state() == EpochState::PriceFixed {
                let older_waits = matches!(
                    other.state(),
                    EpochState::Collecting | EpochState::PriceFixed
                ) && other.epoch < h.epoch;
                assert!(
                    !older_waits,
                    "{ctx}: epoch {} cleared before {}",
                    h.epoch, other.epoch
                );
            }
            assert_eq!(auction::slot_of(h.epoch), slot as u8, "{ctx}");
            let mut live = 0;
            let mut book = Vec::new();
            let mut rolled_in = BTreeSet::new();
            for (i, o) in orders.iter().enumerate() {
                if o.flags & FLAG_ROLLED_IN != 0 {
                    rolled_in.insert((i as u32, o.order_id));
                }
                if o.lots == 0 {
                    continue;
                }
                live += 1;
                let side = Side::from_u8(o.side).unwrap();
                book.push((side, o.price, o.lots));
                let waiting = match h.state() {
                    EpochState::Collecting => true,
                    EpochState::PriceFixed => i as u32 >= h.cursor,
                    _ => false,
                };
                if waiting {
                    let s = o.seat as usize;
                    match side {
                        Side::Bid => quote_locked[s] += lock(o, &p),
                        Side::Ask => base_locked[s] += lock(o, &p),
                    }
                    open[s] += 1;
                    pending += 1;
                }
            }
            assert_eq!(h.live_orders, live, "{ctx}");
            let expected_levels: Vec<Level> = levels_of(&book);
            assert_eq!(levels, expected_levels, "{ctx}: slot {slot} levels");
            let bids: u64 = book.iter().filter(|o| o.0 == Side::Bid).map(|o| o.2).sum();
            let asks: u64 = book.iter().filter(|o| o.0 == Side::Ask).map(|o| o.2).sum();
            assert_eq!((h.total_bid_lots, h.total_ask_lots), (bids, asks), "{ctx}");
            let reported = self.rolled_into.get(&h.epoch).cloned().unwrap_or_default();
            assert_eq!(
                rolled_in, reported,
                "{ctx}: orders rolled into epoch {}",
                h.epoch
            );
            assert_eq!(h.rolled_in as usize, reported.len(), "{ctx}");
        }
        for (i, s) in seats.iter().enumerate() {
            assert_eq!(s.base_locked, base_locked[i], "{ctx}: seat {i} base_locked");
            assert_eq!(
                s.quote_locked, quote_locked[i],
                "{ctx}: seat {i} quote_locked"
            );
            assert_eq!(s.open_orders, open[i], "{ctx}: seat {i} open_orders");
        }
        assert_eq!(m.auction_orders, pending, "{ctx}: auction_orders");
        assert_eq!((m.bid_count, m.ask_count), (0, 0));
    }
}

#[test]
fn random_auction_sequences_keep_every_invariant() {
    let base = seed(0xA0C7_1013);
    let mut total = Coverage::default();
    for case in 0..SEQUENCES {
        let mut sim = Sim::new(base.wrapping_add(case));
        sim.run();
        let limited = sim.limits != (MAX_AUCTION_LEVELS, MAX_AUCTION_ORDERS);
        let c = sim.cov;
        total.limited_sequences += limited as u64;
        total.placed += c.placed;
        total.cancelled += c.cancelled;
        total.cleared_with_volume += c.cleared_with_volume;
        total.cleared_without += c.cleared_without;
        total.chunks += c.chunks;
        total.epochs_settled += c.epochs_settled;
        total.grew_for_rollover += c.grew_for_rollover;
        total.book_full_checked += c.book_full_checked;
        for (k, v) in c.refused {
            *total.refused.entry(k).or_default() += v;
        }
        for (k, v) in c.outcomes {
            *total.outcomes.entry(k).or_default() += v;
        }
    }
    println!(
        "placed {} cancelled {} cleared {}+{} chunks {} settled {} grew {} bookfull {} limited {}\nrefused {:?}\noutcomes {:?}",
        total.placed,
        total.cancelled,
        total.cleared_with_volume,
        total.cleared_without,
        total.chunks,
        total.epochs_settled,
        total.grew_for_rollover,
        total.book_full_checked,
        total.limited_sequences,
        total.refused,
        total.outcomes
    );
    // The sequences exercised every path.
    assert!(total.placed > 5_000 && total.cancelled > 200);
    assert!(total.cleared_with_volume > 500 && total.cleared_without > 50);
    assert!(total.chunks > 2_000 && total.grew_for_rollover > 200 && total.book_full_checked > 50);
    assert!(total.limited_sequences > 100);
    for outcome in SettlementOutcome::ALL {
        // A partly filled remainder meeting a full next epoch needs the one order split at the
        // marginal price to roll while the next epoch is at a cap: rarer than the rest.
        let least = match outcome {
            SettlementOutcome::PartiallyFilledEpochFull => 10,
            _ => 50,
        };
        let seen = total
            .outcomes
            .get(&format!("{outcome:?}"))
            .copied()
            .unwrap_or(0);
        assert!(seen > least, "{outcome:?}: {seen}");
    }
    for refusal in [
        "ZeroQuantity",
        "InvalidPrice",
        "ExpiresBeforeAuction",
        "Overflow",
        "WrongSeat",
        "ClientOrderIdReused",
        "InsufficientFunds",
        "EpochNotSettled",
        "TooManyPriceLevels",
        "TooManyAuctionOrders",
        "cancel AuctionClosed",
        "cancel OrderNotFound",
        "cancel NotOrderOwner",
    ] {
        assert!(total.refused.contains_key(refusal), "{refusal}");
    }
}
