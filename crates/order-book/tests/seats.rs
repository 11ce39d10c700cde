//! Seats and their rules: claiming, deposits and withdrawals, funds, ownership, client order ids,
//! the per-epoch order limit with its market-maker exemption, cancellation and fee collection.

mod common;

use common::*;
use solgrid_order_book::{
    Asset, BookError, NewOrder, OrderKind, OrderState, Params, RemovalReason, Side, EPOCH_SECS,
};

const Q: u64 = 1_000_000;

fn with_id(order: NewOrder, client_order_id: u64) -> NewOrder {
    NewOrder {
        client_order_id,
        ..order
    }
}

#[test]
fn claim_seat_gives_one_seat_per_trader_while_slots_last() {
    let mut b = MarketBuf::new(&params(), 2, 4);
    let mut m = b.market();
    assert_eq!(m.claim_seat(&key(1)), Ok(0));
    assert_eq!(m.claim_seat(&key(1)), Err(BookError::SeatExists));
    assert_eq!(m.claim_seat(&key(2)), Ok(1));
    assert_eq!(m.claim_seat(&key(3)), Err(BookError::SeatsFull));
    assert_eq!(m.claim_seat(&key(2)), Err(BookError::SeatExists));
    assert_eq!((m.seat_of(&key(2)), m.seat_of(&key(3))), (Some(1), None));
    assert_eq!(m.header.seat_count, 2);
    assert_eq!(m.seats[1].trader, key(2));
    assert_eq!(m.seats[1].base_free + m.seats[1].quote_free, 0);
    b.grow(1, 0).unwrap();
    let mut m = b.market();
    assert_eq!(m.claim_seat(&key(3)), Ok(2));
    assert_eq!(m.free_seat_slots(), 0);
}

#[test]
fn deposits_and_withdrawals_move_free_balances_only() {
    let mut b = MarketBuf::with_traders(&params(), 1, 0, 1_000);
    let mut m = b.market();
    assert_eq!(m.deposit(0, &key(1), Asset::Base, 5 * BPL), Ok(5 * BPL));
    assert_eq!(m.deposit(0, &key(1), Asset::Quote, 500), Ok(1_500));
    assert_eq!(
        m.withdraw(0, &key(1), Asset::Quote, 1_501),
        Err(BookError::InsufficientFunds)
    );
    assert_eq!(m.withdraw(0, &key(1), Asset::Quote, 400), Ok(1_100));
    // Bid 99 x 10 locks 990 + 1.
    b.rest(1, &bid(99, 10), NOW);
    b.rest(1, &ask(120, 2), NOW);
    let mut m = b.market();
    assert_eq!(m.seats[0].quote_free, 109);
    // What orders lock is not withdrawable.
    assert_eq!(
        m.withdraw(0, &key(1), Asset::Quote, 110),
        Err(BookError::InsufficientFunds)
    );
    assert_eq!(
        m.withdraw(0, &key(1), Asset::Base, 3 * BPL + 1),
        Err(BookError::InsufficientFunds)
    );
    assert_eq!(m.withdraw(0, &key(1), Asset::Quote, 109), Ok(0));
    assert_eq!(m.withdraw(0, &key(1), Asset::Base, 3 * BPL), Ok(0));
    assert_eq!(
        (m.seats[0].quote_locked, m.seats[0].base_locked),
        (991, 2 * BPL)
    );
}

#[test]
fn placing_needs_the_funds_its_order_locks_or_spends() {
    let mut b = MarketBuf::with_traders(&params(), 3, 0, 1_000);
    // 100 x 10 = 1000 plus its maker fee ceil(1000 * 10 / 1e4) = 1.
    assert_eq!(
        b.place(1, &bid(100, 10), NOW).unwrap_err(),
        BookError::InsufficientFunds
    );
    b.rest(1, &bid(99, 10), NOW);
    assert_eq!(b.seat(1).quote_free, 1_000 - 991);
    // No base to sell.
    assert_eq!(
        b.place(2, &ask(120, 1), NOW).unwrap_err(),
        BookError::InsufficientFunds
    );
    // A taker pays the price and its fee: 1000 + ceil(1000 * 25 / 1e4) = 1003.
    let s3 = b.seat_index(3);
    b.market()
        .deposit(s3, &key(3), Asset::Base, 10 * BPL)
        .unwrap();
    b.rest(3, &ask(100, 10), NOW);
    let ioc = NewOrder {
        kind: OrderKind::ImmediateOrCancel,
        ..bid(100, 10)
    };
    assert_eq!(
        b.place(2, &ioc, NOW).unwrap_err(),
        BookError::InsufficientFunds
    );
    let s2 = b.seat_index(2);
    b.market().deposit(s2, &key(2), Asset::Quote, 3).unwrap();
    let (out, _) = b.placed(2, &ioc, NOW);
    assert_eq!(out.state, OrderState::Filled);
    assert_eq!(b.seat(2).quote_free, 0);
}

