//! Property test: random sequences of every operation by several traders, checked after each
//! operation against an independent model of the vaults and the traders' balances.
//!
//! An operation that fails leaves partial changes by design (on chain the runtime discards a failed
//! instruction's writes), so the market's bytes are snapshotted before each operation and restored
//! when it fails. After every operation:
//! (a) the vaults (deposits - withdrawals - collected fees) hold exactly the seats' free and locked
//!     balances plus the accrued fees, and each trader's total is what its own deposits,
//!     withdrawals and fills make it;
//! (b) every seat's locked balances and open order count are what its resting orders lock;
//! (c) both sides are sorted by priority, the book is not crossed, counts fit the capacities;
//! (d) every fill is at its maker's price, within the taker's limit, with amounts and fees as the
//!     rules give them (maker fees one rounding of the order's cumulative fill, taker fees one
//!     rounding of the incoming order's cumulative trade);
//! (e) the resting book afterwards is exactly the one before with the reported fills and removals
//!     applied (and the incoming order's rest added): no lot is counted twice or lost, and the
//!     header's trade count and volumes equal the sums of the fills.
//! Refusals are checked too: every error is one the operation may give in that state, and where
//! the outcome follows from the state alone (seats, funds of a non-crossing order, ids, limits,
//! cancel, prune) the exact result is expected.

mod common;

use std::{
    cell::Cell,
    collections::{BTreeMap, HashMap},
};

use common::*;
use proptest::{
    prelude::*,
    sample::Index,
    test_runner::{Config, TestCaseError, TestRunner},
};
use solgrid_order_book::{
    layout::FLAG_FILLED_ON_ENTRY, Asset, BookError, Key, MarketHeader, NewOrder, Order, OrderKind,
    OrderState, Params, RemovalReason, Seat, SelfTradeMode, Side, EPOCH_SECS, MAX_FEE_BPS,
    MAX_MATCHES,
};

/// Traders 1..=TRADERS (more than the initial seat capacity, so that seats run out).
const TRADERS: u8 = 5;
const CASES: u32 = 200;
const OPS: std::ops::RangeInclusive<usize> = 150..=250;
const MIN_TOTAL_OPS: usize = 10_000;

/// (tick size, lot size) pairs of valid markets.
const TICKS_AND_LOTS: [(u64, u64); 6] = [
    (10, 100),
    (5, 1_000),
    (250, 4),
    (1, 1_000),
    (7, 2_000),
    (40, 25),
];

#[derive(Clone, Debug)]
struct Setup {
    params: Params,
    seat_capacity: u32,
    order_capacity: u32,
    start: i64,
}

#[derive(Clone, Copy, Debug)]
enum Cid {
    None,
    /// Last used + n.
    Next(u64),
    /// Last used - n (saturating), i.e. a reuse unless the trader never used one.
    Reuse(u64),
}

#[derive(Clone, Copy, Debug)]
enum Expiry {
    Never,
    /// `now + offset` (offset <= 0 is already expired).
    At(i64),
}

#[derive(Clone, Debug)]
enum Op {
    Claim {
        trader: u8,
    },
    Deposit {
        trader: u8,
        base: bool,
        units: u64,
        extra: u64,
    },
    Withdraw {
        trader: u8,
        base: bool,
        permille: u64,
        plus_one: bool,
    },
    Place {
        trader: u8,
        wrong_seat: bool,
        side: Side,
        kind: OrderKind,
        price: u64,
        lots: u64,
        cid: Cid,
        expiry: Expiry,
        self_trade: SelfTradeMode,
        max_matches: u32,
    },
    Cancel {
        by_owner: bool,
        trader: u8,
        pick: Index,
        mismatch: u8,
    },
    Prune {
        max: u32,
    },
    Advance {
        secs: i64,
    },
    Grow {
        seats: u32,
        orders: u32,
    },
    Collect,
    MarketMaker {
        trader: u8,
        on: bool,
    },
    SetParams {
        taker: u16,
        maker: u16,
        min_lots: u64,
        per_epoch: u32,
        /// New tick and lot sizes (refused while orders rest).
        retick: Option<(u64, u64)>,
    },
}

fn fee_bps() -> impl Strategy<Value = u16> {
    prop_oneof![Just(0u16), 1u16..=30, 0u16..=MAX_FEE_BPS]
}

fn setup() -> impl Strategy<Value = Setup> {
    (
        prop::sample::select(TICKS_AND_LOTS.to_vec()),
        fee_bps(),
        fee_bps(),
        1u64..=2,
        2u32..=30,
        3u32..=5,
        3u32..=16,
        0i64..10_000_000,
    )
        .prop_map(
            |((tick, lot), taker, maker, min, per_epoch, seats, orders, start)| Setup {
                params: Params {
                    tick_size: tick,
                    lot_size_wh: lot,
                    min_order_lots: min,
                    taker_fee_bps: taker,
                    maker_fee_bps: maker,
                    max_orders_per_epoch: per_epoch,
                },
                seat_capacity: seats,
                order_capacity: orders,
                start: 1_700_000_000 + start,
            },
        )
}

/// Mostly the traders seated from the start.
fn trader() -> impl Strategy<Value = u8> {
    prop_oneof![8 => 1u8..=3, 1 => 4u8..=TRADERS]
}

