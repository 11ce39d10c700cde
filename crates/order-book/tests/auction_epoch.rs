//! The epoch account's layout: what `Epoch::load` accepts, initialising, growing, resetting for
//! the next epoch of a slot, the sorted levels, and the market header's periodic fields.

mod common;

use common::{auction::*, *};
use solgrid_order_book::{
    auction::{
        self,
        epoch::{data_len, EPOCH_HEADER_LEN, LEVEL_LEN},
        Epoch, EpochHeader, EpochState, Level,
    },
    layout::{HEADER_LEN, ORDER_LEN},
    BookError, MarketHeader,
};

const SECS: u32 = 900;
/// The epoch of `NOW` (slot 0).
const E: u64 = (NOW / SECS as i64) as u64;

fn as_bytes(words: &mut [u64]) -> &mut [u8] {
    let len = words.len() * 8;
    // SAFETY: the words own `len` initialised bytes.
    unsafe { std::slice::from_raw_parts_mut(words.as_mut_ptr() as *mut u8, len) }
}

#[test]
fn header_sizes_and_offsets_are_pinned() {
    assert_eq!(EPOCH_HEADER_LEN, 256);
    assert_eq!(LEVEL_LEN, 24);
    assert_eq!(ORDER_LEN, 56);
    assert_eq!(HEADER_LEN, 424);
    assert_eq!(std::mem::offset_of!(MarketHeader, epoch_secs), 360);
    assert_eq!(std::mem::offset_of!(MarketHeader, auction_orders), 364);
    assert_eq!(std::mem::offset_of!(MarketHeader, last_clearing_price), 368);
    assert_eq!(std::mem::offset_of!(MarketHeader, last_settled_epoch), 376);
    assert_eq!(std::mem::offset_of!(MarketHeader, auctions_settled), 384);
    assert_eq!(std::mem::offset_of!(MarketHeader, epoch_bumps), 392);
    assert_eq!(std::mem::offset_of!(MarketHeader, reserved), 394);
    assert_eq!(std::mem::offset_of!(EpochHeader, order_count), 200);
    assert_eq!(std::mem::offset_of!(EpochHeader, slot), 232);
    assert_eq!(std::mem::offset_of!(EpochHeader, state), 233);
    assert_eq!(std::mem::offset_of!(EpochHeader, reserved), 240);
    assert_eq!(data_len(0), 256);
    assert_eq!(
        auction::validate_epoch_secs(86_401),
        Err(BookError::InvalidEpochLength)
    );
    assert_eq!(auction::validate_epoch_secs(86_400), Ok(()));
    assert_eq!(auction::validate_epoch_secs(0), Ok(()));
    assert_eq!(auction::epoch_at(NOW, SECS), E);
    assert_eq!(auction::epoch_at(-5, SECS), 0);
    assert_eq!(auction::slot_of(E), 0);
    assert_eq!(auction::slot_of(E + 1), 1);
}

#[test]
fn init_writes_an_empty_header_and_refuses_bad_lengths() {
    let mut b = EpochBuf::new(&MARKET, 1, 64);
    let h = b.header();
    assert_eq!(
        h,
        EpochHeader {
            market: MARKET,
            region_len: 64,
            slot: 1,
            bump: 253,
            ..EpochHeader::default()
        }
    );
    assert_eq!(h.state(), EpochState::Empty);
    assert_eq!(b.epoch().free_bytes(), 64);
    let mut words = vec![0u64; 40];
    let bytes = as_bytes(&mut words);
    assert_eq!(
        Epoch::init(&mut bytes[..EPOCH_HEADER_LEN - 8], &MARKET, 0, 1).err(),
        Some(BookError::InvalidLayout)
    );
    assert_eq!(
        Epoch::init(&mut bytes[..EPOCH_HEADER_LEN + 4], &MARKET, 0, 1).err(),
        Some(BookError::InvalidLayout)
    );
    assert_eq!(
        Epoch::init(&mut bytes[4..EPOCH_HEADER_LEN + 4], &MARKET, 0, 1).err(),
        Some(BookError::InvalidLayout)
    );
    assert_eq!(
        Epoch::init(&mut bytes[..EPOCH_HEADER_LEN], &MARKET, 2, 1).err(),
        Some(BookError::InvalidLayout)
    );
    assert!(Epoch::init(&mut bytes[..EPOCH_HEADER_LEN], &MARKET, 0, 1).is_ok());
}