#[test]
fn a_seat_index_must_hold_the_signing_trader() {
    let mut b = MarketBuf::with_traders(&params(), 2, 10 * BPL, Q);
    let id = b.rest(1, &ask(100, 1), NOW);
    let mut rec = Recorder::default();
    let mut m = b.market();
    // Another trader's seat, a slot out of use, and an index out of range.
    for (index, trader) in [(0, key(2)), (2, key(1)), (u32::MAX, key(1)), (0, key(9))] {
        assert_eq!(
            m.deposit(index, &trader, Asset::Base, 1),
            Err(BookError::WrongSeat)
        );
        assert_eq!(
            m.withdraw(index, &trader, Asset::Quote, 1),
            Err(BookError::WrongSeat)
        );
        assert_eq!(
            m.place(index, &trader, &bid(90, 1), NOW, &mut rec)
                .unwrap_err(),
            BookError::WrongSeat
        );
        assert_eq!(
            m.cancel(index, &trader, Side::Ask, 100, id),
            Err(BookError::WrongSeat)
        );
        assert_eq!(
            m.set_market_maker(index, &trader, true),
            Err(BookError::WrongSeat)
        );
    }
    assert!(rec.events.is_empty());
}

#[test]
fn cancel_releases_the_order_and_only_its_owner_may() {
    let mut b = MarketBuf::with_traders(&params(), 2, 10 * BPL, Q);
    let bid_id = b.rest(1, &with_id(bid(100, 10), 42), NOW);
    let ask_id = b.rest(1, &ask(105, 3), NOW);
    assert_eq!(
        b.cancel(2, Side::Bid, 100, bid_id).unwrap_err(),
        BookError::NotOrderOwner
    );
    for (side, price, id) in [
        (Side::Bid, 100, bid_id + 100),
        (Side::Bid, 101, bid_id),
        (Side::Ask, 100, bid_id),
        (Side::Bid, 105, ask_id),
    ] {
        assert_eq!(
            b.cancel(1, side, price, id).unwrap_err(),
            BookError::OrderNotFound
        );
    }
    let r = b.cancel(1, Side::Bid, 100, bid_id).unwrap();
    assert_eq!(r.reason, RemovalReason::Cancelled);
    assert_eq!(
        (r.order_id, r.client_order_id, r.trader, r.side),
        (bid_id, 42, key(1), Side::Bid)
    );
    assert_eq!((r.lots, r.remaining_lots), (10, 0));
    assert_eq!((r.base_released, r.quote_released), (0, 1_001));
    assert_eq!(
        b.cancel(1, Side::Bid, 100, bid_id).unwrap_err(),
        BookError::OrderNotFound
    );
    let seat = b.seat(1);
    assert_eq!(
        (seat.quote_free, seat.quote_locked, seat.open_orders),
        (Q, 0, 1)
    );
    let r = b.cancel(1, Side::Ask, 105, ask_id).unwrap();
    assert_eq!((r.base_released, r.quote_released), (3 * BPL, 0));
    let seat = b.seat(1);
    assert_eq!(
        (seat.base_free, seat.base_locked, seat.open_orders),
        (10 * BPL, 0, 0)
    );
    assert!(b.side(Side::Bid).is_empty() && b.side(Side::Ask).is_empty());
}

#[test]
fn client_order_ids_increase_per_trader() {
    let mut b = MarketBuf::with_traders(&params(), 2, 10 * BPL, 1_000);
    let id = b.rest(1, &with_id(ask(100, 1), 5), NOW);
    assert_eq!(b.seat(1).last_client_order_id, 5);
    assert_eq!(b.side(Side::Ask)[0].client_order_id, 5);
    for reused in [5, 3, 1] {
        assert_eq!(
            b.place(1, &with_id(ask(101, 1), reused), NOW).unwrap_err(),
            BookError::ClientOrderIdReused
        );
    }
    // 0 means none and may repeat.
    b.rest(1, &ask(101, 1), NOW);
    b.rest(1, &ask(102, 1), NOW);
    assert_eq!(b.seat(1).last_client_order_id, 5);
    // Ids are per trader.
    let (_, rec) = b.placed(2, &with_id(bid(100, 1), 5), NOW);
    assert_eq!(rec.fills()[0].maker_client_order_id, 5);
    assert_eq!(rec.fills()[0].maker_order_id, id);
    // A failed placement writes nothing, so its id stays usable for the retry.
    assert_eq!(
        b.place(2, &with_id(bid(100, 100), 6), NOW).unwrap_err(),
        BookError::InsufficientFunds
    );
    assert_eq!(b.seat(2).last_client_order_id, 5);
    b.placed(2, &with_id(bid(90, 1), 6), NOW);
    // An order that does not rest uses its id as well: a retried IOC is refused.
    let ioc = NewOrder {
        kind: OrderKind::ImmediateOrCancel,
        ..with_id(bid(101, 1), 7)
    };
    b.placed(2, &ioc, NOW);
    assert_eq!(
        b.place(2, &ioc, NOW).unwrap_err(),
        BookError::ClientOrderIdReused
    );
    assert_eq!(b.seat(2).last_client_order_id, 7);
    b.placed(2, &with_id(bid(80, 1), u64::MAX), NOW);
    assert_eq!(
        b.place(2, &with_id(bid(80, 1), u64::MAX), NOW).unwrap_err(),
        BookError::ClientOrderIdReused
    );
}

