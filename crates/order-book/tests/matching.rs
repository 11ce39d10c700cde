//! Continuous matching: price-time priority on both sides, partial and full fills, what rests and
//! what is dropped (IOC, post-only, the match limit).

mod common;

use common::*;
use solgrid_order_book::{
    layout::FLAG_FILLED_ON_ENTRY, BookError, Fill, NewOrder, OrderKind, OrderState, Removal, Side,
    Sink, MAX_MATCHES,
};

const Q: u64 = 1_000_000;

fn traders() -> MarketBuf {
    MarketBuf::with_traders(&params(), 5, 100 * BPL, Q)
}

/// (maker order id, lots, price, maker lots left) of each fill.
fn fill_summary(fills: &[Fill]) -> Vec<(u64, u64, u64, u64)> {
    fills
        .iter()
        .map(|f| (f.maker_order_id, f.lots, f.price, f.maker_remaining_lots))
        .collect()
}

#[test]
fn asks_better_price_first_then_older_first() {
    let mut b = traders();
    let a1 = b.rest(1, &ask(105, 5), NOW);
    let a2 = b.rest(2, &ask(100, 5), NOW);
    let a3 = b.rest(3, &ask(100, 5), NOW);
    let a4 = b.rest(1, &ask(101, 5), NOW);
    let ids: Vec<u64> = b.side(Side::Ask).iter().map(|o| o.order_id).collect();
    assert_eq!(ids, [a2, a3, a4, a1]);

    let (out, rec) = b.placed(4, &bid(105, 12), NOW);
    assert!(rec.removals().is_empty());
    let fills = rec.fills();
    // The taker pays each maker's price, never its own higher limit.
    assert_eq!(
        fill_summary(&fills),
        [(a2, 5, 100, 0), (a3, 5, 100, 0), (a4, 2, 101, 3)]
    );
    assert_eq!(
        fills.iter().map(|f| f.maker).collect::<Vec<_>>(),
        [key(2), key(3), key(1)]
    );
    assert_eq!(
        fills.iter().map(|f| f.quote_amount).collect::<Vec<_>>(),
        [500, 500, 202]
    );
    assert!(fills.iter().all(|f| f.base_amount == f.lots * BPL));
    // Taker fee on the cumulative quote: ceil(500 * 25 / 1e4) = 2, then ceil(1000 * 25 / 1e4) = 3,
    // then ceil(1202 * 25 / 1e4) = 4.
    assert_eq!(
        fills.iter().map(|f| f.taker_fee).collect::<Vec<_>>(),
        [2, 1, 1]
    );
    // Maker fees: ceil(500*10/1e4) = 1, and ceil(202*10/1e4) = 1.
    assert_eq!(
        fills.iter().map(|f| f.maker_fee).collect::<Vec<_>>(),
        [1, 1, 1]
    );
    assert_eq!(out.filled_lots, 12);
    assert_eq!(out.quote_traded, 1202);
    assert_eq!(out.base_traded, 12 * BPL);
    assert_eq!(out.taker_fee, 4);
    assert_eq!((out.rested_lots, out.cancelled_lots), (0, 0));
    assert_eq!((out.fills, out.removals), (3, 0));
    assert_eq!(out.state, OrderState::Filled);

    let taker = b.seat(4);
    assert_eq!(taker.quote_free, Q - 1202 - 4);
    assert_eq!(taker.base_free, 112 * BPL);
    assert_eq!(taker.open_orders, 0);
    let full_maker = b.seat(2);
    assert_eq!(
        (full_maker.base_free, full_maker.base_locked),
        (95 * BPL, 0)
    );
    assert_eq!(full_maker.quote_free, Q + 500 - 1);
    assert_eq!(full_maker.open_orders, 0);
    let partial_maker = b.seat(1);
    assert_eq!(partial_maker.base_free, 90 * BPL);
    assert_eq!(partial_maker.base_locked, 8 * BPL);
    assert_eq!(partial_maker.quote_free, Q + 202 - 1);
    assert_eq!(partial_maker.open_orders, 2);

    let h = b.header();
    assert_eq!(h.fees_accrued, 4 + 3);
    assert_eq!(h.trade_count, 3);
    assert_eq!(h.base_volume, 12 * BPL);
    assert_eq!(h.quote_volume, 1202);
    let rest: Vec<(u64, u64, u64)> = b
        .side(Side::Ask)
        .iter()
        .map(|o| (o.order_id, o.lots, o.initial_lots))
        .collect();
    assert_eq!(rest, [(a4, 3, 5), (a1, 5, 5)]);
}

