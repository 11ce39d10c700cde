//! Auction orders on a market: placing, cancelling, clearing and settling, each rule and each
//! refusal.

mod common;

use common::{auction::*, *};
use solgrid_order_book::{
    auction::{self, Epoch, EpochState, MAX_SETTLE_CHUNK},
    layout::{FLAG_ROLLED_IN, FLAG_ROLLOVER},
    Asset, AuctionOrder, BookError, Order, Params, RemovalReason, Settlement, SettlementOutcome,
    Side, MAX_PRICE_TICKS,
};

const SECS: u32 = 900;
/// The epoch of `NOW` (slot 0); it ends at `END`.
const E: u64 = (NOW / SECS as i64) as u64;
const END: i64 = (E as i64 + 1) * SECS as i64;
const Q: u64 = 1_000_000;

/// Traders 1..=4 with 100 lots of base and 10^6 quote atoms each (one lot at one tick is 1 quote
/// atom; maker fee 10 bps).
fn fresh() -> Auction {
    Auction::new(&params(), SECS, 4, 100 * BPL, Q, 0)
}

fn rolling(mut o: AuctionOrder) -> AuctionOrder {
    o.rollover = true;
    o
}

fn expiring(mut o: AuctionOrder, at: i64) -> AuctionOrder {
    o.expires_at = at;
    o
}

fn by_order(records: &[Settlement], order_id: u64) -> Settlement {
    *records
        .iter()
        .find(|r| r.order_id == order_id)
        .expect("a record")
}

#[test]
fn an_epoch_clears_at_one_price_and_settles_every_order_at_it() {
    let mut a = fresh();
    let bid = a.placed(1, &abid(100, 10), NOW);
    assert_eq!(bid.locked, 1_000 + 1); // 10 lots at 100 ticks and the maker fee
    let ask1 = a.placed(2, &aask(90, 6), NOW);
    assert_eq!(ask1.locked, 6 * BPL);
    let ask2 = a.placed(3, &rolling(aask(95, 6)), NOW + 5);
    assert_eq!(a.market.seat(1).quote_locked, 1_001);
    assert_eq!(a.market.seat(3).base_locked, 6 * BPL);
    let h = a.market.header();
    assert_eq!((h.auction_orders, h.next_order_id), (3, 4));
    assert_eq!(a.market.seat(1).open_orders, 1);

    // Volume 6 at 90 ..= 94 (surplus 4), 10 at 95 ..= 100 (surplus 2, on the sell side
    // throughout): market pressure gives the lowest of them, 95.
    let (c, records) = a.crank(E, 64, END);
    assert_eq!((c.price, c.volume, c.demand, c.supply), (95, 10, 10, 12));
    assert_eq!(records.len(), 3);

    let r = by_order(&records, bid.order_id);
    assert_eq!(r.outcome, SettlementOutcome::Filled);
    assert_eq!((r.filled_lots, r.quote_amount, r.fee), (10, 950, 1));
    assert_eq!(
        (r.base_amount, r.quote_released, r.remaining_lots),
        (10 * BPL, 50, 0)
    );
    assert_eq!(
        (r.index, r.rolled_index, r.side),
        (0, Settlement::NOT_ROLLED, Side::Bid)
    );
    let r = by_order(&records, ask1.order_id);
    assert_eq!(r.outcome, SettlementOutcome::Filled);
    assert_eq!(
        (r.filled_lots, r.quote_amount, r.fee, r.base_amount),
        (6, 570, 1, 6 * BPL)
    );
    // The ask at the clearing (and marginal) price gets the rest (4 of 6) and its remainder rolls.
    let r = by_order(&records, ask2.order_id);
    assert_eq!(r.outcome, SettlementOutcome::PartiallyFilledRolled);
    assert_eq!((r.filled_lots, r.quote_amount, r.fee), (4, 380, 1));
    assert_eq!(
        (r.remaining_lots, r.rolled_index, r.base_released),
        (2, 0, 0)
    );

    let s1 = a.market.seat(1);
    assert_eq!(
        (s1.quote_free, s1.quote_locked, s1.base_free),
        (Q - 951, 0, 110 * BPL)
    );
    let s2 = a.market.seat(2);
    assert_eq!(
        (s2.base_free, s2.base_locked, s2.quote_free),
        (94 * BPL, 0, Q + 569)
    );
    let s3 = a.market.seat(3);
    assert_eq!(
        (s3.base_free, s3.base_locked, s3.quote_free),
        (94 * BPL, 2 * BPL, Q + 379)
    );
    assert_eq!((s1.open_orders, s2.open_orders, s3.open_orders), (0, 0, 1));
    let h = a.market.header();
    assert_eq!(h.fees_accrued, 3);
    assert_eq!(
        (h.base_volume, h.quote_volume, h.trade_count),
        (10 * BPL, 950, 1)
    );
    assert_eq!((h.auction_orders, h.last_clearing_price), (1, 95));
    assert_eq!((h.last_settled_epoch, h.auctions_settled), (E, 1));

    let e = a.slots[0].header();
    assert_eq!(e.state(), EpochState::Settled);
    assert_eq!((e.cursor, e.matched_orders, e.rolled_orders), (3, 3, 1));
    assert_eq!((e.base_delivered, e.base_received), (10 * BPL, 10 * BPL));
    assert_eq!((e.quote_paid, e.quote_received, e.fees), (950, 950, 3));
    assert_eq!(
        (e.settled_at, e.bid_marginal_left, e.ask_marginal_left),
        (END, 0, 0)
    );
    // The remainder joined E + 1 under the same id, locked again.
    let n = a.slots[1].header();
    assert_eq!(
        (n.epoch, n.state(), n.rolled_in, n.order_count),
        (E + 1, EpochState::Collecting, 1, 1)
    );
    assert_eq!((n.starts_at, n.total_ask_lots), (END, 2));
    let rolled = a.slots[1].orders()[0];
    assert_eq!(
        rolled,
        Order {
            lots: 2,
            initial_lots: 2,
            flags: FLAG_ROLLOVER | FLAG_ROLLED_IN,
            ..a.slots[0].orders()[2]
        }
    );
}