fn place_op() -> impl Strategy<Value = Op> {
    (
        (trader(), prop::bool::weighted(0.03)),
        prop::sample::select(vec![Side::Bid, Side::Ask]),
        prop_oneof![
            6 => Just(OrderKind::Limit),
            2 => Just(OrderKind::PostOnly),
            2 => Just(OrderKind::ImmediateOrCancel)
        ],
        0u64..=15,
        prop_oneof![40 => 1u64..=8, 12 => 1u64..=30, 1 => Just(0u64)],
        prop_oneof![
            6 => Just(Cid::None),
            6 => (1u64..=3).prop_map(Cid::Next),
            1 => (0u64..=2).prop_map(Cid::Reuse)
        ],
        prop_oneof![
            10 => Just(Expiry::Never),
            8 => (1i64..=3_600).prop_map(Expiry::At),
            1 => (-5i64..=0).prop_map(Expiry::At)
        ],
        prop::sample::select(SelfTradeMode::ALL.to_vec()),
        prop_oneof![16 => Just(MAX_MATCHES), 6 => 1u32..=4, 1 => Just(0u32)],
    )
        .prop_map(
            |(
                (trader, wrong_seat),
                side,
                kind,
                band,
                lots,
                cid,
                expiry,
                self_trade,
                max_matches,
            )| {
                // Bids mostly below asks, overlapping enough to cross often: the book has depth.
                let price = match side {
                    Side::Bid => 90 + band,
                    Side::Ask => 95 + band,
                };
                Op::Place {
                    trader,
                    wrong_seat,
                    side,
                    kind,
                    price,
                    lots,
                    cid,
                    expiry,
                    self_trade,
                    max_matches,
                }
            },
        )
}

fn cancel_op() -> impl Strategy<Value = Op> {
    let mismatch = prop_oneof![6 => Just(0u8), 1 => 1u8..=3];
    (
        prop::bool::weighted(0.85),
        trader(),
        any::<Index>(),
        mismatch,
    )
        .prop_map(|(by_owner, trader, pick, mismatch)| Op::Cancel {
            by_owner,
            trader,
            pick,
            mismatch,
        })
}

fn deposit_op() -> impl Strategy<Value = Op> {
    (trader(), any::<bool>(), 1u64..=60, 0u64..=999).prop_map(|(trader, base, units, extra)| {
        Op::Deposit {
            trader,
            base,
            units,
            extra,
        }
    })
}

fn withdraw_op() -> impl Strategy<Value = Op> {
    let plus_one = prop::bool::weighted(0.2);
    (trader(), any::<bool>(), 0u64..=1_000, plus_one).prop_map(
        |(trader, base, permille, plus_one)| Op::Withdraw {
            trader,
            base,
            permille,
            plus_one,
        },
    )
}

fn set_params_op() -> impl Strategy<Value = Op> {
    let retick = prop::option::weighted(0.3, prop::sample::select(TICKS_AND_LOTS.to_vec()));
    (fee_bps(), fee_bps(), 1u64..=2, 1u32..=30, retick).prop_map(
        |(taker, maker, min_lots, per_epoch, retick)| Op::SetParams {
            taker,
            maker,
            min_lots,
            per_epoch,
            retick,
        },
    )
}

fn op() -> impl Strategy<Value = Op> {
    let advance = prop_oneof![3 => 0i64..=60, 1 => 0i64..=1_200];
    let market_maker = (trader(), prop::bool::weighted(0.3));
    prop_oneof![
        14 => place_op(),
        2 => cancel_op(),
        2 => deposit_op(),
        2 => withdraw_op(),
        3 => advance.prop_map(|secs| Op::Advance { secs }),
        1 => (0u32..=6).prop_map(|max| Op::Prune { max }),
        1 => (0u32..=2, 0u32..=6).prop_map(|(seats, orders)| Op::Grow { seats, orders }),
        1 => Just(Op::Collect),
        1 => trader().prop_map(|trader| Op::Claim { trader }),
        1 => market_maker.prop_map(|(trader, on)| Op::MarketMaker { trader, on }),
        1 => set_params_op(),
    ]
}

/// What the test knows independently of the market's bytes.
struct Model {
    now: i64,
    /// Tokens in the vaults: deposits - withdrawals - collected fees.
    vault_base: u128,
    vault_quote: u128,
    /// Each trader's free + locked balances, from its own deposits, withdrawals and fills.
    totals: [(u128, u128); TRADERS as usize + 1],
    last_cid: [u64; TRADERS as usize + 1],
    /// (epoch, orders rested in it) as the epoch limit counts them.
    epochs: [(u64, u32); TRADERS as usize + 1],
    market_maker: [bool; TRADERS as usize + 1],
    fees_accrued: u128,
    fees_collected: u128,
    /// Maker fees paid so far per resting order id.
    maker_fees: HashMap<u64, u64>,
    trades: u64,
    base_volume: u128,
    quote_volume: u128,
}

/// The market as it was before an operation.
struct Pre {
    header: MarketHeader,
    seats: Vec<Seat>,
    /// Best first.
    bids: Vec<Order>,
    asks: Vec<Order>,
}

