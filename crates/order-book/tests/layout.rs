//! The market account's layout: what `Market::load` accepts, and growing an account in place.

mod common;

use common::*;
use solgrid_order_book::{
    layout::{self, data_len, HEADER_LEN, ORDER_LEN, SEAT_LEN},
    Asset, BookError, Market, Order, Seat, Side,
};

const Q: u64 = 1_000_000;

/// A market with `seats` seat slots (2 in use) and `orders` order slots holding 3 bids and 2 asks.
fn populated(seats: u32, orders: u32) -> MarketBuf {
    let mut b = MarketBuf::new(&params(), seats, orders);
    for n in 1..=2 {
        let mut m = b.market();
        let s = m.claim_seat(&key(n)).unwrap();
        m.deposit(s, &key(n), Asset::Base, 100 * BPL).unwrap();
        m.deposit(s, &key(n), Asset::Quote, Q).unwrap();
    }
    b.rest(1, &bid(97, 1), NOW);
    b.rest(2, &bid(99, 2), NOW);
    b.rest(1, &bid(98, 3), NOW);
    b.rest(2, &ask(101, 4), NOW);
    b.rest(1, &ask(103, 5), NOW);
    b
}

struct Contents {
    seats: Vec<Seat>,
    bids: Vec<Order>,
    asks: Vec<Order>,
}

fn contents(b: &mut MarketBuf) -> Contents {
    let m = b.market();
    Contents {
        seats: m.seats[..m.header.seat_count as usize].to_vec(),
        bids: m.bids().to_vec(),
        asks: m.asks().to_vec(),
    }
}

fn assert_intact(b: &mut MarketBuf, before: &Contents, seats: u32, orders: u32) {
    b.check();
    let after = contents(b);
    assert_eq!(after.seats, before.seats);
    assert_eq!(after.bids, before.bids);
    assert_eq!(after.asks, before.asks);
    let m = b.market();
    assert_eq!(
        (m.header.seat_capacity, m.header.order_capacity),
        (seats, orders)
    );
    assert!(m.seats[m.header.seat_count as usize..]
        .iter()
        .all(|s| *s == Seat::default()));
    assert_eq!(
        m.free_order_slots(),
        orders - before.bids.len() as u32 - before.asks.len() as u32
    );
}

#[test]
fn growing_keeps_every_seat_and_order_and_both_sides_sorted() {
    let mut b = populated(2, 6);
    let before = contents(&mut b);
    let old_region = HEADER_LEN + 2 * SEAT_LEN;
    let old_bids = b.bytes()[old_region..old_region + 3 * ORDER_LEN].to_vec();
    b.grow(2, 4).unwrap();
    assert_eq!(b.bytes().len(), data_len(4, 10));
    // Growing seats moved the whole order region behind the new seat slots.
    let new_region = HEADER_LEN + 4 * SEAT_LEN;
    assert_eq!(
        b.bytes()[new_region..new_region + 3 * ORDER_LEN],
        old_bids[..]
    );
    assert_intact(&mut b, &before, 4, 10);

    // The grown market works: new seats, new orders on both sides, and the old orders trade.
    for n in 3..=4 {
        let mut m = b.market();
        let s = m.claim_seat(&key(n)).unwrap();
        assert_eq!(s, n as u32 - 1);
        m.deposit(s, &key(n), Asset::Base, 100 * BPL).unwrap();
        m.deposit(s, &key(n), Asset::Quote, Q).unwrap();
    }
    b.rest(3, &bid(99, 1), NOW);
    b.rest(4, &ask(102, 1), NOW);
    b.rest(3, &ask(101, 1), NOW);
    let (_, rec) = b.placed(4, &ask(98, 6), NOW);
    let prices: Vec<(u64, u64)> = rec.fills().iter().map(|f| (f.price, f.lots)).collect();
    assert_eq!(prices, [(99, 2), (99, 1), (98, 3)]);
    let (_, rec) = b.placed(3, &bid(103, 8), NOW);
    let fills: Vec<(u64, u64)> = rec.fills().iter().map(|f| (f.price, f.lots)).collect();
    assert_eq!(fills, [(101, 4), (102, 1), (103, 3)]);
    assert_eq!(rec.removals().len(), 1); // its own ask at 101, cancelled by its self-trade mode
}

#[test]
fn growing_only_orders_or_only_seats_and_growing_a_full_book() {
    let mut b = populated(2, 5);
    assert_eq!(b.market().free_order_slots(), 0);
    assert_eq!(
        b.place(1, &bid(90, 1), NOW).unwrap_err(),
        BookError::BookFull
    );
    assert_eq!(b.market().claim_seat(&key(3)), Err(BookError::SeatsFull));
    let before = contents(&mut b);
    b.grow(0, 3).unwrap();
    assert_intact(&mut b, &before, 2, 8);
    b.grow(3, 0).unwrap();
    assert_intact(&mut b, &before, 5, 8);
    b.grow(0, 0).unwrap();
    assert_intact(&mut b, &before, 5, 8);
    b.rest(1, &bid(90, 1), NOW);
    b.rest(2, &ask(110, 1), NOW);
    assert_eq!(b.ids(Side::Bid).len(), 4);
    assert_eq!(b.ids(Side::Ask).len(), 3);
    assert_eq!(b.market().claim_seat(&key(3)), Ok(2));
}

