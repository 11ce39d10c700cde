//! Self-trade prevention: each mode, and that a decrement releases exactly what the removed lots
//! locked (price and the maker fee they would have owed).

mod common;

use common::*;
use solgrid_order_book::{
    escrow::locked_by, BookError, NewOrder, OrderState, Params, RemovalReason, SelfTradeMode, Side,
};

const Q: u64 = 1_000_000;

fn with_mode(order: NewOrder, self_trade: SelfTradeMode) -> NewOrder {
    NewOrder {
        self_trade,
        ..order
    }
}

#[test]
fn cancel_resting_removes_the_own_order_and_goes_on_matching() {
    let mut b = MarketBuf::with_traders(&params(), 3, 100 * BPL, Q);
    let own = b.rest(1, &ask(100, 5), NOW);
    let other = b.rest(2, &ask(101, 5), NOW);
    let (out, rec) = b.placed(
        1,
        &with_mode(bid(101, 7), SelfTradeMode::CancelResting),
        NOW,
    );
    let removals = rec.removals();
    assert_eq!(removals.len(), 1);
    let r = removals[0];
    assert_eq!(r.reason, RemovalReason::SelfTradeCancelled);
    assert_eq!((r.order_id, r.trader, r.side), (own, key(1), Side::Ask));
    assert_eq!((r.lots, r.remaining_lots), (5, 0));
    assert_eq!((r.base_released, r.quote_released), (5 * BPL, 0));
    // The removal comes first (it was the best ask), then the fill.
    assert!(matches!(rec.events[0], Event::Removal(_)));
    let fills = rec.fills();
    assert_eq!(fills.len(), 1);
    assert_eq!((fills[0].maker_order_id, fills[0].lots), (other, 5));
    assert_eq!((out.filled_lots, out.rested_lots), (5, 2));
    assert_eq!((out.fills, out.removals), (1, 1));
    assert_eq!(out.state, OrderState::PartiallyFilled);
    let seat = b.seat(1);
    assert_eq!((seat.base_free, seat.base_locked), (105 * BPL, 0));
    assert_eq!(seat.open_orders, 1);
    assert_eq!(b.header().trade_count, 1);
}

#[test]
fn decrement_both_releases_exactly_the_decremented_lock() {
    // A 1 % maker fee so that its rounding shows.
    let p = Params {
        maker_fee_bps: 100,
        ..params()
    };
    let mut b = MarketBuf::with_traders(&p, 3, 100 * BPL, Q);
    let id = b.rest(1, &bid(143, 7), NOW);
    // 7 * 143 = 1001 plus ceil(10.01) = 11.
    assert_eq!(b.seat(1).quote_locked, 1012);

    let (_, rec) = b.placed(2, &ask(143, 3), NOW);
    assert_eq!(rec.fills()[0].maker_fee, 5); // ceil(4.29)
    assert_eq!(b.seat(1).quote_locked, 4 * 143 + 11 - 5);

    let fees_before = b.header().fees_accrued;
    let base_before = b.seat(1).base_free;
    let (out, rec) = b.placed(
        1,
        &with_mode(ask(143, 2), SelfTradeMode::DecrementBoth),
        NOW,
    );
    assert!(rec.fills().is_empty());
    let r = rec.removals()[0];
    assert_eq!(r.reason, RemovalReason::SelfTradeDecremented);
    assert_eq!(
        (r.order_id, r.side, r.lots, r.remaining_lots),
        (id, Side::Bid, 2, 2)
    );
    // Left: 2 lots of an order of 5 of which 3 traded: 286 + ceil(7.15) - ceil(4.29) = 289.
    let resting = b.side(Side::Bid)[0];
    assert_eq!((resting.lots, resting.initial_lots), (2, 5));
    let h = b.header();
    let lock = locked_by(&resting, h.base_atoms_per_lot, h.quote_per_lot_tick).unwrap();
    assert_eq!(lock, 289);
    assert_eq!(r.quote_released, 578 - 289);
    assert_eq!(r.base_released, 0);
    assert_eq!(b.seat(1).quote_locked, 289);
    assert_eq!(
        (out.filled_lots, out.rested_lots, out.cancelled_lots),
        (0, 0, 2)
    );
    assert_eq!(out.state, OrderState::Cancelled);
    // No trade, no fee, the incoming ask's base untouched.
    assert_eq!(h.fees_accrued, fees_before);
    assert_eq!(h.trade_count, 1);
    assert_eq!(b.seat(1).base_free, base_before);

    // The rest fills: the lock is used up exactly, and the maker paid one rounding of its total.
    let (_, rec) = b.placed(3, &ask(143, 2), NOW);
    assert_eq!(rec.fills()[0].maker_fee, 3);
    assert_eq!(5 + 3, ceil_fee(5 * 143, 100));
    let seat = b.seat(1);
    assert_eq!((seat.quote_locked, seat.open_orders), (0, 0));
    assert_eq!(seat.quote_free, Q - (3 * 143 + 5) - (2 * 143 + 3));
}