#[test]
fn bids_better_price_first_then_older_first() {
    let mut b = traders();
    let b1 = b.rest(1, &bid(95, 5), NOW);
    let b2 = b.rest(2, &bid(100, 5), NOW);
    let b3 = b.rest(3, &bid(100, 5), NOW);
    let b4 = b.rest(1, &bid(99, 5), NOW);
    let ids: Vec<u64> = b.side(Side::Bid).iter().map(|o| o.order_id).collect();
    assert_eq!(ids, [b2, b3, b4, b1]);
    // Stored worst first.
    let stored: Vec<u64> = b.market().bids().iter().map(|o| o.order_id).collect();
    assert_eq!(stored, [b1, b4, b3, b2]);

    let (out, rec) = b.placed(4, &ask(95, 12), NOW);
    // The seller receives each maker's price, never less than its own limit.
    assert_eq!(
        fill_summary(&rec.fills()),
        [(b2, 5, 100, 0), (b3, 5, 100, 0), (b4, 2, 99, 3)]
    );
    assert_eq!(out.quote_traded, 1198);
    assert_eq!(out.taker_fee, 3); // ceil(1198 * 25 / 10^4)
    let taker = b.seat(4);
    assert_eq!(taker.quote_free, Q + 1198 - 3);
    assert_eq!(taker.base_free, 88 * BPL);
    let full_maker = b.seat(2);
    // It locked 500 + ceil(500 * 10 / 1e4) = 501 and all of it was spent.
    assert_eq!(
        (full_maker.quote_free, full_maker.quote_locked),
        (Q - 501, 0)
    );
    assert_eq!(full_maker.base_free, 105 * BPL);
    let partial_maker = b.seat(1);
    // Bid 95x5 locks 475 + 1; bid 99x5 locked 495 + 1, paid 198 + 1, still locks 297 + 0.
    assert_eq!(partial_maker.quote_locked, 476 + 297);
    assert_eq!(partial_maker.quote_free, Q - 476 - 496);
    assert_eq!(partial_maker.base_free, 102 * BPL);
    assert_eq!(b.header().fees_accrued, 3 + 3);
}

#[test]
fn taker_partial_fill_rests_the_rest_and_makers_fill_partially_then_fully() {
    let mut b = traders();
    let a1 = b.rest(1, &ask(100, 3), NOW);
    let (out, rec) = b.placed(2, &bid(102, 10), NOW);
    assert_eq!(fill_summary(&rec.fills()), [(a1, 3, 100, 0)]);
    assert_eq!(out.filled_lots, 3);
    assert_eq!(out.rested_lots, 7);
    assert_eq!(out.cancelled_lots, 0);
    assert_eq!(out.state, OrderState::PartiallyFilled);
    assert_eq!(b.market().free_order_slots(), 64 - 1);
    let resting = b.side(Side::Bid)[0];
    assert_eq!(resting.order_id, out.order_id);
    assert_eq!(
        (resting.price, resting.lots, resting.initial_lots),
        (102, 7, 7)
    );
    assert_eq!(resting.flags, FLAG_FILLED_ON_ENTRY);
    assert_eq!(resting.seat, b.seat_index(2));
    let seat = b.seat(2);
    // Locks 7 * 102 = 714 plus its maker fee ceil(714 * 10 / 1e4) = 1.
    assert_eq!(seat.quote_locked, 715);
    assert_eq!(seat.quote_free, Q - 300 - 1 - 715);
    assert_eq!(seat.open_orders, 1);

    // A seller fills the resting bid partially at the bid's price (above the seller's limit).
    let (out, rec) = b.placed(3, &ask(101, 4), NOW);
    assert_eq!(out.state, OrderState::Filled);
    let fills = rec.fills();
    assert_eq!(fill_summary(&fills), [(resting.order_id, 4, 102, 3)]);
    assert_eq!(fills[0].maker_fee, 1); // ceil(408 * 10 / 1e4)
    let maker = b.side(Side::Bid)[0];
    assert_eq!((maker.lots, maker.initial_lots), (3, 7));
    assert_eq!(maker.filled_as_maker(), 4);
    assert_eq!(b.seat(2).quote_locked, 306); // 3 * 102, its remaining fee is 0

    // Another fills the rest: the maker leaves the book.
    let (_, rec) = b.placed(4, &ask(102, 3), NOW);
    let fills = rec.fills();
    assert_eq!(fill_summary(&fills), [(resting.order_id, 3, 102, 0)]);
    assert_eq!(fills[0].maker_fee, 0); // ceil(714e-3) - ceil(408e-3)
    assert!(b.side(Side::Bid).is_empty());
    let seat = b.seat(2);
    assert_eq!((seat.quote_locked, seat.open_orders), (0, 0));
    assert_eq!(seat.quote_free, Q - 300 - 1 - 714 - 1);
    assert_eq!(seat.base_free, 110 * BPL);
}

