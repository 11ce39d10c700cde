//! Market parameters: their ranges, and which of them may change once orders rest.

mod common;

use common::*;
use solgrid_order_book::{BookError, Params, Side, MAX_FEE_BPS};

const Q: u64 = 1_000_000;

#[test]
fn params_are_validated() {
    let ok = params();
    assert_eq!(ok.validate(), Ok(()));
    let bad = [
        // 3 * 100 = 300 quote atoms per 1000: a lot at one tick would be 0.3 atoms.
        Params { tick_size: 3, ..ok },
        Params { tick_size: 0, ..ok },
        Params {
            lot_size_wh: 0,
            ..ok
        },
        Params {
            min_order_lots: 0,
            ..ok
        },
        Params {
            max_orders_per_epoch: 0,
            ..ok
        },
        Params {
            taker_fee_bps: MAX_FEE_BPS + 1,
            ..ok
        },
        Params {
            maker_fee_bps: MAX_FEE_BPS + 1,
            ..ok
        },
        // tick * lot does not fit in 64 bits.
        Params {
            tick_size: 1 << 40,
            lot_size_wh: 1 << 30,
            ..ok
        },
        // A lot's base atoms do not fit in 64 bits.
        Params {
            tick_size: 1_000,
            lot_size_wh: u64::MAX / 1_000_000 + 1,
            ..ok
        },
    ];
    for p in bad {
        assert_eq!(p.validate(), Err(BookError::InvalidParams), "{p:?}");
    }
    let good = [
        Params {
            tick_size: 30,
            ..ok
        },
        Params {
            taker_fee_bps: MAX_FEE_BPS,
            maker_fee_bps: MAX_FEE_BPS,
            ..ok
        },
        Params {
            taker_fee_bps: 0,
            maker_fee_bps: 0,
            ..ok
        },
        Params {
            tick_size: 1,
            lot_size_wh: 1_000,
            ..ok
        },
    ];
    for p in good {
        assert_eq!(p.validate(), Ok(()), "{p:?}");
    }

    // A refused change leaves the header as it was.
    let mut b = MarketBuf::new(&ok, 1, 1);
    let before = b.header();
    let m = b.market();
    assert_eq!(m.header.set_params(&bad[0]), Err(BookError::InvalidParams));
    assert_eq!(*m.header, before);
    m.header
        .set_params(&Params {
            tick_size: 30,
            ..ok
        })
        .unwrap();
    assert_eq!(m.header.quote_per_lot_tick, 3);
    assert_eq!(m.header.params().tick_size, 30);
}

#[test]
fn tick_and_lot_sizes_cannot_change_while_orders_rest() {
    // What a resting order locks is computed from the market's tick and lot sizes whenever it is
    // released or filled, so changing them under resting orders would release other amounts than
    // were locked (a cancel failing forever, or funds created or lost in the accounting).
    let mut b = MarketBuf::with_traders(&params(), 2, 100 * BPL, Q);
    let bid_id = b.rest(1, &bid(100, 10), NOW);
    let ask_id = b.rest(2, &ask(120, 3), NOW);
    let before = b.header();
    for changed in [
        Params {
            tick_size: 20,
            ..params()
        },
        Params {
            lot_size_wh: 200,
            ..params()
        },
    ] {
        assert_eq!(
            b.market().header.set_params(&changed),
            Err(BookError::InvalidParams)
        );
        assert_eq!(b.header(), before);
    }
    // Fees, the minimum and the epoch limit may change.
    let fees = Params {
        taker_fee_bps: 50,
        maker_fee_bps: 0,
        min_order_lots: 2,
        max_orders_per_epoch: 7,
        ..params()
    };
    b.market().header.set_params(&fees).unwrap();
    assert_eq!(
        b.cancel(1, Side::Bid, 100, bid_id).unwrap().quote_released,
        1_001
    );
    // One order still rests.
    let retick = Params {
        tick_size: 20,
        ..fees
    };
    assert_eq!(
        b.market().header.set_params(&retick),
        Err(BookError::InvalidParams)
    );
    assert_eq!(
        b.cancel(2, Side::Ask, 120, ask_id).unwrap().base_released,
        3 * BPL
    );
    // An empty book may change them.
    b.market().header.set_params(&retick).unwrap();
    assert_eq!(b.header().quote_per_lot_tick, 2);
    b.rest(1, &bid(100, 10), NOW);
    assert_eq!(b.seat(1).quote_locked, 2_000);
}
