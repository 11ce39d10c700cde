//! Shared helpers of the host tests: 8-byte aligned market buffers, a sink that records what the
//! book reports, order builders and the book's structural invariants.
#![allow(dead_code)]

pub mod auction;

use solgrid_order_book::{
    layout::{self, data_len},
    Asset, BookError, Fill, Key, Market, MarketHeader, NewOrder, Order, OrderKind, Params,
    PlaceOutcome, Removal, Seat, SelfTradeMode, Side, Sink, MAX_MATCHES, MAX_PRICE_TICKS,
};

/// A cluster time well inside one 15-minute epoch (epoch start + 100 s).
pub const NOW: i64 = 1_944_000 * 900 + 100;

/// Trader `n`'s wallet.
pub fn key(n: u8) -> Key {
    [n; 32]
}

/// Tick 10 quote atoms per kWh and lots of 100 Wh: one lot at one tick is 1 quote atom, one lot is
/// 10^8 base atoms. Taker 25 bps, maker 10 bps.
pub fn params() -> Params {
    Params {
        tick_size: 10,
        lot_size_wh: 100,
        min_order_lots: 1,
        taker_fee_bps: 25,
        maker_fee_bps: 10,
        max_orders_per_epoch: 100,
    }
}

pub const BPL: u64 = 100_000_000;

/// A market account's data (after the discriminator), backed by `u64` words so that it is 8-byte
/// aligned as the runtime aligns account data.
pub struct MarketBuf {
    words: Vec<u64>,
}

impl MarketBuf {
    /// A fresh market with `params` and the given capacities (as market creation writes it).
    pub fn new(params: &Params, seats: u32, orders: u32) -> Self {
        let len = data_len(seats, orders);
        assert_eq!(len % 8, 0);
        let mut buf = MarketBuf {
            words: vec![0; len / 8],
        };
        let header = Market::header_mut(buf.bytes()).unwrap();
        header.set_params(params).unwrap();
        header.seat_capacity = seats;
        header.order_capacity = orders;
        header.next_order_id = 1;
        buf
    }

    /// `new` with traders `1..=traders` seated (seat index = trader - 1), each holding `base` and
    /// `quote` free.
    pub fn with_traders(params: &Params, traders: u8, base: u64, quote: u64) -> Self {
        let mut buf = Self::new(params, traders as u32 + 2, 64);
        for n in 1..=traders {
            let mut m = buf.market();
            let seat = m.claim_seat(&key(n)).unwrap();
            assert_eq!(seat, n as u32 - 1);
            if base > 0 {
                m.deposit(seat, &key(n), Asset::Base, base).unwrap();
            }
            if quote > 0 {
                m.deposit(seat, &key(n), Asset::Quote, quote).unwrap();
            }
        }
        buf
    }

    pub fn bytes(&mut self) -> &mut [u8] {
        let len = self.words.len() * 8;
        // SAFETY: the words own `len` initialised bytes; u8 has no alignment or validity needs.
        unsafe { std::slice::from_raw_parts_mut(self.words.as_mut_ptr() as *mut u8, len) }
    }