#[test]
fn load_refuses_bad_lengths_counts_states_and_alignment() {
    let mut a = Auction::new(&params(), SECS, 2, 100 * BPL, 1_000_000, 0);
    a.placed(1, &abid(10, 2), NOW);
    a.placed(2, &aask(12, 3), NOW);
    let good = a.slots[0].snapshot();
    let len = good.len() * 8;
    let corrupt = |edit: &dyn Fn(&mut EpochHeader)| {
        let mut words = good.clone();
        let bytes = as_bytes(&mut words);
        // SAFETY: an aligned header's bytes.
        edit(unsafe { &mut *(bytes.as_mut_ptr() as *mut EpochHeader) });
        Epoch::load(as_bytes(&mut words)).err()
    };
    assert_eq!(corrupt(&|_| {}), None);
    let bad = Some(BookError::InvalidLayout);
    assert_eq!(corrupt(&|h| h.region_len += 8), bad);
    assert_eq!(corrupt(&|h| h.region_len -= 8), bad);
    assert_eq!(corrupt(&|h| h.order_count = 4), bad); // 2 levels + 4 orders > 160 bytes
    assert_eq!(corrupt(&|h| h.level_count = 5), bad);
    assert_eq!(corrupt(&|h| h.live_orders = 3), bad);
    assert_eq!(corrupt(&|h| h.cursor = 3), bad);
    assert_eq!(corrupt(&|h| h.state = 4), bad);
    assert_eq!(corrupt(&|h| h.slot = 2), bad);
    let mut words = good.clone();
    let bytes = as_bytes(&mut words);
    for short in [0, 8, EPOCH_HEADER_LEN - 8, len - 8] {
        assert_eq!(Epoch::load(&mut bytes[..short]).err(), bad, "{short}");
        assert_eq!(EpochHeader::read(&bytes[..short]).err(), bad, "{short}");
    }
    let mut longer = good.clone();
    longer.push(0);
    assert_eq!(Epoch::load(as_bytes(&mut longer)).err(), bad);
    longer.push(0);
    let bytes = as_bytes(&mut longer);
    bytes.copy_within(0..len, 4);
    assert_eq!(Epoch::load(&mut bytes[4..4 + len]).err(), bad);
    assert_eq!(EpochHeader::read(&bytes[4..4 + len]).err(), bad);
}