impl Pre {
    fn take(b: &mut MarketBuf) -> Self {
        let m = b.market();
        Pre {
            header: *m.header,
            seats: m.seats[..m.header.seat_count as usize].to_vec(),
            bids: m.bids().iter().rev().copied().collect(),
            asks: m.asks().to_vec(),
        }
    }

    fn side(&self, side: Side) -> &[Order] {
        match side {
            Side::Bid => &self.bids,
            Side::Ask => &self.asks,
        }
    }

    fn seat_of(&self, n: u8) -> Option<u32> {
        self.seats
            .iter()
            .position(|s| s.trader == key(n))
            .map(|i| i as u32)
    }

    fn book(&self) -> BTreeMap<u64, Order> {
        self.bids
            .iter()
            .chain(&self.asks)
            .map(|o| (o.order_id, *o))
            .collect()
    }

    fn lock(&self, o: &Order) -> u64 {
        lock_of(
            o,
            self.header.base_atoms_per_lot,
            self.header.quote_per_lot_tick,
        )
    }
}

fn book_of(b: &mut MarketBuf) -> BTreeMap<u64, Order> {
    let m = b.market();
    m.bids()
        .iter()
        .chain(m.asks())
        .map(|o| (o.order_id, *o))
        .collect()
}

fn trader_of(k: &Key) -> usize {
    k[0] as usize
}

fn crosses(side: Side, limit: u64, maker_price: u64) -> bool {
    match side {
        Side::Bid => maker_price <= limit,
        Side::Ask => maker_price >= limit,
    }
}

macro_rules! check {
    ($cond:expr, $($fmt:tt)+) => {
        if !$cond {
            return Err(TestCaseError::fail(format!($($fmt)+)));
        }
    };
}

macro_rules! check_eq {
    ($a:expr, $b:expr, $($fmt:tt)+) => {{
        let (a, b) = (&$a, &$b);
        if a != b {
            return Err(TestCaseError::fail(format!(
                "{}: {:?} != {:?}", format!($($fmt)+), a, b
            )));
        }
    }};
}

type Checked = Result<(), TestCaseError>;

/// Checks a result against the expected success or error.
fn expect_result<T: std::fmt::Debug>(
    what: &str,
    got: &Result<T, BookError>,
    expected: Result<(), BookError>,
) -> Checked {
    match (got, expected) {
        (Ok(_), Ok(())) => Ok(()),
        (Err(e), Err(x)) if *e == x => Ok(()),
        _ => Err(TestCaseError::fail(format!(
            "{what}: got {got:?}, expected {expected:?}"
        ))),
    }
}

struct Run {
    b: MarketBuf,
    model: Model,
}

impl Run {
    fn new(setup: &Setup) -> Self {
        let b = MarketBuf::new(&setup.params, setup.seat_capacity, setup.order_capacity);
        let model = Model {
            now: setup.start,
            vault_base: 0,
            vault_quote: 0,
            totals: Default::default(),
            last_cid: Default::default(),
            epochs: Default::default(),
            market_maker: Default::default(),
            fees_accrued: 0,
            fees_collected: 0,
            maker_fees: HashMap::new(),
            trades: 0,
            base_volume: 0,
            quote_volume: 0,
        };
        let mut run = Run { b, model };
        let h = run.b.header();
        for n in 1..=3u8.min(setup.seat_capacity as u8) {
            let mut m = run.b.market();
            let seat = m.claim_seat(&key(n)).unwrap();
            let base = 200 * h.base_atoms_per_lot;
            let quote = 20_000 * h.quote_per_lot_tick + 7;
            m.deposit(seat, &key(n), Asset::Base, base).unwrap();
            m.deposit(seat, &key(n), Asset::Quote, quote).unwrap();
            run.model.vault_base += base as u128;
            run.model.vault_quote += quote as u128;
            run.model.totals[n as usize] = (base as u128, quote as u128);
        }
        run
    }

