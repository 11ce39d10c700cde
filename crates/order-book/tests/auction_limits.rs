//! The epochs' limits at their real values: at most `MAX_AUCTION_LEVELS` price levels and
//! `MAX_AUCTION_ORDERS` orders per epoch. A placement beyond them is refused with its error and
//! changes nothing; a remainder that should roll into a full next epoch is refunded instead
//! (`EpochFull`, `PartiallyFilledEpochFull`); the room the rolled orders need stays exact,
//! and every token stays accounted for.

mod common;

use common::{auction::*, *};
use solgrid_order_book::{
    auction::{self, EpochState, MAX_AUCTION_LEVELS, MAX_AUCTION_ORDERS},
    AuctionOrder, BookError, Settlement, SettlementOutcome,
};

const SECS: u32 = 900;
/// The epoch of `NOW` (slot 0); it ends at `END`, when `E + 1` starts.
const E: u64 = (NOW / SECS as i64) as u64;
const END: i64 = (E as i64 + 1) * SECS as i64;
/// Trader 1 fills epochs (a market maker: no per-seat order limit).
const FILLER: u8 = 1;
const BASE: u64 = 200_000 * BPL;
const QUOTE: u64 = 10_000_000_000;
const TRADERS: u8 = 4;

fn auction() -> Auction {
    let mut a = Auction::new(&params(), SECS, TRADERS, BASE, QUOTE, 0);
    let seat = a.market.seat_index(FILLER);
    a.market
        .market()
        .set_market_maker(seat, &key(FILLER), true)
        .unwrap();
    a
}

fn rolling(mut o: AuctionOrder) -> AuctionOrder {
    o.rollover = true;
    o
}

/// Places `order` for trader `n` straight into the current epoch's slot, as `place_auction_order`
/// does but without `Auction::place`'s snapshot (fast enough for a hundred thousand orders): grows
/// the slot by `grow` bytes (at least what the order needs) when it lacks room.
fn fill(a: &mut Auction, n: u8, order: &AuctionOrder, now: i64, grow: usize) {
    let e = auction::epoch_at(now, SECS);
    let seat = a.market.seat_index(n);
    let slot = auction::slot_of(e) as usize;
    let need = {
        let mut epoch = a.slots[slot].epoch();
        epoch.prepare_for(e, SECS).unwrap();
        epoch
            .bytes_for_order(order.price)
            .saturating_sub(epoch.free_bytes())
    };
    if need > 0 {
        a.slots[slot].grow(need.max(grow)).unwrap();
    }
    let other = a.slots[1 - slot].header();
    let mut epoch = a.slots[slot].epoch();
    a.market
        .market()
        .place_auction(&mut epoch, &other, seat, &key(n), order, now)
        .unwrap();
}

/// Every base and quote atom is in a seat (free or locked), the accrued fees, or in transit in an
/// epoch under settlement: what the traders deposited.
fn assert_conserved(a: &mut Auction) {
    let mut base: i128 = 0;
    let mut quote: i128 = a.market.header().fees_accrued as i128;
    for n in 1..=TRADERS {
        let s = a.market.seat(n);
        base += s.base_free as i128 + s.base_locked as i128;
        quote += s.quote_free as i128 + s.quote_locked as i128;
    }
    for slot in &a.slots {
        let h = slot.header();
        base += h.base_in_transit();
        quote += h.quote_in_transit();
    }
    let traders = TRADERS as i128;
    assert_eq!(
        (base, quote),
        (traders * BASE as i128, traders * QUOTE as i128)
    );
}

fn record(records: &[Settlement], order_id: u64) -> Settlement {
    *records.iter().find(|r| r.order_id == order_id).unwrap()
}