    pub fn market(&mut self) -> Market<'_> {
        Market::load(self.bytes()).expect("a valid market")
    }

    pub fn header(&mut self) -> MarketHeader {
        *self.market().header
    }

    pub fn snapshot(&self) -> Vec<u64> {
        self.words.clone()
    }

    pub fn restore(&mut self, snapshot: &[u64]) {
        self.words.clear();
        self.words.extend_from_slice(snapshot);
    }

    /// Resizes the account as the program does (new bytes zeroed) and grows the market in it.
    pub fn grow(&mut self, extra_seats: u32, extra_orders: u32) -> Result<(), BookError> {
        let header = self.header();
        let len = data_len(
            header.seat_capacity + extra_seats,
            header.order_capacity + extra_orders,
        );
        self.words.resize(len / 8, 0);
        layout::grow(self.bytes(), extra_seats, extra_orders)
    }

    /// Index of trader `n`'s seat.
    pub fn seat_index(&mut self, n: u8) -> u32 {
        self.market().seat_of(&key(n)).expect("trader has a seat")
    }

    /// A copy of trader `n`'s seat.
    pub fn seat(&mut self, n: u8) -> Seat {
        let index = self.seat_index(n);
        self.market().seats[index as usize]
    }

    /// Places `order` for trader `n` at `now`; on an error the market's bytes are restored, as the
    /// runtime discards a failed instruction's writes.
    pub fn place(
        &mut self,
        n: u8,
        order: &NewOrder,
        now: i64,
    ) -> Result<(PlaceOutcome, Recorder), BookError> {
        let snapshot = self.snapshot();
        let seat = self.seat_index(n);
        let mut rec = Recorder::default();
        let result = self.market().place(seat, &key(n), order, now, &mut rec);
        match result {
            Ok(out) => {
                self.check();
                Ok((out, rec))
            }
            Err(e) => {
                self.restore(&snapshot);
                Err(e)
            }
        }
    }

    /// `place` that must succeed.
    pub fn placed(&mut self, n: u8, order: &NewOrder, now: i64) -> (PlaceOutcome, Recorder) {
        self.place(n, order, now)
            .unwrap_or_else(|e| panic!("placing {order:?} for trader {n}: {e:?}"))
    }

    /// Places a non-crossing order for trader `n` and returns its order id.
    pub fn rest(&mut self, n: u8, order: &NewOrder, now: i64) -> u64 {
        let (out, rec) = self.placed(n, order, now);
        assert!(
            rec.events.is_empty(),
            "{order:?} was expected to rest untouched"
        );
        assert_eq!(out.rested_lots, order.lots);
        out.order_id
    }

    /// Cancels trader `n`'s order; restores the bytes on an error.
    pub fn cancel(
        &mut self,
        n: u8,
        side: Side,
        price: u64,
        order_id: u64,
    ) -> Result<Removal, BookError> {
        let snapshot = self.snapshot();
        let seat = self.seat_index(n);
        let result = self.market().cancel(seat, &key(n), side, price, order_id);
        if result.is_err() {
            self.restore(&snapshot);
        } else {
            self.check();
        }
        result
    }

    /// Prunes expired orders.
    pub fn prune(&mut self, now: i64, max: u32) -> (u32, Recorder) {
        let mut rec = Recorder::default();
        let removed = self.market().prune_expired(now, max, &mut rec).unwrap();
        self.check();
        (removed, rec)
    }

    /// Resting orders of `side`, best first.
    pub fn side(&mut self, side: Side) -> Vec<Order> {
        let m = self.market();
        match side {
            Side::Bid => m.bids().iter().rev().copied().collect(),
            Side::Ask => m.asks().to_vec(),
        }
    }

    /// Ids of the resting orders of `side`, best first.
    pub fn ids(&mut self, side: Side) -> Vec<u64> {
        self.side(side).iter().map(|o| o.order_id).collect()
    }

    /// Checks the book's structural invariants.
    pub fn check(&mut self) {
        check_book(&self.market());
    }
}

/// One record of an operation, in execution order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    Fill(Fill),
    Removal(Removal),
}

/// A sink that keeps every record.
#[derive(Default, Debug)]
pub struct Recorder {
    pub events: Vec<Event>,
}

impl Sink for Recorder {
    fn fill(&mut self, fill: &Fill) -> Result<(), BookError> {
        self.events.push(Event::Fill(*fill));
        Ok(())
    }

    fn removal(&mut self, removal: &Removal) -> Result<(), BookError> {
        self.events.push(Event::Removal(*removal));
        Ok(())
    }
}

impl Recorder {
    pub fn fills(&self) -> Vec<Fill> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Fill(f) => Some(*f),
                Event::Removal(_) => None,
            })
            .collect()
    }

    pub fn removals(&self) -> Vec<Removal> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Removal(r) => Some(*r),
                Event::Fill(_) => None,
            })
            .collect()
    }
}

/// A good-till-cancelled limit order with the default self-trade mode and match limit.
pub fn limit(side: Side, price: u64, lots: u64) -> NewOrder {
    NewOrder {
        side,
        kind: OrderKind::Limit,
        price,
        lots,
        client_order_id: 0,
        expires_at: 0,
        self_trade: SelfTradeMode::CancelResting,
        max_matches: MAX_MATCHES,
    }
}

pub fn bid(price: u64, lots: u64) -> NewOrder {
    limit(Side::Bid, price, lots)
}