#[test]
fn immediate_or_cancel_drops_its_remainder() {
    let mut b = traders();
    let a1 = b.rest(1, &ask(100, 3), NOW);
    let a2 = b.rest(1, &ask(101, 3), NOW);
    let ioc = |side, price, lots| NewOrder {
        kind: OrderKind::ImmediateOrCancel,
        ..limit(side, price, lots)
    };
    let before = b.seat(2);
    let (out, rec) = b.placed(2, &ioc(Side::Bid, 100, 10), NOW);
    assert_eq!(fill_summary(&rec.fills()), [(a1, 3, 100, 0)]);
    assert_eq!(
        (out.filled_lots, out.rested_lots, out.cancelled_lots),
        (3, 0, 7)
    );
    assert_eq!(out.state, OrderState::Cancelled);
    assert!(b.side(Side::Bid).is_empty());
    let seat = b.seat(2);
    assert_eq!((seat.quote_locked, seat.open_orders), (0, 0));
    assert_eq!(seat.quote_free, before.quote_free - 300 - 1);

    let (out, rec) = b.placed(2, &ioc(Side::Bid, 101, 3), NOW);
    assert_eq!(fill_summary(&rec.fills()), [(a2, 3, 101, 0)]);
    assert_eq!(out.state, OrderState::Filled);
    assert_eq!((out.filled_lots, out.cancelled_lots), (3, 0));
    assert!(b.side(Side::Ask).is_empty());

    // Nothing crosses: nothing trades, nothing rests.
    let (out, rec) = b.placed(2, &ioc(Side::Ask, 200, 1), NOW);
    assert!(rec.events.is_empty());
    assert_eq!(
        (out.filled_lots, out.rested_lots, out.cancelled_lots),
        (0, 0, 1)
    );
    assert_eq!(out.state, OrderState::Cancelled);
    assert!(b.side(Side::Ask).is_empty());
    assert_eq!(b.seat(2).base_locked, 0);
}

#[test]
fn post_only_is_refused_when_it_would_cross_and_rests_otherwise() {
    let mut b = traders();
    b.rest(1, &ask(100, 3), NOW);
    let post = |side, price, lots| NewOrder {
        kind: OrderKind::PostOnly,
        ..limit(side, price, lots)
    };
    let before = b.snapshot();
    // An equal price crosses.
    assert_eq!(
        b.place(2, &post(Side::Bid, 100, 1), NOW).unwrap_err(),
        BookError::PostOnlyWouldCross
    );
    assert_eq!(
        b.place(2, &post(Side::Bid, 150, 1), NOW).unwrap_err(),
        BookError::PostOnlyWouldCross
    );
    assert_eq!(b.snapshot(), before);

    let (out, rec) = b.placed(2, &post(Side::Bid, 99, 4), NOW);
    assert!(rec.events.is_empty());
    assert_eq!(out.state, OrderState::Active);
    assert_eq!((out.rested_lots, out.filled_lots), (4, 0));
    assert_eq!(b.seat(2).quote_locked, 4 * 99 + 1);
    assert_eq!(
        b.place(3, &post(Side::Ask, 99, 1), NOW).unwrap_err(),
        BookError::PostOnlyWouldCross
    );
    // A post-only ask at the best ask's price joins behind it.
    let (out, _) = b.placed(3, &post(Side::Ask, 100, 2), NOW);
    assert_eq!(out.rested_lots, 2);
    let asks: Vec<u64> = b.side(Side::Ask).iter().map(|o| o.lots).collect();
    assert_eq!(asks, [3, 2]);
}