#[test]
fn bids_pay_the_clearing_price_not_their_limit_and_the_fee_never_exceeds_what_they_locked() {
    // 10 % maker fee: a bid of 2 lots at 5 ticks locks 10 + fee(10) = 11.
    let p = Params {
        maker_fee_bps: 1_000,
        ..params()
    };
    let mut a = Auction::new(&p, SECS, 2, 100 * BPL, Q, 0);
    let bid = a.placed(1, &rolling(abid(5, 2)), NOW);
    assert_eq!(bid.locked, 11);
    a.placed(2, &aask(5, 1), NOW);
    let (c, records) = a.crank(E, 1, END);
    assert_eq!((c.price, c.volume), (5, 1));
    // fee(cost 5) = 1, but the lock reserved fee(10) - fee(5) = 0 for the lot that traded: the
    // bid pays 0 and the rolled lot locks 5 + fee(5) = 6 again, exactly what is left.
    let r = by_order(&records, bid.order_id);
    assert_eq!(
        (r.filled_lots, r.quote_amount, r.fee, r.quote_released),
        (1, 5, 0, 0)
    );
    assert_eq!(r.outcome, SettlementOutcome::PartiallyFilledRolled);
    let s = a.market.seat(1);
    assert_eq!((s.quote_free, s.quote_locked), (Q - 11, 6));
    // The ask pays the full fee on what it received.
    let r = records.iter().find(|r| r.side == Side::Ask).unwrap();
    assert_eq!((r.quote_amount, r.fee), (5, 1));
    assert_eq!(a.market.seat(2).quote_free, Q + 4);
}

#[test]
fn the_marginal_orders_share_by_time_priority_and_the_rest_expire_or_roll() {
    let mut a = fresh();
    let first = a.placed(1, &abid(10, 3), NOW);
    let second = a.placed(2, &rolling(abid(10, 3)), NOW + 1);
    let third = a.placed(3, &abid(10, 3), NOW + 2);
    let low = a.placed(3, &rolling(abid(9, 2)), NOW + 3);
    let ask = a.placed(4, &aask(10, 4), NOW + 4);
    let (c, records) = a.crank(E, 2, END);
    assert_eq!((c.price, c.volume, c.bid_marginal), (10, 4, 4));
    let outcome = |id| {
        let r = by_order(&records, id);
        (r.filled_lots, r.remaining_lots, r.outcome)
    };
    use SettlementOutcome::*;
    assert_eq!(outcome(first.order_id), (3, 0, Filled));
    assert_eq!(outcome(second.order_id), (1, 2, PartiallyFilledRolled));
    assert_eq!(outcome(third.order_id), (0, 3, Expired));
    assert_eq!(outcome(low.order_id), (0, 2, Rolled));
    assert_eq!(outcome(ask.order_id), (4, 0, Filled));
    // The unmatched bid got everything back.
    let r = by_order(&records, third.order_id);
    assert_eq!((r.quote_released, r.fee), (30 + 1, 0));
    // Rolled in settlement order.
    let next: Vec<(u64, u64)> = a.slots[1]
        .orders()
        .iter()
        .map(|o| (o.order_id, o.lots))
        .collect();
    assert_eq!(next, [(second.order_id, 2), (low.order_id, 2)]);
    assert_eq!(a.market.header().auction_orders, 2);
}

