//! The clearing-price rule (`auction::clear`): unit tests of each rule and refusal, and a
//! comparison with a brute-force reference that evaluates every candidate price directly from the
//! orders on many random books.

mod common;

use common::auction::*;
use solgrid_order_book::{
    auction::{clear, Clearing, Level},
    BookError, Side, MAX_PRICE_TICKS,
};

fn lv(price: u64, bid_lots: u64, ask_lots: u64) -> Level {
    Level {
        price,
        bid_lots,
        ask_lots,
    }
}

use Side::{Ask, Bid};

#[test]
fn nothing_executes_without_both_sides_crossing() {
    assert_eq!(clear(&[], 0), Ok(Clearing::default()));
    assert_eq!(clear(&[], 7), Ok(Clearing::default()));
    assert_eq!(clear(&[lv(5, 3, 0)], 0), Ok(Clearing::default()));
    assert_eq!(
        clear(&[lv(5, 0, 3), lv(9, 0, 1)], 4),
        Ok(Clearing::default())
    );
    // Bid below the ask: no price where both are willing.
    assert_eq!(
        clear(&[lv(10, 5, 0), lv(11, 0, 5)], 0),
        Ok(Clearing::default())
    );
    // Levels with no lots (not kept by the epoch, but harmless).
    assert_eq!(
        clear(&[lv(1, 0, 0), lv(2, 0, 0)], 0),
        Ok(Clearing::default())
    );
}

#[test]
fn the_interval_of_equal_prices_gives_the_midpoint_or_the_price_closest_to_the_reference() {
    // Bid 10 @ 100, ask 10 @ 90: every price in 90 ..= 100 (levels and the gap) executes 10 with
    // no surplus.
    let levels = [lv(90, 0, 10), lv(100, 10, 0)];
    let c = clear(&levels, 0).unwrap();
    assert_eq!(
        c,
        Clearing {
            price: 95,
            volume: 10,
            demand: 10,
            supply: 10,
            bid_marginal_price: 100,
            bid_marginal: 10,
            ask_marginal_price: 90,
            ask_marginal: 10,
        }
    );
    assert_eq!(clear(&levels, 80).unwrap().price, 90);
    assert_eq!(clear(&levels, 90).unwrap().price, 90);
    assert_eq!(clear(&levels, 97).unwrap().price, 97);
    assert_eq!(clear(&levels, 100).unwrap().price, 100);
    assert_eq!(clear(&levels, u64::MAX).unwrap().price, 100);
    // An even-length interval rounds the midpoint down.
    assert_eq!(clear(&[lv(90, 0, 1), lv(91, 1, 0)], 0).unwrap().price, 90);
    // One price.
    let c = clear(&[lv(7, 4, 4)], 3).unwrap();
    assert_eq!((c.price, c.volume, c.demand, c.supply), (7, 4, 4, 4));
}

#[test]
fn volume_first_then_surplus() {
    // Demand: 30 up to 10, 20 up to 12, 5 up to 14. Supply: 10 from 10, 25 from 12, 40 from 14.
    let levels = [lv(10, 10, 10), lv(12, 15, 15), lv(14, 5, 15)];
    // V: @10 min(30,10)=10, @11 min(20,10)=10, @12 min(20,25)=20, @13 min(5,25)=5, @14 5.
    let c = clear(&levels, 0).unwrap();
    assert_eq!((c.price, c.volume, c.demand, c.supply), (12, 20, 20, 25));
    // Asks are the long side: all bids at >= 12 fill; asks below 12 fill, asks at 12 share 10.
    assert_eq!((c.bid_marginal_price, c.bid_marginal), (12, 15));
    assert_eq!((c.ask_marginal_price, c.ask_marginal), (12, 10));

    // Equal volume 5 at 20 ..= 30, surplus 5 at 20 ..= 24 (demand 10), 0 at 25 ..= 30 (demand 5).
    let levels = [lv(20, 0, 5), lv(24, 5, 0), lv(30, 5, 0)];
    let c = clear(&levels, 0).unwrap();
    assert_eq!((c.price, c.volume, c.demand, c.supply), (27, 5, 5, 5));
    // The reference only chooses within the least-surplus interval.
    assert_eq!(clear(&levels, 21).unwrap().price, 25);
    assert_eq!(clear(&levels, 40).unwrap().price, 30);
}

