//! Expiry: an expired order never matches; matching removes the ones it meets and the
//! permissionless prune removes them anywhere, releasing their funds.

mod common;

use common::*;
use solgrid_order_book::{
    escrow::locked_by, BookError, NewOrder, OrderKind, OrderState, RemovalReason, Side,
};

const Q: u64 = 1_000_000;

fn until(order: NewOrder, expires_at: i64) -> NewOrder {
    NewOrder {
        expires_at,
        ..order
    }
}

#[test]
fn an_expired_maker_never_matches_and_is_removed_with_its_funds() {
    let mut b = MarketBuf::with_traders(&params(), 3, 100 * BPL, Q);
    let expiring = b.rest(1, &until(ask(100, 5), NOW + 60), NOW);
    let live = b.rest(2, &ask(101, 5), NOW);
    // One second before its expiry it still trades.
    let (_, rec) = b.placed(3, &bid(100, 1), NOW + 59);
    assert_eq!(rec.fills()[0].maker_order_id, expiring);
    // From its expiry time on it does not.
    let (out, rec) = b.placed(3, &bid(101, 2), NOW + 60);
    let r = rec.removals();
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].reason, RemovalReason::Expired);
    assert_eq!((r[0].order_id, r[0].lots), (expiring, 4));
    assert_eq!(r[0].base_released, 4 * BPL);
    assert!(matches!(rec.events[0], Event::Removal(_)));
    let fills = rec.fills();
    assert_eq!(fills.len(), 1);
    assert_eq!((fills[0].maker_order_id, fills[0].price), (live, 101));
    assert_eq!((out.fills, out.removals), (1, 1));
    let seat = b.seat(1);
    assert_eq!((seat.base_free, seat.base_locked), (99 * BPL, 0));
    assert_eq!(seat.open_orders, 0);
}

#[test]
fn an_expired_bid_returns_its_whole_lock_fee_included() {
    let mut b = MarketBuf::with_traders(&params(), 2, 100 * BPL, Q);
    b.rest(1, &until(bid(100, 3), NOW + 10), NOW);
    assert_eq!(b.seat(1).quote_locked, 301);
    let (out, rec) = b.placed(2, &ask(100, 3), NOW + 10);
    assert_eq!(rec.removals()[0].quote_released, 301);
    assert!(rec.fills().is_empty());
    // Nothing else crosses: the ask rests.
    assert_eq!(out.rested_lots, 3);
    let seat = b.seat(1);
    assert_eq!((seat.quote_free, seat.quote_locked), (Q, 0));
}

#[test]
fn an_expiry_must_be_in_the_future() {
    let mut b = MarketBuf::with_traders(&params(), 1, 100 * BPL, Q);
    for at in [NOW, NOW - 1, 1] {
        assert_eq!(
            b.place(1, &until(ask(100, 1), at), NOW).unwrap_err(),
            BookError::AlreadyExpired
        );
    }
    let (out, _) = b.placed(1, &until(ask(100, 1), NOW + 1), NOW);
    assert_eq!(out.rested_lots, 1);
    assert_eq!(b.side(Side::Ask)[0].expires_at, NOW + 1);
}

#[test]
fn post_only_rests_once_matching_cleared_the_expired_orders_it_met() {
    let mut b = MarketBuf::with_traders(&params(), 2, 100 * BPL, Q);
    b.rest(1, &until(ask(100, 2), NOW + 5), NOW);
    b.rest(1, &ask(105, 2), NOW);
    let post = NewOrder {
        kind: OrderKind::PostOnly,
        ..bid(100, 1)
    };
    assert_eq!(
        b.place(2, &post, NOW + 4).unwrap_err(),
        BookError::PostOnlyWouldCross
    );
    let (out, rec) = b.placed(2, &post, NOW + 5);
    assert_eq!(rec.removals().len(), 1);
    assert!(rec.fills().is_empty());
    assert_eq!(out.state, OrderState::Active);
    assert_eq!(out.rested_lots, 1);
}