    fn apply(&mut self, op: &Op) -> Checked {
        let snapshot = self.b.snapshot();
        let pre = Pre::take(&mut self.b);
        let failed = match op {
            Op::Claim { trader } => self.claim(&pre, *trader)?,
            Op::Deposit {
                trader,
                base,
                units,
                extra,
            } => self.deposit(&pre, *trader, *base, *units, *extra)?,
            Op::Withdraw {
                trader,
                base,
                permille,
                plus_one,
            } => self.withdraw(&pre, *trader, *base, *permille, *plus_one)?,
            Op::Place { .. } => self.place(&pre, op)?,
            Op::Cancel {
                by_owner,
                trader,
                pick,
                mismatch,
            } => self.cancel(&pre, *by_owner, *trader, pick, *mismatch)?,
            Op::Prune { max } => self.prune(&pre, *max)?,
            Op::Advance { secs } => {
                self.model.now += secs;
                false
            }
            Op::Grow { seats, orders } => self.grow(&pre, *seats, *orders)?,
            Op::Collect => {
                let amount = self.b.market().collect_fees();
                check_eq!(amount, Ok(pre.header.fees_accrued), "collected");
                self.model.vault_quote -= pre.header.fees_accrued as u128;
                self.model.fees_collected += pre.header.fees_accrued as u128;
                self.model.fees_accrued -= pre.header.fees_accrued as u128;
                false
            }
            Op::MarketMaker { trader, on } => {
                let index = pre.seat_of(*trader);
                let result = self.b.market().set_market_maker(
                    index.unwrap_or(pre.header.seat_count),
                    &key(*trader),
                    *on,
                );
                let expected = index.map(|_| ()).ok_or(BookError::WrongSeat);
                expect_result("set_market_maker", &result, expected)?;
                if result.is_ok() {
                    self.model.market_maker[*trader as usize] = *on;
                }
                result.is_err()
            }
            Op::SetParams {
                taker,
                maker,
                min_lots,
                per_epoch,
                retick,
            } => {
                let h = &pre.header;
                let (tick_size, lot_size_wh) = retick.unwrap_or((h.tick_size, h.lot_size_wh));
                let params = Params {
                    tick_size,
                    lot_size_wh,
                    taker_fee_bps: *taker,
                    maker_fee_bps: *maker,
                    min_order_lots: *min_lots,
                    max_orders_per_epoch: *per_epoch,
                };
                let resting = h.bid_count + h.ask_count > 0;
                let expected =
                    if resting && (tick_size, lot_size_wh) != (h.tick_size, h.lot_size_wh) {
                        Err(BookError::InvalidParams)
                    } else {
                        Ok(())
                    };
                let result = self.b.market().header.set_params(&params);
                check_eq!(result, expected, "set_params {params:?}");
                result.is_err()
            }
        };
        if failed {
            self.b.restore(&snapshot);
        }
        self.invariants()
    }

    fn claim(&mut self, pre: &Pre, n: u8) -> Result<bool, TestCaseError> {
        let result = self.b.market().claim_seat(&key(n));
        let expected = if pre.seat_of(n).is_some() {
            Err(BookError::SeatExists)
        } else if pre.header.seat_count == pre.header.seat_capacity {
            Err(BookError::SeatsFull)
        } else {
            Ok(pre.header.seat_count)
        };
        check_eq!(result, expected, "claim_seat {n}");
        Ok(result.is_err())
    }

    fn deposit(
        &mut self,
        pre: &Pre,
        n: u8,
        base: bool,
        units: u64,
        extra: u64,
    ) -> Result<bool, TestCaseError> {
        let h = &pre.header;
        let (asset, amount) = if base {
            (Asset::Base, units * h.base_atoms_per_lot + extra)
        } else {
            (Asset::Quote, units * 100 * h.quote_per_lot_tick + extra)
        };
        let index = pre.seat_of(n);
        let result = self
            .b
            .market()
            .deposit(index.unwrap_or(h.seat_count), &key(n), asset, amount);
        let Some(index) = index else {
            check_eq!(result, Err(BookError::WrongSeat), "deposit unseated");
            return Ok(true);
        };
        let seat = &pre.seats[index as usize];
        let free = if base {
            seat.base_free
        } else {
            seat.quote_free
        };
        check_eq!(result, Ok(free + amount), "deposit");
        let t = &mut self.model.totals[n as usize];
        if base {
            t.0 += amount as u128;
            self.model.vault_base += amount as u128;
        } else {
            t.1 += amount as u128;
            self.model.vault_quote += amount as u128;
        }
        Ok(false)
    }

    fn withdraw(
        &mut self,
        pre: &Pre,
        n: u8,
        base: bool,
        permille: u64,
        plus_one: bool,
    ) -> Result<bool, TestCaseError> {
        let index = pre.seat_of(n);
        let free = index.map_or(0, |i| {
            let s = &pre.seats[i as usize];
            if base {
                s.base_free
            } else {
                s.quote_free
            }
        });
        let amount = (free as u128 * permille as u128 / 1_000) as u64 + plus_one as u64;
        let asset = if base { Asset::Base } else { Asset::Quote };
        let result = self.b.market().withdraw(
            index.unwrap_or(pre.header.seat_count),
            &key(n),
            asset,
            amount,
        );
        let expected = if amount == 0 {
            Err(BookError::ZeroQuantity)
        } else if index.is_none() {
            Err(BookError::WrongSeat)
        } else if amount > free {
            Err(BookError::InsufficientFunds)
        } else {
            Ok(free - amount)
        };
        check_eq!(result, expected, "withdraw {amount} of {free}");
        if result.is_err() {
            return Ok(true);
        }
        let t = &mut self.model.totals[n as usize];
        if base {
            t.0 -= amount as u128;
            self.model.vault_base -= amount as u128;
        } else {
            t.1 -= amount as u128;
            self.model.vault_quote -= amount as u128;
        }
        Ok(false)
    }