#[test]
fn market_pressure_prices_at_the_long_sides_limit() {
    // Bid 10 @ 200, ask 5 @ 100: every price 100 ..= 200 executes 5 with 5 lots of buy surplus. Only
    // at 200 does every bid priced above the price fill (there is none), so the price is 200 (the
    // equity auctions' highest price under buy pressure, where EUPHEMIA's step curves meet),
    // whatever the reference; the bid at exactly 200 is the one rationed.
    let levels = [lv(100, 0, 5), lv(200, 10, 0)];
    for reference in [0, 1, 100, 150, 200, MAX_PRICE_TICKS] {
        let c = clear(&levels, reference).unwrap();
        assert_eq!(
            c,
            Clearing {
                price: 200,
                volume: 5,
                demand: 10,
                supply: 5,
                bid_marginal_price: 200,
                bid_marginal: 5,
                ask_marginal_price: 100,
                ask_marginal: 5,
            }
        );
    }
    // The mirror image: sell surplus everywhere gives the lowest price, the asks' limit.
    let levels = [lv(100, 0, 10), lv(200, 5, 0)];
    for reference in [0, 150, 300] {
        let c = clear(&levels, reference).unwrap();
        assert_eq!((c.price, c.volume, c.demand, c.supply), (100, 5, 5, 10));
        assert_eq!((c.ask_marginal_price, c.ask_marginal), (100, 5));
        assert_eq!((c.bid_marginal_price, c.bid_marginal), (200, 5));
    }
}

#[test]
fn market_pressure_keeps_the_two_prices_where_the_surplus_changes_sides() {
    // Asks 5 @ 5 and 2 @ 11, bids 2 @ 10 and 5 @ 15: volume 5 with surplus 2 at every price
    // 5 ..= 15, bids long up to 10 (demand 7), asks long from 11 (supply 7). Below 10 the bids above
    // the price (7 lots) cannot all fill, above 11 the asks below it cannot: the reference chooses
    // between 10 and 11, the lower one without a reference.
    let orders = [(Ask, 5, 5), (Ask, 11, 2), (Bid, 10, 2), (Bid, 15, 5)];
    let levels = levels_of(&orders);
    for (reference, price) in [
        (0, 10),
        (1, 10),
        (5, 10),
        (10, 10),
        (11, 11),
        (15, 11),
        (99, 11),
    ] {
        let c = clear(&levels, reference).unwrap();
        assert_eq!((c.price, c.volume), (price, 5), "reference {reference}");
        // Only the orders at exactly the price go without: the bids above it and the asks below
        // it fill completely.
        assert_eq!(
            fills_under(&c, &orders),
            [5, 0, 0, 5],
            "reference {reference}"
        );
    }
    // At 10 the bids above the price take the whole volume: the marginal bid price is theirs, 15,
    // and the bids at 10 get nothing. At 11 the same holds for the asks below it.
    let c = clear(&levels, 0).unwrap();
    assert_eq!((c.demand, c.supply), (7, 5));
    assert_eq!((c.bid_marginal_price, c.bid_marginal), (15, 5));
    assert_eq!((c.ask_marginal_price, c.ask_marginal), (5, 5));
    let c = clear(&levels, 11).unwrap();
    assert_eq!((c.demand, c.supply), (5, 7));
    assert_eq!((c.bid_marginal_price, c.bid_marginal), (15, 5));
    assert_eq!((c.ask_marginal_price, c.ask_marginal), (5, 5));
}

#[test]
fn the_long_side_is_rationed_by_price_then_time_priority() {
    // Bids 4 @ 105, 6 @ 100, 3 @ 95; asks 7 @ 90. Volume 7 at 90 ..= 95 (surplus 6, demand 13)
    // and 96 ..= 100 (surplus 3, demand 10); buy pressure: price 100. The bid at 105 fills, the
    // bids at 100 share 3.
    let orders = [(Bid, 105, 4), (Bid, 100, 6), (Bid, 95, 3), (Ask, 90, 7)];
    let c = clear(&levels_of(&orders), 0).unwrap();
    assert_eq!((c.price, c.volume, c.demand, c.supply), (100, 7, 10, 7));
    assert_eq!((c.bid_marginal_price, c.bid_marginal), (100, 3));
    assert_eq!(fills_under(&c, &orders), [4, 3, 0, 7]);

    // At the price, time priority: the earlier bid first, whatever its size.
    let orders = [(Bid, 100, 2), (Ask, 80, 6), (Bid, 100, 5), (Bid, 120, 3)];
    let c = clear(&levels_of(&orders), 90).unwrap();
    assert_eq!((c.price, c.volume, c.demand, c.supply), (100, 6, 10, 6));
    assert_eq!(fills_under(&c, &orders), [2, 6, 1, 3]);
}