#[test]
fn removing_expired_orders_counts_against_the_match_limit() {
    let mut b = MarketBuf::with_traders(&params(), 2, 100 * BPL, Q);
    b.rest(1, &until(ask(100, 1), NOW + 5), NOW);
    b.rest(1, &until(ask(100, 1), NOW + 5), NOW);
    b.rest(1, &ask(100, 1), NOW);
    let order = NewOrder {
        max_matches: 2,
        ..bid(100, 1)
    };
    let (out, rec) = b.placed(2, &order, NOW + 5);
    assert_eq!(rec.removals().len(), 2);
    assert_eq!(
        (out.filled_lots, out.rested_lots, out.cancelled_lots),
        (0, 0, 1)
    );
    assert!(b.side(Side::Bid).is_empty());
    assert_eq!(b.side(Side::Ask).len(), 1);
    // An expired order that no incoming order reaches stays until pruned.
    b.rest(1, &until(ask(110, 1), NOW + 6), NOW + 5);
    let (out, _) = b.placed(2, &bid(100, 1), NOW + 100);
    assert_eq!(out.filled_lots, 1);
    assert_eq!(b.side(Side::Ask)[0].price, 110);
}

#[test]
fn prune_removes_expired_orders_anywhere_up_to_max_and_keeps_the_rest_in_order() {
    let mut b = MarketBuf::with_traders(&params(), 4, 100 * BPL, Q);
    let t = NOW + 10;
    let b1 = b.rest(1, &until(bid(98, 2), t), NOW);
    let b2 = b.rest(2, &bid(99, 2), NOW);
    let b3 = b.rest(3, &until(bid(100, 2), t), NOW);
    let b4 = b.rest(1, &until(bid(97, 2), t + 1000), NOW);
    let b5 = b.rest(2, &until(bid(96, 2), t), NOW);
    let b6 = b.rest(4, &until(bid(100, 2), t), NOW);
    let a1 = b.rest(3, &until(ask(101, 2), t), NOW);
    let a2 = b.rest(4, &ask(102, 2), NOW);
    let a3 = b.rest(1, &until(ask(103, 2), t), NOW);
    let a4 = b.rest(2, &until(ask(104, 2), t), NOW);
    let h = b.header();
    let side_of_id = |id: u64| if id <= b6 { Side::Bid } else { Side::Ask };
    let before: Vec<_> = b
        .side(Side::Bid)
        .into_iter()
        .chain(b.side(Side::Ask))
        .collect();

    // Nothing has expired yet.
    assert_eq!(b.prune(t - 1, 100).0, 0);
    assert_eq!(b.prune(t, 0).0, 0);

    let mut removed = Vec::new();
    for (max, expect) in [(2, 2), (3, 3), (10, 2), (10, 0)] {
        let (n, rec) = b.prune(t, max);
        assert_eq!(n, expect);
        for r in rec.removals() {
            assert_eq!(r.reason, RemovalReason::Expired);
            assert_eq!(r.side, side_of_id(r.order_id));
            let o = before.iter().find(|o| o.order_id == r.order_id).unwrap();
            assert_eq!(r.trader, key(b.market().seats[o.seat as usize].trader[0]));
            let lock = locked_by(o, h.base_atoms_per_lot, h.quote_per_lot_tick).unwrap();
            assert_eq!(r.base_released + r.quote_released, lock);
            assert_eq!((r.lots, r.remaining_lots), (2, 0));
            removed.push(r.order_id);
        }
    }
    // Bids from the best down, then asks from the best up.
    assert_eq!(removed, [b3, b6, b1, b5, a1, a3, a4]);
    assert_eq!(b.ids(Side::Bid), [b2, b4]);
    assert_eq!(b.ids(Side::Ask), [a2]);
    for n in 1..=4 {
        let seat = b.seat(n);
        assert_eq!(seat.base_free + seat.base_locked, 100 * BPL);
        assert_eq!(seat.quote_free + seat.quote_locked, Q);
    }
    let (n, rec) = b.prune(t + 1000, 100);
    assert_eq!(n, 1);
    assert_eq!(rec.removals()[0].order_id, b4);
    assert_eq!(b.ids(Side::Bid), [b2]);
}