    fn place(&mut self, pre: &Pre, op: &Op) -> Result<bool, TestCaseError> {
        let Op::Place {
            trader: n,
            wrong_seat,
            side,
            kind,
            price,
            lots,
            cid,
            expiry,
            self_trade,
            max_matches,
        } = *op
        else {
            unreachable!()
        };
        let now = self.model.now;
        let h = &pre.header;
        let own_index = pre.seat_of(n);
        let index = match (own_index, wrong_seat) {
            (Some(i), false) => i,
            // Another trader's seat or a slot out of use.
            (Some(i), true) => (i + 1) % (h.seat_count + 1),
            (None, _) => h.seat_count,
        };
        let last = self.model.last_cid[n as usize];
        let client_order_id = match cid {
            Cid::None => 0,
            Cid::Next(d) => last + d,
            Cid::Reuse(d) => last.saturating_sub(d),
        };
        let expires_at = match expiry {
            Expiry::Never => 0,
            Expiry::At(offset) => now + offset,
        };
        let order = NewOrder {
            side,
            kind,
            price,
            lots,
            client_order_id,
            expires_at,
            self_trade,
            max_matches,
        };
        let mut rec = Recorder::default();
        let result = self.b.market().place(index, &key(n), &order, now, &mut rec);

        // Refusals that the order and the state decide before any matching, in the book's order.
        let precheck = if lots == 0 {
            Some(BookError::ZeroQuantity)
        } else if lots < h.min_order_lots {
            Some(BookError::BelowMinimumOrder)
        } else if max_matches == 0 {
            Some(BookError::InvalidMatchLimit)
        } else if expires_at != 0 && expires_at <= now {
            Some(BookError::AlreadyExpired)
        } else if own_index.is_none() || wrong_seat {
            Some(BookError::WrongSeat)
        } else if client_order_id != 0 && client_order_id <= last {
            Some(BookError::ClientOrderIdReused)
        } else {
            None
        };
        if let Some(e) = precheck {
            check_eq!(result, Err(e), "place {order:?}");
            return Ok(true);
        }
        let seat_index = index;
        let seat = pre.seats[seat_index as usize];
        let opposite = pre.side(side.opposite());
        let pre_crosses = opposite
            .first()
            .is_some_and(|o| crosses(side, price, o.price));
        let epoch = now.div_euclid(EPOCH_SECS) as u64;
        let in_epoch = match self.model.epochs[n as usize] {
            (e, count) if e == epoch => count,
            _ => 0,
        };
        let limited = !self.model.market_maker[n as usize] && in_epoch >= h.max_orders_per_epoch;
        let unit = price * h.quote_per_lot_tick;
        let lock = match side {
            Side::Ask => lots * h.base_atoms_per_lot,
            Side::Bid => lots * unit + ceil_fee(lots * unit, h.maker_fee_bps),
        };
        if !pre_crosses {
            // Nothing to match: the outcome follows from the state alone.
            let expected = if kind == OrderKind::ImmediateOrCancel {
                Ok(())
            } else if limited {
                Err(BookError::OrderLimitReached)
            } else if lock
                > match side {
                    Side::Ask => seat.base_free,
                    Side::Bid => seat.quote_free,
                }
            {
                Err(BookError::InsufficientFunds)
            } else if h.bid_count + h.ask_count == h.order_capacity {
                Err(BookError::BookFull)
            } else {
                Ok(())
            };
            expect_result("non-crossing place", &result, expected)?;
            check!(rec.events.is_empty(), "events without crossing: {rec:?}");
        }
        let out = match result {
            Ok(out) => out,
            Err(e) => {
                let allowed = match e {
                    BookError::InsufficientFunds => true,
                    BookError::BookFull => h.bid_count + h.ask_count == h.order_capacity,
                    BookError::OrderLimitReached => limited,
                    BookError::SelfTrade => self_trade == SelfTradeMode::Abort,
                    BookError::PostOnlyWouldCross => kind == OrderKind::PostOnly && pre_crosses,
                    _ => false,
                };
                check!(allowed, "place {order:?} refused with {e:?}");
                return Ok(true);
            }
        };

        // Walk the records against the opposite side as it was, best first.
        let mut book = pre.book();
        let taker_bps = h.taker_fee_bps;
        let (mut p, mut done) = (0usize, false);
        let (mut filled, mut decremented, mut removed_lots) = (0u64, 0u64, 0u64);
        let (mut base_traded, mut quote_traded, mut taker_fees) = (0u64, 0u64, 0u64);
        let (mut fills, mut removals) = (0u32, 0u32);
        for event in &rec.events {
            check!(
                !done,
                "a record after the incoming order was used up: {rec:?}"
            );
            check!(p < opposite.len(), "a record beyond the book: {event:?}");
            let o = opposite[p];
            let owner = pre.seats[o.seat as usize].trader;
            match event {
                Event::Fill(f) => {
                    fills += 1;
                    check!(kind != OrderKind::PostOnly, "post-only filled: {f:?}");
                    check_eq!(f.maker_order_id, o.order_id, "fill out of priority order");
                    check_eq!(f.price, o.price, "fill price is the maker's");
                    check!(
                        crosses(side, price, f.price),
                        "fill {f:?} beyond the limit {price}"
                    );
                    check!(!expired(&o, now), "expired maker {o:?} filled at {now}");
                    check!(o.seat != seat_index, "self-trade filled: {f:?}");
                    check_eq!(f.maker, owner, "fill maker");
                    check_eq!(
                        f.maker_client_order_id,
                        o.client_order_id,
                        "maker client id"
                    );
                    check!(f.lots > 0 && f.lots <= o.lots, "fill lots {f:?} of {o:?}");
                    check_eq!(f.maker_remaining_lots, o.lots - f.lots, "maker remaining");
                    let unit = o.price as u128 * h.quote_per_lot_tick as u128;
                    check_eq!(
                        f.base_amount as u128,
                        f.lots as u128 * h.base_atoms_per_lot as u128,
                        "fill base"
                    );
                    check_eq!(f.quote_amount as u128, f.lots as u128 * unit, "fill quote");
                    let unit = unit as u64;
                    let before = o.filled_as_maker() * unit;
                    let after = before + f.quote_amount;
                    let paid = self.model.maker_fees.get(&o.order_id).copied().unwrap_or(0);
                    check_eq!(paid, ceil_fee(before, o.maker_fee_bps), "maker fees so far");
                    check_eq!(
                        paid + f.maker_fee,
                        ceil_fee(after, o.maker_fee_bps),
                        "maker fee of {f:?}"
                    );
                    check!(f.maker_fee <= f.quote_amount, "maker fee above the amount");
                    check!(f.taker_fee <= f.quote_amount, "taker fee above the amount");
                    quote_traded += f.quote_amount;
                    base_traded += f.base_amount;
                    taker_fees += f.taker_fee;
                    check_eq!(
                        taker_fees,
                        ceil_fee(quote_traded, taker_bps),
                        "taker fee cumulative"
                    );
                    filled += f.lots;
                    self.model.maker_fees.insert(o.order_id, paid + f.maker_fee);
                    // Settlement between the two traders.
                    let (base, quote) = (f.base_amount as u128, f.quote_amount as u128);
                    let (tf, mf) = (f.taker_fee as u128, f.maker_fee as u128);
                    let maker_t = trader_of(&owner);
                    match side {
                        Side::Bid => {
                            self.model.totals[n as usize].0 += base;
                            self.model.totals[n as usize].1 -= quote + tf;
                            self.model.totals[maker_t].0 -= base;
                            self.model.totals[maker_t].1 += quote - mf;
                        }
                        Side::Ask => {
                            self.model.totals[n as usize].0 -= base;
                            self.model.totals[n as usize].1 += quote - tf;
                            self.model.totals[maker_t].0 += base;
                            self.model.totals[maker_t].1 -= quote + mf;
                        }
                    }
                    self.model.fees_accrued += tf + mf;
                    self.model.trades += 1;
                    self.model.base_volume += base;
                    self.model.quote_volume += quote;
                    if f.maker_remaining_lots > 0 {
                        done = true;
                        book.get_mut(&o.order_id).unwrap().lots = f.maker_remaining_lots;
                    } else {
                        book.remove(&o.order_id);
                        self.model.maker_fees.remove(&o.order_id);
                        p += 1;
                    }
                }
                Event::Removal(r) => {
                    removals += 1;
                    check_eq!(r.order_id, o.order_id, "removal out of priority order");
                    check_eq!(
                        (r.price, r.side, r.trader, r.client_order_id),
                        (o.price, side.opposite(), owner, o.client_order_id),
                        "removal"
                    );
                    let is_expired = expired(&o, now);
                    let own = o.seat == seat_index;
                    let reason_ok = match r.reason {
                        RemovalReason::Expired => is_expired,
                        RemovalReason::SelfTradeCancelled => {
                            !is_expired && own && self_trade == SelfTradeMode::CancelResting
                        }
                        RemovalReason::SelfTradeDecremented => {
                            !is_expired && own && self_trade == SelfTradeMode::DecrementBoth
                        }
                        RemovalReason::Cancelled => false,
                    };
                    check!(
                        reason_ok,
                        "removal {r:?} of {o:?} (now {now}, {self_trade:?})"
                    );
                    check!(
                        kind != OrderKind::PostOnly || r.reason == RemovalReason::Expired,
                        "post-only removed {r:?}"
                    );
                    let released = r.base_released + r.quote_released;
                    check!(
                        match side.opposite() {
                            Side::Ask => r.quote_released == 0,
                            Side::Bid => r.base_released == 0,
                        },
                        "released the wrong asset: {r:?}"
                    );
                    check!(r.lots > 0, "empty removal {r:?}");
                    if r.reason == RemovalReason::SelfTradeDecremented {
                        decremented += r.lots;
                    }
                    removed_lots += r.lots;
                    if r.remaining_lots > 0 {
                        // A decrement that leaves part of the resting order.
                        check_eq!(
                            r.reason,
                            RemovalReason::SelfTradeDecremented,
                            "partial removal"
                        );
                        check_eq!(r.lots + r.remaining_lots, o.lots, "decrement lots");
                        let mut left = o;
                        left.lots -= r.lots;
                        left.initial_lots -= r.lots;
                        check_eq!(
                            released,
                            pre.lock(&o) - pre.lock(&left),
                            "decrement release"
                        );
                        book.insert(o.order_id, left);
                        done = true;
                    } else {
                        check_eq!(r.lots, o.lots, "removal lots");
                        check_eq!(released, pre.lock(&o), "removal release");
                        book.remove(&o.order_id);
                        self.model.maker_fees.remove(&o.order_id);
                        p += 1;
                    }
                }
            }
        }
        check!(
            rec.events.len() <= max_matches as usize,
            "more records than the match limit"
        );
        check_eq!(
            (out.fills, out.removals),
            (fills, removals),
            "outcome record counts"
        );
        check_eq!(out.filled_lots, filled, "outcome filled lots");
        check_eq!(
            (out.base_traded, out.quote_traded, out.taker_fee),
            (base_traded, quote_traded, taker_fees),
            "outcome amounts"
        );
        check_eq!(out.order_id, h.next_order_id, "order id");
        check_eq!(
            out.filled_lots + out.rested_lots + out.cancelled_lots,
            lots,
            "lots of the incoming order"
        );
        let left = lots - filled - decremented;
        check_eq!(
            out.rested_lots + out.cancelled_lots - decremented,
            left,
            "what was left"
        );
        // Matching only stops early at the match limit: otherwise what is left does not cross.
        let limit_hit = rec.events.len() == max_matches as usize;
        if left > 0 && !limit_hit {
            check!(
                opposite
                    .get(p)
                    .is_none_or(|o| !crosses(side, price, o.price)),
                "matching stopped while {:?} crossed {order:?}",
                opposite.get(p)
            );
        }
        match kind {
            OrderKind::ImmediateOrCancel => check_eq!(out.rested_lots, 0, "IOC rested"),
            _ => {
                if left > 0 && out.rested_lots == 0 {
                    check!(limit_hit, "{order:?} did not rest: {out:?}");
                }
            }
        }
        let state = match (out.rested_lots > 0, out.filled_lots > 0) {
            (true, true) => OrderState::PartiallyFilled,
            (true, false) => OrderState::Active,
            (false, _) if out.filled_lots == lots => OrderState::Filled,
            (false, _) => OrderState::Cancelled,
        };
        check_eq!(out.state, state, "state");
        if out.rested_lots > 0 {
            check_eq!(out.rested_lots, left, "rested");
            check!(!limited, "rested over the epoch limit");
            let epoch_count = &mut self.model.epochs[n as usize];
            if !self.model.market_maker[n as usize] {
                *epoch_count = (epoch, in_epoch + 1);
            }
            book.insert(
                out.order_id,
                Order {
                    price,
                    order_id: out.order_id,
                    lots: out.rested_lots,
                    initial_lots: out.rested_lots,
                    client_order_id,
                    expires_at,
                    seat: seat_index,
                    side: side as u8,
                    flags: if filled > 0 { FLAG_FILLED_ON_ENTRY } else { 0 },
                    maker_fee_bps: h.maker_fee_bps,
                },
            );
        }
        if client_order_id != 0 {
            self.model.last_cid[n as usize] = client_order_id;
        }
        let after = book_of(&mut self.b);
        check_eq!(after, book, "book after {order:?}");
        let resting = |b: &BTreeMap<u64, Order>| b.values().map(|o| o.lots).sum::<u64>();
        check_eq!(
            resting(&pre.book()) + out.rested_lots,
            resting(&after) + filled + removed_lots,
            "resting lots"
        );
        Ok(false)
    }