#[test]
fn a_partially_filled_order_without_rollover_is_refunded() {
    let mut a = fresh();
    let bid = a.placed(1, &abid(10, 5), NOW);
    a.placed(2, &aask(10, 2), NOW);
    let (_, records) = a.crank(E, 64, END);
    let r = by_order(&records, bid.order_id);
    assert_eq!(r.outcome, SettlementOutcome::PartiallyFilledExpired);
    assert_eq!((r.filled_lots, r.remaining_lots), (2, 3));
    // Locked 50 + fee(50) = 51; paid 20 and no fee: fee(20) = 1, but the lock reserved
    // fee(50) - fee(30) = 0 for the 2 lots that traded.
    assert_eq!((r.quote_amount, r.fee, r.quote_released), (20, 0, 31));
    assert_eq!(a.market.seat(1).quote_locked, 0);
    assert_eq!(a.slots[1].header().state(), EpochState::Empty);
}

#[test]
fn an_order_rolls_only_while_its_expiry_covers_the_next_epoch() {
    let mut a = fresh();
    let next_end = END + SECS as i64;
    let short = a.placed(1, &rolling(expiring(abid(10, 1), next_end - 1)), NOW);
    let exact = a.placed(1, &rolling(expiring(abid(10, 1), next_end)), NOW);
    let never = a.placed(2, &rolling(aask(20, 1)), NOW);
    let (c, records) = a.crank(E, 64, END);
    assert_eq!(c.volume, 0);
    assert_eq!(
        by_order(&records, short.order_id).outcome,
        SettlementOutcome::Expired
    );
    assert_eq!(
        by_order(&records, exact.order_id).outcome,
        SettlementOutcome::Rolled
    );
    assert_eq!(
        by_order(&records, never.order_id).outcome,
        SettlementOutcome::Rolled
    );
    // Nothing traded: the market keeps no clearing price.
    assert_eq!(a.market.header().last_clearing_price, 0);
    assert_eq!(a.slots[0].header().clearing_price, 0);
    // The rolled orders are in E + 1 and keep rolling; after E + 1, `exact` expires.
    let (_, records) = a.crank(E + 1, 64, next_end);
    assert_eq!(
        by_order(&records, exact.order_id).outcome,
        SettlementOutcome::Expired
    );
    assert_eq!(
        by_order(&records, never.order_id).outcome,
        SettlementOutcome::Rolled
    );
    assert_eq!(by_order(&records, never.order_id).rolled_index, 0);
    // E + 2 reused slot 0.
    let h = a.slots[0].header();
    assert_eq!((h.epoch, h.order_count, h.rolled_in), (E + 2, 1, 1));
    assert_eq!(a.market.header().auctions_settled, 2);
    assert_eq!(a.market.seat(1).quote_locked, 0);
    assert_eq!(a.market.seat(2).base_locked, BPL);
}

#[test]
fn the_previous_clearing_price_breaks_ties() {
    let mut a = fresh();
    a.placed(1, &abid(100, 1), NOW);
    a.placed(2, &aask(90, 1), NOW);
    assert_eq!(a.crank(E, 64, END).0.price, 95);
    a.placed(1, &abid(93, 1), END);
    a.placed(2, &aask(80, 1), END);
    let (c, _) = a.crank(E + 1, 64, END + SECS as i64);
    assert_eq!((c.price, a.slots[1].header().reference_price), (93, 95));
    assert_eq!(a.market.header().last_clearing_price, 93);
}