#[test]
fn levels_stay_sorted_and_aggregated_and_orders_keep_their_indices() {
    let mut a = Auction::new(&params(), SECS, 3, 1_000 * BPL, 10_000_000, 0);
    let prices = [(1, 50, 2), (2, 40, 1), (3, 60, 4), (1, 40, 3), (2, 55, 5)];
    let mut ids = Vec::new();
    for (i, &(n, price, lots)) in prices.iter().enumerate() {
        let order = if i % 2 == 0 {
            abid(price, lots)
        } else {
            aask(price, lots)
        };
        let placed = a.placed(n, &order, NOW);
        assert_eq!(placed.index, i as u32);
        assert_eq!(placed.epoch, E);
        ids.push(placed.order_id);
    }
    let lv = |price, bid_lots, ask_lots| Level {
        price,
        bid_lots,
        ask_lots,
    };
    assert_eq!(
        a.slots[0].levels(),
        [lv(40, 0, 4), lv(50, 2, 0), lv(55, 5, 0), lv(60, 4, 0)]
    );
    let h = a.slots[0].header();
    assert_eq!((h.total_bid_lots, h.total_ask_lots), (11, 4));
    assert_eq!((h.order_count, h.live_orders, h.level_count), (5, 5, 4));
    // Growing one order at a time kept the region exactly full.
    assert_eq!(a.slots[0].epoch().free_bytes(), 0);
    assert_eq!(h.region_len as usize, 5 * ORDER_LEN + 4 * LEVEL_LEN);
    let orders = a.slots[0].orders();
    assert_eq!(orders.iter().map(|o| o.order_id).collect::<Vec<_>>(), ids);
    // Cancelling empties level 50 (removed) and shrinks 40; the tombstone keeps its index.
    a.cancel(1, E, 0, ids[0], NOW).unwrap();
    a.cancel(2, E, 1, ids[1], NOW).unwrap();
    assert_eq!(
        a.slots[0].levels(),
        [lv(40, 0, 3), lv(55, 5, 0), lv(60, 4, 0)]
    );
    let orders = a.slots[0].orders();
    assert_eq!((orders[0].lots, orders[1].lots), (0, 0));
    assert_eq!(orders[2].order_id, ids[2]);
    let h = a.slots[0].header();
    assert_eq!((h.order_count, h.live_orders, h.level_count), (5, 3, 3));
    assert_eq!((h.total_bid_lots, h.total_ask_lots), (9, 3));
    // A new level reuses the freed level bytes.
    assert_eq!(a.slots[0].epoch().free_bytes(), LEVEL_LEN);
    a.placed(3, &abid(45, 1), NOW);
    assert_eq!(a.slots[0].epoch().free_bytes(), LEVEL_LEN - LEVEL_LEN);
    assert_eq!(a.slots[0].levels()[1], lv(45, 1, 0));
}

#[test]
fn growing_moves_the_order_block_and_checks_the_resized_length() {
    let mut a = Auction::new(&params(), SECS, 2, 100 * BPL, 1_000_000, 0);
    for i in 0..3 {
        a.placed(1, &abid(10 + i, 1), NOW);
    }
    let orders = a.slots[0].orders();
    let levels = a.slots[0].levels();
    let b = &mut a.slots[0];
    b.grow(64).unwrap();
    assert_eq!(b.orders(), orders);
    assert_eq!(b.levels(), levels);
    assert_eq!(b.epoch().free_bytes(), 64);
    assert_eq!(
        b.header().region_len as usize,
        3 * ORDER_LEN + 3 * LEVEL_LEN + 64
    );
    // The gap is zeroed.
    let start = EPOCH_HEADER_LEN + 3 * LEVEL_LEN;
    assert!(b.bytes()[start..start + 64].iter().all(|&x| x == 0));
    b.grow(0).unwrap();
    assert_eq!(b.orders(), orders);

    let before = b.snapshot();
    // Not resized, resized by another amount, or not by whole words.
    assert_eq!(Epoch::grow(b.bytes(), 8), Err(BookError::InvalidLayout));
    let mut words = before.clone();
    words.push(0);
    assert_eq!(
        Epoch::grow(as_bytes(&mut words), 16),
        Err(BookError::InvalidLayout)
    );
    let mut words = before.clone();
    words.resize(words.len() + 2, 0);
    assert_eq!(
        Epoch::grow(as_bytes(&mut words), 8),
        Err(BookError::InvalidLayout)
    );
    assert_eq!(
        Epoch::grow(&mut as_bytes(&mut words)[..], 12),
        Err(BookError::InvalidLayout)
    );
    assert_eq!(Epoch::grow(as_bytes(&mut words), 16), Ok(()));
    assert_eq!(b.snapshot(), before);
}