#[test]
fn grow_checks_the_resized_length() {
    let mut b = populated(2, 6);
    let before = b.snapshot();
    // Not resized for the capacities asked.
    assert_eq!(layout::grow(b.bytes(), 0, 1), Err(BookError::InvalidLayout));
    assert_eq!(layout::grow(b.bytes(), 1, 0), Err(BookError::InvalidLayout));
    assert_eq!(
        layout::grow(b.bytes(), u32::MAX, 0),
        Err(BookError::Overflow)
    );
    assert_eq!(b.snapshot(), before);
    // Resized for one more order slot but asked for one more seat.
    let mut words = before.clone();
    words.resize(data_len(2, 7) / 8, 0);
    let bytes = as_bytes(&mut words);
    assert_eq!(layout::grow(bytes, 1, 0), Err(BookError::InvalidLayout));
    assert_eq!(layout::grow(bytes, 0, 1), Ok(()));
}

fn as_bytes(words: &mut [u64]) -> &mut [u8] {
    let len = words.len() * 8;
    // SAFETY: the words own `len` initialised bytes.
    unsafe { std::slice::from_raw_parts_mut(words.as_mut_ptr() as *mut u8, len) }
}

#[test]
fn load_refuses_bad_lengths_counts_and_alignment() {
    let mut b = populated(2, 6);
    let len = data_len(2, 6);
    assert_eq!(b.bytes().len(), len);
    assert!(Market::load(b.bytes()).is_ok());
    for short in [0, 8, HEADER_LEN - 8, len - 8] {
        assert_eq!(
            Market::load(&mut b.bytes()[..short]).err(),
            Some(BookError::InvalidLayout),
            "{short} bytes"
        );
    }
    let mut longer = b.snapshot();
    longer.push(0);
    assert_eq!(
        Market::load(as_bytes(&mut longer)).err(),
        Some(BookError::InvalidLayout)
    );

    // Counts beyond the capacities, and capacities that the length does not hold.
    let good = b.snapshot();
    let corrupt = |edit: &dyn Fn(&mut layout::MarketHeader)| {
        let mut words = good.clone();
        edit(Market::header_mut(as_bytes(&mut words)).unwrap());
        Market::load(as_bytes(&mut words)).err()
    };
    assert_eq!(
        corrupt(&|h| h.seat_count = 3),
        Some(BookError::InvalidLayout)
    );
    assert_eq!(
        corrupt(&|h| h.bid_count = 5),
        Some(BookError::InvalidLayout)
    );
    assert_eq!(
        corrupt(&|h| h.ask_count = u32::MAX),
        Some(BookError::InvalidLayout)
    );
    assert_eq!(
        corrupt(&|h| h.seat_capacity = 3),
        Some(BookError::InvalidLayout)
    );
    assert_eq!(
        corrupt(&|h| h.order_capacity = u32::MAX),
        Some(BookError::InvalidLayout)
    );
    // At the capacities exactly it loads.
    assert!(corrupt(&|h| {
        h.bid_count = 4;
        h.ask_count = 2;
    })
    .is_none());

    // Misaligned views of the same bytes.
    let mut words = good.clone();
    words.push(0);
    let bytes = as_bytes(&mut words);
    for offset in [1, 4] {
        bytes.copy_within(0..len, offset);
        let view = &mut bytes[offset..offset + len];
        assert_eq!(Market::load(view).err(), Some(BookError::InvalidLayout));
        assert_eq!(
            Market::header_mut(view).err(),
            Some(BookError::InvalidLayout)
        );
        bytes.copy_within(offset..offset + len, 0);
    }
    assert!(Market::load(&mut bytes[..len]).is_ok());
}

/// The program's order of work: match first, grow only when the remainder rests and no slot is free,
/// then rest it. A full book trades an order that fills completely without needing a slot.
#[test]
fn an_order_that_fills_needs_no_slot_and_one_that_rests_grows_between_the_phases() {
    let mut b = populated(2, 5);
    assert_eq!(b.market().free_order_slots(), 0);

    // Fills 3 of the 4 lots at 101: completely filled, nothing rests, the full book suffices.
    let order = bid(101, 3);
    let mut rec = Recorder::default();
    let mut m = b.market();
    let matched = m.match_order(0, &key(1), &order, NOW, &mut rec).unwrap();
    assert!(!m.rests(&order, &matched) && matched.remaining == 0);
    let out = m.finish_order(0, &order, &matched, NOW).unwrap();
    assert_eq!((out.filled_lots, out.rested_lots), (3, 0));
    assert_eq!(m.free_order_slots(), 0);
    b.check();

    // A bid below the asks rests whole: it needs a slot. (An order that fills a maker completely frees
    // that maker's slot.)
    let order = bid(100, 2);
    let snapshot = b.snapshot();
    // The reference: the same order placed in a copy of the market grown beforehand.
    let mut grown = MarketBuf::new(&params(), 1, 1);
    grown.restore(&snapshot);
    grown.grow(0, 8).unwrap();
    let (expected, expected_rec) = grown.placed(1, &order, NOW);
    let mut rec = Recorder::default();
    let mut m = b.market();
    let matched = m.match_order(0, &key(1), &order, NOW, &mut rec).unwrap();
    assert!(m.rests(&order, &matched) && m.free_order_slots() == 0);
    assert_eq!(
        m.finish_order(0, &order, &matched, NOW),
        Err(BookError::BookFull)
    );
    // What the program does instead: drop the view, grow the account, view it anew and rest.
    b.restore(&snapshot);
    let mut rec = Recorder::default();
    let matched = b
        .market()
        .match_order(0, &key(1), &order, NOW, &mut rec)
        .unwrap();
    b.grow(0, 8).unwrap();
    let out = b.market().finish_order(0, &order, &matched, NOW).unwrap();
    assert_eq!((out.filled_lots, out.rested_lots), (0, 2));
    b.check();
    assert_eq!(out, expected);
    assert_eq!(rec.events, expected_rec.events);
    assert_eq!(b.snapshot(), grown.snapshot());
}