#[test]
fn placing_checks_the_order_the_epoch_and_the_funds() {
    let mut a = fresh();
    use BookError::*;
    let place = |a: &mut Auction, n: u8, o: AuctionOrder| a.place(n, &o, NOW, 0).err();
    assert_eq!(place(&mut a, 1, abid(10, 0)), Some(ZeroQuantity));
    assert_eq!(place(&mut a, 1, abid(0, 1)), Some(InvalidPrice));
    assert_eq!(
        place(&mut a, 1, abid(MAX_PRICE_TICKS + 1, 1)),
        Some(InvalidPrice)
    );
    assert_eq!(
        place(&mut a, 1, expiring(abid(10, 1), END - 1)),
        Some(ExpiresBeforeAuction)
    );
    assert_eq!(
        place(&mut a, 1, expiring(abid(10, 1), NOW - 1)),
        Some(ExpiresBeforeAuction)
    );
    assert_eq!(place(&mut a, 1, expiring(abid(10, 1), END)), None);
    assert_eq!(
        place(&mut a, 1, abid(MAX_PRICE_TICKS, 1 << 30)),
        Some(Overflow)
    );
    assert_eq!(place(&mut a, 1, aask(1, u64::MAX / 1_000)), Some(Overflow));
    assert_eq!(place(&mut a, 1, abid(10, Q)), Some(InsufficientFunds));
    assert_eq!(place(&mut a, 1, aask(10, 101)), Some(InsufficientFunds));
    assert_eq!(place(&mut a, 9, abid(10, 1)), Some(WrongSeat));
    let mut cid = abid(10, 1);
    cid.client_order_id = 5;
    assert_eq!(place(&mut a, 1, cid), None);
    assert_eq!(place(&mut a, 1, cid), Some(ClientOrderIdReused));
    cid.client_order_id = 6;
    assert_eq!(place(&mut a, 1, cid), None);
    // The minimum order.
    let mut a = Auction::new(
        &Params {
            min_order_lots: 3,
            max_orders_per_epoch: 2,
            ..params()
        },
        SECS,
        2,
        100 * BPL,
        Q,
        0,
    );
    assert_eq!(place(&mut a, 1, abid(10, 2)), Some(BelowMinimumOrder));
    // The per-seat order limit counts auction orders; market makers are exempt.
    assert_eq!(place(&mut a, 1, abid(10, 3)), None);
    assert_eq!(place(&mut a, 1, abid(10, 3)), None);
    assert_eq!(place(&mut a, 1, abid(10, 3)), Some(OrderLimitReached));
    a.market
        .market()
        .set_market_maker(0, &key(1), true)
        .unwrap();
    assert_eq!(place(&mut a, 1, abid(10, 3)), None);
    // Nothing of a refused order stayed.
    assert_eq!(a.market.header().auction_orders, 3);
    assert_eq!(a.slots[0].header().order_count, 3);
}

#[test]
fn placing_needs_the_current_epoch_collecting_in_its_slot_with_room() {
    let mut a = fresh();
    a.placed(1, &abid(10, 1), NOW);
    let mut m = a.market.market();
    let order = abid(10, 1);
    let h0 = a.slots[0].header();
    let h1 = a.slots[1].header();
    let foreign = EpochBuf::new(&[7; 32], 1, 0).header();
    // The epoch account does not hold the current epoch, or has no room left.
    let [s0, s1] = &mut a.slots;
    let mut other = s1.epoch();
    assert_eq!(
        m.place_auction(&mut other, &h0, 0, &key(1), &order, NOW)
            .err(),
        Some(BookError::WrongEpoch)
    );
    let mut epoch = s0.epoch();
    assert_eq!(epoch.free_bytes(), 0);
    assert_eq!(
        m.place_auction(&mut epoch, &h1, 0, &key(1), &abid(11, 1), NOW)
            .err(),
        Some(BookError::BookFull)
    );
    assert_eq!(
        m.place_auction(&mut epoch, &h1, 0, &key(1), &order, END)
            .err(),
        Some(BookError::WrongEpoch)
    );
    // The other account is not the market's other slot.
    for wrong in [&foreign, &h0] {
        assert_eq!(
            m.place_auction(&mut epoch, wrong, 0, &key(1), &order, NOW)
                .err(),
            Some(BookError::WrongEpochAccount)
        );
    }
    // An account of the wrong parity (only a corrupt one could claim it).
    epoch.header.slot = 1;
    assert_eq!(
        m.place_auction(&mut epoch, &h1, 0, &key(1), &order, NOW)
            .err(),
        Some(BookError::WrongEpochAccount)
    );

    // Two epochs later the slot still holds E, not settled: crank it first.
    let mut a = fresh();
    a.placed(1, &abid(10, 1), NOW);
    let later = NOW + 2 * SECS as i64;
    assert_eq!(
        a.place(1, &abid(10, 1), later, 0).err(),
        Some(BookError::EpochNotSettled)
    );
    a.clear(E, later).unwrap();
    assert_eq!(
        a.place(1, &abid(10, 1), later, 0).err(),
        Some(BookError::EpochNotSettled)
    );
    let mut sink = Settlements::default();
    a.settle(E, 64, later, &mut sink).unwrap();
    let placed = a.placed(1, &abid(10, 1), later);
    assert_eq!((placed.epoch, placed.index), (E + 2, 0));
    assert_eq!(a.slots[0].header().epoch, E + 2);

    // While E waits, E + 1 (whose slot E's rolled orders join) may collect, but not E + 3: E's
    // remainders could no longer roll into E + 1.
    let mut a = fresh();
    a.placed(1, &rolling(abid(10, 1)), NOW);
    let e3 = END + 2 * SECS as i64;
    assert_eq!(
        a.place(1, &abid(10, 1), e3, 0).err(),
        Some(BookError::EpochNotSettled)
    );
    a.clear(E, e3).unwrap();
    assert_eq!(
        a.place(1, &abid(10, 1), e3, 0).err(),
        Some(BookError::EpochNotSettled)
    );
    assert_eq!(a.placed(2, &abid(10, 1), END).epoch, E + 1);
    let mut sink = Settlements::default();
    a.settle(E, 64, e3, &mut sink).unwrap();
    assert_eq!(sink.records[0].rolled_index, 1);
    // E + 1 (ended) now waits in slot 1: E + 3 still cannot start there until it is cranked.
    assert_eq!(
        a.place(1, &abid(10, 1), e3, 0).err(),
        Some(BookError::EpochNotSettled)
    );
    a.crank(E + 1, 64, e3);
    assert_eq!(a.placed(1, &abid(10, 1), e3).epoch, E + 3);
}