#[test]
fn a_slot_is_reset_only_for_a_later_epoch_of_its_parity_once_settled() {
    let mut b = EpochBuf::new(&MARKET, 0, 48);
    {
        let mut e = b.epoch();
        assert_eq!(e.reset(E + 1, SECS), Err(BookError::WrongEpochAccount));
        assert_eq!(e.reset(E, 0), Err(BookError::WrongMarketMode));
        assert_eq!(e.reset(u64::MAX - 1, u32::MAX), Err(BookError::Overflow));
        e.prepare_for(E, SECS).unwrap();
    }
    let h = b.header();
    assert_eq!(h.state(), EpochState::Collecting);
    assert_eq!(h.epoch, E);
    assert_eq!(h.starts_at, E as i64 * 900);
    assert_eq!(h.ends_at, (E as i64 + 1) * 900);
    assert_eq!(
        (h.region_len, h.slot, h.bump, h.market),
        (48, 0, 254, MARKET)
    );
    // Collecting E: nothing to do for E, busy for any other epoch.
    let mut e = b.epoch();
    assert_eq!(e.prepare_for(E, SECS), Ok(()));
    assert_eq!(e.prepare_for(E + 2, SECS), Err(BookError::EpochNotSettled));
    e.header.state = EpochState::PriceFixed as u8;
    assert_eq!(e.prepare_for(E + 2, SECS), Err(BookError::EpochNotSettled));
    assert_eq!(e.prepare_for(E, SECS), Err(BookError::EpochNotSettled));
    // Settled: reusable for a later epoch only.
    e.header.state = EpochState::Settled as u8;
    e.header.volume_lots = 5;
    e.header.order_count = 1;
    e.header.cursor = 1;
    assert_eq!(e.prepare_for(E, SECS), Err(BookError::EpochOutOfOrder));
    assert_eq!(e.prepare_for(E - 2, SECS), Err(BookError::EpochOutOfOrder));
    e.prepare_for(E + 4, SECS).unwrap();
    let h = *e.header;
    assert_eq!(
        h,
        EpochHeader {
            market: MARKET,
            epoch: E + 4,
            starts_at: (E as i64 + 4) * 900,
            ends_at: (E as i64 + 5) * 900,
            region_len: 48,
            slot: 0,
            state: EpochState::Collecting as u8,
            bump: 254,
            ..EpochHeader::default()
        }
    );
}

#[test]
fn fixing_the_price_needs_a_collecting_epoch_that_ended() {
    let mut a = Auction::new(&params(), SECS, 2, 100 * BPL, 1_000_000, 0);
    let mut empty = EpochBuf::new(&MARKET, 0, 0);
    assert_eq!(
        empty.epoch().fix_price(NOW + 10_000, 0),
        Err(BookError::WrongEpoch)
    );
    a.placed(1, &abid(10, 2), NOW);
    a.placed(2, &aask(8, 3), NOW);
    let ends = a.slots[0].header().ends_at;
    let mut e = a.slots[0].epoch();
    assert_eq!(e.fix_price(ends - 1, 0), Err(BookError::EpochNotEnded));
    let c = e.fix_price(ends, 7).unwrap();
    assert_eq!((c.price, c.volume), (8, 2));
    let h = *e.header;
    assert_eq!(h.state(), EpochState::PriceFixed);
    assert_eq!(
        (h.reference_price, h.clearing_price, h.cleared_at),
        (7, 8, ends)
    );
    assert_eq!((h.volume_lots, h.demand_lots, h.supply_lots), (2, 2, 3));
    assert_eq!((h.bid_marginal_price, h.bid_marginal_left), (10, 2));
    assert_eq!((h.ask_marginal_price, h.ask_marginal_left), (8, 2));
    assert_eq!(
        e.fix_price(ends + 1, 0),
        Err(BookError::EpochAlreadyCleared)
    );
    e.header.state = EpochState::Settled as u8;
    assert_eq!(
        e.fix_price(ends + 1, 0),
        Err(BookError::EpochAlreadyCleared)
    );
}