#[test]
fn an_order_at_a_new_price_is_refused_at_the_level_cap_and_one_at_a_known_price_joins() {
    let mut a = auction();
    for price in 1..=MAX_AUCTION_LEVELS as u64 {
        fill(&mut a, FILLER, &aask(price * 10, 1), NOW, 0);
    }
    assert_eq!(a.slots[0].header().level_count, MAX_AUCTION_LEVELS);

    // A new price, between the levels or beyond them, on either side: refused, nothing changed.
    let before = a.snapshot();
    for order in [abid(5, 1), abid(15, 1), aask(100_000, 1)] {
        assert_eq!(
            a.place(2, &order, NOW, 0).err(),
            Some(BookError::TooManyPriceLevels)
        );
        assert!(a.snapshot() == before);
    }
    // At a price that has a level, either side joins.
    a.placed(2, &abid(10, 3), NOW);
    a.placed(3, &aask(20, 1), NOW);
    let h = a.slots[0].header();
    assert_eq!(
        (h.level_count, h.order_count),
        (MAX_AUCTION_LEVELS, MAX_AUCTION_LEVELS + 2)
    );

    // Cancelling the only order of a level removes it: a new price may take its place.
    a.cancel(FILLER, E, 2, 3, NOW).unwrap(); // the ask at 30, order id 3
    assert_eq!(a.slots[0].header().level_count, MAX_AUCTION_LEVELS - 1);
    a.placed(2, &abid(15, 1), NOW);
    assert_eq!(
        a.place(2, &abid(5, 1), NOW, 0).err(),
        Some(BookError::TooManyPriceLevels)
    );
    assert_conserved(&mut a);

    // An epoch at the cap clears and settles: one lot trades (the bid at 15 and the ask at 10
    // balance at every price from 11 to 15: the middle, 13).
    let (c, records) = a.crank(E, 64, END);
    assert_eq!((c.price, c.volume), (13, 1));
    assert_eq!(records.len(), MAX_AUCTION_LEVELS as usize + 2);
    assert_eq!(a.slots[0].header().state(), EpochState::Settled);
    assert_conserved(&mut a);
}

#[test]
fn remainders_that_would_need_a_new_level_in_a_full_next_epoch_are_refunded() {
    let mut a = auction();
    // Epoch E, in index order (time priority).
    let filled = a.placed(2, &aask(100, 4), NOW);
    let new_level = a.placed(3, &rolling(abid(50, 1)), NOW);
    let no_room = a.placed(4, &rolling(abid(60, 1)), NOW);
    let partial = a.placed(3, &rolling(abid(100, 6)), NOW);
    let same_level = a.placed(4, &rolling(abid(50, 2)), NOW);
    let known = a.placed(2, &rolling(aask(5_000, 1)), NOW);
    let refundable = a.placed(2, &abid(40, 1), NOW); // no rollover: refunded as always
                                                     // Epoch E + 1 gets asks at 1001 ..= 5095 first: one level short of the cap.
    for price in 1_001..1_001 + MAX_AUCTION_LEVELS as u64 - 1 {
        fill(&mut a, FILLER, &aask(price, 1), END, 0);
    }
    assert_eq!(a.slots[1].header().level_count, MAX_AUCTION_LEVELS - 1);
    let quote_before: Vec<_> = (1..=TRADERS).map(|n| a.market.seat(n)).collect();

    let c = a.clear(E, END).unwrap();
    assert_eq!((c.price, c.volume), (100, 4));
    // The rolled orders: the bid at 50 (a new level, the last one), the second bid at 50 and the
    // ask at 5000 (levels that exist): three orders and one level, whatever else would have rolled.
    let free = a.slots[1].epoch().free_bytes();
    assert!(free < 3 * 56 + 24, "{free}");
    assert_eq!(a.bytes_needed(E, 0, 64), 3 * 56 + 24 - free);
    let mut sink = Settlements::default();
    let out = a.settle(E, 64, END, &mut sink).unwrap();
    assert!(out.done);
    assert_eq!((out.settled, out.matched, out.rolled), (7, 2, 3));
    assert_eq!(a.slots[1].epoch().free_bytes(), 0); // the growth was exact
    let next = a.slots[1].header();
    assert_eq!(
        (next.level_count, next.rolled_in, next.order_count),
        (MAX_AUCTION_LEVELS, 3, MAX_AUCTION_LEVELS - 1 + 3)
    );

    let r = sink.records.as_slice();
    assert_eq!(
        record(r, filled.order_id).outcome,
        SettlementOutcome::Filled
    );
    assert_eq!(
        record(r, new_level.order_id).outcome,
        SettlementOutcome::Rolled
    );
    assert_eq!(
        record(r, same_level.order_id).outcome,
        SettlementOutcome::Rolled
    );
    assert_eq!(record(r, known.order_id).outcome, SettlementOutcome::Rolled);
    assert_eq!(
        record(r, refundable.order_id).outcome,
        SettlementOutcome::Expired
    );
    // The bid at 60 found the next epoch full: refunded its whole lock (60 + the 10 bps fee).
    let s = record(r, no_room.order_id);
    assert_eq!(
        (s.outcome, s.filled_lots, s.remaining_lots, s.rolled_index),
        (SettlementOutcome::EpochFull, 0, 1, Settlement::NOT_ROLLED)
    );
    assert_eq!(s.quote_released, 60 + 1);
    // The bid at 100 for 6 got the 4 lots the asks had; its 2 lots left were refunded.
    let s = record(r, partial.order_id);
    assert_eq!(
        (s.outcome, s.filled_lots, s.remaining_lots, s.rolled_index),
        (
            SettlementOutcome::PartiallyFilledEpochFull,
            4,
            2,
            Settlement::NOT_ROLLED
        )
    );
    assert_eq!(s.quote_amount + s.fee + s.quote_released, 600 + 1);

    // Nothing of the refunded orders stays locked or counted; the rolled ones lock again.
    let m = a.market.header();
    assert_eq!(m.auction_orders, MAX_AUCTION_LEVELS - 1 + 3);
    let trader4 = a.market.seat(4);
    assert_eq!((trader4.open_orders, trader4.quote_locked), (1, 2 * 50 + 1));
    assert_eq!(trader4.quote_free, quote_before[3].quote_free + 60 + 1);
    let trader3 = a.market.seat(3);
    assert_eq!((trader3.open_orders, trader3.quote_locked), (1, 50 + 1));
    assert_conserved(&mut a);

    // The full next epoch clears and settles like any other.
    let (c, records) = a.crank(E + 1, 64, END + SECS as i64);
    assert_eq!(
        (c.volume, records.len()),
        (0, MAX_AUCTION_LEVELS as usize + 2)
    );
    assert_conserved(&mut a);
}