#[test]
fn continuous_and_periodic_operations_stay_in_their_market_mode() {
    // A continuous market refuses auction operations.
    let mut c = MarketBuf::with_traders(&params(), 1, BPL, Q);
    let mut e0 = EpochBuf::new(&MARKET, 0, 0);
    let mut e1 = EpochBuf::new(&MARKET, 1, 0);
    e0.epoch().prepare_for(E, SECS).unwrap();
    let mut m = c.market();
    let (mut epoch, mut next) = (e0.epoch(), e1.epoch());
    use BookError::WrongMarketMode;
    assert_eq!(
        m.place_auction(&mut epoch, next.header, 0, &key(1), &abid(1, 1), NOW)
            .err(),
        Some(WrongMarketMode)
    );
    assert_eq!(
        m.cancel_auction(&mut epoch, 0, &key(1), 0, 1, NOW, false)
            .err(),
        Some(WrongMarketMode)
    );
    assert_eq!(
        m.clear_auction(&mut epoch, next.header, END).err(),
        Some(WrongMarketMode)
    );
    let mut sink = Settlements::default();
    assert_eq!(
        m.settle_chunk(&mut epoch, &mut next, 0, 1, END, &mut sink)
            .err(),
        Some(WrongMarketMode)
    );
    assert_eq!(m.rollover_bytes_needed(&epoch, &next, 0, 1), 0);
    // A periodic market refuses continuous orders, cancels and pruning.
    let mut a = fresh();
    assert_eq!(
        a.market.place(1, &bid(10, 1), NOW).err(),
        Some(WrongMarketMode)
    );
    let mut m = a.market.market();
    assert_eq!(
        m.cancel(0, &key(1), Side::Bid, 10, 1).err(),
        Some(WrongMarketMode)
    );
    assert_eq!(
        m.prune_expired(NOW, 1, &mut Recorder::default()).err(),
        Some(WrongMarketMode)
    );
}