pub fn ask(price: u64, lots: u64) -> NewOrder {
    limit(Side::Ask, price, lots)
}

/// The fee rule, computed independently of the book: `ceil(amount * bps / 10_000)` in 128 bits.
pub fn ceil_fee(amount: u64, bps: u16) -> u64 {
    (amount as u128 * bps as u128).div_ceil(10_000) as u64
}

/// What a resting order locks, computed independently of the book: an ask its base atoms; a bid
/// the quote of its remaining lots plus the maker fee still owed on its whole order.
pub fn lock_of(o: &Order, base_atoms_per_lot: u64, quote_per_lot_tick: u64) -> u64 {
    if o.side == Side::Ask as u8 {
        return (o.lots as u128 * base_atoms_per_lot as u128) as u64;
    }
    let unit = o.price as u128 * quote_per_lot_tick as u128;
    let rest = o.lots as u128 * unit;
    let filled = (o.initial_lots - o.lots) as u128 * unit;
    let initial = o.initial_lots as u128 * unit;
    let fee = |a: u128| (a * o.maker_fee_bps as u128).div_ceil(10_000);
    u64::try_from(rest + fee(initial) - fee(filled)).expect("a lock fits in 64 bits")
}

/// An order with an expiry time no longer matches from that time on.
pub fn expired(o: &Order, now: i64) -> bool {
    o.expires_at != 0 && now >= o.expires_at
}

pub fn side_of(order: &Order) -> Side {
    Side::from_u8(order.side).expect("a side byte")
}

/// The book's structural invariants: capacities, both sides strictly sorted by priority and in
/// their own region, no crossed book, unique ids, and every seat's locked balances and open order
/// count equal to what its resting orders lock.
pub fn check_book(m: &Market) {
    let h = &*m.header;
    assert!(h.seat_count <= h.seat_capacity);
    assert!(h.bid_count as u64 + h.ask_count as u64 <= h.order_capacity as u64);
    assert_eq!(m.orders.len(), h.order_capacity as usize);
    assert_eq!(m.seats.len(), h.seat_capacity as usize);
    let bids = m.bids();
    let asks = m.asks();
    for w in bids.windows(2) {
        // Worst first: ascending price, and at one price the younger (larger id) first.
        assert!(
            (w[0].price, !w[0].order_id) < (w[1].price, !w[1].order_id),
            "bids out of priority order: {:?} before {:?}",
            w[0],
            w[1]
        );
    }
    for w in asks.windows(2) {
        assert!(
            (w[0].price, w[0].order_id) < (w[1].price, w[1].order_id),
            "asks out of priority order: {:?} before {:?}",
            w[0],
            w[1]
        );
    }
    if let (Some(b), Some(a)) = (bids.last(), asks.first()) {
        assert!(b.price < a.price, "crossed book: bid {b:?} ask {a:?}");
    }
    let mut ids: Vec<u64> = bids.iter().chain(asks).map(|o| o.order_id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), bids.len() + asks.len(), "duplicate order ids");
    let seats = h.seat_count as usize;
    let mut base_locked = vec![0u64; seats];
    let mut quote_locked = vec![0u64; seats];
    let mut open = vec![0u32; seats];
    for (orders, side) in [(bids, Side::Bid), (asks, Side::Ask)] {
        for o in orders {
            assert_eq!(o.side, side as u8, "order in the wrong region: {o:?}");
            assert!(o.lots > 0 && o.lots <= o.initial_lots, "{o:?}");
            assert!(o.price >= 1 && o.price <= MAX_PRICE_TICKS, "{o:?}");
            assert!(o.order_id < h.next_order_id, "{o:?}");
            assert!((o.seat as usize) < seats, "{o:?}");
            let lock = lock_of(o, h.base_atoms_per_lot, h.quote_per_lot_tick);
            let s = o.seat as usize;
            match side {
                Side::Bid => quote_locked[s] += lock,
                Side::Ask => base_locked[s] += lock,
            }
            open[s] += 1;
        }
    }
    for (i, seat) in m.seats[..seats].iter().enumerate() {
        assert_eq!(seat.base_locked, base_locked[i], "seat {i} base_locked");
        assert_eq!(seat.quote_locked, quote_locked[i], "seat {i} quote_locked");
        assert_eq!(seat.open_orders, open[i], "seat {i} open_orders");
    }
}