#[test]
fn the_epoch_limit_counts_resting_orders_and_resets_each_epoch() {
    let p = Params {
        max_orders_per_epoch: 3,
        ..params()
    };
    let mut b = MarketBuf::with_traders(&p, 3, 100 * BPL, Q);
    let epoch_start = NOW - NOW.rem_euclid(EPOCH_SECS);
    let mut ids = Vec::new();
    for price in 90..93 {
        ids.push(b.rest(1, &bid(price, 1), NOW));
    }
    assert_eq!(b.seat(1).orders_in_epoch, 3);
    assert_eq!(b.seat(1).epoch, (NOW / EPOCH_SECS) as u64);
    assert_eq!(
        b.place(1, &bid(80, 1), NOW).unwrap_err(),
        BookError::OrderLimitReached
    );
    // Cancelling does not give the slot back: the limit counts orders placed in the epoch.
    b.cancel(1, Side::Bid, 90, ids[0]).unwrap();
    assert_eq!(
        b.place(1, &bid(80, 1), epoch_start + EPOCH_SECS - 1)
            .unwrap_err(),
        BookError::OrderLimitReached
    );
    // Orders that do not rest are not counted: an IOC, and a limit order filled at once.
    b.rest(2, &ask(100, 2), NOW);
    let ioc = NewOrder {
        kind: OrderKind::ImmediateOrCancel,
        ..bid(100, 1)
    };
    assert_eq!(b.placed(1, &ioc, NOW).0.filled_lots, 1);
    assert_eq!(b.placed(1, &bid(100, 1), NOW).0.state, OrderState::Filled);
    assert_eq!(b.seat(1).orders_in_epoch, 3);
    // The next epoch starts afresh.
    let next = epoch_start + EPOCH_SECS;
    b.rest(1, &bid(80, 1), next);
    let seat = b.seat(1);
    assert_eq!(
        (seat.epoch, seat.orders_in_epoch),
        ((next / EPOCH_SECS) as u64, 1)
    );
    b.rest(1, &bid(81, 1), next + EPOCH_SECS - 1);
    b.rest(1, &bid(82, 1), next);
    assert_eq!(
        b.place(1, &bid(83, 1), next).unwrap_err(),
        BookError::OrderLimitReached
    );
}

#[test]
fn market_makers_are_exempt_from_the_epoch_limit() {
    let p = Params {
        max_orders_per_epoch: 2,
        ..params()
    };
    let mut b = MarketBuf::with_traders(&p, 2, 100 * BPL, Q);
    let s = b.seat_index(2);
    b.market().set_market_maker(s, &key(2), true).unwrap();
    assert_eq!(b.seat(2).market_maker, 1);
    for price in 100..110 {
        b.rest(2, &ask(price, 1), NOW);
    }
    assert_eq!(b.seat(2).orders_in_epoch, 0);
    // The other trader is still limited.
    b.rest(1, &bid(50, 1), NOW);
    b.rest(1, &bid(51, 1), NOW);
    assert_eq!(
        b.place(1, &bid(52, 1), NOW).unwrap_err(),
        BookError::OrderLimitReached
    );
    // Unregistered, the limit applies again.
    b.market().set_market_maker(s, &key(2), false).unwrap();
    b.rest(2, &ask(120, 1), NOW);
    b.rest(2, &ask(121, 1), NOW);
    assert_eq!(
        b.place(2, &ask(122, 1), NOW).unwrap_err(),
        BookError::OrderLimitReached
    );
}

#[test]
fn the_fee_recipient_collects_what_accrued() {
    let mut b = MarketBuf::with_traders(&params(), 2, 100 * BPL, Q);
    assert_eq!(b.market().collect_fees(), Ok(0));
    b.rest(1, &ask(100, 10), NOW);
    b.placed(2, &bid(100, 10), NOW);
    // Taker ceil(1000 * 25 / 1e4) = 3, maker ceil(1000 * 10 / 1e4) = 1.
    assert_eq!(b.header().fees_accrued, 4);
    let mut m = b.market();
    assert_eq!(m.collect_fees(), Ok(4));
    assert_eq!((m.header.fees_accrued, m.header.fees_collected), (0, 4));
    assert_eq!(m.collect_fees(), Ok(0));
    assert_eq!(m.header.fees_collected, 4);
}