    fn cancel(
        &mut self,
        pre: &Pre,
        by_owner: bool,
        n: u8,
        pick: &Index,
        mismatch: u8,
    ) -> Result<bool, TestCaseError> {
        let all: Vec<Order> = pre.bids.iter().chain(&pre.asks).copied().collect();
        let (mut side, mut price, mut id, n) = match all.is_empty() {
            true => (Side::Bid, 100, 1_000_000, n),
            false => {
                let o = all[pick.index(all.len())];
                let owner = trader_of(&pre.seats[o.seat as usize].trader) as u8;
                (
                    side_of(&o),
                    o.price,
                    o.order_id,
                    if by_owner { owner } else { n },
                )
            }
        };
        match mismatch {
            1 => price += 1,
            2 => side = side.opposite(),
            3 => id += 1_000,
            _ => {}
        }
        let index = pre.seat_of(n);
        let result = self.b.market().cancel(
            index.unwrap_or(pre.header.seat_count),
            &key(n),
            side,
            price,
            id,
        );
        let target = pre
            .side(side)
            .iter()
            .find(|o| o.order_id == id && o.price == price);
        let expected = match (index, target) {
            (None, _) => Err(BookError::WrongSeat),
            (_, None) => Err(BookError::OrderNotFound),
            (Some(i), Some(o)) if o.seat != i => Err(BookError::NotOrderOwner),
            (Some(_), Some(_)) => Ok(()),
        };
        expect_result("cancel", &result, expected)?;
        let Ok(r) = result else {
            return Ok(true);
        };
        let o = *target.unwrap();
        check_eq!(
            (r.order_id, r.price, r.side, r.trader, r.reason),
            (id, price, side, key(n), RemovalReason::Cancelled),
            "cancel record"
        );
        check_eq!((r.lots, r.remaining_lots), (o.lots, 0), "cancel lots");
        check_eq!(
            r.base_released + r.quote_released,
            pre.lock(&o),
            "cancel release"
        );
        let mut book = pre.book();
        book.remove(&id);
        self.model.maker_fees.remove(&id);
        check_eq!(book_of(&mut self.b), book, "book after cancel");
        Ok(false)
    }

