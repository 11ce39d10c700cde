//! Ticks and lots, fee rounding, 64-bit overflow and the minimum order.

mod common;

use common::*;
use solgrid_order_book::{Asset, BookError, OrderState, Params, Side, MAX_PRICE_TICKS};

const Q: u64 = 1_000_000;

/// Base and quote held for everyone: every seat's free and locked balances, and the accrued fees.
fn held(b: &mut MarketBuf) -> (u128, u128) {
    let m = b.market();
    let seats = &m.seats[..m.header.seat_count as usize];
    let base = seats
        .iter()
        .map(|s| s.base_free as u128 + s.base_locked as u128)
        .sum();
    let quote: u128 = seats
        .iter()
        .map(|s| s.quote_free as u128 + s.quote_locked as u128)
        .sum();
    (base, quote + m.header.fees_accrued as u128)
}

#[test]
fn amounts_follow_ticks_and_lots() {
    // 5 quote atoms per kWh per tick, lots of 1 kWh (10^9 base atoms).
    let p = Params {
        tick_size: 5,
        lot_size_wh: 1_000,
        ..params()
    };
    assert_eq!(
        (p.quote_per_lot_tick(), p.base_atoms_per_lot()),
        (5, 1_000_000_000)
    );
    let mut b = MarketBuf::with_traders(&p, 2, 10 * 1_000_000_000, Q);
    b.rest(1, &ask(7, 3), NOW);
    assert_eq!(b.seat(1).base_locked, 3_000_000_000);
    let (out, rec) = b.placed(2, &bid(7, 3), NOW);
    let f = rec.fills()[0];
    // 3 kWh at 7 ticks of 5 atoms per kWh.
    assert_eq!((f.base_amount, f.quote_amount), (3_000_000_000, 105));
    assert_eq!((out.base_traded, out.quote_traded), (3_000_000_000, 105));

    // 250 quote atoms per kWh per tick, lots of 4 Wh: one lot at one tick is 1 atom.
    let p = Params {
        tick_size: 250,
        lot_size_wh: 4,
        ..params()
    };
    let mut b = MarketBuf::with_traders(&p, 2, 10 * 4_000_000, Q);
    b.rest(1, &bid(8, 10), NOW);
    let (_, rec) = b.placed(2, &ask(8, 10), NOW);
    let f = rec.fills()[0];
    // 40 Wh at 2000 atoms per kWh.
    assert_eq!((f.base_amount, f.quote_amount), (40_000_000, 80));
    let h = b.header();
    assert_eq!((h.base_atoms_per_lot, h.quote_per_lot_tick), (4_000_000, 1));
}

#[test]
fn rounding_never_creates_tokens() {
    let mut b = MarketBuf::with_traders(&params(), 3, 10 * BPL, 10);
    let start = held(&mut b);
    // One lot at one tick is one quote atom: every fee rounds up to a whole atom.
    b.rest(1, &ask(1, 2), NOW);
    let (out, rec) = b.placed(2, &bid(1, 1), NOW);
    let f = rec.fills()[0];
    assert_eq!((f.quote_amount, f.taker_fee, f.maker_fee), (1, 1, 1));
    assert_eq!(out.taker_fee, 1);
    assert_eq!(b.seat(2).quote_free, 10 - 2);
    assert_eq!(b.seat(1).quote_free, 10); // got 1, paid 1
    assert_eq!(held(&mut b), start);
    // The rest of that ask fills against a bid that rests its remainder, which a seller then takes.
    let (out, rec) = b.placed(3, &bid(1, 3), NOW);
    let f = rec.fills()[0];
    assert_eq!((f.quote_amount, f.taker_fee, f.maker_fee), (1, 1, 0));
    assert_eq!(out.rested_lots, 2);
    assert_eq!(b.seat(3).quote_locked, 2 + 1);
    assert_eq!(held(&mut b), start);
    let (_, rec) = b.placed(1, &ask(1, 3), NOW);
    let f = rec.fills()[0];
    assert_eq!((f.quote_amount, f.taker_fee, f.maker_fee), (2, 1, 1));
    assert_eq!(held(&mut b), start);
    assert_eq!(b.header().fees_accrued, 2 + 1 + 2);
    assert_eq!(b.seat(3).quote_locked, 0);
    let quote: Vec<u64> = (1..=3).map(|n| b.seat(n).quote_free).collect();
    assert_eq!(quote, [12, 8, 5]);
    assert_eq!(b.seat(3).base_free, 13 * BPL);
}