#[test]
fn cancelling_releases_the_lock_until_the_gate_closes() {
    let mut a = fresh();
    let bid = a.placed(1, &abid(10, 5), NOW);
    let ask = a.placed(2, &aask(12, 3), NOW);
    use BookError::*;
    assert_eq!(
        a.cancel(2, E, 0, bid.order_id, NOW).err(),
        Some(NotOrderOwner)
    );
    assert_eq!(
        a.cancel(1, E, 0, bid.order_id + 7, NOW).err(),
        Some(OrderNotFound)
    );
    assert_eq!(
        a.cancel(1, E, 2, bid.order_id, NOW).err(),
        Some(OrderNotFound)
    );
    assert_eq!(a.cancel(9, E, 0, bid.order_id, NOW).err(), Some(WrongSeat));
    assert_eq!(
        a.cancel(2, E, 1, ask.order_id, END).err(),
        Some(AuctionClosed)
    );
    let removal = a.cancel(1, E, 0, bid.order_id, NOW).unwrap();
    assert_eq!(removal.reason, RemovalReason::Cancelled);
    assert_eq!(
        (removal.lots, removal.quote_released, removal.base_released),
        (5, 51, 0)
    );
    assert_eq!(
        (removal.side, removal.price, removal.trader),
        (Side::Bid, 10, key(1))
    );
    assert_eq!(
        a.cancel(1, E, 0, bid.order_id, NOW).err(),
        Some(OrderNotFound)
    );
    let s = a.market.seat(1);
    assert_eq!((s.quote_free, s.quote_locked, s.open_orders), (Q, 0, 0));
    assert_eq!(a.market.header().auction_orders, 1);
    // A paused market cannot clear: its orders may leave after the gate closure too.
    a.market.market().header.status = 1;
    let removal = a.cancel(2, E, 1, ask.order_id, END + 10).unwrap();
    assert_eq!(removal.base_released, 3 * BPL);
    assert_eq!(a.market.header().auction_orders, 0);
    // So can they when governance paused trading in the market's zone (nothing clears then either).
    let mut a = fresh();
    let bid = a.placed(1, &abid(10, 5), NOW);
    assert_eq!(
        a.cancel(1, E, 0, bid.order_id, END).err(),
        Some(AuctionClosed)
    );
    let removal = a
        .cancel_with(1, E, 0, bid.order_id, END + 10, true)
        .unwrap();
    assert_eq!((removal.lots, removal.quote_released), (5, 51));
    assert_eq!(a.market.header().auction_orders, 0);
    // A cleared epoch keeps its orders, paused or not.
    let mut a = fresh();
    let bid = a.placed(1, &abid(10, 5), NOW);
    a.clear(E, END).unwrap();
    assert_eq!(
        a.cancel_with(1, E, 0, bid.order_id, END, true).err(),
        Some(AuctionClosed)
    );
    a.market.market().header.status = 1;
    assert_eq!(
        a.cancel(1, E, 0, bid.order_id, END).err(),
        Some(AuctionClosed)
    );
    // The settlement skips tombstones.
    let mut a = fresh();
    let gone = a.placed(1, &abid(10, 5), NOW);
    let kept = a.placed(2, &aask(10, 2), NOW);
    a.cancel(1, E, 0, gone.order_id, NOW).unwrap();
    let (c, records) = a.crank(E, 1, END);
    assert_eq!(c.volume, 0);
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].order_id, kept.order_id);
}

#[test]
fn clearing_refuses_early_repeated_and_out_of_order_cranks() {
    let mut a = fresh();
    use BookError::*;
    assert_eq!(a.clear(E, END).err(), Some(WrongEpoch)); // nothing ever collected
    a.placed(1, &abid(10, 1), NOW);
    assert_eq!(a.clear(E, END - 1).err(), Some(EpochNotEnded));
    // E + 1 collects while E is unsettled: E + 1 cannot clear first.
    a.placed(2, &aask(10, 1), END + 1);
    assert_eq!(
        a.clear(E + 1, END + 2 * SECS as i64).err(),
        Some(EpochOutOfOrder)
    );
    a.clear(E, END).unwrap();
    assert_eq!(a.clear(E, END).err(), Some(EpochAlreadyCleared));
    assert_eq!(
        a.clear(E + 1, END + 2 * SECS as i64).err(),
        Some(EpochOutOfOrder)
    );
    let mut sink = Settlements::default();
    a.settle(E, 64, END, &mut sink).unwrap();
    assert_eq!(a.clear(E, END).err(), Some(EpochAlreadyCleared));
    assert_eq!(
        a.clear(E + 1, END + SECS as i64 - 1).err(),
        Some(EpochNotEnded)
    );
    a.clear(E + 1, END + SECS as i64).unwrap();

    // The other account must be the market's other slot.
    let mut a = fresh();
    a.placed(1, &abid(10, 1), NOW);
    let foreign = EpochBuf::new(&[7; 32], 1, 0).header();
    let same_slot = a.slots[0].header();
    let mut m = a.market.market();
    let mut epoch = a.slots[0].epoch();
    assert_eq!(
        m.clear_auction(&mut epoch, &foreign, END).err(),
        Some(WrongEpochAccount)
    );
    assert_eq!(
        m.clear_auction(&mut epoch, &same_slot, END).err(),
        Some(WrongEpochAccount)
    );
}