#[test]
fn match_limit_bounds_the_work_and_never_leaves_a_crossed_book() {
    let mut b = traders();
    for price in 100..=104 {
        b.rest(1, &ask(price, 1), NOW);
    }
    for bad in [0, MAX_MATCHES + 1] {
        let order = NewOrder {
            max_matches: bad,
            ..bid(104, 1)
        };
        assert_eq!(
            b.place(2, &order, NOW).unwrap_err(),
            BookError::InvalidMatchLimit
        );
    }
    let limited = |price, lots, max_matches| NewOrder {
        max_matches,
        ..bid(price, lots)
    };
    // Stopped after 2 fills while 102 still crosses 104: the rest does not rest.
    let (out, rec) = b.placed(2, &limited(104, 10, 2), NOW);
    assert_eq!(rec.fills().len(), 2);
    assert_eq!(
        (out.filled_lots, out.rested_lots, out.cancelled_lots),
        (2, 0, 8)
    );
    assert_eq!(out.state, OrderState::Cancelled);
    assert!(b.side(Side::Bid).is_empty());
    assert_eq!(b.seat(2).open_orders, 0);
    // Stopped after 1 fill while 103 crosses 103.
    let (out, _) = b.placed(2, &limited(103, 10, 1), NOW);
    assert_eq!((out.filled_lots, out.rested_lots), (1, 0));
    assert!(b.side(Side::Bid).is_empty());
    // Stopped after 1 fill and 104 does not cross 103: the rest rests.
    let (out, _) = b.placed(2, &limited(103, 5, 1), NOW);
    assert_eq!((out.filled_lots, out.rested_lots), (1, 4));
    assert_eq!(out.state, OrderState::PartiallyFilled);
    assert_eq!(b.side(Side::Bid)[0].lots, 4);
}

#[test]
fn one_order_fills_the_most_makers_the_limit_allows() {
    let mut b = MarketBuf::new(&params(), 4, 128);
    for n in 1..=2 {
        let seat = b.market().claim_seat(&key(n)).unwrap();
        let mut m = b.market();
        m.deposit(seat, &key(n), solgrid_order_book::Asset::Base, 1_000 * BPL)
            .unwrap();
        m.deposit(seat, &key(n), solgrid_order_book::Asset::Quote, Q)
            .unwrap();
    }
    for _ in 0..=MAX_MATCHES {
        b.rest(1, &ask(100, 1), NOW);
    }
    let (out, rec) = b.placed(2, &bid(100, MAX_MATCHES as u64 + 1), NOW);
    assert_eq!(out.fills, MAX_MATCHES);
    assert_eq!(rec.fills().len(), MAX_MATCHES as usize);
    assert_eq!(out.cancelled_lots, 1);
    assert_eq!(b.side(Side::Ask).len(), 1);
    // One rounding of the taker fee over all of it: ceil(8000 * 25 / 1e4) = 20.
    assert_eq!(out.taker_fee, 20);
}

/// A sink with room for `room` records.
struct Bounded {
    room: usize,
}

impl Sink for Bounded {
    fn fill(&mut self, _: &Fill) -> Result<(), BookError> {
        self.take()
    }

    fn removal(&mut self, _: &Removal) -> Result<(), BookError> {
        self.take()
    }
}

impl Bounded {
    fn take(&mut self) -> Result<(), BookError> {
        if self.room == 0 {
            return Err(BookError::EventsFull);
        }
        self.room -= 1;
        Ok(())
    }
}

#[test]
fn a_full_sink_fails_the_operation() {
    let mut b = traders();
    b.rest(1, &ask(100, 1), NOW);
    b.rest(1, &ask(100, 1), NOW);
    let seat = b.seat_index(2);
    let mut sink = Bounded { room: 1 };
    let result = b
        .market()
        .place(seat, &key(2), &bid(100, 2), NOW, &mut sink);
    assert_eq!(result.unwrap_err(), BookError::EventsFull);
}