#[test]
fn maker_fees_over_many_partial_fills_are_one_rounding_of_the_total() {
    let p = Params {
        maker_fee_bps: 7,
        ..params()
    };
    for maker_side in [Side::Ask, Side::Bid] {
        let mut b = MarketBuf::with_traders(&p, 2, 2_000 * BPL, 100_000);
        let start = held(&mut b);
        let id = b.rest(1, &limit(maker_side, 3, 1_000), NOW);
        let mut paid = 0;
        for i in 1..=1_000u64 {
            let (_, rec) = b.placed(2, &limit(maker_side.opposite(), 3, 1), NOW);
            let f = rec.fills()[0];
            assert_eq!(f.maker_order_id, id);
            paid += f.maker_fee;
            // After every fill the maker paid exactly one rounding of what it traded so far.
            assert_eq!(paid, ceil_fee(3 * i, 7), "after {i} fills");
        }
        assert_eq!(paid, 3); // ceil(3000 * 7 / 10^4), not 1000 roundings of 0.0021
        let seat = b.seat(1);
        assert_eq!(
            (seat.base_locked, seat.quote_locked, seat.open_orders),
            (0, 0, 0)
        );
        match maker_side {
            Side::Bid => assert_eq!(seat.quote_free, 100_000 - 3_000 - 3),
            Side::Ask => assert_eq!(seat.quote_free, 100_000 + 3_000 - 3),
        }
        assert_eq!(held(&mut b), start);
    }
}

#[test]
fn the_taker_fee_is_one_rounding_of_the_order_cumulative_trade() {
    let mut b = MarketBuf::with_traders(&params(), 2, 100 * BPL, Q);
    for _ in 0..50 {
        b.rest(1, &ask(3, 1), NOW);
    }
    let (out, rec) = b.placed(2, &bid(3, 50), NOW);
    let fills = rec.fills();
    assert_eq!(fills.len(), 50);
    let mut cumulative = 0;
    let mut paid = 0;
    for f in &fills {
        cumulative += f.quote_amount;
        paid += f.taker_fee;
        assert_eq!(paid, ceil_fee(cumulative, 25));
    }
    assert_eq!(out.taker_fee, 1); // ceil(150 * 25 / 10^4), not 50 roundings
    assert_eq!(paid, out.taker_fee);
    assert_eq!(b.seat(2).quote_free, Q - 150 - 1);
}

#[test]
fn a_resting_order_keeps_the_maker_fee_rate_it_was_placed_at() {
    let mut b = MarketBuf::with_traders(&params(), 2, 100 * BPL, Q);
    b.rest(1, &bid(100, 10), NOW);
    assert_eq!(b.side(Side::Bid)[0].maker_fee_bps, 10);
    b.market()
        .header
        .set_params(&Params {
            maker_fee_bps: 100,
            ..params()
        })
        .unwrap();
    let (_, rec) = b.placed(2, &ask(100, 10), NOW);
    assert_eq!(rec.fills()[0].maker_fee, 1); // 10 bps of 1000, not 100 bps
    b.rest(1, &bid(100, 10), NOW);
    assert_eq!(b.side(Side::Bid)[0].maker_fee_bps, 100);
    assert_eq!(b.seat(1).quote_locked, 1_000 + 10);
}