#[test]
fn refuses_unsorted_or_out_of_range_levels_and_sides_beyond_64_bits() {
    for levels in [
        vec![lv(0, 1, 1)],
        vec![lv(5, 1, 0), lv(5, 0, 1)],
        vec![lv(6, 1, 0), lv(5, 0, 1)],
        vec![lv(MAX_PRICE_TICKS + 1, 1, 1)],
    ] {
        assert_eq!(
            clear(&levels, 0),
            Err(BookError::InvalidLayout),
            "{levels:?}"
        );
    }
    assert_eq!(
        clear(&[lv(1, u64::MAX, 0), lv(2, 1, 0)], 0),
        Err(BookError::Overflow)
    );
    assert_eq!(
        clear(&[lv(1, 0, u64::MAX), lv(2, 0, 1)], 0),
        Err(BookError::Overflow)
    );
}

#[test]
fn huge_quantities_and_prices() {
    // Side totals of exactly u64::MAX.
    let half = u64::MAX / 2;
    let levels = [
        lv(1, 0, half),
        lv(2, half + 1, 0),
        lv(MAX_PRICE_TICKS - 1, 0, half + 1),
        lv(MAX_PRICE_TICKS, half, 0),
    ];
    let c = clear(&levels, 0).unwrap();
    let orders = [
        (Ask, 1, half),
        (Bid, 2, half + 1),
        (Ask, MAX_PRICE_TICKS - 1, half + 1),
        (Bid, MAX_PRICE_TICKS, half),
    ];
    // D(1..=2) = MAX, S(1..) = half: volume half at 1 ..= 2 (surplus half + 1); at 3 ..= top-1
    // demand half, supply half (surplus 0) up to top - 2: the optimal interval is 3 ..= top - 2.
    assert_eq!(c.volume, half);
    assert_eq!(c.price, 3 + (MAX_PRICE_TICKS - 2 - 3) / 2);
    assert_eq!((c.demand, c.supply), (half, half));
    assert_eq!(fills_under(&c, &orders), [half, 0, 0, half]);
    let c = clear(&[lv(MAX_PRICE_TICKS, u64::MAX, u64::MAX)], 1).unwrap();
    assert_eq!((c.price, c.volume), (MAX_PRICE_TICKS, u64::MAX));
}

/// One random book: orders in time order, and a reference price.
fn random_book(rng: &mut Rng) -> (Vec<(Side, u64, u64)>, u64) {
    let regime = rng.range(0, 11);
    let top = rng.pick(&[1u64, 2, 3, 5, 10, 40, 120, 250]);
    if regime >= 10 {
        return mirrored_book(rng, top);
    }
    let count = match regime {
        0 => 0,
        1 => 1,
        _ => rng.range(1, 24) as usize,
    };
    let huge = regime == 2 || regime == 3;
    let one_price = regime == 4;
    let one_side = regime == 5;
    let fixed_price = rng.range(1, top);
    let fixed_side = rng.pick(&[Bid, Ask]);
    let mut orders = Vec::with_capacity(count);
    for _ in 0..count {
        let side = if one_side {
            fixed_side
        } else {
            rng.pick(&[Bid, Ask])
        };
        let price = if one_price {
            fixed_price
        } else {
            rng.range(1, top)
        };
        let lots = if huge {
            // Each side's total stays within u64::MAX.
            rng.range(1, u64::MAX / count as u64)
        } else {
            rng.pick(&[1u64, 1, 2, 3, 5, 8]) * rng.range(1, 3)
        };
        orders.push((side, price, lots));
    }
    if huge && count > 0 && rng.chance(1, 2) {
        // Fill one side up to exactly u64::MAX.
        let side = rng.pick(&[Bid, Ask]);
        let total: u128 = orders
            .iter()
            .filter(|o| o.0 == side)
            .map(|o| o.2 as u128)
            .sum();
        let missing = (u64::MAX as u128 - total) as u64;
        if missing > 0 {
            orders.push((side, rng.range(1, top), missing));
        }
    }
    let reference = match rng.range(0, 3) {
        0 => 0,
        1 => fixed_price,
        _ => rng.range(1, top + 2),
    };
    (orders, reference)
}