#[test]
fn an_epoch_holds_at_most_max_orders_tombstones_included_and_refunds_what_would_roll_beyond() {
    let mut a = auction();
    let first = a.placed(2, &rolling(abid(10, 1)), NOW);
    let second = a.placed(3, &rolling(abid(11, 1)), NOW);
    // Epoch E + 1: one order short of the cap, all at one price, one of them cancelled.
    for _ in 0..MAX_AUCTION_ORDERS - 1 {
        fill(&mut a, FILLER, &aask(1_000, 1), END, 64 * 1024);
    }
    let cancelled = a.slots[1].epoch().order(7).copied().unwrap();
    a.cancel(FILLER, E + 1, 7, cancelled.order_id, END).unwrap();
    let h = a.slots[1].header();
    assert_eq!(
        (h.order_count, h.live_orders, h.level_count),
        (MAX_AUCTION_ORDERS - 1, MAX_AUCTION_ORDERS - 2, 1)
    );

    // E settles: the first bid takes the last order slot (and a new level), the second is refunded.
    a.clear(E, END).unwrap();
    let free = a.slots[1].epoch().free_bytes();
    assert_eq!(
        a.bytes_needed(E, 0, 64),
        (56 + 24usize).saturating_sub(free)
    );
    let mut sink = Settlements::default();
    a.settle(E, 64, END, &mut sink).unwrap();
    let r = sink.records.as_slice();
    assert_eq!(record(r, first.order_id).outcome, SettlementOutcome::Rolled);
    let s = record(r, second.order_id);
    assert_eq!(
        (s.outcome, s.rolled_index, s.quote_released),
        (SettlementOutcome::EpochFull, Settlement::NOT_ROLLED, 11 + 1)
    );
    assert_eq!(a.slots[1].header().order_count, MAX_AUCTION_ORDERS);
    assert_eq!(a.market.seat(3).open_orders, 0);
    assert_conserved(&mut a);

    // Full: nothing more joins E + 1, not even at a price it has.
    let before = a.snapshot();
    for order in [aask(1_000, 1), abid(10, 1), abid(7, 1)] {
        assert_eq!(
            a.place(2, &order, END + 1, 0).err(),
            Some(BookError::TooManyAuctionOrders)
        );
    }
    assert!(a.snapshot() == before);
    // The epoch account stays well within the 10 MiB account limit.
    assert!(a.slots[1].len() <= auction::MAX_EPOCH_REGION_USED + 64 * 1024 + 256);
}