#[test]
fn decrement_both_removes_a_smaller_resting_order_and_goes_on() {
    let mut b = MarketBuf::with_traders(&params(), 3, 100 * BPL, Q);
    let own = b.rest(1, &ask(100, 2), NOW);
    let other = b.rest(2, &ask(101, 3), NOW);
    let (out, rec) = b.placed(
        1,
        &with_mode(bid(101, 4), SelfTradeMode::DecrementBoth),
        NOW,
    );
    let r = rec.removals()[0];
    assert_eq!((r.order_id, r.lots, r.remaining_lots), (own, 2, 0));
    assert_eq!(r.base_released, 2 * BPL);
    let f = rec.fills()[0];
    assert_eq!(
        (f.maker_order_id, f.lots, f.maker_remaining_lots),
        (other, 2, 1)
    );
    assert_eq!(
        (out.filled_lots, out.cancelled_lots, out.rested_lots),
        (2, 2, 0)
    );
    assert_eq!(out.state, OrderState::Cancelled);
    let seat = b.seat(1);
    assert_eq!((seat.base_locked, seat.open_orders), (0, 0));
    assert_eq!(seat.base_free, 102 * BPL);
    assert_eq!(b.side(Side::Ask).len(), 1);
}

#[test]
fn decrement_both_of_equal_sizes_removes_both() {
    let mut b = MarketBuf::with_traders(&params(), 2, 100 * BPL, Q);
    let own = b.rest(1, &bid(100, 3), NOW);
    let (out, rec) = b.placed(1, &with_mode(ask(99, 3), SelfTradeMode::DecrementBoth), NOW);
    let r = rec.removals()[0];
    assert_eq!((r.order_id, r.lots, r.remaining_lots), (own, 3, 0));
    assert_eq!(r.quote_released, 300 + 1);
    assert_eq!(out.cancelled_lots, 3);
    assert!(b.side(Side::Bid).is_empty() && b.side(Side::Ask).is_empty());
    let seat = b.seat(1);
    assert_eq!((seat.quote_free, seat.quote_locked), (Q, 0));
}

#[test]
fn abort_fails_only_when_matching_reaches_the_own_order() {
    let mut b = MarketBuf::with_traders(&params(), 3, 100 * BPL, Q);
    b.rest(1, &ask(101, 5), NOW);
    let other = b.rest(2, &ask(100, 5), NOW);
    let (out, rec) = b.placed(1, &with_mode(bid(101, 3), SelfTradeMode::Abort), NOW);
    assert_eq!(out.state, OrderState::Filled);
    assert_eq!(rec.fills()[0].maker_order_id, other);

    let before = b.snapshot();
    assert_eq!(
        b.place(1, &with_mode(bid(101, 8), SelfTradeMode::Abort), NOW)
            .unwrap_err(),
        BookError::SelfTrade
    );
    assert_eq!(b.snapshot(), before);
    // Another trader's order at the same price is unaffected by the mode.
    let (out, _) = b.placed(3, &with_mode(bid(101, 8), SelfTradeMode::Abort), NOW);
    assert_eq!(out.filled_lots, 7);
}