#[test]
fn settling_refuses_chunks_out_of_order_and_wrong_accounts() {
    let mut a = fresh();
    for i in 0..5 {
        a.placed(1 + i % 2, &rolling(abid(10, 1)), NOW + i as i64);
    }
    a.placed(3, &aask(10, 2), NOW);
    let mut sink = Settlements::default();
    use BookError::*;
    assert_eq!(
        a.settle_raw(E, 0, 2, END, &mut sink).err(),
        Some(EpochNotPriceFixed)
    );
    a.clear(E, END).unwrap();
    assert_eq!(
        a.settle_raw(E, 0, 0, END, &mut sink).err(),
        Some(InvalidChunk)
    );
    assert_eq!(
        a.settle_raw(E, 0, MAX_SETTLE_CHUNK + 1, END, &mut sink)
            .err(),
        Some(InvalidChunk)
    );
    assert_eq!(
        a.settle_raw(E, 1, 2, END, &mut sink).err(),
        Some(ChunkOutOfOrder)
    );
    // The chunk rolls an order: the next slot needs room first.
    assert_eq!(a.bytes_needed(E, 0, 3), 56 + 24);
    assert_eq!(a.settle_raw(E, 0, 3, END, &mut sink).err(), Some(BookFull));
    // The sink has no room for the records.
    let mut full = Settlements {
        room: Some(0),
        ..Settlements::default()
    };
    assert_eq!(a.settle(E, 3, END, &mut full).err(), Some(EventsFull));
    let out = a.settle(E, 3, END, &mut sink).unwrap();
    assert_eq!(
        (
            out.from,
            out.to,
            out.settled,
            out.matched,
            out.rolled,
            out.done
        ),
        (0, 3, 3, 2, 1, false)
    );
    // A retry of the same chunk (a racing crank) fails instead of settling twice.
    assert_eq!(
        a.settle_raw(E, 0, 3, END, &mut sink).err(),
        Some(ChunkOutOfOrder)
    );
    // The next account must be the market's other slot holding E + 1, or a reusable one.
    let snapshot = a.snapshot();
    {
        let mut m = a.market.market();
        let [s0, s1] = &mut a.slots;
        let mut epoch = s0.epoch();
        let mut foreign = EpochBuf::new(&[7; 32], 1, 4096);
        assert_eq!(
            m.settle_chunk(&mut epoch, &mut foreign.epoch(), 3, 3, END, &mut sink)
                .err(),
            Some(WrongEpochAccount)
        );
        let mut next = s1.epoch();
        next.header.epoch = E + 3;
        assert_eq!(
            m.settle_chunk(&mut epoch, &mut next, 3, 3, END, &mut sink)
                .err(),
            Some(EpochOutOfOrder)
        );
    }
    a.restore(&snapshot); // the refused chunk's partial writes are discarded
    let out = a.settle(E, 64, END, &mut sink).unwrap();
    assert_eq!((out.from, out.to, out.settled, out.done), (3, 6, 3, true));
    assert_eq!(
        a.settle_raw(E, 6, 1, END, &mut sink).err(),
        Some(EpochAlreadySettled)
    );
    // A settlement that does not add up is refused (a corrupt result: no volume, yet base delivered).
    a.restore(&snapshot);
    a.slots[0].epoch().header.volume_lots = 0;
    assert_eq!(
        a.settle(E, 64, END, &mut sink).err(),
        Some(SettlementMismatch)
    );
    assert_eq!(sink.records.len(), 6);
    let rolled: Vec<u32> = sink.records.iter().map(|r| r.rolled_index).collect();
    assert_eq!(
        rolled,
        [
            Settlement::NOT_ROLLED,
            Settlement::NOT_ROLLED,
            0,
            1,
            2,
            Settlement::NOT_ROLLED
        ]
    );
}