    fn prune(&mut self, pre: &Pre, max: u32) -> Result<bool, TestCaseError> {
        let now = self.model.now;
        let mut rec = Recorder::default();
        let result = self.b.market().prune_expired(now, max, &mut rec);
        let expired: Vec<&Order> = pre
            .bids
            .iter()
            .chain(&pre.asks)
            .filter(|o| expired(o, now))
            .collect();
        let n = expired.len().min(max as usize);
        check_eq!(result, Ok(n as u32), "pruned");
        check_eq!(rec.events.len(), n, "prune records");
        let mut book = pre.book();
        for (r, o) in rec.removals().iter().zip(&expired) {
            check_eq!(r.order_id, o.order_id, "prune order");
            check_eq!(
                (r.reason, r.lots, r.remaining_lots),
                (RemovalReason::Expired, o.lots, 0),
                "prune"
            );
            check_eq!(
                r.base_released + r.quote_released,
                pre.lock(o),
                "prune release"
            );
            book.remove(&o.order_id);
            self.model.maker_fees.remove(&o.order_id);
        }
        check_eq!(book_of(&mut self.b), book, "book after prune");
        Ok(false)
    }

    fn grow(&mut self, pre: &Pre, seats: u32, orders: u32) -> Result<bool, TestCaseError> {
        check_eq!(self.b.grow(seats, orders), Ok(()), "grow");
        let m = self.b.market();
        check_eq!(
            (m.header.seat_capacity, m.header.order_capacity),
            (
                pre.header.seat_capacity + seats,
                pre.header.order_capacity + orders
            ),
            "capacities"
        );
        check_eq!(
            m.seats[..m.header.seat_count as usize].to_vec(),
            pre.seats,
            "seats"
        );
        check!(
            m.seats[m.header.seat_count as usize..]
                .iter()
                .all(|s| *s == Seat::default()),
            "new seat slots not empty"
        );
        let bids: Vec<Order> = m.bids().iter().rev().copied().collect();
        check_eq!(bids, pre.bids, "bids");
        check_eq!(m.asks().to_vec(), pre.asks, "asks");
        Ok(false)
    }