#[test]
fn amounts_beyond_64_bits_are_refused_not_wrapped() {
    let mut b = MarketBuf::with_traders(&params(), 3, 0, 0);
    // Base atoms of the order overflow.
    assert_eq!(
        b.place(1, &ask(1, u64::MAX / 2), NOW).unwrap_err(),
        BookError::Overflow
    );
    // Prices beyond the range.
    for price in [0, MAX_PRICE_TICKS + 1, u64::MAX] {
        assert_eq!(
            b.place(1, &bid(price, 1), NOW).unwrap_err(),
            BookError::InvalidPrice
        );
    }
    // The whole order at its limit price: exactly 2^64 quote atoms.
    assert_eq!(
        b.place(1, &bid(MAX_PRICE_TICKS, 1 << 24), NOW).unwrap_err(),
        BookError::Overflow
    );
    // 2^64 - 2^40 fits, but not with its fee on top.
    assert_eq!(
        b.place(1, &bid(MAX_PRICE_TICKS, (1 << 24) - 1), NOW)
            .unwrap_err(),
        BookError::Overflow
    );
    // Without fees it fits: it is refused for funds only.
    let free = Params {
        taker_fee_bps: 0,
        maker_fee_bps: 0,
        ..params()
    };
    let mut nf = MarketBuf::with_traders(&free, 1, 0, 0);
    let big = bid(MAX_PRICE_TICKS, (1 << 24) - 1);
    assert_eq!(
        nf.place(1, &big, NOW).unwrap_err(),
        BookError::InsufficientFunds
    );
    let seat = nf.seat_index(1);
    nf.market()
        .deposit(seat, &key(1), Asset::Quote, u64::MAX)
        .unwrap();
    let (out, _) = nf.placed(1, &big, NOW);
    assert_eq!(out.rested_lots, (1 << 24) - 1);
    assert_eq!(nf.seat(1).quote_locked, u64::MAX - (1 << 40) + 1);

    // The price of one tick times the quote of a lot at one tick overflows.
    let coarse = Params {
        tick_size: 1_000_000_000_000,
        lot_size_wh: 1_000,
        ..params()
    };
    let mut c = MarketBuf::with_traders(&coarse, 1, 0, 0);
    assert_eq!(
        c.place(1, &bid(MAX_PRICE_TICKS, 1), NOW).unwrap_err(),
        BookError::Overflow
    );

    // A deposit that would overflow the balance.
    let s = b.seat_index(2);
    let mut m = b.market();
    m.deposit(s, &key(2), Asset::Base, u64::MAX).unwrap();
    assert_eq!(
        m.deposit(s, &key(2), Asset::Base, 1),
        Err(BookError::Overflow)
    );
}

#[test]
fn an_ask_sweeping_bids_worth_more_than_2_pow_64_fails_with_overflow() {
    let mut b = MarketBuf::with_traders(&params(), 3, 0, 0);
    for n in 1..=2 {
        let seat = b.seat_index(n);
        b.market()
            .deposit(seat, &key(n), Asset::Quote, u64::MAX)
            .unwrap();
        // 2^23 lots at 2^40 ticks: 2^63 quote atoms each.
        b.rest(n, &bid(MAX_PRICE_TICKS, 1 << 23), NOW);
    }
    let seat = b.seat_index(3);
    b.market()
        .deposit(seat, &key(3), Asset::Base, (1 << 24) * BPL)
        .unwrap();
    let before = b.snapshot();
    assert_eq!(
        b.place(3, &ask(1, 1 << 24), NOW).unwrap_err(),
        BookError::Overflow
    );
    assert_eq!(b.snapshot(), before);
    // Half of it is fine.
    let (out, _) = b.placed(3, &ask(1, 1 << 23), NOW);
    assert_eq!(out.quote_traded, 1 << 63);
    assert_eq!(out.state, OrderState::Filled);
}

#[test]
fn minimum_order_and_zero_quantities() {
    let p = Params {
        min_order_lots: 5,
        ..params()
    };
    let mut b = MarketBuf::with_traders(&p, 1, 100 * BPL, Q);
    assert_eq!(
        b.place(1, &ask(100, 0), NOW).unwrap_err(),
        BookError::ZeroQuantity
    );
    assert_eq!(
        b.place(1, &ask(100, 4), NOW).unwrap_err(),
        BookError::BelowMinimumOrder
    );
    b.rest(1, &ask(100, 5), NOW);
    let mut m = b.market();
    for asset in [Asset::Base, Asset::Quote] {
        assert_eq!(
            m.deposit(0, &key(1), asset, 0),
            Err(BookError::ZeroQuantity)
        );
        assert_eq!(
            m.withdraw(0, &key(1), asset, 0),
            Err(BookError::ZeroQuantity)
        );
    }
}