#[test]
fn the_rollover_room_is_exact() {
    let mut a = fresh();
    // Rolled prices: 10 twice, 11, and 12 which E + 1 already has.
    for (n, price) in [(1u8, 10u64), (2, 11), (1, 10), (2, 12), (1, 9)] {
        a.placed(n, &rolling(abid(price, 1)), NOW);
    }
    a.placed(3, &aask(20, 1), NOW);
    a.placed(4, &abid(12, 1), END);
    a.clear(E, END).unwrap();
    let free = a.slots[1].epoch().free_bytes();
    assert_eq!(free, 0);
    // Chunk 0..4: 4 orders roll, new levels 10 and 11.
    assert_eq!(a.bytes_needed(E, 0, 4), 4 * 56 + 2 * 24);
    assert_eq!(a.bytes_needed(E, 1, 4), 0); // not the cursor: the chunk would be refused
    let mut sink = Settlements::default();
    a.settle(E, 4, END, &mut sink).unwrap();
    assert_eq!(a.slots[1].epoch().free_bytes(), 0);
    // The last chunk: the bid at 9 rolls (new level), the ask does not.
    assert_eq!(a.bytes_needed(E, 4, 64), 56 + 24);
    a.slots[1].grow(200).unwrap();
    assert_eq!(a.bytes_needed(E, 4, 64), 0);
    a.settle(E, 64, END, &mut sink).unwrap();
    assert_eq!(
        a.slots[1]
            .levels()
            .iter()
            .map(|l| l.price)
            .collect::<Vec<_>>(),
        [9, 10, 11, 12]
    );
    assert_eq!(a.bytes_needed(E, 6, 64), 0); // settled
}

#[test]
fn tick_and_lot_sizes_change_only_without_auction_orders() {
    let mut a = fresh();
    let bid = a.placed(1, &abid(10, 1), NOW);
    let retick = Params {
        tick_size: 20,
        ..params()
    };
    let m = a.market.market();
    assert_eq!(m.header.set_params(&retick), Err(BookError::InvalidParams));
    // Fees and limits may change.
    assert_eq!(
        m.header.set_params(&Params {
            maker_fee_bps: 5,
            ..params()
        }),
        Ok(())
    );
    a.cancel(1, E, 0, bid.order_id, NOW).unwrap();
    assert_eq!(a.market.market().header.set_params(&retick), Ok(()));
}

#[test]
fn deposits_and_withdrawals_never_touch_what_auction_orders_lock() {
    let mut a = fresh();
    a.placed(1, &abid(10, 100), NOW);
    let mut m = a.market.market();
    assert_eq!(
        m.withdraw(0, &key(1), Asset::Quote, Q - 1_000),
        Err(BookError::InsufficientFunds)
    );
    assert_eq!(m.withdraw(0, &key(1), Asset::Quote, Q - 1_001), Ok(0));
    assert_eq!(m.deposit(0, &key(1), Asset::Quote, 5), Ok(5));
}

#[test]
fn an_epoch_without_orders_left_settles_in_one_empty_chunk() {
    let mut a = fresh();
    let bid = a.placed(1, &abid(10, 1), NOW);
    a.cancel(1, E, 0, bid.order_id, NOW).unwrap();
    let (c, records) = a.crank(E, 1, END);
    assert_eq!((c.price, records.len()), (0, 0));
    assert_eq!(a.slots[0].header().state(), EpochState::Settled);
    // Epoch accounts are bound to the slot by parity.
    assert!(Epoch::load(a.slots[0].bytes()).is_ok());
    assert_eq!(auction::slot_of(E), 0);
}

#[test]
fn a_tick_resize_after_the_last_live_order_settled_leaves_the_epoch_to_finish() {
    // The last live order settles in the first chunk; a cancelled order (a tombstone) remains to walk.
    // The regulators may then resize the tick (no auction order is live): the last chunk must still
    // settle the epoch, and the old clearing price no longer serves as the tie-break reference.
    let mut a = fresh();
    a.placed(1, &abid(100, 10), NOW);
    a.placed(2, &aask(90, 10), NOW);
    let third = a.placed(3, &abid(50, 1), NOW);
    a.cancel(3, E, third.index, third.order_id, NOW).unwrap();
    a.clear(E, END).unwrap();
    let mut sink = Settlements::default();
    assert!(!a.settle(E, 2, END, &mut sink).unwrap().done);
    assert_eq!(a.market.header().auction_orders, 0);
    assert_ne!(a.market.header().last_clearing_price, 0);
    let mut resized = params();
    resized.tick_size *= 2;
    a.market.market().header.set_params(&resized).unwrap();
    assert_eq!(a.market.header().last_clearing_price, 0);
    assert!(a.settle(E, 2, END, &mut sink).unwrap().done);
    assert_eq!(a.slot(E).header().state, EpochState::Settled as u8);
    assert_eq!(sink.records.len(), 2);
}