/// A book whose asks mirror its bids around `m + 1/2` (a bid of `q` at `x`, an ask of `q` at
/// `2m + 1 - x`), in random time order: `D(p) = S(2m + 1 - p)`, so the volume peaks at `m` and
/// `m + 1` alike, with no surplus when nobody bids at `m`, else with the surplus on the buy side at
/// `m` and on the sell side at `m + 1` (market pressure keeps both), plus sometimes one stray order.
fn mirrored_book(rng: &mut Rng, top: u64) -> (Vec<(Side, u64, u64)>, u64) {
    let m = rng.range(1, top.max(2));
    let mut orders = Vec::new();
    for _ in 0..rng.range(1, 8) {
        let x = rng.range(m.saturating_sub(4).max(1), (m + 4).min(2 * m));
        let lots = rng.pick(&[1u64, 2, 3, 5, 8]);
        let bid = (Bid, x, lots);
        let ask = (Ask, 2 * m + 1 - x, lots);
        for o in [bid, ask] {
            let at = rng.range(0, orders.len() as u64) as usize;
            orders.insert(at, o);
        }
    }
    if rng.chance(1, 4) {
        orders.push((rng.pick(&[Bid, Ask]), rng.range(1, 2 * m + 4), 1));
    }
    let anywhere = rng.range(1, 2 * m + 4);
    let reference = rng.pick(&[0, m, m + 1, anywhere]);
    (orders, reference)
}

#[test]
fn clear_equals_the_brute_force_reference_on_random_books() {
    const BOOKS: u32 = 12_000;
    let seed = seed(0x5EED_0013);
    let mut rng = Rng(seed);
    let mut executed = 0;
    let mut rationed = 0;
    // Books per outcome of the market-pressure step: the whole optimal interval (no surplus), its
    // highest or lowest price (one side long throughout), two prices (the surplus changes sides).
    let (mut whole, mut highest, mut lowest, mut two) = (0, 0, 0, 0);
    for book in 0..BOOKS {
        let (orders, reference) = random_book(&mut rng);
        let levels = levels_of(&orders);
        let want = brute_force(&orders, reference);
        let got = clear(&levels, reference)
            .unwrap_or_else(|e| panic!("seed {seed} book {book}: {e:?} for {orders:?}"));
        let context = || format!("seed {seed} book {book}: {orders:?} reference {reference}");
        assert_eq!(
            (got.price, got.volume, got.demand, got.supply),
            (want.price, want.volume, want.demand, want.supply),
            "{}",
            context()
        );
        let fills = fills_under(&got, &orders);
        assert_eq!(fills, want.fills, "{}", context());
        for (o, q) in orders.iter().zip(&fills) {
            if *q > 0 {
                match o.0 {
                    Bid => assert!(o.1 >= got.price, "{}", context()),
                    Ask => assert!(o.1 <= got.price, "{}", context()),
                }
            }
            // The rule's property: an order priced beyond the price fills completely.
            let beyond = match o.0 {
                Bid => o.1 > got.price,
                Ask => o.1 < got.price,
            };
            if got.volume > 0 && beyond {
                assert_eq!(*q, o.2, "{}", context());
            }
        }
        if got.volume > 0 {
            let ((lo, hi), (plo, phi)) = (want.optimal, want.pressure);
            if got.demand == got.supply {
                assert_eq!((plo, phi), (lo, hi), "{}", context());
                whole += 1;
            } else if (plo, phi) == (hi, hi) && lo < hi && got.demand > got.supply {
                highest += 1;
            } else if (plo, phi) == (lo, lo) && lo < hi && got.demand < got.supply {
                lowest += 1;
            } else if phi == plo + 1 {
                two += 1;
            }
            executed += 1;
            if got.bid_marginal < got.demand.min(got.volume) || got.ask_marginal < got.volume {
                rationed += 1;
            }
        }
    }
    // The books exercised both outcomes.
    assert!(executed > BOOKS / 3 && executed < BOOKS, "{executed}");
    assert!(rationed > BOOKS / 10, "{rationed}");
    assert!(
        [whole, highest, lowest, two]
            .iter()
            .all(|&n| n > BOOKS / 20),
        "{whole} {highest} {lowest} {two}"
    );
}