    /// The invariants (a) to (c) and the header's totals (e) after every operation.
    fn invariants(&mut self) -> Checked {
        let m = self.b.market();
        let h = *m.header;
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check_book(&m)));
        if let Err(panic) = caught {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()));
            return Err(TestCaseError::fail(format!("book invariant: {msg:?}")));
        }
        let seats = &m.seats[..h.seat_count as usize];
        let (mut base, mut quote) = (0u128, 0u128);
        for seat in seats {
            let n = trader_of(&seat.trader);
            let total = (
                seat.base_free as u128 + seat.base_locked as u128,
                seat.quote_free as u128 + seat.quote_locked as u128,
            );
            check_eq!(total, self.model.totals[n], "trader {n} balances");
            check_eq!(
                seat.last_client_order_id,
                self.model.last_cid[n],
                "trader {n} client id"
            );
            check_eq!(
                (seat.epoch, seat.orders_in_epoch),
                self.model.epochs[n],
                "trader {n} epoch count"
            );
            check_eq!(
                seat.market_maker != 0,
                self.model.market_maker[n],
                "trader {n} maker"
            );
            base += total.0;
            quote += total.1;
        }
        check_eq!(base, self.model.vault_base, "base vault");
        check_eq!(
            quote + h.fees_accrued as u128,
            self.model.vault_quote,
            "quote vault"
        );
        check_eq!(
            h.fees_accrued as u128,
            self.model.fees_accrued,
            "fees accrued"
        );
        check_eq!(
            h.fees_collected as u128,
            self.model.fees_collected,
            "fees collected"
        );
        check_eq!(
            (h.trade_count, h.base_volume as u128, h.quote_volume as u128),
            (
                self.model.trades,
                self.model.base_volume,
                self.model.quote_volume
            ),
            "header totals"
        );
        for o in m.bids().iter().chain(m.asks()) {
            let unit = o.price * h.quote_per_lot_tick;
            let paid = self.model.maker_fees.get(&o.order_id).copied().unwrap_or(0);
            check_eq!(
                paid,
                ceil_fee(o.filled_as_maker() * unit, o.maker_fee_bps),
                "maker fees of resting {o:?}"
            );
        }
        Ok(())
    }
}

#[test]
fn random_operations_keep_every_invariant() {
    let total_ops = Cell::new(0usize);
    let mut runner = TestRunner::new(Config {
        cases: CASES,
        // A failure prints its shrunk operations; the runner has no source file to store it by.
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (setup(), prop::collection::vec(op(), OPS));
    runner
        .run(&strategy, |(setup, ops)| {
            let mut run = Run::new(&setup);
            run.invariants()?;
            for (i, op) in ops.iter().enumerate() {
                run.apply(op)
                    .map_err(|e| TestCaseError::fail(format!("op {i} {op:?}: {e}")))?;
            }
            total_ops.set(total_ops.get() + ops.len());
            Ok(())
        })
        .unwrap();
    assert!(
        total_ops.get() >= MIN_TOTAL_OPS,
        "only {} operations",
        total_ops.get()
    );
}
